"""The audit trail as a table, fetched from the server page by page.

The server holds the trail (append-only, every PC's reads) and pages it in SQL (``LIMIT`` /
``OFFSET`` over the ``(authority_id, at)`` index); this model asks for the next page only when
the view scrolls near the end (``canFetchMore`` / ``fetchMore``, as qutebrowser's completion
does), off the GUI thread through ``Online``. Rows are kept as the server sent them; their
texts are computed once per row by ``Names`` (the local database gives names to ids).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from desktop.services.rgpd import CSV_HEADERS, PAGE, Names, Online, failure_text
from sync.audit_query import AuditQuery
from sync.protocol.wire import AuditEntryRow, AuditPage

if TYPE_CHECKING:
    from sync.client import ApiClient

Index = QModelIndex | QPersistentModelIndex


class AuditTrailModel(QAbstractTableModel):
    #: The number of entries matching the filters (known after the first page).
    totalChanged = Signal(int)
    #: A French message: the server refused or could not be reached.
    failed = Signal(str)

    def __init__(self, online: Online, names: Names, *, columns: tuple[int, ...] | None = None,
                 page: int = PAGE, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._online = online
        self._names = names
        self._columns = columns or tuple(range(len(CSV_HEADERS)))
        self._page = page
        self._query = AuditQuery()
        self._rows: list[AuditEntryRow] = []
        self._cells: list[tuple[str, ...]] = []
        self._total = 0
        self._loading = False
        #: Bumped at each new query: a page asked for an older query is dropped on arrival.
        self._generation = 0

    # --- queries ----------------------------------------------------------------------------
    @property
    def query(self) -> AuditQuery:
        return self._query

    @property
    def total(self) -> int:
        return self._total

    @property
    def loading(self) -> bool:
        return self._loading

    def set_query(self, query: AuditQuery) -> None:
        """New filters: the list empties and the first page is asked for."""
        self.beginResetModel()
        self._query = query
        self._rows, self._cells, self._total = [], [], 0
        self._generation += 1
        self._loading = False
        self.endResetModel()
        self._fetch()

    def refresh(self) -> None:
        self.set_query(self._query)

    def _fetch(self) -> None:
        self._loading = True
        generation, query, offset, size = self._generation, self._query, len(self._rows), \
            self._page

        def call(client: ApiClient) -> AuditPage:
            from sync.rgpd_calls import fetch_audit  # the network stack, on the worker's thread

            return fetch_audit(client, query, offset, size)

        self._online.run(call, lambda page: self._arrived(generation, page),
                         lambda exc: self._refused(generation, exc))

    def _arrived(self, generation: int, page: AuditPage) -> None:
        if generation != self._generation:
            return
        self._loading = False
        told = bool(self._rows)  # after the first page, only a change of total is news
        if page.items:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page.items) - 1)
            self._rows.extend(page.items)
            self._cells.extend(self._names.cells(e) for e in page.items)
            self.endInsertRows()
        if page.total != self._total or not told:
            self._total = page.total
            self.totalChanged.emit(page.total)

    def _refused(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self._loading = False
            self.failed.emit(failure_text(exc))

    # --- Qt model ---------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._columns)

    def canFetchMore(self, parent: Index) -> bool:  # noqa: N802
        return (not parent.isValid() and not self._loading
                and len(self._rows) < self._total)

    def fetchMore(self, parent: Index) -> None:  # noqa: N802
        if self.canFetchMore(parent):
            self._fetch()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._cells[index.row()][self._columns[index.column()]]
        if role == Qt.ItemDataRole.UserRole:
            return self._rows[index.row()]
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self._columns)):
            return CSV_HEADERS[self._columns[section]]
        return None

    def entry(self, row: int) -> AuditEntryRow:
        return self._rows[row]
