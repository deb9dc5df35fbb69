"""Puts the citizen's file in the main window: the « Usagers » menu (Ctrl+Shift+H, look-up
over every commune), « Fiche de l'usager… » in the bannette's context menu and in the detail
pane, and the windows it opens (one per citizen, raised when opened again)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from desktop.services.citizens import CitizenService
from desktop.store.citizens import citizen_match, find_duplicates
from desktop.store.database import StoreError
from desktop.views.citizen.citizen_window import CitizenWindow
from desktop.views.citizen.duplicate_banner import DuplicateHooks
from desktop.views.citizen.finder import CitizenFinder

if TYPE_CHECKING:
    from desktop.views.main_window import MainWindow


class CitizenFiles(QObject):
    """The window's citizen workspace; ``windows`` holds the open files by citizen pk."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.service = CitizenService(window._repo.connection)  # noqa: SLF001
        self.windows: dict[int, CitizenWindow] = {}
        self.finder: CitizenFinder | None = None

    def open_finder(self) -> CitizenFinder:
        finder = CitizenFinder(self.service, self._window)
        finder.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        finder.citizenChosen.connect(self.open_citizen)
        self.finder = finder
        finder.open()
        return finder

    def open_citizen(self, pk: int) -> CitizenWindow | None:
        """Opens (or raises) the citizen's file; a merged citizen opens their survivor."""
        try:
            record = self.service.load(pk)
            pk = record.pk
        except StoreError as exc:
            self._window.statusBar().showMessage(str(exc), 10_000)
            return None
        shown = self.windows.get(pk)
        if shown is None:
            shown = CitizenWindow(self.service, pk, self._window)
            shown.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            shown.requestActivated.connect(self.show_request)
            shown.citizenRequested.connect(self.open_citizen)
            shown.citizenChanged.connect(self._changed)
            shown.destroyed.connect(lambda _=None, key=pk: self.windows.pop(key, None))
            rgpd = getattr(self._window, "rgpd", None)
            if rgpd is not None:  # who read this file, and when (the RGPD access trail)
                shown.add_tab("Consultations", rgpd.access_trail(record.id))
            self.windows[pk] = shown
        # Shown again when minimised or behind: activating brings it to the front.
        shown.setWindowState(shown.windowState() & ~Qt.WindowState.WindowMinimized)
        shown.show()
        shown.activateWindow()
        return shown

    def open_for_request(self, request_pk: int | None) -> CitizenWindow | None:
        citizen = self.service.of_request(request_pk) if request_pk is not None else None
        return self.open_citizen(citizen) if citizen is not None else None

    def show_request(self, request_pk: int) -> None:
        """A request of the citizen's story, shown in the bannette (filters cleared when they
        hide it)."""
        window = self._window
        window.show_inbox()
        if window.model.row_of(request_pk) is None:
            window.filters.clear()
        window.select_request(request_pk)
        window.activateWindow()

    def _changed(self, _pk: int) -> None:
        """Names and links changed: the bannette and every open file read them again."""
        window = self._window
        window.model.reload(data_changed=True)
        shown = window.detail.shown_pk
        if shown is not None:
            window.refresh_request(shown)
        for other in list(self.windows.values()):
            if other.pk != _pk:
                other.refresh()

    def context_menu(self, position: QPoint) -> None:
        table = self._window.table
        index = table.indexAt(position)
        if not index.isValid():
            return
        pk = self._window.model.pk_at(index.row())
        menu = QMenu(table)
        action = menu.addAction("Fiche de l'&usager…")
        action.setObjectName("action-citizen-of-request")
        action.triggered.connect(lambda: self.open_for_request(pk))
        menu.popup(table.viewport().mapToGlobal(position))
        self.menu = menu


def install_citizens(window: MainWindow) -> CitizenFiles:
    """« Usagers » menu, bannette context menu and detail pane link; returns the workspace."""
    files = CitizenFiles(window)
    menu = window.menuBar().addMenu("&Usagers")
    menu.setObjectName("menu-citizens")
    find = QAction("&Rechercher un usager…", window)
    find.setObjectName("action-find-citizen")
    find.setShortcut(QKeySequence("Ctrl+Shift+H"))
    find.setStatusTip("Retrouver un usager dans toutes vos communes et ouvrir sa fiche")
    find.triggered.connect(files.open_finder)
    current = QAction("&Fiche de l'usager de la demande", window)
    current.setObjectName("action-citizen-file")
    current.setShortcut(QKeySequence("Ctrl+Shift+G"))
    current.setStatusTip("Identité, coordonnées et historique de l'usager de la demande choisie")
    current.triggered.connect(lambda: files.open_for_request(window.selected_pk()))
    for action in (find, current):
        menu.addAction(action)
        window.addAction(action)  # the shortcut works with the menu bar hidden
    window.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    window.table.customContextMenuRequested.connect(files.context_menu)
    window.detail.citizenRequested.connect(files.open_for_request)
    return files


def duplicate_hooks(window: MainWindow) -> DuplicateHooks:
    """For « Nouvelle demande » and « Appel téléphonique »: the duplicate check on the window's
    base, and the citizen's file opened by the window's workspace (when installed)."""
    conn = window._repo.connection  # noqa: SLF001

    def open_file(pk: int) -> object:
        files = getattr(window, "citizens", None)
        return files.open_citizen(pk) if isinstance(files, CitizenFiles) else None

    return DuplicateHooks(
        find=lambda authority, citizen, exclude: find_duplicates(
            conn, authority, citizen, exclude_pk=exclude
        ),
        match=lambda pk: citizen_match(conn, pk),
        open=open_file,
    )
