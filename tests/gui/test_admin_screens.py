"""« Administration » in the window (issue 13): hidden from non-admins and refused through a
shortcut; the commune's settings and the procedures catalogue for an admin, with their bad
inputs refused in French and nothing lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from desktop.store.commune_admin import catalogue, read_settings
from desktop.store.intake import procedures_for
from desktop.store.logo import logo_bytes
from desktop.views.admin.menu import ADMIN_MENU, admin_menu
from desktop.views.admin.procedures_dialog import NEW_REQUESTS_ONLY, ProceduresDialog
from desktop.views.admin.settings_dialog import NO_LOGO, SettingsDialog
from desktop.views.main_window import MainWindow
from sync.protocol.vocabulary import Channel
from tests.gui.conftest import ARTIFACTS, type_text
from tests.logo_images import logo_image


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """QMessageBox.warning is modal: recorded instead of shown."""
    said: list[str] = []

    def warn(_parent: Any, _title: str, text: str, *args: Any, **kwargs: Any) -> int:
        said.append(text)
        return int(QMessageBox.StandardButton.Ok)

    monkeypatch.setattr(QMessageBox, "warning", warn)
    return said


def _make_admin(conn: sqlite3.Connection, window: MainWindow, only: str | None = None) -> int:
    """The demo's current agent becomes admin of one commune (the first, or ``only``)."""
    agent = window._repo.current_agent()  # noqa: SLF001
    assert agent is not None
    pk = int(conn.execute("SELECT pk FROM authority ORDER BY name LIMIT 1").fetchone()[0]
             if only is None else
             conn.execute("SELECT pk FROM authority WHERE name = ?", (only,)).fetchone()[0])
    conn.execute("INSERT OR REPLACE INTO agent_role (agent_pk, authority_pk, role) "
                 "SELECT pk, ?, 'admin' FROM agent WHERE id = ?", (pk, agent[0]))
    conn.commit()
    window.follow_current_agent()
    from desktop.views.admin.menu import refresh_admin_menu

    refresh_admin_menu(window)
    return pk


def _dialogs(window: MainWindow, kind: type) -> list[Any]:
    return [d for d in window.findChildren(kind) if d.isVisible()]


def test_non_admin_sees_no_menu_and_a_shortcut_is_refused(
    qtbot, window: MainWindow, warnings: list[str]
) -> None:
    menu = admin_menu(window)
    assert menu is not None and menu.objectName() == ADMIN_MENU
    assert not menu.menuAction().isVisible()
    for name in ("action-admin-commune", "action-admin-procedures", "action-admin-agents"):
        action = next(a for a in window.actions() if a.objectName() == name)
        action.trigger()  # what the shortcut does, whatever the menu shows
    assert len(warnings) == 3
    assert all("réservé aux administrateurs" in w for w in warnings)
    assert not _dialogs(window, SettingsDialog) and not _dialogs(window, ProceduresDialog)


def test_a_role_withdrawn_after_the_menu_was_shown_is_checked_again(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection, warnings: list[str]
) -> None:
    pk = _make_admin(demo_db, window)
    assert admin_menu(window).menuAction().isVisible()  # type: ignore[union-attr]
    demo_db.execute("UPDATE agent_role SET role = 'clerk' WHERE authority_pk = ?", (pk,))
    demo_db.commit()
    window.findChild(type(window.actions()[0]), "action-admin-commune").trigger()
    assert warnings and "réservé aux administrateurs" in warnings[0]
    assert not _dialogs(window, SettingsDialog)
    assert not admin_menu(window).menuAction().isVisible()  # type: ignore[union-attr]


