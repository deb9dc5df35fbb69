"""Attachments in the window: open what this PC holds, download the rest with its progress,
join a file to the selected request (online or not).

A cached file opens at once, through a named copy (``desktop.store.attachments.opened_copy``).
A file only the server holds is fetched by the sync worker on its own thread, so the window
keeps working; a small progress dialog follows it and « Annuler » keeps what arrived for a
later resume. A joined file is checked and cached at once, and leaves with the next sync.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QWidget,
)

from desktop.domain.french import format_date_fr
from desktop.domain.legal_time import wall_clock
from desktop.store.attachments import (
    AttachedCopy,
    LocalAttachment,
    add_attachment,
    find_attachment,
    opened_copies_dir,
    opened_copy,
    remove_attachment,
    request_attachments,
    same_file_attached,
)
from desktop.store.database import StoreError
from desktop.syncing.worker import SyncController
from desktop.views.file_opener import FileOpener
from desktop.views.formatting import size_fr
from desktop.views.window_actions import request_action, request_bars

FILE_FILTER = "Pièces (*.pdf *.jpg *.jpeg *.png)"
NO_SERVER = (
    "Cette pièce n'est pas sur ce poste et aucun serveur de synchronisation n'est configuré : "
    "elle ne peut pas être téléchargée."
)
GONE = "Cette pièce jointe n'existe plus dans la base locale."
NOWHERE = (
    "Le fichier de cette pièce n'est ni sur ce poste ni sur le serveur : il ne peut pas être "
    "ouvert."
)

#: Asks the user for a file to join; None when she cancels.
FileChooser = Callable[[QWidget], Path | None]
UrlOpener = Callable[[QUrl], object]


def choose_file(parent: QWidget) -> Path | None:
    """The system's file dialog, limited to what may be attached."""
    name, _filter = QFileDialog.getOpenFileName(parent, "Joindre un fichier", "", FILE_FILTER)
    return Path(name) if name else None


@dataclass
class AttachmentsUi:
    """What ``install_attachments`` added to the window (tests and app.py reach it here)."""

    attach_action: QAction
    glue: _Glue

    @property
    def message(self) -> QMessageBox | None:
        """The last message box shown (a refusal, a failed download)."""
        return self.glue.message

    @property
    def downloads(self) -> dict[str, QProgressDialog]:
        """Downloads under way, by attachment id, with their progress dialogs."""
        return self.glue.downloads


@dataclass
class _Services:
    controller: SyncController | None
    open_url: UrlOpener
    choose_file: FileChooser
    folder: Path


