"""The élu's mode: an agent whose role is ``official`` opens the app on « Mon parapheur ».

Nothing in this mode edits, reassigns or deletes requests (the server refuses it anyway): the
« Demande » menu and toolbar are taken away, their shortcuts with them; the bannette stays
readable.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar

from desktop.store.replies import agent_role
from desktop.views.parapheur.desk import OfficialDesk
from sync.protocol.vocabulary import Role

if TYPE_CHECKING:
    from desktop.views.main_window import MainWindow


def is_official(window: MainWindow) -> bool:
    conn = window._repo.connection  # noqa: SLF001
    return agent_role(conn, window._agent_id) == Role.OFFICIAL  # noqa: SLF001


def remove_editing(window: MainWindow) -> None:
    """Takes the « Demande » actions out of reach: menu and toolbar hidden, shortcuts off."""
    menu = window.findChild(QMenu, "menu-request")
    toolbar = window.findChild(QToolBar, "request-toolbar")
    actions: list[QAction] = []
    if menu is not None:
        actions += [a for a in menu.actions() if not a.isSeparator()]
        menu.menuAction().setVisible(False)
    if toolbar is not None:
        actions += [a for a in toolbar.actions() if not a.isSeparator()]
        toolbar.setVisible(False)
        toolbar.toggleViewAction().setVisible(False)
    for action in actions:
        action.setShortcut(QKeySequence())
        action.setEnabled(False)
        action.setVisible(False)
        window.removeAction(action)


def install_official_desk(window: MainWindow) -> OfficialDesk | None:
    """For an élu: « Mon parapheur » first and shown, the editing actions gone. Nothing for
    the other roles."""
    if not is_official(window):
        return None
    conn = window._repo.connection  # noqa: SLF001
    desk = OfficialDesk(
        conn, str(window._agent_id), today=window._today,  # noqa: SLF001
        now=lambda: window.now().replace(microsecond=0),
        parent=window,
    )
    # Appended: the window addresses its own tabs by index (the deadlines' count).
    window.tabs.addTab(desk, "Mon &parapheur")
    window.tabs.setCurrentWidget(desk)
    window.setWindowTitle(window.windowTitle() + " — mode élu")
    desk.changed.connect(
        lambda pk: window.request_actions.requestChanged.emit(pk) if pk is not None else None
    )
    desk.decided.connect(lambda text: window.statusBar().showMessage(text, 10_000))
    window.model.modelReset.connect(desk.refresh)  # a sync brought new folders
    remove_editing(window)
    # Actions added after the window is built (attachments, by the app) go the same way, and
    # the sync controller the app adds then fetches the folders' PDFs.
    def later() -> None:
        remove_editing(window)
        connect_downloads(window, desk)

    QTimer.singleShot(0, later)
    return desk


def connect_downloads(window: MainWindow, desk: OfficialDesk) -> None:
    """The desk downloads the PDF of the folder on screen through the window's sync (its
    thread, its resumable transfers), when the window has one."""
    worker = sys.modules.get("desktop.syncing.worker")  # never imported for nothing
    controller = window.findChild(worker.SyncController) if worker is not None else None
    if controller is None:
        return

    def fetch(attachment_id: str, sha256: str) -> bool:
        controller.download(attachment_id, sha256)
        return True

    desk.fetch = fetch
    controller.downloaded.connect(desk.arrived)
    controller.downloadFailed.connect(desk.download_failed)
    folder = desk.current_folder()
    if folder is not None:
        desk.arrived(folder.main_attachment_id)
