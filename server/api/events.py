"""The append-only history (events) of requests."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from sqlalchemy import select

from server.access import get_scoped
from server.api.deps import DbDep, PrincipalDep
from server.db.models import Event
from server.problems import problem_responses
from server.services import requests as service
from sync.protocol.wire import EventRow

router = APIRouter(tags=["historique"])
ERRORS = problem_responses(401, 403, 404, 409, 422)


@router.get("/requests/{request_id}/events", response_model=list[EventRow], responses=ERRORS)
def list_events(request_id: uuid.UUID, principal: PrincipalDep, db: DbDep) -> list[EventRow]:
    with db.read() as session:
        service.load(session, principal, request_id)
        rows = session.execute(
            select(Event).where(Event.request_id == request_id).order_by(Event.version)
        ).scalars()
        return [EventRow.model_validate(r) for r in rows]


@router.get("/events/{event_id}", response_model=EventRow, responses=ERRORS)
def get_event(event_id: uuid.UUID, principal: PrincipalDep, db: DbDep) -> EventRow:
    with db.read() as session:
        return EventRow.model_validate(
            get_scoped(session, Event, event_id, principal, "Cet événement")
        )
