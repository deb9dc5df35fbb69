"""The bannette driven from the keyboard alone: search box, list, detail (issue 9, item 13)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from desktop.views.main_window import MainWindow


def test_down_in_the_search_box_goes_to_the_first_row(qtbot, window: MainWindow) -> None:
    window.activateWindow()
    window.search_action.trigger()
    qtbot.waitUntil(window.filters.search.hasFocus, timeout=2000)
    qtbot.keyClick(window.filters.search, Qt.Key.Key_Down)
    qtbot.waitUntil(window.table.hasFocus, timeout=2000)
    assert window.table.currentIndex().row() == 0
    assert window.table.selectionModel().isRowSelected(0)
    assert window.detail.shown_pk == window.model.pk_at(0)


def test_down_applies_what_was_typed_at_once(qtbot, window: MainWindow) -> None:
    window.filters.search.setFocus()
    qtbot.keyClicks(window.filters.search, "zzz-nothing-matches")
    qtbot.keyClick(window.filters.search, Qt.Key.Key_Down)
    assert window.model.current_filter.search == "zzz-nothing-matches"
    assert window.model.rowCount() == 0
    assert window.detail.shown_pk is None


def test_ctrl_l_selects_the_first_row_not_only_the_focus(qtbot, window: MainWindow) -> None:
    assert window.detail.shown_pk is None
    window.activateWindow()
    window.table_action.trigger()
    qtbot.waitUntil(window.table.hasFocus, timeout=2000)
    assert window.table.currentIndex().row() == 0
    assert window.table.selectionModel().isRowSelected(0)
    assert window.detail.shown_pk == window.model.pk_at(0)
    # Down from there moves to the second request: the cursor really was on the first.
    qtbot.keyClick(window.table, Qt.Key.Key_Down)
    assert window.detail.shown_pk == window.model.pk_at(1)


def test_ctrl_l_keeps_the_request_already_selected(qtbot, window: MainWindow) -> None:
    window.table.selectRow(7)
    window.filters.search.setFocus()
    window.table_action.trigger()
    assert window.detail.shown_pk == window.model.pk_at(7)
    assert window.table.currentIndex().row() == 7


def test_no_two_actions_share_a_shortcut(window: MainWindow) -> None:
    """Each feature adds its own actions: a shortcut taken twice would do one thing at random
    (Qt calls it « ambiguous » and does nothing)."""
    from PySide6.QtGui import QAction

    taken: dict[str, list[str]] = {}
    for action in window.findChildren(QAction):
        for sequence in action.shortcuts():
            key = sequence.toString()
            if key:
                taken.setdefault(key, []).append(action.objectName() or action.text())
    shared = {key: names for key, names in taken.items() if len(set(names)) > 1}
    assert shared == {}
