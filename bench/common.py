"""Helpers shared by the benchmarks: cached data sets, percentiles, JSON output."""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from desktop.demo.generator import generate
from desktop.store.database import connect

#: Benchmarks use a fixed reference day so every run measures the same data.
BENCH_TODAY = date(2026, 11, 23)
RESULTS = Path(__file__).resolve().parent / "results"


def bench_database(requests: int, seed: int = 7) -> tuple[Path, dict[str, float]]:
    """A freshly generated database of ``requests`` requests, and how long generating it took.

    Never a cached file: a cached data set hid a generator that had become quadratic (issue 9).
    The file lives in a new temporary folder, removed with the temp folder.
    """
    path = Path(tempfile.mkdtemp(prefix="bannette-bench-")) / f"inbox-{requests}-{seed}.sqlite3"
    started, cpu = time.perf_counter(), time.process_time()
    conn = connect(path)
    generate(conn, requests=requests, seed=seed, today=BENCH_TODAY)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ANALYZE")
    conn.close()
    wall = time.perf_counter() - started
    return path, {
        "requests": requests,
        "generate_s": round(wall, 1),
        "generate_ms_per_request": round(wall * 1000 / requests, 2),
        "generate_cpu_s": round(time.process_time() - cpu, 1),
    }


def discard_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.rmdir()


def percentiles(samples_s: list[float]) -> dict[str, float]:
    """p50 / p95 / max in milliseconds."""
    ordered = sorted(samples_s)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(p95 * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
        "n": len(ordered),
    }


def emit(name: str, figures: dict[str, Any]) -> None:
    """Print the figures as JSON and keep a copy in bench/results/."""
    text = json.dumps(figures, indent=2, ensure_ascii=False)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(text + "\n", encoding="utf-8")


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
