"""End to end against the real server process: citizen submission -> bannette; offline change
-> server after reconnect; the same push twice applies once."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from desktop.store.database import connect
from desktop.store.outbox import pending_count
from desktop.store.requests import set_status
from desktop.store.sync_store import SqliteSyncStore
from sync.client import ApiClient
from sync.outbox import push_request
from sync.protocol.vocabulary import Status
from sync.protocol.wire import MutationOutcome
from tests.sync.conftest import (
    FAST_RETRY,
    ServerProcess,
    local_db,
    request_state,
    server_request_state,
    sync_in_process,
)


def _pk(db: Path, request_id: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT pk FROM request WHERE id = ?", (request_id,)).fetchone()[0])
    finally:
        conn.close()


def test_submission_reaches_bannette_and_offline_change_reaches_server(
    server: ServerProcess, tmp_path: Path
) -> None:
    db = local_db(tmp_path / "poste.sqlite3")
    first = sync_in_process(server.url, db)
    assert first.pulled_rows > 0
    assert len(request_state(db)) == 80  # the demo set of both communes
    assert request_state(db) == server_request_state(server)

    authority = server.authority_ids()[0]
    receipt = server.submit(authority, "Demande d'acte de naissance")
    sync_in_process(server.url, db)
    local = request_state(db)
    request_id = str(receipt["request_id"])
    assert local[request_id][0] == "received"
    conn = connect(db)
    row = conn.execute(
        "SELECT r.number, c.display_name, r.registration_receipt_at, r.due_date "
        "FROM request r JOIN citizen c ON c.pk = r.citizen_pk WHERE r.id = ?", (request_id,)
    ).fetchone()
    assert row["number"] == receipt["number"]
    assert row["display_name"] == "ROUX Léa"
    assert row["registration_receipt_at"] is not None
    assert row["due_date"] is not None

    # Offline: the server is stopped, the secrétaire keeps working.
    server.stop()
    set_status(conn, _pk(db, request_id), Status.ACKNOWLEDGED, agent_id=None)
    set_status(conn, _pk(db, request_id), Status.DRAFTING, agent_id=None)
    assert pending_count(conn) == 2
    conn.close()
    offline = None
    try:
        sync_in_process(server.url, db)
    except Exception as exc:  # noqa: BLE001 - the message is what the test checks
        offline = exc
    assert offline is not None and "Hors ligne" in str(offline)
    assert request_state(db)[request_id][0] == "drafting"  # the local change stays

    server.start()
    report = sync_in_process(server.url, db)
    assert report.applied == 2 and report.rejected == 0
    conn = connect(db)
    assert pending_count(conn) == 0
    events = [r[0] for r in conn.execute(
        "SELECT kind FROM event WHERE request_pk = ? ORDER BY pk", (_pk(db, request_id),))]
    conn.close()
    assert server_request_state(server)[request_id][0] == "drafting"
    assert request_state(db) == server_request_state(server)
    # The optimistic history was adopted, not doubled.
    assert events.count("status_changed") == 2


def test_same_push_twice_applies_once(server: ServerProcess, tmp_path: Path) -> None:
    db = local_db(tmp_path / "poste.sqlite3")
    sync_in_process(server.url, db)
    conn = connect(db)
    request_id, pk = conn.execute(
        "SELECT id, pk FROM request WHERE status = 'received' LIMIT 1").fetchone()
    set_status(conn, pk, Status.CLOSED, agent_id=None)
    store = SqliteSyncStore(conn)
    entries = store.pending(10)
    with ApiClient(server.url, retry=FAST_RETRY) as client:
        client.login("secretaire", "Secretaire-2026!")
        body = push_request(entries, uuid.UUID(str(uuid.uuid4())))
        first = client.push(body)
        second = client.push(body)
    assert [r.result for r in first.results] == [MutationOutcome.APPLIED]
    assert [r.result for r in second.results] == [MutationOutcome.APPLIED]
    assert second.results[0].replayed
    assert first.version == second.version  # nothing was written the second time
    closes = server.query(
        "SELECT COUNT(*) FROM events WHERE kind = 'status_changed' AND request_id = ?",
        uuid.UUID(request_id).hex,
    )
    assert closes[0][0] == 1
    conn.close()


def test_bootstrap_in_pages_leaves_a_sound_search_index(
    server: ServerProcess, tmp_path: Path
) -> None:
    db = local_db(tmp_path / "poste.sqlite3")
    report = sync_in_process(server.url, db, page_limit=40)
    assert report.pages > 3
    conn = connect(db)
    conn.execute("INSERT INTO request_fts(request_fts) VALUES ('integrity-check')")
    deferred = conn.execute("SELECT value FROM sync_state WHERE key = 'fts_deferred'").fetchone()
    assert deferred[0] == "0"
    subject = conn.execute("SELECT subject FROM request WHERE version > 0 LIMIT 1").fetchone()[0]
    word = max(subject.split(), key=len)
    found = conn.execute(
        "SELECT COUNT(*) FROM request_fts WHERE request_fts MATCH ?", (f'"{word}"',)
    ).fetchone()[0]
    assert found >= 1
    # Later changes are indexed as they come again.
    receipt = server.submit(server.authority_ids()[1], "Raccordement zyxwvut")
    sync_in_process(server.url, db)
    hits = conn.execute(
        "SELECT rowid FROM request_fts WHERE request_fts MATCH 'zyxwvut'").fetchall()
    assert [h[0] for h in hits] == [_pk(db, str(receipt["request_id"]))]
    conn.close()


def test_request_deleted_on_server_leaves_the_bannette(
    server: ServerProcess, tmp_path: Path
) -> None:
    import httpx

    db = local_db(tmp_path / "poste.sqlite3")
    sync_in_process(server.url, db)
    request_id = next(iter(request_state(db)))
    token = server.token("admin", "Admin-Bannette-2026!")
    response = httpx.delete(f"{server.url}/api/v1/requests/{request_id}",
                            headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 200, response.text
    report = sync_in_process(server.url, db)
    assert report.pulled_rows >= 1
    assert request_id not in request_state(db)
    conn = connect(db)
    deleted, = conn.execute("SELECT deleted FROM request WHERE id = ?", (request_id,)).fetchone()
    assert deleted == 1  # a tombstone: the row stays, hidden, its history untouched
    conn.close()
    assert request_state(db) == server_request_state(server)
