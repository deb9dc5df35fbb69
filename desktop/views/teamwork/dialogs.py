"""The dialogs of the team's work: assignment, internal notes, editing a request.

Each runs the caller's ``apply`` on « OK » (``ApplyingDialog``): a refusal of the store (an
agent who left, an empty note) keeps the dialog open with the French reason under the form."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QRadioButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.store.inbox import Choice
from desktop.store.teamwork import Note
from desktop.views.citizen_search import CitizenSearch, FindCitizens
from desktop.views.dialog_parts import save_shortcuts
from desktop.views.formatting import numeric_moment_fr
from desktop.views.reply.applying_dialog import ApplyingDialog


def _buttons(dialog: ApplyingDialog, text: str, name: str) -> QDialogButtonBox:
    buttons = QDialogButtonBox(dialog)
    ok = buttons.addButton(text, QDialogButtonBox.ButtonRole.AcceptRole)
    ok.setObjectName(name)
    cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
    cancel.setText("Annuler")
    buttons.accepted.connect(dialog.submit)
    buttons.rejected.connect(dialog.reject)
    save_shortcuts(dialog, dialog.submit)
    return buttons


class AssignDialog(ApplyingDialog):
    """« Attribuer… » one or several requests to an agent, a service, or nobody."""

    def __init__(self, what: str, agents: Sequence[Choice], services: Sequence[Choice],
                 current_agent: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__("assign-error", parent)
        self.setObjectName("assign-dialog")
        self.setWindowTitle(f"Attribuer {what}")
        self.to_agent = QRadioButton("à un &agent", self)
        self.to_service = QRadioButton("à un &service", self)
        self.to_nobody = QRadioButton("à &personne (retirer l'attribution)", self)
        self.kind = QButtonGroup(self)
        for button in (self.to_agent, self.to_service, self.to_nobody):
            self.kind.addButton(button)
        self.agent = QComboBox(self)
        self.agent.setObjectName("assign-agent")
        for choice in agents:
            self.agent.addItem(choice.label, choice.key)
        if current_agent is not None and self.agent.findData(current_agent) >= 0:
            self.agent.setCurrentIndex(self.agent.findData(current_agent))
        self.service = QComboBox(self)
        self.service.setObjectName("assign-service")
        for choice in services:
            self.service.addItem(choice.label, choice.key)
        if not services:
            self.to_service.setEnabled(False)
            self.to_service.setToolTip(
                "Aucun service : les requêtes choisies sont de plusieurs communes, ou "
                "l'administrateur n'a créé aucun service (Administration › Services).")
        self.reason = QPlainTextEdit(self)
        self.reason.setObjectName("assign-reason")
        self.reason.setPlaceholderText("Motif (facultatif), inscrit dans l'historique")
        self.reason.setMaximumHeight(90)
        self.to_agent.setChecked(True)
        self.kind.buttonToggled.connect(lambda *_: self._follow())
        form = QFormLayout()
        form.addRow(self.to_agent, self.agent)
        form.addRow(self.to_service, self.service)
        form.addRow(self.to_nobody)
        form.addRow("&Motif :", self.reason)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(_buttons(self, "A&ttribuer", "assign-ok"))
        self._follow()
        self.resize(520, self.sizeHint().height())

    def _follow(self) -> None:
        self.agent.setEnabled(self.to_agent.isChecked())
        self.service.setEnabled(self.to_service.isChecked())

    def choice(self) -> tuple[str | None, str | None]:
        """(agent id, service id) chosen; both None: nobody."""
        if self.to_agent.isChecked():
            return (str(self.agent.currentData()) if self.agent.count() else None), None
        if self.to_service.isChecked():
            return None, (str(self.service.currentData()) if self.service.count() else None)
        return None, None

    def check(self) -> str | None:
        if self.to_agent.isChecked() and not self.agent.count():
            return "Aucun agent actif de la commune n'est connu de ce poste : synchronisez."
        return None


def notes_html(notes: Sequence[Note]) -> str:
    if not notes:
        return "<p style='color:#666'>Aucune note interne pour cette demande.</p>"
    items = "".join(
        f"<p><b>{escape(n.author)}</b> — {numeric_moment_fr(n.at)}<br>"
        f"{escape(n.text).replace(chr(10), '<br>')}</p>"
        for n in notes
    )
    return items


class NotesDialog(ApplyingDialog):
    """The request's internal notes (newest first) and a field to add one. Never shown to
    the citizen, never printed."""

    def __init__(self, number: str, notes: Sequence[Note], parent: QWidget | None = None) -> None:
        super().__init__("note-error", parent)
        self.setObjectName("notes-dialog")
        self.setWindowTitle(f"Notes internes — demande n° {number}")
        hint = QLabel("Visibles de l'équipe seulement : jamais montrées à l'usager ni "
                      "imprimées sur les courriers.", self)
        hint.setWordWrap(True)
        self.listing = QTextBrowser(self)
        self.listing.setObjectName("notes-list")
        self.listing.setHtml(notes_html(notes))
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("note-text")
        self.text.setPlaceholderText("Nouvelle note (Ctrl+Entrée pour l'enregistrer)")
        self.text.setMaximumHeight(110)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.listing, 1)
        layout.addWidget(self.text)
        layout.addWidget(self.error)
        layout.addWidget(_buttons(self, "&Ajouter la note", "note-add"))
        self.resize(560, 460)


class EditRequestDialog(ApplyingDialog):
    """« Modifier la demande… »: subject, démarche, citizen (searched in the commune)."""

    def __init__(self, number: str, subject: str, procedures: Sequence[Choice],
                 procedure_pk: int, citizen: str, find: FindCitizens, authority_pk: int,
                 parent: QWidget | None = None) -> None:
        super().__init__("edit-error", parent)
        self.setObjectName("edit-request-dialog")
        self.setWindowTitle(f"Modifier la demande n° {number}")
        self.subject = QLineEdit(subject, self)
        self.subject.setObjectName("edit-subject")
        self.subject.setMaxLength(200)
        self.procedure = QComboBox(self)
        self.procedure.setObjectName("edit-procedure")
        for choice in procedures:
            self.procedure.addItem(choice.label, choice.key)
        self.procedure.setCurrentIndex(max(self.procedure.findData(procedure_pk), 0))
        self.procedure_note = QLabel(
            "Changer la démarche recalcule les échéances (règle et délai de la nouvelle "
            "démarche).", self)
        self.procedure_note.setWordWrap(True)
        self.procedure_note.setStyleSheet("color:#666")
        self.current_citizen = QLabel(f"Actuel : {citizen}", self)
        self.current_citizen.setObjectName("edit-current-citizen")
        self.search = QLineEdit(self)
        self.search.setObjectName("edit-citizen-search")
        self.search.setPlaceholderText("Rechercher un autre usager de la commune…")
        self.matches = QListWidget(self)
        self.matches.setObjectName("edit-citizen-matches")
        self.matches.setMaximumHeight(120)
        self.citizens = CitizenSearch(self.search, self.matches, find, lambda: authority_pk,
                                      one_line=True)
        form = QFormLayout()
        form.addRow("&Objet :", self.subject)
        form.addRow("&Démarche :", self.procedure)
        form.addRow("", self.procedure_note)
        form.addRow("&Usager :", self.current_citizen)
        form.addRow("", self.search)
        form.addRow("", self.matches)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(_buttons(self, "&Enregistrer", "edit-ok"))
        self.resize(600, self.sizeHint().height())

    def check(self) -> str | None:
        if not self.subject.text().strip():
            return "L'objet de la demande ne peut pas être vide."
        return None

    def citizen_pk(self) -> int | None:
        chosen = self.citizens.chosen()
        return chosen.pk if chosen is not None else None
