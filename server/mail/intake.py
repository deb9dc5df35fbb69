"""Registration of one incoming e-mail, in one database transaction.

A new mail becomes a request on the « courriel » channel (its sender found or created as a
citizen, its text as the description, its files checked by content: accepted ones attached,
refused ones recorded as ``attachment_refused`` events with the French reason). A mail whose
In-Reply-To / References name one of OUR outgoing messages is a reply: it becomes an inbound
message in that request's thread instead. A mail that cannot be read at all still becomes a
request saying why, so the secrétaire sees it; the original stays in the mailbox.

The ``inbound_mails`` row (unique per commune and Message-ID, or hash of the message) is
written in the same transaction: the same mail is never registered twice, whatever happened
between the commit and the IMAP flag. Every row written gets a version, so every PC pulls it.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server import audit
from server.blobs import BlobStore, safe_filename
from server.db.models import Authority, Citizen, InboundMail, MailOutbox, Message, Request
from server.db.types import utcnow
from server.french import long_date_time
from server.mail import settings as mail_settings
from server.mail.addresses import AddressError, check_address
from server.mail.outbox import enqueue
from server.services import attachments as attachment_service
from server.services import citizens as citizen_service
from server.services import requests as request_service
from server.services.common import add_event, stamp
from sync.protocol.files import MAX_FILES_PER_REQUEST, attachment_problem
from sync.protocol.inbound_mail import InboundAttachment
from sync.protocol.inbound_mail import InboundMail as ParsedMail
from sync.protocol.reference import request_reference
from sync.protocol.vocabulary import Channel, CitizenKind, EventKind
from sync.protocol.wire import (
    AttachmentLinkArgs,
    CitizenFields,
    MessageDirection,
    RequestCreateArgs,
)

log = logging.getLogger(__name__)

REQUEST, REPLY, UNREADABLE = "request", "reply", "unreadable"


@dataclass
class FileOutcome:
    name: str
    accepted: bool
    reason: str | None = None


@dataclass
class IntakeResult:
    """What became of one mail (for the poller's log and the tests)."""

    outcome: str  # request, reply, unreadable, or "duplicate" when already registered
    request_id: uuid.UUID | None
    number: str | None = None
    message_row_id: uuid.UUID | None = None
    files: list[FileOutcome] = field(default_factory=list)


def already_registered(session: Session, authority_id: uuid.UUID, key: str) -> InboundMail | None:
    return session.execute(
        select(InboundMail).where(
            InboundMail.authority_id == authority_id, InboundMail.message_key == key
        )
    ).scalar_one_or_none()


def _received_at(parsed: ParsedMail, now: datetime) -> datetime:
    """The Date header when there is one, never in the future (a sender's clock ahead, or a
    forged date, must not move the legal receipt past the moment the mairie actually has it)."""
    if parsed.received_at is None or parsed.received_at > now:
        return now
    return parsed.received_at


def _citizen(session: Session, authority_id: uuid.UUID, parsed: ParsedMail) -> uuid.UUID | None:
    """The citizen with this address in the commune (the most recently updated when several
    share it), or a new one named after the display name (or the address itself)."""
    if parsed.sender_email is None:
        return None
    found = session.execute(
        select(Citizen.id)
        .where(Citizen.authority_id == authority_id,
               func.lower(Citizen.email) == parsed.sender_email)
        .order_by(Citizen.updated_at.desc())
        .limit(1)
    ).scalar_one_or_none()  # fmt: skip
    if found is not None:
        return found
    name = (parsed.sender_name or parsed.sender_email)[:200]
    try:
        fields = CitizenFields(kind=CitizenKind.PERSON, last_name=name, email=parsed.sender_email)
    except ValidationError:  # an address our rules refuse: the name still says who wrote
        fields = CitizenFields(kind=CitizenKind.PERSON, last_name=name)
    return citizen_service.create_row(session, None, uuid.uuid4(), authority_id, fields).id


def _thread(
    session: Session, authority_id: uuid.UUID, references: tuple[str, ...]
) -> Message | None:
    """The outgoing message of ours this mail answers, if any (the most recent reference
    wins: References lists the thread oldest first, In-Reply-To comes first in ours)."""
    if not references:
        return None
    headers = [f"<{ref}>" for ref in references]
    rows = session.execute(
        select(Message)
        .outerjoin(MailOutbox, MailOutbox.message_id == Message.id)
        .where(
            Message.authority_id == authority_id,
            Message.direction == MessageDirection.OUTBOUND.value,
            or_(Message.smtp_message_id.in_(headers), MailOutbox.header_id.in_(headers)),
        )
    ).scalars().all()  # fmt: skip
    if not rows:
        return None
    by_header = {row.smtp_message_id: row for row in rows if row.smtp_message_id}
    for header in headers:
        if header in by_header:
            return by_header[header]
    return rows[0]


def _attach(
    session: Session,
    blobs: BlobStore,
    request: Request,
    files: tuple[InboundAttachment, ...],
) -> tuple[list[uuid.UUID], list[FileOutcome]]:
    """Accepted files attached to the request (content checked, the shared rule and words);
    each refused one leaves an ``attachment_refused`` event with its reason."""
    attached: list[uuid.UUID] = []
    outcomes: list[FileOutcome] = []
    for file in files:
        name = safe_filename(file.name)
        reason = attachment_problem(file.content, name)
        if reason is None and len(attached) >= MAX_FILES_PER_REQUEST:
            reason = (
                f"Au plus {MAX_FILES_PER_REQUEST} pièces jointes par demande : « {name} » "
                "n'a pas été reprise ; elle reste dans le courriel conservé dans la boîte de "
                "la mairie."
            )
        if reason is not None:
            add_event(session, request.authority_id, request.id, EventKind.ATTACHMENT_REFUSED,
                      None, {"filename": name, "reason": reason,
                             "declared_type": file.declared_type[:100]})  # fmt: skip
            outcomes.append(FileOutcome(name, False, reason))
            continue
        blob = attachment_service.store_blob(session, blobs, request.authority_id,
                                             file.content, name)  # fmt: skip
        change = attachment_service.link(
            session, None,
            AttachmentLinkArgs(id=uuid.uuid4(), authority_id=request.authority_id,
                               request_id=request.id, sha256=blob.sha256, filename=name),
            None,
        )  # fmt: skip
        attached.append(change.row.id)
        outcomes.append(FileOutcome(name, True))
    return attached, outcomes


def _queue_receipt(session: Session, request: Request, parsed: ParsedMail) -> uuid.UUID | None:
    """The registration receipt (CRPA L112-11) e-mailed back at once through the commune's
    outgoing mail, when it has one; never to a robot (auto-reply, bounce, list). Its Message-ID
    is ours: the citizen's answer to it lands in this request's thread."""
    if parsed.sender_email is None or parsed.auto_submitted:
        return None
    if mail_settings.load(session, request.authority_id) is None:
        return None
    try:
        to_email = check_address(parsed.sender_email)
    except AddressError:
        return None
    authority = session.get(Authority, request.authority_id)
    name = authority.name if authority is not None else "La mairie"
    # The number as every screen and letter shows it (« 67348-2026-000165 »).
    number = request_reference(authority.insee_code or "" if authority else "", request.number)
    body = (
        f"Bonjour,\n\nVotre courriel « {parsed.subject} » a bien été enregistré par {name} "
        f"sous le numéro {number}, le {long_date_time(request.received_at)}.\n\n"
        "Cet accusé d'enregistrement ne vaut pas accusé de réception : celui-ci vous sera "
        "adressé par le service chargé de votre demande. Rappelez ce numéro dans vos "
        "échanges ; vous pouvez répondre à ce courriel pour compléter votre demande.\n"
    )
    message = Message(
        id=uuid.uuid4(), authority_id=request.authority_id, request_id=request.id,
        direction=MessageDirection.OUTBOUND.value, channel=Channel.EMAIL.value,
        subject=f"Accusé d'enregistrement de votre demande n° {number}"[:200],
        body=body, at=utcnow(), agent_id=None, to_email=to_email, attachment_ids=[],
    )  # fmt: skip
    session.add(stamp(session, message))
    session.flush()
    enqueue(session, message)
    return message.id


def register(
    session: Session,
    blobs: BlobStore,
    authority_id: uuid.UUID,
    parsed: ParsedMail,
    *,
    now: datetime | None = None,
) -> IntakeResult:
    """Registers one parsed mail (the caller commits). Idempotent by Message-ID."""
    now = now or utcnow()
    if already_registered(session, authority_id, parsed.message_id) is not None:
        return IntakeResult("duplicate", None)
    received_at = _received_at(parsed, now)
    original = _thread(session, authority_id, parsed.references)
    if original is not None:
        return _register_reply(session, blobs, original, parsed, received_at)
    citizen_id = _citizen(session, authority_id, parsed)
    request = request_service.create(
        session, None,
        RequestCreateArgs(
            id=uuid.uuid4(), authority_id=authority_id, channel=Channel.EMAIL,
            subject=parsed.subject[:200], description=parsed.text, citizen_id=citizen_id,
        ),
        authority_checked=True, trusted_received_at=received_at,
    )  # fmt: skip
    _, files = _attach(session, blobs, request, parsed.attachments)
    _queue_receipt(session, request, parsed)
    session.flush()  # the request first: the log row points at it
    session.add(InboundMail(
        id=uuid.uuid4(), authority_id=authority_id, message_key=parsed.message_id,
        outcome=REQUEST, request_id=request.id, registered_at=now,
    ))  # fmt: skip
    audit.record(session, None, "mail_intake", "requests", request.id, authority_id,
                 {"attachments": sum(f.accepted for f in files),
                  "refused": sum(not f.accepted for f in files)})  # fmt: skip
    return IntakeResult(REQUEST, request.id, request.number, files=files)


def _register_reply(
    session: Session,
    blobs: BlobStore,
    original: Message,
    parsed: ParsedMail,
    received_at: datetime,
) -> IntakeResult:
    request = session.get(Request, original.request_id)
    assert request is not None  # messages cascade with their request
    attached, files = _attach(session, blobs, request, parsed.attachments)
    message = Message(
        id=uuid.uuid4(), authority_id=request.authority_id, request_id=request.id,
        direction=MessageDirection.INBOUND.value, channel=Channel.EMAIL.value,
        subject=parsed.subject[:200], body=parsed.text, at=received_at, agent_id=None,
        to_email=None, attachment_ids=[str(a) for a in attached],
    )  # fmt: skip
    session.add(stamp(session, message))
    session.flush()
    data = {
        "message_id": str(message.id),
        "direction": message.direction,
        "from_email": parsed.sender_email or "",
        "in_reply_to": str(original.id),
    }
    add_event(session, request.authority_id, request.id, EventKind.MESSAGE_ADDED, None, data)
    session.flush()  # the request first: the log row points at it
    session.add(InboundMail(
        id=uuid.uuid4(), authority_id=request.authority_id, message_key=parsed.message_id,
        outcome=REPLY, request_id=request.id, message_row_id=message.id,
    ))  # fmt: skip
    audit.record(session, None, "mail_intake", "messages", message.id, request.authority_id,
                 {"request_id": str(request.id)})  # fmt: skip
    return IntakeResult(REPLY, request.id, request.number, message.id, files)


def register_unreadable(
    session: Session,
    authority_id: uuid.UUID,
    key: str,
    headers: ParsedMail | None,
    error: str,
    kept_in: str,
    *,
    now: datetime | None = None,
) -> IntakeResult:
    """A mail that could not be read (too big, too many parts…) still reaches the bannette,
    as a request that says why and where the original is kept; its sender and subject come
    from its headers when those could be read."""
    now = now or utcnow()
    if already_registered(session, authority_id, key) is not None:
        return IntakeResult("duplicate", None)
    citizen_id = _citizen(session, authority_id, headers) if headers is not None else None
    subject = "Courriel illisible"
    if headers is not None and headers.subject:
        subject = f"Courriel illisible : {headers.subject}"[:200]
    description = (
        f"Ce courriel n'a pas pu être lu : {error} Il est conservé dans le dossier "
        f"« {kept_in} » de la boîte aux lettres de la mairie : ouvrez-le avec la messagerie."
    )
    received_at = _received_at(headers, now) if headers is not None else now
    request = request_service.create(
        session, None,
        RequestCreateArgs(id=uuid.uuid4(), authority_id=authority_id, channel=Channel.EMAIL,
                          subject=subject, description=description, citizen_id=citizen_id),
        authority_checked=True, trusted_received_at=received_at,
    )  # fmt: skip
    session.flush()  # the request first: the log row points at it
    session.add(InboundMail(
        id=uuid.uuid4(), authority_id=authority_id, message_key=key, outcome=UNREADABLE,
        request_id=request.id, registered_at=now,
    ))  # fmt: skip
    return IntakeResult(UNREADABLE, request.id, request.number)
