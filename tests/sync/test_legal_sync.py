"""The legal actions of the bannette (issue 5) reach the server like any other change, and
their optimistic history is adopted rather than doubled."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
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


def test_acknowledgement_and_missing_documents_reach_the_server(
    server: ServerProcess, tmp_path: Path
) -> None:
    db = local_db(tmp_path / "poste.sqlite3")
    sync_in_process(server.url, db)
    conn = connect(db)
    pk, request_id = conn.execute(
        "SELECT pk, id FROM request WHERE status = 'received' AND acknowledged_at IS NULL "
        "ORDER BY pk LIMIT 1").fetchone()
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
