"""Benchmark: sorting the 100,000-request bannette by each column (issue 12).

For every column and both directions, the time for the store to give the sorted id list
(``InboxRepository.ids``, what the model asks on a header click) is compared with the raw
limit: SQLite reading the same pks in an order it can take from an index (``ORDER BY r.pk``).
Target: p95 ≤ 100 ms over all columns. Prints JSON; not a test.

    python -m bench.inbox_sort [--requests 100000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import sqlite3
import time
from typing import Any

from bench.common import BENCH_TODAY, bench_database, discard_database, emit, machine, percentiles
from desktop.store.database import connect
from desktop.store.inbox import Column, InboxFilter, InboxRepository, InboxSort

TARGET_P95_MS = 100.0


def measure(db: Any, rounds: int) -> dict[str, Any]:
    conn = connect(db)
    repo = InboxRepository(conn)
    per_column: dict[str, Any] = {}
    every: list[float] = []
    for column in Column:
        samples = []
        for _ in range(rounds):
            for descending in (False, True):
                # A write between sorts empties the store's cache: every sample is a real sort.
                conn.execute("UPDATE setting SET value = value WHERE key = 'bench-none'")
                conn.commit()
                started = time.perf_counter()
                repo.ids(InboxFilter(), InboxSort(column, descending), today=BENCH_TODAY)
                samples.append(time.perf_counter() - started)
        every.extend(samples)
        per_column[column.name.lower()] = percentiles(samples)
    conn.close()
    raw = sqlite3.connect(db)
    raw_samples = []
    for _ in range(rounds * 2):
        started = time.perf_counter()
        raw.execute("SELECT pk FROM request r WHERE r.deleted = 0 ORDER BY r.pk").fetchall()
        raw_samples.append(time.perf_counter() - started)
    raw.close()
    overall = percentiles(every)
    return {
        "per_column": per_column,
        "all_columns": overall,
        "raw_sqlite_pk_order": percentiles(raw_samples),
        "target_p95_ms": TARGET_P95_MS,
        "met": overall["p95_ms"] <= TARGET_P95_MS,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    db, generation = bench_database(args.requests)
    try:
        figures = {"machine": machine(), "generation": generation, **measure(db, args.rounds)}
    finally:
        discard_database(db)
    emit("inbox_sort", figures)


if __name__ == "__main__":
    main()
