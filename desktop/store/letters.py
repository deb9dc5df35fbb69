"""The letters of a request: each one produced, and, apart, when and how it was sent.

Producing a letter is not sending it (issue 9): the acknowledgement counts for the legal delay
from the day it left the mairie, which the secrétaire records with « Marquer comme envoyé ».
Every production is kept (a letter produced again is a new edition beside the old one), and a
letter produced as Word only can be converted to PDF later. Knows nothing of Qt.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime

from desktop.documents.render import LetterKind
from desktop.domain.legal_time import as_instant, in_zone, local_day, parse_stored
from desktop.domain.workflow import DomainEvent, TransitionError
from desktop.store import legal
from desktop.store.database import StoreError, transaction
from desktop.store.ids import iso, new_id
from desktop.store.requests import department_of, insert_event, instant_text, live_request
from sync.protocol.vocabulary import EventKind, SendMode
from sync.protocol.wire import day_instant

#: The letter kinds whose sending is the legal step itself.
ACKNOWLEDGEMENT = LetterKind.ACKNOWLEDGEMENT.value
REGISTRATION_RECEIPT = LetterKind.REGISTRATION_RECEIPT.value


@dataclass(frozen=True)
class LetterRecord:
    """One production of one letter; ``sent_on`` None while it has not left."""

    pk: int
    kind: str
    edition: int
    produced_at: datetime  # in the commune's zone
    docx: str
    pdf: str | None
    sent_on: date | None
    sent_mode: SendMode | None

    @property
    def sent(self) -> bool:
        return self.sent_on is not None


def letters_of(conn: sqlite3.Connection, request_pk: int) -> list[LetterRecord]:
    """Every letter produced for the request, in production order."""
    department = department_of(conn, request_pk)
    return [
        LetterRecord(
            pk=r["pk"],
            kind=r["kind"],
            edition=r["edition"],
            produced_at=in_zone(parse_stored(r["produced_at"]), department),
            docx=r["docx"],
            pdf=r["pdf"],
            sent_on=date.fromisoformat(r["sent_on"]) if r["sent_on"] else None,
            sent_mode=SendMode(r["sent_mode"]) if r["sent_mode"] else None,
        )
        for r in conn.execute(
            "SELECT pk, kind, edition, produced_at, docx, pdf, sent_on, sent_mode FROM letter "
            "WHERE request_pk = ? ORDER BY produced_at, pk",
            (request_pk,),
        )
    ]


def latest_editions(letters: list[LetterRecord]) -> list[LetterRecord]:
    """The newest edition of each kind (older ones are kept on disk, superseded)."""
    latest: dict[str, LetterRecord] = {}
    for letter in letters:
        if letter.kind not in latest or letter.edition > latest[letter.kind].edition:
            latest[letter.kind] = letter
    return sorted(latest.values(), key=lambda x: (x.produced_at, x.pk))


def next_edition(conn: sqlite3.Connection, request_pk: int, kind: str) -> int:
    row = conn.execute(
        "SELECT MAX(edition) FROM letter WHERE request_pk = ? AND kind = ?", (request_pk, kind)
    ).fetchone()
    return int(row[0] or 0) + 1


def record_produced(
    conn: sqlite3.Connection,
    request_pk: int,
    *,
    kind: str,
    edition: int,
    docx: str,
    pdf: str | None,
    at: datetime,
    agent_id: str | None,
) -> int:
    """A letter was produced (files on disk): note it, and in the history for the receipts,
    whose production no longer says they were sent. Returns the letter's pk."""
    with transaction(conn):
        live_request(conn, request_pk, "pk")
        cur = conn.execute(
            "INSERT INTO letter (id, request_pk, kind, edition, produced_at, produced_by, docx, "
            "pdf) VALUES (?, ?, ?, ?, ?, (SELECT pk FROM agent WHERE id = ?), ?, ?)",
            (new_id(), request_pk, kind, edition, instant_text(conn, request_pk, at), agent_id,
             docx, pdf),
        )
        if kind in (ACKNOWLEDGEMENT, REGISTRATION_RECEIPT):
            files = [name for name in (docx, pdf) if name]
            insert_event(conn, request_pk, DomainEvent(
                EventKind.LETTER_PRODUCED, at, agent_id,
                {"letter": kind, "edition": edition, "files": files},
            ))
        return int(cur.lastrowid or 0)


def record_pdf(conn: sqlite3.Connection, letter_pk: int, pdf: str) -> None:
    """The letter's PDF was made later (« Convertir en PDF »)."""
    with transaction(conn):
        conn.execute("UPDATE letter SET pdf = ? WHERE pk = ?", (pdf, letter_pk))


def sending_problem(
    letter: LetterRecord, sent_on: date, today: date
) -> str | None:
    """Why ``sent_on`` cannot be the day this letter left (French), or None."""
    if letter.sent:
        return "Ce courrier est déjà marqué comme envoyé."
    if sent_on > today:
        return "La date d'envoi ne peut pas être dans le futur."
    if sent_on < letter.produced_at.date():
        return "Un courrier ne peut pas être envoyé avant d'avoir été produit."
    return None


def mark_sent(
    conn: sqlite3.Connection,
    letter_pk: int,
    *,
    sent_on: date,
    mode: SendMode,
    at: datetime,
    agent_id: str | None,
) -> None:
    """Record that a produced letter left on ``sent_on`` by ``mode``.

    For the acknowledgement and the registration receipt this is the legal step itself
    (L112-3, L112-11): the request is acknowledged as of that day, and the server told with the
    day and the mode. ``at`` is now (aware, or the commune's wall time); a past day is dated at
    ``day_instant`` like the server does, so both hold the same instant.
    """
    row = conn.execute(
        "SELECT request_pk, kind FROM letter WHERE pk = ?", (letter_pk,)
    ).fetchone()
    if row is None:
        raise StoreError("Ce courrier n'existe plus dans la base locale.")
    request_pk, kind = int(row[0]), str(row[1])
    department = department_of(conn, request_pk)
    now = as_instant(at, department)
    today = local_day(now, department)
    [letter] = [x for x in letters_of(conn, request_pk) if x.pk == letter_pk]
    problem = sending_problem(letter, sent_on, today)
    if problem:
        raise TransitionError(problem)
    when = now if sent_on == today else day_instant(sent_on)
    files = [name for name in (letter.docx, letter.pdf) if name]
    detail: dict[str, object] = {"files": files, "sent_on": sent_on.isoformat(),
                                 "mode": mode.value}
    with transaction(conn):
        if kind == ACKNOWLEDGEMENT:
            legal.acknowledge_in_transaction(
                conn, request_pk, at=when, agent_id=agent_id, detail=detail,
                sent_on=sent_on, mode=mode,
            )
        elif kind == REGISTRATION_RECEIPT:
            legal.registration_receipt_in_transaction(
                conn, request_pk, at=when, agent_id=agent_id, detail=detail
            )
        conn.execute(
            "UPDATE letter SET sent_on = ?, sent_mode = ?, sent_at = ?, "
            "sent_by = (SELECT pk FROM agent WHERE id = ?) WHERE pk = ?",
            (sent_on.isoformat(), mode.value, iso(now), agent_id, letter_pk),
        )

