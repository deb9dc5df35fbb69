"""« Demander des pièces manquantes » and « Pièces reçues »: the two dialogs of L114-5.

The first lets the secrétaire tick documents from the procedure's required list and type any
other, choose the delay given to the citizen, and see the list as the letter will state it
before anything is produced. The second asks on which day the documents arrived, since that
day, not the day it is typed in, restarts the decision clock.
"""

from __future__ import annotations

from datetime import date
from html import escape

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.french import format_date_fr, format_long_date_fr
from desktop.services.letters import DEFAULT_MISSING_DOCUMENTS_MONTHS, add_months

#: Delays offered to the citizen: (label, days, months). One month is the default, see
#: ``DEFAULT_MISSING_DOCUMENTS_MONTHS`` for why.
DELAYS: tuple[tuple[str, int, int], ...] = (
    ("15 jours", 15, 0),
    ("1 mois", 0, 1),
    ("2 mois", 0, 2),
    ("3 mois", 0, 3),
)
OTHER_DATE = "Autre date"


def to_qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def from_qdate(d: QDate) -> date:
    return date(d.year(), d.month(), d.day())


class MissingDocumentsDialog(QDialog):
    """Choose the missing documents and the delay; the window produces the letter on accept."""

    def __init__(
        self,
        number: str,
        required_documents: tuple[str, ...],
        today: date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("missing-documents-dialog")
        self.setWindowTitle(f"Demander des pièces manquantes — {number}")
        self._today = today

        self.required = QListWidget(self)
        self.required.setObjectName("required-documents")
        for label in required_documents:
            item = QListWidgetItem(label, self.required)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
        if not required_documents:
            self.required.setEnabled(False)
            QListWidgetItem("(la démarche ne liste pas de pièces requises)", self.required)
        self.required.setMaximumHeight(max(60, 24 * max(1, len(required_documents)) + 8))

        self.others = QPlainTextEdit(self)
        self.others.setObjectName("other-documents")
        self.others.setPlaceholderText(
            "Une pièce par ligne, par exemple : Justificatif de domicile"
        )
        self.others.setTabChangesFocus(True)
        self.others.setMaximumHeight(80)

        self.delay = QComboBox(self)
        self.delay.setObjectName("delay")
        for label, _days, _months in DELAYS:
            self.delay.addItem(label)
        self.delay.addItem(OTHER_DATE)
        self.deadline = QDateEdit(self)
        self.deadline.setObjectName("deadline")
        self.deadline.setCalendarPopup(True)
        self.deadline.setDisplayFormat("dd/MM/yyyy")
        self.deadline.setMinimumDate(to_qdate(today).addDays(1))
        default_index = next(i for i, d in enumerate(DELAYS) if d[2] == 1)
        assert DELAYS[default_index][2] == DEFAULT_MISSING_DOCUMENTS_MONTHS
        self.delay.setCurrentIndex(default_index)
        self._apply_delay(default_index)

        self.preview = QTextBrowser(self)
        self.preview.setObjectName("preview")
        self.preview.setMinimumHeight(130)
        self.error = QLabel(self)
        self.error.setObjectName("error")
        self.error.setStyleSheet("color: #842029;")
        self.error.setWordWrap(True)

        self.buttons = QDialogButtonBox(self)
        self.ok_button = self.buttons.addButton(
            "Produire la demande de pièces", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        when = QHBoxLayout()
        when.addWidget(self.delay)
        when.addWidget(self.deadline, 1)
        form = QFormLayout()
        form.addRow("Pièces requises par la démarche :", self.required)
        form.addRow("Autres pièces :", self.others)
        form.addRow("Délai pour les envoyer :", when)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Aperçu de ce que le courrier indiquera :", self))
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(620, 480)

        self.required.itemChanged.connect(self._update)
        self.others.textChanged.connect(self._update)
        self.delay.currentIndexChanged.connect(self._on_delay)
        self.deadline.dateChanged.connect(self._on_date)
        self._update()

    # --- what the secrétaire chose ----------------------------------------------------------
    def documents(self) -> list[str]:
        ticked = [
            self.required.item(i).text()
            for i in range(self.required.count())
            if self.required.item(i).checkState() == Qt.CheckState.Checked
        ]
        typed = [line.strip(" -–•\t") for line in self.others.toPlainText().splitlines()]
        seen: dict[str, str] = {}
        for doc in [*ticked, *typed]:
            if doc and doc.casefold() not in seen:
                seen[doc.casefold()] = doc
        return list(seen.values())

    def chosen_deadline(self) -> date:
        return from_qdate(self.deadline.date())

    def problems(self) -> list[str]:
        """French validation messages; empty when the letter can be produced."""
        found = []
        if not self.documents():
            found.append("Cochez ou saisissez au moins une pièce manquante.")
        too_long = [d for d in self.documents() if len(d) > 200]
        if too_long:
            found.append("Une pièce est décrite en plus de 200 caractères : raccourcissez-la.")
        if self.chosen_deadline() <= self._today:
            found.append("La date limite doit être postérieure à aujourd'hui.")
        return found

    # --- reactions --------------------------------------------------------------------------
    def _apply_delay(self, index: int) -> None:
        if index >= len(DELAYS):
            return
        _label, days, months = DELAYS[index]
        target = (
            add_months(self._today, months)
            if months
            else date.fromordinal(self._today.toordinal() + days)
        )
        self.deadline.blockSignals(True)
        self.deadline.setDate(to_qdate(target))
        self.deadline.blockSignals(False)

    def _on_delay(self, index: int) -> None:
        self._apply_delay(index)
        self._update()

    def _on_date(self, _value: QDate) -> None:
        self.delay.blockSignals(True)
        self.delay.setCurrentIndex(len(DELAYS))  # « Autre date »
        self.delay.blockSignals(False)
        self._update()

    def _update(self) -> None:
        documents = self.documents()
        problems = self.problems()
        items = "".join(f"<li>{escape(d)}</li>" for d in documents) or (
            "<li><i>aucune pièce pour l'instant</i></li>"
        )
        deadline = self.chosen_deadline()
        self.preview.setHtml(
            "<p>Pièces à fournir :</p>"
            f"<ul>{items}</ul>"
            f"<p>À transmettre au plus tard le <b>{escape(format_long_date_fr(deadline))}</b>. "
            "Le délai de décision implicite est suspendu jusqu'à leur réception "
            "(art. L114-5 CRPA).</p>"
        )
        self.error.setText("\n".join(problems))
        self.ok_button.setEnabled(not problems)

    def accept(self) -> None:
        if self.problems():
            self._update()
            return
        super().accept()


class DocumentsReceivedDialog(QDialog):
    """On which day did the missing documents arrive? Today by default, never in the future."""

    def __init__(
        self,
        number: str,
        asked_on: date,
        documents: list[str],
        today: date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("documents-received-dialog")
        self.setWindowTitle(f"Pièces reçues — {number}")
        self.received_on = QDateEdit(self)
        self.received_on.setObjectName("received-on")
        self.received_on.setCalendarPopup(True)
        self.received_on.setDisplayFormat("dd/MM/yyyy")
        self.received_on.setDateRange(to_qdate(asked_on), to_qdate(today))
        self.received_on.setDate(to_qdate(today))
        text = QLabel(
            f"Pièces demandées le {escape(format_date_fr(asked_on))} : "
            f"{escape(', '.join(documents))}.<br>Le délai de décision implicite repartira du "
            "jour de leur réception (art. L114-5 CRPA).",
            self,
        )
        text.setWordWrap(True)
        buttons = QDialogButtonBox(self)
        buttons.addButton("Enregistrer la réception", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Reçues le :", self.received_on)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(460, 180)

    def chosen_date(self) -> date:
        return from_qdate(self.received_on.date())
