"""A mail file (``.eml``, Outlook ``.msg``) dropped on the bannette or on « Nouvelle demande ».

Dropped on the bannette window, it opens « Nouvelle demande » filled from the mail; dropped on
that dialog, it fills it. Filled means: channel « Courriel », the sender as the chosen citizen
(found by address) or as a new citizen (name from the display name), subject, text as the
description, the day the mail was sent, and a line listing the files that will be attached and
those refused with their reason. « Enregistrer » then registers the request WITH the mail's
files and key in one transaction (``desktop.services.mail_intake``). A mail already registered
is said, and the bannette shows the request it became; an unreadable file is said in French.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QMimeData, QObject
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from desktop.domain.legal_time import to_local
from desktop.services.incoming_files import RefusedFile
from desktop.services.mail_intake import (
    UNKNOWN_SENDER,
    MailDraft,
    MailIntakeError,
    already_said,
    is_mail_file,
    mail_key,
    read_mail,
    read_mail_file,
    register_mail,
    registered_anywhere,
)
from desktop.store.intake import NewRequest, authority_department
from sync.protocol.vocabulary import Channel, CitizenKind

if TYPE_CHECKING:
    from desktop.views.intake_dialog import IntakeDialog
    from desktop.views.main_window import MainWindow

_DROPS = (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop)


def dropped_mail(mime: QMimeData) -> Path | None:
    """The first mail file among the dropped ones (other files are for other doors)."""
    for url in mime.urls():
        if url.isLocalFile() and is_mail_file(Path(url.toLocalFile())):
            return Path(url.toLocalFile())
    return None


def catch_mail(event: QEvent, on_drop: Callable[[Path], object]) -> bool:
    """Takes the drag of a mail file (accepted; once dropped, ``on_drop(path)``); False for
    any other event, which goes on to its widget."""
    if event.type() not in _DROPS or not isinstance(event, QDropEvent):
        return False
    path = dropped_mail(event.mimeData())
    if path is None:
        return False
    event.acceptProposedAction()
    if event.type() == QEvent.Type.Drop:
        on_drop(path)
    return True


def files_text(draft: MailDraft) -> str:
    """What becomes of the mail's files, for the dialog (rich text)."""
    head = f"Courriel « {escape(draft.file_name)} »"
    if not draft.files:
        return f"{head} : aucune pièce jointe."
    parts = [head + " :"]
    if draft.accepted:
        names = ", ".join(escape(f.name) for f in draft.accepted)
        parts.append(f"pièces jointes à la demande : {names}")
    for file in draft.refused:
        parts.append(f"<span style='color:#842029'>refusée : {escape(file.name)} — "
                     f"{escape(file.reason or '')}</span>")
    return "<br>".join(parts)


class MailIntake(QObject):
    """The mail held by one intake dialog: fills it, then registers it with its files."""

    def __init__(self, dialog: IntakeDialog, conn: sqlite3.Connection,
                 agent_id: str | None) -> None:
        super().__init__(dialog)
        self.dialog = dialog
        self.conn = conn
        self.agent_id = agent_id
        self.draft: MailDraft | None = None
        self.label = QLabel(dialog)
        self.label.setObjectName("intake-mail")
        self.label.setWordWrap(True)
        self.label.setVisible(False)
        layout = dialog.layout()
        if layout is not None:
            layout.insertWidget(1, self.label)  # type: ignore[attr-defined]
        plain = dialog._register  # noqa: SLF001
        dialog._register = lambda new: self.register(new, plain)  # noqa: SLF001
        self.path: Path | None = None
        dialog.authority.currentIndexChanged.connect(self._commune_changed)
        dialog.setAcceptDrops(True)
        # The text fields take dropped files as text (their path): a mail is caught first.
        for widget in (dialog, *dialog.findChildren(QWidget)):
            widget.installEventFilter(self)

    def register(self, new: NewRequest, plain: Callable[[NewRequest], int]) -> int:
        """The dialog's « Enregistrer »: with a mail held, the request comes with its files
        and its key; without, the ordinary registration."""
        if self.draft is None:
            return plain(new)
        moment = self.dialog._now()  # noqa: SLF001
        done = register_mail(self.conn, self.draft, new, agent_id=self.agent_id, now=moment)
        return done.request_pk

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        return catch_mail(event, self.load)

    def load(self, path: Path) -> MailDraft | None:
        """Reads the mail for the dialog's commune and fills the dialog; a refusal is shown
        in the dialog's red line (nothing typed is lost)."""
        authority = self.dialog.authority_pk()
        if authority is None:
            self.dialog.show_error("Choisissez d'abord la commune destinataire du courriel.")
            return None
        draft = self._read(path, authority)
        if draft is None:
            return None
        if draft.existing is not None:
            self.dialog.show_error(already_said(draft.existing))
            return None
        self.path = path
        self.fill(draft, authority)
        return draft

    def _read(self, path: Path, authority: int) -> MailDraft | None:
        try:
            return read_mail(self.conn, authority, path.name, read_mail_file(path),
                             now=self.dialog._now())  # noqa: SLF001
        except MailIntakeError as exc:
            self.dialog.show_error(f"« {path.name} » : {exc}")
            return None

    def _commune_changed(self) -> None:
        """Another commune for the mail held: its sender is looked for among that commune's
        citizens (the rest of the form stays as the agent left it)."""
        authority = self.dialog.authority_pk()
        if self.draft is None or self.path is None or authority is None:
            return
        draft = self._read(self.path, authority)
        if draft is None:
            return
        self.draft = draft
        self._fill_citizen(draft)
        if draft.existing is not None:
            self.dialog.show_error(already_said(draft.existing))

    def fill(self, draft: MailDraft, authority: int) -> None:
        dialog = self.dialog
        self.draft = draft
        dialog.channel.setCurrentIndex(dialog.channel.findData(Channel.EMAIL))
        department = authority_department(self.conn, authority)
        dialog.received.set_value(to_local(draft.received_at, department))
        dialog.subject.setText(draft.subject)
        dialog.body.setPlainText(draft.body)
        self._fill_citizen(draft)
        text = files_text(draft)
        if draft.citizen is None and draft.new_citizen is None:
            text += f"<br><span style='color:#842029'>{escape(UNKNOWN_SENDER)}</span>"
        self.label.setText(text)
        self.label.setVisible(True)
        dialog.show_error("")
        dialog.setWindowTitle(f"Nouvelle demande — courriel « {draft.file_name} »")

    def _fill_citizen(self, draft: MailDraft) -> None:
        dialog = self.dialog
        if draft.citizen is not None:
            dialog.existing_radio.setChecked(True)
            dialog.citizens.pick(draft.citizen)
        else:
            dialog.new_radio.setChecked(True)
            dialog.kind.setCurrentIndex(dialog.kind.findData(CitizenKind.PERSON))
            new = draft.new_citizen
            dialog.last_name.setText(new.last_name if new else "")
            dialog.first_name.setText(new.first_name if new else "")
            dialog.email.setText(new.email if new else "")


