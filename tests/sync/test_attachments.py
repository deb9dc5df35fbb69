"""Attachments: added offline, uploaded once when the line returns, then linked; downloaded on
demand on another PC, resumed after a cut, verified by hash, kept for offline use."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from desktop.store.attachments import add_attachment, remove_attachment, request_attachments
from desktop.store.database import StoreError, connect
from desktop.store.outbox import pending_count
from desktop.store.sync_store import SqliteSyncStore
from sync.client import ApiClient
from sync.protocol.files import sha256_hex
from sync.transfers import download
from tests.server.helpers import pdf_bytes
from tests.sync.conftest import CLERK, FAST_RETRY, ServerProcess, local_db, sync_in_process


def test_offline_attachment_uploads_then_downloads_with_resume(
    server: ServerProcess, tmp_path: Path
) -> None:
    a = local_db(tmp_path / "a" / "poste.sqlite3")
    b = local_db(tmp_path / "b" / "poste.sqlite3")
    sync_in_process(server.url, a)
    conn = connect(a)
    request_id, pk = conn.execute(
        "SELECT id, pk FROM request WHERE version > 0 ORDER BY pk LIMIT 1").fetchone()
    data = pdf_bytes("Justificatif de domicile " * 200)
    source = tmp_path / "justificatif.pdf"
    source.write_bytes(data)
    server.stop()
    attachment_id = add_attachment(conn, pk, source)
    assert pending_count(conn) == 1
    with pytest.raises(StoreError, match="n'est pas un PDF, un JPG ou un PNG"):
        fake = tmp_path / "virus.pdf"
        fake.write_bytes(b"MZ\x90\x00 not a pdf")
        add_attachment(conn, pk, fake)
    conn.close()
    server.start()
    report = sync_in_process(server.url, a)
    assert (report.uploaded, report.applied, report.rejected) == (1, 1, 0)
    row = server.query("SELECT request_id, sha256, size FROM attachments WHERE id = ?",
                       uuid.UUID(attachment_id).hex)
    assert row and str(uuid.UUID(str(row[0][0]))) == request_id
    assert row[0][1] == sha256_hex(data) and row[0][2] == len(data)
    # Synced twice: uploaded once.
    assert sync_in_process(server.url, a).uploaded == 0

    sync_in_process(server.url, b)
    store = SqliteSyncStore(connect(b))
    sha = store.conn.execute(
        "SELECT sha256 FROM attachment WHERE id = ?", (attachment_id,)).fetchone()[0]
    target = store.blob_path(sha)
    part = target.with_name(target.name + ".part")
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(data[: len(data) // 3])  # a download cut by the line a while ago
    seen: list[tuple[int, int]] = []
    with ApiClient(server.url, retry=FAST_RETRY) as client:
        client.login(*CLERK)
        path = download(client, store, attachment_id, sha, lambda d, t: seen.append((d, t)))
        assert path.read_bytes() == data
        assert seen[0][0] > len(data) // 3 and seen[-1] == (len(data), len(data))
    server.stop()  # offline: the cached copy is still there
    with ApiClient(server.url, retry=FAST_RETRY) as client:
        assert download(client, store, attachment_id, sha).read_bytes() == data
    store.close()


def test_a_file_joined_by_mistake_is_removed_everywhere_and_stays_in_the_history(
    server: ServerProcess, tmp_path: Path
) -> None:
    """Issue 9 item 15: « Retirer la pièce » applies here at once, queues ``attachment.unlink``;
    the server removes it for every PC and records who removed which file; the PC's own record
    of the removal becomes the server's (one line in the history, not two)."""
    a = local_db(tmp_path / "a" / "poste.sqlite3")
    b = local_db(tmp_path / "b" / "poste.sqlite3")
    sync_in_process(server.url, a)
    conn = connect(a)
    pk = conn.execute("SELECT pk FROM request WHERE version > 0 ORDER BY pk LIMIT 1").fetchone()[0]
    agent_id = conn.execute("SELECT value FROM sync_state WHERE key = 'agent_id'").fetchone()[0]
    source = tmp_path / "Facture d'eau.pdf"
    source.write_bytes(pdf_bytes("Facture " * 50))
    attachment_id = add_attachment(conn, pk, source, agent_id=agent_id)
    sync_in_process(server.url, a)
    sync_in_process(server.url, b)
    assert connect(b).execute("SELECT deleted FROM attachment WHERE id = ?",
                              (attachment_id,)).fetchone()[0] == 0

    removed = remove_attachment(conn, attachment_id, agent_id=agent_id)
    assert removed.filename == "Facture d'eau.pdf"
    assert request_attachments(conn, pk) == []
    assert pending_count(conn) == 1
    report = sync_in_process(server.url, a)
    assert (report.applied, report.rejected) == (1, 0)
    assert server.query("SELECT 1 FROM attachments WHERE id = ?",
                        uuid.UUID(attachment_id).hex) == []
    [(kind, data, agent)] = server.query(
        "SELECT kind, data, agent_id FROM events WHERE kind = 'attachment_removed'")
    assert json.loads(data) == {"attachment_id": attachment_id, "filename": "Facture d'eau.pdf"}
    assert str(uuid.UUID(str(agent))) == agent_id
    history = conn.execute(
        "SELECT kind, version FROM event WHERE request_pk = ? AND kind LIKE 'attachment%' "
        "ORDER BY pk", (pk,)).fetchall()
    assert [(k, v > 0) for k, v in history] == [
        ("attachment_added", True), ("attachment_removed", True)]
    conn.close()

    sync_in_process(server.url, b)
    other = connect(b)
    pk_b = other.execute("SELECT request_pk FROM attachment WHERE id = ?",
                         (attachment_id,)).fetchone()[0]
    assert request_attachments(other, pk_b) == []
    assert other.execute("SELECT COUNT(*) FROM event WHERE kind = 'attachment_removed'"
                         ).fetchone()[0] == 1
    other.close()
