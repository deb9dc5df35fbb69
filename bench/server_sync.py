"""Benchmark of the sync endpoints of the reference server, printing JSON.

For SQLite and PostgreSQL (a throwaway cluster, or BANNETTE_BENCH_POSTGRES_URL):
- pull throughput (requests/s) of a 100,000-request authority over loopback (real uvicorn);
- push latency of a batch of 100 ``request.create`` mutations;
- the same 100 rows (request + its two events) written straight with SQLAlchemy Core, the limit.

Run: ``.venv/bin/python bench/server_sync.py [--rows 100000] [--backends sqlite,postgres]``
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
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, text, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server.auth.passwords import Passwords  # noqa: E402
from server.db.database import Database  # noqa: E402
from server.db.migrate import upgrade  # noqa: E402
from server.db.models import Event, Request, SyncState  # noqa: E402
from server.seed import SeedAgent, SeedAuthority, seed  # noqa: E402
from sync.protocol.vocabulary import Role  # noqa: E402
from tests.server.pg_cluster import create_database, free_port, throwaway_cluster  # noqa: E402

PASSWORD = "Bench-Mot2passe!"
CHUNK = 5000


def reserve(conn: Any, count: int) -> int:
    new_max = conn.execute(
        update(SyncState).where(SyncState.id == 1)
        .values(version=SyncState.version + count).returning(SyncState.version)
    ).scalar_one()
    return int(new_max) - count + 1


def request_rows(authority_id: uuid.UUID, first_version: int, start: int, count: int,
                 ) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [
        {"id": uuid.uuid4(), "version": first_version + i, "authority_id": authority_id,
         "number": f"2026-{start + i:06d}", "channel": "web",
         "subject": f"Demande de démonstration n° {start + i}",
         "description": "Copie intégrale d'acte de naissance pour un dossier de mariage.",
         "form_fields": {"motif": "mariage"}, "status": "received", "received_at": now,
         "registered_at": now, "missing_documents": [], "created_at": now, "updated_at": now}
        for i in range(count)
    ]


def bulk_load(db: Database, authority_id: uuid.UUID, rows: int) -> float:
    started = time.perf_counter()
    done = 0
    while done < rows:
        count = min(CHUNK, rows - done)
        with db.engine.begin() as conn:
            first = reserve(conn, count)
            conn.execute(insert(Request), request_rows(authority_id, first, 900000 - rows + done,
                                                       count))
        done += count
    return time.perf_counter() - started


def core_batch(db: Database, authority_id: uuid.UUID, start: int) -> float:
    """100 requests and their two events each, one transaction, SQLAlchemy Core."""
    began = time.perf_counter()
    with db.engine.begin() as conn:
        first = reserve(conn, 300)
        rows = request_rows(authority_id, first, start, 100)
        conn.execute(insert(Request), rows)
        now = datetime.now(UTC)
        conn.execute(insert(Event), [
            {"id": uuid.uuid4(), "version": first + 100 + 2 * i + k, "authority_id": authority_id,
             "request_id": row["id"], "kind": kind, "at": now, "data": {}}
            for i, row in enumerate(rows)
            for k, kind in enumerate(("created", "registration_receipt_sent"))
        ])
    return time.perf_counter() - began


@contextlib.contextmanager
def uvicorn_server(database_url: str, data_dir: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BANNETTE_DATA_DIR": str(data_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--database-url", database_url, "--log-level", "warning"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stderr.read() if process.stderr else ""
                raise RuntimeError(f"server did not start: {output}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def run_backend(name: str, database_url: str, rows: int, data_dir: Path) -> dict[str, Any]:
    db = Database(database_url)
    upgrade(db.engine)
    ids = seed(db, Passwords(), authorities=[SeedAuthority("Commune du banc", "99999", "10")],
               agents=[SeedAgent("bench", "Banc d'essai", Role.CLERK, PASSWORD, ["99999"])])
    authority_id = ids["99999"]
    load_seconds = bulk_load(db, authority_id, rows)
    with db.engine.connect() as conn:  # what autovacuum would do after such a load
        conn.execute(text("ANALYZE"))
        conn.commit()
    result: dict[str, Any] = {
        "backend": name,
        "rows": rows,
        "bulk_load_core_rows_per_s": round(rows / load_seconds),
    }
    with uvicorn_server(database_url, data_dir) as base, httpx.Client(base_url=base,
                                                                        timeout=120) as http:
        token = http.post("/api/v1/auth/login",
                          json={"login": "bench", "password": PASSWORD}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for limit in (500, 2000):
            cursor, pulled, pages = 0, 0, 0
            started = time.perf_counter()
            while True:
                page = http.post("/api/v1/sync/pull", headers=headers,
                                 json={"cursor": cursor, "limit": limit}).json()
                pulled += len(page["requests"])
                pages += 1
                cursor = page["cursor"]
                if not page["has_more"]:
                    break
            elapsed = time.perf_counter() - started
            assert pulled >= rows, pulled
            result[f"pull_limit_{limit}"] = {
                "seconds": round(elapsed, 2), "pages": pages,
                "requests_per_s": round(pulled / elapsed),
            }
        latencies = []
        client_id = str(uuid.uuid4())
        next_id = 1
        for _ in range(5):
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
        result["push_100_mutations_ms"] = {
            "median": round(statistics.median(latencies) * 1000, 1),
            "min": round(min(latencies) * 1000, 1),
            "per_mutation_ms": round(statistics.median(latencies) * 10, 2),
        }
    core = [core_batch(db, authority_id, 500000 + 100 * i) for i in range(5)]
    result["core_100_rows_ms"] = {
        "median": round(statistics.median(core) * 1000, 1), "min": round(min(core) * 1000, 1),
        "note": "100 requests + 200 events, one transaction (the floor push cannot beat)",
    }
    db.dispose()
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
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
    print(json.dumps({"benchmark": "server_sync", "cpu_count": os.cpu_count(),
                      "results": results}, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
