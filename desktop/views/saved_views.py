"""« Vues enregistrées »: the side list of an agent's usual searches, filters and sort.

A click (or Entrée, or Ctrl+1…Ctrl+9) brings a view back whole; « Toutes les demandes »
(Ctrl+0) clears everything. « Enregistrer la vue… » (Ctrl+Shift+V) keeps what the bannette
shows now under a name. The views are the agent's own, kept in the local store, so they are
there again after a restart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.store.saved_views import (
    SavedView,
    SavedViewError,
    delete_view,
    move_view,
    rename_view,
    save_view,
    saved_views,
    view_named,
)

if TYPE_CHECKING:
    from desktop.views.main_window import MainWindow

ALL_REQUESTS = "Toutes les demandes"
#: Views reachable by Ctrl+1 … Ctrl+9.
NUMBERED = 9
DOCK_WIDTH = 170


class SavedViewsPanel(QWidget):
    """The list and its buttons; the window applies what it emits."""

    viewChosen = Signal(object)  # SavedView, or None for « Toutes les demandes »
    #: A view was saved: the side list shows itself if it was hidden.
    shown = Signal()

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("saved-views")
        self._window = window
        self._conn = window.repository.connection
        self._agent = window.agent_id or ""
        self._views: list[SavedView] = []

        self.list = QListWidget(self)
        self.list.setObjectName("saved-views-list")
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.itemActivated.connect(self._activated)
        self.list.itemClicked.connect(self._activated)
        self.save_button = QPushButton("Enregistrer la &vue…", self)
        self.save_button.setObjectName("save-view")
        self.save_button.setToolTip(
            "Garder la recherche, les filtres et le tri actuels sous un nom (Ctrl+Maj+V)"
        )
        self.save_button.clicked.connect(self.save_current)
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.hint.setObjectName("saved-views-hint")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.hint)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)
        self.reload()

    # --- the list -----------------------------------------------------------------------------
    @property
    def views(self) -> list[SavedView]:
        return list(self._views)

    def reload(self, select_pk: int | None = None) -> None:
        self._views = saved_views(self._conn, self._agent)
        self.list.clear()
        everything = QListWidgetItem(ALL_REQUESTS, self.list)
        everything.setData(Qt.ItemDataRole.UserRole, None)
        everything.setToolTip("Effacer la recherche et tous les filtres (Ctrl+0)")
        for index, view in enumerate(self._views, start=1):
            item = QListWidgetItem(view.name, self.list)
            item.setData(Qt.ItemDataRole.UserRole, view.pk)
            shortcut = f" (Ctrl+{index})" if index <= NUMBERED else ""
            item.setToolTip(describe(view, self._window) + shortcut)
            if view.pk == select_pk:
                self.list.setCurrentItem(item)
        self.hint.setText(
            ""
            if self._views
            else "Choisissez une recherche, des filtres et un tri, puis « Enregistrer la vue… » "
            "pour les retrouver d'un clic."
        )

    def apply(self, index: int) -> None:
        """Brings back the view at ``index`` in the list (0: « Toutes les demandes »)."""
        if index < 0 or index > len(self._views):
            return
        self.list.setCurrentRow(index)
        self.viewChosen.emit(self._views[index - 1] if index else None)

    def _activated(self, item: QListWidgetItem) -> None:
        self.apply(self.list.row(item))

    def _selected_view(self) -> SavedView | None:
        item = self.list.currentItem()
        pk = item.data(Qt.ItemDataRole.UserRole) if item else None
        return next((v for v in self._views if v.pk == pk), None)

    # --- saving and editing ---------------------------------------------------------------------
    def save_current(self) -> SavedView | None:
        current = self._selected_view()
        name, ok = QInputDialog.getText(
            self,
            "Enregistrer la vue",
            "Nom de la vue (la recherche, les filtres et le tri actuels) :",
            QLineEdit.EchoMode.Normal,
            current.name if current else "",
        )
        if not ok:
            return None
        return self.save_as(name)

    def save_as(self, name: str, *, confirm_replace: bool = True) -> SavedView | None:
        flt, sort = self._window.current_view()
        existing = view_named(self._conn, self._agent, name)
        if existing is not None and confirm_replace:
            answer = QMessageBox.question(
                self,
                "Remplacer la vue",
                f"Une vue s'appelle déjà « {existing.name} ». La remplacer par la vue actuelle ?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return None
        try:
            view = save_view(self._conn, self._agent, name, flt, sort)
        except SavedViewError as exc:
            QMessageBox.warning(self, "Enregistrer la vue", str(exc))
            return None
        self.reload(select_pk=view.pk)
        self.shown.emit()
        self._window.statusBar().showMessage(f"Vue « {view.name} » enregistrée.", 5000)
        return view

    def rename(self, view: SavedView, name: str | None = None) -> None:
        if name is None:
            name, ok = QInputDialog.getText(
                self, "Renommer la vue", "Nouveau nom :", QLineEdit.EchoMode.Normal, view.name
            )
            if not ok:
                return
        try:
            rename_view(self._conn, self._agent, view.pk, name)
        except SavedViewError as exc:
            QMessageBox.warning(self, "Renommer la vue", str(exc))
            return
        self.reload(select_pk=view.pk)

    def delete(self, view: SavedView, *, confirm: bool = True) -> None:
        if confirm:
            answer = QMessageBox.question(
                self, "Supprimer la vue",
                f"Supprimer la vue « {view.name} » ? Les demandes ne changent pas.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        delete_view(self._conn, self._agent, view.pk)
        self.reload()

    def move(self, view: SavedView, step: int) -> None:
        move_view(self._conn, self._agent, view.pk, step)
        self.reload(select_pk=view.pk)

    def _context_menu(self, at: QPoint) -> None:
        item = self.list.itemAt(at)
        view = next(
            (v for v in self._views if item and v.pk == item.data(Qt.ItemDataRole.UserRole)), None
        )
        menu = QMenu(self)
        menu.addAction("Enregistrer la vue actuelle…", self.save_current)
        if view is not None:
            menu.addAction("Remplacer par la vue actuelle", lambda: self.save_as(view.name))
            menu.addAction("Renommer…", lambda: self.rename(view))
            menu.addAction("Monter", lambda: self.move(view, -1))
            menu.addAction("Descendre", lambda: self.move(view, 1))
            menu.addSeparator()
            menu.addAction("Supprimer…", lambda: self.delete(view))
        menu.exec(self.list.viewport().mapToGlobal(at))


def describe(view: SavedView, window: MainWindow) -> str:
    """The tooltip: what the view keeps, in words."""
    flt = view.filter
    parts = []
    if flt.search:
        parts.append(f"recherche « {flt.search} »")
    active = [
        label
        for label, on in (
            ("statuts", flt.statuses), ("canaux", flt.channels), ("communes", flt.authority_pks),
            ("démarches", flt.procedure_pks), ("en retard", flt.overdue),
            ("à échéance cette semaine", flt.due_this_week),
            ("assignées à moi", flt.assigned_to_me), ("non accusées", flt.not_acknowledged),
        )
        if on
    ]
    if active:
        parts.append("filtres : " + ", ".join(active))
    header = window.model.headerData(view.sort.column, Qt.Orientation.Horizontal)
    order = "décroissant" if view.sort.descending else "croissant"
    parts.append(f"tri par « {header} », {order}")
    text = "\n".join(parts)
    return text[:1].upper() + text[1:]


def install_saved_views(window: MainWindow) -> SavedViewsPanel:
    """The dock on the left of the bannette and its entries in the « Affichage » menu."""
    panel = SavedViewsPanel(window)
    dock = QDockWidget("Vues enregistrées", window)
    dock.setObjectName("saved-views-dock")
    dock.setWidget(panel)
    dock.setFeatures(
        QDockWidget.DockWidgetFeature.DockWidgetClosable
        | QDockWidget.DockWidgetFeature.DockWidgetMovable
    )
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    # Out of the way until there is a view to show (then as the user left it, restored with
    # the window's layout); saving one shows it.
    dock.setVisible(bool(panel.views))
    panel.shown.connect(dock.show)
    # Narrow: the bannette keeps the width (the user's own width comes back with the layout).
    window.resizeDocks([dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)
    panel.viewChosen.connect(window.apply_view)

    toggle = dock.toggleViewAction()
    toggle.setObjectName("action-saved-views")
    toggle.setText("&Vues enregistrées")
    toggle.setShortcut(QKeySequence("F9"))
    save = QAction("En&registrer la vue…", window)
    save.setObjectName("action-save-view")
    save.setShortcut(QKeySequence("Ctrl+Shift+V"))
    save.setStatusTip("Garder la recherche, les filtres et le tri actuels sous un nom")
    save.triggered.connect(panel.save_current)
    menu = window.view_menu
    menu.addSeparator()
    for action in (toggle, save):
        menu.addAction(action)
        window.addAction(action)
    for index in range(NUMBERED + 1):
        shortcut = QAction(window)
        shortcut.setObjectName(f"action-view-{index}")
        shortcut.setShortcut(QKeySequence(f"Ctrl+{index}"))
        shortcut.triggered.connect(lambda _checked=False, i=index: panel.apply(i))
        window.addAction(shortcut)
    return panel

