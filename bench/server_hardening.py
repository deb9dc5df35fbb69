"""Benchmark of the hardened server, printing JSON (conventions of ``bench/server_sync.py``).

For SQLite and PostgreSQL (a throwaway cluster, or BANNETTE_BENCH_POSTGRES_URL), against a
real ``python -m server`` on loopback:
- push of a batch of 100 ``request.create`` mutations (one transaction per batch), against the
  same rows written straight in one transaction (targets: ≤ 60 ms SQLite, ≤ 100 ms PostgreSQL);
- pulls per second (8 clients pulling pages of 500) with 1 worker and with 4 workers;
- logins: 40 parallel right passwords over 8 accounts (throughput) and a 40-way burst of wrong
  passwords on one account (statuses, peak memory of the server processes; target ≤ 500 MB).

Run: ``.venv/bin/python bench/server_hardening.py [--rows 20000] [--backends sqlite,postgres]``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.server_sync import PASSWORD, bulk_load, core_batch  # noqa: E402
from server.auth.passwords import Passwords  # noqa: E402
from server.db.database import Database  # noqa: E402
from server.db.migrate import upgrade  # noqa: E402
from server.seed import SeedAgent, SeedAuthority, seed  # noqa: E402
from sync.protocol.vocabulary import Role  # noqa: E402
from tests.server.pg_cluster import create_database, free_port, throwaway_cluster  # noqa: E402

ACCOUNTS = [f"banc-{n}" for n in range(8)]


@contextlib.contextmanager
def server(database_url: str, data_dir: Path, workers: int) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BANNETTE_DATA_DIR": str(data_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--database-url", database_url, "--log-level", "warning", "--workers", str(workers)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stderr.read() if process.stderr else ""
                raise RuntimeError(f"server did not start: {output}")
            time.sleep(0.2)
        time.sleep(1.0 if workers > 1 else 0)  # let every worker finish starting
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _token(http: httpx.Client, login: str) -> dict[str, str]:
    token = http.post("/api/v1/auth/login",
                      json={"login": login, "password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def push_batches(http: httpx.Client, headers: dict[str, str], authority_id: uuid.UUID
                 ) -> list[float]:
    latencies, client_id, next_id = [], str(uuid.uuid4()), 1
    for _ in range(7):
        mutations = []
        for _n in range(100):
            mutations.append({
                "client_id": client_id, "mutation_id": next_id, "base_version": 0,
                "name": "request.create", "args": {
                    "id": str(uuid.uuid4()), "authority_id": str(authority_id),
                    "channel": "phone", "subject": "Appel : benne rue des Tilleuls"}})
            next_id += 1
        started = time.perf_counter()
        response = http.post("/api/v1/sync/push", headers=headers,
                             json={"client_id": client_id, "mutations": mutations})
        latencies.append(time.perf_counter() - started)
        assert all(r["result"] == "applied" for r in response.json()["results"])
    return latencies[2:]  # the first batches warm the caches


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of the server and its workers: on a loaded shared machine, CPU per pull says
    whether N workers do more work than one, which pulls per second cannot tell."""
    root = psutil.Process(pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


def pulls_per_second(base: str, headers: dict[str, str], pid: int,
                     seconds: float = 8.0) -> dict[str, float]:
    stop = time.monotonic() + seconds
    counts = [0] * 8

    def client(n: int) -> None:
        with httpx.Client(base_url=base, timeout=120) as http:
            while time.monotonic() < stop:
                page = http.post("/api/v1/sync/pull", headers=headers,
                                 json={"cursor": 0, "limit": 500})
                assert page.status_code == 200
                counts[n] += 1

    cpu_before = tree_cpu_seconds(pid)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(client, range(8)))
    cpu = tree_cpu_seconds(pid) - cpu_before
    return {"per_s": round(sum(counts) / seconds, 1),
            "server_cpu_ms_per_pull": round(cpu * 1000 / max(sum(counts), 1), 1),
            "load_average_1min": round(os.getloadavg()[0], 1)}


def tree_rss(pid: int) -> int:
    root = psutil.Process(pid)
    total = 0
    for proc in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += proc.memory_info().rss
    return total


