"""The bannette as a Qt table model: an ordered list of ids, rows fetched as they are painted.

Holding 100,000 full rows in Python would cost hundreds of megabytes and seconds at start-up;
the id list costs under a megabyte and one indexed query. Rows are read in blocks around the
one being painted and kept in a bounded cache, so scrolling stays smooth.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from desktop.domain.due import SHORT_LABELS, DueKind, Urgency, describe, urgency
from desktop.domain.french import format_short_date_fr
from desktop.domain.legal_time import legal_today
from desktop.store.inbox import Column, InboxFilter, InboxRepository, InboxRow, InboxSort
from sync.protocol.vocabulary import CHANNEL_LABELS, OUTCOME_LABELS, STATUS_LABELS, Status

HEADERS: dict[Column, str] = {
    Column.NUMBER: "Numéro",
    Column.RECEIVED: "Reçue le",
    Column.CHANNEL: "Canal",
    Column.CITIZEN: "Usager",
    Column.SUBJECT: "Objet",
    Column.PROCEDURE: "Démarche",
    Column.AUTHORITY: "Commune",
    Column.STATUS: "Statut",
    Column.DUE: "Échéance",
    Column.ASSIGNEE: "Attribuée à",
}

URGENCY_COLOURS: dict[Urgency, tuple[str, str]] = {
    # background, foreground: readable in light themes, distinguishable without colour by text
    Urgency.OVERDUE: ("#f8d7da", "#842029"),
    Urgency.SOON: ("#fff3cd", "#664d03"),
    Urgency.FINE: ("#d1e7dd", "#0f5132"),
}

BLOCK = 100
CACHE_ROWS = 2000

Ptr = QModelIndex | QPersistentModelIndex

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_ROLES = frozenset({_DISPLAY, _TOOLTIP, _BACKGROUND, _FOREGROUND, _FONT})
_NUMBER_COLUMN = int(Column.NUMBER)
UNREAD_TIP = "Nouveau message de l'usager"
_DUE_COLUMN = int(Column.DUE)


@cache
def _unread_font() -> QFont:
    """A request with an incoming message not yet read here: bold, like an unread mail (made
    once the application exists: a QFont needs it)."""
    font = QFont()
    font.setBold(True)
    return font


@dataclass(frozen=True)
class _Painted:
    texts: tuple[str, ...]
    tooltip: str
    colours: tuple[QBrush, QBrush] | None
    unread: bool = False


class InboxModel(QAbstractTableModel):
    """Rows of the bannette in the order and subset the SQL query decides."""

    #: Emitted after every reload with (matching count, total count).
    countChanged = Signal(int, int)

    def __init__(
        self,
        repository: InboxRepository,
        *,
        agent_id: str | None = None,
        today: Callable[[], date] = legal_today,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._repo = repository
        self._agent_id = agent_id
        self._today = today
        self._filter = InboxFilter()
        self._sort = InboxSort()
        self._ids: list[int] = []
        self._cache: OrderedDict[int, InboxRow] = OrderedDict()
        self._painted: dict[int, _Painted] = {}
        self._total = 0
        self._loaded = False

    # --- what the view asks -----------------------------------------------------------------
    def rowCount(self, parent: Ptr = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Ptr = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(Column):
            return HEADERS[Column(section)]
        return None

    def data(self, index: Ptr, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called thousands of times per paint: plain int comparisons, precomputed cells.
        role = int(role)
        if role not in _ROLES or not index.isValid():
            return None
        row = index.row()
        if not 0 <= row < len(self._ids):
            return None
        painted = self._painted_at(row)
        if painted is None:
            return None
        column = index.column()
        if role == _DISPLAY:
            return painted.texts[column]
        if role == _FONT:
            return _unread_font() if painted.unread else None
        if column == _NUMBER_COLUMN and role == _TOOLTIP and painted.unread:
            return UNREAD_TIP
        if column != _DUE_COLUMN:
            return None
        if role == _TOOLTIP:
            return painted.tooltip
        if painted.colours is None:
            return None
        return painted.colours[0] if role == _BACKGROUND else painted.colours[1]

    def _paint(self, row: InboxRow) -> _Painted:
        """Everything the view will ask about a row, computed once when the row is fetched."""
        level = urgency(row.due_date, self._today(), row.department)
        colours = None
        if level in URGENCY_COLOURS:
            background, foreground = URGENCY_COLOURS[level]
            colours = (QBrush(QColor(background)), QBrush(QColor(foreground)))
        return _Painted(
            texts=tuple(self._display(row, column, level) for column in Column),
            tooltip=describe(row.due_kind, row.due_date),
            colours=colours,
            unread=row.unread,
        )

    def _display(self, row: InboxRow, column: Column, level: Urgency) -> str:
        if column == Column.NUMBER:
            return row.reference
        if column == Column.RECEIVED:
            return f"{format_short_date_fr(row.received_at.date())} {row.received_at:%H:%M}"
        if column == Column.CHANNEL:
            return CHANNEL_LABELS[row.channel]
        if column == Column.CITIZEN:
            return row.citizen
        if column == Column.SUBJECT:
            return row.subject
        if column == Column.PROCEDURE:
            return row.procedure
        if column == Column.AUTHORITY:
            return row.authority.removeprefix("Mairie de ").removeprefix("Mairie d'")
        if column == Column.STATUS:
            label = STATUS_LABELS[row.status]
            back = row.status == Status.DRAFTING and (row.parapheur or "").startswith("rejeté")
            if row.parapheur and (row.status == Status.AT_PARAPHEUR or back):
                return f"{label} — {row.parapheur}"
            return f"{label} — {OUTCOME_LABELS[row.outcome]}" if row.outcome else label
        if column == Column.ASSIGNEE:
            return row.assignee
        # Column.DUE
        if row.due_kind == DueKind.SUSPENDED:
            return "Suspendue"
        if row.due_date is None or row.due_kind is None:
            return ""
        prefix = "En retard · " if level == Urgency.OVERDUE else ""
        label = SHORT_LABELS[DueKind(row.due_kind)]
        return f"{prefix}{format_short_date_fr(row.due_date)} ({label})"

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(Column):
            return
        wanted = InboxSort(Column(column), order == Qt.SortOrder.DescendingOrder)
        if wanted == self._sort and self._loaded:
            return
        self._sort = wanted
        self.reload()

    # --- what the window asks ---------------------------------------------------------------
    def set_filter(self, flt: InboxFilter) -> None:
        if flt == self._filter:
            return
        unchanged = flt.same_results_as(self._filter)
        self._filter = flt
        if not unchanged:
            self.reload()

    def set_agent(self, agent_id: str | None) -> None:
        """« Mes demandes » now means the session agent's."""
        if agent_id != self._agent_id:
            self._agent_id = agent_id
            self.reload()

    @property
    def current_filter(self) -> InboxFilter:
        return self._filter

    @property
    def current_sort(self) -> InboxSort:
        return self._sort

    def reload(self, *, data_changed: bool = False) -> None:
        """Re-run the id query; rows are re-read lazily as they are painted again.

        The total only changes with the data, not with a filter or a sort: pass
        ``data_changed`` after writes so it is counted again.
        """
        self.beginResetModel()
        self._ids = self._repo.ids(
            self._filter, self._sort, today=self._today(), agent_id=self._agent_id
        )
        self._cache.clear()
        self._painted.clear()
        if data_changed or not self._loaded:
            self._total = self._repo.total()
        self._loaded = True
        self.endResetModel()
        self.countChanged.emit(len(self._ids), self._total)

    def refresh_rows(self, pks: set[int]) -> None:
        """A few requests changed (a status, a sync): repaint them without a full reload."""
        for pk in pks:
            self._cache.pop(pk, None)
            self._painted.pop(pk, None)
        rows = [i for i, pk in enumerate(self._ids) if pk in pks]
        for r in rows:
            self.dataChanged.emit(self.index(r, 0), self.index(r, len(Column) - 1))

    def pk_at(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, pk: int) -> int | None:
        try:
            return self._ids.index(pk)
        except ValueError:
            return None

    @property
    def matching(self) -> int:
        return len(self._ids)

    @property
    def total(self) -> int:
        return self._total

    def row_at(self, row: int) -> InboxRow | None:
        pk = self._ids[row]
        cached = self._cache.get(pk)
        if cached is not None:
            self._cache.move_to_end(pk)
            return cached
        start = (row // BLOCK) * BLOCK
        block = self._ids[start : start + BLOCK]
        fetched = self._repo.rows(block)
        for key in block:
            if key in fetched:
                self._cache[key] = fetched[key]
                self._painted[key] = self._paint(fetched[key])
        while len(self._cache) > CACHE_ROWS:
            evicted, _row = self._cache.popitem(last=False)
            self._painted.pop(evicted, None)
        return fetched.get(pk)

    def _painted_at(self, row: int) -> _Painted | None:
        painted = self._painted.get(self._ids[row])
        if painted is None and self.row_at(row) is not None:
            painted = self._painted.get(self._ids[row])
        return painted
