"""The real server (``python -m server``) as a process on a free loopback port, and helpers to
sync a local database with it in-process or through ``python -m sync`` in a subprocess.

Keyring: the tests never touch the OS keyring. The subprocesses run with keyring's "null"
backend (``PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring``: nothing stored, nothing
found), so the password comes from ``BANNETTE_SYNC_PASSWORD``.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from desktop.store.database import connect
from desktop.store.sync_store import SqliteSyncStore
from sync.client import ApiClient, RetryPolicy
from sync.engine import SyncEngine, SyncReport
from tests.server.pg_cluster import free_port

ROOT = Path(__file__).resolve().parents[2]
CLERK = ("secretaire", "Secretaire-2026!")
NULL_KEYRING = "keyring.backends.null.Keyring"
FAST_RETRY = RetryPolicy(attempts=2, base_delay=0.05, max_delay=0.2)


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHON_KEYRING_BACKEND": NULL_KEYRING}
    env.update(extra)
    return env


@dataclass
class ServerProcess:
    """One server data folder; the process can be killed (-9) and restarted on the same port."""

    data: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[str] | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> Path:
        return self.data / "server.sqlite3"

    def init(self) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "server", "init", "--demo", "--keep-passwords"],
            env=_env(BANNETTE_DATA_DIR=str(self.data)), cwd=ROOT, capture_output=True,
            text=True, timeout=120,
        )
        assert result.returncode == 0, result.stderr

    def start(self, **extra_env: str) -> None:
        self.extra_env = extra_env
        env = _env(BANNETTE_DATA_DIR=str(self.data), BANNETTE_SERVER_PORT=str(self.port),
                   **extra_env)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server", "--host", "127.0.0.1", "--log-level", "warning"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("le serveur n'a pas démarré")
            time.sleep(0.1)

    def kill(self) -> None:
        """kill -9: no shutdown handler runs, exactly like a power cut of the process."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    # --- what the server holds (read straight from its database) ---------------------------
    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(self.database, timeout=30)
        try:
            return [tuple(r) for r in conn.execute(sql, params)]
        finally:
            conn.close()

    def authority_ids(self) -> list[str]:
        return [str(uuid.UUID(str(r[0])))
                for r in self.query("SELECT id FROM authorities ORDER BY insee_code")]

    def submit(self, authority_id: str, subject: str) -> dict[str, Any]:
        payload = {"subject": subject, "description": "Déposée sur le portail.",
                   "citizen": {"kind": "person", "last_name": "Roux", "first_name": "Léa",
                               "email": "lea.roux@example.fr",
                               "postal_address": "1 rue Basse, 10100 Romilly"}}
        response = httpx.post(
            f"{self.url}/api/v1/public/authorities/{authority_id}/submissions",
            data={"payload": json.dumps(payload)}, timeout=10,
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def token(self, login: str = CLERK[0], password: str = CLERK[1]) -> str:
        response = httpx.post(f"{self.url}/api/v1/auth/login",
                              json={"login": login, "password": password}, timeout=10)
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])


@pytest.fixture(scope="module")
def server_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``init --demo`` once per module (argon2 hashing makes it the slow part); each server
    then starts from a copy."""
    data = tmp_path_factory.mktemp("server-template")
    ServerProcess(data).init()
    return data


def fresh_server(template: Path, where: Path) -> ServerProcess:
    import shutil

    shutil.copytree(template, where)
    return ServerProcess(where)


@pytest.fixture
def server(server_template: Path, tmp_path: Path) -> Iterator[ServerProcess]:
    proc = fresh_server(server_template, tmp_path / "server")
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def local_db(path: Path) -> Path:
    connect(path).close()
    return path


def sync_in_process(
    url: str, db: Path, login: tuple[str, str] = CLERK, *, page_limit: int = 500
) -> SyncReport:
    store = SqliteSyncStore(connect(db))
    client = ApiClient(url, retry=FAST_RETRY, timeout=10)
    try:
        engine = SyncEngine(store, client, page_limit=page_limit, blobs=store)
        engine.bind_agent(client.login(*login).agent)
        return engine.sync_once()
    finally:
        client.close()
        store.close()


def run_cli(
    url: str, db: Path, *extra: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sync", "--once", "--server", url, "--database", str(db),
         *extra],
        env=_env(BANNETTE_SYNC_LOGIN=CLERK[0], BANNETTE_SYNC_PASSWORD=CLERK[1], **(env or {})),
        cwd=ROOT, capture_output=True, text=True, timeout=timeout,
    )


def start_cli(url: str, db: Path, *extra: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sync", "--once", "--server", url, "--database", str(db),
         *extra],
        env=_env(BANNETTE_SYNC_LOGIN=CLERK[0], BANNETTE_SYNC_PASSWORD=CLERK[1], **env),
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def wait_for(path: Path, timeout: float = 60, process: subprocess.Popen[str] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process is not None and process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"le processus s'est arrêté avant le point attendu : {out} {err}")
        if time.monotonic() > deadline:
            pytest.fail(f"point d'arrêt {path.name} jamais atteint")
        time.sleep(0.05)


def request_state(db: Path) -> dict[str, tuple[Any, ...]]:
    """Local requests received from the server: id -> (status, outcome, subject, body)."""
    conn = sqlite3.connect(db)
    try:
        return {
            r[0]: tuple(r[1:])
            for r in conn.execute(
                "SELECT id, status, outcome, subject, body FROM request "
                "WHERE version > 0 AND deleted = 0"
            )
        }
    finally:
        conn.close()


def server_request_state(server: ServerProcess) -> dict[str, tuple[Any, ...]]:
    return {
        str(uuid.UUID(str(r[0]))): tuple(r[1:])
        for r in server.query("SELECT id, status, outcome, subject, description FROM requests")
    }


def settle(qtbot: Any, controller: Any) -> None:
    """Wait for the follow-up sync that sends what the first one queued by itself (the
    implicit decisions found in the server's rows), so a test starts from a quiet PC."""
    qtbot.waitUntil(lambda: controller.status.pending == 0 and not controller.running,
                    timeout=30_000)