def logins(base: str, pid: int) -> dict[str, Any]:
    def attempt(args: tuple[str, str]) -> int:
        with httpx.Client(base_url=base, timeout=120) as http:
            return http.post("/api/v1/auth/login",
                             json={"login": args[0], "password": args[1]}).status_code

    peak = [tree_rss(pid)]
    baseline = peak[0]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss(pid))
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        right = [(ACCOUNTS[n % 8], PASSWORD) for n in range(40)]
        started = time.perf_counter()
        with ThreadPoolExecutor(40) as pool:
            ok = Counter(pool.map(attempt, right))
        right_seconds = time.perf_counter() - started
        started = time.perf_counter()
        with ThreadPoolExecutor(40) as pool:
            wrong = Counter(pool.map(attempt, [("banc-victime", "Mauvais-1!")] * 40))
        burst_seconds = time.perf_counter() - started
    finally:
        done.set()
        watcher.join()
    return {
        "right_passwords_40_parallel": {"statuses": dict(ok),
                                        "logins_per_s": round(40 / right_seconds, 1)},
        "wrong_password_burst_40": {"statuses": dict(wrong), "seconds": round(burst_seconds, 2)},
        "server_rss_mb": {"before": round(baseline / 2**20), "peak": round(peak[0] / 2**20),
                          "target_peak": 500},
    }


def run_backend(name: str, database_url: str, rows: int, data_dir: Path) -> dict[str, Any]:
    db = Database(database_url)
    upgrade(db.engine)
    agents = [SeedAgent(login, "Banc d'essai", Role.CLERK, PASSWORD, ["99999"])
              for login in [*ACCOUNTS, "banc-victime"]]
    ids = seed(db, Passwords(), authorities=[SeedAuthority("Commune du banc", "99999", "10")],
               agents=agents)
    authority_id = ids["99999"]
    bulk_load(db, authority_id, rows)
    with db.engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    result: dict[str, Any] = {"backend": name, "rows": rows}
    with server(database_url, data_dir, 1) as (base, pid), httpx.Client(
            base_url=base, timeout=120) as http:
        headers = _token(http, ACCOUNTS[0])
        push = push_batches(http, headers, authority_id)
        result["push_100_mutations_ms"] = {
            "median": round(statistics.median(push) * 1000, 1),
            "min": round(min(push) * 1000, 1),
            "target": 60 if name == "sqlite" else 100,
        }
        result["pulls_per_s"] = {"workers_1": pulls_per_second(base, headers, pid)}
        result["logins"] = logins(base, pid)
    core = [core_batch(db, authority_id, 500000 + 100 * i) for i in range(5)]
    result["core_100_rows_ms"] = {
        "median": round(statistics.median(core) * 1000, 1),
        "note": "100 requests + 200 events, one transaction (the floor push cannot beat)",
    }
    result["push_100_mutations_ms"]["ratio_to_core"] = round(
        result["push_100_mutations_ms"]["median"] / result["core_100_rows_ms"]["median"], 1)
    with server(database_url, data_dir, 4) as (base, pid), httpx.Client(
            base_url=base, timeout=120) as http:
        headers = _token(http, ACCOUNTS[1])
        result["pulls_per_s"]["workers_4"] = pulls_per_second(base, headers, pid)
    result["pulls_per_s"]["note"] = (f"8 clients, pages of 500 from cursor 0, "
                                     f"{os.cpu_count()} CPU")
    db.dispose()
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bannette-bench-") as tmp:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                url = f"sqlite:///{tmp}/bench.sqlite3"
                results.append(run_backend("sqlite", url, args.rows, Path(tmp)))
            elif backend == "postgres":
                existing = os.environ.get("BANNETTE_BENCH_POSTGRES_URL")
                if existing:
                    results.append(run_backend("postgresql", existing, args.rows, Path(tmp)))
                    continue
                with throwaway_cluster() as server_url:
                    url = create_database(server_url, "bannette_bench")
                    results.append(run_backend("postgresql", url, args.rows, Path(tmp)))
    print(json.dumps({"benchmark": "server_hardening", "cpu_count": os.cpu_count(),
                      "results": results}, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
