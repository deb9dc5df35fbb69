"""The bannette model: Qt's contract, lazy rows, SQL sorting, échéance colours."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import pytest
from PySide6.QtCore import Qt

from desktop.domain.due import Urgency, urgency
from desktop.models.inbox_model import BLOCK, CACHE_ROWS, URGENCY_COLOURS, InboxModel
from desktop.store.inbox import Column, InboxFilter, InboxRepository, InboxRow, InboxSort
from tests.conftest import TODAY


class CountingRepository(InboxRepository):
    """The real repository, counting how many rows the model asks for."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        super().__init__(conn)
        self.row_requests: list[int] = []

    def rows(self, pks: Sequence[int]) -> dict[int, InboxRow]:
        self.row_requests.append(len(pks))
        return super().rows(pks)


@pytest.fixture
def model(demo_db: sqlite3.Connection) -> InboxModel:
    m = InboxModel(CountingRepository(demo_db), today=lambda: TODAY)
    m.reload()
    return m


def test_model_passes_qt_model_tester(qtmodeltester, model: InboxModel) -> None:
    qtmodeltester.check(model)


def test_model_tester_with_a_filter(qtmodeltester, model: InboxModel) -> None:
    model.set_filter(InboxFilter(search="naissance", overdue=False))
    assert 0 < model.rowCount() < model.total
    qtmodeltester.check(model)


def test_rows_are_fetched_lazily_in_blocks(model: InboxModel) -> None:
    repo = model._repo  # type: ignore[attr-defined]
    assert repo.row_requests == []  # the reload fetched ids only
    assert model.rowCount() == 500
    model.data(model.index(250, Column.SUBJECT))
    assert repo.row_requests == [BLOCK]
    for column in Column:  # the same row again comes from the cache
        model.data(model.index(250, column))
        model.data(model.index(299, column))
    assert repo.row_requests == [BLOCK]
    for row in range(0, 500, 7):
        model.data(model.index(row, 0))
    assert len(model._cache) <= CACHE_ROWS  # type: ignore[attr-defined]


@pytest.mark.parametrize("column", list(Column))
@pytest.mark.parametrize("order", [Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder])
def test_sorting_is_done_in_sql(
    model: InboxModel, demo_db: sqlite3.Connection, column: Column, order: Qt.SortOrder
) -> None:
    model.sort(column, order)
    expected = InboxRepository(demo_db).ids(
        InboxFilter(),
        InboxSort(column, order == Qt.SortOrder.DescendingOrder),
        today=TODAY,
    )
    assert [model.pk_at(r) for r in range(model.rowCount())] == expected


def test_received_column_shows_french_dates(model: InboxModel) -> None:
    model.sort(Column.RECEIVED, Qt.SortOrder.AscendingOrder)
    text = model.data(model.index(0, Column.RECEIVED))
    months = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
              "nov.", "déc.")  # fmt: skip
    assert any(m in text for m in months), text


def test_due_cell_is_coloured_with_the_legal_reason_in_its_tooltip(model: InboxModel) -> None:
    seen: set[Urgency] = set()
    for row in range(model.rowCount()):
        info = model.row_at(row)
        assert info is not None
        level = urgency(info.due_date, TODAY, info.department)
        index = model.index(row, Column.DUE)
        tooltip = model.data(index, Qt.ItemDataRole.ToolTipRole)
        assert tooltip
        brush = model.data(index, Qt.ItemDataRole.BackgroundRole)
        if level in URGENCY_COLOURS:
            assert brush.color().name() == URGENCY_COLOURS[level][0]
            assert "CRPA" in tooltip or "objectif interne" in tooltip
            seen.add(level)
        else:
            assert brush is None
        if level == Urgency.OVERDUE:
            assert model.data(index).startswith("En retard")
    assert seen == {Urgency.OVERDUE, Urgency.SOON, Urgency.FINE}


def test_count_signal_reports_matching_and_total(qtbot, model: InboxModel) -> None:
    with qtbot.waitSignal(model.countChanged) as blocker:
        model.set_filter(InboxFilter(search="inscription"))
    matching, total = blocker.args
    assert matching == model.rowCount() and total == 500 and 0 < matching < total
