"""« Changer le mot de passe » (issue 11): shown when the server says the password must be
changed (initial or reset by an administrator) — nothing syncs before — and from
« Synchronisation › Changer le mot de passe… » at any time.

The server's rules apply (length and kinds of characters, common passwords and reuse refused):
its French reason is shown in the dialog, which stays open with what was typed.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QWidget,
)

from desktop.views.dialog_parts import error_label

MISMATCH = "Les deux saisies du nouveau mot de passe sont différentes."
SAME = "Le nouveau mot de passe doit être différent de l'actuel."
EMPTY = "Saisissez le mot de passe actuel et le nouveau (deux fois)."
FORCED = (
    "Votre mot de passe a été choisi par quelqu'un d'autre (mot de passe initial ou "
    "réinitialisé) : choisissez le vôtre pour continuer. Rien n'est synchronisé d'ici là ; "
    "vos modifications restent en attente sur ce poste."
)
RULES = ("12 caractères au moins, avec des minuscules, des majuscules, des chiffres et des "
         "signes ; ni un mot de passe courant, ni l'actuel.")


class PasswordDialog(QDialog):
    """Current password and the new one twice; ``check`` refuses locally what is obviously
    wrong, the server judges the rest (its reason comes back with ``refuse``)."""

    def __init__(self, reason: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("password-dialog")
        self.setWindowTitle("Changer le mot de passe")
        form = QFormLayout(self)
        if reason:
            intro = QLabel(reason, self)
            intro.setObjectName("password-reason")
            intro.setWordWrap(True)
            form.addRow(intro)
        self.current = self._secret("current-password")
        self.new = self._secret("new-password")
        self.again = self._secret("new-password-again")
        form.addRow("Mot de passe &actuel :", self.current)
        form.addRow("&Nouveau mot de passe :", self.new)
        form.addRow("&Confirmation :", self.again)
        rules = QLabel(RULES, self)
        rules.setWordWrap(True)
        form.addRow("", rules)
        self.error = error_label(self, "password-error")
        form.addRow(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Changer")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Annuler")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.submitted: tuple[str, str] | None = None
        #: Sends the change (the sync controller's ``change_password``).
        self.on_submit: Callable[[str, str], None] | None = None

    def _secret(self, name: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setObjectName(name)
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        return edit

    def check(self) -> str | None:
        current, new, again = self.current.text(), self.new.text(), self.again.text()
        if not current or not new or not again:
            return EMPTY
        if new != again:
            return MISMATCH
        if new == current:
            return SAME
        return None

    def submit(self) -> None:
        problem = self.check()
        if problem:
            self.refuse(problem)
            return
        self.error.setVisible(False)
        self.buttons.setEnabled(False)
        self.submitted = (self.current.text(), self.new.text())
        if self.on_submit is not None:
            self.on_submit(*self.submitted)

    def refuse(self, message: str) -> None:
        self.buttons.setEnabled(True)
        self.error.setText(message)
        self.error.setVisible(True)


class _PasswordFlow:
    """Glue between the sync controller and the dialog: one dialog at a time."""

    def __init__(self, window: QMainWindow, controller: object) -> None:
        self.window = window
        self.controller = controller
        self.dialog: PasswordDialog | None = None
        controller.passwordChangeNeeded.connect(lambda _m: self.open(FORCED))  # type: ignore[attr-defined]
        controller.passwordChangeFailed.connect(self._failed)  # type: ignore[attr-defined]
        controller.passwordChanged.connect(self._changed)  # type: ignore[attr-defined]

    def open(self, reason: str = "") -> PasswordDialog:
        if self.dialog is None:
            self.dialog = PasswordDialog(reason, self.window)
            self.dialog.on_submit = self.controller.change_password  # type: ignore[attr-defined]
            self.dialog.finished.connect(self._closed)
            self.dialog.open()
        return self.dialog

    def _closed(self, _result: int) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.deleteLater()

    def _failed(self, message: str) -> None:
        if self.dialog is not None:
            self.dialog.refuse(message)
        else:
            self.window.statusBar().showMessage(message, 30_000)

    def _changed(self) -> None:
        if self.dialog is not None:
            self.dialog.accept()
        self.window.statusBar().showMessage(
            "Mot de passe changé : la synchronisation reprend.", 15_000)


def install_password_change(window: QMainWindow, controller: object) -> _PasswordFlow:
    """« Synchronisation › Changer le mot de passe… » and the dialog the server can demand."""
    from PySide6.QtGui import QAction

    flow = _PasswordFlow(window, controller)
    action = QAction("Changer le &mot de passe…", window)
    action.setObjectName("action-change-password")
    action.triggered.connect(lambda: flow.open())
    menu = window.findChild(QMenu, "menu-sync")
    if menu is not None:
        menu.addAction(action)
    else:
        window.addAction(action)
    window.password_flow = flow  # type: ignore[attr-defined]
    return flow
