"""An e-mail (``.eml``, Outlook ``.msg``) registered as a request of the « courriel » channel.

One reading and one registration for every desktop door: a file dropped on the bannette or on
« Nouvelle demande », and ``python -m desktop import-mail``. The message is read by the shared
parser (``sync.protocol.inbound_mail``, the one the server's IMAP intake uses: bounded, French
errors), then:

* the sender is the citizen of the commune with that address (the most recent), or a new
  citizen named after the display name (« DUPONT Jean », « Jean Dupont ») or the address;
* subject, text (HTML-only mail made text), the day the mail was sent (its Date header; the
  present when absent or in the future) fill the request;
* each attachment is checked by content like any other file (PDF, JPG, PNG, 5 MB): accepted
  ones are attached, refused ones are listed on the request (an ``attachment_refused`` history
  line) with their reason, and at most ``MAX_FILES_PER_REQUEST`` are taken from one mail;
* the request, its citizen, its files, the refusals and the mail's key (Message-ID, or a hash
  of the message when it has none) are written in ONE transaction: a failure leaves nothing.

The same mail registered twice for a commune is refused with the number it already has. The
check is this PC's (table ``mail_registration``): the server keeps its own list for the mail
it reads over IMAP, and a mail registered on another PC is not known here.

No Qt: the dialog and the command line call these functions.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from desktop.domain.legal_time import as_instant, utc_now
from desktop.domain.workflow import DomainEvent
from desktop.store.attachments import attach_checked
from desktop.store.database import StoreError
from desktop.store.ids import iso
from desktop.store.intake import (
    CitizenMatch,
    NewCitizen,
    NewRequest,
    authority_ref,
    register_request,
)
from desktop.store.outbox import server_may_know
from desktop.store.requests import insert_event, reference_of
from sync.protocol.addresses import AddressError, check_address
from sync.protocol.files import MAX_FILES_PER_REQUEST, attachment_problem
from sync.protocol.inbound_mail import InboundMail, InboundMailError, parse_mail_file
from sync.protocol.vocabulary import Channel, CitizenKind, EventKind

#: What a mail file is called; anything else dropped is not for this door.
MAIL_SUFFIXES = (".eml", ".msg")
UNKNOWN_SENDER = (
    "Le courriel n'indique pas d'expéditeur lisible : saisissez l'usager à la main."
)


class MailIntakeError(StoreError):
    """A mail that cannot be registered (French, as the user reads it)."""


@dataclass(frozen=True)
class MailFile:
    """An attachment of the mail and what becomes of it."""

    name: str
    accepted: bool
    reason: str | None = None
    content: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class Registered:
    request_pk: int
    number: str


@dataclass(frozen=True)
class MailDraft:
    """A mail read for a commune, ready to fill the intake (or be registered as is)."""

    file_name: str
    key: str
    sender_email: str
    sender_name: str
    subject: str
    body: str
    received_at: datetime  # aware
    citizen: CitizenMatch | None
    new_citizen: NewCitizen | None
    files: tuple[MailFile, ...]
    existing: Registered | None

    @property
    def accepted(self) -> tuple[MailFile, ...]:
        return tuple(f for f in self.files if f.accepted)

    @property
    def refused(self) -> tuple[MailFile, ...]:
        return tuple(f for f in self.files if not f.accepted)

    def entry(self, authority_pk: int, procedure_pk: int) -> NewRequest:
        """The request exactly as the mail gives it; raises when no citizen can be told."""
        if self.citizen is None and self.new_citizen is None:
            raise MailIntakeError(UNKNOWN_SENDER)
        return NewRequest(
            authority_pk=authority_pk, procedure_pk=procedure_pk, channel=Channel.EMAIL,
            received_at=self.received_at, subject=self.subject, body=self.body,
            citizen_pk=self.citizen.pk if self.citizen else None,
            new_citizen=None if self.citizen else self.new_citizen,
        )


def is_mail_file(path: Path) -> bool:
    return path.suffix.lower() in MAIL_SUFFIXES


def read_mail_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise MailIntakeError(f"Impossible de lire le fichier « {path.name} » : "
                              f"{exc.strerror or exc}.") from exc


def read_mail(
    conn: sqlite3.Connection, authority_pk: int, name: str, raw: bytes, *,
    now: datetime | None = None,
) -> MailDraft:
    """The mail in ``raw`` read for the commune; ``MailIntakeError`` (French) when it cannot
    be read at all. Nothing is written."""
    try:
        mail = parse_mail_file(name, raw)
    except InboundMailError as exc:
        raise MailIntakeError(str(exc)) from exc
    now = as_instant(now or utc_now())
    received = mail.received_at if mail.received_at and mail.received_at <= now else now
    email = _usable_address(mail.sender_email)
    citizen = _known_citizen(conn, authority_pk, email) if email else None
    new = None if citizen is not None else _new_citizen(mail, email)
    return MailDraft(
        file_name=name, key=mail.message_id, sender_email=email, sender_name=mail.sender_name,
        subject=mail.subject, body=mail.text, received_at=received.replace(microsecond=0),
        citizen=citizen, new_citizen=new, files=_files(mail, name),
        existing=registered(conn, authority_pk, mail.message_id),
    )


def _usable_address(address: str | None) -> str:
    """The sender's address when our strict rule takes it (else the citizen gets none)."""
    if not address:
        return ""
    try:
        return check_address(address)
    except AddressError:
        return ""


