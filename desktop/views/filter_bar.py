"""The search box and the filters above the bannette; emits one InboxFilter per change.

Typing is debounced a little (a fast typist's keystrokes are ~100 ms apart) so the query runs
for what was meant, not for every intermediate letter.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from desktop.store.inbox import Choice, InboxFilter
from sync.protocol.vocabulary import CHANNEL_LABELS, STATUS_LABELS, Channel, Status

#: The assignment filter's entries: key (see ``FilterBar.set_assignment``) and label.
ASSIGNMENT_CHOICES = (("all", "Toutes"), ("mine", "Mes demandes"), ("service", "Mon service"))

SEARCH_DELAY_MS = 120
#: The width of a drop-down's arrow and margins, beside its text.
MENU_ARROW_PX = 30


class ChoiceButton(QToolButton):
    """A drop-down of checkable choices: "Statut" becomes "Statut (2)" when two are ticked."""

    changed = Signal()

    def __init__(self, title: str, choices: Iterable[Choice], parent: QWidget | None = None):
        super().__init__(parent)
        self._title = title
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setObjectName(f"filter-{title}")
        # Never squeezed below its text (« Statut (2) »): the search box gives way first.
        self.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        self.setMenu(QMenu(self))
        self._actions: list[QAction] = []
        self._fill(choices, ())

    def _fill(self, choices: Iterable[Choice], ticked: Iterable[object]) -> None:
        menu = self.menu()
        wanted = set(ticked)
        for action in self._actions:
            menu.removeAction(action)
            action.deleteLater()
        self._actions = []
        for choice in choices:
            action = QAction(choice.label, menu)
            action.setCheckable(True)
            action.setData(choice.key)
            action.setChecked(choice.key in wanted)
            action.toggled.connect(self._on_toggled)
            menu.addAction(action)
            self._actions.append(action)
        self._update_text()

    def set_choices(self, choices: Iterable[Choice]) -> bool:
        """New list (a sync brought a commune or a démarche); what was ticked stays ticked if
        it is still there. Returns whether the selection changed (then ``changed`` fired)."""
        choices = list(choices)
        if [(c.key, c.label) for c in choices] == [(a.data(), a.text()) for a in self._actions]:
            return False
        before = self.selected()
        self._fill(choices, before)
        if self.selected() == before:
            return False
        self.changed.emit()
        return True

    def actions_list(self) -> list[QAction]:
        return list(self._actions)

    def selected(self) -> list[object]:
        return [a.data() for a in self._actions if a.isChecked()]

    def set_selected(self, keys: Iterable[object]) -> None:
        wanted = set(keys)
        for action in self._actions:
            action.blockSignals(True)
            action.setChecked(action.data() in wanted)
            action.blockSignals(False)
        self._update_text()
        self.changed.emit()

    def _on_toggled(self) -> None:
        self._update_text()
        self.changed.emit()

    def _update_text(self) -> None:
        count = len(self.selected())
        self.setText(f"{self._title} ({count})" if count else self._title)
        # Room for the text and the menu arrow, which Qt's size hint leaves out (the text was
        # elided to « Sta…(2) »).
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance(self.text()) + MENU_ARROW_PX)


class FilterBar(QWidget):
    filterChanged = Signal(object)  # InboxFilter
    #: Down in the search box: the user goes on to the list below (the window moves there).
    listRequested = Signal()

    def __init__(
        self,
        authorities: list[Choice],
        procedures: list[Choice],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.search = QLineEdit(self)
        self.search.setObjectName("search")
        self.search.setPlaceholderText(
            "Rechercher : numéro, usager, objet, texte, pièce jointe… (Ctrl+F)"
        )
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(320)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DELAY_MS)
        self._debounce.timeout.connect(self._emit)
        self.search.textChanged.connect(lambda _text: self._debounce.start())
        self.search.returnPressed.connect(self.apply_now)
        self.search.installEventFilter(self)

        self.statuses = ChoiceButton(
            "Statut", [Choice(s.value, STATUS_LABELS[s]) for s in Status], self
        )
        self.channels = ChoiceButton(
            "Canal", [Choice(c.value, CHANNEL_LABELS[c]) for c in Channel], self
        )
        self.authorities = ChoiceButton("Commune", authorities, self)
        self.procedures = ChoiceButton("Démarche", procedures, self)
        self.overdue = QCheckBox("En retard", self)
        self.due_this_week = QCheckBox("À échéance cette semaine", self)
        self.assignment = QComboBox(self)
        self.assignment.setObjectName("assignment-filter")
        for key, label in ASSIGNMENT_CHOICES:
            self.assignment.addItem(label, key)
        self.assignment.setToolTip(
            "Toutes les demandes (Alt+1), celles qui vous sont attribuées (Alt+2) "
            "ou à l'un de vos services (Alt+3)"
        )
        self.not_acknowledged = QCheckBox("Non accusées", self)
        self.reset = QPushButton("Réinitialiser", self)
        self.reset.setToolTip("Effacer la recherche et tous les filtres")
        self.reset.clicked.connect(self.clear)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.search, 3)
        for widget in (
            self.statuses,
            self.channels,
            self.authorities,
            self.procedures,
            self.overdue,
            self.due_this_week,
            self.assignment,
            self.not_acknowledged,
            self.reset,
        ):
            layout.addWidget(widget)
        for button in (self.statuses, self.channels, self.authorities, self.procedures):
            button.changed.connect(self._emit)
        for box in (self.overdue, self.due_this_week, self.not_acknowledged):
            box.toggled.connect(self._emit)
        self.assignment.currentIndexChanged.connect(lambda _index: self._emit())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if (
            watched is self.search
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Down
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
        ):
            self.apply_now()  # the list below shows what was typed, not what was typed before
            self.listRequested.emit()
            return True
        return super().eventFilter(watched, event)

    def current(self) -> InboxFilter:
        return InboxFilter(
            statuses=frozenset(Status(str(v)) for v in self.statuses.selected()),
            channels=frozenset(Channel(str(v)) for v in self.channels.selected()),
            authority_pks=frozenset(int(v) for v in self.authorities.selected()),  # type: ignore[call-overload]
            procedure_pks=frozenset(int(v) for v in self.procedures.selected()),  # type: ignore[call-overload]
            overdue=self.overdue.isChecked(),
            due_this_week=self.due_this_week.isChecked(),
            assigned_to_me=self.assignment.currentData() == "mine",
            not_acknowledged=self.not_acknowledged.isChecked(),
            search=self.search.text(),
            my_services=self.assignment.currentData() == "service",
        )

    def set_assignment(self, key: str) -> None:
        """« Toutes » (``all``), « Mes demandes » (``mine``), « Mon service » (``service``):
        part of the filter's state (``InboxFilter.assigned_to_me`` / ``my_services``)."""
        index = self.assignment.findData(key)
        if index >= 0:
            self.assignment.setCurrentIndex(index)

    def set_lists(self, authorities: list[Choice], procedures: list[Choice]) -> None:
        """The commune and démarche menus follow the local store (after a sync)."""
        self.authorities.set_choices(authorities)
        self.procedures.set_choices(procedures)

    def apply_now(self) -> None:
        """Skip the typing delay (Enter in the search box, tests)."""
        self._debounce.stop()
        self._emit()

    def clear(self) -> None:
        self.set_filter(InboxFilter())

    def set_filter(self, flt: InboxFilter) -> None:
        """Shows ``flt`` in the widgets (a saved view, « Réinitialiser ») and applies it once."""
        buttons = {
            self.statuses: [s.value for s in flt.statuses],
            self.channels: [c.value for c in flt.channels],
            self.authorities: list(flt.authority_pks),
            self.procedures: list(flt.procedure_pks),
        }
        boxes = {
            self.overdue: flt.overdue,
            self.due_this_week: flt.due_this_week,
            self.not_acknowledged: flt.not_acknowledged,
        }
        assignment = "mine" if flt.assigned_to_me else "service" if flt.my_services else "all"
        widgets: list[QWidget] = [*buttons, *boxes, self.search, self.assignment]
        for w in widgets:
            w.blockSignals(True)
        for button, keys in buttons.items():
            button.set_selected(keys)
        for box, checked in boxes.items():
            box.setChecked(checked)
        self.set_assignment(assignment)
        self.search.setText(flt.search)
        for w in widgets:
            w.blockSignals(False)
        self.apply_now()

    def _emit(self) -> None:
        self.filterChanged.emit(self.current())
