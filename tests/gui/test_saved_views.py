"""« Vues enregistrées »: a search, filters and sort saved under a name come back whole with a
click or Ctrl+1, for the same agent after a restart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from desktop.store.inbox import Column, InboxFilter, InboxSort
from desktop.views.main_window import MainWindow
from desktop.views.saved_views import ALL_REQUESTS
from sync.protocol.vocabulary import Channel, Status
from tests.gui.conftest import type_text

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def shortcut(window: MainWindow, name: str) -> QAction:
    action = window.findChild(QAction, name)
    assert action is not None, name
    return action


def test_a_saved_view_comes_back_after_a_restart(
    qtbot, make_window: Callable[..., MainWindow]
) -> None:
    window = make_window()
    window.filters.statuses.set_selected([Status.RECEIVED.value, Status.ACKNOWLEDGED.value])
    window.filters.channels.set_selected([Channel.PAPER.value])
    window.filters.overdue.setChecked(True)
    window.filters.search.clear()
    type_text(window.filters.search, "réservation")
    window.filters.apply_now()
    window.table.sortByColumn(Column.SUBJECT, Qt.SortOrder.AscendingOrder)
    wanted = window.current_view()
    shown = [window.model.row_at(i).pk for i in range(window.model.rowCount())]  # type: ignore[union-attr]

    view = window.saved_views.save_as("Pièces à relancer — courrier")
    assert view is not None and window.statusBar().currentMessage() == (
        "Vue « Pièces à relancer — courrier » enregistrée.")
    texts = [window.saved_views.list.item(i).text() for i in
             range(window.saved_views.list.count())]
    assert texts == [ALL_REQUESTS, "Pièces à relancer — courrier"]
    tip = window.saved_views.list.item(1).toolTip()
    assert tip.startswith("Recherche « réservation »")
    assert tip.endswith("tri par « Objet », croissant (Ctrl+1)")

    shortcut(window, "action-view-0").trigger()  # Ctrl+0: every request, newest first
    assert window.current_view() == (InboxFilter(), InboxSort())
    assert window.filters.search.text() == "" and not window.filters.overdue.isChecked()

    shortcut(window, "action-view-1").trigger()  # Ctrl+1
    assert window.current_view() == wanted
    assert [window.model.row_at(i).pk for i in range(window.model.rowCount())] == shown  # type: ignore[union-attr]
    assert window.filters.statuses.text() == "Statut (2)"
    qtbot.wait(50)  # the filter bar lays out its new texts
    ARTIFACTS.mkdir(exist_ok=True)
    window.grab().save(str(ARTIFACTS / "saved_views.png"))
    window.save_layout()
    window.close()

    again = make_window()
    assert [v.name for v in again.saved_views.views] == ["Pièces à relancer — courrier"]
    assert again.current_view() != wanted
    again.saved_views.apply(1)  # a click on the view
    assert again.current_view() == wanted


def test_saving_under_an_existing_name_replaces_it(make_window: Callable[..., MainWindow]) -> None:
    window = make_window()
    window.filters.overdue.setChecked(True)
    first = window.saved_views.save_as("Urgent")
    window.filters.overdue.setChecked(False)
    window.filters.not_acknowledged.setChecked(True)
    second = window.saved_views.save_as("urgent", confirm_replace=False)
    assert first is not None and second is not None and second.pk == first.pk
    assert [v.filter for v in window.saved_views.views] == [InboxFilter(not_acknowledged=True)]
    window.saved_views.delete(second, confirm=False)
    assert window.saved_views.views == []
    assert "Enregistrer la vue" in window.saved_views.hint.text()


def test_menu_entries_and_shortcuts(make_window: Callable[..., MainWindow]) -> None:
    window = make_window()
    assert shortcut(window, "action-save-view").shortcut().toString() == "Ctrl+Shift+V"
    toggle = shortcut(window, "action-saved-views")
    assert toggle.shortcut().toString() == "F9" and toggle in window.view_menu.actions()
    # No view yet: the side list stays out of the way; the first view saved shows it.
    assert not toggle.isChecked()
    window.saved_views.save_as("Tout")
    assert toggle.isChecked()
    toggle.trigger()  # F9
    assert not window.saved_views.isVisible()