def _known_citizen(
    conn: sqlite3.Connection, authority_pk: int, email: str
) -> CitizenMatch | None:
    """The commune's citizen with this address, the most recent first; in a commune shared
    with the server, only one the server knows (or will)."""
    _id, shared = authority_ref(conn, authority_pk)
    for row in conn.execute(
        "SELECT pk, id, version, kind, display_name, email, phone, postcode, city FROM citizen "
        "WHERE authority_pk = ? AND deleted = 0 AND lower(email) = lower(?) ORDER BY pk DESC",
        (authority_pk, email),
    ):
        if not shared or server_may_know(conn, row[1], row[2]):
            return CitizenMatch(int(row[0]), CitizenKind(row[3]), row[4], row[5], row[6],
                                row[7], row[8])
    return None


_UPPER_WORD = re.compile(r"^[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’-]+$")


def _new_citizen(mail: InboundMail, email: str) -> NewCitizen | None:
    """A person named after the display name: « DUPONT Jean » (capitals first, as French
    forms write it) or « Jean Dupont »; the address's local part when there is no name."""
    words = mail.sender_name.replace(",", " ").split()
    if not words:
        local = (email or mail.sender_email or "").partition("@")[0]
        return NewCitizen(last_name=local[:200], email=email) if local else None
    if len(words) == 1:
        last, first = words[0], ""
    elif _UPPER_WORD.match(words[0]):
        last, first = words[0], " ".join(words[1:])
    else:
        last, first = words[-1], " ".join(words[:-1])
    return NewCitizen(last_name=last[:200], first_name=first[:200], email=email)


def _files(mail: InboundMail, file_name: str) -> tuple[MailFile, ...]:
    files: list[MailFile] = []
    taken = 0
    for attachment in mail.attachments:
        reason = attachment_problem(attachment.content, attachment.name)
        if reason is None and taken >= MAX_FILES_PER_REQUEST:
            reason = (f"Au plus {MAX_FILES_PER_REQUEST} pièces jointes par demande : "
                      f"« {attachment.name} » n'a pas été reprise ; elle reste dans le courriel "
                      f"« {file_name} ».")
        if reason is None:
            taken += 1
            files.append(MailFile(attachment.name, True, None, attachment.content))
        else:
            files.append(MailFile(attachment.name, False, reason))
    return tuple(files)


def registered(conn: sqlite3.Connection, authority_pk: int, key: str) -> Registered | None:
    """The request this mail already became in the commune, if any."""
    row = conn.execute(
        "SELECT r.pk, r.number FROM mail_registration m JOIN request r ON r.pk = m.request_pk "
        "WHERE m.authority_pk = ? AND m.message_id = ? AND r.deleted = 0",
        (authority_pk, key),
    ).fetchone()
    return Registered(int(row[0]), reference_of(conn, int(row[0]))) if row else None


def mail_key(name: str, raw: bytes) -> str:
    """The mail's key (Message-ID, or a hash of the message), whatever the commune."""
    try:
        return parse_mail_file(name, raw).message_id
    except InboundMailError as exc:
        raise MailIntakeError(str(exc)) from exc


def registered_anywhere(conn: sqlite3.Connection, key: str) -> Registered | None:
    """The request this mail became in any commune of this PC (the most recent)."""
    row = conn.execute(
        "SELECT r.pk, r.number FROM mail_registration m JOIN request r ON r.pk = m.request_pk "
        "WHERE m.message_id = ? AND r.deleted = 0 ORDER BY m.registered_at DESC LIMIT 1",
        (key,),
    ).fetchone()
    return Registered(int(row[0]), reference_of(conn, int(row[0]))) if row else None


def already_said(existing: Registered) -> str:
    return (f"Ce courriel est déjà enregistré : demande n° {existing.number}. "
            "Il n'a pas été enregistré une seconde fois.")


def register_mail(
    conn: sqlite3.Connection, draft: MailDraft, new: NewRequest, *,
    agent_id: str | None, now: datetime | None = None,
) -> Registered:
    """Registers ``new`` (the intake as the agent left it, or ``draft.entry``) with the mail's
    accepted files, its refused ones and its key, in one transaction."""
    existing = registered(conn, new.authority_pk, draft.key)
    if existing is not None:
        raise MailIntakeError(already_said(existing))
    at = now or utc_now()

    def attach(pk: int) -> None:
        for file in draft.accepted:
            attach_checked(conn, pk, file.name, file.content, agent_id=agent_id, now=at)
        for file in draft.refused:
            insert_event(conn, pk, DomainEvent(
                EventKind.ATTACHMENT_REFUSED, at, agent_id,
                {"filename": file.name, "reason": file.reason or ""},
            ))
        conn.execute(
            "INSERT INTO mail_registration (authority_pk, message_id, request_pk, "
            "registered_at) VALUES (?, ?, ?, ?)", (new.authority_pk, draft.key, pk, iso(at)),
        )

    pk = register_request(conn, new, agent_id=agent_id, now=at, then=attach)
    return Registered(pk, reference_of(conn, pk))
