"""The request's thread: every message exchanged with the citizen, in and out.

Outgoing e-mail is never sent by the PC: « Écrire à l'usager » writes the message row here
(``delivery`` queued: « en attente d'envoi ») and queues ``message.add`` with ``to_email`` in
the same transaction, with the ``attachment.link`` of each file joined before it (the server
only sends files it knows as the request's). The server sends it after the push and the next
pull brings the proof of sending (or the failure) onto the same row, by its id. A message
given by other means (courrier, téléphone, guichet) is only recorded.

Incoming messages (the citizen's replies, read by the server over IMAP) arrive by the pull;
``read_at`` is this PC's own note that an agent has seen them, so the bannette can mark the
requests with something new to read.

No Qt, no HTTP.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from desktop.domain.legal_time import read, utc_now
from desktop.domain.workflow import DomainEvent
from desktop.store.attachments import attach_checked, read_checked
from desktop.store.database import StoreError, transaction
from desktop.store.ids import iso, new_id
from desktop.store.outbox import enqueue_for_request, server_may_know
from desktop.store.requests import department_of, insert_event, live_request, reference_of
from sync.protocol.addresses import AddressError, check_address
from sync.protocol.vocabulary import CHANNEL_LABELS, Channel, EventKind
from sync.protocol.wire import MessageDirection, MutationName

#: Wire limits of ``MessageAddArgs``, checked here with a French sentence.
MAX_SUBJECT = 200
MAX_BODY = 20_000
MAX_FILES = 20
#: The ways a message may leave without the server's e-mail, in the order the dialog offers.
OTHER_MEANS: tuple[Channel, ...] = (Channel.PAPER, Channel.PHONE, Channel.COUNTER)

NO_SERVER = (
    "Cette demande n'est pas partagée avec le serveur : aucun courriel ne peut partir. "
    "Consignez plutôt un échange par courrier, téléphone ou au guichet."
)


@dataclass(frozen=True)
class ThreadMessage:
    """One message of the thread, its instants in the commune's legal zone."""

    pk: int
    id: str
    direction: MessageDirection
    channel: Channel
    subject: str
    body: str
    at: datetime
    agent: str | None
    to_email: str | None
    delivery: str | None
    delivered_at: datetime | None
    smtp_response: str | None
    failure: str | None
    attachment_ids: tuple[str, ...]
    unread: bool

    @property
    def incoming(self) -> bool:
        return self.direction is MessageDirection.INBOUND

    @property
    def state(self) -> str:
        """Where an outgoing e-mail is, in French; empty for anything else."""
        if self.incoming:
            return ""
        if self.delivery is None:  # a message given by other means: only a refusal to say
            return f"échec : {self.failure}" if self.failure else ""
        if self.delivery == "sent":
            when = f" le {self.delivered_at:%d/%m/%Y à %H:%M}" if self.delivered_at else ""
            return f"envoyé{when}"
        if self.delivery == "failed":
            return f"échec : {self.failure or 'courriel refusé'}"
        if self.delivery == "posted":
            return "envoyé par courrier"
        if self.failure:  # a temporary failure, retried by the server
            return f"en attente d'envoi — {self.failure}"
        return "en attente d'envoi"

    @property
    def channel_label(self) -> str:
        return CHANNEL_LABELS[self.channel]


def thread(conn: sqlite3.Connection, request_pk: int) -> list[ThreadMessage]:
    """The request's messages, oldest first: read top to bottom like a mail conversation,
    the latest just above « Écrire à l'usager »."""
    department = department_of(conn, request_pk)
    rows = conn.execute(
        """SELECT m.pk, m.id, m.direction, m.channel, m.subject, m.body, m.at,
                  ag.display_name, m.to_email, m.delivery, m.delivered_at, m.smtp_response,
                  m.failure, m.attachment_ids, m.read_at
           FROM message m LEFT JOIN agent ag ON ag.pk = m.agent_pk
           WHERE m.request_pk = ? AND m.deleted = 0 ORDER BY m.at, m.pk""",
        (request_pk,),
    ).fetchall()
    messages = []
    for r in rows:
        direction = MessageDirection(r[2])
        at = read(r[6], department)
        assert at is not None
        messages.append(ThreadMessage(
            pk=int(r[0]), id=str(r[1]), direction=direction, channel=_channel(r[3]),
            subject=str(r[4] or ""), body=str(r[5] or ""), at=at, agent=r[7],
            to_email=r[8], delivery=r[9], delivered_at=read(r[10], department),
            smtp_response=r[11], failure=r[12], attachment_ids=_ids(r[13]),
            unread=direction is MessageDirection.INBOUND and r[14] is None,
        ))
    return messages


def _channel(value: object) -> Channel:
    try:
        return Channel(str(value))
    except ValueError:
        return Channel.EMAIL


def _ids(text: object) -> tuple[str, ...]:
    try:
        value = json.loads(str(text or "[]"))
    except ValueError:
        return ()
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def attachment_names(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, str]:
    """The file name of each attachment id still joined to its request (a file removed
    since is absent: the thread says so)."""
    names: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        names.update(conn.execute(
            f"SELECT id, filename FROM attachment WHERE deleted = 0 AND id IN ({marks})", chunk
        ).fetchall())
    return names


def unread_count(conn: sqlite3.Connection, request_pk: int) -> int:
    return int(conn.execute(
        "SELECT COUNT(*) FROM message WHERE request_pk = ? AND direction = 'inbound' "
        "AND read_at IS NULL AND deleted = 0", (request_pk,),
    ).fetchone()[0])