class WindowDrop(QObject):
    """A mail dropped anywhere on the bannette window opens the filled intake."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.message: QMessageBox | None = None
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        return watched is self.window and catch_mail(event, self.open)

    def open(self, path: Path) -> IntakeDialog | None:
        """The intake over the window, filled from the mail at ``path``; a mail already
        registered (in any commune of the window) is said and its request shown instead."""
        from desktop.views.intake_dialog import IntakeFlow

        conn = self.window._repo.connection  # noqa: SLF001
        try:
            existing = registered_anywhere(conn, mail_key(path.name, read_mail_file(path)))
        except MailIntakeError as exc:
            self._warn(f"« {path.name} » : {exc}")
            return None
        if existing is not None:
            self.window.select_request(existing.request_pk)
            self._warn(already_said(existing))
            return None
        flow = self.window.findChild(IntakeFlow)
        if flow is None:
            return None
        dialog = flow.open()
        mail = dialog.findChild(MailIntake)
        if mail is not None:
            mail.load(path)
        return dialog

    def _warn(self, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "Courriel", text,
                          QMessageBox.StandardButton.Ok, self.window)
        box.setObjectName("mail-drop-message")
        box.open()
        self.message = box


def install_mail_drop(window: MainWindow) -> WindowDrop:
    """Mail files dropped on the window open the intake filled (see the module)."""
    return WindowDrop(window)


#: Several mails in one drop: the first fills the intake, the others wait their turn.
ONE_MAIL_AT_A_TIME = ("« {name} » n'a pas été pris : un seul courriel à la fois, déposez-le "
                      "à nouveau une fois le premier enregistré.")


def _one_mail(paths: list[Path], take: Callable[[Path], object]) -> list[RefusedFile]:
    if paths:
        take(paths[0])
    return [RefusedFile(p.name, ONE_MAIL_AT_A_TIME.format(name=p.name)) for p in paths[1:]]


def scans_mail_handler(drop: WindowDrop) -> Callable[[list[Path], int | None], list[RefusedFile]]:
    """For the file drops on a row or a detail pane (``desktop.views.scans``): a mail among the
    files opens the intake filled from it, like a mail dropped anywhere else on the window."""
    return lambda paths, _request_pk: _one_mail(paths, drop.open)


def attach_mail_intake(dialog: QWidget, conn: sqlite3.Connection,
                       agent_id: str | None) -> MailIntake:
    """Lets the intake dialog take a dropped mail (called by ``IntakeFlow.open``), whether it
    lands on the dialog or on its list of files to join."""
    from desktop.views.intake_dialog import IntakeDialog

    assert isinstance(dialog, IntakeDialog)
    mail = MailIntake(dialog, conn, agent_id)
    dialog.files.mail_handler = lambda paths: _one_mail(paths, mail.load)
    return mail
