"""The outbox is written with the local change, in the same transaction, and only for rows the
server shares."""

from __future__ import annotations

import json
import sqlite3

import pytest

from desktop.demo.generator import generate
from desktop.domain.workflow import TransitionError
from desktop.store.database import transaction
from desktop.store.outbox import enqueue, pending_count
from desktop.store.requests import set_status, update_fields
from sync.protocol.vocabulary import Outcome, Status
from sync.protocol.wire import MutationName


@pytest.fixture
def conn(empty_db: sqlite3.Connection) -> sqlite3.Connection:
    generate(empty_db, requests=10, seed=5)
    empty_db.execute("UPDATE request SET version = 7")  # as received from a server
    return empty_db


def _first(conn: sqlite3.Connection) -> sqlite3.Row:
    """The first request, put back to « reçue » (what the test starts from)."""
    row = conn.execute("SELECT pk, id FROM request ORDER BY pk LIMIT 1").fetchone()
    conn.execute(
        "UPDATE request SET status = 'received', outcome = NULL, acknowledged_at = NULL "
        "WHERE pk = ?", (row["pk"],),
    )
    return row


def test_status_change_queues_its_mutation(conn: sqlite3.Connection) -> None:
    pk, request_id = _first(conn)
    set_status(conn, pk, Status.ACKNOWLEDGED, agent_id=None)
    set_status(conn, pk, Status.DRAFTING, agent_id=None)
    set_status(conn, pk, Status.ANSWERED, agent_id=None, outcome=Outcome.ACCEPTED)
    rows = conn.execute(
        "SELECT name, args, base_version, row_id FROM sync_outbox ORDER BY mutation_id"
    ).fetchall()
    assert [r["name"] for r in rows] == [
        "request.acknowledge", "request.set_status", "request.set_status",
    ]
    assert all(r["row_id"] == request_id and r["base_version"] == 7 for r in rows)
    assert json.loads(rows[2]["args"]) == {
        "request_id": request_id, "from_status": "drafting", "status": "answered",
        "outcome": "accepted",
    }


def test_refused_change_queues_nothing(conn: sqlite3.Connection) -> None:
    pk, _ = _first(conn)
    with pytest.raises(TransitionError):
        set_status(conn, pk, Status.ANSWERED, agent_id=None)
    assert pending_count(conn) == 0


def test_mutation_and_change_share_one_transaction(conn: sqlite3.Connection) -> None:
    pk, _ = _first(conn)
    with pytest.raises(RuntimeError, match="inside the transaction"):
        enqueue(conn, MutationName.REQUEST_ACKNOWLEDGE, {"request_id": "x"}, 0)
    with pytest.raises(ZeroDivisionError), transaction(conn):
        conn.execute("UPDATE request SET subject = 'perdu' WHERE pk = ?", (pk,))
        enqueue(conn, MutationName.REQUEST_UPDATE_FIELDS,
                {"request_id": _first(conn)["id"], "fields": {"subject": "perdu"}}, 7)
        _ = 1 / 0
    assert pending_count(conn) == 0
    assert conn.execute("SELECT subject FROM request WHERE pk = ?", (pk,)).fetchone()[0] != (
        "perdu"
    )


def test_field_edit_carries_previous_values(conn: sqlite3.Connection) -> None:
    pk, request_id = _first(conn)
    before = conn.execute("SELECT subject FROM request WHERE pk = ?", (pk,)).fetchone()[0]
    update_fields(conn, pk, {"subject": "Nouvel objet"})
    args = json.loads(conn.execute("SELECT args FROM sync_outbox").fetchone()[0])
    assert args == {"request_id": request_id, "fields": {"subject": "Nouvel objet"},
                    "previous": {"subject": before}}


def test_local_only_rows_stay_local(empty_db: sqlite3.Connection) -> None:
    generate(empty_db, requests=10, seed=5)  # the offline demonstration: never on a server
    pk, _ = _first(empty_db)
    set_status(empty_db, pk, Status.ACKNOWLEDGED, agent_id=None)
    update_fields(empty_db, pk, {"subject": "Objet local"})
    assert pending_count(empty_db) == 0
