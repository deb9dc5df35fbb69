"""Bulk writes feed the full-text index once, so building a large store stays linear (issue 9,
item 21).

The demo's generator wrote everything in one transaction while every attachment insert
rewrote its request's search document, hence a delete and an insert in the FTS5 index per
attachment: FTS5 kept merging that churn, and 60,000 requests took 383 s (21 ms a request,
against 0.5 ms up to 10,000). No timing here: the index writes are counted through SQLite's
trace callback, which reports the statements FTS5 runs on its shadow tables.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from desktop.demo.generator import generate
from desktop.store.database import connect
from desktop.store.search_index import index_deferred
from tests.conftest import TODAY
from tests.factories import add_attachment, check_search_index, fts_search

REBUILD = "INSERT INTO request_fts(request_fts) VALUES ('rebuild')"


def _traced_generation(path: Path, requests: int) -> tuple[sqlite3.Connection, list[str]]:
    conn = connect(path)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    generate(conn, requests=requests, seed=3, today=TODAY)
    conn.set_trace_callback(None)
    return conn, statements


def _index_writes(statements: list[str]) -> list[int]:
    """Positions of the statements FTS5 ran on its shadow tables (``-- … request_fts_…``)."""
    return [i for i, sql in enumerate(statements)
            if sql.startswith("-- ") and "request_fts_" in sql and "data_version" not in sql]


def test_the_demo_feeds_the_index_once_after_its_rows(tmp_path: Path) -> None:
    conn, statements = _traced_generation(tmp_path / "demo.sqlite3", 300)
    rebuilds = [i for i, sql in enumerate(statements) if sql == REBUILD]
    assert len(rebuilds) == 1, "the index is built in one pass"
    writes = _index_writes(statements)
    assert writes and min(writes) > rebuilds[0], "no index write while the rows go in"
    # The pass writes one size record per document, not one per attachment.
    sizes = [statements[i] for i in writes if "request_fts_docsize" in statements[i]
             and statements[i].startswith("-- REPLACE")]
    assert len(sizes) == 300
    conn.close()


def test_index_writes_per_request_do_not_grow_with_the_size(tmp_path: Path) -> None:
    small_conn, small = _traced_generation(tmp_path / "small.sqlite3", 250)
    large_conn, large = _traced_generation(tmp_path / "large.sqlite3", 1000)
    small_conn.close()
    large_conn.close()
    per_request_small = len(_index_writes(small)) / 250
    per_request_large = len(_index_writes(large)) / 1000
    assert per_request_large <= per_request_small * 1.1
    assert per_request_large < 1.5  # one size record each, and a few index pages


def test_after_a_bulk_load_the_index_is_whole_and_follows_single_writes(
    tmp_path: Path,
) -> None:
    conn = connect(tmp_path / "demo.sqlite3")
    generate(conn, requests=120, seed=4, today=TODAY)
    assert not index_deferred(conn)
    check_search_index(conn)
    pk = conn.execute("SELECT MIN(pk) FROM request").fetchone()[0]
    add_attachment(conn, pk, "attestation_zygomatique.pdf")
    assert fts_search(conn, "zygomatique") == {pk}
    check_search_index(conn)
    conn.close()


def test_a_failed_bulk_load_leaves_the_triggers_on(tmp_path: Path) -> None:
    """The switch is written in the load's transaction: a failure rolls it back too."""
    conn = connect(tmp_path / "demo.sqlite3")
    generate(conn, requests=20, seed=4, today=TODAY)
    try:
        generate(conn, requests=20, seed=4, today=TODAY)  # same ids again: refused
    except sqlite3.IntegrityError:
        pass
    else:
        raise AssertionError("a second demo over the first must fail")
    assert not index_deferred(conn)
    check_search_index(conn)
    conn.close()
