"""The deadlines view, the implicit-decision sweep and the morning summary. No Qt here."""

from __future__ import annotations

import sqlite3
from datetime import date

from desktop.store import legal
from desktop.store.legal import DeadlineEntry, DeadlineSection

SECTION_TITLES: dict[DeadlineSection, str] = {
    DeadlineSection.OVERDUE: "En retard",
    DeadlineSection.TODAY: "Aujourd'hui",
    DeadlineSection.THIS_WEEK: "Cette semaine",
    DeadlineSection.IMPLICIT_SOON: (
        f"Décisions implicites à venir ({legal.IMPLICIT_HORIZON_DAYS} jours)"
    ),
}


def _requests(n: int) -> str:
    return f"{n} demande{'s' if n > 1 else ''}"


def morning_summary(counts: dict[DeadlineSection, int]) -> str | None:
    """One French sentence for the notification; None when nothing is due or late."""
    parts = []
    if counts.get(DeadlineSection.OVERDUE):
        parts.append(f"{_requests(counts[DeadlineSection.OVERDUE])} en retard")
    if counts.get(DeadlineSection.TODAY):
        parts.append(f"{_requests(counts[DeadlineSection.TODAY])} à traiter aujourd'hui")
    if counts.get(DeadlineSection.IMPLICIT_SOON):
        n = counts[DeadlineSection.IMPLICIT_SOON]
        parts.append(
            f"{n} décision{'s' if n > 1 else ''} implicite{'s' if n > 1 else ''} "
            f"dans les {legal.IMPLICIT_HORIZON_DAYS} jours"
        )
    if not parts:
        return None
    return (", ".join(parts[:-1]) + " et " + parts[-1] if len(parts) > 1 else parts[0]) + "."


class DeadlineService:
    """Read the deadline sections and run the implicit-decision sweep on one connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def entries(
        self, section: DeadlineSection, today: date, limit: int | None = None
    ) -> list[DeadlineEntry]:
        return legal.deadline_entries(self._conn, section, today, limit)

    def counts(self, today: date) -> dict[DeadlineSection, int]:
        return legal.deadline_counts(self._conn, today)

    def record_implicit_decisions(self, today: date) -> list[int]:
        """Mark the requests whose silence became a decision by ``today`` (idempotent)."""
        return legal.record_implicit_decisions(self._conn, today)
