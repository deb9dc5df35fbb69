"""The legal actions of the bannette (issue 5) reach the server like any other change, and
their optimistic history is adopted rather than doubled."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from desktop.store.database import connect
from desktop.store.legal import (
    record_acknowledgement,
    record_missing_documents_received,
    record_missing_documents_request,
)
from desktop.store.outbox import pending_count
from tests.sync.conftest import (
    ServerProcess,
    local_db,
    request_state,
    server_request_state,
    sync_in_process,
)


def _count(conn, pk: int, kind: str) -> int:  # type: ignore[no-untyped-def]
    return int(conn.execute(
        "SELECT COUNT(*) FROM event WHERE request_pk = ? AND kind = ?", (pk, kind)).fetchone()[0])


def _synced_received_request(
    server: ServerProcess, tmp_path: Path
) -> tuple[Path, sqlite3.Connection, int, str]:
    """A PC that synced, and one of the server's requests still waiting for its receipt."""
    db = local_db(tmp_path / "poste.sqlite3")
    sync_in_process(server.url, db)
    conn = connect(db)
    pk, request_id = conn.execute(
        "SELECT pk, id FROM request WHERE status = 'received' AND acknowledged_at IS NULL "
        "ORDER BY pk LIMIT 1").fetchone()
    return db, conn, pk, request_id


def test_acknowledgement_and_missing_documents_reach_the_server(
    server: ServerProcess, tmp_path: Path
) -> None:
    db, conn, pk, request_id = _synced_received_request(server, tmp_path)
    now = datetime.now().replace(microsecond=0)
    record_acknowledgement(conn, pk, at=now, agent_id=None, files=["accuse.pdf"])
    assert pending_count(conn) == 1
    sync_in_process(server.url, db)
    status, acknowledged = server.query(
        "SELECT status, acknowledged_at FROM requests WHERE id = ?", uuid.UUID(request_id).hex)[0]
    assert status == "acknowledged" and acknowledged is not None
    assert _count(conn, pk, "acknowledgement_sent") == 1
    assert _count(conn, pk, "status_changed") == 1

    record_missing_documents_request(
        conn, pk, documents=["Justificatif de domicile"], deadline=date.today() + timedelta(15),
        at=now, agent_id=None)
    sync_in_process(server.url, db)
    assert server.query("SELECT status FROM requests WHERE id = ?",
                        uuid.UUID(request_id).hex)[0][0] == "awaiting_documents"
    assert conn.execute("SELECT COUNT(*) FROM missing_documents WHERE request_pk = ?",
                        (pk,)).fetchone()[0] == 1
    assert _count(conn, pk, "missing_documents_requested") == 1

    record_missing_documents_received(conn, pk, received_on=date.today(), at=now, agent_id=None)
    sync_in_process(server.url, db)
    assert pending_count(conn) == 0
    assert conn.execute("SELECT COUNT(*) FROM sync_outbox").fetchone()[0] == 0  # none refused
    assert request_state(db) == server_request_state(server)
    assert request_state(db)[request_id][0] == "acknowledged"
    conn.close()


def _server_request(server: ServerProcess, request_id: str, columns: str) -> tuple:  # type: ignore[type-arg]
    return tuple(server.query(
        f"SELECT {columns} FROM requests WHERE id = ?", uuid.UUID(request_id).hex)[0])


def test_late_acknowledgement_is_dated_on_the_server_without_moving_the_request(
    server: ServerProcess, tmp_path: Path
) -> None:
    """The desktop lets the secrétaire acknowledge a request she already started on; the
    server records the date and leaves the status where it is."""
    from desktop.store.requests import set_status
    from sync.protocol.vocabulary import Status

    db, conn, pk, request_id = _synced_received_request(server, tmp_path)
    set_status(conn, pk, Status.DRAFTING, agent_id=None)
    sync_in_process(server.url, db)
    assert _server_request(server, request_id, "status, acknowledged_at") == ("drafting", None)

    record_acknowledgement(conn, pk, at=datetime.now().replace(microsecond=0), agent_id=None)
    sync_in_process(server.url, db)
    status, acknowledged = _server_request(server, request_id, "status, acknowledged_at")
    assert status == "drafting" and acknowledged is not None
    assert conn.execute("SELECT COUNT(*) FROM sync_outbox").fetchone()[0] == 0  # none refused
    assert tuple(conn.execute("SELECT status, acknowledged_at IS NOT NULL FROM request "
                              "WHERE pk = ?", (pk,)).fetchone()) == ("drafting", 1)
    assert _count(conn, pk, "acknowledgement_sent") == 1
    conn.close()


