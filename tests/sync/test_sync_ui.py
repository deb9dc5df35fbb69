"""The sync in the main window (pytest-qt, offscreen, real server): login dialog, status line,
F5, notification of new requests, conflicts resolved from the list."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer

from desktop.services.letters import DOCUMENTS_ENV
from desktop.store.database import connect
from desktop.store.inbox import InboxRepository
from desktop.store.requests import update_fields
from desktop.syncing.worker import SyncController
from desktop.views.main_window import MainWindow
from desktop.views.phone_call_dialog import phone_calls_of
from desktop.views.sync_ui import ConflictsDialog, LoginDialog, install_sync
from tests.conftest import TODAY
from tests.gui.conftest import type_text
from tests.sync.conftest import CLERK, ServerProcess, local_db, settle, sync_in_process
from tests.sync.test_worker_gui import MemoryVault

pytestmark = pytest.mark.gui


@pytest.fixture
def synced_window(qtbot, tmp_path: Path, demo_db_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The real main window over the offline demo bannette, plus the sync."""
    monkeypatch.setenv(DOCUMENTS_ENV, str(tmp_path / "documents"))
    conn = connect(demo_db_path)
    settings = QSettings(str(tmp_path / "bannette.ini"), QSettings.Format.IniFormat)
    window = MainWindow(InboxRepository(conn), settings, today=lambda: TODAY)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    controller = SyncController(demo_db_path, conn, vault=MemoryVault())
    ui = install_sync(window, controller)
    yield window, controller, ui
    controller.stop()
    conn.close()


def test_login_dialog_status_line_and_f5(qtbot, synced_window, server: ServerProcess) -> None:  # type: ignore[no-untyped-def]
    window, controller, ui = synced_window
    assert ui.status_label.text() == "Synchronisation non lancée"
    qtbot.keyClick(window, Qt.Key.Key_F5)  # never logged in: the dialog opens
    dialog = ui.login_dialog
    assert isinstance(dialog, LoginDialog) and dialog.isVisible()
    dialog.server.setText(server.url)
    dialog.login.setText(CLERK[0])
    dialog.password.setText("mauvais")
    with qtbot.waitSignal(controller.loginNeeded, timeout=30_000):
        dialog.accept()
    dialog = ui.login_dialog  # opened again, saying why
    assert dialog is not None and dialog.isVisible()
    assert "Identifiant ou mot de passe incorrect" in dialog.message.text()
    assert dialog.server.text() == server.url
    dialog.password.setText(CLERK[1])
    before = window.model.total
    with qtbot.waitSignal(controller.synced, timeout=30_000):
        dialog.accept()
    assert window.model.total == before + 80
    settle(qtbot, controller)
    assert ui.status_label.text().startswith("En ligne · dernière synchronisation à")

    server.submit(server.authority_ids()[0], "Demande d'acte de décès")
    assert ui.sync_action.shortcut().toString() == "F5"
    with qtbot.waitSignal(controller.synced, timeout=30_000):
        ui.sync_action.trigger()
    assert window.model.total == before + 81
    assert "1 nouvelle demande reçue" in window.statusBar().currentMessage()


