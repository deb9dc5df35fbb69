"""« Échéances »: what is overdue, due today, due this week, and silence about to decide.

A tree of four sections, each listing its requests, the most urgent first. Enter or a double
click on a request selects it in the bannette. The rows come from the store's SQL through the
deadline service; this widget only lays them out.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from desktop.domain.due import SHORT_LABELS, DueKind, describe
from desktop.domain.french import format_short_date_fr
from desktop.services.deadlines import SECTION_TITLES, DeadlineService
from desktop.store.legal import DeadlineEntry, DeadlineSection
from sync.protocol.vocabulary import OUTCOME_LABELS, STATUS_LABELS

PK_ROLE = Qt.ItemDataRole.UserRole
HEADERS = ("Échéance", "Motif", "Numéro", "Usager", "Objet", "Commune", "Statut")
WIDTHS = (150, 60, 100, 240, 320, 115, 200)
#: Requests listed per section; beyond, a line gives the count (the bannette's filters list all).
MAX_ENTRIES = 300
#: The bannette filter that shows a whole section, named in the « … et N autres » line.
SECTION_FILTERS: dict[DeadlineSection, str] = {
    DeadlineSection.OVERDUE: "« En retard »",
    DeadlineSection.TODAY: "« À échéance cette semaine »",
    DeadlineSection.THIS_WEEK: "« À échéance cette semaine »",
    DeadlineSection.IMPLICIT_SOON: "« À échéance cette semaine »",
}
SECTION_COLOURS: dict[DeadlineSection, str] = {
    DeadlineSection.OVERDUE: "#842029",
    DeadlineSection.TODAY: "#664d03",
    DeadlineSection.THIS_WEEK: "#0f5132",
    DeadlineSection.IMPLICIT_SOON: "#084298",
}


class DeadlinesView(QTreeWidget):
    """The four sections; ``requestActivated(pk)`` when the secrétaire opens an entry."""

    requestActivated = Signal(int)
    #: Emitted after each refresh with the section counts.
    countsChanged = Signal(object)

    def __init__(self, service: DeadlineService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("deadlines")
        self._service = service
        self.setColumnCount(len(HEADERS))
        self.setHeaderLabels(list(HEADERS))
        self.setRootIsDecorated(True)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate(WIDTHS):
            self.setColumnWidth(column, width)
        self.sections: dict[DeadlineSection, QTreeWidgetItem] = {}
        self.itemActivated.connect(self._on_activated)

    def refresh(self, today: date) -> dict[DeadlineSection, int]:
        """Re-read every section; keeps the current request selected when still listed."""
        current = self.current_pk()
        self.clear()
        self.sections.clear()
        counts: dict[DeadlineSection, int] = {}
        bold = QFont(self.font())
        bold.setBold(True)
        select: QTreeWidgetItem | None = None
        totals = self._service.counts(today)
        for section in DeadlineSection:
            entries = self._service.entries(section, today, MAX_ENTRIES)
            counts[section] = totals[section]
            top = QTreeWidgetItem(self, [f"{SECTION_TITLES[section]} ({totals[section]})"])
            top.setFirstColumnSpanned(True)
            top.setFont(0, bold)
            top.setForeground(0, QBrush(QColor(SECTION_COLOURS[section])))
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.sections[section] = top
            for entry in entries:
                item = self._entry_item(top, entry)
                if entry.pk == current and select is None:
                    select = item
            if not entries:
                empty = QTreeWidgetItem(top, ["Rien"])
                empty.setFlags(Qt.ItemFlag.NoItemFlags)
            elif totals[section] > len(entries):
                more = totals[section] - len(entries)
                rest = QTreeWidgetItem(
                    top,
                    [
                        f"… et {more} autre{'s' if more > 1 else ''} : filtre "
                        f"{SECTION_FILTERS[section]} de la bannette"
                    ],
                )
                rest.setFirstColumnSpanned(True)
                rest.setFlags(Qt.ItemFlag.NoItemFlags)
            top.setExpanded(True)
        if select is not None:
            self.setCurrentItem(select)
        self.countsChanged.emit(counts)
        return counts

    def _entry_item(self, parent: QTreeWidgetItem, entry: DeadlineEntry) -> QTreeWidgetItem:
        kind = DueKind(entry.due_kind)
        status = STATUS_LABELS[entry.status]
        if entry.outcome:
            status += f" — {OUTCOME_LABELS[entry.outcome]}"
        item = QTreeWidgetItem(
            parent,
            [
                format_short_date_fr(entry.due_date),
                SHORT_LABELS[kind],
                entry.number,
                entry.citizen,
                entry.subject,
                entry.authority.removeprefix("Mairie de ").removeprefix("Mairie d'"),
                status,
            ],
        )
        item.setData(0, PK_ROLE, entry.pk)
        reason = describe(kind, entry.due_date)
        for column in range(len(HEADERS)):
            item.setToolTip(column, reason)
        return item

    def entry_pks(self, section: DeadlineSection) -> list[int]:
        top = self.sections[section]
        children = [top.child(i) for i in range(top.childCount())]
        pks = [child.data(0, PK_ROLE) for child in children if child is not None]
        return [int(pk) for pk in pks if pk is not None]

    def current_pk(self) -> int | None:
        item = self.currentItem()
        pk = item.data(0, PK_ROLE) if item is not None else None
        return int(pk) if pk is not None else None

    def _on_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        pk = item.data(0, PK_ROLE)
        if pk is not None:
            self.requestActivated.emit(int(pk))

    def focus_first_entry(self) -> None:
        """Put the keyboard on the first request listed, so arrows and Enter work at once."""
        self.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if self.current_pk() is not None:
            return
        for section in DeadlineSection:
            top = self.sections.get(section)
            first = top.child(0) if top is not None and top.childCount() else None
            if first is not None and first.data(0, PK_ROLE) is not None:
                self.setCurrentItem(first)
                return
