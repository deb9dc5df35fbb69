"""Registration numbers per authority and year (``2026-000123``), allocated in the write
transaction so two requests can never share a number."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from server.db.models import ReceiptCounter

PARIS = ZoneInfo("Europe/Paris")

_BATCH = "bannette.receipt_numbers"

CounterKey = tuple[uuid.UUID, int]


class BatchNumbers:
    """The counters of one write transaction, kept in memory and written back once.

    A push of 100 requests read and updated the counter row (and flushed the session) for each
    of them. Inside ``Database.write`` the writer lock is held until commit, so nobody else can
    number meanwhile: the counter is read once per (authority, year), numbers are handed out in
    memory, and ``write_back`` stores the last one before commit. Numbers stay gapless: a
    mutation rolled back gives its number back (``mark``/``restore`` around its savepoint)."""

    def __init__(self) -> None:
        self._last: dict[CounterKey, int] = {}
        #: The counter as read from the database (None: no row yet for that year).
        self._stored: dict[CounterKey, int | None] = {}

    def take(self, session: Session, key: CounterKey) -> int:
        if key not in self._last:
            with session.no_autoflush:
                stored = session.execute(
                    select(ReceiptCounter.last).where(ReceiptCounter.authority_id == key[0],
                                                      ReceiptCounter.year == key[1])
                ).scalar_one_or_none()
            self._stored[key] = stored
            self._last[key] = stored or 0
        self._last[key] += 1
        return self._last[key]

    def mark(self) -> dict[CounterKey, int]:
        """Where the counters are: ``restore`` it when the work since is rolled back."""
        return dict(self._last)

    def restore(self, mark: dict[CounterKey, int]) -> None:
        for key in self._last:
            # A counter first read after the mark goes back to its stored value.
            self._last[key] = mark.get(key, self._stored[key] or 0)

    def write_back(self, session: Session) -> None:
        """Stores the counters that moved (call once, just before commit)."""
        for key, last in self._last.items():
            stored = self._stored[key]
            if stored is None and last > 0:
                session.execute(insert(ReceiptCounter).values(
                    authority_id=key[0], year=key[1], last=last))
            elif stored is not None and last != stored:
                session.execute(update(ReceiptCounter).where(
                    ReceiptCounter.authority_id == key[0], ReceiptCounter.year == key[1],
                ).values(last=last))
            self._stored[key] = last if last > 0 or stored is not None else None


def begin_batch(session: Session) -> BatchNumbers:
    """Numbers of this session's transaction come from memory until ``end_batch``; the caller
    holds the writer lock (``Database.write``)."""
    numbers = BatchNumbers()
    session.info[_BATCH] = numbers
    return numbers


def end_batch(session: Session) -> None:
    """Writes the counters back and returns to numbering straight in the database."""
    numbers: BatchNumbers | None = session.info.pop(_BATCH, None)
    if numbers is not None:
        numbers.write_back(session)


def batch_numbers(session: Session) -> BatchNumbers | None:
    return session.info.get(_BATCH)


def next_number(session: Session, authority_id: uuid.UUID, received_at: datetime) -> str:
    # The year of the legal receipt date, in French time (a request of 31 Dec 23:30 UTC+1...).
    year = received_at.astimezone(PARIS).year
    numbers = batch_numbers(session)
    if numbers is not None:
        return f"{year}-{numbers.take(session, (authority_id, year)):06d}"
    counter = session.get(ReceiptCounter, (authority_id, year))
    if counter is None:
        counter = ReceiptCounter(authority_id=authority_id, year=year, last=0)
        session.add(counter)
    counter.last += 1
    session.flush()
    return f"{year}-{counter.last:06d}"
