"""« Administration › Agents »: an online-only screen over the server's agents endpoints.

The list of the commune's agents with their role here and their last login; invite (a
temporary password, shown once, to change at the first login), disable or enable, reset a
password (the server makes the temporary one), set the role in this commune. Every refusal is
the server's French problem+json ``detail``, shown as is. Nothing of it is kept on the PC.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.models.agents_model import ROLE_LABELS, AgentLine, AgentsModel
from desktop.views.admin.menu import AdminServer, admin_server
from desktop.views.admin.parts import line_edit, list_table, open_checked
from desktop.views.dialog_parts import ERROR_STYLE
from sync.protocol.passwords import temporary_password

OFFLINE = (
    "Hors ligne : la liste des agents se lit sur le serveur. Connectez-vous (« Synchronisation "
    "› Se connecter au serveur ») puis rouvrez cet écran."
)


def show_once(parent: QWidget, who: str, password: str) -> QMessageBox:
    """The temporary password, shown once (selectable, to copy or read out)."""
    box = QMessageBox(QMessageBox.Icon.Information, "Mot de passe provisoire",
                      f"Mot de passe provisoire de {who} :<br><br><b><tt>{password}</tt></b>"
                      "<br><br>Notez-le et transmettez-le à l'agent : il ne sera plus affiché. "
                      "L'agent devra le changer à sa première connexion.", parent=parent)
    box.setObjectName("temporary-password")
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.open()
    return box


class InviteDialog(QDialog):
    """Who to invite: login, name, e-mail, role in this commune."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("invite-dialog")
        self.setWindowTitle("Inviter un agent")
        form = QFormLayout(self)
        self.display_name = line_edit(self, "invite-name")
        self.login = line_edit(self, "invite-login",
                               placeholder="ex. cmartin (minuscules, chiffres, . _ -)")
        self.email = line_edit(self, "invite-email")
        self.role = role_combo(self)
        form.addRow("&Nom et prénom :", self.display_name)
        form.addRow("&Identifiant :", self.login)
        form.addRow("&Courriel :", self.email)
        form.addRow("&Rôle dans la commune :", self.role)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Inviter")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Annuler")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


def role_combo(parent: QWidget) -> QComboBox:
    combo = QComboBox(parent)
    combo.setObjectName("role")
    for key in ("clerk", "official", "admin"):
        combo.addItem(ROLE_LABELS[key], key)
    return combo


