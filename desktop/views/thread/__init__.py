"""The thread of messages with the citizen, in the detail pane, and « Écrire à l'usager ».

``install_thread(window)`` adds the « Échanges avec l'usager » section to the detail pane,
the action Demande › Écrire à l'usager… (Ctrl+Maj+W) and marks the incoming messages of the
request shown as read (the bannette's bold goes). The store does the work
(``desktop.store.messages``); nothing here runs SQL.
"""

from __future__ import annotations

import contextlib
import sqlite3
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from desktop.store.database import StoreError
from desktop.store.messages import (
    Outgoing,
    attachment_names,
    mark_read,
    recipient,
    thread,
    unread_total,
    write_to_citizen,
)
from desktop.views.thread.section import THREAD_SCHEME, WRITE_PREFIX, thread_html
from desktop.views.thread.write_dialog import FileChooser, WriteDialog, choose_file
from desktop.views.window_actions import request_action, request_bars

if TYPE_CHECKING:
    from desktop.views.main_window import MainWindow


class ThreadUi(QObject):
    """Between the window, the pane's section and the store; owns the write dialog."""

    def __init__(self, window: MainWindow, choose: FileChooser) -> None:
        super().__init__(window)
        self.window = window
        self.conn: sqlite3.Connection = window._repo.connection  # noqa: SLF001
        self.choose = choose
        self.dialog: WriteDialog | None = None
        self.action: QAction | None = None
        self.unread = unread_total(self.conn)

    def arrived(self) -> None:
        """The bannette was reloaded (a sync): new messages from citizens are said once."""
        unread = unread_total(self.conn)
        if unread > self.unread:
            new = unread - self.unread
            self.window.statusBar().showMessage(
                f"{new} nouveau{'x' if new > 1 else ''} message{'s' if new > 1 else ''} "
                "d'usager : les demandes concernées sont en gras.", 15_000)
        self.unread = unread

    def section(self, pk: int) -> str:
        try:
            who = recipient(self.conn, pk)
        except StoreError:
            return ""
        messages = thread(self.conn, pk)
        ids = [a for m in messages for a in m.attachment_ids]
        return thread_html(messages, attachment_names(self.conn, ids), who.email, pk)

    def shown(self, pk: object) -> None:
        """The request is on screen: its incoming messages are read (after this rendering,
        which still says « nouveau »)."""
        if self.action is not None:
            self.action.setEnabled(pk is not None)
        if isinstance(pk, int) and mark_read(self.conn, pk, self.window.now()):
            self.window.model.refresh_rows({pk})
            self.unread = unread_total(self.conn)

    def anchor(self, url: QUrl) -> None:
        """« Écrire à l'usager… » in the pane or in a request's own window (Entrée)."""
        if url.scheme() == THREAD_SCHEME and url.path().startswith(WRITE_PREFIX):
            with contextlib.suppress(ValueError):
                self.write(int(url.path().removeprefix(WRITE_PREFIX)))

    def write(self, pk: int | None = None) -> None:
        pk = self.window.detail.shown_pk if pk is None else pk
        if pk is None:
            return
        try:
            who = recipient(self.conn, pk)
        except StoreError as exc:
            self.window.statusBar().showMessage(str(exc), 10_000)
            return

        def send(outgoing: Outgoing) -> None:
            write_to_citizen(self.conn, pk, outgoing,
                             agent_id=self.window._agent_id,  # noqa: SLF001
                             now=self.window.now())
            self.window.refresh_request(pk)
            self.window.statusBar().showMessage(
                "Message enregistré : il partira à la prochaine synchronisation."
                if outgoing.to_email else "Échange consigné dans le fil de la demande.", 10_000)

        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = WriteDialog(who, send, self.window, choose=self.choose)
        self.dialog.open()


def install_thread(window: MainWindow, *, choose: FileChooser = choose_file) -> ThreadUi:
    """Adds the thread to the window (see the module's docstring); ``choose`` picks the
    files to join (tests give their own)."""
    ui = ThreadUi(window, choose)
    ui.action = request_action(
        window, "Écrire à l'&usager…", name="action-write-citizen", shortcut="Ctrl+Shift+W",
        tip="Envoyer un courriel à l'usager (il part à la synchronisation) ou consigner un "
            "échange par courrier, téléphone ou au guichet", slot=lambda: ui.write(),
    )
    # In the menu, with the other ways of reaching the citizen (« Appel téléphonique… »),
    # before the legal steps; the toolbar is full enough.
    legal = next(iter(window.request_actions.actions.values()), None)
    for bar in request_bars(window):
        if isinstance(bar, QMenu):
            if legal is not None and legal in bar.actions():
                bar.insertAction(legal, ui.action)
                bar.insertSeparator(legal)
            else:
                bar.addAction(ui.action)
    pane = window.detail
    pane.add_extra_source(ui.section)
    pane.otherLinkClicked.connect(ui.anchor)
    pane.requestShown.connect(ui.shown)
    window.model.modelReset.connect(ui.arrived)
    ui.shown(pane.shown_pk)
    return ui
