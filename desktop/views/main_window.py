"""The main window: filters on top, the bannette on the left, the selected request on the right."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QByteArray, QEvent, QItemSelection, QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.models.inbox_model import InboxModel
from desktop.store.inbox import Column, InboxRepository
from desktop.views.detail_pane import DetailPane
from desktop.views.filter_bar import FilterBar
from desktop.views.formatting import requests_count

#: Starting widths in pixels; the user's own widths are restored from the settings.
COLUMN_WIDTHS: dict[Column, int] = {
    Column.NUMBER: 95,
    Column.RECEIVED: 125,
    Column.CHANNEL: 105,
    Column.CITIZEN: 165,
    Column.SUBJECT: 240,
    Column.PROCEDURE: 170,
    Column.AUTHORITY: 105,
    Column.STATUS: 125,
    Column.DUE: 150,
}


class InboxTable(QTableView):
    """The bannette table; Enter opens the selected request in its own window."""

    openRequested = Signal(int)  # row

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inbox")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.setSortingEnabled(True)
        self.setWordWrap(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.verticalHeader()
        vertical.setVisible(False)
        # A fixed row height lets Qt place 100,000 rows without measuring any of them.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setHighlightSections(False)
        self.activated.connect(lambda index: self.openRequested.emit(index.row()))

    def keyPressEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        key = event.key()  # type: ignore[attr-defined]
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.openRequested.emit(self.currentIndex().row())
            return
        super().keyPressEvent(event)  # type: ignore[arg-type]


class DetailDialog(QDialog):
    def __init__(self, title: str, html: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(720, 760)
        pane = DetailPane(self)
        pane.setHtml(html)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(pane)
        layout.addWidget(buttons)


class FirstPaintProbe(QObject):
    """Calls back once the table has painted rows: how the start-up benchmark knows we're ready."""

    def __init__(self, callback: Callable[[], None]) -> None:
        super().__init__()
        self._callback: Callable[[], None] | None = callback

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint and self._callback is not None:
            callback, self._callback = self._callback, None
            callback()
        return False


class MainWindow(QMainWindow):
    def __init__(
        self,
        repository: InboxRepository,
        settings: QSettings,
        *,
        today: Callable[[], date] = date.today,
        title_suffix: str = "",
    ) -> None:
        super().__init__()
        self._repo = repository
        self._settings = settings
        self._today = today
        self.setObjectName("main-window")
        self.setWindowTitle(f"Bannette — demandes des usagers{title_suffix}")
        agent = repository.current_agent()
        self._agent_id = agent[0] if agent else None

        self.model = InboxModel(repository, agent_id=self._agent_id, today=today, parent=self)
        self.filters = FilterBar(repository.authorities(), repository.procedures(), self)
        self.table = InboxTable(self)
        self.table.setModel(self.model)
        for column, width in COLUMN_WIDTHS.items():
            self.table.setColumnWidth(column, width)
        self.detail = DetailPane(self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("main-splitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([1100, 420])
        self.resize(1560, 900)

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.filters)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        self.count_label = QLabel(self)
        self.count_label.setObjectName("count")
        self.statusBar().addPermanentWidget(self.count_label)
        if agent:
            self.statusBar().showMessage(f"Connectée : {agent[1]}")

        self.filters.filterChanged.connect(self.model.set_filter)
        self.model.countChanged.connect(self._show_count)
        self.model.modelReset.connect(self._after_reset)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.table.openRequested.connect(self.open_detail_dialog)
        self._build_actions()

        self.table.horizontalHeader().setSortIndicator(
            Column.RECEIVED, Qt.SortOrder.DescendingOrder
        )
        self._restore_layout()

    # --- actions ----------------------------------------------------------------------------
    def _build_actions(self) -> None:
        menu_file = self.menuBar().addMenu("&Fichier")
        quit_action = QAction("&Quitter", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        menu_file.addAction(quit_action)

        menu_view = self.menuBar().addMenu("&Affichage")
        self.search_action = QAction("&Rechercher", self)
        self.search_action.setShortcut(QKeySequence.StandardKey.Find)
        self.search_action.triggered.connect(self.focus_search)
        self.reset_action = QAction("Réinitialiser les &filtres", self)
        self.reset_action.setShortcut(QKeySequence("Ctrl+Shift+R"))
        self.reset_action.triggered.connect(self.filters.clear)
        self.open_action = QAction("&Ouvrir la demande", self)
        self.open_action.setShortcut(QKeySequence("Ctrl+O"))
        self.open_action.triggered.connect(self._open_current)
        self.table_action = QAction("Aller à la &liste", self)
        self.table_action.setShortcut(QKeySequence("Ctrl+L"))
        self.table_action.triggered.connect(self.table.setFocus)
        for action in (self.search_action, self.reset_action, self.open_action, self.table_action):
            menu_view.addAction(action)

        menu_help = self.menuBar().addMenu("&Aide")
        about = QAction("À &propos", self)
        about.triggered.connect(self._about)
        menu_help.addAction(about)

    def focus_search(self) -> None:
        self.filters.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filters.search.selectAll()

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "À propos de Bannette",
            "<p><b>Bannette</b> — traitement des demandes des usagers pour les mairies.</p>"
            "<p>Logiciel libre sous licence AGPL-3.0-or-later.</p>",
        )

    # --- selection and detail ---------------------------------------------------------------
    def _show_count(self, matching: int, total: int) -> None:
        self.count_label.setText(requests_count(matching, total))

    def _after_reset(self) -> None:
        """Keep the same request selected across a new filter or sort when it still matches."""
        shown = self.detail.shown_pk
        row = self.model.row_of(shown) if shown is not None else None
        if row is None:
            self.detail.show_detail(None, None, self._today())
            return
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))

    def _on_selection(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        pk = self.model.pk_at(indexes[0].row()) if indexes else None
        if pk == self.detail.shown_pk:
            return
        detail = self._repo.detail(pk) if pk is not None else None
        self.detail.show_detail(pk, detail, self._today())

    def selected_pk(self) -> int | None:
        index = self.table.currentIndex()
        return self.model.pk_at(index.row()) if index.isValid() else None

    def _open_current(self) -> None:
        index = self.table.currentIndex()
        if index.isValid():
            self.open_detail_dialog(index.row())

    def open_detail_dialog(self, row: int) -> DetailDialog | None:
        pk = self.model.pk_at(row)
        detail = self._repo.detail(pk) if pk is not None else None
        if detail is None:
            return None
        from desktop.views.detail_pane import render_detail

        dialog = DetailDialog(
            f"Demande {detail.row.number}", render_detail(detail, self._today()), self
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    # --- layout remembered between runs -----------------------------------------------------
    def _restore_layout(self) -> None:
        for key, restore in (
            ("window/geometry", self.restoreGeometry),
            ("window/state", self.restoreState),
            ("window/splitter", self.splitter.restoreState),
            ("window/header", self.table.horizontalHeader().restoreState),
        ):
            value = self._settings.value(key)
            if isinstance(value, QByteArray | bytes):
                restore(QByteArray(value))
        header = self.table.horizontalHeader()
        self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())

    def save_layout(self) -> None:
        self._settings.setValue("window/geometry", self.saveGeometry())
        self._settings.setValue("window/state", self.saveState())
        self._settings.setValue("window/splitter", self.splitter.saveState())
        self._settings.setValue("window/header", self.table.horizontalHeader().saveState())
        self._settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.save_layout()
        super().closeEvent(event)
