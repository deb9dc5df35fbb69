"""« Envoyer au parapheur… »: the document to sign, its annexes, the circuit (an optional visa,
then the signature of the maire or a delegated adjoint), the annotations, a wished date."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.store.attachments import LocalAttachment
from desktop.store.replies import Official
from desktop.views.dialog_parts import save_shortcuts
from desktop.views.reply.applying_dialog import ApplyingDialog, day_entry
from sync.protocol.wire import StepKind


class ParapheurDialog(ApplyingDialog):
    """Collects the folder; the caller applies it (``desktop.store.replies``) on accept and
    shows a refusal with ``show_error`` while the dialog stays open."""

    def __init__(self, number: str, pdfs: Sequence[LocalAttachment],
                 others: Sequence[LocalAttachment], officials: Sequence[Official],
                 today: date, parent: QWidget | None = None) -> None:
        super().__init__("parapheur-error", parent)
        self.setObjectName("parapheur-dialog")
        self.setWindowTitle(f"Envoyer la réponse {number} au parapheur")
        self.main = QComboBox(self)
        self.main.setObjectName("parapheur-main")
        for attachment in pdfs:
            self.main.addItem(attachment.filename, attachment.id)
        self.annexes = QListWidget(self)
        self.annexes.setObjectName("parapheur-annexes")
        for attachment in others:
            item = QListWidgetItem(attachment.filename)
            item.setData(Qt.ItemDataRole.UserRole, attachment.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.annexes.addItem(item)
        self.annexes.setMaximumHeight(110)
        self.visa = QComboBox(self)
        self.visa.setObjectName("parapheur-visa")
        self.visa.addItem("Pas de visa", None)
        self.signer = QComboBox(self)
        self.signer.setObjectName("parapheur-signer")
        for official in officials:
            self.visa.addItem(official.name, official.id)
            self.signer.addItem(official.name, official.id)
        self.public = QPlainTextEdit(self)
        self.public.setObjectName("parapheur-public")
        self.public.setPlaceholderText("Visible de tous ceux qui traitent le dossier")
        self.public.setMaximumHeight(70)
        self.private = QPlainTextEdit(self)
        self.private.setObjectName("parapheur-private")
        self.private.setPlaceholderText("Réservée aux élus du circuit")
        self.private.setMaximumHeight(70)
        self.wished = QCheckBox("Signature souhaitée avant le", self)
        self.wished.setObjectName("parapheur-wished")
        self.wished_date = day_entry(
            today, "parapheur-wished-date", self, earliest=today,
            too_early="La date souhaitée ne peut pas être déjà passée.",
        )
        self.wished_date.setEnabled(False)
        self.wished.toggled.connect(self.wished_date.setEnabled)

        form = QFormLayout()
        form.addRow("&Document à signer :", self.main)
        form.addRow("A&nnexes :", self.annexes)
        form.addRow("&Visa préalable :", self.visa)
        form.addRow("&Signataire :", self.signer)
        form.addRow("Annotation &publique :", self.public)
        form.addRow("Annotation p&rivée :", self.private)
        form.addRow(self.wished, self.wished_date)  # the box as the label, the day beside
        self.buttons = QDialogButtonBox(self)
        self.send = self.buttons.addButton("&Envoyer au parapheur",
                                           QDialogButtonBox.ButtonRole.AcceptRole)
        self.send.setObjectName("parapheur-send")
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText("Annuler")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        save_shortcuts(self, self.submit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(560, 520)
        if not pdfs:
            self.show_error("Aucun PDF n'est joint à la demande : convertissez d'abord la "
                            "réponse en PDF (« Rédiger une réponse… »).")
        elif not officials:
            self.show_error("Aucun élu de la commune n'est connu de ce poste : synchronisez.")
        self.send.setEnabled(bool(pdfs) and bool(officials))

    def steps(self) -> list[tuple[StepKind, str]]:
        steps: list[tuple[StepKind, str]] = []
        if self.visa.currentData() is not None:
            steps.append((StepKind.VISA, str(self.visa.currentData())))
        steps.append((StepKind.SIGNATURE, str(self.signer.currentData())))
        return steps

    def annex_ids(self) -> list[str]:
        return [
            str(self.annexes.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.annexes.count())
            if self.annexes.item(i).checkState() == Qt.CheckState.Checked
        ]

    def chosen_date(self) -> date | None:
        if not self.wished.isChecked():
            return None
        value = self.wished_date.value()
        assert isinstance(value, date), "check() refuses an invalid date first"
        return value

    def check(self) -> str | None:
        if self.wished.isChecked():
            return self.wished_date.problem()
        return None
