"""The sync worker on its own QThread: the event loop keeps turning while it works, results come
back as signals on the GUI thread, and the status line says what a secrétaire needs."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QElapsedTimer, QThread, QTimer
from PySide6.QtWidgets import QApplication

from desktop.demo.generator import generate
from desktop.store.database import connect
from desktop.store.requests import set_status
from desktop.syncing.session import TokenVault
from desktop.syncing.status import Connectivity, SyncStatus, status_text
from desktop.syncing.worker import SyncController
from sync.client import RetryPolicy
from sync.protocol.vocabulary import Status
from tests.sync.conftest import (
    CLERK,
    ServerProcess,
    local_db,
    request_state,
    server_request_state,
    settle,
)

pytestmark = pytest.mark.gui


def test_status_sentences() -> None:
    at = datetime(2026, 11, 23, 14, 5)
    assert status_text(SyncStatus(Connectivity.ONLINE)) == "En ligne"
    assert status_text(SyncStatus(Connectivity.OFFLINE, pending=12)) == (
        "Hors ligne — 12 modifications en attente"
    )
    assert status_text(SyncStatus(Connectivity.OFFLINE, pending=1)) == (
        "Hors ligne — 1 modification en attente"
    )
    assert status_text(SyncStatus(Connectivity.ONLINE, progress=40)) == "Synchronisation… 40 %"
    assert status_text(SyncStatus(Connectivity.ONLINE, last_sync=at, conflicts=2)) == (
        "En ligne (2 conflits) · dernière synchronisation à 14:05"
    )


class Slow(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        time.sleep(1.2)
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_POST = do_GET


@pytest.fixture
def slow_url() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class MemoryVault(TokenVault):
    """No OS keyring in tests: the session lives in memory only."""

    def load(self, server: str, login: str) -> str | None:
        return self._memory.get(f"{server}|{login}")

    def save(self, server: str, login: str, refresh_token: str | None) -> None:
        if refresh_token:
            self._memory[f"{server}|{login}"] = refresh_token


def test_window_never_freezes_during_a_slow_sync(qtbot, tmp_path: Path, slow_url: str) -> None:
    db = tmp_path / "poste.sqlite3"
    conn = connect(db)
    generate(conn, requests=20, seed=3)
    pk = conn.execute("SELECT pk FROM request WHERE status = 'received' LIMIT 1").fetchone()[0]
    conn.execute("UPDATE request SET version = 1 WHERE pk = ?", (pk,))  # as if from a server
    set_status(conn, pk, Status.CLOSED, agent_id=None)
    vault = MemoryVault()
    conn.execute("INSERT INTO sync_state (key, value) VALUES ('server_url', ?), ('login', 'x')",
                 (slow_url,))
    vault.save(slow_url, "x", "refresh")
    controller = SyncController(db, conn, vault=vault,
                                retry=RetryPolicy(attempts=2, base_delay=0.01), timeout=5)
    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    def tick() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(10)
    texts: list[str] = []
    controller.statusChanged.connect(lambda s: texts.append(status_text(s)))
    with qtbot.waitSignal(controller.failed, timeout=15_000) as failed:
        controller.sync_now()
        assert controller.running
        assert QThread.currentThread() is QApplication.instance().thread()
    timer.stop()
    qtbot.wait(50)
    controller.stop()
    assert "en erreur" in failed.args[0]
    # The request took ≥ 2.4 s on the sync thread; the GUI loop never stalled.
    assert clock.elapsed() >= 2000
    assert max(gaps) < 250, f"the event loop stalled for {max(gaps)} ms"
    assert texts[0] == "Synchronisation… 0 %"
    assert texts[-1] == "Hors ligne — 1 modification en attente"
    conn.close()


def test_login_then_sync_through_the_worker(
    qtbot, server: ServerProcess, tmp_path: Path
) -> None:
    db = local_db(tmp_path / "poste.sqlite3")
    conn = connect(db)
    vault = MemoryVault()
    controller = SyncController(db, conn, vault=vault)
    reports = []
    controller.synced.connect(reports.append)
    with qtbot.waitSignal(controller.synced, timeout=30_000):
        controller.login(server.url, *CLERK)
    assert reports[0].new_requests == 80
    assert controller.status.connectivity is Connectivity.ONLINE
    assert vault.load(server.url, CLERK[0])  # the refresh token, in the vault only
    # Silence already turned into decisions in the server's data: recorded after the pull,
    # then sent by a follow-up sync without anyone asking.
    assert controller.status.pending > 0
    settle(qtbot, controller)
    assert request_state(db) == server_request_state(server)
    controller.stop()

    # Next start: the session is resumed from the vault, no password asked.
    server.submit(server.authority_ids()[0], "Nouvelle demande en ligne")
    again = SyncController(db, conn, vault=vault)
    with qtbot.waitSignal(again.synced, timeout=30_000) as done:
        again.sync_now()
    assert done.args[0].new_requests == 1
    again.stop()
    conn.close()


def test_demo_starts_the_server_logs_in_and_syncs(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server_template: Path
) -> None:
    import shutil

    from desktop.syncing.demo_server import DIR_ENV

    demo_dir = tmp_path / "serveur-demo"
    shutil.copytree(server_template, demo_dir)  # what a first `init --demo` leaves behind
    monkeypatch.setenv(DIR_ENV, str(demo_dir))
    db = local_db(tmp_path / "demo.sqlite3")
    conn = connect(db)
    controller = SyncController(db, conn, vault=MemoryVault())
    with qtbot.waitSignal(controller.synced, timeout=60_000) as done:
        controller.start_demo()
    assert done.args[0].new_requests == 80
    url = conn.execute("SELECT value FROM sync_state WHERE key = 'server_url'").fetchone()[0]
    assert url.startswith("http://127.0.0.1:")
    controller.stop()  # stops the demo server with the sync thread
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/health", timeout=2)
    conn.close()


def test_revoked_session_asks_for_login_and_keeps_local_work(
    qtbot, server: ServerProcess, tmp_path: Path
) -> None:
    db = local_db(tmp_path / "poste.sqlite3")
    conn = connect(db)
    vault = MemoryVault()
    controller = SyncController(db, conn, vault=vault)
    with qtbot.waitSignal(controller.synced, timeout=30_000):
        controller.login(server.url, *CLERK)
    settle(qtbot, controller)
    controller.stop()
    pk = conn.execute("SELECT pk FROM request WHERE status = 'received' LIMIT 1").fetchone()[0]
    set_status(conn, pk, Status.CLOSED, agent_id=None)
    vault.save(server.url, CLERK[0], "jeton-revoque")  # revoked by the administrator
    again = SyncController(db, conn, vault=vault)
    again.local_changed()
    with qtbot.waitSignal(again.loginNeeded, timeout=30_000) as asked:
        again.sync_now()
    assert "reconnectez-vous" in asked.args[0]
    assert status_text(again.status).startswith("Non connecté — 1 modification en attente")
    # Logging in again sends the work made meanwhile.
    with qtbot.waitSignal(again.synced, timeout=30_000) as done:
        again.login(server.url, *CLERK)
    assert done.args[0].applied == 1
    assert request_state(db) == server_request_state(server)
    again.stop()
    conn.close()


def test_demo_server_dies_with_a_killed_app(tmp_path: Path, server_template: Path) -> None:
    """The server watches the pipe the app holds: the system closes it when the app dies,
    however it dies (the same mechanism on Windows, where a kill runs no cleanup either)."""
    import shutil
    import subprocess

    demo_dir = tmp_path / "serveur-demo"
    shutil.copytree(server_template, demo_dir)
    app = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; "
         "from desktop.syncing.demo_server import DemoServer; "
         "print(DemoServer(Path(sys.argv[1])).ensure(), flush=True); time.sleep(120)",
         str(demo_dir)],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2],
    )
    assert app.stdout is not None
    url = app.stdout.readline().strip()
    assert httpx.get(f"{url}/health", timeout=2).status_code == 200
    app.kill()  # SIGKILL / TerminateProcess: no cleanup code runs
    app.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/health", timeout=0.5)
        except httpx.TransportError:
            return
        time.sleep(0.2)
    pytest.fail("the demo server outlived the app")