def unread_total(conn: sqlite3.Connection) -> int:
    """Incoming messages not yet read on this PC, all requests together (partial index)."""
    return int(conn.execute(
        "SELECT COUNT(*) FROM message WHERE direction = 'inbound' AND read_at IS NULL "
        "AND deleted = 0"
    ).fetchone()[0])


def mark_read(conn: sqlite3.Connection, request_pk: int, now: datetime | None = None) -> bool:
    """The agent has the request's thread in front of her: its incoming messages are read.
    True when something changed (the bannette's mark goes)."""
    cur = conn.execute(
        "UPDATE message SET read_at = ? WHERE request_pk = ? AND direction = 'inbound' "
        "AND read_at IS NULL AND deleted = 0", (iso(now or utc_now()), request_pk),
    )
    return cur.rowcount > 0


@dataclass(frozen=True)
class Recipient:
    """Who « Écrire à l'usager » writes to: the request's number and the citizen's address."""

    number: str
    citizen: str
    email: str
    shared: bool

    @property
    def subject(self) -> str:
        return f"Votre demande n° {self.number}"


def recipient(conn: sqlite3.Connection, request_pk: int) -> Recipient:
    row = live_request(conn, request_pk, "id, version, number, citizen_pk")
    citizen = conn.execute(
        "SELECT display_name, email FROM citizen WHERE pk = ?", (row["citizen_pk"],)
    ).fetchone()
    return Recipient(
        number=reference_of(conn, request_pk), citizen=str(citizen[0]) if citizen else "",
        email=str(citizen[1] or "").strip() if citizen else "",
        shared=server_may_know(conn, row["id"], row["version"]),
    )


@dataclass(frozen=True)
class Outgoing:
    """A message the agent writes. ``channel`` email leaves by the server to ``to_email``;
    any other channel records a message given by other means."""

    subject: str
    body: str
    channel: Channel = Channel.EMAIL
    to_email: str = ""
    files: Sequence[Path] = ()


def outgoing_problems(message: Outgoing) -> list[str]:
    """Everything wrong with the message, in French, one sentence each (nothing is written)."""
    problems: list[str] = []
    if message.channel is Channel.EMAIL:
        address = message.to_email.strip()
        if not address:
            problems.append("Indiquez l'adresse électronique de l'usager.")
        else:
            try:
                check_address(address)
            except AddressError as exc:
                problems.append(str(exc))  # « Adresse électronique invalide : « … ». »
    elif message.channel not in OTHER_MEANS:
        problems.append("Choisissez comment le message a été transmis.")
    if not message.subject.strip():
        problems.append("L'objet du message est obligatoire.")
    elif len(message.subject.strip()) > MAX_SUBJECT:
        problems.append(f"L'objet compte {len(message.subject.strip())} caractères : "
                        f"{MAX_SUBJECT} au plus.")
    if not message.body.strip():
        problems.append("Le message est vide.")
    elif len(message.body) > MAX_BODY:
        problems.append("Le message dépasse 20 000 caractères : joignez plutôt un document.")
    if len(message.files) > MAX_FILES:
        problems.append(f"{len(message.files)} pièces jointes : {MAX_FILES} au plus.")
    return problems


def write_to_citizen(
    conn: sqlite3.Connection, request_pk: int, message: Outgoing, *,
    agent_id: str | None, now: datetime | None = None,
) -> str:
    """Writes the message into the thread and queues it for the server; returns its id.

    Every file is read and checked (PDF, JPG or PNG by content, 5 MB) before anything is
    written; then the attachments, the message, its history line and the mutations go in ONE
    transaction. Raises ``StoreError`` (French) and then nothing is written."""
    problems = outgoing_problems(message)
    files = []
    for path in message.files:
        try:
            files.append((path.name, read_checked(path, path.name)))
        except StoreError as exc:
            problems.append(str(exc))
    if problems:
        raise StoreError("\n".join(problems))
    now = now or utc_now()
    email = message.channel is Channel.EMAIL
    message_id = new_id()
    with transaction(conn):
        row = live_request(conn, request_pk, "id, version")
        shared = server_may_know(conn, row["id"], row["version"])
        if email and not shared:
            raise StoreError(NO_SERVER)
        attachment_ids = [attach_checked(conn, request_pk, name, data, agent_id=agent_id,
                                         now=now) for name, data in files]
        agent = conn.execute("SELECT pk FROM agent WHERE id = ?", (agent_id,)).fetchone() \
            if agent_id else None
        conn.execute(
            """INSERT INTO message (id, request_pk, direction, channel, subject, body, at,
                   agent_pk, attachment_ids, to_email, delivery)
               VALUES (?, ?, 'outbound', ?, ?, ?, ?, ?, ?, ?, ?)""",
            (message_id, request_pk, message.channel.value, message.subject.strip(),
             message.body.strip(), iso(now), agent[0] if agent else None,
             json.dumps(attachment_ids), message.to_email.strip() if email else None,
             "queued" if email else None),
        )
        insert_event(conn, request_pk, DomainEvent(
            EventKind.MESSAGE_ADDED, now, agent_id,
            {"message_id": message_id, "direction": MessageDirection.OUTBOUND.value},
        ))
        enqueue_for_request(conn, request_pk, MutationName.MESSAGE_ADD, {
            "id": message_id, "direction": MessageDirection.OUTBOUND.value,
            "channel": message.channel.value, "subject": message.subject.strip(),
            "body": message.body.strip(),
            "to_email": message.to_email.strip() if email else None,
            "attachment_ids": attachment_ids,
        })
    return message_id
