"""Benchmark of the bannette with 100,000 requests (issue 2).

Measures, against targets from the issue:
- cold start to the first painted rows (target ≤ 1.5 s), in a fresh process each time;
- search-as-you-type latency, every prefix of ≥ 50 realistic queries, through the real model
  (target p95 ≤ 30 ms), against the same FTS5 queries run straight in SQLite (target ≤ 3x);
  the time to repaint the rows afterwards is reported beside it (it is the same with or
  without a search: Qt's software rendering of the visible rows);
- scrolling through the whole table page by page, with a repaint per page;
- peak RSS with the bannette open and scrolled through (target ≤ 250 MB);
and the same for the naive approach (a QStandardItemModel holding every row, filtered by a
QSortFilterProxyModel) in the same run. Before all that, the data set is generated fresh, at
10,000 requests and at the full size, and timed (``generation``: ``generate_s``,
``generate_ms_per_request``): building a large store must stay linear (issue 9). Prints JSON;
not a test.

    python -m bench.inbox [--requests 100000] [--generation-only]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import (
    BENCH_TODAY,
    bench_database,
    discard_database,
    emit,
    machine,
    percentiles,
)

ROOT = Path(__file__).resolve().parents[1]
#: The size below which generation was always fast: its cost per request is the reference.
SMALL_SET = 10_000


def realistic_queries(db: Path, count: int = 60) -> list[str]:
    """What a secrétaire types: surnames, numbers, subject words, attachments, accents."""
    conn = sqlite3.connect(db)
    rng = random.Random(11)
    names = [r[0] for r in conn.execute("SELECT last_name FROM citizen WHERE last_name != ''")]
    numbers = [r[0] for r in conn.execute("SELECT number FROM request ORDER BY pk LIMIT 5000")]
    conn.close()
    queries = [rng.choice(names).lower() for _ in range(20)]
    queries += [rng.choice(numbers) for _ in range(6)]
    queries += [rng.choice(numbers).split("-")[1] for _ in range(4)]
    queries += [
        "inscription", "naissance", "voirie", "subvention", "terrasse", "lampadaire",
        "concession", "mariage", "recensement", "clôture", "justificatif", "photo", "statuts",
        "Noël", "Hélène", "Gérard", "ÉLODIE", "francois", "inscription ce1", "acte naissance",
        "nid poule", "salle des fêtes", "certificat urbanisme", "buvette kermesse",
        "piece identite", "dérogation secteur", "échafaudage", "rue carnot", "obernai",
        "assurance",
    ]  # fmt: skip
    return queries[:count] if len(queries) >= count else queries


def prefixes(query: str) -> list[str]:
    """Each state of the search box while the query is typed, letter by letter."""
    return [query[:i] for i in range(1, len(query) + 1)]


def cold_start(db: Path, runs: int) -> dict[str, Any]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", BANNETTE_STARTUP_PROBE="1")
    env["BANNETTE_SETTINGS"] = str(Path(os.environ.get("TMPDIR", "/tmp")) / "bench-cold.ini")
    walls, inner = [], []
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "desktop", "--database", str(db)],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        walls.append(time.perf_counter() - started)
        line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("{"))
        inner.append(json.loads(line)["first_paint_s"])
    return {
        "process_start_to_first_paint_s": {
            "median": round(sorted(walls)[len(walls) // 2], 3),
            "min": round(min(walls), 3),
            "runs": runs,
        },
        "import_to_first_paint_s_median": round(sorted(inner)[len(inner) // 2], 3),
        "target_s": 1.5,
    }


def in_process(mode: str, db: Path) -> dict[str, Any]:
    """Run one measurement mode in a child process so peak RSS belongs to that mode alone."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "-m", "bench.inbox", "--child", mode, "--database", str(db)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=1800, check=True,
    )  # fmt: skip
    return json.loads(proc.stdout.strip().splitlines()[-1])


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def child_lazy(db: Path) -> dict[str, Any]:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from desktop.store.database import connect
    from desktop.store.inbox import InboxFilter, InboxRepository, fts_query, number_prefix
    from desktop.views.main_window import MainWindow

    app = QApplication([])
    conn = connect(db)
    settings = QSettings(str(Path("/tmp/bench-lazy.ini")), QSettings.Format.IniFormat)
    settings.clear()
    window = MainWindow(InboxRepository(conn), settings, today=lambda: BENCH_TODAY)
    window.resize(1560, 900)
    window.show()
    app.processEvents()
    viewport = window.table.viewport()
    queries = realistic_queries(db)

    typed, queried, queried_model, raw = [], [], [], []
    raw_conn = sqlite3.connect(db)
    for query in queries:
        window.model.set_filter(InboxFilter())
        for text in prefixes(query):
            before = window.model.current_filter
            started = time.perf_counter()
            window.model.set_filter(InboxFilter(search=text))
            model_ready = time.perf_counter() - started
            viewport.repaint()
            elapsed = time.perf_counter() - started
            typed.append(elapsed)
            if not InboxFilter(search=text).same_results_as(before):
                queried.append(elapsed)
                queried_model.append(model_ready)
            number = number_prefix(text)
            if number is not None:
                # The raw limit of a number prefix: the same range read straight from SQLite.
                started = time.perf_counter()
                raw_conn.execute(
                    "SELECT pk FROM request WHERE deleted = 0 AND number BETWEEN ? AND ?",
                    (number, number + "\uffff"),
                ).fetchall()
                raw.append(time.perf_counter() - started)
            fts = fts_query(text)
            if fts is not None and number is None:
                started = time.perf_counter()
                raw_conn.execute(
                    "SELECT rowid FROM request_fts WHERE request_fts MATCH ?", (fts,)
                ).fetchall()
                raw.append(time.perf_counter() - started)
    window.model.set_filter(InboxFilter())

    scroll = window.table.verticalScrollBar()
    page = max(1, scroll.pageStep())
    pages = []
    started_all = time.perf_counter()
    for value in range(0, scroll.maximum() + page, page):
        started = time.perf_counter()
        scroll.setValue(value)
        viewport.repaint()
        pages.append(time.perf_counter() - started)
    scroll_total = time.perf_counter() - started_all

    sorts = []
    for column in range(window.model.columnCount()):
        started = time.perf_counter()
        window.model.sort(column)
        viewport.repaint()
        sorts.append(time.perf_counter() - started)

    typed_p, queried_p, raw_p = percentiles(typed), percentiles(queried), percentiles(raw)
    model_p = percentiles(queried_model)
    repaint = []
    for _ in range(30):
        started = time.perf_counter()
        viewport.repaint()
        repaint.append(time.perf_counter() - started)
    return {
        "rows": window.model.total,
        "queries": len(queries),
        "search_keystroke_to_model_updated": model_p,
        "search_keystroke_to_rows_repainted": queried_p,
        "search_every_keystroke_incl_no_query": typed_p,
        "table_repaint_alone": percentiles(repaint),
        "raw_fts5": raw_p,
        "p95_ratio_to_raw": round(model_p["p95_ms"] / max(raw_p["p95_ms"], 0.01), 2),
        "scroll_whole_table": {
            "pages": len(pages),
            "total_s": round(scroll_total, 2),
            **{f"page_{k}": v for k, v in percentiles(pages).items() if k != "n"},
        },
        "sort_any_column": percentiles(sorts),
        "peak_rss_mb": peak_rss_mb(),
    }


