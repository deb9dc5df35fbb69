"""Quitting never waits on the sync (issue 9, item 19): not on a request in flight to a slow
server, not on a pause between two attempts, not on the demo server winding down."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from desktop.demo.generator import generate
from desktop.store.database import connect
from desktop.syncing.demo_server import DemoServer
from desktop.syncing.worker import SyncController
from sync.client import RetryPolicy
from tests.sync.test_worker_gui import MemoryVault

pytestmark = pytest.mark.gui


class Held:
    """A server that holds every request until released, then asks to come back in 100 s."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        held = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                held.arrived.set()
                held.release.wait(60)
                self.send_response(503)
                self.send_header("Retry-After", "100")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture
def held() -> Iterator[Held]:
    server = Held()
    threading.Thread(target=server.httpd.serve_forever, daemon=True).start()
    yield server
    server.release.set()
    server.httpd.shutdown()


def test_quitting_does_not_wait_for_a_sync_in_flight(qtbot, tmp_path: Path, held: Held) -> None:
    db = tmp_path / "poste.sqlite3"
    conn = connect(db)
    generate(conn, requests=5, seed=3)
    conn.execute("INSERT INTO sync_state (key, value) VALUES ('server_url', ?), ('login', 'x')",
                 (held.url,))
    vault = MemoryVault()
    vault.save(held.url, "x", "refresh")
    controller = SyncController(db, conn, vault=vault, timeout=120,
                                retry=RetryPolicy(attempts=3, max_retry_after=200))
    controller.sync_now()
    assert held.arrived.wait(30), "the sync never reached the server"
    # Were the quit to wait for the sync, only this watchdog would let it return.
    watchdog = threading.Timer(20, held.release.set)
    watchdog.start()
    try:
        ended = controller.stop(wait=False)
        assert not held.release.is_set(), "the quit waited for the server's answer"
        assert not ended  # the sync thread is still inside its request, and that is fine
    finally:
        watchdog.cancel()
    # The answer comes (« come back in 100 s »): the worker does not sit out the pause.
    held.release.set()
    assert controller.finish(60_000)
    conn.close()


def test_the_demo_server_is_left_to_stop_on_its_own(tmp_path: Path, server_template: Path) -> None:
    demo_dir = tmp_path / "serveur-demo"
    shutil.copytree(server_template, demo_dir)
    demo = DemoServer(demo_dir)
    url = demo.ensure()
    process = demo.process
    assert process is not None
    demo.stop(wait=False)
    assert demo.process is None
    process.wait(30)  # it goes by itself (the test, not the app, waits here)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/health", timeout=2)