def test_settings_edited_saved_and_bad_input_refused(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    pk = _make_admin(demo_db, window)
    window.findChild(type(window.actions()[0]), "action-admin-commune").trigger()
    [dialog] = _dialogs(window, SettingsDialog)
    assert dialog.connections.state.text().startswith("Hors ligne")  # no server here
    before = read_settings(demo_db, pk)
    dialog.email.setText("mairie@@exemple")
    dialog.save()
    assert dialog.isVisible() and "Adresse électronique invalide" in dialog.error.text()
    assert read_settings(demo_db, pk) == before  # nothing written
    dialog.email.setText(before.email)
    dialog.mayor_name.clear()
    type_text(dialog.mayor_name, "Mme Hélène Lefèvre")
    dialog.deputies.add()
    row = dialog.deputies.rowCount() - 1
    for column, text in enumerate(("Paul Weber", "1er adjoint", "etat-civil, urbanisme")):
        dialog.deputies.item(row, column).setText(text)
    ARTIFACTS.mkdir(exist_ok=True)
    dialog.grab().save(str(ARTIFACTS / "settings.png"))
    dialog.tabs.setCurrentIndex(1)
    dialog.grab().save(str(ARTIFACTS / "settings-maire-adjoints.png"))
    dialog.tabs.setCurrentIndex(2)
    dialog.grab().save(str(ARTIFACTS / "settings-courriers-delais.png"))
    dialog.tabs.setCurrentIndex(3)
    dialog.grab().save(str(ARTIFACTS / "settings-connexions.png"))
    dialog.save()
    assert not dialog.isVisible()
    after = read_settings(demo_db, pk)
    assert after.mayor_name == "Mme Hélène Lefèvre"
    assert after.deputies[-1].delegations == ("etat-civil", "urbanisme")


def test_the_logo_is_chosen_previewed_refused_when_disguised_and_removed(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection, tmp_path: Path
) -> None:
    pk = _make_admin(demo_db, window)
    window.findChild(type(window.actions()[0]), "action-admin-commune").trigger()
    [dialog] = _dialogs(window, SettingsDialog)
    dialog.tabs.setCurrentIndex(2)
    assert dialog.logo.message.text() == NO_LOGO and not dialog.logo.remove.isEnabled()
    # A program renamed .png, then a PNG too heavy: refused in French, nothing chosen.
    disguised = tmp_path / "logo.png"
    disguised.write_bytes(b"MZ\x90\x00" + b"\0" * 500)
    assert not dialog.logo.choose_file(disguised)
    assert "n'est pas une image PNG ou JPEG" in dialog.logo.message.text()
    heavy = tmp_path / "enorme.png"
    heavy.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * (2 * 1024 * 1024))
    assert not dialog.logo.choose_file(heavy)
    assert "taille maximale de 1 Mo" in dialog.logo.message.text()
    broken = tmp_path / "casse.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"pas une image" * 20)
    assert not dialog.logo.choose_file(broken)
    assert "illisible" in dialog.logo.message.text()
    assert dialog.logo.sha256 == ""
    # A real JPEG: previewed, saved with the settings.
    good = tmp_path / "blason.jpg"
    good.write_bytes(logo_image("jpg"))
    assert dialog.logo.choose_file(good)
    assert not dialog.logo.preview.pixmap().isNull() and dialog.logo.remove.isEnabled()
    ARTIFACTS.mkdir(exist_ok=True)
    dialog.grab().save(str(ARTIFACTS / "settings-logo.png"))
    dialog.save()
    assert not dialog.isVisible()
    assert logo_bytes(demo_db, read_settings(demo_db, pk).logo_sha256) == good.read_bytes()
    # Opened again: shown; « Retirer » then « Enregistrer »: no logo any more.
    window.findChild(type(window.actions()[0]), "action-admin-commune").trigger()
    [dialog] = _dialogs(window, SettingsDialog)
    assert not dialog.logo.preview.pixmap().isNull()
    qtbot.mouseClick(dialog.logo.remove, Qt.MouseButton.LeftButton)
    assert dialog.logo.message.text() == NO_LOGO
    dialog.save()
    assert read_settings(demo_db, pk).logo_sha256 == ""


