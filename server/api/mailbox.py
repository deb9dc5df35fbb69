"""The commune's incoming mailbox (IMAP), for its administrators: settings and poller status.

The password is written, never read back (``has_password`` says whether one is stored); the
settings stay on the server and are never synced to the PCs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy.orm import Session

from server import audit
from server.access import Action, Principal, authorize, check_authority
from server.api.deps import DbDep, PrincipalDep
from server.db.models import MailboxSettings
from server.mail import mailbox
from server.problems import ProblemError, problem_responses

router = APIRouter(tags=["collectivités"])


class MailboxSettingsIn(BaseModel):
    host: Annotated[str, StringConstraints(min_length=1, max_length=253)]
    port: int = Field(default=993, ge=1, le=65535)
    security: Literal["tls", "starttls", "none"] = "tls"
    username: Annotated[str, StringConstraints(min_length=1, max_length=254)]
    password: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        default=None, description="Absent : le mot de passe déjà enregistré est gardé"
    )
    folder: Annotated[str, StringConstraints(min_length=1, max_length=200)] = "INBOX"
    move_to: Annotated[str, StringConstraints(min_length=1, max_length=200)] = "Bannette"
    enabled: bool = True


class MailboxSettingsOut(BaseModel):
    model_config = {"from_attributes": True}
    host: str
    port: int
    security: str
    username: str
    has_password: bool
    folder: str
    move_to: str
    enabled: bool
    updated_at: datetime
    last_poll_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None = Field(description="La dernière erreur du relevé, en français")
    failures: int
    next_poll_at: datetime | None


def _out(row: MailboxSettings) -> MailboxSettingsOut:
    return MailboxSettingsOut(
        host=row.host, port=row.port, security=row.security, username=row.username,
        has_password=bool(row.password), folder=row.folder, move_to=row.move_to,
        enabled=row.enabled, updated_at=row.updated_at, last_poll_at=row.last_poll_at,
        last_success_at=row.last_success_at, last_error=row.last_error,
        failures=row.failures, next_poll_at=row.next_poll_at,
    )  # fmt: skip


def _allowed(principal: Principal, authority_id: uuid.UUID) -> None:
    check_authority(principal, authority_id)
    authorize(principal, Action.MANAGE_MAILBOX, authority_id)


def _existing(session: Session, authority_id: uuid.UUID) -> MailboxSettings:
    row = session.get(MailboxSettings, authority_id)
    if row is None:
        raise ProblemError(404, "Aucune boîte aux lettres n'est réglée pour cette commune.")
    return row


@router.get(
    "/authorities/{authority_id}/mailbox", response_model=MailboxSettingsOut,
    responses=problem_responses(401, 403, 404, 422),
)  # fmt: skip
def get_mailbox(authority_id: uuid.UUID, principal: PrincipalDep, db: DbDep) -> MailboxSettingsOut:
    """The settings (without the password) and the state of the last readings."""
    _allowed(principal, authority_id)
    with db.read() as session:
        return _out(_existing(session, authority_id))


@router.put(
    "/authorities/{authority_id}/mailbox", response_model=MailboxSettingsOut,
    responses=problem_responses(401, 403, 404, 422),
)  # fmt: skip
def put_mailbox(
    authority_id: uuid.UUID, body: MailboxSettingsIn, principal: PrincipalDep, db: DbDep,
    request: Request,
) -> MailboxSettingsOut:  # fmt: skip
    _allowed(principal, authority_id)
    with db.write() as session:
        try:
            row = mailbox.configure(
                session, authority_id, host=body.host, port=body.port, security=body.security,
                username=body.username, password=body.password, folder=body.folder,
                move_to=body.move_to, enabled=body.enabled,
            )  # fmt: skip
        except mailbox.MailboxSettingsError as exc:
            raise ProblemError(422, str(exc)) from exc
        audit.record(session, principal, "configure", "mailbox", None, authority_id,
                     {"host": row.host, "username": row.username,
                      "password_changed": body.password is not None})  # fmt: skip
        out = _out(row)
    poller = getattr(request.app.state, "mailbox_poller", None)
    if poller is not None and out.enabled:
        poller.wake()  # new settings are tried at once
    return out


@router.post(
    "/authorities/{authority_id}/mailbox/poll", status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(401, 403, 404, 422),
)  # fmt: skip
def poll_mailbox(
    authority_id: uuid.UUID, principal: PrincipalDep, db: DbDep, request: Request
) -> dict[str, str]:
    """« Relever maintenant »: the mailbox is due at once, even after failures."""
    _allowed(principal, authority_id)
    with db.write() as session:
        _existing(session, authority_id).next_poll_at = None
    poller = getattr(request.app.state, "mailbox_poller", None)
    if poller is not None:
        poller.wake()
    return {"message": "Relevé de la boîte aux lettres demandé."}
