"""Protocol compatibility (issue 14): the server publishes the protocol it speaks and the oldest
desktop it accepts; an older desktop is told in French to update, keeps its outbox, and stops
syncing until updated. Real server on loopback, real local store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest

from desktop.store.database import connect
from desktop.store.outbox import pending_count
from desktop.store.requests import set_status
from desktop.store.sync_store import SqliteSyncStore
from desktop.syncing.worker import SyncController
from desktop.version import app_version
from sync import errors
from sync.client import ApiClient
from sync.engine import SyncEngine
from sync.protocol.versions import VERSION_HEADER, is_older, version_key
from sync.protocol.vocabulary import Status
from sync.protocol.wire import PROTOCOL_VERSION
from tests.sync.conftest import CLERK, FAST_RETRY, ServerProcess, local_db
from tests.sync.test_worker_gui import MemoryVault

TOO_NEW = "99.0"


def _first_request_pk(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT pk FROM request ORDER BY pk LIMIT 1").fetchone()[0])
    finally:
        conn.close()


def _outbox(db: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return [tuple(r) for r in conn.execute("SELECT * FROM sync_outbox ORDER BY 1")]
    finally:
        conn.close()


def _sync(url: str, db: Path, version: str) -> None:
    store = SqliteSyncStore(connect(db))
    client = ApiClient(url, retry=FAST_RETRY, timeout=10, client_version=version)
    try:
        engine = SyncEngine(store, client, blobs=store)
        engine.bind_agent(client.login(*CLERK).agent)
        engine.sync_once()
    finally:
        client.close()
        store.close()


def test_versions_compare_by_number() -> None:
    assert is_older("0.9.0", "0.10.0")
    assert not is_older("0.10.0", "0.10.0")
    assert version_key("1.0.0rc2") == (1, 0, 0)


def test_server_publishes_its_protocol_and_oldest_desktop(server: ServerProcess) -> None:
    answer = httpx.get(f"{server.url}/api/v1/meta", timeout=10)
    assert answer.status_code == 200
    assert answer.json() == {"protocol": PROTOCOL_VERSION, "min_desktop_version": "0.1.0"}
    with ApiClient(server.url, client_version=app_version()) as client:
        info = client.server_info()
    assert info.protocol == PROTOCOL_VERSION and info.min_desktop_version == "0.1.0"


def test_outdated_desktop_is_told_in_french_and_keeps_its_outbox(
    server: ServerProcess, tmp_path: Path
) -> None:
    db = local_db(tmp_path / "poste.sqlite3")
    _sync(server.url, db, app_version())  # today's desktop is accepted
    conn = connect(db)
    set_status(conn, _first_request_pk(db), Status.ACKNOWLEDGED, agent_id=None)
    assert pending_count(conn) == 1
    conn.close()
    queued = _outbox(db)

    server.stop()
    server.start(BANNETTE_MIN_DESKTOP_VERSION=TOO_NEW)  # the server moved on
    with pytest.raises(errors.UpgradeRequiredError) as refused:
        _sync(server.url, db, app_version())
    assert "Ce poste doit être mis à jour" in refused.value.message
    assert TOO_NEW in refused.value.message
    assert "conservées" in refused.value.message
    assert _outbox(db) == queued  # nothing sent, nothing dropped

    raw = httpx.post(f"{server.url}/api/v1/auth/login", json={"login": CLERK[0],
                     "password": CLERK[1]}, headers={VERSION_HEADER: "0.1.0"}, timeout=10)
    assert raw.status_code == 426
    assert raw.headers["content-type"].startswith("application/problem+json")
    assert "Mettez le logiciel à jour" in raw.json()["detail"]
    # The meta endpoint stays open to it, and clients without a version are not concerned.
    meta = httpx.get(f"{server.url}/api/v1/meta", headers={VERSION_HEADER: "0.1.0"}, timeout=10)
    assert meta.json()["min_desktop_version"] == TOO_NEW
    assert httpx.get(f"{server.url}/health", timeout=10).status_code == 200


@pytest.mark.gui
def test_outdated_desktop_stops_syncing_until_updated(
    qtbot, server: ServerProcess, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    db = local_db(tmp_path / "poste.sqlite3")
    conn = connect(db)
    controller = SyncController(db, conn, vault=MemoryVault())
    try:
        with qtbot.waitSignal(controller.synced, timeout=60_000):
            controller.login(server.url, *CLERK)
        qtbot.waitUntil(lambda: not controller.running, timeout=30_000)
        assert controller.server_info.min_desktop_version == "0.1.0"  # type: ignore[union-attr]
        set_status(conn, _first_request_pk(db), Status.ACKNOWLEDGED, agent_id=None)
        queued = _outbox(db)
        assert queued

        server.stop()
        server.start(BANNETTE_MIN_DESKTOP_VERSION=TOO_NEW)
        controller.start_timer()
        with qtbot.waitSignal(controller.failed, timeout=30_000) as failed:
            controller.sync_now()
        assert "Ce poste doit être mis à jour" in failed.args[0]
        assert controller.upgrade_required == failed.args[0]
        assert not controller._timer.isActive()  # no retry every minute
        assert _outbox(db) == queued
        # F5 says it again without asking the server.
        with qtbot.waitSignal(controller.failed, timeout=1_000) as again:
            controller.sync_now()
        assert again.args[0] == failed.args[0] and not controller.running
    finally:
        controller.stop()
        conn.close()
