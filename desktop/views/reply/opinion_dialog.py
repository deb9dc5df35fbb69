"""« Demander l'avis d'un élu… »: the élu and the question."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.workflow import TransitionError
from desktop.store.database import StoreError
from desktop.store.replies import Official
from desktop.views.dialog_parts import error_label, save_shortcuts


class AskOpinionDialog(QDialog):
    def __init__(self, number: str, officials: Sequence[Official],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ask-opinion-dialog")
        self.setWindowTitle(f"Demander l'avis d'un élu sur la demande {number}")
        self.official = QComboBox(self)
        self.official.setObjectName("opinion-official")
        for official in officials:
            self.official.addItem(official.name, official.id)
        self.question = QPlainTextEdit(self)
        self.question.setObjectName("opinion-question")
        self.question.setPlaceholderText("Votre question (facultative)")
        form = QFormLayout()
        form.addRow("É&lu :", self.official)
        form.addRow("&Question :", self.question)
        self.error = error_label(self, "opinion-error")
        buttons = QDialogButtonBox(self)
        ask = buttons.addButton("&Demander l'avis", QDialogButtonBox.ButtonRole.AcceptRole)
        ask.setObjectName("opinion-ask")
        ask.setEnabled(bool(officials))
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText("Annuler")
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        save_shortcuts(self, self.submit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        if not officials:
            self.show_error("Aucun élu de la commune n'est connu de ce poste : synchronisez.")

    #: Applies the dialog's values (set by the caller); raises with a French message to keep
    #: the dialog open with the refusal shown.
    apply: Callable[[], None] | None = None

    def submit(self) -> None:
        try:
            if self.apply is not None:
                self.apply()
        except (StoreError, TransitionError) as exc:
            self.show_error(str(exc))
            return
        self.accept()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(True)
