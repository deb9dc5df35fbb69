"""The online-only admin screens against the real server on loopback, through the sync
worker's session (issue 13), and the password change the server enforces (issue 11)."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

import httpx
import pytest
from PySide6.QtWidgets import QInputDialog, QMessageBox

from desktop.views.admin.agents_dialog import AgentsDialog
from desktop.views.admin.menu import admin_menu, connect_admin_server
from desktop.views.admin.password_dialog import FORCED, MISMATCH, PasswordDialog
from desktop.views.admin.settings_dialog import SettingsDialog
from tests.gui.conftest import ARTIFACTS
from tests.sync.conftest import ServerProcess, settle
from tests.sync.test_sync_ui import synced_window  # noqa: F401 - the fixture

pytestmark = pytest.mark.gui
ADMIN = ("admin", "Admin-Bannette-2026!")


@pytest.fixture(autouse=True)
def first_commune(monkeypatch: pytest.MonkeyPatch) -> None:
    """The admin administers two communes: the screens ask which; the first is chosen."""
    monkeypatch.setattr(QInputDialog, "getItem",
                        lambda _p, _t, _l, items, *a, **k: (items[0], True))


@pytest.fixture(autouse=True)
def quiet_boxes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The temporary password box is opened (not exec'd): recorded, then left."""
    shown: list[str] = []
    original = QMessageBox.open

    def record(box: QMessageBox) -> None:
        shown.append(box.text())
        original(box)

    monkeypatch.setattr(QMessageBox, "open", record)
    return shown


def _login(qtbot: Any, controller: Any, server: ServerProcess, who: tuple[str, str]) -> None:
    with qtbot.waitSignal(controller.synced, timeout=60_000):
        controller.login(server.url, *who)
    settle(qtbot, controller)


def _set_must_change(server: ServerProcess, login: str) -> None:
    conn = sqlite3.connect(server.database)
    try:
        conn.execute("UPDATE agents SET must_change_password = 1 WHERE login = ?", (login,))
        conn.commit()
    finally:
        conn.close()


def test_agents_screen_against_the_real_server(  # type: ignore[no-untyped-def]
    qtbot, synced_window, server: ServerProcess, quiet_boxes: list[str]  # noqa: F811
) -> None:
    window, controller, _ui = synced_window
    connect_admin_server(window, controller)
    assert not admin_menu(window).menuAction().isVisible()  # the demo's clerk
    _login(qtbot, controller, server, ADMIN)
    window.follow_current_agent()
    assert admin_menu(window).menuAction().isVisible()
    window.findChild(type(window.actions()[0]), "action-admin-agents").trigger()
    [dialog] = [d for d in window.findChildren(AgentsDialog) if d.isVisible()]
    qtbot.waitUntil(lambda: dialog.model.rowCount() >= 2, timeout=15_000)
    logins = {dialog.model.line(r).login for r in range(dialog.model.rowCount())}
    assert {"secretaire", "admin"} <= logins
    admin_row = dialog.model.row_of(next(
        dialog.model.line(r).id for r in range(dialog.model.rowCount())
        if dialog.model.line(r).login == "admin"))
    assert dialog.model.line(admin_row).last_login is not None  # just logged in

    # Invite: a temporary password, shown once, to change at the first login.
    login = f"agent-{uuid.uuid4().hex[:6]}"
    dialog.invite_with("Léa Roux", login, "lea.roux@example.fr", "clerk")
    qtbot.waitUntil(lambda: dialog.last_password is not None, timeout=15_000)
    temporary = dialog.last_password
    assert temporary and temporary in quiet_boxes[-1]
    answer = httpx.post(f"{server.url}/api/v1/auth/login",
                        json={"login": login, "password": temporary}, timeout=10).json()
    assert answer["must_change_password"] is True
    qtbot.waitUntil(lambda: dialog.model.row_of(answer["agent"]["id"]) >= 0, timeout=15_000)

    # The same login again: the server's French refusal, shown as is.
    dialog.invite_with("Léa Roux", login, "", "clerk")
    qtbot.waitUntil(lambda: "déjà pris" in dialog.message.text(), timeout=15_000)

    # Role, reset, disable: on the invited agent.
    dialog.table.selectRow(dialog.model.row_of(answer["agent"]["id"]))
    dialog.role.setCurrentIndex(dialog.role.findData("official"))
    dialog.apply_role()
    qtbot.waitUntil(lambda: "élu dans la commune" in dialog.message.text(), timeout=15_000)
    assert dialog.selected().role == "official"
    dialog.last_password = None
    dialog.reset_password()
    qtbot.waitUntil(lambda: dialog.last_password is not None, timeout=15_000)
    assert dialog.last_password != temporary
    dialog.toggle_active()
    qtbot.waitUntil(lambda: "désactivé" in dialog.message.text(), timeout=15_000)
    assert dialog.selected().active is False
    ARTIFACTS.mkdir(exist_ok=True)
    dialog.grab().save(str(ARTIFACTS / "agents.png"))
    refused = httpx.post(f"{server.url}/api/v1/auth/login",
                         json={"login": login, "password": dialog.last_password}, timeout=10)
    assert refused.status_code == 401

    # The server's connections, from the settings screen, online.
    window.findChild(type(window.actions()[0]), "action-admin-commune").trigger()
    [settings] = [d for d in window.findChildren(SettingsDialog) if d.isVisible()]
    tab = settings.connections
    qtbot.waitUntil(lambda: tab.state.text() == "Réglages lus sur le serveur.", timeout=15_000)
    qtbot.waitUntil(lambda: "pas encore réglée" in tab.mailbox.text(), timeout=15_000)
    tab.connector.setCurrentIndex(tab.connector.findData("iparapheur"))
    tab.fields["url"].setText("https://parapheur.example.fr")
    tab.password.setText("Secret-parapheur-1")
    tab.save()
    qtbot.waitUntil(lambda: "enregistré sur le serveur" in tab.state.text(), timeout=15_000)
    assert tab.password.placeholderText() == "(inchangé)"
    settings.tabs.setCurrentIndex(3)
    settings.grab().save(str(ARTIFACTS / "settings-connexions-en-ligne.png"))
    settings.reject()


