"""Working days of the commune for what the secrétaire does late or asks by a day (issue 9,
items 3 and 5): how late an acknowledgement was, and deadlines that end on a working day."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.documents import LetterKind
from desktop.domain import deadlines
from desktop.services.letters import (
    add_months,
    default_missing_documents_deadline,
    letter_context,
)
from desktop.store import legal


@pytest.mark.parametrize(
    ("due", "done", "department", "late"),
    [
        (date(2026, 10, 16), date(2026, 10, 16), "57", 0),  # on the day
        (date(2026, 10, 16), date(2026, 10, 2), "57", 0),  # early
        (date(2026, 10, 16), date(2026, 10, 19), "57", 1),  # Friday -> Monday
        (date(2026, 10, 16), date(2026, 10, 17), "57", 1),  # the Saturday after is late too
        (date(2026, 10, 16), date(2026, 12, 1), "88", 31),  # the AR: 11 Nov not counted
        (date(2026, 12, 24), date(2026, 12, 28), "88", 1),  # 25 December
        (date(2026, 12, 24), date(2026, 12, 28), "67", 1),  # 25 and 26 December (Saturday)
        (date(2027, 3, 25), date(2027, 3, 30), "57", 1),  # Good Friday, Easter Monday
        (date(2027, 3, 25), date(2027, 3, 30), "88", 2),  # Easter Monday only
    ],
)
def test_working_days_late(due: date, done: date, department: str, late: int) -> None:
    assert deadlines.working_days_late(due, done, department) == late


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    due=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    n=st.integers(min_value=1, max_value=40),
    department=st.sampled_from(["88", "57", "67", "974"]),
)
def test_lateness_counts_the_working_days_added(due: date, n: int, department: str) -> None:
    """Sent n working days after a working due day: n days late, no more, no less."""
    due = deadlines.next_working_day(due, department)
    done = deadlines.working_days_after(due, n, department)
    assert deadlines.working_days_late(due, done, department) == n


@pytest.mark.parametrize(
    ("day", "department", "expected"),
    [
        (date(2027, 1, 1), "88", date(2027, 1, 4)),  # vendredi 1er janvier 2027
        (date(2027, 3, 26), "57", date(2027, 3, 30)),  # Good Friday then Easter Monday
        (date(2027, 3, 26), "88", date(2027, 3, 26)),
        (date(2026, 12, 26), "67", date(2026, 12, 28)),
        (date(2026, 12, 23), "88", date(2026, 12, 23)),
    ],
)
def test_next_working_day(day: date, department: str, expected: date) -> None:
    assert deadlines.next_working_day(day, department) == expected


def test_remarks_on_closed_days() -> None:
    assert deadlines.working_day_remark(date(2027, 1, 1), "88") == (
        "Le vendredi 1er janvier 2027 est férié (Jour de l'an) : prochain jour ouvré le "
        "lundi 4 janvier 2027."
    )
    assert deadlines.working_day_remark(date(2027, 3, 26), "57") == (
        "Le vendredi 26 mars 2027 est férié (Vendredi saint) : prochain jour ouvré le "
        "mardi 30 mars 2027."
    )
    assert deadlines.working_day_remark(date(2027, 1, 2), "88") == (
        "Le samedi 2 janvier 2027 n'est pas un jour ouvré : prochain jour ouvré le "
        "lundi 4 janvier 2027."
    )
    assert deadlines.working_day_remark(date(2027, 3, 26), "88") is None


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    today=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    department=st.sampled_from(["88", "57", "67", "971"]),
)
def test_the_default_missing_documents_deadline_is_a_working_day(
    today: date, department: str
) -> None:
    deadline = default_missing_documents_deadline(today, department)
    assert deadlines.is_working_day(deadline, department)
    # One month « de quantième à quantième », moved forward over closed days only.
    month_later = add_months(today, 1)
    assert month_later <= deadline <= month_later + timedelta(days=5)
    skipped = (month_later + timedelta(days=i) for i in range((deadline - month_later).days))
    assert not any(deadlines.is_working_day(day, department) for day in skipped)


def test_an_old_request_for_documents_without_deadline_gets_a_working_day(
    demo_db: sqlite3.Connection,
) -> None:
    """Requests for documents stored before deadlines were: the acknowledgement states the
    default delay from their date, moved off a holiday (asked 1 December: not 1 January)."""
    pk = demo_db.execute(
        "SELECT r.pk FROM request r JOIN authority a ON a.pk = r.authority_pk "
        "WHERE r.status = 'received' AND a.department = '88' ORDER BY r.pk LIMIT 1"
    ).fetchone()[0]
    with demo_db:
        demo_db.execute(
            "INSERT INTO missing_documents (id, request_pk, asked_on, received_on, documents, "
            "deadline) VALUES ('old-request', ?, '2026-12-01', NULL, '[\"RIB\"]', NULL)", (pk,)
        )
    facts = legal.legal_facts(demo_db, pk)
    context = letter_context(LetterKind.ACKNOWLEDGEMENT, facts, date(2026, 12, 1))
    assert context.missing_documents_deadline == date(2027, 1, 4)
