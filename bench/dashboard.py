"""Benchmark of the « Tableau de bord » at 100,000 requests (issue 13: all figures ≤ 1 s).

Each sample is what the dashboard's worker does: open a connection, compute every figure of a
commune (or all) over a period (``compute_statistics``), close. Against it, the raw limit: the
same information read by plain SQL straight in SQLite, without the commune's legal time (days
taken in UTC) nor the legal delay's working days: volumes by channel, procedure and month,
the durations sorted for their percentiles, the first decision event of each request, the
overdue and tacit counts. Prints JSON; not a test.

    python -m bench.dashboard [--requests 100000] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench.common import BENCH_TODAY, bench_database, discard_database, emit, machine, percentiles
from desktop.store.database import connect
from desktop.store.legal import record_implicit_decisions
from desktop.store.statistics import compute_statistics

TARGET_S = 1.0

RAW_SQL = [
    """SELECT channel, COUNT(*) FROM request WHERE deleted = 0 AND received_at >= ?
       AND received_at < ? GROUP BY channel""",
    """SELECT p.code, COUNT(*) FROM request r JOIN procedure p ON p.pk = r.procedure_pk
       WHERE r.deleted = 0 AND r.received_at >= ? AND r.received_at < ? GROUP BY p.code""",
    """SELECT substr(received_at, 1, 7), COUNT(*) FROM request WHERE deleted = 0
       AND received_at >= ? AND received_at < ? GROUP BY 1""",
    """SELECT julianday(acknowledged_at) - julianday(received_at) AS d FROM request
       WHERE deleted = 0 AND received_at >= ? AND received_at < ?
       AND acknowledged_at IS NOT NULL ORDER BY d""",
    """SELECT (SELECT MIN(e.at) FROM event e WHERE e.request_pk = r.pk
               AND e.kind = 'outcome_set') AS d FROM request r
       WHERE r.deleted = 0 AND r.received_at >= ? AND r.received_at < ?
       AND r.outcome IN ('accepted', 'rejected') ORDER BY d""",
    """SELECT SUM(outcome LIKE 'implicit%'), SUM(due_date < '2026-11-23'
              AND status NOT IN ('answered', 'closed'))
       FROM request WHERE deleted = 0 AND received_at >= ? AND received_at < ?""",
]


def _figures(db: Path, cpu: list[float] | None = None, **period: Any) -> float:
    """Wall time of one computation; its CPU time goes to ``cpu`` (the machine is shared: the
    wall time there includes the waits for a core)."""
    started, used = time.perf_counter(), time.process_time()
    conn = connect(db, migrate=False)
    try:
        compute_statistics(conn, today=BENCH_TODAY, **period)
    finally:
        conn.close()
    if cpu is not None:
        cpu.append(time.process_time() - used)
    return time.perf_counter() - started


def _raw(db: Path, start: date, end: date) -> float:
    bounds = (start.isoformat(), date.fromordinal(end.toordinal() + 1).isoformat())
    started = time.perf_counter()
    conn = sqlite3.connect(db)
    try:
        for sql in RAW_SQL:
            conn.execute(sql, bounds).fetchall()
    finally:
        conn.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    db, generation = bench_database(args.requests)
    try:
        conn = connect(db)
        implicit = len(record_implicit_decisions(conn, BENCH_TODAY))  # as the window does
        first = conn.execute("SELECT MIN(received_at) FROM request").fetchone()[0]
        pk = conn.execute("SELECT pk FROM authority ORDER BY pk LIMIT 1").fetchone()[0]
        conn.close()
        history_start = date.fromisoformat(first[:10])
        cases: dict[str, tuple[dict[str, Any], date, date]] = {
            "toutes_communes_annee": (
                {"start": date(2026, 1, 1), "end": BENCH_TODAY}, date(2026, 1, 1), BENCH_TODAY
            ),
            "toutes_communes_tout_l_historique": ({}, history_start, BENCH_TODAY),
            "une_commune_annee": (
                {"start": date(2026, 1, 1), "end": BENCH_TODAY, "authority_pk": pk},
                date(2026, 1, 1), BENCH_TODAY,
            ),
            "periode_vide": (
                {"start": date(2019, 1, 1), "end": date(2019, 12, 31)},
                date(2019, 1, 1), date(2019, 12, 31),
            ),
        }  # fmt: skip
        results: dict[str, Any] = {}
        for name, (period, start, end) in cases.items():
            _figures(db, **period)  # warm the page cache, as a second look at the tab would
            cpu: list[float] = []
            samples = [_figures(db, cpu, **period) for _ in range(args.runs)]
            raw = [_raw(db, start, end) for _ in range(args.runs)]
            figures = percentiles(samples)
            results[name] = {
                "tous_les_chiffres": figures,
                "tous_les_chiffres_cpu": percentiles(cpu),
                "sql_brut_seul": percentiles(raw),
                "rapport_au_sql_brut_p50": round(
                    figures["p50_ms"] / max(percentiles(raw)["p50_ms"], 0.01), 2
                ),
                "objectif_s": TARGET_S,
                "atteint": figures["p95_ms"] <= TARGET_S * 1000,
            }
        emit(
            "dashboard",
            {
                "machine": machine(),
                "charge_moyenne_1_min": round(os.getloadavg()[0], 1),
                "generation": generation,
                "decisions_implicites_enregistrees": implicit,
                **results,
            },
        )
    finally:
        discard_database(db)


if __name__ == "__main__":
    main()
