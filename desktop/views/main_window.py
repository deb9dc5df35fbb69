"""The main window: filters on top, the bannette on the left, the selected request on the right."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QObject,
    QSettings,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QStyle,
    QSystemTrayIcon,
    QTableView,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.legal_time import as_instant, legal_today, wall_clock
from desktop.models.inbox_model import InboxModel
from desktop.services.deadlines import DeadlineService
from desktop.services.letters import LetterService
from desktop.services.tasks import TaskRunner
from desktop.store.database import StoreError, database_file
from desktop.store.inbox import Column, InboxFilter, InboxRepository, InboxSort
from desktop.store.legal import DeadlineSection
from desktop.store.saved_views import SavedView
from desktop.views.admin.menu import install_admin, refresh_admin_menu
from desktop.views.citizen.install import install_citizens
from desktop.views.dashboard import install_dashboard
from desktop.views.deadlines_view import DeadlinesView
from desktop.views.detail_pane import DetailPane
from desktop.views.filter_bar import FilterBar
from desktop.views.formatting import requests_count
from desktop.views.help import install_help
from desktop.views.help.template_fields import install_template_fields_help
from desktop.views.intake_dialog import install_intake
from desktop.views.notifier import DailyNotifier
from desktop.views.parapheur.mode import install_official_desk
from desktop.views.phone_call_dialog import install_phone_calls
from desktop.views.reply.flow import install_replies
from desktop.views.request_actions import RequestActions
from desktop.views.rgpd import install_rgpd
from desktop.views.saved_views import install_saved_views
from desktop.views.tall_tabs import give_accents_room
from desktop.views.teamwork.flow import install_teamwork
from desktop.views.thread import install_thread

#: How often the window checks whether the day changed (implicit decisions, notification).
DAY_CHECK_MS = 60_000

#: Starting widths in pixels; the user's own widths are restored from the settings.
#: The longest reference the number column shows whole (commune code + provisional number).
WIDEST_REFERENCE = "00000-P-2026-0000"
COLUMN_WIDTHS: dict[Column, int] = {
    Column.NUMBER: 95,
    Column.RECEIVED: 136,
    Column.CHANNEL: 100,
    Column.CITIZEN: 150,
    Column.SUBJECT: 195,
    Column.PROCEDURE: 150,
    Column.AUTHORITY: 95,
    Column.STATUS: 110,
    Column.DUE: 150,
    Column.ASSIGNEE: 130,
}


class InboxTable(QTableView):
    """The bannette table; Enter opens the selected request in its own window."""

    openRequested = Signal(int)  # row

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inbox")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Several requests at once for « Attribuer… » (Ctrl+clic, Maj+clic).
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
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

    def selectRow(self, row: int) -> None:  # noqa: N802 - Qt's name
        """Selects that one row, whatever modifier keys Qt believes held (with several rows
        selectable, Qt's own would extend or toggle the selection under Ctrl or Maj)."""
        flags = (QItemSelectionModel.SelectionFlag.ClearAndSelect
                 | QItemSelectionModel.SelectionFlag.Rows)
        self.selectionModel().setCurrentIndex(self.model().index(row, 0), flags)

    def keyPressEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        key = event.key()  # type: ignore[attr-defined]
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.openRequested.emit(self.currentIndex().row())
            return
        super().keyPressEvent(event)  # type: ignore[arg-type]


class DetailDialog(QDialog):
    """One request in its own window (Enter); its pane mirrors the main one's attachments and
    calls, and its « Ouvrir » / « Télécharger » links act the same."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(720, 760)
        self.pane = pane = DetailPane(self)
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
        today: Callable[[], date] = legal_today,
        now: Callable[[], datetime] | None = None,
        title_suffix: str = "",
        letters: LetterService | None = None,
        deadlines: DeadlineService | None = None,
        tasks: TaskRunner | None = None,
        open_url: Callable[[QUrl], object] = QDesktopServices.openUrl,
    ) -> None:
        super().__init__()
        self._repo = repository
        self.open_url = open_url  # attachments and letters open files with the same opener
        self._settings = settings
        self._today = today
        #: The app's clock, an aware instant: what the agent records (receipts, calls, letters)
        #: happens on the window's day at the time this clock shows in the commune. Without a
        #: clock, the window's day at the real time of day, so tests never mix their day with
        #: the PC's.
        self.now: Callable[[], datetime] = now or (
            lambda: as_instant(wall_clock(today(), None), None)
        )
        self.setObjectName("main-window")
        self.setWindowTitle(f"Bannette — demandes des usagers{title_suffix}")
        agent = repository.current_agent()
        self._agent_id = agent[0] if agent else None
        self.letters = letters or LetterService(repository.connection)
        self.deadlines = deadlines or DeadlineService(repository.connection)
        self.tasks = tasks or TaskRunner(self)
        # Silence that turned into a decision while the app was closed is recorded before the
        # first rows are read, so the bannette opens on the truth.
        self._day = today()
        self.implicit_decisions = self._record_implicit_decisions()

        self.model = InboxModel(repository, agent_id=self._agent_id, today=today, parent=self)
        self.filters = FilterBar(repository.authorities(), repository.procedures(), self)
        self.table = InboxTable(self)
        self.table.setModel(self.model)
        for column, width in COLUMN_WIDTHS.items():
            self.table.setColumnWidth(column, width)
        # The reference whole (« 57089-2026-000162 »), whatever the font's size.
        self.table.setColumnWidth(
            Column.NUMBER, self.table.fontMetrics().horizontalAdvance(WIDEST_REFERENCE) + 16
        )
        self.detail = DetailPane(self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("main-splitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([1190, 370])
        self.resize(1560, 900)

        inbox_page = QWidget(self)
        layout = QVBoxLayout(inbox_page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.filters)
        layout.addWidget(self.splitter, 1)
        self.deadlines_view = DeadlinesView(self.deadlines, self)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("tabs")
        self.tabs.setDocumentMode(True)
        give_accents_room(self.tabs.tabBar())
        self.tabs.addTab(inbox_page, "&Bannette")
        self.tabs.addTab(self.deadlines_view, "É&chéances")
        self.setCentralWidget(self.tabs)

        self.count_label = QLabel(self)
        self.count_label.setObjectName("count")
        self.busy_bar = QProgressBar(self)
        self.busy_bar.setObjectName("busy")
        self.busy_bar.setRange(0, 0)  # indeterminate: a conversion has no known length
        self.busy_bar.setMaximumWidth(140)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setVisible(False)
        self.statusBar().addPermanentWidget(self.busy_bar)
        self.statusBar().addPermanentWidget(self.count_label)
        if agent:
            self.statusBar().showMessage(f"Connectée : {agent[1]}")

        self.request_actions = RequestActions(
            self,
            self.letters,
            self.tasks,
            today=today,
            now=self.now,
            agent_id=self._agent_id,
            current_pk=self.selected_pk,
            open_url=open_url,
        )
        self.request_actions.requestChanged.connect(self.refresh_request)
        self.tasks.busyChanged.connect(self.busy_bar.setVisible)
        self.deadlines_view.requestActivated.connect(self.select_request)
        self.deadlines_view.countsChanged.connect(self._show_deadline_counts)
        self.tabs.currentChanged.connect(self._on_tab)
        self.tray: QSystemTrayIcon | None = None
        self.notifier = DailyNotifier(settings, self._notify)

        self.filters.filterChanged.connect(self.model.set_filter)
        self.filters.listRequested.connect(self.show_inbox)
        self.model.countChanged.connect(self._show_count)
        self.model.modelReset.connect(self._after_reset)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.table.openRequested.connect(self.open_detail_dialog)
        self._build_actions()
        self.new_request_action = install_intake(self)
        self.file_menu.insertAction(self.file_menu.actions()[0], self.new_request_action)
        self.phone_call_action = install_phone_calls(self)
        self.replies = install_replies(self)
        self.citizens = install_citizens(self)  # « Usagers », before « Administration »
        self.teamwork = install_teamwork(self)  # assign, notes, edit, services
        self.official_desk = install_official_desk(self)  # None unless an élu is logged in
        self.saved_views = install_saved_views(self)
        self.exchanges = install_thread(self)  # « Échanges avec l'usager », Écrire à l'usager
        self.dashboard = install_dashboard(self)  # « Tableau de bord », « Exporter la vue… »
        self.rgpd = install_rgpd(self)  # « RGPD » menu, reads of personal data traced
        self.admin_menu = install_admin(self)  # hidden unless an admin of a commune

        self.table.horizontalHeader().setSortIndicator(
            Column.RECEIVED, Qt.SortOrder.DescendingOrder
        )
        self._restore_layout()
        # The tree is filled when its tab is first shown; the tab title needs only the counts.
        self._deadlines_stale = True
        self._show_deadline_counts(self.deadlines.counts(self._day))
        self.request_actions.update()
        self.day_timer = QTimer(self)
        self.day_timer.setInterval(DAY_CHECK_MS)
        self.day_timer.timeout.connect(self.check_day)
        self.day_timer.start()

    # --- actions ----------------------------------------------------------------------------
    def _build_actions(self) -> None:
        self.file_menu = menu_file = self.menuBar().addMenu("&Fichier")
        menu_file.setObjectName("menu-file")
        letters_folder = QAction("Ouvrir le dossier des &courriers", self)
        letters_folder.setObjectName("action-letters-folder")
        letters_folder.setStatusTip("Les accusés et courriers produits, rangés par commune")
        letters_folder.triggered.connect(lambda: self.open_folder(self.letters.documents_root))
        data_folder = QAction("Ouvrir le dossier des &données", self)
        data_folder.setObjectName("action-data-folder")
        data_folder.setStatusTip("La base locale et les pièces jointes gardées sur ce poste")
        data_folder.triggered.connect(self._open_data_folder)
        quit_action = QAction("&Quitter", self)
        quit_action.setObjectName("action-quit")
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))  # StandardKey.Quit is empty on Windows
        quit_action.triggered.connect(self.close)
        for action in (letters_folder, data_folder):
            menu_file.addAction(action)
        menu_file.addSeparator()
        menu_file.addAction(quit_action)

        self.view_menu = menu_view = self.menuBar().addMenu("&Affichage")
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
        self.table_action.triggered.connect(self.show_inbox)
        self.deadlines_action = QAction("É&chéances", self)
        self.deadlines_action.setObjectName("action-deadlines")
        self.deadlines_action.setShortcut(QKeySequence("Ctrl+E"))
        self.deadlines_action.setStatusTip(
            "En retard, aujourd'hui, cette semaine, décisions implicites"
        )
        self.deadlines_action.triggered.connect(self.show_deadlines)
        for action in (
            self.search_action,
            self.reset_action,
            self.open_action,
            self.table_action,
            self.deadlines_action,
        ):
            menu_view.addAction(action)

        menu_request = self.menuBar().addMenu("&Demande")
        menu_request.setObjectName("menu-request")
        self.request_toolbar = QToolBar("Demande", self)
        self.request_toolbar.setObjectName("request-toolbar")
        self.request_toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.request_toolbar.setMovable(False)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.request_toolbar)
        self.request_actions.fill(menu_request, self.request_toolbar)

        install_help(self)  # last in the bar, whatever menus come after
        install_template_fields_help(self)

    def focus_search(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.filters.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filters.search.selectAll()

    def show_inbox(self) -> None:
        """Ctrl+L, or Down from the search box: the focus goes to the list and a row is
        selected (the first when none was), so the detail pane shows what the cursor is on."""
        self.tabs.setCurrentIndex(0)
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
        selection = self.table.selectionModel()
        if not selection.hasSelection() and self.model.rowCount() > 0:
            self.table.selectRow(0)
            self.table.scrollTo(self.model.index(0, 0))

    def show_deadlines(self) -> None:
        self.tabs.setCurrentWidget(self.deadlines_view)
        self.deadlines_view.focus_first_entry()

    def _on_tab(self, index: int) -> None:
        if self.tabs.widget(index) is self.deadlines_view and self._deadlines_stale:
            self.refresh_deadlines()

    def refresh_deadlines(self) -> None:
        """Re-read the deadlines now if they are on screen, else when their tab is shown."""
        if self.tabs.currentWidget() is self.deadlines_view:
            self.deadlines_view.refresh(self._today())
            self._deadlines_stale = False
        else:
            self._deadlines_stale = True
            self._show_deadline_counts(self.deadlines.counts(self._today()))

    def _show_deadline_counts(self, counts: dict[DeadlineSection, int]) -> None:
        urgent = counts[DeadlineSection.OVERDUE] + counts[DeadlineSection.TODAY]
        self.tabs.setTabText(1, f"É&chéances ({urgent})" if urgent else "É&chéances")

    def select_request(self, pk: int) -> None:
        """Show ``pk`` in the bannette, clearing the filters when they hide it."""
        self.tabs.setCurrentIndex(0)
        row = self.model.row_of(pk)
        if row is None:
            self.filters.clear()
            row = self.model.row_of(pk)
        if row is None:
            self.statusBar().showMessage("Cette demande n'est plus dans la bannette.", 5000)
            return
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtCenter)
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- the legal steps --------------------------------------------------------------------
    def refresh_request(self, pk: int) -> None:
        """A request changed in the store: its row, its detail, the actions, the deadlines."""
        self.model.refresh_rows({pk})
        if self.detail.shown_pk == pk:
            self._show(pk)
        self.request_actions.update()
        self.refresh_deadlines()

    def follow_current_agent(self) -> None:
        """The agent of the sync session is the one who works here from now on: the calls,
        requests and letters that follow bear their name, not the previous (demo) agent's."""
        agent = self._repo.current_agent()
        agent_id = agent[0] if agent else None
        if agent is None or agent_id == self._agent_id:
            return
        self._agent_id = agent_id
        self.request_actions.set_agent(agent_id)
        self.model.set_agent(agent_id)
        refresh_admin_menu(self)
        self.statusBar().showMessage(f"Connectée : {agent[1]}", 10_000)

    def data_arrived(self) -> None:
        """Rows came from the server (a sync): the communes and démarches may be new, the
        rows and the deadlines changed (implicit decisions included: the sync worker records
        them for requests this PC had not seen)."""
        self.filters.set_lists(self._repo.authorities(), self._repo.procedures())
        self.model.reload(data_changed=True)
        if self.detail.shown_pk is not None:
            self._show(self.detail.shown_pk)
        else:
            self.request_actions.update()
        self.refresh_deadlines()

    def _record_implicit_decisions(self) -> list[int]:
        try:
            return self.deadlines.record_implicit_decisions(self._day)
        except StoreError as exc:
            self.statusBar().showMessage(str(exc), 10_000)
            return []

    def check_day(self) -> None:
        """Called every minute: on a new day, record implicit decisions and notify once."""
        today = self._today()
        if today == self._day:
            return
        self._day = today
        marked = self._record_implicit_decisions()
        self.implicit_decisions = marked
        if marked:
            self.model.refresh_rows(set(marked))
            shown = self.detail.shown_pk
            if shown in marked:
                self._show(shown)
        self.refresh_deadlines()
        self.request_actions.update()
        self.notify_deadlines()

    def notify_deadlines(self) -> str | None:
        """The morning summary, at most once a day."""
        return self.notifier.notify(self._today(), self.deadlines.counts(self._today()))

    def _notify(self, title: str, text: str) -> None:
        if QSystemTrayIcon.isSystemTrayAvailable():
            if self.tray is None:
                self.tray = QSystemTrayIcon(self)
                self.tray.setIcon(
                    self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
                )
                self.tray.setToolTip("Bannette")
                self.tray.messageClicked.connect(self.show_deadlines)
                self.tray.show()
            self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 15_000)
        self.statusBar().showMessage(f"{title} : {text}", 60_000)

    def open_folder(self, folder: Path) -> bool:
        """Shows ``folder`` in the system's file manager; says where it is when none opens."""
        folder.mkdir(parents=True, exist_ok=True)
        if self.open_url(QUrl.fromLocalFile(str(folder))):
            return True
        QMessageBox.information(
            self, "Bannette", f"Aucun gestionnaire de fichiers n'a pu ouvrir le dossier :\n{folder}"
        )
        return False

    def _open_data_folder(self) -> None:
        path = database_file(self._repo.connection)
        if path is None:
            self.statusBar().showMessage("Base en mémoire : elle n'a pas de dossier.", 5000)
            return
        self.open_folder(path.parent)

    # --- selection and detail ---------------------------------------------------------------
    def _show_count(self, matching: int, total: int) -> None:
        self.count_label.setText(requests_count(matching, total))

    def _after_reset(self) -> None:
        """Keep the same request selected across a new filter or sort when it still matches."""
        shown = self.detail.shown_pk
        row = self.model.row_of(shown) if shown is not None else None
        if row is None:
            self.detail.show_detail(None, None, self._today())
            self.request_actions.update(None)
            return
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))

    def _on_selection(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        pk = self.model.pk_at(indexes[0].row()) if indexes else None
        if pk == self.detail.shown_pk:
            return
        self._show(pk)

    def _show(self, pk: int | None) -> None:
        """Detail and legal dates of ``pk`` (or nothing), and the actions it allows."""
        detail = self._repo.detail(pk) if pk is not None else None
        legal = None
        if detail is not None and pk is not None:
            legal = self.letters.legal_dates(pk, self._today())
        self.detail.show_detail(pk, detail, self._today(), legal)
        self.request_actions.update(pk if detail is not None else None)

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
        legal = self.letters.legal_dates(pk, self._today()) if pk is not None else None
        dialog = DetailDialog(f"Demande {detail.row.reference}", self)
        dialog.pane.mirror(self.detail)
        dialog.pane.show_detail(pk, detail, self._today(), legal)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    # --- what the bannette shows ------------------------------------------------------------
    @property
    def repository(self) -> InboxRepository:
        return self._repo

    @property
    def agent_id(self) -> str | None:
        """The agent working on this PC (None in a store nobody logged in to)."""
        return self._agent_id

    def current_view(self) -> tuple[InboxFilter, InboxSort]:
        """The search, filters and sort the bannette shows now (what a saved view keeps)."""
        header = self.table.horizontalHeader()
        descending = header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
        return self.filters.current(), InboxSort(Column(header.sortIndicatorSection()), descending)

    def apply_view(self, view: SavedView | None) -> None:
        """Brings back a saved view (None: every request, newest first)."""
        flt, sort = (view.filter, view.sort) if view else (InboxFilter(), InboxSort())
        self.tabs.setCurrentIndex(0)
        order = Qt.SortOrder.DescendingOrder if sort.descending else Qt.SortOrder.AscendingOrder
        self.table.sortByColumn(sort.column, order)
        self.filters.set_filter(flt)

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
        self.day_timer.stop()
        self.replies.close()
        if self.tasks.busy:
            # A letter still being converted: let it finish and be recorded, rather than
            # leave a document on disk that the history does not mention.
            self.statusBar().showMessage("Fin de la production du courrier en cours…")
            self.tasks.wait_for_done(120_000)
            QApplication.processEvents()
        if self.tray is not None:
            self.tray.hide()
        super().closeEvent(event)
