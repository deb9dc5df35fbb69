"""Real kills (SIGKILL) of the client (``python -m sync --once``) and of the server at each step
of push and pull. After a restart: no mutation lost, none applied twice, and the local database
says exactly what the server's says."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from desktop.store.database import connect
from desktop.store.outbox import pending_count
from desktop.store.requests import set_status
from sync.protocol.vocabulary import Status
from tests.sync.conftest import (
    ServerProcess,
    local_db,
    request_state,
    run_cli,
    server_request_state,
    start_cli,
    sync_in_process,
    wait_for,
)

pytestmark = pytest.mark.slow
CHANGES = 5


def _offline_changes(db: Path) -> list[str]:
    """Five requests closed while offline: five mutations, each leaving one close event."""
    conn = connect(db)
    rows = conn.execute(
        "SELECT pk, id FROM request WHERE status = 'received' AND version > 0 ORDER BY pk LIMIT ?",
        (CHANGES,),
    ).fetchall()
    for pk, _ in rows:
        set_status(conn, pk, Status.CLOSED, agent_id=None)
    assert pending_count(conn) == CHANGES
    conn.close()
    return [r[1] for r in rows]


def _assert_converged(server: ServerProcess, db: Path, request_ids: list[str]) -> None:
    result = run_cli(server.url, db)
    assert result.returncode == 0, result.stderr
    conn = connect(db)
    assert pending_count(conn) == 0, "a mutation was lost or is stuck"
    assert conn.execute("SELECT COUNT(*) FROM sync_outbox").fetchone()[0] == 0
    conn.close()
    for request_id in request_ids:
        closes = server.query(
            "SELECT COUNT(*) FROM events WHERE request_id = ? AND kind = 'status_changed'",
            uuid.UUID(request_id).hex,
        )[0][0]
        assert closes == 1, "applied twice (or never)"
    assert server.query("SELECT COUNT(*) FROM mutation_log")[0][0] == CHANGES
    assert request_state(db) == server_request_state(server)
    assert all(request_state(db)[r][0] == "closed" for r in request_ids)


@pytest.fixture
def synced(server: ServerProcess, tmp_path: Path) -> tuple[ServerProcess, Path, list[str]]:
    db = local_db(tmp_path / "poste.sqlite3")
    sync_in_process(server.url, db)
    return server, db, _offline_changes(db)


@pytest.mark.parametrize("point", ["before_push", "after_push_answer"])
def test_client_killed_around_push(
    synced: tuple[ServerProcess, Path, list[str]], tmp_path: Path, point: str
) -> None:
    server, db, request_ids = synced
    marker = tmp_path / "paused"
    cli = start_cli(server.url, db, env={"BANNETTE_SYNC_PAUSE_AT": point,
                                         "BANNETTE_SYNC_PAUSE_MARKER": str(marker)})
    wait_for(marker, process=cli)
    cli.kill()
    cli.wait()
    sent = server.query("SELECT COUNT(*) FROM mutation_log")[0][0]
    assert sent == (0 if point == "before_push" else CHANGES)
    _assert_converged(server, db, request_ids)


def test_server_killed_after_commit_before_answer(
    synced: tuple[ServerProcess, Path, list[str]], tmp_path: Path
) -> None:
    server, db, request_ids = synced
    marker = tmp_path / "committed"
    server.stop()
    server.start(BANNETTE_SERVER_PAUSE_AFTER_PUSH=str(marker))
    cli = start_cli(server.url, db, env={})
    wait_for(marker, process=cli)
    server.kill()  # the push is committed on the server; its answer never leaves
    out, err = cli.communicate(timeout=60)
    assert cli.returncode == 1, out + err
    assert "Hors ligne" in err
    assert server.query("SELECT COUNT(*) FROM mutation_log")[0][0] == CHANGES
    conn = connect(db)
    assert pending_count(conn) == CHANGES  # the PC does not know: it will ask again
    conn.close()
    server.start()
    _assert_converged(server, db, request_ids)


def test_client_killed_mid_pull_page(server: ServerProcess, tmp_path: Path) -> None:
    db = local_db(tmp_path / "poste.sqlite3")
    marker = tmp_path / "mid-page"
    cli = start_cli(server.url, db, "--page-size", "40",
                    env={"BANNETTE_SYNC_PAUSE_AT": "mid_pull_page",
                         "BANNETTE_SYNC_PAUSE_MARKER": str(marker)})
    wait_for(marker, process=cli)
    cli.kill()
    cli.wait()
    conn = connect(db)
    # The page being applied was rolled back with its cursor: nothing half-applied.
    assert conn.execute("SELECT value FROM sync_state WHERE key = 'cursor'").fetchone() is None
    assert conn.execute("SELECT COUNT(*) FROM request").fetchone()[0] == 0
    conn.close()
    result = run_cli(server.url, db, "--page-size", "40")
    assert result.returncode == 0, result.stderr
    assert request_state(db) == server_request_state(server)


def test_server_killed_between_pull_pages(server: ServerProcess, tmp_path: Path) -> None:
    db = local_db(tmp_path / "poste.sqlite3")
    marker = tmp_path / "between"
    cli = start_cli(server.url, db, "--page-size", "40",
                    env={"BANNETTE_SYNC_PAUSE_AT": "between_pull_pages",
                         "BANNETTE_SYNC_PAUSE_MARKER": str(marker),
                         "BANNETTE_SYNC_PAUSE_SECONDS": "1"})
    wait_for(marker, process=cli)
    server.kill()
    out, err = cli.communicate(timeout=60)
    assert cli.returncode == 1 and "Hors ligne" in err, out + err
    conn = connect(db)
    cursor = int(conn.execute("SELECT value FROM sync_state WHERE key = 'cursor'").fetchone()[0])
    assert cursor > 0  # the first page is kept
    conn.close()
    server.start()
    result = run_cli(server.url, db, "--page-size", "40")
    assert result.returncode == 0, result.stderr
    assert request_state(db) == server_request_state(server)


def test_client_killed_between_upload_and_link(server: ServerProcess, tmp_path: Path) -> None:
    """The file reached the server, the mutation that links it did not: on restart the file is
    not sent again and the link is made once."""
    from desktop.store.attachments import add_attachment
    from tests.server.helpers import pdf_bytes

    db = local_db(tmp_path / "poste.sqlite3")
    sync_in_process(server.url, db)
    conn = connect(db)
    pk = conn.execute("SELECT pk FROM request WHERE version > 0 LIMIT 1").fetchone()[0]
    source = tmp_path / "plan.pdf"
    source.write_bytes(pdf_bytes("Plan de situation"))
    attachment_id = add_attachment(conn, pk, source)
    conn.close()
    marker = tmp_path / "uploaded"
    cli = start_cli(server.url, db, env={"BANNETTE_SYNC_PAUSE_AT": "before_push",
                                         "BANNETTE_SYNC_PAUSE_MARKER": str(marker)})
    wait_for(marker, process=cli)
    cli.kill()
    cli.wait()
    assert server.query("SELECT COUNT(*) FROM blobs")[0][0] >= 1
    assert server.query("SELECT COUNT(*) FROM attachments WHERE id = ?",
                        uuid.UUID(attachment_id).hex)[0][0] == 0
    result = run_cli(server.url, db)
    assert result.returncode == 0, result.stderr
    assert server.query("SELECT COUNT(*) FROM attachments WHERE id = ?",
                        uuid.UUID(attachment_id).hex)[0][0] == 1
    conn = connect(db)
    assert pending_count(conn) == 0
    assert conn.execute("SELECT state FROM sync_upload").fetchone()[0] == "done"
    assert conn.execute("SELECT version FROM attachment WHERE id = ?",
                        (attachment_id,)).fetchone()[0] > 0
    conn.close()


def test_client_killed_mid_download(server: ServerProcess, tmp_path: Path) -> None:
    """Killed with part of an attachment on disk: no file passes for the attachment until it
    is whole, and the next run resumes from the bytes already there."""
    from desktop.store.attachments import add_attachment
    from desktop.store.sync_store import blob_path
    from sync.protocol.files import sha256_hex
    from tests.server.helpers import pdf_bytes

    sender = local_db(tmp_path / "a" / "poste.sqlite3")
    sync_in_process(server.url, sender)
    conn = connect(sender)
    pk = conn.execute("SELECT pk FROM request WHERE version > 0 LIMIT 1").fetchone()[0]
    data = pdf_bytes(" ".join(str(n) for n in range(150_000)))  # several 64 KB chunks
    assert len(data) > 3 * 64 * 1024
    source = tmp_path / "dossier.pdf"
    source.write_bytes(data)
    attachment_id = add_attachment(conn, pk, source)
    conn.close()
    sync_in_process(server.url, sender)

    db = local_db(tmp_path / "b" / "poste.sqlite3")
    sync_in_process(server.url, db)
    conn = connect(db)
    target = blob_path(conn, sha256_hex(data))
    conn.close()
    part = target.with_name(target.name + ".part")
    marker = tmp_path / "mid-download"
    cli = start_cli(server.url, db, "--download", attachment_id,
                    env={"BANNETTE_SYNC_PAUSE_AT": "mid_download",
                         "BANNETTE_SYNC_PAUSE_MARKER": str(marker)})
    wait_for(marker, process=cli)
    cli.kill()
    cli.wait()
    assert not target.exists()
    kept = part.stat().st_size
    assert 0 < kept < len(data)

    result = run_cli(server.url, db, "--download", attachment_id)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(target)
    assert target.read_bytes() == data
    assert not part.exists()
    # Known to the cache now: asked again offline, it is answered from the disk.
    server.stop()
    again = run_cli(server.url, db, "--download", attachment_id)
    assert again.returncode == 0 and again.stdout.strip() == str(target)


def test_server_killed_mid_upload(server: ServerProcess, tmp_path: Path) -> None:
    """The server dies with the file on its disk and its row uncommitted: the PC keeps the
    upload and the link queued, sends them again, and the server ends with one blob and one
    attachment."""
    from desktop.store.attachments import add_attachment
    from sync.protocol.files import sha256_hex
    from tests.server.helpers import pdf_bytes

    db = local_db(tmp_path / "poste.sqlite3")
    sync_in_process(server.url, db)
    conn = connect(db)
    pk = conn.execute("SELECT pk FROM request WHERE version > 0 LIMIT 1").fetchone()[0]
    data = pdf_bytes("Attestation d'assurance")
    source = tmp_path / "assurance.pdf"
    source.write_bytes(data)
    attachment_id = add_attachment(conn, pk, source)
    conn.close()
    marker = tmp_path / "in-upload"
    server.stop()
    server.start(BANNETTE_SERVER_PAUSE_IN_UPLOAD=str(marker))
    cli = start_cli(server.url, db, env={})
    wait_for(marker, process=cli)
    server.kill()
    out, err = cli.communicate(timeout=60)
    assert cli.returncode == 1, out + err
    conn = connect(db)
    assert pending_count(conn) == 1
    assert conn.execute("SELECT state FROM sync_upload").fetchone()[0] == "pending"
    conn.close()
    assert server.query("SELECT COUNT(*) FROM blobs WHERE sha256 = ?", sha256_hex(data)) == [(0,)]

    server.start()
    result = run_cli(server.url, db)
    assert result.returncode == 0, result.stderr
    assert server.query("SELECT COUNT(*) FROM blobs WHERE sha256 = ?", sha256_hex(data)) == [(1,)]
    assert server.query("SELECT COUNT(*) FROM attachments WHERE id = ?",
                        uuid.UUID(attachment_id).hex) == [(1,)]
    conn = connect(db)
    assert pending_count(conn) == 0
    assert conn.execute("SELECT state FROM sync_upload").fetchone()[0] == "done"
    conn.close()
