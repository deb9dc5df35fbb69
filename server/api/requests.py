"""Requests (demandes): the bannette, intake by the back office, and the life-cycle intents."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, cast

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select

from server import audit
from server.access import Principal, scope
from server.api.common import Deleted, Page, paginate, run_change
from server.api.deps import DbDep, PrincipalDep
from server.db.database import Database
from server.db.models import Attachment, Request
from server.problems import problem_responses
from server.services import requests as service
from sync.protocol.vocabulary import Outcome, SendMode, Status
from sync.protocol.wire import (
    AttachmentRow,
    EventRow,
    RequestAcknowledgeArgs,
    RequestAssignArgs,
    RequestCreateArgs,
    RequestDeleteArgs,
    RequestDocumentsArgs,
    RequestNoteArgs,
    RequestRow,
    RequestSetStatusArgs,
    RequestUpdateFieldsArgs,
)

router = APIRouter(tags=["demandes"])


def _run(db: Database, principal: Principal, fn: Any, args: Any,
         base_version: int | None = None) -> RequestRow:
    return cast(RequestRow, run_change(db, principal, fn, args, base_version))
WHAT = "Cette demande"
ERRORS = problem_responses(401, 403, 404, 409, 422)


@router.get("/requests", response_model=Page[RequestRow], responses=ERRORS)
def list_requests(
    principal: PrincipalDep,
    db: DbDep,
    authority_id: uuid.UUID | None = None,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    assignee_id: uuid.UUID | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10**9),
) -> Page[RequestRow]:
    """The bannette: newest first, optionally filtered by status or assignee."""
    authorities = scope(principal, [authority_id] if authority_id else None)
    with db.read() as session:
        stmt = select(Request).where(Request.authority_id.in_(authorities))
        if status_ is not None:
            stmt = stmt.where(Request.status == status_.value)
        if assignee_id is not None:
            stmt = stmt.where(Request.assignee_id == assignee_id)
        stmt = stmt.order_by(Request.received_at.desc(), Request.id)
        return paginate(session, stmt, RequestRow, limit, offset)


@router.post(
    "/requests", response_model=RequestRow, status_code=status.HTTP_201_CREATED, responses=ERRORS
)
def create_request(body: RequestCreateArgs, principal: PrincipalDep, db: DbDep) -> RequestRow:
    """Back-office intake (courrier, téléphone, guichet, courriel)."""
    return _run(
        db, principal, lambda s, p, a, b: service.Change(
            service.Entity.REQUESTS, service.create(s, p, a)
        ), body,
    )


@router.get("/requests/{request_id}", response_model=RequestRow, responses=ERRORS)
def get_request(request_id: uuid.UUID, principal: PrincipalDep, db: DbDep) -> RequestRow:
    """Opening a request shows what the citizen wrote (form fields): the read is audited."""
    with db.write() as session:
        row = service.load(session, principal, request_id)
        audit.record(session, principal, "read", "requests", row.id, row.authority_id)
        return RequestRow.model_validate(row)


class StatusChange(BaseModel):
    model_config = {"extra": "forbid"}
    status: Status
    from_status: Status | None = Field(
        default=None, description="Statut vu par le client ; un autre statut donne un 409"
    )
    outcome: Outcome | None = None


def _current_status(db: DbDep, principal: PrincipalDep, request_id: uuid.UUID) -> Status:
    with db.read() as session:
        return Status(service.load(session, principal, request_id).status)


@router.post("/requests/{request_id}/status", response_model=RequestRow, responses=ERRORS)
def set_status(
    request_id: uuid.UUID, body: StatusChange, principal: PrincipalDep, db: DbDep
) -> RequestRow:
    from_status = body.from_status or _current_status(db, principal, request_id)
    args = RequestSetStatusArgs(
        request_id=request_id, from_status=from_status, status=body.status, outcome=body.outcome
    )
    return _run(db, principal, service.set_status, args)


class Sending(BaseModel):
    """The day the acknowledgement left and how (« Marquer comme envoyé »)."""

    model_config = {"extra": "forbid"}
    sent_on: date | None = None
    mode: SendMode | None = None


@router.post("/requests/{request_id}/acknowledge", response_model=RequestRow, responses=ERRORS)
def acknowledge(
    request_id: uuid.UUID, principal: PrincipalDep, db: DbDep, body: Sending | None = None
) -> RequestRow:
    sending = body or Sending()
    args = RequestAcknowledgeArgs(
        request_id=request_id, sent_on=sending.sent_on, mode=sending.mode
    )
    return _run(db, principal, service.acknowledge, args)


class MissingDocuments(BaseModel):
    model_config = {"extra": "forbid"}
    documents: list[Annotated[str, StringConstraints(max_length=200)]] = Field(
        min_length=1, max_length=50
    )


@router.post(
    "/requests/{request_id}/missing-documents", response_model=RequestRow, responses=ERRORS
)
def request_documents(
    request_id: uuid.UUID, body: MissingDocuments, principal: PrincipalDep, db: DbDep
) -> RequestRow:
    args = RequestDocumentsArgs(request_id=request_id, documents=body.documents)
    return _run(db, principal, service.request_documents, args)


class Assignment(BaseModel):
    model_config = {"extra": "forbid"}
    assignee_id: uuid.UUID | None
    service_id: uuid.UUID | None = None
    reason: Annotated[str, StringConstraints(max_length=2000)] = ""


@router.post("/requests/{request_id}/assign", response_model=RequestRow, responses=ERRORS)
def assign(
    request_id: uuid.UUID, body: Assignment, principal: PrincipalDep, db: DbDep
) -> RequestRow:
    args = RequestAssignArgs(request_id=request_id, assignee_id=body.assignee_id,
                             service_id=body.service_id, reason=body.reason)
    return _run(db, principal, service.assign, args)


class FieldsUpdate(BaseModel):
    model_config = {"extra": "forbid"}
    fields: dict[str, Any] = Field(min_length=1)
    previous: dict[str, Any] = Field(default_factory=dict)


@router.patch("/requests/{request_id}", response_model=RequestRow, responses=ERRORS)
def update_request(
    request_id: uuid.UUID, body: FieldsUpdate, principal: PrincipalDep, db: DbDep
) -> RequestRow:
    args = RequestUpdateFieldsArgs(request_id=request_id, fields=body.fields,
                                   previous=body.previous)
    return _run(db, principal, service.update_fields, args, base_version=None)


@router.delete("/requests/{request_id}", response_model=Deleted, responses=ERRORS)
def delete_request(request_id: uuid.UUID, principal: PrincipalDep, db: DbDep) -> Deleted:
    run_change(db, principal, service.delete_request, RequestDeleteArgs(request_id=request_id))
    return Deleted(id=request_id)


class NoteCreate(BaseModel):
    model_config = {"extra": "forbid"}
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    text: Annotated[str, StringConstraints(min_length=1, max_length=20000)]


@router.post(
    "/requests/{request_id}/notes", response_model=EventRow,
    status_code=status.HTTP_201_CREATED, responses=ERRORS,
)
def add_note(
    request_id: uuid.UUID, body: NoteCreate, principal: PrincipalDep, db: DbDep
) -> EventRow:
    args = RequestNoteArgs(id=body.id, request_id=request_id, text=body.text)
    row = run_change(db, principal, service.add_note, args)
    return EventRow.model_validate(row.model_dump())


@router.get(
    "/requests/{request_id}/attachments", response_model=list[AttachmentRow], responses=ERRORS
)
def list_attachments(
    request_id: uuid.UUID, principal: PrincipalDep, db: DbDep
) -> list[AttachmentRow]:
    with db.read() as session:
        service.load(session, principal, request_id)
        rows = session.execute(
            select(Attachment)
            .where(Attachment.request_id == request_id)
            .order_by(Attachment.created_at)
        ).scalars()
        return [AttachmentRow.model_validate(r) for r in rows]
