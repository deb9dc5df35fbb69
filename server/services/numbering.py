"""Registration numbers per authority and year (``2026-000123``), allocated in the write
transaction so two requests can never share a number."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from server.db.models import ReceiptCounter

PARIS = ZoneInfo("Europe/Paris")


def next_number(session: Session, authority_id: uuid.UUID, received_at: datetime) -> str:
    # The year of the legal receipt date, in French time (a request of 31 Dec 23:30 UTC+1...).
    year = received_at.astimezone(PARIS).year
    counter = session.get(ReceiptCounter, (authority_id, year))
    if counter is None:
        counter = ReceiptCounter(authority_id=authority_id, year=year, last=0)
        session.add(counter)
    counter.last += 1
    session.flush()
    return f"{year}-{counter.last:06d}"
