"""The team's work in the window: « Attribuer… » several requests (refused for an agent who
left, with the reason, nothing changed), the « Attribuée à » column and the « Mes demandes /
Mon service » filter with their shortcuts, internal notes, « Modifier la demande… » with the
recomputed échéances, « Administration › Services… », the notification after a sync."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from PySide6.QtWidgets import QApplication, QMenu

from desktop.models.inbox_model import InboxModel
from desktop.store import teamwork
from desktop.store.inbox import Column, InboxFilter, InboxRepository
from desktop.store.requests import reference_of
from desktop.views.main_window import MainWindow
from desktop.views.teamwork.flow import NOTICE_TITLE
from sync.protocol.wire import AGENT_LEFT
from tests.conftest import TODAY
from tests.gui.conftest import ARTIFACTS, type_text


def _agent(conn: sqlite3.Connection, login: str) -> tuple[int, str]:
    row = conn.execute("SELECT pk, id FROM agent WHERE login = ?", (login,)).fetchone()
    return int(row[0]), str(row[1])


def _select_rows(window: MainWindow, rows: list[int]) -> list[int]:
    selection = window.table.selectionModel()
    window.table.selectRow(rows[0])
    for row in rows[1:]:
        selection.select(window.model.index(row, 0),
                         QItemSelectionModel.SelectionFlag.Select
                         | QItemSelectionModel.SelectionFlag.Rows)
    return [window.model.pk_at(r) for r in rows]  # type: ignore[misc]


def _first_commune_rows(window: MainWindow, conn: sqlite3.Connection, n: int) -> list[int]:
    authority = conn.execute("SELECT pk FROM authority ORDER BY pk").fetchone()[0]
    found = []
    for row in range(window.model.rowCount()):
        pk = window.model.pk_at(row)
        if conn.execute("SELECT authority_pk FROM request WHERE pk = ?",
                        (pk,)).fetchone()[0] == authority:
            found.append(row)
        if len(found) == n:
            return found
    raise AssertionError("pas assez de demandes")


def test_assign_several_to_a_service_column_filter_and_screenshot(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    conn = demo_db
    _pk, me = _agent(conn, "smartin")
    authority = conn.execute("SELECT pk FROM authority ORDER BY pk").fetchone()[0]
    teamwork.save_service(conn, authority_pk=authority, name="Urbanisme", member_ids=[me])
    pks = _select_rows(window, _first_commune_rows(window, conn, 3))
    assert set(window.teamwork.selected_pks()) == set(pks)
    window.teamwork.actions["assign"].trigger()
    dialog = window.teamwork.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.windowTitle() == "Attribuer 3 demandes"
    dialog.to_service.setChecked(True)
    type_text(dialog.reason, "Dossiers d'urbanisme à instruire")
    ARTIFACTS.mkdir(exist_ok=True)
    dialog.grab().save(str(ARTIFACTS / "assign-dialog.png"))
    dialog.submit()
    assert not dialog.isVisible()
    rows = InboxRepository(conn).rows(pks)
    assert {rows[pk].assignee for pk in pks} == {"Urbanisme"}
    # The column shows it, and « Mon service » (Alt+3) lists exactly them.
    column = window.model.index(window.model.row_of(pks[0]), Column.ASSIGNEE)
    assert window.model.data(column) == "Urbanisme"
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    qtbot.keyClick(window.table, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)
    assert window.filters.current().my_services
    assert window.filters.assignment.currentText() == "Mon service"
    assert sorted(window.model.pk_at(r) for r in range(window.model.rowCount())) == sorted(pks)
    window.table.sortByColumn(Column.ASSIGNEE, Qt.SortOrder.AscendingOrder)
    window.table.selectRow(0)
    window.table.scrollTo(window.model.index(0, Column.ASSIGNEE))
    assert "Attribuée à" in window.detail.toPlainText()
    assert "Urbanisme" in window.detail.toPlainText()
    window.grab().save(str(ARTIFACTS / "assign.png"))
    qtbot.keyClick(window.table, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    assert window.model.rowCount() == 500
    qtbot.keyClick(window.table, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    assert window.filters.current() == InboxFilter(assigned_to_me=True)
    # The history says it.
    window.select_request(pks[0])
    assert "Attribuée à Urbanisme (motif : Dossiers d'urbanisme à instruire)" in (
        window.detail.toPlainText())


def test_agent_who_left_is_refused_in_the_dialog(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    conn = demo_db
    left_pk, left = _agent(conn, "jhoffmann")
    pks = _select_rows(window, [0, 1])
    before = [tuple(r) for r in conn.execute(
        "SELECT pk, assigned_agent_pk FROM request WHERE pk IN (?, ?) ORDER BY pk", pks)]
    window.teamwork.actions["assign"].trigger()
    dialog = window.teamwork.dialog
    index = dialog.agent.findData(left)
    assert index >= 0
    dialog.agent.setCurrentIndex(index)
    # The account is disabled meanwhile (a sync ran after the dialog opened).
    conn.execute("UPDATE agent SET deleted = 1 WHERE pk = ?", (left_pk,))
    dialog.submit()
    assert dialog.isVisible()
    assert dialog.error.isVisible() and dialog.error.text() == AGENT_LEFT
    after = [tuple(r) for r in conn.execute(
        "SELECT pk, assigned_agent_pk FROM request WHERE pk IN (?, ?) ORDER BY pk", pks)]
    assert after == before
    dialog.grab().save(str(ARTIFACTS / "assign-refused.png"))


def test_context_menu_of_the_bannette_and_the_detail_pane(
    qtbot, window: MainWindow
) -> None:
    window.table.selectRow(0)
    flow = window.teamwork
    menu = flow.context_menu(window.table.viewport())
    texts = [a.text() for a in menu.actions()]
    assert texts == ["Attri&buer…", "Notes &internes…", "Modi&fier la demande…"]
    base = window.detail.createStandardContextMenu(QPoint(5, 5))
    menu = flow.context_menu(window.detail.viewport(), base)
    assert "Attri&buer…" in [a.text() for a in menu.actions()]
    assert isinstance(window.findChild(QMenu, "menu-admin"), QMenu)


def test_notes_dialog_adds_and_lists(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    window.table.selectRow(0)
    pk = window.selected_pk()
    assert pk is not None
    window.teamwork.actions["notes"].trigger()
    dialog = window.teamwork.dialog
    assert "Aucune note interne" in dialog.listing.toPlainText()
    dialog.submit()  # empty: refused, said
    assert dialog.isVisible() and "vide" in dialog.error.text()
    type_text(dialog.text, "Rappeler Mme Lefèvre après la réunion de conseil")
    dialog.submit()
    assert not dialog.isVisible()
    window.teamwork.actions["notes"].trigger()
    again = window.teamwork.dialog
    listing = again.listing.toPlainText()
    assert "Sophie Martin" in listing and "Rappeler Mme Lefèvre" in listing
    assert "23/11/2026" in listing
    again.grab().save(str(ARTIFACTS / "notes.png"))
    # The history shows it as an internal note.
    assert "Note interne : Rappeler Mme Lefèvre" in window.detail.toPlainText()


def test_edit_dialog_changes_procedure_and_says_the_new_deadlines(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    conn = demo_db
    pk = conn.execute(
        "SELECT r.pk FROM request r JOIN procedure p ON p.pk = r.procedure_pk "
        "WHERE r.status = 'received' AND p.silence_rule = 'accept' AND p.period = 2 "
        "AND p.period_unit = 'months' AND r.deleted = 0 LIMIT 1").fetchone()[0]
    window.select_request(pk)
    window.teamwork.actions["edit"].trigger()
    dialog = window.teamwork.dialog
    assert dialog.windowTitle().startswith("Modifier la demande n° ")
    other = next(i for i in range(dialog.procedure.count())
                 if conn.execute("SELECT period, period_unit FROM procedure WHERE pk = ?",
                                 (dialog.procedure.itemData(i),)).fetchone()
                 not in ((2, "months"),))
    dialog.procedure.setCurrentIndex(other)
    dialog.subject.clear()
    type_text(dialog.subject, "Élagage d'un arbre — objet corrigé")
    dialog.grab().save(str(ARTIFACTS / "edit-request.png"))
    dialog.submit()
    assert not dialog.isVisible(), dialog.error.text()
    said = window.teamwork.last_message
    assert said.startswith("Les échéances ont été recalculées : ")
    assert "→" in said
    assert said in window.statusBar().currentMessage()
    row = InboxRepository(conn).rows([pk])[pk]
    assert row.subject == "Élagage d'un arbre — objet corrigé"
    assert "Modification : objet « " in window.detail.toPlainText()


def test_services_dialog_creates_renames_and_retires(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    action = window.teamwork.actions["services"]
    assert action in window.findChild(QMenu, "menu-admin").actions()
    action.trigger()
    dialog = window.teamwork.dialog
    # The demo agent is a secrétaire: she may look, not change.
    assert "administrateur" in dialog.note.text()
    assert not dialog.save_button.isEnabled() and not dialog.name.isEnabled()
    demo_db.execute("UPDATE agent SET role = 'admin' WHERE login = 'smartin'")
    action.trigger()
    dialog = window.teamwork.dialog
    assert dialog.save_button.isEnabled() and not dialog.note.isVisible()
    type_text(dialog.name, "État civil")
    dialog.member_list.item(0).setCheckState(Qt.CheckState.Checked)
    service_id = dialog.save()
    assert service_id is not None
    assert [dialog.services.item(i).text() for i in range(dialog.services.count())] == [
        "État civil"]
    dialog.name.setText("État civil et élections")
    dialog.active.setChecked(False)
    assert dialog.save() == service_id
    assert dialog.services.item(0).text() == "État civil et élections (retiré)"
    dialog.start_new()
    dialog.save()  # no name: said in French, nothing saved
    assert dialog.error.text() == "Donnez un nom au service."
    dialog.grab().save(str(ARTIFACTS / "services.png"))
    queued = demo_db.execute("SELECT COUNT(*) FROM sync_outbox WHERE name = 'service.save'"
                             ).fetchone()[0]
    assert queued == 2


def test_pulled_assignment_is_notified_once(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection, monkeypatch
) -> None:
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(window, "_notify", lambda title, text: shown.append((title, text)))
    pk = window.model.pk_at(0)
    demo_db.execute("INSERT INTO assignment_notice (event_id, request_pk, by_agent) "
                    "VALUES ('e1', ?, 'Julien Hoffmann')", (pk,))
    number = reference_of(demo_db, pk)  # the reference every screen shows
    window.model.reload(data_changed=True)
    assert shown == [(NOTICE_TITLE, f"Demande n° {number} vous a été attribuée par "
                                    "Julien Hoffmann")]
    window.model.reload(data_changed=True)
    assert len(shown) == 1


def test_model_with_the_assignee_column_passes_the_model_tester(
    qtmodeltester, demo_db: sqlite3.Connection
) -> None:
    model = InboxModel(InboxRepository(demo_db), today=lambda: TODAY)
    model.reload()
    model.sort(Column.ASSIGNEE, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(model)
    assert QApplication.instance() is not None


def test_edit_keeps_a_placeholder_procedure_unless_changed(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    """A request whose démarche is not (or no longer) offered keeps it when only the subject
    is corrected: the form shows it instead of picking the first of the list."""
    pk = window.model.pk_at(0)
    procedure_pk = demo_db.execute("SELECT procedure_pk FROM request WHERE pk = ?",
                                   (pk,)).fetchone()[0]
    demo_db.execute("UPDATE procedure SET active = 0 WHERE pk = ?", (procedure_pk,))
    window.table.selectRow(0)
    dialog = window.teamwork.edit()
    assert dialog is not None
    assert dialog.procedure.currentData() == procedure_pk
    type_text(dialog.subject, " (corrigé)")
    dialog.submit()
    assert window.teamwork.last_message == "Demande modifiée."
    assert demo_db.execute("SELECT procedure_pk FROM request WHERE pk = ?",
                           (pk,)).fetchone()[0] == procedure_pk
