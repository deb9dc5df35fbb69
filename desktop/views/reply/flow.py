"""The reply actions of the « Demande » menu, in the window.

« Rédiger une réponse… », « Envoyer au parapheur… », « Envoyer la réponse… » and « Demander
l'avis d'un élu… » act on the selected request; each is enabled by the same rules the store
enforces, with the reason in its tooltip. A rejection pulled from the parapheur is notified
once (the tray's balloon, the status bar).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QMenu, QMessageBox, QToolBar, QWidget

from desktop.documents import DocumentError
from desktop.services.replies import ReplyService
from desktop.store import replies
from desktop.store.attachments import LocalAttachment
from desktop.store.commune_admin import signers
from desktop.store.database import StoreError
from desktop.views.reply.detail_section import reply_html
from desktop.views.reply.draft_dialog import ReplyDialog
from desktop.views.reply.opinion_dialog import AskOpinionDialog
from desktop.views.reply.parapheur_dialog import ParapheurDialog
from desktop.views.reply.send_dialog import SendReplyDialog
from desktop.views.window_actions import request_action, request_bars
from sync.protocol.vocabulary import STATUS_LABELS, Status
from sync.protocol.wire import ReplyMode

if TYPE_CHECKING:
    from desktop.views.main_window import MainWindow

PrintPdf = Callable[[Path], bool]
PDF = "application/pdf"


def print_with_dialog(window: QWidget) -> PrintPdf:
    """Prints through the system's print dialog (any printer, or « Imprimer en PDF »)."""

    def run(path: Path) -> bool:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        from desktop.views.widgets.pdf_print import print_pdf

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, window)
        dialog.setWindowTitle("Imprimer la réponse")
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        print_pdf(path, printer)
        return True

    return run