def test_procedures_catalogue_add_edit_retire(
    qtbot, qtmodeltester, window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    pk = _make_admin(demo_db, window)
    window.findChild(type(window.actions()[0]), "action-admin-procedures").trigger()
    [dialog] = _dialogs(window, ProceduresDialog)
    qtmodeltester.check(dialog.model)
    assert dialog.model.rowCount() == len(catalogue(demo_db, pk)) > 5
    # Bad input: a code with accents and spaces, an empty title — refused, nothing added.
    dialog.start_new()
    type_text(dialog.code, "Fête locale")
    dialog.save()
    assert "intitulé est obligatoire" in dialog.error.text()
    type_text(dialog.name, "Fête de la commune")
    dialog.save()
    assert "minuscules sans accents" in dialog.error.text()
    assert dialog.model.rowCount() == len(catalogue(demo_db, pk))
    dialog.code.setText("fete-commune")
    dialog.documents.setPlainText("Programme de la fête\nAttestation d'assurance")
    dialog.save()
    new = next(e for e in catalogue(demo_db, pk) if e.code == "fete-commune")
    assert new.required_documents == ("Programme de la fête", "Attestation d'assurance")
    qtmodeltester.check(dialog.model)
    # A procedure in use: changing its period says it applies to new requests only.
    used = next(e for e in catalogue(demo_db, pk) if e.in_use)
    dialog.table.selectRow(dialog.model.row_of(used.pk))
    assert not dialog.note.isVisible()
    dialog.period.setValue(used.period + 1)
    assert dialog.note.isVisible() and dialog.note.text() == NEW_REQUESTS_ONLY
    dialog.resize(1180, 620)
    dialog.grab().save(str(ARTIFACTS / "procedures.png"))
    # Retire: gone from the intake's choices, kept on its requests, never deleted.
    dialog.period.setValue(used.period)
    dialog.retire_button.click()
    retired = next(e for e in catalogue(demo_db, pk) if e.pk == used.pk)
    assert not retired.active and retired.in_use == used.in_use
    assert used.pk not in {c.key for c in procedures_for(demo_db, pk)}
    assert dialog.retire_button.text() == "&Rétablir"
    dialog.retire_button.click()
    assert used.pk in {c.key for c in procedures_for(demo_db, pk)}


def test_a_procedures_default_service_is_chosen_and_given_to_its_new_requests(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    from datetime import datetime

    from desktop.store.intake import NewCitizen, NewRequest, register_request
    from desktop.store.teamwork import save_service

    pk = _make_admin(demo_db, window)
    urbanisme = save_service(demo_db, authority_pk=pk, name="Urbanisme", member_ids=[])
    retired = save_service(demo_db, authority_pk=pk, name="Ancien service", member_ids=[],
                           active=False)
    window.findChild(type(window.actions()[0]), "action-admin-procedures").trigger()
    [dialog] = _dialogs(window, ProceduresDialog)
    entry = next(e for e in catalogue(demo_db, pk) if e.active)
    dialog.table.selectRow(dialog.model.row_of(entry.pk))
    offered = [dialog.service.itemData(i) for i in range(dialog.service.count())]
    assert offered[0] == "" and urbanisme in offered and retired not in offered
    dialog.service.setCurrentIndex(dialog.service.findData(urbanisme))
    dialog.resize(1180, 660)
    dialog.grab().save(str(ARTIFACTS / "procedures-service-par-defaut.png"))
    dialog.save()
    assert next(e for e in catalogue(demo_db, pk)
                if e.pk == entry.pk).default_service_id == urbanisme
    agent = window._repo.current_agent()  # noqa: SLF001
    request = register_request(demo_db, NewRequest(
        authority_pk=pk, procedure_pk=int(entry.pk or 0), channel=Channel.PAPER,
        received_at=datetime(2026, 11, 30, 9, 0), subject="Demande au guichet",
        new_citizen=NewCitizen(last_name="Éloi", first_name="Zoé", city="Obernai"),
    ), agent_id=agent[0] if agent else None)
    assert demo_db.execute("SELECT assigned_service_id FROM request WHERE pk = ?",
                           (request,)).fetchone()[0] == urbanisme


def test_agents_screen_offline_says_so_in_french(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    from desktop.views.admin.agents_dialog import OFFLINE, AgentsDialog

    _make_admin(demo_db, window)
    window.findChild(type(window.actions()[0]), "action-admin-agents").trigger()
    [dialog] = _dialogs(window, AgentsDialog)
    assert dialog.message.text() == OFFLINE
    assert not dialog.invite_button.isEnabled() and dialog.model.rowCount() == 0


def test_the_delegated_adjoint_is_proposed_first_as_signatory(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    from PySide6.QtWidgets import QComboBox

    from desktop.store.commune_admin import signers

    pk = _make_admin(demo_db, window)
    demo_db.execute("INSERT OR REPLACE INTO agent_role (agent_pk, authority_pk, role) "
                    "SELECT pk, ?, 'official' FROM agent WHERE login = 'jhoffmann'", (pk,))
    demo_db.commit()
    request = int(demo_db.execute(
        "SELECT pk FROM request WHERE authority_pk = ? LIMIT 1", (pk,)).fetchone()[0])
    assert [o.name for o in signers(demo_db, pk, request)][0] == "Julien Hoffmann"
    window.findChild(type(window.actions()[0]), "action-admin-commune").trigger()
    [dialog] = _dialogs(window, SettingsDialog)
    dialog.deputies.add()
    row = dialog.deputies.rowCount() - 1
    for column, text in enumerate(("Marie-Noëlle Schmitt", "1re adjointe", "*")):
        dialog.deputies.item(row, column).setText(text)
    account = dialog.deputies.cellWidget(row, 3)
    assert isinstance(account, QComboBox)
    account.setCurrentIndex(account.findText("Marie-Noëlle Schmitt"))
    dialog.save()
    assert not dialog.isVisible()
    assert [o.name for o in signers(demo_db, pk, request)][0] == "Marie-Noëlle Schmitt"


class FakeServer:
    """The REST calls of the connections tab, answered at once (the real server's shapes)."""

    def __init__(self, answers: dict[tuple[str, str], Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, str, object]] = []

    def api(self, method: str, path: str, body: object, on_done: Any, on_failed: Any) -> int:
        self.calls.append((method, path, body))
        answer = self.answers.get((method, path.rsplit("/", 1)[-1]))
        if isinstance(answer, str):
            on_failed(answer)
        else:
            on_done(answer)
        return len(self.calls)


def test_mailbox_settings_go_to_the_server_and_the_password_never_comes_back(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    from desktop.views.admin.settings_dialog import ConnectionsTab

    mailbox = {"host": "imap.mairie.fr", "port": 993, "security": "tls",
               "username": "accueil", "has_password": True, "folder": "INBOX",
               "move_to": "Bannette", "enabled": True, "last_error": None}
    server = FakeServer({
        ("GET", "parapheur-settings"): {"connector": "builtin", "config": {},
                                        "password_set": False},
        ("GET", "mailbox"): mailbox, ("PUT", "mailbox"): mailbox,
    })
    tab = ConnectionsTab(server, "a1", None)
    qtbot.addWidget(tab)
    assert tab.mail_fields["host"].text() == "imap.mairie.fr"
    assert tab.mail_password.text() == "" and tab.mail_password.placeholderText() == "(inchangé)"
    tab.mail_fields["username"].setText("secretariat")
    tab.save_mailbox()
    method, path, body = server.calls[-1]
    assert (method, path) == ("PUT", "/authorities/a1/mailbox")
    assert isinstance(body, dict) and body["username"] == "secretariat" and body["port"] == 993
    assert "password" not in body  # left empty: the server keeps the one it has
    missing = FakeServer({("GET", "parapheur-settings"): {"connector": "builtin"},
                          ("GET", "mailbox"): "Aucune boîte aux lettres réglée."})
    offline_tab = ConnectionsTab(missing, "a1", None)
    qtbot.addWidget(offline_tab)
    assert "pas encore réglée" in offline_tab.mailbox.text()
