"""The main window driven through its real widgets, as a secrétaire would."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop.domain.text import fold
from desktop.store.inbox import Column, InboxFilter, InboxRepository, InboxSort
from desktop.views.formatting import requests_count
from desktop.views.main_window import DetailDialog, MainWindow
from sync.protocol.vocabulary import Channel, Status
from tests.conftest import TODAY
from tests.gui.conftest import ARTIFACTS, type_text


def displayed_pks(window: MainWindow) -> list[int]:
    return [window.model.pk_at(r) for r in range(window.model.rowCount())]  # type: ignore[misc]


def expected_pks(conn: sqlite3.Connection, flt: InboxFilter, agent_id: str | None = None):
    return InboxRepository(conn).ids(flt, InboxSort(), today=TODAY, agent_id=agent_id)


def wait_for_search(qtbot, window: MainWindow, text: str) -> None:
    qtbot.waitUntil(lambda: window.model.current_filter.search == text, timeout=3000)


def test_window_opens_with_every_request_and_the_count(window: MainWindow) -> None:
    assert window.model.rowCount() == 500
    assert window.count_label.text() == "500 demandes"
    headers = [window.model.headerData(c, Qt.Orientation.Horizontal) for c in Column]
    assert headers == [
        "Numéro", "Reçue le", "Canal", "Usager", "Objet", "Démarche", "Commune", "Statut",
        "Échéance", "Attribuée à",
    ]  # fmt: skip
    assert window.windowTitle().startswith("Bannette")


def test_search_as_you_type_ignores_accents_and_case(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    qtbot.keyClicks(window.filters.search, "noel")
    wait_for_search(qtbot, window, "noel")
    plain = displayed_pks(window)
    assert plain, "the demo has citizens called Noël or Noëlle"
    assert plain == expected_pks(demo_db, InboxFilter(search="noel"))
    repo = InboxRepository(demo_db)
    for pk in plain:
        detail = repo.detail(pk)
        assert detail is not None
        haystack = fold(
            " ".join([detail.row.number, detail.row.citizen, detail.row.subject, detail.body,
                      detail.citizen.email, *[a.filename for a in detail.attachments]])
        )  # fmt: skip
        assert "noel" in haystack

    window.filters.search.clear()
    type_text(window.filters.search, "NOËL")
    wait_for_search(qtbot, window, "NOËL")
    assert displayed_pks(window) == plain
    assert window.count_label.text() == requests_count(len(plain), 500)


def test_search_finds_numbers_and_attachment_names(qtbot, window: MainWindow) -> None:
    number = window.model.row_at(0).number  # type: ignore[union-attr]
    qtbot.keyClicks(window.filters.search, number)
    wait_for_search(qtbot, window, number)
    assert any(window.model.row_at(r).number == number for r in range(window.model.rowCount()))  # type: ignore[union-attr]

    window.filters.search.clear()
    qtbot.keyClicks(window.filters.search, "statuts")
    wait_for_search(qtbot, window, "statuts")
    assert window.model.rowCount() > 0
    pk = window.model.pk_at(0)
    detail = window._repo.detail(pk)  # type: ignore[arg-type]
    assert any("statuts" in a.filename for a in detail.attachments)  # type: ignore[union-attr]


def test_filters_combine_through_the_widgets(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    bar = window.filters
    for action in bar.statuses.actions_list():
        if action.data() in (Status.RECEIVED.value, Status.ACKNOWLEDGED.value):
            action.trigger()
    assert bar.statuses.text() == "Statut (2)"
    for action in bar.channels.actions_list():
        if action.data() == Channel.WEB.value:
            action.trigger()
    first_commune = bar.authorities.actions_list()[0]
    first_commune.trigger()
    qtbot.mouseClick(bar.overdue, Qt.MouseButton.LeftButton)
    expected = expected_pks(
        demo_db,
        InboxFilter(
            statuses=frozenset({Status.RECEIVED, Status.ACKNOWLEDGED}),
            channels=frozenset({Channel.WEB}),
            authority_pks=frozenset({first_commune.data()}),
            overdue=True,
        ),
    )
    assert displayed_pks(window) == expected
    assert window.count_label.text() == requests_count(len(expected), 500)

    bar.overdue.setChecked(False)
    bar.not_acknowledged.setChecked(True)
    bar.set_assignment("mine")
    agent_id = window._agent_id  # the demo's secrétaire
    assert agent_id
    expected = expected_pks(
        demo_db,
        InboxFilter(
            statuses=frozenset({Status.RECEIVED, Status.ACKNOWLEDGED}),
            channels=frozenset({Channel.WEB}),
            authority_pks=frozenset({first_commune.data()}),
            assigned_to_me=True,
            not_acknowledged=True,
        ),
        agent_id=agent_id,
    )
    assert displayed_pks(window) == expected

    qtbot.mouseClick(bar.reset, Qt.MouseButton.LeftButton)
    assert window.model.rowCount() == 500
    assert bar.statuses.text() == "Statut"


def test_due_this_week_filter(qtbot, window: MainWindow, demo_db: sqlite3.Connection) -> None:
    window.filters.due_this_week.setChecked(True)
    rows = [window.model.row_at(r) for r in range(window.model.rowCount())]
    assert rows and all(r and r.due_date and r.due_date >= TODAY for r in rows)
    assert displayed_pks(window) == expected_pks(demo_db, InboxFilter(due_this_week=True))


def test_detail_follows_the_selection(qtbot, window: MainWindow) -> None:
    assert window.detail.shown_pk is None
    window.table.setFocus()
    window.table.selectRow(3)
    assert window.detail.shown_pk == window.model.pk_at(3)
    row = window.model.row_at(3)
    assert row is not None and row.number in window.detail.toPlainText()
    qtbot.keyClick(window.table, Qt.Key.Key_Down)
    assert window.detail.shown_pk == window.model.pk_at(4)
    text = window.detail.toPlainText()
    for section in ("Usager", "Pièces jointes", "Historique", "Demande enregistrée"):
        assert section in text


def test_selection_survives_a_new_sort(qtbot, window: MainWindow) -> None:
    window.table.selectRow(10)
    pk = window.detail.shown_pk
    window.table.sortByColumn(Column.CITIZEN, Qt.SortOrder.AscendingOrder)
    assert window.detail.shown_pk == pk
    assert window.selected_pk() == pk


def test_enter_opens_the_request_in_its_own_window(qtbot, window: MainWindow) -> None:
    window.table.setFocus()
    window.table.selectRow(0)
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, DetailDialog)]
    assert len(dialogs) == 1
    row = window.model.row_at(0)
    assert row is not None and dialogs[0].windowTitle() == f"Demande {row.reference}"
    assert dialogs[0].pane.toPlainText() == window.detail.toPlainText()
    dialogs[0].close()


def test_the_request_window_links_its_attachments_like_the_pane(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    from desktop.views.attachments_ui import install_attachments
    from desktop.views.detail_pane import attachment_url

    install_attachments(window, None)
    pk, attachment_id = demo_db.execute(
        "SELECT request_pk, id FROM attachment ORDER BY pk LIMIT 1").fetchone()
    window.select_request(pk)
    dialog = window.open_detail_dialog(window.table.currentIndex().row())
    assert dialog is not None
    assert "fichier absent de ce poste" in dialog.pane.toPlainText()
    with qtbot.waitSignal(window.detail.attachmentRequested) as asked:
        dialog.pane.anchorClicked.emit(QUrl(attachment_url(attachment_id)))
    assert asked.args == [attachment_id]
    window.findChild(QMessageBox).close()
    dialog.close()


def test_ctrl_f_puts_the_cursor_in_the_search_box(qtbot, window: MainWindow) -> None:
    window.table.setFocus()
    window.activateWindow()
    window.search_action.trigger()
    assert window.search_action.shortcut().toString() == "Ctrl+F"
    qtbot.waitUntil(lambda: window.filters.search.hasFocus(), timeout=2000)


def test_layout_is_remembered_between_runs(qtbot, make_window: Callable[[], MainWindow]) -> None:
    first = make_window()
    first.table.setColumnWidth(Column.SUBJECT, 333)
    first.table.sortByColumn(Column.CITIZEN, Qt.SortOrder.AscendingOrder)
    first.splitter.setSizes([700, 500])
    sizes = first.splitter.sizes()
    first.close()

    second = make_window()
    assert second.table.columnWidth(Column.SUBJECT) == 333
    assert second.model.current_sort == InboxSort(Column.CITIZEN, descending=False)
    # The offscreen platform does not place windows exactly; the split proportion must hold.
    restored = second.splitter.sizes()
    assert abs(restored[0] / sum(restored) - sizes[0] / sum(sizes)) < 0.01


def test_screenshot_of_the_main_window(qtbot, window: MainWindow) -> None:
    """Saved for reviewers in test-artifacts/; also checks it is not a blank image."""
    window.resize(1560, 900)
    window.table.selectRow(2)
    qtbot.wait(50)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "main_window.png"
    assert window.grab().save(str(path))
    image = QImage(str(path))
    assert image.width() >= 1500
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 23)
    }
    assert len(colours) > 10


def test_the_window_starts_without_loading_the_network_stack() -> None:
    """httpx (and what it pulls in) costs ~80 ms at start-up; the sync loads it on its own
    thread, after the first rows are on screen."""
    import subprocess
    import sys

    probe = "import sys, desktop.views.main_window; print(sorted(m for m in sys.modules " \
            "if m.split('.')[0] in ('httpx', 'httpcore', 'rich')))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
