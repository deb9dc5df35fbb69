"""A long offline queue delivered in order; two PCs editing the same request."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

from desktop.store.database import connect
from desktop.store.outbox import pending_count
from desktop.store.requests import set_status, update_fields
from desktop.store.sync_store import conflicts, resolve_conflict
from sync.protocol.vocabulary import Status
from tests.sync.conftest import (
    ServerProcess,
    local_db,
    request_state,
    server_request_state,
    sync_in_process,
)


def test_thousand_offline_mutations_delivered_in_order(
    server: ServerProcess, tmp_path: Path
) -> None:
    db = local_db(tmp_path / "poste.sqlite3")
    sync_in_process(server.url, db)
    conn = connect(db)
    targets = [r[0] for r in conn.execute(
        "SELECT pk FROM request WHERE status = 'received' ORDER BY pk LIMIT 10")]
    server.stop()  # the line is down for the whole morning
    for step in range(100):
        for pk in targets:
            update_fields(conn, pk, {"subject": f"Objet {pk} v{step}"})
    assert pending_count(conn) == 1000
    conn.close()
    server.start()
    report = sync_in_process(server.url, db)
    assert (report.applied, report.rejected, report.conflicts) == (1000, 0, 0)
    ids = [r[0] for r in server.query(
        "SELECT mutation_id FROM mutation_log ORDER BY rowid")]
    assert len(ids) == 1000 and ids == sorted(ids)
    local = request_state(db)
    assert local == server_request_state(server)
    conn = connect(db)
    for pk in targets:
        subject = conn.execute("SELECT subject FROM request WHERE pk = ?", (pk,)).fetchone()[0]
        assert subject == f"Objet {pk} v99"
    assert pending_count(conn) == 0
    conn.close()


def _request(db: Path, request_id: str) -> sqlite3.Row:
    conn = connect(db)
    try:
        return conn.execute(
            "SELECT pk, subject, body, status FROM request WHERE id = ?", (request_id,)
        ).fetchone()
    finally:
        conn.close()


def test_two_clients_merge_fields_and_keep_one_conflict_per_colliding_field(
    server: ServerProcess, tmp_path: Path
) -> None:
    a = local_db(tmp_path / "poste-a.sqlite3")
    b = local_db(tmp_path / "poste-b.sqlite3")
    sync_in_process(server.url, a)
    sync_in_process(server.url, b)
    conn = connect(a)
    request_id = conn.execute(
        "SELECT id FROM request WHERE status = 'received' ORDER BY pk LIMIT 1").fetchone()[0]
    conn.close()
    pk_a, pk_b = _request(a, request_id)["pk"], _request(b, request_id)["pk"]

    conn = connect(a)
    update_fields(conn, pk_a, {"subject": "Objet vu par A"})
    set_status(conn, pk_a, Status.ACKNOWLEDGED, agent_id=None)
    conn.close()
    conn = connect(b)
    update_fields(conn, pk_b, {"subject": "Objet vu par B", "description": "Précisions de B"})
    set_status(conn, pk_b, Status.DRAFTING, agent_id=None)
    conn.close()

    sync_in_process(server.url, a)
    report = sync_in_process(server.url, b)
    assert report.conflicts == 2  # subject and status; the description merged
    sync_in_process(server.url, a)

    for db in (a, b):
        row = _request(db, request_id)
        assert row["subject"] == "Objet vu par A"        # the server (first) won
        assert row["body"] == "Précisions de B"          # no collision: merged
        assert row["status"] == "acknowledged"
    assert request_state(a) == request_state(b) == server_request_state(server)

    conn = connect(b)
    found = {c["field"]: c for c in conflicts(conn)}
    assert set(found) == {"subject", "status"}
    assert json.loads(found["subject"]["local_value"]) == "Objet vu par B"
    assert json.loads(found["subject"]["server_value"]) == "Objet vu par A"
    assert json.loads(found["status"]["local_value"]) == "drafting"
    # Resolved both ways: B keeps her subject, accepts the server's status.
    resolve_conflict(conn, found["subject"]["pk"], "local")
    resolve_conflict(conn, found["status"]["pk"], "server")
    assert conflicts(conn) == []
    conn.close()
    sync_in_process(server.url, b)
    sync_in_process(server.url, a)
    assert _request(a, request_id)["subject"] == "Objet vu par B"
    assert request_state(a) == request_state(b) == server_request_state(server)
    assert uuid.UUID(request_id)


def test_refused_mutation_stays_visible_and_does_not_block_the_queue(
    server: ServerProcess, tmp_path: Path
) -> None:
    import httpx

    from desktop.store.outbox import rejections

    db = local_db(tmp_path / "poste.sqlite3")
    sync_in_process(server.url, db)
    conn = connect(db)
    (first_id, first_pk), (second_id, second_pk) = conn.execute(
        "SELECT id, pk FROM request WHERE status = 'received' ORDER BY pk LIMIT 2").fetchall()
    # Meanwhile, at the mairie's other PC, the first request was closed without follow-up.
    response = httpx.post(
        f"{server.url}/api/v1/requests/{first_id}/status",
        json={"status": "closed", "outcome": "no_follow_up"},
        headers={"Authorization": f"Bearer {server.token()}"}, timeout=10,
    )
    assert response.status_code == 200, response.text
    set_status(conn, first_pk, Status.ACKNOWLEDGED, agent_id=None)   # refused: already closed
    set_status(conn, second_pk, Status.ACKNOWLEDGED, agent_id=None)  # fine
    conn.close()

    report = sync_in_process(server.url, db)
    assert (report.applied, report.rejected) == (1, 1)
    assert "déjà traitée" in report.rejections[0]
    conn = connect(db)
    refused = rejections(conn)
    assert [r.row_id for r in refused] == [first_id]
    assert "déjà traitée" in refused[0].reason
    assert pending_count(conn) == 0
    conn.close()
    # The optimistic "acknowledged" was replaced by the server's truth.
    assert request_state(db)[first_id][0] == "closed"
    assert request_state(db)[second_id][0] == "acknowledged"
    assert request_state(db) == server_request_state(server)
