"""RGPD end to end with the real server process and two PCs: a read done offline on one PC
reaches the admin's audit trail; an erasure decided on a PC and the 36-month purge reach every
PC at its next sync; a purge killed (-9) between two citizens resumes and never leaves one
citizen half purged."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from desktop.store.database import connect
from desktop.store.rgpd import ERASED_NAME, erase_citizen, record_read
from server.services.retention import IN_PURGE_ENV, months_before
from sync.client import ApiClient
from sync.protocol.wire import ReadWhat
from sync.rgpd_calls import (
    AuditQuery,
    approve_retention,
    fetch_audit,
    propose_retention,
    purge_retention,
)
from tests.sync.conftest import (
    FAST_RETRY,
    ServerProcess,
    fresh_server,
    local_db,
    sync_in_process,
)

ADMIN = ("admin", "Admin-Bannette-2026!")
LATER = months_before(date.today(), -40)  # today's rows are 36 months idle then


def admin_client(server: ServerProcess) -> ApiClient:
    client = ApiClient(server.url, retry=FAST_RETRY, timeout=30)
    client.login(*ADMIN)
    return client


def new_citizen(server: ServerProcess, authority_id: str, last_name: str) -> str:
    response = httpx.post(
        f"{server.url}/api/v1/citizens", headers={"Authorization": f"Bearer {server.token()}"},
        json={"authority_id": authority_id, "fields": {
            "kind": "person", "last_name": last_name, "first_name": "Éloïse",
            "email": f"{uuid.uuid4().hex[:8]}@example.fr"}}, timeout=10)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def closed_request(server: ServerProcess, authority_id: str, citizen_id: str) -> None:
    headers = {"Authorization": f"Bearer {server.token()}"}
    request_id = str(uuid.uuid4())
    created = httpx.post(f"{server.url}/api/v1/requests", headers=headers, json={
        "id": request_id, "authority_id": authority_id, "channel": "paper",
        "subject": "Demande de M. Quesnoy", "citizen_id": citizen_id}, timeout=10)
    assert created.status_code == 201, created.text
    closed = httpx.post(f"{server.url}/api/v1/requests/{request_id}/status", headers=headers,
                        json={"status": "closed"}, timeout=10)
    assert closed.status_code == 200, closed.text


def local_citizen(db: Path, citizen_id: str) -> sqlite3.Row:
    conn = connect(db)
    try:
        row = conn.execute("SELECT * FROM citizen WHERE id = ?", (citizen_id,)).fetchone()
        assert row is not None
        return row
    finally:
        conn.close()


def test_an_offline_read_reaches_the_trail_and_an_erasure_every_pc(
    server: ServerProcess, tmp_path: Path,
) -> None:
    authority = server.authority_ids()[0]
    citizen_id = new_citizen(server, authority, "Lefèvre")
    pc1, pc2 = local_db(tmp_path / "pc1.sqlite3"), local_db(tmp_path / "pc2.sqlite3")
    sync_in_process(server.url, pc1)
    sync_in_process(server.url, pc2, ADMIN)  # the admin's PC
    conn = connect(pc1)
    try:
        pk = int(conn.execute("SELECT pk FROM citizen WHERE id = ?", (citizen_id,)).fetchone()[0])
        # Offline: opened, repainted, opened again at once: one trace queued.
        assert record_read(conn, pk, ReadWhat.CITIZEN_FILE)
        assert not record_read(conn, pk, ReadWhat.CITIZEN_FILE)
        queued = conn.execute("SELECT count(*) FROM sync_outbox WHERE name = 'audit.read'")
        assert queued.fetchone()[0] == 1
    finally:
        conn.close()
    report = sync_in_process(server.url, pc1)
    assert (report.applied, report.rejected) == (1, 0)
    admin = admin_client(server)
    try:
        trail = fetch_audit(admin, AuditQuery(citizen_id=citizen_id, action="read"), 0, 50)
        reads = [e for e in trail.items if e.detail.get("from") == "desktop"]
        assert len(reads) == 1 and reads[0].detail["via"] == "citizen_file"
        clerk_id = server.query("SELECT id FROM agents WHERE login = 'secretaire'")[0][0]
        assert str(reads[0].agent_id).replace("-", "") == str(clerk_id).replace("-", "")
    finally:
        admin.close()

    # The admin erases the citizen on their PC (offline: gone from it at once).
    conn = connect(pc2)
    try:
        pk = int(conn.execute("SELECT pk FROM citizen WHERE id = ?", (citizen_id,)).fetchone()[0])
        erase_citizen(conn, pk, "Demande écrite du 30/11/2026")
    finally:
        conn.close()
    erased_here = local_citizen(pc2, citizen_id)
    assert erased_here["display_name"] == ERASED_NAME and erased_here["email"] == ""
    erased = sync_in_process(server.url, pc2, ADMIN)
    assert (erased.applied, erased.rejected) == (1, 0)
    assert server.query("SELECT count(*) FROM citizens WHERE id = ?",
                        uuid.UUID(citizen_id).hex)[0][0] == 0
    sync_in_process(server.url, pc1)
    on_pc1 = local_citizen(pc1, citizen_id)
    assert on_pc1["deleted"] == 1 and on_pc1["last_name"] == "" and on_pc1["email"] == ""
    assert on_pc1["display_name"] == ERASED_NAME


def _purge_in_background(url: str, token: str, run_id: str, out: dict[str, Any]) -> None:
    try:
        out["response"] = httpx.post(f"{url}/api/v1/retention/{run_id}/purge",
                                     headers={"Authorization": f"Bearer {token}"}, timeout=120)
    except httpx.TransportError as exc:  # the server was killed under it
        out["error"] = exc


@pytest.mark.slow
def test_the_purge_killed_mid_way_resumes_and_reaches_both_pcs(
    server_template: Path, tmp_path: Path,
) -> None:
    server = fresh_server(server_template, tmp_path / "server")
    marker = tmp_path / "paused-in-purge"
    server.start(**{IN_PURGE_ENV: str(marker)})
    try:
        authority = server.authority_ids()[0]
        idle = [new_citizen(server, authority, name) for name in ("Aubert", "Quesnoy", "Carré")]
        closed_request(server, authority, idle[1])
        pc1, pc2 = local_db(tmp_path / "pc1.sqlite3"), local_db(tmp_path / "pc2.sqlite3")
        for pc in (pc1, pc2):
            sync_in_process(server.url, pc)
        admin = admin_client(server)
        try:
            run = propose_retention(admin, authority, LATER)
            assert set(idle) <= {str(i.citizen_id) for i in run.items}
            approve_retention(admin, run.id)
        finally:
            admin.close()
        out: dict[str, Any] = {}
        worker = threading.Thread(target=_purge_in_background,
                                  args=(server.url, server.token(*ADMIN), str(run.id), out))
        worker.start()
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert time.monotonic() < deadline, "la purge ne s'est pas arrêtée où prévu"
            time.sleep(0.05)
        server.kill()  # kill -9 between the first citizen and the second
        worker.join(timeout=30)
        assert "response" not in out
        states = server.query("SELECT citizen_id, state FROM retention_items WHERE run_id = ?",
                              run.id.hex)
        assert sorted(s for _, s in states).count("purged") == 1
        for citizen_hex, state in states:
            present = server.query("SELECT count(*) FROM citizens WHERE id = ?", citizen_hex)
            linked = server.query("SELECT count(*) FROM requests WHERE citizen_id = ?",
                                  citizen_hex)
            tomb = server.query("SELECT count(*) FROM tombstones WHERE row_id = ?", citizen_hex)
            if state == "purged":
                assert (present[0][0], linked[0][0], tomb[0][0]) == (0, 0, 1)
            else:  # untouched, whole
                assert (present[0][0], tomb[0][0]) == (1, 0)
        server.start()  # restarted without the fault
        admin = admin_client(server)
        try:
            done = purge_retention(admin, run.id)
        finally:
            admin.close()
        assert done.state == "done"
        assert done.report["counts"] == {"purged": len(run.items)}
        for pc in (pc1, pc2):
            sync_in_process(server.url, pc)
            for citizen_id in idle:
                row = local_citizen(pc, citizen_id)
                assert row["deleted"] == 1 and row["last_name"] == ""
        with_requests = [str(i.citizen_id) for i in run.items if i.requests]
        assert idle[1] in with_requests
        for pc in (pc1, pc2):
            conn = connect(pc)
            try:
                still = conn.execute(
                    "SELECT count(*) FROM request r JOIN citizen c ON c.pk = r.citizen_pk "
                    f"WHERE c.id IN ({', '.join('?' * len(with_requests))})", with_requests)
                assert still.fetchone()[0] == 0  # their requests stay, anonymous
                found = conn.execute("SELECT count(*) FROM request_search "
                                     "WHERE citizen LIKE '%Quesnoy%' OR subject LIKE '%Quesnoy%'"
                                     ).fetchone()
                assert found[0] == 0
            finally:
                conn.close()
        trail = json.dumps(server.query(
            "SELECT action FROM audit_log WHERE action LIKE 'retention%'"))
        assert "retention_approve" in trail and "retention_purge_done" in trail
    finally:
        server.stop()