def test_conflicts_list_resolves_both_ways(
    qtbot, synced_window, server: ServerProcess, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    window, controller, ui = synced_window
    with qtbot.waitSignal(controller.synced, timeout=30_000):
        controller.login(server.url, *CLERK)
    settle(qtbot, controller)
    conn: sqlite3.Connection = window._repo.connection
    other = local_db(tmp_path / "autre-poste.sqlite3")
    sync_in_process(server.url, other)
    request_id = conn.execute(
        "SELECT id FROM request WHERE version > 0 AND status = 'received' LIMIT 1").fetchone()[0]
    other_conn = sqlite3.connect(other)
    other_pk = other_conn.execute(
        "SELECT pk FROM request WHERE id = ?", (request_id,)).fetchone()[0]
    other_conn.close()
    oc = connect(other)
    update_fields(oc, other_pk, {"subject": "Objet de l'autre poste"})
    oc.close()
    sync_in_process(server.url, other)
    pk = conn.execute("SELECT pk FROM request WHERE id = ?", (request_id,)).fetchone()[0]
    update_fields(conn, pk, {"subject": "Mon objet"})
    controller.local_changed()
    assert "1 modification en attente" in ui.status_label.text()
    with qtbot.waitSignal(controller.synced, timeout=30_000):
        ui.sync_action.trigger()
    assert "(1 conflit)" in ui.status_label.text()
    dialog = ConflictsDialog(conn, window)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 1
    assert dialog.table.item(0, 2).text() == "Objet de l'autre poste"
    assert dialog.table.item(0, 3).text() == "Mon objet"
    dialog.keep_local.click()
    assert dialog.table.rowCount() == 0
    ui.sync_action.trigger()

    def server_subject() -> str:
        return str(server.query(
            "SELECT subject FROM requests WHERE id = ?", request_id.replace("-", ""))[0][0])

    qtbot.waitUntil(lambda: server_subject() == "Mon objet", timeout=30_000)
    qtbot.waitUntil(lambda: not controller.running, timeout=30_000)


def test_a_sync_refreshes_the_filter_lists_and_tells_the_server_of_implicit_decisions(
    qtbot, synced_window, server: ServerProcess  # type: ignore[no-untyped-def]
) -> None:
    """Communes and démarches that arrive with a sync appear in the filters (what was ticked
    stays ticked); silence that became a decision on the server's requests is recorded here
    and sent back without the secrétaire doing anything."""
    window, controller, _ui = synced_window
    communes = window.filters.authorities
    ticked = communes.actions_list()[0].data()
    communes.set_selected([ticked])
    with qtbot.waitSignal(controller.synced, timeout=30_000):
        controller.login(server.url, *CLERK)
    names = {a.text() for a in communes.actions_list()}
    assert {r[0] for r in server.query("SELECT name FROM authorities")} <= names
    assert communes.selected() == [ticked]
    assert window.filters.current().authority_pks == frozenset({ticked})
    procedures = {a.text() for a in window.filters.procedures.actions_list()}
    assert {r[0] for r in server.query("SELECT title FROM procedures")} <= procedures

    def decided_on_server() -> int:
        return int(server.query(
            "SELECT COUNT(*) FROM requests WHERE outcome LIKE 'implicit%'")[0][0])

    qtbot.waitUntil(lambda: decided_on_server() > 0, timeout=30_000)
    conn = window._repo.connection
    local = conn.execute(
        "SELECT COUNT(*) FROM request WHERE version > 0 AND outcome LIKE 'implicit%'"
    ).fetchone()[0]
    qtbot.waitUntil(lambda: controller.status.pending == 0, timeout=30_000)
    assert decided_on_server() == local


def test_the_window_works_as_the_session_agent_from_the_login_on(
    qtbot, synced_window, server: ServerProcess  # type: ignore[no-untyped-def]
) -> None:
    """Issue 9 item 7: the demo bannette's local agent (Sophie Martin) must give way to the
    agent who logged in (Claire Martin) at once, not after a restart."""
    window, controller, _ui = synced_window
    conn: sqlite3.Connection = window._repo.connection
    demo_agent = window._agent_id
    [(clerk_id, clerk_name)] = server.query(
        "SELECT id, display_name FROM agents WHERE login = ?", CLERK[0])
    clerk_id = str(uuid.UUID(str(clerk_id)))
    assert demo_agent is not None and demo_agent != clerk_id
    with qtbot.waitSignal(controller.loggedIn, timeout=30_000):
        controller.login(server.url, *CLERK)
    # From the login on, before the first pull is over.
    assert window._agent_id == clerk_id
    assert window.request_actions._agent_id == clerk_id
    assert window.statusBar().currentMessage() == f"Connectée : {clerk_name}"
    settle(qtbot, controller)
    assert window._agent_id == clerk_id

    calls = phone_calls_of(window)
    assert calls is not None
    window.table.clearSelection()
    calls.open()
    dialog = calls.dialog
    assert dialog is not None
    type_text(dialog.caller, "Lea Roux")
    type_text(dialog.motive, "Horaires de la mairie")
    dialog.save_button.click()
    agent = conn.execute(
        "SELECT a.id, a.display_name FROM phone_call c JOIN agent a ON a.pk = c.agent_pk "
        "ORDER BY c.pk DESC LIMIT 1").fetchone()
    assert tuple(agent) == (clerk_id, clerk_name)
    settle(qtbot, controller)


def test_a_wrong_password_leaves_the_working_session_alone(
    qtbot, synced_window, server: ServerProcess  # type: ignore[no-untyped-def]
) -> None:
    """Issue 9 item 8: « Se connecter… » with a wrong password says so in the dialog and
    changes nothing else: still « En ligne », and the next sync runs on the same session."""
    window, controller, ui = synced_window
    with qtbot.waitSignal(controller.synced, timeout=30_000):
        controller.login(server.url, *CLERK)
    settle(qtbot, controller)
    online = ui.status_label.text()
    assert online.startswith("En ligne")
    ui.login_action.trigger()
    dialog = ui.login_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.password.setText("mauvais")
    with qtbot.waitSignal(controller.loginNeeded, timeout=30_000):
        dialog.accept()
    qtbot.waitUntil(lambda: not controller.running, timeout=30_000)
    again = ui.login_dialog
    assert again is not None and "Identifiant ou mot de passe incorrect" in again.message.text()
    assert ui.status_label.text() == online
    again.reject()
    server.submit(server.authority_ids()[0], "Demande d'acte de décès")
    with qtbot.waitSignal(controller.synced, timeout=30_000):
        ui.sync_action.trigger()
    assert ui.login_dialog is None
    assert ui.status_label.text().startswith("En ligne")


def test_the_conflicts_list_says_when_there_is_none(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Issue 9 item 17: « Conflits… » with nothing to resolve says so, not an empty table."""
    conn = connect(tmp_path / "poste.sqlite3")
    dialog = ConflictsDialog(conn)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.empty.isVisible() and dialog.empty.text().startswith("Aucun conflit.")
    assert not dialog.table.isVisible()
    assert not dialog.keep_server.isEnabled() and not dialog.keep_local.isEnabled()
    (Path(__file__).parents[2] / "test-artifacts").mkdir(exist_ok=True)
    assert dialog.grab().save(str(Path(__file__).parents[2] / "test-artifacts" / "no_conflict.png"))
    conn.close()


def test_a_keyring_that_refuses_the_session_is_told_and_the_work_goes_on(
    qtbot, tmp_path: Path, demo_db_path: Path, server: ServerProcess  # type: ignore[no-untyped-def]
) -> None:
    """Issue 9 item 11: with no usable keyring (keyring's own « fail » backend, what it picks
    when there is none) the login works, the sync runs, and the status bar says the password
    will be asked again."""
    import keyring
    from keyring.backends import fail

    from desktop.syncing.session import KEYRING_UNAVAILABLE, TokenVault

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    conn = connect(demo_db_path)
    settings = QSettings(str(tmp_path / "bannette.ini"), QSettings.Format.IniFormat)
    window = MainWindow(InboxRepository(conn), settings, today=lambda: TODAY)
    qtbot.addWidget(window)
    controller = SyncController(demo_db_path, conn, vault=TokenVault())
    try:
        install_sync(window, controller)
        with qtbot.waitSignal(controller.sessionNotKept, timeout=30_000):
            controller.login(server.url, *CLERK)
        assert window.statusBar().currentMessage() == KEYRING_UNAVAILABLE
        settle(qtbot, controller)
        assert controller.status.connectivity.value == "online"
    finally:
        controller.stop()
        window.close()
        conn.close()
        keyring.set_keyring(previous)


def test_keeping_my_value_in_a_conflict_is_recorded_under_my_name(
    qtbot, synced_window  # type: ignore[no-untyped-def]
) -> None:
    """Issue 9 item 7: « Garder ma valeur » changes the request again; the history says who."""
    window, _controller, ui = synced_window
    conn: sqlite3.Connection = window._repo.connection
    request_id, pk = conn.execute(
        "SELECT id, pk FROM request WHERE status = 'received' ORDER BY pk LIMIT 1").fetchone()
    conn.execute(
        "INSERT INTO sync_conflict (entity, row_id, field, local_value, server_value, "
        "detected_at) VALUES ('requests', ?, 'status', '\"closed\"', '\"received\"', "
        "'2026-11-23T10:00:00')", (request_id,))
    conn.commit()
    seen: list[int] = []

    def keep_mine() -> None:
        dialog = window.findChild(ConflictsDialog, "conflicts-dialog")
        if dialog is None or not dialog.isVisible():
            QTimer.singleShot(10, keep_mine)
            return
        seen.append(dialog.table.rowCount())
        dialog.keep_local.click()
        dialog.accept()

    QTimer.singleShot(0, keep_mine)
    ui.conflicts_action.trigger()
    assert seen == [1]
    agent = conn.execute(
        "SELECT a.id FROM event e JOIN agent a ON a.pk = e.agent_pk WHERE e.request_pk = ? "
        "AND e.kind = 'status_changed' ORDER BY e.pk DESC LIMIT 1", (pk,)).fetchone()
    assert agent is not None and agent[0] == window._agent_id
