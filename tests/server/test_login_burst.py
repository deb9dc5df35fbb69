"""Login bursts against a real server process (uvicorn on loopback, production argon2 cost):
attempts are counted before hashing, per login whatever the address, hashes are bounded so the
memory stays flat, and ``X-Forwarded-For`` from an untrusted peer is ignored."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from server.auth.passwords import Passwords
from server.db.database import Database
from server.db.models import Agent, AgentAuthority, AuditEntry, Request
from server.seed import SeedAgent, SeedAuthority, seed
from sync.protocol.vocabulary import Role
from tests.server.conftest import PASSWORD, _codes

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    db: Database


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _serve(database_url: str, data_dir: Path, workers: int = 1) -> Iterator[LiveServer]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("BANNETTE_TRUSTED_PROXIES", None)
    env.pop("FORWARDED_ALLOW_IPS", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--database-url", database_url,
         "--data-dir", str(data_dir), "--port", str(port), "--workers", str(workers),
         "--no-migrate", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("le serveur n'a pas démarré")
    db = Database(database_url)
    try:
        yield LiveServer(url, process, db)
    finally:
        db.dispose()
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def live(app: FastAPI, database_url: str,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``python -m server`` with its default settings (argon2id 64 MiB, no trusted proxy), on
    the suite's database (``app`` has migrated it)."""
    with _serve(database_url, tmp_path_factory.mktemp("live")) as server:
        yield server


def _account(live: LiveServer) -> str:
    """An agent whose password is hashed with the production argon2 cost."""
    login = f"rafale-{uuid.uuid4().hex[:8]}"
    code = f"{next(_codes) % 100000:05d}"
    seed(live.db, Passwords(), authorities=[SeedAuthority(f"Commune {login}", code, "10")],
         agents=[SeedAgent(login, "Agent rafale", Role.CLERK, PASSWORD, [code])])
    return login


def _attempt(url: str, login: str, password: str, source: str = "127.0.0.1",
             headers: dict[str, str] | None = None) -> int:
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(base_url=url, transport=transport, timeout=120) as http:
        return http.post("/api/v1/auth/login", json={"login": login, "password": password},
                         headers=headers or {}).status_code


def test_burst_of_wrong_passwords_is_throttled_and_memory_stays_bounded(
        live: LiveServer) -> None:
    login = _account(live)
    server = psutil.Process(live.process.pid)
    peak = [server.memory_info().rss]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], server.memory_info().rss)
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(40) as pool:
            statuses = list(pool.map(lambda _: _attempt(live.url, login, "Mauvais-1!"),
                                     range(40)))
    finally:
        done.set()
        watcher.join()
    assert statuses.count(401) <= 5, statuses
    assert statuses.count(429) >= 30, statuses
    assert set(statuses) <= {401, 429, 503}
    assert peak[0] < 600 * 1024 * 1024, f"{peak[0] / 2**20:.0f} Mo"
    # The right password is refused too while the login is blocked.
    assert _attempt(live.url, login, PASSWORD) == 429


def test_many_addresses_on_one_account_are_limited_per_login(live: LiveServer) -> None:
    login = _account(live)
    statuses = [_attempt(live.url, login, "Mauvais-1!", source=f"127.0.{n // 200}.{n % 200 + 2}")
                for n in range(60)]
    assert statuses.count(401) == 5, statuses
    assert statuses[5:] == [429] * 55


def test_forwarded_for_from_an_untrusted_peer_is_ignored(live: LiveServer) -> None:
    login = _account(live)
    assert _attempt(live.url, login, "Mauvais-1!",
                    headers={"X-Forwarded-For": "203.0.113.9"}) == 401
    with live.db.read() as session:
        ips = list(session.execute(select(AuditEntry.ip).where(
            AuditEntry.action == "login_failed",
            AuditEntry.detail["login"].as_string() == login)).scalars())
    assert ips == ["127.0.0.1"]


def test_four_workers_share_the_login_limit_and_the_numbering(
        app: FastAPI, database_url: str, tmp_path: Path) -> None:
    """``--workers 4``: the limits and the numbering live in the database, so four processes
    behave as one (no more 401s than one process would give, numbers unique and gapless)."""
    with _serve(database_url, tmp_path, workers=4) as live4:
        time.sleep(1.0)  # every worker up
        pids = {c.pid for c in psutil.Process(live4.process.pid).children()}
        assert len(pids) >= 4
        login = _account(live4)
        with ThreadPoolExecutor(40) as pool:
            statuses = list(pool.map(lambda _: _attempt(live4.url, login, "Mauvais-1!"),
                                     range(40)))
        assert statuses.count(401) <= 5 and statuses.count(429) >= 30, statuses
        other = _account(live4)
        token = httpx.post(f"{live4.url}/api/v1/auth/login",
                           json={"login": other, "password": PASSWORD}).json()["access_token"]
        with live4.db.read() as session:
            authority_id = session.execute(select(AgentAuthority.authority_id).join(
                Agent, Agent.id == AgentAuthority.agent_id).where(Agent.login == other)
            ).scalar_one()

        def push(n: int) -> list[str]:
            client_id = str(uuid.uuid4())
            mutations = [{"client_id": client_id, "mutation_id": k + 1, "base_version": 0,
                          "name": "request.create", "args": {
                              "id": str(uuid.uuid4()), "authority_id": str(authority_id),
                              "channel": "phone", "subject": f"Appel {n}-{k}"}}
                         for k in range(5)]
            answer = httpx.post(f"{live4.url}/api/v1/sync/push", timeout=120,
                                headers={"Authorization": f"Bearer {token}"},
                                json={"client_id": client_id, "mutations": mutations}).json()
            return [r["result"] for r in answer["results"]]

        with ThreadPoolExecutor(16) as pool:
            results = [r for batch in pool.map(push, range(16)) for r in batch]
        assert results == ["applied"] * 80
        with live4.db.read() as session:
            numbers = sorted(session.execute(select(Request.number).where(
                Request.authority_id == authority_id)).scalars())
        assert len(numbers) == 80
        assert [int(n.split("-")[1]) for n in numbers] == list(range(1, 81))
