"""The reference of a request (« 67348-2026-000165 »): shown, searched and sorted the same way
whatever communes the bannette holds, and every column sorted from an index."""

from __future__ import annotations

import sqlite3

import pytest

from desktop.store.inbox import (
    _SORT_JOINS,
    _SORT_SQL,
    Column,
    InboxFilter,
    InboxRepository,
    InboxSort,
)
from sync.protocol.reference import TypedNumber, parse_typed_number, request_reference
from tests.conftest import TODAY


def test_reference_puts_the_commune_code_before_its_number() -> None:
    assert request_reference("67348", "2026-000165") == "67348-2026-000165"
    assert request_reference("2a004", "P-2026-0001") == "2A004-P-2026-0001"
    # A commune whose code is not known yet keeps its bare number rather than « -2026-… ».
    assert request_reference("", "2026-000165") == "2026-000165"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-0001", TypedNumber(None, "2026-0001")),
        ("2026-", TypedNumber(None, "2026-")),
        (" 67348-2026-000165 ", TypedNumber("67348", "2026-000165")),
        ("67348 - 2026-00", TypedNumber("67348", "2026-00")),
        ("2B033-2026-1", TypedNumber("2B033", "2026-1")),
        ("p-2026-0001", TypedNumber(None, "P-2026-0001")),
        ("88367-P-2026-0001", TypedNumber("88367", "P-2026-0001")),
    ],
)
def test_typed_numbers_are_understood(typed: str, expected: TypedNumber) -> None:
    assert parse_typed_number(typed) == expected


@pytest.mark.parametrize("typed", ["67348", "rue 2026", "2026", "123456-2026-1", "mairie"])
def test_other_text_is_not_a_number(typed: str) -> None:
    assert parse_typed_number(typed) is None


def test_two_communes_with_the_same_number_are_told_apart(demo_db: sqlite3.Connection) -> None:
    number, count = demo_db.execute(
        "SELECT number, COUNT(*) FROM request WHERE deleted = 0 GROUP BY number "
        "HAVING COUNT(*) > 1 ORDER BY number LIMIT 1"
    ).fetchone()
    assert count > 1  # the demo's communes share their yearly sequences
    repo = InboxRepository(demo_db)
    bare = repo.ids(InboxFilter(search=number), InboxSort(), today=TODAY)
    rows = repo.rows(bare)
    shown = sorted(rows[pk].reference for pk in bare if rows[pk].number == number)
    assert len(shown) == count and len(set(shown)) == count
    code = demo_db.execute("SELECT insee_code FROM authority ORDER BY name LIMIT 1").fetchone()[0]
    mine = repo.ids(InboxFilter(search=f"{code}-{number}"), InboxSort(), today=TODAY)
    assert [repo.rows(mine)[pk].reference for pk in mine] == [f"{code}-{number}"]


def test_numbers_sort_by_commune_then_sequence(demo_db: sqlite3.Connection) -> None:
    repo = InboxRepository(demo_db)
    ids = repo.ids(InboxFilter(), InboxSort(Column.NUMBER, False), today=TODAY)
    rows = repo.rows(ids)
    keys = [(rows[pk].reference.split("-", 1)[0], rows[pk].number) for pk in ids]
    assert keys == sorted(keys)


def test_status_sorts_by_life_cycle(demo_db: sqlite3.Connection) -> None:
    repo = InboxRepository(demo_db)
    ids = repo.ids(InboxFilter(), InboxSort(Column.STATUS, False), today=TODAY)
    rows = repo.rows(ids)
    seen = list(dict.fromkeys(rows[pk].status.value for pk in ids))
    life_cycle = ["received", "acknowledged", "awaiting_documents", "drafting", "at_parapheur",
                  "answered", "closed"]
    assert seen == [s for s in life_cycle if s in seen] and len(seen) >= 4


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("column", list(Column), ids=lambda c: c.name)
def test_every_column_sorts_from_an_index(
    demo_db: sqlite3.Connection, column: Column, descending: bool
) -> None:
    """No sorting pass over the whole bannette: the order is read from an index (migration
    0011). Only the direction of « échéance » descending, with nothing-due last, sorts the
    dates within their group (« RIGHT PART »), still on the index's groups."""
    demo_db.execute("ANALYZE")
    direction = "DESC" if descending else "ASC"
    sql = (
        f"SELECT r.pk FROM request r {_SORT_JOINS.get(column, '')} WHERE r.deleted = 0 "
        f"ORDER BY {_SORT_SQL[column].format(dir=direction)}, r.pk {direction}"
    )
    plan = [str(row[3]) for row in demo_db.execute("EXPLAIN QUERY PLAN " + sql)]
    assert not any(step == "USE TEMP B-TREE FOR ORDER BY" for step in plan), plan
    if not (column == Column.DUE and descending):
        assert not any("TEMP B-TREE" in step for step in plan), plan
