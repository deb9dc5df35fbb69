"""The commune's procedures catalogue as a Qt table (« Administration › Démarches »).

A few dozen rows read whole from the store: no lazy loading needed. Retired procedures stay
listed, greyed, with « retirée »: they are kept on the requests that use them.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from desktop.store.commune_admin import ProcedureEntry
from desktop.views.detail_pane import UNIT_LABELS
from sync.protocol.vocabulary import SILENCE_RULE_LABELS, SilenceRule

HEADERS = ("Démarche", "Code", "Silence de l'administration", "Délai", "Demandes", "État")
RETIRED_COLOUR = QColor("#6c757d")
AnyIndex = QModelIndex | QPersistentModelIndex


def period_text(period: int, unit: str) -> str:
    """« 2 mois », « 1 semaine », « 15 jours »."""
    singular, plural = UNIT_LABELS.get(unit, ("", ""))
    return f"{period} {singular if period == 1 else plural}".strip()


class ProceduresModel(QAbstractTableModel):
    def __init__(self, entries: list[ProcedureEntry] | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._entries: list[ProcedureEntry] = list(entries or [])

    def set_entries(self, entries: list[ProcedureEntry]) -> None:
        self.beginResetModel()
        self._entries = list(entries)
        self.endResetModel()

    def entry(self, row: int) -> ProcedureEntry | None:
        return self._entries[row] if 0 <= row < len(self._entries) else None

    def row_of(self, pk: int | None) -> int:
        return next((i for i, e in enumerate(self._entries) if e.pk == pk), -1)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(  # noqa: N802 - Qt override
        self, section: int, orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(HEADERS)):
            return HEADERS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        entry = self.entry(index.row()) if index.isValid() else None
        if entry is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                entry.name, entry.code, SILENCE_RULE_LABELS[entry.silence_rule],
                "—" if entry.silence_rule is SilenceRule.NONE or entry.period < 1
                else period_text(entry.period, entry.unit.value), str(entry.in_use),
                "active" if entry.active else "retirée",
            )[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and not entry.active:
            return QBrush(RETIRED_COLOUR)
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 4:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and not entry.active:
            return "Retirée : n'est plus proposée à l'enregistrement, reste sur les demandes."
        return None
