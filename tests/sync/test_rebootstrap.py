"""The server's database was recreated (new epoch): the PC re-pulls everything, keeps its
unsent work, and forgets rows the new server does not have."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from desktop.store.database import connect
from desktop.store.outbox import pending_count
from desktop.store.requests import set_status
from sync.protocol.vocabulary import Status
from tests.sync.conftest import (
    ServerProcess,
    local_db,
    request_state,
    server_request_state,
    sync_in_process,
)


def test_new_epoch_rebootstraps_and_keeps_outbox(server: ServerProcess, tmp_path: Path) -> None:
    db = local_db(tmp_path / "poste.sqlite3")
    sync_in_process(server.url, db)
    conn = connect(db)
    pk = conn.execute("SELECT pk FROM request WHERE status = 'received' LIMIT 1").fetchone()[0]
    # A row the old server had and the new one will not.
    ghost = str(uuid.uuid4())
    conn.execute(
        "INSERT INTO request (id, authority_pk, number, received_at, channel, citizen_pk, "
        "procedure_pk, subject, version) SELECT ?, authority_pk, '2020-999999', received_at, "
        "channel, citizen_pk, procedure_pk, 'fantôme', 999999 FROM request WHERE pk = ?",
        (ghost, pk),
    )
    set_status(conn, pk, Status.CLOSED, agent_id=None)
    conn.close()

    server.stop()
    raw = sqlite3.connect(server.database)
    raw.execute("UPDATE sync_state SET epoch = 'restauree-2026'")
    raw.commit()
    raw.close()
    server.start()

    report = sync_in_process(server.url, db)
    assert report.rebootstrapped
    assert report.applied == 1
    conn = connect(db)
    assert pending_count(conn) == 0
    assert conn.execute("SELECT deleted FROM request WHERE id = ?", (ghost,)).fetchone()[0] == 1
    assert conn.execute("SELECT value FROM sync_state WHERE key = 'epoch'").fetchone()[0] == (
        "restauree-2026"
    )
    conn.close()
    assert request_state(db) == server_request_state(server)
    again = sync_in_process(server.url, db)
    assert not again.rebootstrapped and again.pulled_rows == 0


def test_restored_backup_numbers_new_mutations_above_what_the_server_saw(
    server: ServerProcess, tmp_path: Path
) -> None:
    import shutil

    db = local_db(tmp_path / "poste.sqlite3")
    sync_in_process(server.url, db)
    backup = tmp_path / "sauvegarde.sqlite3"
    conn = connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    shutil.copyfile(db, backup)
    conn = connect(db)
    first, second = [r[0] for r in conn.execute(
        "SELECT pk FROM request WHERE status = 'received' ORDER BY pk LIMIT 2")]
    set_status(conn, first, Status.CLOSED, agent_id=None)
    conn.close()
    sync_in_process(server.url, db)  # mutation 1 reaches the server
    shutil.copyfile(backup, db)      # the PC is restored from yesterday's backup
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    sync_in_process(server.url, db)  # learns that the server saw mutation 1
    conn = connect(db)
    set_status(conn, second, Status.CLOSED, agent_id=None)
    conn.close()
    report = sync_in_process(server.url, db)
    assert (report.applied, report.rejected) == (1, 0)
    assert request_state(db) == server_request_state(server)
