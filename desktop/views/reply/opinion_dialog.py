"""« Demander l'avis d'un élu… »: the élu and the question."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.store.replies import Official
from desktop.views.dialog_parts import save_shortcuts
from desktop.views.reply.applying_dialog import ApplyingDialog


class AskOpinionDialog(ApplyingDialog):
    def __init__(self, number: str, officials: Sequence[Official],
                 parent: QWidget | None = None) -> None:
        super().__init__("opinion-error", parent)
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
