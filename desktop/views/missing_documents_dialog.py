"""« Demander des pièces manquantes » and « Pièces reçues »: the two dialogs of L114-5.

The first lets the secrétaire tick documents from the procedure's required list and type any
other, choose the delay given to the citizen, and see the list as the letter will state it
before anything is produced. The second asks on which day the documents arrived, since that
day, not the day it is typed in, restarts the decision clock.
"""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
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

from desktop.domain.deadlines import next_working_day, working_day_remark
from desktop.domain.french import format_date_fr, format_long_date_fr
from desktop.services.letters import (
    DEFAULT_MISSING_DOCUMENTS_MONTHS,
    add_months,
    default_missing_documents_deadline,
)
from desktop.views.date_entry import DateEntry

#: Delays offered to the citizen: (label, days, months). One month is the default, see
#: ``DEFAULT_MISSING_DOCUMENTS_MONTHS`` for why.
DELAYS: tuple[tuple[str, int, int], ...] = (
    ("15 jours", 15, 0),
    ("1 mois", 0, 1),
    ("2 mois", 0, 2),
    ("3 mois", 0, 3),
)
OTHER_DATE = "Autre date"


class MissingDocumentsDialog(QDialog):
    """Choose the missing documents and the delay; the window produces the letter on accept."""

    def __init__(
        self,
        number: str,
        required_documents: tuple[str, ...],
        today: date,
        parent: QWidget | None = None,
        *,
        department: str,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("missing-documents-dialog")
        self.setWindowTitle(f"Demander des pièces manquantes — {number}")
        self._today = today
        self._department = department

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
        self.deadline = DateEntry(
            self, name="deadline", today=lambda: today, minimum=today + timedelta(days=1),
            too_early="La date limite doit être postérieure à aujourd'hui.",
        )
        # A typed deadline on a closed day is allowed (the mairie may have its reasons) but
        # said, in amber, with the next working day.
        self.deadline.set_warning(lambda day: working_day_remark(day, department))
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
        when.addWidget(self.delay, 0, Qt.AlignmentFlag.AlignTop)
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
        self.deadline.valueChanged.connect(self._on_date)
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

    def chosen_deadline(self) -> date | None:
        """The deadline typed or chosen, None while the field holds no valid date."""
        value = self.deadline.value()
        assert value is None or isinstance(value, date)
        return value

    def problems(self) -> list[str]:
        """French validation messages; empty when the letter can be produced."""
        found = []
        if not self.documents():
            found.append("Cochez ou saisissez au moins une pièce manquante.")
        too_long = [d for d in self.documents() if len(d) > 200]
        if too_long:
            found.append("Une pièce est décrite en plus de 200 caractères : raccourcissez-la.")
        problem = self.deadline.problem()
        if problem is not None:
            found.append(f"Date limite : {problem}")
        return found

    # --- reactions --------------------------------------------------------------------------
    def _apply_delay(self, index: int) -> None:
        if index >= len(DELAYS):
            return
        _label, days, months = DELAYS[index]
        if months == DEFAULT_MISSING_DOCUMENTS_MONTHS:
            target = default_missing_documents_deadline(self._today, self._department)
        else:
            # Never a delay that ends on a day the mairie is closed: the next working day.
            target = next_working_day(
                add_months(self._today, months) if months else self._today + timedelta(days),
                self._department,
            )
        self.deadline.blockSignals(True)
        self.deadline.set_value(target)
        self.deadline.blockSignals(False)

    def _on_delay(self, index: int) -> None:
        self._apply_delay(index)
        self._update()

    def _on_date(self, _value: object) -> None:
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
        when = format_long_date_fr(deadline) if deadline is not None else "… (date à corriger)"
        self.preview.setHtml(
            "<p>Pièces à fournir :</p>"
            f"<ul>{items}</ul>"
            f"<p>À transmettre au plus tard le <b>{escape(when)}</b>. "
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
        self.received_on = DateEntry(
            self, name="received-on", today=lambda: today, minimum=asked_on, maximum=today,
            too_early="Les pièces ne peuvent pas être arrivées avant d'avoir été demandées.",
            too_late="Le jour de réception des pièces ne peut pas être dans le futur.",
        )
        self.received_on.set_value(today)
        text = QLabel(
            f"Pièces demandées le {escape(format_date_fr(asked_on))} : "
            f"{escape(', '.join(documents))}.<br>Le délai de décision implicite repartira du "
            "jour de leur réception (art. L114-5 CRPA).",
            self,
        )
        text.setWordWrap(True)
        buttons = QDialogButtonBox(self)
        self.ok_button = buttons.addButton(
            "Enregistrer la réception", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.received_on.valueChanged.connect(
            lambda value: self.ok_button.setEnabled(value is not None)
        )
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
        value = self.received_on.value()
        assert isinstance(value, date), "accept() lets only a valid date through"
        return value

    def accept(self) -> None:
        """Refused (the field says why) while the day typed is not a valid one."""
        if self.received_on.problem() is not None:
            self.received_on.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        super().accept()
