"""The sync in the window: login dialog, status line, « Synchroniser » (F5), conflicts list.

Everything slow happens in ``desktop.syncing.worker`` on its own thread; these widgets only
show what the controller says and forward the user's choices.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.store.commune_admin import SETTING_LABELS, conflict_subject
from desktop.store.sync_store import conflicts, resolve_conflict
from desktop.syncing.status import SyncStatus, status_text
from desktop.syncing.worker import LOGIN_KEY, SyncController
from desktop.views.phone_call_dialog import phone_calls_of
from sync.engine import SyncReport
from sync.store import SERVER_URL

DEFAULT_SERVER = "http://127.0.0.1:8765"
NO_CONFLICT = (
    "Aucun conflit.\n\nUn conflit apparaît ici quand une même information d'une demande a été "
    "modifiée à la fois sur ce poste et sur le serveur."
)
FIELD_LABELS = {
    "status": "Statut",
    "subject": "Objet",
    "description": "Description",
    "form_fields": "Champs du formulaire",
    "outcome": "Décision",
    "assignee_id": "Agent chargé",
    "assignee_service_id": "Service chargé",
    "acknowledged_at": "Accusé de réception",
    "*": "Modification",
}


class LoginDialog(QDialog):
    """Server address, login, password. The password is sent once and never stored; the
    session lives in the OS keyring (see ``desktop.syncing.session``)."""

    #: The longest address the dialog shows whole without being widened.
    ROOMY = "https://bannette.cc-des-hautes-vosges.fr:8443"

    def __init__(
        self, server: str, login: str, message: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("login-dialog")
        self.setWindowTitle("Connexion au serveur")
        self.message = QLabel(message, self)
        self.message.setObjectName("login-message")
        self.message.setWordWrap(True)
        self.message.setVisible(bool(message))
        self.server = QLineEdit(server or DEFAULT_SERVER, self)
        self.server.setObjectName("login-server")
        # Room for a whole address (Qt's default field cut « http://127.0.0.1:8765 » short).
        self.server.setMinimumWidth(self.server.fontMetrics().horizontalAdvance(self.ROOMY))
        self.login = QLineEdit(login, self)
        self.login.setObjectName("login-login")
        self.password = QLineEdit(self)
        self.password.setObjectName("login-password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow("&Adresse du serveur :", self.server)
        form.addRow("&Identifiant :", self.login)
        form.addRow("&Mot de passe :", self.password)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Se &connecter")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addLayout(form)
        layout.addWidget(buttons)
        (self.password if login else self.login).setFocus()

    def _accept(self) -> None:
        if not self.server.text().strip() or not self.login.text().strip():
            self.show_message("Indiquez l'adresse du serveur et l'identifiant.")
            return
        if not self.password.text():
            self.show_message("Indiquez le mot de passe.")
            return
        self.accept()

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(True)


class ConflictsDialog(QDialog):
    """Both values side by side; « Garder la mienne » queues the local value again."""

    def __init__(
        self, conn: object, parent: QWidget | None = None, *, agent_id: str | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("conflicts-dialog")
        #: Who chooses: « Garder ma valeur » is a change of theirs, in the history.
        self._agent_id = agent_id
        self.setWindowTitle("Conflits de synchronisation")
        self._conn = conn
        self.table = QTableWidget(0, 4, self)
        self.table.setObjectName("conflicts")
        self.table.setHorizontalHeaderLabels(
            ["Demande", "Champ", "Valeur du serveur (retenue)", "Votre valeur"]
        )
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        #: Shown in place of an empty table (none yet, or the last one resolved).
        self.empty = QLabel(NO_CONFLICT, self)
        self.empty.setObjectName("conflicts-empty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.keep_server = QPushButton("Garder la valeur du &serveur", self)
        self.keep_local = QPushButton("Garder &ma valeur", self)
        self.keep_server.clicked.connect(lambda: self._resolve("server"))
        self.keep_local.clicked.connect(lambda: self._resolve("local"))
        close = QPushButton("&Fermer", self)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.keep_server)
        buttons.addWidget(self.keep_local)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.empty, 1)
        layout.addLayout(buttons)
        self.resize(820, 360)
        self.changed = False
        self.reload()

    def reload(self) -> None:
        rows = conflicts(self._conn)  # type: ignore[arg-type]
        self.table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            number = self._conn.execute(  # type: ignore[attr-defined]
                "SELECT number FROM request WHERE id = ?", (row["row_id"],)
            ).fetchone()
            setting = conflict_subject(self._conn, row["entity"], row["row_id"])  # type: ignore[arg-type]
            cells = [
                number[0] if number else setting or row["row_id"],
                FIELD_LABELS.get(row["field"]) or SETTING_LABELS.get(row["field"], row["field"]),
                _shown(row["server_value"]),
                _shown(row["local_value"]),
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(str(text))
                item.setData(Qt.ItemDataRole.UserRole, int(row["pk"]))
                self.table.setItem(index, column, item)
        if rows:
            self.table.selectRow(0)
        self.table.resizeColumnsToContents()
        for button in (self.keep_server, self.keep_local):
            button.setEnabled(bool(rows))
        self.table.setVisible(bool(rows))
        self.empty.setVisible(not rows)

    def _resolve(self, keep: str) -> None:
        item = self.table.item(self.table.currentRow(), 0)
        if item is None:
            return
        try:
            resolve_conflict(self._conn, int(item.data(Qt.ItemDataRole.UserRole)), keep,  # type: ignore[arg-type]
                             agent_id=self._agent_id)
        except Exception as exc:  # noqa: BLE001 - the rules' message is for the secrétaire
            QMessageBox.warning(self, "Conflit", str(exc))
            return
        self.changed = True
        self.reload()


def _shown(value: str | None) -> str:
    if value is None:
        return ""
    decoded = json.loads(value)
    if decoded is None:
        return "(vide)"
    if isinstance(decoded, dict):
        return ", ".join(f"{k} : {v}" for k, v in decoded.items())
    return str(decoded)


@dataclass
class SyncUi:
    """What ``install_sync`` added to the window (tests and app.py reach it here)."""

    controller: SyncController
    status_label: QLabel
    sync_action: QAction
    login_action: QAction
    conflicts_action: QAction
    glue: _Glue | None = None

    @property
    def login_dialog(self) -> LoginDialog | None:
        """The login dialog on screen, if any."""
        return self.glue.dialog if self.glue is not None else None


class _Glue(QObject):
    def __init__(self, window: QMainWindow, controller: SyncController, ui: SyncUi) -> None:
        super().__init__(window)
        self.window = window
        self.controller = controller
        self.ui = ui
        self.dialog: LoginDialog | None = None
        self._user_asked = False
        #: What was typed last (a wrong password brings the dialog back filled in).
        self._typed: tuple[str, str] | None = None

    def show_status(self, status: SyncStatus) -> None:
        self.ui.status_label.setText(status_text(status))
        self.ui.sync_action.setEnabled(status.progress is None)
        self.ui.conflicts_action.setText(
            f"&Conflits ({status.conflicts})…" if status.conflicts else "&Conflits…"
        )

    def sync(self) -> None:
        conn = self.window._repo.connection  # type: ignore[attr-defined]  # noqa: SLF001
        known = conn.execute("SELECT value FROM sync_state WHERE key = ?", (SERVER_URL,)).fetchone()
        if known is None:
            self.ask_login("")
            return
        self._user_asked = True
        self.controller.sync_now()

    def ask_login(self, message: str) -> None:
        if self.dialog is not None:
            self.dialog.show_message(message)
            return
        conn = self.window._repo.connection  # type: ignore[attr-defined]  # noqa: SLF001
        values = dict(conn.execute(
            "SELECT key, value FROM sync_state WHERE key IN (?, ?)", (SERVER_URL, LOGIN_KEY)
        ).fetchall())
        server, login = self._typed or (values.get(SERVER_URL, ""), values.get(LOGIN_KEY, ""))
        self.dialog = LoginDialog(server, login, message, self.window)
        self.dialog.finished.connect(self._dialog_done)
        self.dialog.open()

    def _dialog_done(self, result: int) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is None:
            return
        dialog.deleteLater()
        if result != QDialog.DialogCode.Accepted:
            return
        self._typed = (dialog.server.text().strip(), dialog.login.text().strip())
        self.controller.login(dialog.server.text(), dialog.login.text().strip(),
                              dialog.password.text())

    def on_logged_in(self, _name: str) -> None:
        self.window.follow_current_agent()  # type: ignore[attr-defined]

    def on_session_not_kept(self, message: str) -> None:
        self.window.statusBar().showMessage(message, 60_000)

    def on_synced(self, report: SyncReport) -> None:
        # A session resumed from the keyring logs in without the dialog: same rule.
        self.window.follow_current_agent()  # type: ignore[attr-defined]
        if report.pulled_rows or report.pushed:
            self.window.data_arrived()  # type: ignore[attr-defined]
        if report.new_requests and not report.initial:
            plural = "s" if report.new_requests > 1 else ""
            self.window._notify(  # type: ignore[attr-defined]  # noqa: SLF001
                "Bannette", f"{report.new_requests} nouvelle{plural} demande{plural} reçue{plural}"
            )
        if report.rejections:
            self.window.statusBar().showMessage(
                "Modification refusée par le serveur : " + report.rejections[0], 30_000
            )

    def on_failed(self, message: str) -> None:
        if self._user_asked:
            self.window.statusBar().showMessage(message, 30_000)
        self.ui.status_label.setToolTip(message)
        self._user_asked = False

    def show_conflicts(self) -> None:
        conn = self.window._repo.connection  # type: ignore[attr-defined]  # noqa: SLF001
        agent_id = self.window._agent_id  # type: ignore[attr-defined]  # noqa: SLF001
        dialog = ConflictsDialog(conn, self.window, agent_id=agent_id)
        dialog.exec()
        if dialog.changed:
            self.controller.local_changed()
            self.window.model.reload(data_changed=True)  # type: ignore[attr-defined]


def install_sync(window: QMainWindow, controller: SyncController) -> SyncUi:
    """Adds the sync to a main window: status line, Fichier › Synchroniser (F5), Se connecter,
    Conflits. The window keeps working exactly as before without it."""
    label = QLabel(window)
    label.setObjectName("sync-status")
    window.statusBar().addPermanentWidget(label)
    sync_action = QAction("&Synchroniser", window)
    sync_action.setObjectName("action-sync")
    sync_action.setShortcut(QKeySequence(Qt.Key.Key_F5))
    login_action = QAction("Se c&onnecter au serveur…", window)
    login_action.setObjectName("action-login")
    conflicts_action = QAction("&Conflits…", window)
    conflicts_action.setObjectName("action-conflicts")
    ui = SyncUi(controller, label, sync_action, login_action, conflicts_action)
    glue = _Glue(window, controller, ui)
    ui.glue = glue
    sync_action.triggered.connect(glue.sync)
    login_action.triggered.connect(lambda: glue.ask_login(""))
    conflicts_action.triggered.connect(glue.show_conflicts)
    menu = window.menuBar().addMenu("S&ynchronisation")
    menu.setObjectName("menu-sync")
    for action in (sync_action, login_action, conflicts_action):
        menu.addAction(action)
    window.addAction(sync_action)  # F5 works even with the menu bar hidden
    controller.statusChanged.connect(glue.show_status)
    controller.synced.connect(glue.on_synced)
    controller.failed.connect(glue.on_failed)
    controller.loginNeeded.connect(glue.ask_login)
    controller.loggedIn.connect(glue.on_logged_in)
    controller.sessionNotKept.connect(glue.on_session_not_kept)
    actions = getattr(window, "request_actions", None)
    if actions is not None:  # a change made in the window: « N modifications en attente »
        actions.requestChanged.connect(lambda _pk: controller.local_changed())
    calls = phone_calls_of(window)
    if calls is not None:  # a call linked to no request changes no row, but waits too
        calls.localChanged.connect(controller.local_changed)
    glue.show_status(controller.status)
    return ui
