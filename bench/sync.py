"""Benchmark of the client side of sync, printing JSON (issue 4).

- initial sync of N requests (default 100,000) from the real server over loopback into an
  empty local database: requests/s, and peak RSS of this process;
- the raw limit for the same work: the same pages fetched over loopback (bytes only, no
  parsing) plus the same rows inserted with ``executemany`` into a bare table;
- incremental sync of 100 changes made on the server by another PC, five rounds (median and
  worst: FTS5 merges its segments every few writes, a single round can miss or hit one).

Run: ``.venv/bin/python bench/sync.py [--rows 100000]``; ``BENCH_PROFILE=1`` also writes a
cProfile of each incremental round to ``<temp>/incr-<round>.prof``.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
#: Rounds of the incremental measure (median and worst reported).
INCREMENTAL_ROUNDS = 5
sys.path.insert(0, str(ROOT))

from bench.common import emit  # noqa: E402
from bench.server_sync import PASSWORD, bulk_load, uvicorn_server  # noqa: E402
from desktop.store.database import connect  # noqa: E402
from desktop.store.sync_store import SqliteSyncStore  # noqa: E402
from server.auth.passwords import Passwords  # noqa: E402
from server.db.database import Database  # noqa: E402
from server.db.migrate import upgrade  # noqa: E402
from server.seed import SeedAgent, SeedAuthority, seed  # noqa: E402
from sync.client import ApiClient  # noqa: E402
from sync.engine import SyncEngine  # noqa: E402
from sync.protocol.vocabulary import Role  # noqa: E402
from sync.protocol.wire import MAX_PULL_LIMIT  # noqa: E402

PAGE = MAX_PULL_LIMIT


class RssSampler:
    """Peak resident memory of this process while the sync runs (sampled every 20 ms): the
    server data was loaded in this process earlier, so the lifetime peak would lie."""

    def __init__(self) -> None:
        import psutil

        self._process = psutil.Process()
        self.before = self._rss()
        self.peak = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> float:
        return float(self._process.memory_info().rss) / 2**20

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._rss())

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def raw_limit(base: str, token: str, work: Path) -> dict[str, Any]:
    """Bytes over loopback plus executemany of the same rows: what no client can beat."""
    headers = {"Authorization": f"Bearer {token}"}
    fetched = 0
    rows: list[tuple[str, str, str, str]] = []
    started = time.perf_counter()
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        cursor, more = 0, True
        while more:
            response = http.post("/api/v1/sync/pull", json={"cursor": cursor, "limit": PAGE})
            fetched += len(response.content)
            page = response.json()
            rows.extend((r["id"], r["number"], r["subject"], r["status"])
                        for r in page["requests"])
            cursor, more = page["cursor"], page["has_more"]
    fetch_s = time.perf_counter() - started
    conn = sqlite3.connect(work / "raw.sqlite3")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE r (id TEXT UNIQUE, number TEXT, subject TEXT, status TEXT)")
    began = time.perf_counter()
    with conn:
        conn.executemany("INSERT INTO r VALUES (?, ?, ?, ?)", rows)
    insert_s = time.perf_counter() - began
    conn.close()
    return {"fetch_s": round(fetch_s, 2), "executemany_s": round(insert_s, 2),
            "total_s": round(fetch_s + insert_s, 2), "bytes": fetched}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bannette-bench-sync-"))
    url = f"sqlite:///{work / 'server.sqlite3'}"
    db = Database(url)
    upgrade(db.engine)
    ids = seed(db, Passwords(), authorities=[SeedAuthority("Commune du banc", "99999", "10")],
               agents=[SeedAgent("bench", "Banc d'essai", Role.CLERK, PASSWORD, ["99999"])])
    bulk_load(db, ids["99999"], args.rows)
    db.dispose()
    figures: dict[str, Any] = {"rows": args.rows, "page": PAGE}
    with uvicorn_server(url, work) as base:
        local = work / "poste.sqlite3"
        store = SqliteSyncStore(connect(local))
        client = ApiClient(base, timeout=120)
        engine = SyncEngine(store, client, page_limit=PAGE)
        engine.bind_agent(client.login("bench", PASSWORD).agent)
        with RssSampler() as rss:
            started = time.perf_counter()
            report = engine.sync_once()
            initial_s = time.perf_counter() - started
        assert store.synced_counts()[next(iter(store.synced_counts()))] == args.rows
        figures["initial_sync"] = {
            "seconds": round(initial_s, 2),
            "requests_per_s": round(args.rows / initial_s),
            "pages": report.pages,
            "rss_before_mb": round(rss.before, 1),
            "peak_rss_during_mb": round(rss.peak, 1),
            "target_requests_per_s": 5000,
        }
        limit = raw_limit(base, client.tokens.access_token if client.tokens else "", work)
        figures["raw_limit"] = limit
        figures["initial_sync"]["ratio_to_raw_limit"] = round(initial_s / limit["total_s"], 2)

        # 100 changes by another PC, then the incremental sync of this one; five rounds (a
        # single figure on a shared machine says more about the neighbours than about us).
        from sync.protocol.wire import PushRequest

        other = ApiClient(base)
        other.login("bench", PASSWORD)
        client_id = uuid.uuid4()
        timings: list[float] = []
        pulled = 0
        for round_ in range(INCREMENTAL_ROUNDS):
            targets = [r[0] for r in store.conn.execute(
                "SELECT id FROM request WHERE status = 'received' LIMIT 100")]
            other.push(PushRequest.model_validate({"client_id": str(client_id), "mutations": [
                {"client_id": str(client_id), "mutation_id": round_ * 100 + i + 1,
                 "base_version": 0, "name": "request.set_status",
                 "args": {"request_id": rid, "from_status": "received", "status": "drafting"}}
                for i, rid in enumerate(targets)]}))
            began = time.perf_counter()
            if os.environ.get("BENCH_PROFILE"):
                import cProfile
                prof = cProfile.Profile()
                prof.enable()
            pulled = engine.sync_once().pulled_rows
            timings.append((time.perf_counter() - began) * 1000)
            if os.environ.get("BENCH_PROFILE"):
                prof.disable()
                prof.dump_stats(Path(tempfile.gettempdir()) / f"incr-{round_}.prof")
        other.close()
        figures["incremental_100_changes"] = {
            "median_ms": round(statistics.median(timings), 1),
            "max_ms": round(max(timings), 1),
            "rounds_ms": [round(t, 1) for t in timings],
            "rows_pulled_per_round": pulled,
            "target_ms": 300,
        }
        client.close()
        store.close()
    emit(f"sync-{args.rows}", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
