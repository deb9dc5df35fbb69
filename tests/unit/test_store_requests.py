"""Changing a request in the store: state, history and échéance move together or not at all."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime

import pytest

from desktop.domain.workflow import TransitionError
from desktop.store.database import StoreError
from desktop.store.requests import due_facts, refresh_due, set_status
from sync.protocol.vocabulary import EventKind, Outcome, Status
from tests.factories import (
    add_agent,
    add_authority,
    add_citizen,
    add_event,
    add_procedure,
    add_request,
)

AT = datetime(2026, 11, 23, 9, 15)


@pytest.fixture
def setup(empty_db: sqlite3.Connection) -> dict[str, object]:
    authority = add_authority(empty_db, department="57")
    agent_pk, agent_id = add_agent(empty_db)
    procedure = add_procedure(empty_db, silence_rule="accept", period=2, unit="months")
    citizen = add_citizen(empty_db, authority)
    request = add_request(
        empty_db,
        authority,
        citizen,
        procedure,
        channel="web",
        received_at="2026-11-16T10:00:00",
        registration_receipt_at="2026-11-16T10:02:00",
    )
    refresh_due(empty_db, request)
    return {"request": request, "agent_pk": agent_pk, "agent_id": agent_id}


def _row(conn: sqlite3.Connection, pk: int) -> dict[str, object]:
    return dict(conn.execute("SELECT * FROM request WHERE pk = ?", (pk,)).fetchone())


def _events(conn: sqlite3.Connection, pk: int) -> list[tuple]:
    return [
        (e["kind"], json.loads(e["detail"]), e["at"], e["agent_pk"])
        for e in conn.execute("SELECT * FROM event WHERE request_pk = ? ORDER BY pk", (pk,))
    ]


def test_initial_due_is_the_internal_target(
    empty_db: sqlite3.Connection, setup: dict[str, object]
) -> None:
    row = _row(empty_db, setup["request"])
    assert (row["due_kind"], row["due_date"]) == ("internal_target", "2026-11-23")


def test_set_status_writes_state_events_and_due(
    empty_db: sqlite3.Connection, setup: dict[str, object]
) -> None:
    pk = setup["request"]
    set_status(empty_db, pk, Status.ACKNOWLEDGED, agent_id=setup["agent_id"], at=AT)
    row = _row(empty_db, pk)
    assert row["status"] == "acknowledged" and row["outcome"] is None
    assert row["acknowledged_at"] == "2026-11-23T08:15:00+00:00"  # 9:15 in Paris
    # Acknowledged: the next deadline is the implicit acceptance, 16 November + 2 months + 1.
    assert (row["due_kind"], row["due_date"]) == ("implicit_acceptance", "2027-01-17")
    assert _events(empty_db, pk) == [
        (
            "status_changed",
            {"from": "received", "to": "acknowledged"},
            "2026-11-23T08:15:00+00:00",
            setup["agent_pk"],
        )
    ]
    assert not empty_db.in_transaction


def test_answer_and_close(empty_db: sqlite3.Connection, setup: dict[str, object]) -> None:
    pk, agent = setup["request"], setup["agent_id"]
    set_status(empty_db, pk, Status.DRAFTING, agent_id=agent, at=AT)
    assert _row(empty_db, pk)["acknowledged_at"] is None  # drafting does not acknowledge
    set_status(empty_db, pk, Status.ANSWERED, agent_id=agent, at=AT, outcome=Outcome.REJECTED)
    row = _row(empty_db, pk)
    assert (row["status"], row["outcome"]) == ("answered", "rejected")
    assert (row["due_kind"], row["due_date"]) == (None, None)
    set_status(empty_db, pk, Status.CLOSED, agent_id=None, at=AT)
    row = _row(empty_db, pk)
    assert (row["status"], row["outcome"]) == ("closed", "rejected")
    kinds = [(k, d) for k, d, _, _ in _events(empty_db, pk)]
    assert kinds == [
        ("status_changed", {"from": "received", "to": "drafting"}),
        ("status_changed", {"from": "drafting", "to": "answered"}),
        ("outcome_set", {"outcome": "rejected"}),
        ("status_changed", {"from": "answered", "to": "closed"}),
    ]
    assert _events(empty_db, pk)[-1][3] is None  # no agent given, none recorded


def test_closing_unanswered_records_no_follow_up(
    empty_db: sqlite3.Connection, setup: dict[str, object]
) -> None:
    pk = setup["request"]
    set_status(empty_db, pk, Status.CLOSED, agent_id=setup["agent_id"], at=AT)
    row = _row(empty_db, pk)
    assert (row["status"], row["outcome"], row["due_date"]) == ("closed", "no_follow_up", None)
    assert [e[0] for e in _events(empty_db, pk)] == [
        EventKind.STATUS_CHANGED.value,
        EventKind.OUTCOME_SET.value,
    ]


def test_acknowledging_again_keeps_the_first_date(
    empty_db: sqlite3.Connection, setup: dict[str, object]
) -> None:
    pk, agent = setup["request"], setup["agent_id"]
    set_status(empty_db, pk, Status.ACKNOWLEDGED, agent_id=agent, at=AT)
    set_status(empty_db, pk, Status.AWAITING_DOCUMENTS, agent_id=agent, at=AT)
    set_status(empty_db, pk, Status.ACKNOWLEDGED, agent_id=agent, at=datetime(2026, 12, 1, 8))
    assert _row(empty_db, pk)["acknowledged_at"] == "2026-11-23T08:15:00+00:00"


def test_due_follows_missing_documents(
    empty_db: sqlite3.Connection, setup: dict[str, object]
) -> None:
    pk, agent = setup["request"], setup["agent_id"]
    set_status(empty_db, pk, Status.ACKNOWLEDGED, agent_id=agent, at=AT)
    empty_db.execute(
        "INSERT INTO missing_documents (id, request_pk, asked_on) VALUES ('m1', ?, '2026-11-23')",
        (pk,),
    )
    set_status(empty_db, pk, Status.AWAITING_DOCUMENTS, agent_id=agent, at=AT)
    row = _row(empty_db, pk)
    assert (row["due_kind"], row["due_date"]) == ("suspended", None)
    empty_db.execute("UPDATE missing_documents SET received_on = '2026-12-02'")
    set_status(empty_db, pk, Status.DRAFTING, agent_id=agent, at=AT)
    row = _row(empty_db, pk)
    # The clock restarts from the last document: 2 December + 2 months + 1 day.
    assert (row["due_kind"], row["due_date"]) == ("implicit_acceptance", "2027-02-03")
    assert due_facts(empty_db, pk).missing_documents == ((date(2026, 11, 23), date(2026, 12, 2)),)


@pytest.mark.parametrize(
    ("target", "outcome"),
    [
        (Status.ANSWERED, Outcome.ACCEPTED),  # not allowed from received
        (Status.AT_PARAPHEUR, None),
        (Status.RECEIVED, None),  # same status
        (Status.CLOSED, Outcome.ACCEPTED),  # express outcome without an answer
        (Status.ACKNOWLEDGED, Outcome.NO_FOLLOW_UP),  # outcome on an ordinary move
    ],
)
def test_a_refused_change_changes_nothing(
    empty_db: sqlite3.Connection,
    setup: dict[str, object],
    target: Status,
    outcome: Outcome | None,
) -> None:
    pk = setup["request"]
    before_row = _row(empty_db, pk)
    before_events = _events(empty_db, pk)
    with pytest.raises(TransitionError):
        set_status(empty_db, pk, target, agent_id=setup["agent_id"], at=AT, outcome=outcome)
    assert not empty_db.in_transaction  # rolled back, the connection is usable
    assert _row(empty_db, pk) == before_row
    assert _events(empty_db, pk) == before_events
    set_status(empty_db, pk, Status.ACKNOWLEDGED, agent_id=setup["agent_id"], at=AT)


def test_unknown_or_deleted_request(empty_db: sqlite3.Connection, setup: dict[str, object]) -> None:
    with pytest.raises(StoreError, match="n'existe plus"):
        set_status(empty_db, 999, Status.ACKNOWLEDGED, agent_id=None, at=AT)
    empty_db.execute("UPDATE request SET deleted = 1 WHERE pk = ?", (setup["request"],))
    with pytest.raises(StoreError, match="n'existe plus"):
        set_status(empty_db, setup["request"], Status.ACKNOWLEDGED, agent_id=None, at=AT)
    assert not empty_db.in_transaction
    with pytest.raises(StoreError):
        refresh_due(empty_db, 999)


def test_unknown_agent_is_recorded_without_agent(
    empty_db: sqlite3.Connection, setup: dict[str, object]
) -> None:
    set_status(empty_db, setup["request"], Status.ACKNOWLEDGED, agent_id="nobody", at=AT)
    assert _events(empty_db, setup["request"])[0][3] is None


# --------------------------------------------------------------------------- append-only history


@pytest.mark.parametrize(
    "assignment",
    ["kind = 'note'", "detail = '{}'", "at = '2000-01-01'", "agent_pk = NULL", "request_pk = 1"],
)
def test_events_cannot_be_updated(
    empty_db: sqlite3.Connection, setup: dict[str, object], assignment: str
) -> None:
    event = add_event(empty_db, setup["request"], agent_pk=setup["agent_pk"])
    before = tuple(empty_db.execute("SELECT * FROM event WHERE pk = ?", (event,)).fetchone())
    with pytest.raises(sqlite3.IntegrityError, match="historique ne peut pas être modifié"):
        empty_db.execute(f"UPDATE event SET {assignment} WHERE pk = ?", (event,))
    assert tuple(empty_db.execute("SELECT * FROM event WHERE pk = ?", (event,)).fetchone()) == (
        before
    )


def test_events_cannot_be_deleted(empty_db: sqlite3.Connection, setup: dict[str, object]) -> None:
    add_event(empty_db, setup["request"])
    with pytest.raises(sqlite3.IntegrityError, match="historique ne peut pas être supprimé"):
        empty_db.execute("DELETE FROM event")
    assert empty_db.execute("SELECT COUNT(*) FROM event").fetchone()[0] == 1
    # Nor by deleting the request they belong to.
    with pytest.raises(sqlite3.IntegrityError):
        empty_db.execute("DELETE FROM request")


def test_event_sync_version_may_be_set(
    empty_db: sqlite3.Connection, setup: dict[str, object]
) -> None:
    """The server's change number is bookkeeping, not history: sync must be able to write it."""
    event = add_event(empty_db, setup["request"])
    empty_db.execute("UPDATE event SET version = 42 WHERE pk = ?", (event,))
    assert empty_db.execute("SELECT version FROM event").fetchone()[0] == 42
