"""Messages exchanged with the citizen about a request."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, status
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select

from server.access import get_scoped
from server.api.common import run_change
from server.api.deps import DbDep, PrincipalDep
from server.db.models import Message
from server.problems import problem_responses
from server.services import messages as message_service
from server.services import requests as service
from sync.protocol.vocabulary import Channel
from sync.protocol.wire import MessageAddArgs, MessageDirection, MessageRow

router = APIRouter(tags=["messages"])
ERRORS = problem_responses(401, 403, 404, 409, 422)


@router.get(
    "/requests/{request_id}/messages", response_model=list[MessageRow], responses=ERRORS
)
def list_messages(
    request_id: uuid.UUID, principal: PrincipalDep, db: DbDep
) -> list[MessageRow]:
    with db.read() as session:
        service.load(session, principal, request_id)
        rows = session.execute(
            select(Message).where(Message.request_id == request_id).order_by(Message.version)
        ).scalars()
        return [MessageRow.model_validate(r) for r in rows]


class MessageCreate(BaseModel):
    model_config = {"extra": "forbid"}
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    direction: MessageDirection
    channel: Channel
    subject: Annotated[str, StringConstraints(max_length=200)] = ""
    body: Annotated[str, StringConstraints(max_length=20000)] = ""


@router.post(
    "/requests/{request_id}/messages", response_model=MessageRow,
    status_code=status.HTTP_201_CREATED, responses=ERRORS,
)
def add_message(
    request_id: uuid.UUID, body: MessageCreate, principal: PrincipalDep, db: DbDep
) -> MessageRow:
    args = MessageAddArgs(request_id=request_id, **body.model_dump())
    row = run_change(db, principal, message_service.add_message, args)
    return MessageRow.model_validate(row.model_dump())


@router.get("/messages/{message_id}", response_model=MessageRow, responses=ERRORS)
def get_message(message_id: uuid.UUID, principal: PrincipalDep, db: DbDep) -> MessageRow:
    with db.read() as session:
        return MessageRow.model_validate(
            get_scoped(session, Message, message_id, principal, "Ce message")
        )