class ReplyFlow(QObject):
    def __init__(self, window: MainWindow, print_pdf: PrintPdf | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.conn = window._repo.connection  # noqa: SLF001
        self.agent_id: str | None = window._agent_id  # noqa: SLF001
        self.service = ReplyService(self.conn, window.letters)
        self.print_pdf = print_pdf or print_with_dialog(window)
        #: One workshop per request, kept while the window lives (its watch of Word goes on).
        self.drafts: dict[int, ReplyDialog] = {}
        #: The last dialog and message shown (tests drive them).
        self.dialog: QDialog | None = None
        self.message: QMessageBox | None = None
        self.actions: dict[str, QAction] = {}

    def _now(self) -> datetime:
        """The window's clock (an aware instant on the window's day): never the PC's zone."""
        return self.window.now().replace(microsecond=0)

    def _pk(self) -> int | None:
        return self.window.selected_pk()

    def changed(self, pk: int | None) -> None:
        """The window refreshes the row, the detail and the actions; the sync counts it."""
        if pk is not None:
            self.window.request_actions.requestChanged.emit(pk)
        self.update()

    # --- enabling ---------------------------------------------------------------------------
    def reasons(self, pk: int | None) -> dict[str, str | None]:
        """None for what is allowed on ``pk``, else why not (tooltips)."""
        if pk is None:
            return dict.fromkeys(self.actions, "Sélectionnez une demande.")
        try:
            facts = self.service.facts(pk)
        except StoreError as exc:
            return dict.fromkeys(self.actions, str(exc))
        status = facts.status
        label = f"La demande est « {STATUS_LABELS[status]} »."
        return {
            "draft": None if status in replies.SENDABLE | {Status.AT_PARAPHEUR} else label,
            "parapheur": None if status in replies.SENDABLE else label,
            "send": replies.reply_refusal(
                self.conn, pk, status, facts.outcome.value if facts.outcome else None),
            "opinion": None if status not in (Status.ANSWERED, Status.CLOSED) else label,
        }

    def update(self, *_args: object) -> None:
        for key, reason in self.reasons(self._pk()).items():
            action = self.actions[key]
            action.setEnabled(reason is None)
            action.setToolTip(action.statusTip() if reason is None else reason)

    # --- « Rédiger une réponse… » -------------------------------------------------------------
    def draft(self) -> ReplyDialog | None:
        pk = self._pk()
        if pk is None:
            return None
        dialog = self.drafts.get(pk)
        if dialog is None:
            dialog = ReplyDialog(
                self.service, self.window.tasks, pk, today=self.window._today,  # noqa: SLF001
                now=self._now, agent_id=self.agent_id, open_url=self.window.open_url,
                parent=self.window,
            )
            dialog.versionAdded.connect(lambda _v, pk=pk: self.changed(pk))
            dialog.attached.connect(lambda _id, pk=pk: self._attached(pk))
            self.drafts[pk] = dialog
        if dialog.isVisible():  # already open behind Word: brought back to the front
            dialog.raise_()
            dialog.activateWindow()
        else:
            dialog.show()
        return dialog

    def _attached(self, pk: int) -> None:
        self.changed(pk)
        self.window.detail.refresh_attachments()

    # --- « Envoyer au parapheur… » ------------------------------------------------------------
    def to_parapheur(self) -> ParapheurDialog | None:
        pk = self._pk()
        if pk is None:
            return None
        facts = self.service.facts(pk)
        attachments = self.service.attachments(pk)
        latest = next(iter(self.service.versions(pk)), None)
        pdfs = [a for a in attachments if a.media_type == PDF]
        # The newest reply PDF (assembled or the last version) first.
        pdfs.sort(key=lambda a: (0 if "_reponse" in a.filename else 1,
                                 -attachments.index(a)))
        if latest and latest.pdf_attachment_id:
            pdfs.sort(key=lambda a: 0 if a.id == latest.pdf_attachment_id
                      or a.filename.endswith("_reponse_et_annexes.pdf") else 1)
        others = [a for a in attachments if not pdfs or a.id != pdfs[0].id]
        dialog = ParapheurDialog(
            facts.reference, pdfs, others, signers(self.conn, facts.authority_pk, pk),
            self.window._today(), self.window,  # noqa: SLF001
        )

        def apply() -> None:
            main = next(a for a in pdfs if a.id == str(dialog.main.currentData()))
            self._check_final(pk, main)
            replies.send_to_parapheur(
                self.conn, pk, main_attachment_id=str(dialog.main.currentData()),
                steps=dialog.steps(), annex_ids=dialog.annex_ids(),
                public_annotation=dialog.public.toPlainText(),
                private_annotation=dialog.private.toPlainText(),
                wished_date=dialog.chosen_date(), agent_id=self.agent_id, at=self._now(),
            )

        dialog.apply = apply
        dialog.accepted.connect(lambda: self._sent_to_parapheur(pk, facts.reference))
        self._show(dialog)
        return dialog

    def _sent_to_parapheur(self, pk: int, number: str) -> None:
        self.changed(pk)
        self.window.statusBar().showMessage(
            f"Demande {number} au parapheur : le dossier partira à la prochaine "
            "synchronisation.", 10_000)

    # --- « Envoyer la réponse… » --------------------------------------------------------------
    def send(self) -> QDialog | QMessageBox | None:
        pk = self._pk()
        if pk is None:
            return None
        facts = self.service.facts(pk)
        if facts.provisional:
            return self._provisional()
        attachments = self.service.attachments(pk)
        folder = replies.request_folder(self.conn, pk)
        signed = folder.signed_attachment_id if folder else None
        choices = []
        for attachment in reversed(attachments):
            if attachment.media_type != PDF:
                continue
            label = attachment.filename + (" (signé)" if attachment.id == signed else "")
            choices.append((attachment, label))
        choices.sort(key=lambda c: 0 if c[0].id == signed else 1)
        dialog = SendReplyDialog(facts, choices, self.window._today(),  # noqa: SLF001
                                 self.print_pdf, self.service.attachment_file, self.window)

        def apply() -> None:
            attachment = dialog.attachment()
            outcome = dialog.outcome()
            assert attachment is not None and outcome is not None
            mode = dialog.mode()
            self._check_final(pk, attachment)
            replies.send_reply(
                self.conn, pk, mode=mode, outcome=outcome, attachment_id=attachment.id,
                to_email=dialog.to_email.text() if mode == ReplyMode.EMAIL else None,
                subject=dialog.subject.text() if mode == ReplyMode.EMAIL else "",
                body=dialog.body.toPlainText() if mode == ReplyMode.EMAIL else "",
                sent_on=dialog.posted() if mode == ReplyMode.POST else None,
                agent_id=self.agent_id, at=self._now(),
            )

        dialog.apply = apply
        dialog.accepted.connect(lambda: self._replied(pk, facts.reference, dialog.mode()))
        self._show(dialog)
        return dialog

    def _check_final(self, pk: int, attachment: LocalAttachment) -> None:
        """No letter leaves with a provisional number (the request's, or one the PDF still
        shows): the dialog stays open with the reason."""
        try:
            self.service.check_final(pk, self.service.attachment_file(attachment))
        except DocumentError as exc:
            raise StoreError(str(exc)) from exc

    def _provisional(self) -> QMessageBox:
        box = self._box(QMessageBox.Icon.Warning, replies.PROVISIONAL_REFUSAL)
        sync = box.addButton("Synchroniser (F5)", QMessageBox.ButtonRole.ActionRole)
        sync.setObjectName("reply-sync-now")
        action = self.window.findChild(QAction, "action-sync")
        sync.setEnabled(action is not None)
        if action is not None:
            sync.clicked.connect(action.trigger)
        box.addButton(QMessageBox.StandardButton.Close)
        box.open()
        return box

    def _replied(self, pk: int, number: str, mode: ReplyMode) -> None:
        self.changed(pk)
        how = ("partira par courriel à la prochaine synchronisation" if mode == ReplyMode.EMAIL
               else "est enregistrée comme envoyée par courrier")
        self.window.statusBar().showMessage(f"La réponse à la demande {number} {how}.", 10_000)

    # --- « Demander l'avis d'un élu… » --------------------------------------------------------
    def ask_opinion(self) -> AskOpinionDialog | None:
        pk = self._pk()
        if pk is None:
            return None
        facts = self.service.facts(pk)
        dialog = AskOpinionDialog(
            facts.reference, replies.officials(self.conn, facts.authority_pk), self.window
        )

        def apply() -> None:
            replies.ask_opinion(self.conn, pk, str(dialog.official.currentData()),
                                dialog.question.toPlainText(), agent_id=self.agent_id,
                                at=self._now())

        dialog.apply = apply
        dialog.accepted.connect(lambda: self.changed(pk))
        self._show(dialog)
        return dialog

    # --- notifications ----------------------------------------------------------------------
    def notify_rejections(self) -> list[replies.Folder]:
        """Folders rejected in the parapheur since the last look: said once each."""
        try:
            rejected = replies.unnotified_rejections(self.conn)
        except StoreError:
            return []
        for folder in rejected:
            comment = folder.rejection_comment or "sans commentaire"
            self.window._notify(  # noqa: SLF001
                "Bannette — réponse rejetée au parapheur",
                f"La réponse à la demande {folder.request_number} est revenue en rédaction : "
                f"{comment}",
            )
        return rejected

    # --- helpers ----------------------------------------------------------------------------
    def _show(self, dialog: QDialog) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = dialog
        dialog.open()

    def _box(self, icon: QMessageBox.Icon, text: str) -> QMessageBox:
        if self.message is not None:
            self.message.deleteLater()
        box = QMessageBox(icon, "Réponse", text, QMessageBox.StandardButton.NoButton,
                          self.window)
        box.setObjectName("reply-message")
        box.setTextFormat(Qt.TextFormat.PlainText)
        self.message = box
        return box

    def close(self) -> None:
        for dialog in self.drafts.values():
            dialog.stop_watching()


#: (key, menu text, object name, shortcut, tip, slot name)
ACTIONS = (
    ("draft", "Rédiger une &réponse…", "action-draft-reply", "Ctrl+Shift+D",
     "Produire la réponse à partir d'un modèle Word, la modifier, en garder les versions",
     "draft"),
    ("parapheur", "Envoyer au pa&rapheur…", "action-send-parapheur", "Ctrl+Shift+S",
     "Soumettre la réponse au visa et à la signature des élus", "to_parapheur"),
    ("send", "En&voyer la réponse…", "action-send-reply", "Ctrl+Shift+Y",
     "Envoyer la réponse par courriel ou l'imprimer pour la poste, et clore la demande",
     "send"),
    ("opinion", "Demander l'a&vis d'un élu…", "action-ask-opinion", "Ctrl+Shift+O",
     "Signaler la demande à un élu pour qu'il donne son avis", "ask_opinion"),
)


def install_replies(window: MainWindow, print_pdf: PrintPdf | None = None) -> ReplyFlow:
    """Adds the reply actions to the « Demande » menu and toolbar of the window."""
    flow = ReplyFlow(window, print_pdf)
    bars = request_bars(window)
    for bar in bars:
        if isinstance(bar, QMenu | QToolBar):
            bar.addSeparator()
    for key, text, name, shortcut, tip, slot in ACTIONS:
        action = request_action(window, text, name=name, shortcut=shortcut, tip=tip,
                                slot=getattr(flow, slot))
        flow.actions[key] = action
        for bar in bars:
            if key != "opinion" or isinstance(bar, QMenu):  # the toolbar is full enough
                bar.addAction(action)
    window.table.selectionModel().selectionChanged.connect(flow.update)
    window.request_actions.requestChanged.connect(flow.update)
    # A sync reloads the bannette: rejections that came with it are said once.
    window.model.modelReset.connect(flow.notify_rejections)
    window.model.modelReset.connect(flow.update)
    window.detail.set_extra_source(lambda pk: reply_html(flow.conn, pk))
    flow.update()
    return flow
