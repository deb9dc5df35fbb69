"""Finding an existing citizen of the commune as the agent types: a search field and the list
of what it finds, shared by « Nouvelle demande » and « Appel téléphonique » so both behave the
same under the fingers.

↑/↓ in the field move in the list, Entrée takes the citizen (the first one when none is
chosen yet) rather than saving the form; the citizen chosen stays chosen while the text still
finds them. The search itself is a callable (``desktop.store.intake.find_citizens`` bound to
the window's connection): no SQL here.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QListWidget, QListWidgetItem

from desktop.store.intake import MIN_CITIZEN_SEARCH, CitizenMatch
from sync.protocol.vocabulary import CITIZEN_KIND_LABELS, CitizenKind

FindCitizens = Callable[[int, str], list[CitizenMatch]]


def describe_match(match: CitizenMatch) -> str:
    """Two lines per citizen found: the name, then enough to tell two « MARTIN » apart."""
    name = match.display_name
    if match.kind is not CitizenKind.PERSON:
        name += f" ({CITIZEN_KIND_LABELS[match.kind].lower()})"
    town = f"{match.postcode} {match.city}".strip()
    details = " · ".join(part for part in (match.email, match.phone, town) if part)
    return f"{name}\n{details}" if details else name


class CitizenSearch(QObject):
    """Drives ``search`` and ``matches``; ``authority`` says in which commune to look."""

    #: The citizen chosen may have changed (picked, or the list rebuilt).
    chosenChanged = Signal()
    #: Entrée in the search field: a citizen is taken, the form may move on.
    entered = Signal()

    def __init__(
        self,
        search: QLineEdit,
        matches: QListWidget,
        find: FindCitizens,
        authority: Callable[[], int | None],
        *,
        one_line: bool = False,
    ) -> None:
        super().__init__(search)
        self.search = search
        self.matches = matches
        self._find = find
        self._authority = authority
        #: One line per citizen where the list is short (the call log), two where it is tall.
        self._one_line = one_line
        # Long lines end in « … » rather than hiding behind a horizontal scroll bar.
        matches.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        matches.setAlternatingRowColors(True)
        search.setClearButtonEnabled(True)
        search.textChanged.connect(self.run)
        matches.currentItemChanged.connect(self.chosenChanged)
        search.installEventFilter(self)

    def searching(self) -> bool:
        """Whether enough is typed to look (a surname as short as « Ba » must be findable)."""
        return len(self.search.text().strip()) >= MIN_CITIZEN_SEARCH

    def chosen(self) -> CitizenMatch | None:
        item = self.matches.currentItem()
        if item is None or not item.isSelected():
            return None
        match = item.data(Qt.ItemDataRole.UserRole)
        return match if isinstance(match, CitizenMatch) else None

    def run(self) -> None:
        """Citizens of the commune matching the text; the one chosen stays chosen while it
        still matches."""
        chosen = self.chosen()
        authority = self._authority()
        found: list[CitizenMatch] = []
        if authority is not None and self.searching():
            found = self._find(authority, self.search.text())
        self.matches.blockSignals(True)
        self.matches.clear()
        for match in found:
            item = self._item(match)
            self.matches.addItem(item)
            if chosen is not None and match.pk == chosen.pk:
                self.matches.setCurrentItem(item)
        self.matches.blockSignals(False)
        self.chosenChanged.emit()

    def pick(self, match: CitizenMatch) -> None:
        """Searches for that citizen by name and chooses them, even when their name is too
        common to come in the first answers: a citizen chosen elsewhere stays the one."""
        self.search.setText(match.display_name)
        for row in range(self.matches.count()):
            found = self.matches.item(row).data(Qt.ItemDataRole.UserRole)
            if isinstance(found, CitizenMatch) and found.pk == match.pk:
                self.choose(row)
                return
        self.matches.insertItem(0, self._item(match))
        self.choose(0)

    def _item(self, match: CitizenMatch) -> QListWidgetItem:
        text = describe_match(match)
        item = QListWidgetItem(text.replace("\n", " — ") if self._one_line else text)
        item.setToolTip(text.replace("\n", " — "))
        item.setData(Qt.ItemDataRole.UserRole, match)
        return item

    def choose(self, row: int) -> None:
        if 0 <= row < self.matches.count():
            self.matches.setCurrentRow(row)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is not self.search or event.type() != QEvent.Type.KeyPress:
            return super().eventFilter(watched, event)
        assert isinstance(event, QKeyEvent)
        key = event.key()
        current = self.matches.currentRow()
        if key == Qt.Key.Key_Down:
            self.choose(current + 1 if self.chosen() is not None else 0)
            return True
        if key == Qt.Key.Key_Up:
            self.choose(current - 1)
            return True
        plain = event.modifiers() in (
            Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier
        )
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain:
            if self.chosen() is None:
                self.choose(0)
            self.entered.emit()
            return True
        return super().eventFilter(watched, event)