def test_password_must_be_changed_before_anything_syncs(  # type: ignore[no-untyped-def]
    qtbot, synced_window, server: ServerProcess  # noqa: F811
) -> None:
    window, controller, _ui = synced_window
    connect_admin_server(window, controller)
    _set_must_change(server, "admin")
    with qtbot.waitSignal(controller.passwordChangeNeeded, timeout=60_000):
        controller.login(server.url, *ADMIN)
    flow = window.password_flow
    dialog = flow.dialog
    assert isinstance(dialog, PasswordDialog) and dialog.isVisible()
    assert dialog.findChild(type(dialog.error), "password-reason").text() == FORCED
    assert controller.status.pending == 0

    dialog.current.setText(ADMIN[1])
    dialog.new.setText("Tilleul-Ecluse-77?")
    dialog.again.setText("Tilleul-Ecluse-78?")
    dialog.submit()
    assert dialog.error.text() == MISMATCH
    dialog.current.setText("Pas-le-bon-1!")
    dialog.again.setText("Tilleul-Ecluse-77?")
    with qtbot.waitSignal(controller.passwordChangeFailed, timeout=30_000):
        dialog.submit()
    assert dialog.error.text() == "Mot de passe actuel incorrect."  # the session goes on
    dialog.current.setText(ADMIN[1])
    dialog.new.setText("Azerty123!")
    dialog.again.setText("Azerty123!")
    with qtbot.waitSignal(controller.passwordChangeFailed, timeout=30_000):
        dialog.submit()
    assert "plus utilisés" in dialog.error.text() and dialog.isVisible()
    dialog.new.setText("Tilleul-Ecluse-77?")
    dialog.again.setText("Tilleul-Ecluse-77?")
    before = window.model.total
    with qtbot.waitSignal(controller.synced, timeout=60_000):
        dialog.submit()
    assert flow.dialog is None  # accepted and gone
    assert window.model.total > before  # the pull could run at last
    assert server.query("SELECT must_change_password FROM agents WHERE login = 'admin'") == [(0,)]
