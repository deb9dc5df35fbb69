"""The « Demande » menu and toolbar: the legal steps of the selected request.

Each letter action runs in three steps (see ``desktop.services.letters``): prepare on the GUI
thread, render and convert on the thread pool while the status bar shows progress, then record
on the GUI thread in one transaction and offer to open the PDF. The actions are enabled from the
same rules the store enforces, with the reason in the tooltip when they are not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QMainWindow, QMenu, QMessageBox, QToolBar

from desktop.documents import DocumentError
from desktop.domain.french import format_date_fr
from desktop.domain.legal_time import as_instant, local_day, utc_now, wall_clock
from desktop.domain.workflow import TransitionError
from desktop.services.letters import (
    LETTER_NAMES,
    ActionRefused,
    LetterFiles,
    LetterJob,
    LetterService,
    RequestAction,
)
from desktop.services.tasks import TaskRunner
from desktop.store.database import StoreError
from desktop.views.file_opener import FileOpener
from desktop.views.mark_sent_dialog import MarkSentDialog, letter_label
from desktop.views.missing_documents_dialog import DocumentsReceivedDialog, MissingDocumentsDialog

#: (menu text, shortcut, what it does) of each action, in menu order.
ACTION_TEXTS: dict[RequestAction, tuple[str, str, str]] = {
    RequestAction.REGISTRATION_RECEIPT: (
        "Produire l'accusé d'&enregistrement",
        "Ctrl+Shift+E",
        "Produire l'accusé d'enregistrement électronique (art. L112-11 CRPA) ; il compte "
        "une fois marqué comme envoyé",
    ),
    RequestAction.ACKNOWLEDGEMENT: (
        "Produire l'&accusé de réception",
        "Ctrl+Shift+A",
        "Produire l'accusé de réception ; la demande passe au statut « Accusée » une fois "
        "le courrier marqué comme envoyé",
    ),
    RequestAction.MISSING_DOCUMENTS: (
        "Demander des &pièces manquantes…",
        "Ctrl+Shift+M",
        "Choisir les pièces manquantes et produire le courrier (art. L114-5 CRPA)",
    ),
    RequestAction.DOCUMENTS_RECEIVED: (
        "Pièces &reçues…",
        "Ctrl+Shift+P",
        "Enregistrer l'arrivée des pièces : le délai de décision repart",
    ),
    RequestAction.IMPLICIT_ACCEPTANCE_CERTIFICATE: (
        "Attestation d'accord &tacite",
        "Ctrl+Shift+T",
        "Produire l'attestation de décision implicite d'acceptation (art. L232-3 CRPA)",
    ),
    RequestAction.MARK_SENT: (
        "&Marquer comme envoyé…",
        "Ctrl+Shift+K",
        "Indiquer le jour et le mode d'envoi d'un courrier produit : le délai légal en dépend",
    ),
    RequestAction.CONVERT_PDF: (
        "Convertir en P&DF",
        "Ctrl+Shift+F",
        "Créer le PDF d'un courrier produit au format Word seulement",
    ),
}

#: Short texts for the toolbar buttons.
TOOLBAR_TEXTS: dict[RequestAction, str] = {
    RequestAction.REGISTRATION_RECEIPT: "Accusé d'enregistrement",
    RequestAction.ACKNOWLEDGEMENT: "Accusé de réception",
    RequestAction.MISSING_DOCUMENTS: "Pièces manquantes…",
    RequestAction.DOCUMENTS_RECEIVED: "Pièces reçues…",
    RequestAction.IMPLICIT_ACCEPTANCE_CERTIFICATE: "Attestation d'accord tacite",
    RequestAction.MARK_SENT: "Marquer comme envoyé…",
    RequestAction.CONVERT_PDF: "Convertir en PDF",
}


def _next_step(job: LetterJob) -> str:
    """What the secrétaire still has to do once the letter exists."""
    if job.action in (RequestAction.ACKNOWLEDGEMENT, RequestAction.REGISTRATION_RECEIPT):
        return "Une fois parti, indiquez-le avec « Marquer comme envoyé… » : le délai en dépend."
    return "Il est inscrit dans l'historique."


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


class RequestActions(QObject):
    """Owns the QActions of the « Demande » menu and runs them on the selected request."""

    #: A request changed in the store (pk): the window refreshes its row, detail and deadlines.
    requestChanged = Signal(int)
    #: A letter was produced and recorded (job, files): for the status bar and the tests.
    letterRecorded = Signal(object, object)
    #: A letter could not be produced or recorded (French message).
    actionFailed = Signal(str)
    #: « Convertir en PDF » made a letter's PDF (request pk, path).
    pdfConverted = Signal(int, object)

    def __init__(
        self,
        window: QMainWindow,
        letters: LetterService,
        tasks: TaskRunner,
        *,
        today: Callable[[], date],
        now: Callable[[], datetime],
        agent_id: str | None,
        current_pk: Callable[[], int | None],
        open_url: Callable[[QUrl], object],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._letters = letters
        self._tasks = tasks
        self._today = today
        self._clock = now
        self._agent_id = agent_id
        self._current_pk = current_pk
        self._open_url = open_url
        self.files = FileOpener(window, open_url)
        self._working: set[int] = set()
        #: The last dialog and message box shown (tests drive them; one at a time).
        self.dialog: QDialog | None = None
        self.message: QMessageBox | None = None

        self.actions: dict[RequestAction, QAction] = {}
        for action, (text, shortcut, tip) in ACTION_TEXTS.items():
            qaction = QAction(text, window)
            qaction.setObjectName(f"action-{action.value}")
            qaction.setShortcut(QKeySequence(shortcut))
            qaction.setStatusTip(tip)
            qaction.setIconText(TOOLBAR_TEXTS[action])
            qaction.setEnabled(False)
            qaction.triggered.connect(lambda _checked=False, a=action: self.trigger(a))
            self.actions[action] = qaction
        self._tips = {a: tip for a, (_t, _s, tip) in ACTION_TEXTS.items()}

    def set_agent(self, agent_id: str | None) -> None:
        """Who acts from now on (the sync session's agent, once logged in)."""
        self._agent_id = agent_id

    def fill(self, menu: QMenu, toolbar: QToolBar) -> None:
        for action in RequestAction:
            if action in (RequestAction.DOCUMENTS_RECEIVED, RequestAction.MARK_SENT):
                menu.addSeparator()
            menu.addAction(self.actions[action])
            toolbar.addAction(self.actions[action])

    # --- enabling ---------------------------------------------------------------------------
    def update(self, pk: int | None = None) -> None:
        """Enable what the rules allow for the selected request; say why not in the tooltip."""
        pk = self._current_pk() if pk is None else pk
        availability = None
        if pk is not None:
            try:
                availability = self._letters.availability(pk)
            except StoreError:
                availability = None
        for action, qaction in self.actions.items():
            if availability is None:
                qaction.setEnabled(False)
                qaction.setToolTip(self._tips[action])
                continue
            reason = availability[action]
            busy = pk in self._working
            qaction.setEnabled(reason is None and not busy)
            if busy:
                qaction.setToolTip("Un courrier est en cours de production pour cette demande.")
            else:
                qaction.setToolTip(self._tips[action] if reason is None else reason)

    # --- running ----------------------------------------------------------------------------
    def trigger(self, action: RequestAction) -> None:
        pk = self._current_pk()
        if pk is None or not self.actions[action].isEnabled():
            return
        if action == RequestAction.MISSING_DOCUMENTS:
            self._ask_missing_documents(pk)
        elif action == RequestAction.DOCUMENTS_RECEIVED:
            self._ask_documents_received(pk)
        elif action == RequestAction.MARK_SENT:
            self._ask_mark_sent(pk)
        elif action == RequestAction.CONVERT_PDF:
            self.convert_pdf(pk)
        else:
            self.start_letter(action, pk)

    def start_letter(
        self,
        action: RequestAction,
        pk: int,
        *,
        missing_documents: list[str] | None = None,
        missing_documents_deadline: date | None = None,
    ) -> None:
        """Prepare now, render on the pool, record when it comes back."""
        try:
            job = self._letters.prepare(
                action,
                pk,
                self._today(),
                missing_documents=missing_documents or (),
                missing_documents_deadline=missing_documents_deadline,
            )
        except (ActionRefused, DocumentError, StoreError) as exc:
            self._fail(f"Impossible de préparer le courrier : {exc}")
            return
        self._working.add(pk)
        self.update()
        self._window.statusBar().showMessage(
            f"Production du courrier « {job.title} » de la demande {job.number}…"
        )
        service = self._letters
        self._tasks.run(
            lambda: service.produce(job),
            on_success=lambda files: self._produced(job, files),
            on_failure=lambda exc: self._failed(job, exc),
        )

    def _produced(self, job: LetterJob, files: LetterFiles) -> None:
        self._working.discard(job.request_pk)
        try:
            self._letters.record(
                job, files, at=self._now(job.request_pk), agent_id=self._agent_id
            )
        except (TransitionError, StoreError) as exc:
            self.update()
            self._fail(
                f"Le courrier a été produit ({files.docx.parent}) mais la demande n'a pas pu "
                f"être mise à jour : {exc}"
            )
            return
        self.requestChanged.emit(job.request_pk)
        self.update()
        self.letterRecorded.emit(job, files)
        self._report(job, files)

    def _failed(self, job: LetterJob, exc: BaseException) -> None:
        self._working.discard(job.request_pk)
        self.update()
        if isinstance(exc, DocumentError):
            text = str(exc)
        else:
            text = f"Erreur inattendue ({type(exc).__name__}) : {exc}"
        self._fail(
            f"Le courrier « {job.title} » de la demande {job.number} n'a pas été produit ; "
            f"rien n'a été enregistré.\n\n{text}"
        )

    def _now(self, pk: int) -> datetime:
        """The app's day (injectable for tests) at the time the request's commune's clocks
        show, as an instant: the PC's own zone plays no part."""
        department = self._letters.facts(pk).authority.department
        return as_instant(
            wall_clock(self._today(), department, now=self._clock()), department
        )

    def _commune_today(self, pk: int) -> date:
        """The app's day as the request's commune lives it (an overseas commune may already
        be on the next day, or still on the previous one)."""
        department = self._letters.facts(pk).authority.department
        now = utc_now()
        return self._today() + (local_day(now, department) - local_day(now, None))

    # --- sending and converting -------------------------------------------------------------
    def _ask_mark_sent(self, pk: int) -> None:
        facts = self._letters.facts(pk)
        dialog = MarkSentDialog(
            facts.reference, self._letters.unsent(pk), self._commune_today(pk), self._window
        )
        self._show_dialog(dialog)

        def accepted() -> None:
            letter, sent_on = dialog.chosen_letter(), dialog.chosen_date()
            self._record_step(
                pk,
                lambda: self._letters.mark_sent(
                    letter, sent_on, dialog.chosen_mode(), at=self._now(pk),
                    agent_id=self._agent_id,
                ),
                f"{letter_label(letter)} : envoyé le {format_date_fr(sent_on)}.",
            )

        dialog.accepted.connect(accepted)
        dialog.open()

    def convert_pdf(self, pk: int) -> None:
        """Convert the Word-only letters of the request on the pool, one after the other."""
        pending = self._letters.without_pdf(pk)
        if not pending:
            return
        letter = pending[-1]
        docx = self._letters.document_path(pk, letter.docx)
        self._working.add(pk)
        self.update()
        self._window.statusBar().showMessage(f"Conversion en PDF de « {docx.name} »…")
        service = self._letters

        def converted(pdf: Path) -> None:
            self._working.discard(pk)
            try:
                service.record_pdf(letter, pdf)
            except StoreError as exc:
                self._fail(str(exc))
                return
            self.requestChanged.emit(pk)
            self.update()
            self.pdfConverted.emit(pk, pdf)
            self._window.statusBar().showMessage(f"PDF créé : {pdf.name}", 10_000)

        def failed(exc: BaseException) -> None:
            self._working.discard(pk)
            self.update()
            text = str(exc) if isinstance(exc, DocumentError) else (
                f"Erreur inattendue ({type(exc).__name__}) : {exc}"
            )
            self._fail(f"Le PDF de « {docx.name} » n'a pas pu être créé.\n\n{text}")

        self._tasks.run(lambda: service.convert(docx), on_success=converted, on_failure=failed)

    # --- dialogs ----------------------------------------------------------------------------
    def _ask_missing_documents(self, pk: int) -> None:
        facts = self._letters.facts(pk)
        dialog = MissingDocumentsDialog(
            facts.reference, facts.procedure.required_documents, self._today(), self._window,
            department=facts.authority.department,
        )
        self._show_dialog(dialog)

        def accepted() -> None:
            self.start_letter(
                RequestAction.MISSING_DOCUMENTS,
                pk,
                missing_documents=dialog.documents(),
                missing_documents_deadline=dialog.chosen_deadline(),
            )

        dialog.accepted.connect(accepted)
        dialog.open()

    def _ask_documents_received(self, pk: int) -> None:
        facts = self._letters.facts(pk)
        pending = facts.pending_missing_documents
        asked_on = max(m.asked_on for m in pending)
        documents = [d for m in pending for d in m.documents]
        dialog = DocumentsReceivedDialog(
            facts.reference, asked_on, documents, self._today(), self._window
        )
        self._show_dialog(dialog)

        def accepted() -> None:
            received_on = dialog.chosen_date()
            self._record_step(
                pk,
                lambda: self._letters.documents_received(
                    pk, received_on, at=self._now(pk), agent_id=self._agent_id
                ),
                f"Pièces de la demande {facts.reference} reçues le {format_date_fr(received_on)} : "
                "le délai de décision repart.",
            )

        dialog.accepted.connect(accepted)
        dialog.open()

    def _record_step(self, pk: int, step: Callable[[], object], done: str) -> None:
        """Run a store step on the request; refresh the window and say ``done``, or say why
        nothing was recorded."""
        try:
            step()
        except (TransitionError, StoreError) as exc:
            self._fail(str(exc))
            return
        self.requestChanged.emit(pk)
        self.update()
        self._window.statusBar().showMessage(done, 10_000)

    def _show_dialog(self, dialog: QDialog) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = dialog

    # --- messages ---------------------------------------------------------------------------
    def _message(self, icon: QMessageBox.Icon, title: str, text: str) -> QMessageBox:
        if self.message is not None:
            self.message.deleteLater()
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, self._window)
        box.setObjectName("letter-message")
        box.setTextFormat(Qt.TextFormat.PlainText)
        self.message = box
        return box

    def _fail(self, text: str) -> None:
        self.actionFailed.emit(text)
        self._window.statusBar().showMessage("Échec : aucun changement enregistré.", 10_000)
        box = self._message(QMessageBox.Icon.Warning, "Bannette", text)
        box.addButton(QMessageBox.StandardButton.Close)
        box.open()

    def _report(self, job: LetterJob, files: LetterFiles) -> None:
        name = _capitalised(LETTER_NAMES[job.kind])
        folder = files.docx.parent
        if files.pdf is not None:
            icon = QMessageBox.Icon.Information
            text = (
                f"Le courrier « {name} » de la demande {job.number} est prêt. {_next_step(job)}"
                f"\n\nDossier : {folder}"
            )
            self._window.statusBar().showMessage(f"Courrier produit : {files.pdf.name}", 10_000)
        else:
            icon = QMessageBox.Icon.Warning
            text = (
                f"Le courrier « {name} » de la demande {job.number} a été produit au format Word, "
                "mais le PDF n'a pas pu être créé (« Convertir en PDF » le fera plus tard). "
                f"{_next_step(job)}\n\n"
                f"{files.pdf_problem}\n\nDocument Word : {files.docx}"
            )
            self._window.statusBar().showMessage(
                f"Courrier produit au format Word seulement : {files.docx.name} (PDF impossible).",
                10_000,
            )
        if files.notices:  # the commune's template was refused for a missing legal mention
            icon = QMessageBox.Icon.Warning
            text += "\n\n" + "\n\n".join(files.notices)
        box = self._message(icon, "Courrier produit", text)
        target = files.pdf or files.docx
        open_button = box.addButton(
            "Ouvrir le PDF" if files.pdf else "Ouvrir le document Word",
            QMessageBox.ButtonRole.AcceptRole,
        )
        open_button.setObjectName("open-document")
        folder_button = box.addButton("Ouvrir le dossier", QMessageBox.ButtonRole.ActionRole)
        folder_button.setObjectName("open-folder")
        box.addButton(QMessageBox.StandardButton.Close)
        box.setDefaultButton(open_button)
        open_button.clicked.connect(lambda: self._open(target))
        folder_button.clicked.connect(lambda: self.files.open_folder(folder))
        box.open()

    def _open(self, path: Path) -> None:
        """No viewer on this PC: said, and the folder offered (``FileOpener``)."""
        self.files.open_file(path)
