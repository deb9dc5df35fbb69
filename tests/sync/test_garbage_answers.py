"""A server (or a proxy in front of it) that answers garbage: the queue is kept, the cursor does
not move, and the message says what happened, in French."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from desktop.demo.generator import generate
from desktop.store.database import connect
from desktop.store.outbox import pending_count
from desktop.store.requests import set_status
from desktop.store.sync_store import SqliteSyncStore
from sync import errors
from sync.client import ApiClient, RetryPolicy
from sync.engine import SyncEngine
from sync.protocol.vocabulary import Status

HTML = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1>nginx</body></html>"


class Garbage(BaseHTTPRequestHandler):
    mode = "html"
    calls = 0

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self) -> None:
        type(self).calls += 1
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        mode = type(self).mode
        if mode == "html":  # a captive portal, or the address of a web site
            self._send(200, "text/html", HTML)
        elif mode == "proxy":
            self._send(502, "text/html", HTML)
        elif mode == "truncated":
            self._send(200, "application/json", b'{"protocol": 1, "epoch": "abc", "max_ver')
        elif mode == "schema":
            self._send(200, "application/json", json.dumps({"protocol": 1, "epoch": 3}).encode())
        elif mode == "500":
            self._send(500, "application/problem+json",
                       json.dumps({"detail": "Erreur interne."}).encode())
        elif mode == "429":
            self._send(429, "application/json", b"{}", {"Retry-After": "0"})
        elif mode == "slow":
            time.sleep(1.5)
            self._send(200, "application/json", b"{}")
        elif mode == "cut":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "5000")
            self.end_headers()
            self.wfile.write(b'{"protocol": 1')
            self.wfile.flush()
            self.connection.close()

    def _send(self, status: int, ctype: str, body: bytes,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer


@pytest.fixture(scope="module")
def garbage_url() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Garbage)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def queued_db(tmp_path: Path) -> Path:
    path = tmp_path / "poste.sqlite3"
    conn = connect(path)
    generate(conn, requests=20, seed=1)
    pk = conn.execute("SELECT pk FROM request WHERE status = 'received' LIMIT 1").fetchone()[0]
    conn.execute("UPDATE request SET version = 1 WHERE pk = ?", (pk,))  # as if from a server
    set_status(conn, pk, Status.CLOSED, agent_id=None)
    conn.close()
    return path


CASES = [
    ("html", errors.BadResponseError, "page web au lieu de données"),
    ("proxy", errors.ServerError, "(code 502) : un intermédiaire a répondu par une page web"),
    ("truncated", errors.BadResponseError, "JSON incomplètes"),
    ("schema", errors.BadResponseError, "format inattendu"),
    ("500", errors.ServerError, "serveur est en erreur (code 500) : Erreur interne"),
    ("429", errors.ServerError, "code 429"),
    ("slow", errors.OfflineError, "délai dépassé"),
    ("cut", errors.OfflineError, "Hors ligne"),
]


@pytest.mark.parametrize(("mode", "error", "words"), CASES, ids=[c[0] for c in CASES])
def test_garbage_keeps_queue_and_says_why(
    garbage_url: str, queued_db: Path, mode: str, error: type[Exception], words: str
) -> None:
    Garbage.mode, Garbage.calls = mode, 0
    conn = connect(queued_db)
    store = SqliteSyncStore(conn)
    client = ApiClient(garbage_url, timeout=httpx.Timeout(0.5),
                       retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02))
    try:
        with pytest.raises(error) as caught:
            SyncEngine(store, client).sync_once()
    finally:
        client.close()
    message = caught.value.args[0]
    assert words in message
    assert errors.QUEUE_KEPT in message
    assert pending_count(conn) == 1
    assert store.get_state("cursor") is None
    if mode in ("proxy", "500", "429", "slow", "cut"):
        assert Garbage.calls == 3  # retried with backoff, then gave up
    else:
        assert Garbage.calls == 1  # garbage is not retried: it would be garbage again
    conn.close()


def test_unreachable_server_is_offline(queued_db: Path) -> None:
    from tests.server.pg_cluster import free_port

    conn = connect(queued_db)
    client = ApiClient(f"http://127.0.0.1:{free_port()}",
                       retry=RetryPolicy(attempts=2, base_delay=0.01))
    with pytest.raises(errors.OfflineError, match="Hors ligne.*connexion impossible"):
        SyncEngine(SqliteSyncStore(conn), client).sync_once()
    client.close()
    assert pending_count(conn) == 1
    conn.close()


def test_status_reads_the_queue_without_network(
    queued_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sync.cli import main

    assert main(["--status", "--database", str(queued_db)]) == 0
    out = capsys.readouterr().out
    assert "Modifications en attente : 1" in out
    assert "Dernière synchronisation : jamais" in out
