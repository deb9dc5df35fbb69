"""``kill -9`` of a 4-worker server (``python -m server --workers 4``) on PostgreSQL during
bursts of pushes: every acknowledged mutation is there exactly once, none doubled, and the
receipt numbers stay unique and gapless.

Several clients push batches of creations in a loop; the whole process tree (supervisor and
workers) is killed with SIGKILL twice in the middle of the traffic, like a power cut, then
restarted on the same database. Each client resends its unanswered batch, as the desktop's
outbox does; idempotency must answer the already committed ones as replayed."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import func, select

from server.auth.passwords import Passwords
from server.db.database import Database
from server.db.migrate import upgrade
from server.db.models import Event, MutationLog, Request
from server.seed import SeedAgent, SeedAuthority, seed
from sync.protocol.vocabulary import Role
from tests.server.conftest import PASSWORD
from tests.server.pg_cluster import create_database
from tests.server.test_login_burst import LiveServer, _serve

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CLIENTS = 6
BATCH = 20
KILLS = 2


@dataclass
class Pusher:
    """One desktop: its client id, the next batch to send (kept until answered), and what the
    server acknowledged."""

    client_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    next_id: int = 1
    pending: list[dict[str, object]] = field(default_factory=list)
    acknowledged: dict[int, str] = field(default_factory=dict)  # mutation id -> request id
    outcomes: list[str] = field(default_factory=list)
    cut_off: int = 0  # requests that died with the server
    replayed: int = 0  # mutations committed before a kill, answered only after the restart

    def batch(self, authority_id: str) -> list[dict[str, object]]:
        if not self.pending:
            for _ in range(BATCH):
                self.pending.append({
                    "client_id": self.client_id, "mutation_id": self.next_id, "base_version": 0,
                    "name": "request.create", "args": {
                        "id": str(uuid.uuid4()), "authority_id": authority_id,
                        "channel": "phone", "subject": f"Appel {self.next_id}"}})
                self.next_id += 1
        return self.pending


@dataclass
class Target:
    """Where the clients push: changes at each restart (new port)."""

    url: str = ""
    token: str = ""
    up: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def pg_database(postgres_server_url: str) -> Iterator[Database]:
    url = create_database(postgres_server_url, f"bannette_kill_{uuid.uuid4().hex[:8]}")
    db = Database(url)
    upgrade(db.engine)
    try:
        yield db
    finally:
        db.dispose()


def _push_loop(pusher: Pusher, target: Target, authority_id: str, stop: threading.Event
               ) -> None:
    while not stop.is_set():
        if not target.up.wait(timeout=0.5):
            continue
        batch = pusher.batch(authority_id)
        try:
            answer = httpx.post(f"{target.url}/api/v1/sync/push", timeout=30,
                                headers={"Authorization": f"Bearer {target.token}"},
                                json={"client_id": pusher.client_id, "mutations": batch})
        except httpx.TransportError:
            pusher.cut_off += 1
            time.sleep(0.05)
            continue  # killed mid-request: the batch is resent as it was
        if answer.status_code != 200:
            time.sleep(0.05)
            continue
        results = answer.json()["results"]
        assert [r["mutation_id"] for r in results] == [m["mutation_id"] for m in batch]
        for mutation, result in zip(batch, results, strict=True):
            pusher.acknowledged[int(str(mutation["mutation_id"]))] = str(
                mutation["args"]["id"])  # type: ignore[index]
            pusher.outcomes.append(result["result"])
            pusher.replayed += bool(result.get("replayed"))
        pusher.pending = []


def _kill_tree(live: LiveServer) -> None:
    """SIGKILL to the supervisor and to every worker at once: nothing shuts down cleanly."""
    tree = [live.process.pid, *(c.pid for c in psutil.Process(live.process.pid).children(
        recursive=True))]
    for pid in tree:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    live.process.wait(timeout=10)
    for pid in tree[1:]:
        with contextlib.suppress(psutil.NoSuchProcess):
            psutil.Process(pid).wait(timeout=10)


def _login(url: str, login: str) -> str:
    response = httpx.post(f"{url}/api/v1/auth/login", timeout=30,
                          json={"login": login, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def test_kill_9_of_four_workers_loses_and_doubles_nothing(
        pg_database: Database, tmp_path: Path) -> None:
    login = f"coupure-{uuid.uuid4().hex[:6]}"
    # A cheap hash (its cost is stored in it): the logins of each restart stay fast.
    ids = seed(pg_database, Passwords(time_cost=1, memory_cost_kib=1024, parallelism=1),
               authorities=[SeedAuthority("Commune coupée", "98765", "10")],
               agents=[SeedAgent(login, "Agent coupure", Role.CLERK, PASSWORD, ["98765"])])
    authority_id = str(ids["98765"])
    pushers = [Pusher() for _ in range(CLIENTS)]
    target, stop = Target(), threading.Event()
    threads = [threading.Thread(target=_push_loop, args=(p, target, authority_id, stop))
               for p in pushers]
    for thread in threads:
        thread.start()
    try:
        for _round in range(KILLS):
            with _serve(pg_database.url, tmp_path, workers=4) as live:
                target.url, target.token = live.url, _login(live.url, login)
                before = sum(len(p.acknowledged) for p in pushers)
                target.up.set()
                deadline = time.monotonic() + 30
                while (sum(len(p.acknowledged) for p in pushers) < before + 8 * BATCH
                       and time.monotonic() < deadline):
                    time.sleep(0.05)
                assert sum(len(p.acknowledged) for p in pushers) > before, "no push answered"
                _kill_tree(live)  # in the middle of the traffic
                target.up.clear()
        # After the last power cut: restart, and let every client resend what is unanswered.
        with _serve(pg_database.url, tmp_path, workers=4) as live:
            target.url, target.token = live.url, _login(live.url, login)
            target.up.set()
            deadline = time.monotonic() + 30
            while any(p.pending for p in pushers) and time.monotonic() < deadline:
                time.sleep(0.05)
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
    finally:
        stop.set()
        target.up.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not any(p.pending for p in pushers), "a batch was never answered"
    with pg_database.read() as session:
        stored = dict(session.execute(
            select(Request.id, Request.number).where(Request.authority_id == ids["98765"])).all())
        created_events = session.execute(
            select(func.count()).select_from(Event).where(
                Event.authority_id == ids["98765"], Event.kind == "created")).scalar_one()
        logged = dict(session.execute(
            select(MutationLog.client_id, func.count()).group_by(MutationLog.client_id)).all())
    acknowledged = [uuid.UUID(r) for p in pushers for r in p.acknowledged.values()]
    assert len(acknowledged) >= KILLS * 8 * BATCH
    assert sum(p.cut_off for p in pushers) > 0, "the kills hit no request in flight"
    # Never lost: every acknowledged creation is stored; never doubled: once, one event each.
    assert all(p.outcomes.count("rejected") == 0 for p in pushers), "a replay was re-applied"
    assert set(acknowledged) <= set(stored)
    assert len(stored) == len(acknowledged) and created_events == len(stored)
    for pusher in pushers:
        assert logged[uuid.UUID(pusher.client_id)] == len(pusher.acknowledged)
    numbers = sorted(int(n.split("-")[1]) for n in stored.values())
    assert numbers == list(range(1, len(numbers) + 1))