def child_naive(db: Path) -> dict[str, Any]:
    """Every row in a QStandardItemModel, search through a QSortFilterProxyModel."""
    from PySide6.QtCore import QRegularExpression, QSortFilterProxyModel, Qt
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QApplication, QTableView

    app = QApplication([])
    started = time.perf_counter()
    conn = sqlite3.connect(db)
    rows = conn.execute(
        """SELECT r.number, r.received_at, r.channel, c.display_name, r.subject, p.name, a.name,
                  r.status, COALESCE(r.due_date, '')
           FROM request r JOIN citizen c ON c.pk = r.citizen_pk
           JOIN procedure p ON p.pk = r.procedure_pk JOIN authority a ON a.pk = r.authority_pk
           ORDER BY r.received_at DESC"""
    ).fetchall()
    model = QStandardItemModel(0, 9)
    for values in rows:
        model.appendRow([QStandardItem(str(value)) for value in values])
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setFilterKeyColumn(-1)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    view = QTableView()
    view.setModel(proxy)
    view.resize(1200, 800)
    view.show()
    app.processEvents()
    build = time.perf_counter() - started

    typed = []
    for query in realistic_queries(db)[:20]:  # the naive path is slow: a third of the queries
        for text in prefixes(query):
            t0 = time.perf_counter()
            proxy.setFilterRegularExpression(
                QRegularExpression(QRegularExpression.escape(text),
                                   QRegularExpression.PatternOption.CaseInsensitiveOption)
            )  # fmt: skip
            view.viewport().repaint()
            typed.append(time.perf_counter() - t0)
    return {
        "build_to_first_paint_s": round(build, 2),
        "search_as_you_type": percentiles(typed),
        "note": "plain substring match: accents are NOT folded, 'noel' misses 'Noël'",
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--generation-only", action="store_true",
                        help="only time the data set's generation (10,000 and --requests)")
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--child", choices=["lazy", "naive"])
    parser.add_argument("--database", type=Path)
    args = parser.parse_args()

    if args.child:
        result = child_lazy(args.database) if args.child == "lazy" else child_naive(args.database)
        print(json.dumps(result), flush=True)
        # Skip interpreter teardown: PySide6 may crash while finalising, after the figures.
        os._exit(0)

    generation: dict[str, dict[str, float]] = {}
    if args.requests > SMALL_SET:
        small, generation[str(SMALL_SET)] = bench_database(SMALL_SET)
        discard_database(small)
    db, generation[str(args.requests)] = bench_database(args.requests)
    figures: dict[str, Any] = {
        "benchmark": "inbox",
        "machine": machine(),
        "requests": args.requests,
        "database_mb": round(db.stat().st_size / 1e6, 1),
        "generate_s": generation[str(args.requests)]["generate_s"],
        "generate_ms_per_request": generation[str(args.requests)]["generate_ms_per_request"],
        "generation": generation,
    }
    if args.generation_only:
        discard_database(db)
        emit(f"inbox-generation-{args.requests}", figures)
        return
    figures["cold_start"] = cold_start(db, args.cold_runs)
    figures["lazy_model"] = in_process("lazy", db)
    if not args.skip_naive:
        figures["naive_standard_item_model"] = in_process("naive", db)
    lazy = figures["lazy_model"]
    figures["targets"] = {
        "cold_start_le_1_5_s": figures["cold_start"]["process_start_to_first_paint_s"]["median"]
        <= 1.5,
        "search_p95_le_30_ms": lazy["search_keystroke_to_model_updated"]["p95_ms"] <= 30,
        "search_p95_le_3x_raw": lazy["p95_ratio_to_raw"] <= 3,
        "peak_rss_le_250_mb": lazy["peak_rss_mb"] <= 250,
    }
    discard_database(db)
    emit(f"inbox-{args.requests}", figures)


if __name__ == "__main__":
    main()
