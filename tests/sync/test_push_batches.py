"""Push batches are split by bytes on the PC: a queue larger than the server's body limit goes
through in several pushes, and a single mutation too large for any push is refused here, with
a French reason, instead of blocking the queue behind it forever (issue 11, item 10)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop.store.database import connect
from desktop.store.outbox import pending_count, rejections
from desktop.store.requests import update_fields
from desktop.store.sync_store import SqliteSyncStore
from sync.client import ApiClient
from sync.engine import SyncEngine, SyncReport
from sync.protocol.wire import PushRequest, PushResponse
from tests.sync.conftest import CLERK, FAST_RETRY, ServerProcess, local_db, sync_in_process


class CountingClient(ApiClient):
    """The real client, counting the pushes and their sizes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pushes: list[int] = []

    def push(self, body: PushRequest) -> PushResponse:
        self.pushes.append(len(body.model_dump_json()))
        return super().push(body)


def _sync(url: str, db: Path, push_bytes: int) -> tuple[SyncReport, list[int]]:
    store = SqliteSyncStore(connect(db))
    client = CountingClient(url, retry=FAST_RETRY, timeout=10)
    try:
        engine = SyncEngine(store, client, blobs=store, push_bytes=push_bytes)
        engine.bind_agent(client.login(*CLERK).agent)
        return engine.sync_once(), client.pushes
    finally:
        client.close()
        store.close()


def test_queue_split_by_bytes_and_oversized_mutation_refused_locally(
    server: ServerProcess, tmp_path: Path
) -> None:
    db = local_db(tmp_path / "poste.sqlite3")
    sync_in_process(server.url, db)
    conn = connect(db)
    targets = [r[0] for r in conn.execute(
        "SELECT pk FROM request WHERE status = 'received' ORDER BY pk LIMIT 6")]
    for pk in targets[:2]:
        update_fields(conn, pk, {"description": "Détail " * 400})  # ~3 KB each
    update_fields(conn, targets[2], {"description": "Trop long " * 1900})  # ~19 KB alone
    for pk in targets[3:]:
        update_fields(conn, pk, {"description": "Suite " * 400})
    conn.close()

    report, pushes = _sync(server.url, db, push_bytes=8_000)

    assert (report.applied, report.rejected) == (5, 1)
    assert len(pushes) >= 3 and max(pushes) <= 8_000
    conn = connect(db)
    try:
        assert pending_count(conn) == 0
        refused = rejections(conn)
        assert len(refused) == 1 and "trop volumineuse" in refused[0].reason
    finally:
        conn.close()
    # Nothing is resent at the next sync: the refused mutation stays refused, on this PC.
    again, pushes = _sync(server.url, db, push_bytes=8_000)
    assert pushes == [] and again.rejected == 0