def test_missing_documents_deadline_and_arrival_day_reach_the_other_pc(
    server: ServerProcess, tmp_path: Path
) -> None:
    """The day the documents arrived restarts the clock (L114-5): another PC must compute the
    same échéance, so the day (not the moment of the sync) travels."""
    first, second = local_db(tmp_path / "a.sqlite3"), local_db(tmp_path / "b.sqlite3")
    sync_in_process(server.url, first)
    sync_in_process(server.url, second)
    conn = connect(first)
    pk, request_id = conn.execute(
        "SELECT pk, id FROM request WHERE status = 'received' AND acknowledged_at IS NULL "
        "ORDER BY pk LIMIT 1").fetchone()
    now = datetime.now().replace(microsecond=0)
    asked = now - timedelta(days=10)
    deadline = date.today() + timedelta(days=20)
    record_missing_documents_request(
        conn, pk, documents=["Plan de situation"], deadline=deadline, at=asked, agent_id=None)
    arrived = date.today() - timedelta(days=3)
    record_missing_documents_received(conn, pk, received_on=arrived, at=now, agent_id=None)
    sync_in_process(server.url, first)
    assert conn.execute("SELECT COUNT(*) FROM sync_outbox").fetchone()[0] == 0  # none refused

    sync_in_process(server.url, second)
    other = connect(second)
    other_pk = other.execute("SELECT pk FROM request WHERE id = ?", (request_id,)).fetchone()[0]
    query = ("SELECT deadline, received_on FROM missing_documents "
             "WHERE request_pk = ? AND deleted = 0")
    assert [tuple(r) for r in other.execute(query, (other_pk,))] == [
        (deadline.isoformat(), arrived.isoformat())
    ]
    due = "SELECT status, due_date, due_kind FROM request WHERE pk = ?"
    assert tuple(other.execute(due, (other_pk,)).fetchone()) == tuple(
        conn.execute(due, (pk,)).fetchone())
    received = [e for e in server.query(
        "SELECT data FROM events WHERE request_id = ? AND kind = 'missing_documents_received'",
        uuid.UUID(request_id).hex)]
    assert len(received) == 1 and arrived.isoformat() in str(received[0][0])
    conn.close()
    other.close()


def test_implicit_decisions_reach_the_server_once_and_survive_the_next_pull(
    server: ServerProcess, tmp_path: Path
) -> None:
    """Each PC finds the same implicit decisions; the server records them once, and a later
    pull does not bring back an empty outcome (which would make the sweep record them
    again)."""
    from desktop.store.legal import record_implicit_decisions

    first, second = local_db(tmp_path / "a.sqlite3"), local_db(tmp_path / "b.sqlite3")
    sync_in_process(server.url, first)
    sync_in_process(server.url, second)
    conn, other = connect(first), connect(second)
    today = date.today()
    marked = record_implicit_decisions(conn, today)
    assert marked, "the demo data holds requests whose silence became a decision"
    assert len(record_implicit_decisions(other, today)) == len(marked)
    sync_in_process(server.url, first)
    sync_in_process(server.url, second)
    for db in (conn, other):
        assert db.execute("SELECT COUNT(*) FROM sync_outbox").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM sync_conflict").fetchone()[0] == 0
    ids = [conn.execute("SELECT id FROM request WHERE pk = ?", (pk,)).fetchone()[0]
           for pk in marked]
    for request_id in ids:
        outcome, = _server_request(server, request_id, "outcome")
        assert outcome in ("implicit_acceptance", "implicit_rejection")
        events = server.query(
            "SELECT COUNT(*) FROM events WHERE request_id = ? AND kind = 'outcome_set'",
            uuid.UUID(request_id).hex)[0][0]
        assert events == 1
    # Nothing to decide any more, on either PC, after they heard from each other.
    sync_in_process(server.url, first)
    assert record_implicit_decisions(conn, today) == []
    assert record_implicit_decisions(other, today) == []
    for db in (conn, other):
        per_request = db.execute(
            "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM event WHERE kind = 'outcome_set' "
            "GROUP BY request_pk)").fetchone()[0]
        assert per_request == 1
    assert request_state(first) == server_request_state(server) == request_state(second)
    conn.close()
    other.close()


def test_a_letter_marked_sent_days_later_dates_the_acknowledgement_on_both_sides(
    server: ServerProcess, tmp_path: Path
) -> None:
    """Issue 9: producing the acknowledgement is not sending it. The secrétaire records the day
    it left (« Marquer comme envoyé »); the PC and the server both date it that day, and the
    pulled event is the local one, not a second."""
    from desktop.store.letters import letters_of, mark_sent, record_produced
    from sync.protocol.vocabulary import SendMode
    from sync.protocol.wire import day_instant

    db, conn, pk, request_id = _synced_received_request(server, tmp_path)
    now = datetime.now(UTC).replace(microsecond=0)
    record_produced(conn, pk, kind="accuse_reception", edition=1, docx="ar.docx", pdf=None,
                    at=now - timedelta(days=3), agent_id=None)
    assert pending_count(conn) == 0, "producing tells the server nothing"
    sync_in_process(server.url, db)
    assert _server_request(server, request_id, "status, acknowledged_at") == ("received", None)

    sent_on = (now - timedelta(days=2)).date()
    [letter] = letters_of(conn, pk)
    mark_sent(conn, letter.pk, sent_on=sent_on, mode=SendMode.HAND, at=now, agent_id=None)
    local = conn.execute("SELECT status, acknowledged_at FROM request WHERE pk = ?",
                         (pk,)).fetchone()
    assert tuple(local) == ("acknowledged", day_instant(sent_on).isoformat())
    sync_in_process(server.url, db)
    status, acknowledged = _server_request(server, request_id, "status, acknowledged_at")
    assert status == "acknowledged"
    assert datetime.fromisoformat(str(acknowledged)).replace(tzinfo=UTC) == day_instant(sent_on)
    assert conn.execute("SELECT COUNT(*) FROM sync_outbox").fetchone()[0] == 0  # none refused
    assert _count(conn, pk, "acknowledgement_sent") == 1
    assert conn.execute("SELECT acknowledged_at FROM request WHERE pk = ?",
                        (pk,)).fetchone()[0] == day_instant(sent_on).isoformat()
    conn.close()
