"""« Marquer comme envoyé… »: the day a produced letter left the mairie, and how.

Producing a letter is not sending it: the acknowledgement counts for the legal delay from the
day it left, which only the secrétaire knows (posted the next morning, handed over at the
counter). The day defaults to today in the commune and cannot be in the future nor before the
letter was produced.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop.documents import LetterKind
from desktop.domain.french import format_date_fr
from desktop.services.letters import LETTER_NAMES
from desktop.store.letters import LetterRecord, sending_problem
from desktop.views.date_entry import DateEntry
from sync.protocol.vocabulary import SEND_MODE_LABELS, SendMode


def letter_label(letter: LetterRecord) -> str:
    """« Accusé de réception (version 2), produit le 23 novembre 2026 »."""
    name = LETTER_NAMES[LetterKind(letter.kind)]
    name = name[:1].upper() + name[1:]
    edition = f" (version {letter.edition})" if letter.edition > 1 else ""
    return f"{name}{edition}, produit le {format_date_fr(letter.produced_at.date())}"


class MarkSentDialog(QDialog):
    """Choose the letter (when several wait), the day it left and the mode."""

    def __init__(
        self,
        number: str,
        letters: Sequence[LetterRecord],
        today: date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mark-sent-dialog")
        self.setWindowTitle(f"Marquer comme envoyé — {number}")
        self._letters = list(letters)
        self._today = today

        self.letter = QComboBox(self)
        self.letter.setObjectName("sent-letter")
        for letter in self._letters:
            self.letter.addItem(letter_label(letter))
        self.letter.setCurrentIndex(len(self._letters) - 1)  # the latest produced
        self.letter.setEnabled(len(self._letters) > 1)

        self.sent_on = DateEntry(
            self, name="sent-on", today=lambda: today, maximum=today,
            too_late="Le jour d'envoi ne peut pas être dans le futur.",
            too_early="Le courrier ne peut pas être parti avant d'avoir été produit.",
        )
        self.sent_on.set_value(today)
        self.sent_on.setToolTip("Jour où le courrier est parti : le délai légal en dépend.")

        self.modes = QButtonGroup(self)
        modes = QHBoxLayout()
        for index, mode in enumerate(SendMode):
            button = QRadioButton(SEND_MODE_LABELS[mode].capitalize(), self)
            button.setObjectName(f"mode-{mode.value}")
            self.modes.addButton(button, index)
            modes.addWidget(button)
        modes.addStretch(1)
        self.modes.button(0).setChecked(True)

        self.error = QLabel(self)
        self.error.setObjectName("error")
        self.error.setStyleSheet("color: #842029;")
        self.error.setWordWrap(True)

        self.buttons = QDialogButtonBox(self)
        self.ok_button = self.buttons.addButton(
            "Marquer comme envoyé", QDialogButtonBox.ButtonRole.AcceptRole
        )
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText("Annuler")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("&Courrier :", self.letter)
        form.addRow("&Envoyé le :", self.sent_on)
        form.addRow("Mode d'envoi :", modes)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        self.letter.currentIndexChanged.connect(self._check)
        self.sent_on.valueChanged.connect(self._check)
        self._check()

    def chosen_letter(self) -> LetterRecord:
        return self._letters[self.letter.currentIndex()]

    def chosen_date(self) -> date | None:
        value = self.sent_on.value()
        return value.date() if isinstance(value, datetime) else value

    def chosen_mode(self) -> SendMode:
        return list(SendMode)[self.modes.checkedId()]

    def problem(self) -> str | None:
        day = self.chosen_date()
        if day is None:
            return self.sent_on.problem()
        return sending_problem(self.chosen_letter(), day, self._today)

    def _check(self) -> None:
        letter = self.chosen_letter()
        self.sent_on.set_range(min(letter.produced_at.date(), self._today), self._today)
        problem = self.problem()
        self.error.setText(problem or "")
        self.ok_button.setEnabled(problem is None)

    def accept(self) -> None:
        if self.problem() is None:
            super().accept()