class _Glue(QObject):
    """Between the pane, the action, the store and the sync worker; owns the dialogs."""

    def __init__(self, window: QMainWindow, services: _Services) -> None:
        super().__init__(window)
        self.window = window
        self.services = services
        self.conn = window._repo.connection  # type: ignore[attr-defined]  # noqa: SLF001
        self.downloads: dict[str, QProgressDialog] = {}
        self.message: QMessageBox | None = None
        self.action: QAction | None = None
        #: The question on screen (duplicate file, removal), for tests to answer.
        self.question: QMessageBox | None = None
        self.files = FileOpener(window, services.open_url)

    # --- « Ouvrir » / « Télécharger » -------------------------------------------------------
    def requested(self, attachment_id: str) -> None:
        attachment = find_attachment(self.conn, attachment_id)
        if attachment is None:
            self._warn(GONE)
            return
        if not self._open(attachment):
            self._download(attachment)

    def _open(self, attachment: LocalAttachment) -> bool:
        """Opens the cached file. False when the cache does not hold it intact (a download
        will); True once dealt with, opened or explained."""
        try:
            copy = opened_copy(self.conn, attachment, self.services.folder)
        except StoreError as exc:
            self._warn(str(exc))
            return True
        if copy is None:
            return False
        self.window.statusBar().showMessage(f"Ouverture de « {attachment.filename} »…", 5000)
        self.files.open_file(copy)
        return True

    def _download(self, attachment: LocalAttachment) -> None:
        if not attachment.on_server:
            self._warn(NOWHERE)
            return
        controller = self.services.controller
        if controller is None:
            self._warn(NO_SERVER)
            return
        if attachment.id in self.downloads:
            self.downloads[attachment.id].raise_()
            return
        self.downloads[attachment.id] = self._progress_dialog(attachment)
        controller.download(attachment.id, attachment.sha256)

    def _progress_dialog(self, attachment: LocalAttachment) -> QProgressDialog:
        dialog = QProgressDialog(
            f"Téléchargement de « {attachment.filename} » ({size_fr(attachment.size)})…",
            "Annuler", 0, 0, self.window,
        )
        dialog.setObjectName("download-progress")
        dialog.setWindowTitle("Téléchargement")
        dialog.setWindowModality(Qt.WindowModality.NonModal)  # the bannette stays usable
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(lambda: self._cancel(attachment.id))
        dialog.show()
        return dialog

    def _cancel(self, attachment_id: str) -> None:
        dialog = self.downloads.pop(attachment_id, None)
        if dialog is None:
            return  # already finished: this is the close of the dialog
        if self.services.controller is not None:
            self.services.controller.cancel_download(attachment_id)
        dialog.deleteLater()
        self.window.statusBar().showMessage(
            "Téléchargement annulé : il reprendra là où il s'est arrêté.", 5000
        )

    def progressed(self, attachment_id: str, done: int, total: int) -> None:
        dialog = self.downloads.get(attachment_id)
        if dialog is None or total <= 0:
            return
        if dialog.maximum() != total:
            dialog.setMaximum(total)
        dialog.setValue(min(done, total))

    def downloaded(self, attachment_id: str, _path: str) -> None:
        dialog = self._finish(attachment_id)
        attachment = find_attachment(self.conn, attachment_id)
        if attachment is not None and self.window.detail.shown_pk == attachment.request_pk:  # type: ignore[attr-defined]
            self.window.detail.refresh_attachments()  # type: ignore[attr-defined]
        if dialog is None or attachment is None:
            return  # cancelled meanwhile: kept for offline use, not opened by surprise
        if not self._open(attachment):
            self._warn(f"La pièce « {attachment.filename} » a été reçue mais n'a pas pu être "
                       "ouverte : sa copie sur ce poste a disparu.")

    def failed(self, attachment_id: str, message: str) -> None:
        if self._finish(attachment_id) is None:
            return  # cancelled by the user: she knows
        attachment = find_attachment(self.conn, attachment_id)
        what = f"La pièce « {attachment.filename} »" if attachment else "La pièce jointe"
        self._warn(f"{what} n'a pas pu être téléchargée.\n\n{message}")

    def _finish(self, attachment_id: str) -> QProgressDialog | None:
        dialog = self.downloads.pop(attachment_id, None)
        if dialog is not None:
            if dialog.isActiveWindow():  # give the keyboard back to the bannette
                self.window.activateWindow()
            dialog.hide()  # not close(): a closed progress dialog emits « canceled »
            dialog.deleteLater()
        return dialog

    # --- « Joindre un fichier… » ------------------------------------------------------------
    def shown(self, pk: object) -> None:
        if self.action is not None:
            self.action.setEnabled(pk is not None)

    def attach(self) -> None:
        pk = self.window.detail.shown_pk  # type: ignore[attr-defined]
        if pk is None:
            return
        source = self.services.choose_file(self.window)
        if source is None:
            return
        twin = same_file_attached(self.conn, pk, source)
        if twin is not None and not self._join_anyway(twin):
            self.window.statusBar().showMessage(
                f"Fichier « {source.name} » non joint : il l'était déjà.", 10_000)
            return
        try:
            attachment_id = add_attachment(self.conn, pk, source, agent_id=self._agent_id(),
                                           now=self._now())
        except StoreError as exc:
            self._warn(f"Le fichier n'a pas été joint.\n\n{exc}")
            return
        self.window.request_actions.requestChanged.emit(pk)  # type: ignore[attr-defined]
        attachment = find_attachment(self.conn, attachment_id)
        later = " ; il partira au serveur à la prochaine synchronisation" if (
            attachment is not None and attachment.upload_pending) else ""
        self.window.statusBar().showMessage(f"Fichier « {source.name} » joint{later}.", 10_000)

    def _join_anyway(self, twin: AttachedCopy) -> bool:
        """The same bytes are on the request already: a second copy is nearly always a slip
        (the same scan chosen twice), so « Ne pas joindre » is the default answer."""
        when = f", joint le {format_date_fr(twin.added_at.date())}" if twin.added_at else ""
        box = QMessageBox(
            QMessageBox.Icon.Question, "Fichier déjà joint",
            f"Ce fichier est déjà joint à la demande (« {twin.filename} »{when}).\n\n"
            "Le joindre quand même ?",
            parent=self.window,
        )
        box.setObjectName("attachment-twin")
        again = box.addButton("&Joindre quand même", QMessageBox.ButtonRole.AcceptRole)
        keep = box.addButton("&Ne pas joindre", QMessageBox.ButtonRole.RejectRole)
        again.setObjectName("join-anyway")
        keep.setObjectName("do-not-join")
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        self.question = box
        box.exec()
        self.question = None
        return box.clickedButton() is again

    # --- « Retirer la pièce » ---------------------------------------------------------------
    def remove(self, attachment_id: str) -> None:
        """Asks first; then the file leaves the request here, in the history and, through the
        next sync, on the server."""
        attachment = find_attachment(self.conn, attachment_id)
        if attachment is None:
            self._warn(GONE)
            return
        box = QMessageBox(
            QMessageBox.Icon.Question, "Retirer la pièce",
            f"Retirer la pièce « {attachment.filename} » de la demande ?\n\n"
            "Le retrait restera inscrit dans l'historique de la demande.",
            parent=self.window,
        )
        box.setObjectName("attachment-remove")
        confirm = box.addButton("&Retirer la pièce", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton("Annuler", QMessageBox.ButtonRole.RejectRole)
        confirm.setObjectName("confirm-remove")
        cancel.setObjectName("cancel-remove")
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        self.question = box
        box.exec()
        self.question = None
        if box.clickedButton() is not confirm:
            return
        try:
            removed = remove_attachment(self.conn, attachment_id, agent_id=self._agent_id(),
                                        now=self._now())
        except StoreError as exc:
            self._warn(f"La pièce n'a pas été retirée.\n\n{exc}")
            return
        # The detail, the actions and « N modifications en attente » follow.
        self.window.request_actions.requestChanged.emit(removed.request_pk)  # type: ignore[attr-defined]
        self.window.statusBar().showMessage(
            f"Pièce « {removed.filename} » retirée de la demande.", 10_000)

    def _agent_id(self) -> str | None:
        return self.window._agent_id  # type: ignore[attr-defined]  # noqa: SLF001

    def _now(self) -> datetime:
        """The window's day (injectable in tests) at the time Paris's clocks show now (a naive
        wall time, read as metropolitan legal time by the store)."""
        today = self.window._today()  # type: ignore[attr-defined]  # noqa: SLF001
        return wall_clock(today, None)

    # --- messages ---------------------------------------------------------------------------
    def _warn(self, text: str) -> None:
        self.window.statusBar().showMessage(text.split("\n", 1)[0], 10_000)
        if self.message is not None:
            self.message.deleteLater()
        box = QMessageBox(QMessageBox.Icon.Warning, "Pièces jointes", text,
                          QMessageBox.StandardButton.Close, self.window)
        box.setObjectName("attachment-message")
        box.setTextFormat(Qt.TextFormat.PlainText)
        self.message = box
        box.open()


def install_attachments(
    window: QMainWindow,
    controller: SyncController | None,
    *,
    open_url: UrlOpener | None = None,
    choose: FileChooser = choose_file,
    folder: Path | None = None,
) -> AttachmentsUi:
    """Adds the attachments to a main window: the links of the detail pane and
    Demande › Joindre un fichier… (Ctrl+Maj+J). Without a controller (no sync), cached files
    still open and a download explains why it cannot happen.

    ``open_url`` defaults to the window's own opener (``window.open_url``) or the system's;
    ``choose`` and ``folder`` (where the named copies go) are there for tests."""
    opener = open_url or getattr(window, "open_url", None) or QDesktopServices.openUrl
    services = _Services(controller, opener, choose, folder or opened_copies_dir())
    glue = _Glue(window, services)
    action = request_action(
        window, "&Joindre un fichier…", name="action-attach-file", shortcut="Ctrl+Shift+J",
        tip="Joindre un PDF, un JPG ou un PNG (5 Mo au plus) à la demande", slot=glue.attach,
    )
    glue.action = action
    pane = window.detail  # type: ignore[attr-defined]
    pane.set_attachment_source(lambda pk: request_attachments(glue.conn, pk))
    pane.attachmentRequested.connect(glue.requested)
    pane.attachmentRemovalRequested.connect(glue.remove)
    pane.requestShown.connect(glue.shown)
    glue.shown(pane.shown_pk)
    for bar in request_bars(window):
        bar.addSeparator()
        bar.addAction(action)
    if controller is not None:
        controller.downloadProgress.connect(glue.progressed)
        controller.downloaded.connect(glue.downloaded)
        controller.downloadFailed.connect(glue.failed)
    return AttachmentsUi(action, glue)
