"""Messages exchanged with the citizen about a request, and phone calls."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from server import audit
from server.access import Action, Principal, authorize, check_authority, id_taken
from server.db.models import Citizen, Message, PhoneCall, Request
from server.db.types import utcnow
from server.problems import ProblemError
from server.services import requests as request_service
from server.services.citizens import resolve_merged
from server.services.common import Change, add_event, stamp
from server.services.parapheur_flow import request_attachment
from server.services.replies import queue_outbound_email
from sync.protocol.vocabulary import EventKind
from sync.protocol.wire import Entity, MessageAddArgs, PhoneCallAddArgs


def add_message(
    session: Session, principal: Principal, args: MessageAddArgs, base_version: int | None
) -> Change:
    request = request_service.load(session, principal, args.request_id)
    authorize(principal, Action.WRITE, request.authority_id)
    if session.get(Message, args.id) is not None:
        raise id_taken()
    for attachment_id in args.attachment_ids:
        request_attachment(session, request, attachment_id, pdf_only=False)
    row = Message(
        id=args.id, authority_id=request.authority_id, request_id=request.id,
        direction=args.direction.value, channel=args.channel.value, subject=args.subject,
        body=args.body, at=utcnow(), agent_id=principal.agent_id,
        attachment_ids=[str(a) for a in args.attachment_ids],
    )
    session.add(stamp(session, row))
    session.flush()
    # An outbound e-mail with an address leaves through the server's sender (issue 12).
    queue_outbound_email(session, request, row, args.to_email, args.attachment_ids)
    add_event(session, request.authority_id, request.id, EventKind.MESSAGE_ADDED, principal,
              {"message_id": str(row.id), "direction": row.direction})
    audit.record(session, principal, "create", "messages", row.id, row.authority_id)
    return Change(Entity.MESSAGES, row)


def add_phone_call(
    session: Session, principal: Principal, args: PhoneCallAddArgs, base_version: int | None
) -> Change:
    check_authority(principal, args.authority_id)
    authorize(principal, Action.WRITE, args.authority_id)
    if session.get(PhoneCall, args.id) is not None:
        raise id_taken()
    # A citizen merged into another since the PC logged the call: the survivor takes it.
    citizen_id = resolve_merged(session, args.citizen_id)
    links: tuple[tuple[Any, uuid.UUID | None, str], ...] = (
        (Citizen, citizen_id, "Cet usager"), (Request, args.request_id, "Cette demande"),
    )
    for model, row_id, what in links:
        if row_id is not None:
            linked = session.get(model, row_id)
            if linked is None or linked.authority_id != args.authority_id:
                raise ProblemError(404, f"{what} est introuvable dans cette collectivité.")
    called_at = args.called_at or utcnow()
    if called_at.tzinfo is None:
        raise ProblemError(422, "L'heure de l'appel doit préciser son fuseau horaire.")
    if called_at > utcnow() + timedelta(days=1):
        raise ProblemError(422, "L'heure de l'appel ne peut pas être dans le futur.")
    row = PhoneCall(
        id=args.id, authority_id=args.authority_id, citizen_id=citizen_id,
        request_id=args.request_id, caller_name=args.caller_name,
        phone_number=args.phone_number, motive=args.motive,
        duration_seconds=args.duration_seconds, called_at=called_at,
        agent_id=principal.agent_id,
    )
    session.add(stamp(session, row))
    audit.record(session, principal, "create", "phone_calls", row.id, row.authority_id)
    return Change(Entity.PHONE_CALLS, row)
