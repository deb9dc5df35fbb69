"""Benchmark of the RGPD routes of the reference server (SQLite), printing JSON.

- a page (200 entries) of the audit trail out of 200,000, as the « Journal d'audit » asks for
  it: unfiltered, one citizen, reads of a period, and a deep page (offset 100,000); target
  ≤ 300 ms per page. The limit: the same SELECT (count + page) straight in sqlite3.
- this month's 36-month list of a commune of 10,000 citizens and 20,000 requests; target
  ≤ 5 s. The limit: the aggregate queries alone.

Run: ``.venv/bin/python bench/rgpd.py [--entries 200000] [--citizens 10000]``
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from bench.common import emit, machine, percentiles  # noqa: E402
from server.app import create_app  # noqa: E402
from server.auth.passwords import Passwords  # noqa: E402
from server.config import Settings  # noqa: E402
from server.db.models import AuditEntry, Citizen, Request  # noqa: E402
from server.seed import SeedAgent, SeedAuthority, seed  # noqa: E402
from server.services import retention  # noqa: E402
from sync.protocol.vocabulary import Role  # noqa: E402

PASSWORD = "Bench-Mot2passe!"
CHUNK = 10_000
ACTIONS = ("read", "read", "read", "update", "create", "set_status")


def load(db: Any, authority_id: uuid.UUID, agent_id: uuid.UUID, entries: int, citizens: int
         ) -> list[uuid.UUID]:
    start = datetime(2022, 1, 1, tzinfo=UTC)
    citizen_ids = [uuid.uuid4() for _ in range(citizens)]
    with db.engine.begin() as conn:
        conn.execute(insert(Citizen), [
            {"id": cid, "version": 1, "authority_id": authority_id, "kind": "person",
             "last_name": f"Usager{i}", "first_name": "Éloïse", "created_at": start,
             "updated_at": start + timedelta(days=i % 1500)}
            for i, cid in enumerate(citizen_ids)])
        conn.execute(insert(Request), [
            {"id": uuid.uuid4(), "version": 1, "authority_id": authority_id,
             "number": f"2022-{i:06d}", "citizen_id": citizen_ids[i % citizens],
             "channel": "web", "subject": "Demande", "description": "", "form_fields": {},
             "status": "closed" if i % 7 else "received", "received_at": start,
             "registered_at": start, "missing_documents": [], "created_at": start,
             "updated_at": start + timedelta(days=i % 1400)}
            for i in range(2 * citizens)])
    done = 0
    while done < entries:
        count = min(CHUNK, entries - done)
        with db.engine.begin() as conn:
            conn.execute(insert(AuditEntry), [
                {"id": uuid.uuid4(), "at": start + timedelta(minutes=done + i),
                 "agent_id": agent_id, "ip": "10.0.0.7", "action": ACTIONS[(done + i) % 6],
                 "entity": "citizens", "entity_id": citizen_ids[(done + i) % citizens],
                 "citizen_id": citizen_ids[(done + i) % citizens],
                 "authority_id": authority_id, "detail": {"via": "citizen_file"}}
                for i in range(count)])
        done += count
    return citizen_ids


def timed(fn: Any, repeat: int = 7) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--citizens", type=int, default=10_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bannette-bench-rgpd-"))
    url = f"sqlite:///{folder / 'server.sqlite3'}"
    app = create_app(Settings(data_dir=folder, database_url=url, argon2_time_cost=1,
                              argon2_memory_cost_kib=1024, argon2_parallelism=1,
                              parapheur_poller=False))
    db = app.state.db
    ids = seed(db, Passwords(1, 1024, 1), authorities=[SeedAuthority("Bench", "99001", "10")],
               agents=[SeedAgent("bench-admin", "Admin", Role.ADMIN, PASSWORD, ["99001"])])
    authority_id, agent_id = ids["99001"], ids["bench-admin"]
    started = time.perf_counter()
    citizen_ids = load(db, authority_id, agent_id, args.entries, args.citizens)
    load_s = time.perf_counter() - started
    raw = sqlite3.connect(folder / "server.sqlite3")
    figures: dict[str, Any] = {"machine": machine(), "entries": args.entries,
                               "citizens": args.citizens, "load_s": round(load_s, 1),
                               "target_page_ms": 300, "target_retention_s": 5}
    with TestClient(app) as client:
        token = client.post("/api/v1/auth/login", json={"login": "bench-admin",
                                                         "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        cases = {
            "all": ({}, ""),
            "one_citizen": ({"citizen_id": str(citizen_ids[42])},
                            f" AND citizen_id = '{citizen_ids[42].hex}'"),
            "reads_of_a_month": ({"action": "read", "since": "2022-02-01",
                                  "until": "2022-02-28"},
                                 " AND action = 'read' AND at >= '2022-02-01' "
                                 "AND at < '2022-03-01'"),
            "deep_page": ({"offset": "100000"}, ""),
        }
        for name, (params, where) in cases.items():
            def call(params: dict[str, str] = params) -> None:
                answer = client.get("/api/v1/audit", headers=headers,
                                    params={"limit": "200", **params})
                assert answer.status_code == 200, answer.text

            offset = int(params.get("offset", "0"))
            sql_where = f"authority_id = '{authority_id.hex}'{where}"

            def straight(sql_where: str = sql_where, offset: int = offset) -> None:
                raw.execute(f"SELECT count(*) FROM audit_log WHERE {sql_where}").fetchone()
                raw.execute(f"SELECT * FROM audit_log WHERE {sql_where} ORDER BY at DESC, "
                            f"id DESC LIMIT 200 OFFSET {offset}").fetchall()

            figures[f"audit_page_{name}"] = percentiles(timed(call))
            figures[f"audit_page_{name}_raw_sql"] = percentiles(timed(straight))
    with db.read() as session:
        started = time.perf_counter()
        due = retention.due_for_purge(session, authority_id, date(2026, 12, 1))
        figures["retention_list_s"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        retention.last_activities(session, authority_id)
        figures["retention_aggregates_only_s"] = round(time.perf_counter() - started, 3)
        figures["retention_due"] = len(due)
    started = time.perf_counter()
    raw.execute("SELECT citizen_id, max(updated_at), count(*), sum(status NOT IN ('answered', "
                "'closed')) FROM requests WHERE authority_id = ? GROUP BY citizen_id",
                (authority_id.hex,)).fetchall()
    figures["retention_requests_group_by_raw_sql_s"] = round(time.perf_counter() - started, 3)
    raw.close()
    db.dispose()
    emit("rgpd", figures)


if __name__ == "__main__":
    main()