class AgentsDialog(QDialog):
    def __init__(
        self, server: AdminServer | None, authority_id: str, department: str, commune: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._server = server
        self._authority_id = authority_id
        self._department = department
        self.setObjectName("agents-dialog")
        self.setWindowTitle(f"Agents — {commune}")
        self.resize(940, 480)
        self.model = AgentsModel(self)
        self.table = list_table(self, self.model, "agents-table",
                                {1: 140, 2: 130, 3: 90, 4: 160, 5: 100})
        self.message = QLabel(self)
        self.message.setObjectName("agents-message")
        self.message.setWordWrap(True)
        self.invite_button = QPushButton("&Inviter…", self)
        self.invite_button.setObjectName("invite")
        self.active_button = QPushButton("&Désactiver", self)
        self.active_button.setObjectName("toggle-active")
        self.reset_button = QPushButton("&Réinitialiser le mot de passe", self)
        self.reset_button.setObjectName("reset-password")
        self.role = role_combo(self)
        self.role_button = QPushButton("Appliquer le &rôle", self)
        self.role_button.setObjectName("apply-role")
        close = QPushButton("&Fermer", self)
        close.clicked.connect(self.accept)
        actions = QHBoxLayout()
        for widget in (self.invite_button, self.active_button, self.reset_button, self.role,
                       self.role_button):
            actions.addWidget(widget)
        actions.addStretch(1)
        actions.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(actions)
        self.invite_button.clicked.connect(self.invite)
        self.active_button.clicked.connect(self.toggle_active)
        self.reset_button.clicked.connect(self.reset_password)
        self.role_button.clicked.connect(self.apply_role)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection())
        self.last_password: str | None = None  # what was shown once (tests read it)
        self._selected_id: str | None = None
        self._selection()
        self.reload()

    # --- server -------------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: object,
              done: Callable[[object], None]) -> None:
        if self._server is None:
            self._fail(OFFLINE)
            return
        self._busy(True)

        def answered(answer: object) -> None:
            self._busy(False)
            done(answer)

        def failed(message: str) -> None:
            self._busy(False)
            self._fail(message)

        self._server.api(method, path, body, answered, failed)

    def _busy(self, busy: bool) -> None:
        for button in (self.invite_button, self.active_button, self.reset_button,
                       self.role_button):
            button.setEnabled(not busy and self._server is not None)
        if not busy:
            self._selection()

    def _fail(self, message: str) -> None:
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setText(message)

    def _tell(self, message: str) -> None:
        self.message.setStyleSheet("")
        self.message.setText(message)

    def reload(self, then: str = "") -> None:
        def shown(answer: object) -> None:
            rows = answer if isinstance(answer, list) else []
            self.model.set_lines([AgentLine.from_wire(r, self._authority_id, self._department)
                                  for r in rows])
            row = self.model.row_of(self._selected_id)
            if row >= 0:
                self.table.selectRow(row)
            self._tell(then or f"{len(rows)} agent{'s' if len(rows) > 1 else ''}.")

        if self._server is None:
            self._fail(OFFLINE)
            self._busy(False)
            return
        self._call("GET", f"/authorities/{self._authority_id}/agents", None, shown)

    def selected(self) -> AgentLine | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.line(rows[0].row()) if rows else None

    def _selection(self) -> None:
        line = self.selected()
        if line is not None:
            self._selected_id = line.id
            self.role.setCurrentIndex(self.role.findData(line.role))
        online = self._server is not None
        for button in (self.active_button, self.reset_button, self.role_button):
            button.setEnabled(online and line is not None)
        self.invite_button.setEnabled(online)
        self.active_button.setText("&Réactiver" if line is not None and not line.active
                                   else "&Désactiver")

    # --- actions ------------------------------------------------------------------------------
    def invite(self) -> None:
        dialog = InviteDialog(self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.invite_with(dialog.display_name.text().strip(), dialog.login.text().strip(),
                         dialog.email.text().strip(), str(dialog.role.currentData()))

    def invite_with(self, display_name: str, login: str, email: str, role: str) -> None:
        password = temporary_password()
        body = {"login": login, "display_name": display_name, "email": email or None,
                "role": role, "password": password, "authority_ids": [self._authority_id]}

        def created(_answer: object) -> None:
            self.last_password = password
            show_once(self, display_name, password)
            self.reload(f"Invitation de {display_name} enregistrée "
                        f"({ROLE_LABELS[role].lower()}).")

        self._call("POST", "/agents", body, created)

    def toggle_active(self) -> None:
        line = self.selected()
        if line is None:
            return
        self._call("PATCH", f"/agents/{line.id}", {"active": not line.active},
                   lambda _a: self.reload(
                       f"Compte de {line.display_name} "
                       + ("réactivé." if not line.active else
                          "désactivé : ses sessions sont fermées.")))

    def reset_password(self) -> None:
        line = self.selected()
        if line is None:
            return

        def reset(answer: object) -> None:
            password = str(answer.get("temporary_password", "")) if isinstance(answer, dict) \
                else ""
            self.last_password = password
            show_once(self, line.display_name, password)
            self.reload(f"Mot de passe de {line.display_name} réinitialisé.")

        self._call("POST", f"/agents/{line.id}/password-reset", None, reset)

    def apply_role(self) -> None:
        line = self.selected()
        if line is None:
            return
        role = str(self.role.currentData())
        self._call("PATCH", f"/agents/{line.id}", {"roles": {self._authority_id: role}},
                   lambda _a: self.reload(
                       f"{line.display_name} : {ROLE_LABELS[role].lower()} dans la commune."))


def open_agents(window: QMainWindow, authority_pk: int) -> AgentsDialog | None:
    def make(conn: sqlite3.Connection, _agent_id: str | None) -> AgentsDialog:
        authority_id, department, name = conn.execute(
            "SELECT id, department, name FROM authority WHERE pk = ?", (authority_pk,)
        ).fetchone()
        return AgentsDialog(admin_server(window), str(authority_id), str(department), str(name),
                            parent=window)

    return open_checked(window, authority_pk, make)
