"""``reply.send``: the answer leaves, e-mailed by the server or posted by the clerk, and the
request becomes ``answered`` with its outcome (which stops the implicit-decision clock).

No letter leaves with a provisional number: the subject and body get the server's number,
and a PDF that still shows a ``P-`` number is refused (the desktop must regenerate it)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time

from sqlalchemy.orm import Session

from server import audit, pdf_sandbox
from server.access import Action, Principal, authorize, id_taken
from server.db.models import Message, Request
from server.db.types import utcnow
from server.mail.addresses import AddressError, check_address
from server.mail.outbox import enqueue
from server.problems import ProblemError
from server.services import requests as request_service
from server.services.common import Change, add_event, stamp
from server.services.parapheur_flow import open_folder, request_attachment
from server.services.runtime import Runtime
from sync.protocol.vocabulary import (
    OUTCOME_LABELS,
    Channel,
    EventKind,
    Outcome,
    Status,
)
from sync.protocol.wire import Entity, MessageDirection, ReplyMode, ReplySendArgs

#: The desktop's provisional numbers (``P-2026-0001``) before the server numbered the request.
PROVISIONAL = re.compile(r"\bP-\d{4}-\d{1,8}\b")
_MOVE_FIRST = (Status.RECEIVED, Status.ACKNOWLEDGED, Status.AWAITING_DOCUMENTS)


def with_server_number(text: str, number: str) -> str:
    """Replaces any provisional number by the server's one."""
    return PROVISIONAL.sub(number, text)


def checked_address(value: str | None) -> str:
    try:
        return check_address(value)
    except AddressError as exc:
        raise ProblemError(422, str(exc)) from exc


def _letter_number_problem(pdf: bytes, number: str) -> str | None:
    try:
        text = pdf_sandbox.text(pdf)
    except pdf_sandbox.PdfRefused as exc:
        return f"Le PDF de la réponse est illisible : {exc}."
    found = PROVISIONAL.search(text)
    if found:
        return (f"La lettre porte encore le numéro provisoire « {found.group(0)} » : "
                f"régénérez-la, la demande porte désormais le numéro {number}.")
    return None


def _posted_at(sent_on: date | None) -> datetime:
    """Noon UTC of the posting day: the same calendar day in every French time zone."""
    if sent_on is None:
        return utcnow()
    return datetime.combine(sent_on, time(12, 0), tzinfo=UTC)


def send_reply(session: Session, principal: Principal, args: ReplySendArgs,
               base_version: int | None, runtime: Runtime) -> Change:
    request = request_service.load(session, principal, args.request_id)
    authorize(principal, Action.WRITE, request.authority_id)
    if session.get(Message, args.id) is not None:
        raise id_taken()
    attachment = request_attachment(session, request, args.attachment_id, pdf_only=True,
                                    what="La réponse")
    problem = _letter_number_problem(runtime.blobs.read(attachment.sha256), request.number)
    if problem:
        raise ProblemError(422, problem)
    outcome = Outcome(args.outcome)
    to_email = checked_address(args.to_email) if args.mode is ReplyMode.EMAIL else None
    if args.sent_on is not None and (
        args.sent_on > request_service._latest_local_day()
        or args.sent_on < request.received_at.date()
    ):
        raise ProblemError(422, "La date d'envoi doit être entre la réception de la demande et "
                                "aujourd'hui.")
    status = Status(request.status)
    if status is Status.ANSWERED:
        # The same answer sent again (by post after a failed e-mail, for instance).
        if request.outcome != outcome.value:
            return Change(
                Entity.REQUESTS, request, ["outcome"],
                reason="La demande a déjà reçu une réponse « "
                + OUTCOME_LABELS[Outcome(request.outcome)] + " » : la vôtre n'a pas été "
                "envoyée." if request.outcome else None,
            )
    elif status is Status.CLOSED:
        raise ProblemError(409, "Cette demande est close : aucune réponse ne part plus.")
    else:
        if status is Status.AT_PARAPHEUR and open_folder(session, request.id) is not None:
            raise ProblemError(409, "La réponse attend encore sa décision au parapheur.")
        if status in _MOVE_FIRST:
            request_service.transition(session, principal, request, Status.DRAFTING)
        request_service.transition(session, principal, request, Status.ANSWERED, outcome,
                                   letter_sent=True)
        stamp(session, request)
    default_subject = f"Réponse à votre demande n° {request.number} — {request.subject}"
    message = Message(
        id=args.id, authority_id=request.authority_id, request_id=request.id,
        direction=MessageDirection.OUTBOUND.value,
        channel=(Channel.EMAIL if args.mode is ReplyMode.EMAIL else Channel.PAPER).value,
        subject=with_server_number(args.subject or default_subject, request.number)[:200],
        body=with_server_number(args.body, request.number), at=utcnow(),
        agent_id=principal.agent_id, to_email=to_email,
        attachment_ids=[str(attachment.id)],
    )
    if args.mode is ReplyMode.POST:
        message.delivery, message.delivered_at = "posted", _posted_at(args.sent_on)
    session.add(stamp(session, message))
    session.flush()
    if args.mode is ReplyMode.EMAIL:
        enqueue(session, message)
    data: dict[str, object] = {"message_id": str(message.id), "mode": args.mode.value,
                               "attachment_id": str(attachment.id), "outcome": outcome.value}
    if to_email:
        data["to_email"] = to_email
    if args.mode is ReplyMode.POST:
        data["sent_on"] = (args.sent_on or _posted_at(None).date()).isoformat()
    add_event(session, request.authority_id, request.id, EventKind.REPLY_SENT, principal, data)
    audit.record(session, principal, "reply", "requests", request.id, request.authority_id,
                 {"mode": args.mode.value, "outcome": outcome.value})
    return Change(Entity.MESSAGES, message)


def queue_outbound_email(session: Session, request: Request, message: Message,
                         to_email: str | None, attachment_ids: list[uuid.UUID]) -> None:
    """``message.add`` of an outbound e-mail with an address: sent by the same sender."""
    if to_email is None:
        return
    if message.direction != MessageDirection.OUTBOUND.value or (
        message.channel != Channel.EMAIL.value
    ):
        raise ProblemError(422, "Seul un courriel sortant peut être envoyé à une adresse.")
    message.to_email = checked_address(to_email)
    message.subject = with_server_number(message.subject, request.number)
    message.body = with_server_number(message.body, request.number)
    enqueue(session, message)
