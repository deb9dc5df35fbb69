"""The commune's procedures catalogue as a Qt table (« Administration › Démarches »).

A few dozen rows read whole from the store: no lazy loading needed. Retired procedures stay
listed, greyed, with « retirée »: they are kept on the requests that use them.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from desktop.models.row_list import RowListModel
from desktop.store.commune_admin import ProcedureEntry
from desktop.views.detail_pane import UNIT_LABELS
from sync.protocol.vocabulary import SILENCE_RULE_LABELS, SilenceRule

HEADERS = ("Démarche", "Code", "Silence de l'administration", "Délai", "Demandes", "État")
RETIRED_COLOUR = QColor("#6c757d")


def period_text(period: int, unit: str) -> str:
    """« 2 mois », « 1 semaine », « 15 jours »."""
    singular, plural = UNIT_LABELS.get(unit, ("", ""))
    return f"{period} {singular if period == 1 else plural}".strip()


class ProceduresModel(RowListModel[ProcedureEntry]):
    headers = HEADERS

    def __init__(self, entries: list[ProcedureEntry] | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.set_rows(entries or [])

    def entry(self, row: int) -> ProcedureEntry | None:
        return self.row(row)

    def row_of(self, pk: int | None) -> int:
        return self.find(lambda e: e.pk == pk)

    def cell(self, entry: ProcedureEntry, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                entry.name, entry.code, SILENCE_RULE_LABELS[entry.silence_rule],
                "—" if entry.silence_rule is SilenceRule.NONE or entry.period < 1
                else period_text(entry.period, entry.unit.value), str(entry.in_use),
                "active" if entry.active else "retirée",
            )[column]
        if role == Qt.ItemDataRole.ForegroundRole and not entry.active:
            return QBrush(RETIRED_COLOUR)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 4:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and not entry.active:
            return "Retirée : n'est plus proposée à l'enregistrement, reste sur les demandes."
        return None
