"""« Envoyer la réponse… »: by e-mail through the central API (the server sends it and keeps
the proof) or printed for the post; either way the request is answered with its outcome."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.store.attachments import LocalAttachment
from desktop.store.replies import REPLY_OUTCOMES, ReplyFacts
from desktop.views.reply.applying_dialog import ApplyingDialog, day_entry
from sync.protocol.vocabulary import Outcome
from sync.protocol.wire import ReplyMode

#: Prints a PDF (the system's print dialog in the app); returns False when cancelled.
PrintPdf = Callable[[Path], bool]
#: The cached file of an attachment, or None when it is not on this PC.
FileOf = Callable[[LocalAttachment], Path | None]


def email_subject(facts: ReplyFacts) -> str:
    return f"Réponse à votre demande n° {facts.reference}"


def _authority(name: str) -> str:
    """« Mairie de Bitche » as it reads inside a sentence: « mairie de Bitche »."""
    return name[:1].lower() + name[1:]


def email_body(facts: ReplyFacts) -> str:
    return (
        "Madame, Monsieur,\n\n"
        f"Vous trouverez ci-joint la réponse de la {_authority(facts.authority_name)} à votre "
        f"demande n° {facts.reference} (« {facts.subject} »).\n\n"
        "Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations "
        "distinguées.\n\n"
        f"Le secrétariat de la {_authority(facts.authority_name)}"
    )


class SendReplyDialog(ApplyingDialog):
    def __init__(self, facts: ReplyFacts, pdfs: Sequence[tuple[LocalAttachment, str]],
                 today: date, print_pdf: PrintPdf, file_of: FileOf,
                 parent: QWidget | None = None) -> None:
        super().__init__("send-error", parent)
        self.setObjectName("send-reply-dialog")
        self.setWindowTitle(f"Envoyer la réponse à la demande {facts.reference}")
        self._print_pdf, self._file_of = print_pdf, file_of
        self.printed = False
        self.document = QComboBox(self)
        self.document.setObjectName("send-document")
        for attachment, label in pdfs:
            self.document.addItem(label, attachment)
        self.outcomes = QButtonGroup(self)
        outcome_box = QGroupBox("Décision", self)
        outcome_row = QHBoxLayout(outcome_box)
        for outcome, label in REPLY_OUTCOMES.items():
            button = QRadioButton(label, outcome_box)
            button.setObjectName(f"send-outcome-{outcome.value}")
            button.setProperty("outcome", outcome.value)
            self.outcomes.addButton(button)
            outcome_row.addWidget(button)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("send-mode")
        email_page = QWidget(self)
        self.to_email = QLineEdit(facts.citizen_email, email_page)
        self.to_email.setObjectName("send-to")
        self.subject = QLineEdit(email_subject(facts), email_page)
        self.subject.setObjectName("send-subject")
        self.body = QPlainTextEdit(email_body(facts), email_page)
        self.body.setObjectName("send-body")
        email_form = QFormLayout(email_page)
        email_form.addRow("À :", self.to_email)
        email_form.addRow("Objet :", self.subject)
        email_form.addRow("Message :", self.body)
        post_page = QWidget(self)
        self.print_button = QPushButton("&Imprimer…", post_page)
        self.print_button.setObjectName("send-print")
        self.print_state = QLabel("Pas encore imprimée.", post_page)
        self.print_state.setObjectName("send-print-state")
        self.posted_on = day_entry(
            today, "send-posted-on", post_page, latest=today,
            too_late="La mise à la poste ne peut pas être dans le futur.",
        )
        post_form = QFormLayout(post_page)
        post_form.addRow(self.print_button, self.print_state)
        post_form.addRow("Mise à la poste le :", self.posted_on)
        post_form.addRow(QLabel(
            "L'adresse de l'usager est placée par le modèle pour les enveloppes à fenêtre.",
            post_page))
        self.tabs.addTab(email_page, "Par &courriel")
        self.tabs.addTab(post_page, "Par c&ourrier")
        if not facts.citizen_email:
            self.tabs.setCurrentIndex(1)

        buttons = QDialogButtonBox(self)
        self.send = buttons.addButton("&Envoyer et clore", QDialogButtonBox.ButtonRole.AcceptRole)
        self.send.setObjectName("send-ok")
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText("Annuler")
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        self.print_button.clicked.connect(self.print_document)
        form = QFormLayout()
        form.addRow("&Document :", self.document)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(outcome_box)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(620, 560)
        if not pdfs:
            self.show_error("Aucun PDF n'est joint à la demande : produisez d'abord la réponse.")
            self.send.setEnabled(False)

    # --- values -----------------------------------------------------------------------------
    def mode(self) -> ReplyMode:
        return ReplyMode.EMAIL if self.tabs.currentIndex() == 0 else ReplyMode.POST

    def outcome(self) -> Outcome | None:
        button = self.outcomes.checkedButton()
        return Outcome(button.property("outcome")) if button is not None else None

    def choose_outcome(self, outcome: Outcome) -> None:
        for button in self.outcomes.buttons():
            if button.property("outcome") == outcome.value:
                button.setChecked(True)

    def attachment(self) -> LocalAttachment | None:
        return self.document.currentData()

    def posted(self) -> date:
        value = self.posted_on.value()
        assert isinstance(value, date), "check() refuses an invalid date first"
        return value

    # --- actions ----------------------------------------------------------------------------
    def print_document(self) -> None:
        attachment = self.attachment()
        if attachment is None:
            return
        path = self._file_of(attachment)
        if path is None:
            self.show_error(f"« {attachment.filename} » n'est pas encore sur ce poste : "
                            "synchronisez (F5) pour le recevoir.")
            return
        try:
            done = self._print_pdf(path)
        except OSError as exc:
            self.show_error(str(exc))
            return
        if done:
            self.printed = True
            self.print_state.setText("Imprimée.")

    def check(self) -> str | None:
        if self.outcome() is None:
            return "Choisissez la décision : accordée, refusée ou sans suite."
        if self.mode() == ReplyMode.POST and not self.printed:
            return "Imprimez la réponse avant de la déclarer mise à la poste."
        if self.mode() == ReplyMode.POST and self.posted_on.problem() is not None:
            return self.posted_on.problem()
        if self.mode() == ReplyMode.EMAIL and "@" not in self.to_email.text():
            return "Indiquez l'adresse électronique de l'usager."
        return None
