"""« Demande › Rédiger une réponse… »: the template, the draft in Word, its versions, the
preview, the PDF and the assembly with annexes.

The draft is produced off the GUI thread into the request's working folder and opened in the
system's application for .docx files; every save there becomes a version (``DraftWatcher``),
converted to PDF off the GUI thread for the preview, and that PDF is attached to the request so
the versions reach the other PCs. Everything works offline.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.documents import DocumentError, PdfConversionUnavailable
from desktop.domain.french import format_date_fr
from desktop.services.replies import ReplyService, ReplyTemplate
from desktop.services.tasks import TaskRunner
from desktop.store.database import StoreError
from desktop.store.replies import ReplyVersion, restore_version
from desktop.views.dialog_parts import error_label
from desktop.views.reply.assemble_dialog import AssembleDialog
from desktop.views.reply.draft_watcher import DraftWatcher
from desktop.views.widgets.pdf_viewer import PdfViewer

UrlOpener = Callable[[QUrl], object]


def version_text(version: ReplyVersion) -> str:
    who = f" — {version.agent}" if version.agent else ""
    synced = "" if version.pdf_attachment_id else " (PDF à produire)"
    return (f"Version {version.number} — {format_date_fr(version.saved_at.date())} à "
            f"{version.saved_at:%H:%M}{who}{synced}")


class ReplyDialog(QDialog):
    """The reply workshop of one request (non-modal: Word stays usable beside it)."""

    #: A version was recorded (ReplyVersion); the window refreshes the request.
    versionAdded = Signal(object)
    #: The preview shows a new PDF (its path).
    previewReady = Signal(str)
    #: A PDF became an attachment of the request (its id).
    attached = Signal(str)

    def __init__(
        self,
        service: ReplyService,
        tasks: TaskRunner,
        request_pk: int,
        *,
        today: Callable[[], date],
        now: Callable[[], datetime],
        agent_id: str | None,
        open_url: UrlOpener,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reply-dialog")
        self._service = service
        self._tasks = tasks
        self._pk = request_pk
        self._today = today
        self._now = now
        self._agent_id = agent_id
        self._open_url = open_url
        self._watcher: DraftWatcher | None = None
        self._converting = False
        self._waiting: ReplyVersion | None = None
        self.draft: Path | None = None
        self.message: QMessageBox | None = None
        self.assemble_dialog: AssembleDialog | None = None
        facts = service.facts(request_pk)
        self.number = facts.reference
        self.setWindowTitle(f"Réponse à la demande {facts.reference}")

        header = QLabel(f"<b>{facts.reference}</b> — {facts.subject}<br>"
                        f"<span style='color:#555'>{facts.citizen_name}</span>", self)
        header.setWordWrap(True)
        self.template = QComboBox(self)
        self.template.setObjectName("reply-template")
        self.create_button = QPushButton("&Créer le brouillon", self)
        self.create_button.setObjectName("reply-create")
        self.error = error_label(self, "reply-error")
        self.notice = QLabel(self)
        self.notice.setObjectName("reply-notice")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("color: #664d03;")
        self.notice.setVisible(False)
        template_box = QGroupBox("1. Modèle", self)
        row = QHBoxLayout(template_box)
        row.addWidget(self.template, 1)
        row.addWidget(self.create_button)

        self.versions = QListWidget(self)
        self.versions.setObjectName("reply-versions")
        self.open_button = QPushButton("&Ouvrir dans Word", self)
        self.open_button.setObjectName("reply-open")
        self.reopen_button = QPushButton("&Reprendre cette version", self)
        self.reopen_button.setObjectName("reply-reopen")
        self.folder_button = QPushButton("Ouvrir le &dossier", self)
        self.folder_button.setObjectName("reply-folder")
        versions_box = QGroupBox("2. Brouillon et versions", self)
        column = QVBoxLayout(versions_box)
        column.addWidget(self.versions, 1)
        buttons = QHBoxLayout()
        for button in (self.open_button, self.reopen_button, self.folder_button):
            buttons.addWidget(button)
        column.addLayout(buttons)

        self.pdf_button = QPushButton("Convertir en &PDF", self)
        self.pdf_button.setObjectName("reply-pdf")
        self.assemble_button = QPushButton("&Assembler avec des annexes…", self)
        self.assemble_button.setObjectName("reply-assemble")
        pdf_box = QGroupBox("3. PDF", self)
        pdf_row = QHBoxLayout(pdf_box)
        pdf_row.addWidget(self.pdf_button)
        pdf_row.addWidget(self.assemble_button)
        self.status = QLabel(self)
        self.status.setObjectName("reply-status")
        self.status.setWordWrap(True)

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(header)
        left_layout.addWidget(template_box)
        left_layout.addWidget(self.notice)
        left_layout.addWidget(self.error)
        left_layout.addWidget(versions_box, 1)
        left_layout.addWidget(pdf_box)
        left_layout.addWidget(self.status)
        self.viewer = PdfViewer(self)
        self.viewer.clear("L'aperçu de la réponse s'affiche ici dès que le brouillon existe.")
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(self.viewer)
        splitter.setSizes([420, 560])
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.button(QDialogButtonBox.StandardButton.Close).setText("Fermer")
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(close)
        self.resize(1040, 720)

        self.create_button.clicked.connect(self.create_draft)
        self.open_button.clicked.connect(self.open_draft)
        self.reopen_button.clicked.connect(self.reopen_selected)
        self.folder_button.clicked.connect(self.open_folder)
        self.pdf_button.clicked.connect(self.make_pdf)
        self.assemble_button.clicked.connect(self.assemble)
        self.versions.currentRowChanged.connect(lambda _row: self._update())
        self._fill_templates()
        self._fill_versions()
        # LibreOffice starts now, while the secrétaire picks a template: the first PDF is warm.
        self._tasks.run(service.warm_up, on_success=lambda _r: None,
                        on_failure=lambda _exc: None)
        latest = self._latest()
        if latest is not None:
            self.draft = service.folder(request_pk) / latest.filename
            if self.draft.exists():
                self._watch(self.draft)
            self._preview(latest)

    # --- templates --------------------------------------------------------------------------
    def _fill_templates(self) -> None:
        self.template.clear()
        notices: list[str] = []
        try:
            library = self._service.library(self._pk)
            templates, notices = library.templates, library.notices
        except StoreError as exc:
            templates = []
            self._error(str(exc))
        self.notice.setText("\n\n".join(notices))
        self.notice.setVisible(bool(notices))
        for template in templates:
            label = template.label if template.usable else f"{template.label} — inutilisable"
            self.template.addItem(label, template)
            if not template.usable:
                self.template.setItemData(self.template.count() - 1, "\n".join(
                    template.problems), Qt.ItemDataRole.ToolTipRole)
        if not templates:
            self.template.addItem("Aucun modèle de réponse n'est installé", None)
        self._update()

    def chosen_template(self) -> ReplyTemplate | None:
        return self.template.currentData()

    def choose_template(self, name: str) -> None:
        for index in range(self.template.count()):
            data = self.template.itemData(index)
            if data is not None and data.name == name:
                self.template.setCurrentIndex(index)
                return
        raise KeyError(name)

    def create_draft(self) -> None:
        template = self.chosen_template()
        if template is None:
            return
        self.error.setVisible(False)
        if not template.usable:
            self._error("\n".join(template.problems))
            return
        try:
            job = self._service.draft_job(self._pk, template, self._today())
        except (DocumentError, StoreError) as exc:
            self._error(str(exc))
            return
        self.create_button.setEnabled(False)
        self.status.setText(f"Préparation du brouillon à partir de « {template.label} »…")
        self._tasks.run(
            lambda: ReplyService.produce(job),
            on_success=lambda path: self._drafted(path, template),
            on_failure=self._draft_failed,
        )

    def _draft_failed(self, exc: BaseException) -> None:
        self.create_button.setEnabled(True)
        self.status.setText("")
        if isinstance(exc, DocumentError):
            self._error(f"Le brouillon n'a pas été créé.\n\n{exc}")
        else:
            self._error(f"Erreur inattendue ({type(exc).__name__}) : {exc}")

    def _drafted(self, path: Path, template: ReplyTemplate) -> None:
        self.create_button.setEnabled(True)
        self.draft = Path(path)
        self._record(self.draft, template.name)
        self._watch(self.draft)
        self.open_draft()

    # --- the draft and its versions ---------------------------------------------------------
    def _watch(self, path: Path) -> None:
        if self._watcher is not None and self._watcher.path == path:
            return
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher.deleteLater()
        self._watcher = DraftWatcher(path, self)
        self._watcher.saved.connect(lambda saved: self._record(Path(saved)))

    def _record(self, path: Path, template: str = "") -> ReplyVersion | None:
        try:
            version = self._service.record_version(
                self._pk, path, template=template, agent_id=self._agent_id, at=self._now()
            )
        except StoreError as exc:
            self._error(str(exc))
            return None
        if version is None:
            return None
        self._fill_versions()
        self.status.setText(f"Version {version.number} enregistrée.")
        self.versionAdded.emit(version)
        self._preview(version)
        return version

    def _fill_versions(self) -> None:
        self.versions.clear()
        for version in self._service.versions(self._pk):
            item = QListWidgetItem(version_text(version))
            item.setData(Qt.ItemDataRole.UserRole, version)
            self.versions.addItem(item)
        if self.versions.count():
            self.versions.setCurrentRow(0)
        self._update()

    def _latest(self) -> ReplyVersion | None:
        versions = self._service.versions(self._pk)
        return versions[0] if versions else None

    def selected_version(self) -> ReplyVersion | None:
        item = self.versions.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _update(self) -> None:
        has_template = self.chosen_template() is not None
        self.create_button.setEnabled(has_template)
        has_version = self.versions.count() > 0
        self.open_button.setEnabled(has_version)
        self.reopen_button.setEnabled(self.selected_version() is not None
                                      and self.versions.currentRow() > 0)
        self.pdf_button.setEnabled(has_version)
        self.assemble_button.setEnabled(has_version)

    def open_draft(self) -> None:
        """Opens the draft in Word or LibreOffice (the system's application for .docx)."""
        latest = self._latest()
        if self.draft is None and latest is not None:
            self.draft = self._service.folder(self._pk) / latest.filename
        if self.draft is None:
            return
        if not self.draft.exists() and latest is not None:
            try:
                restore_version(self._service.conn, latest, self.draft)
            except StoreError as exc:
                self._error(str(exc))
                return
        self._watch(self.draft)
        if self._open_url(QUrl.fromLocalFile(str(self.draft))) is False:
            self._no_application()

    def _no_application(self) -> None:
        box = self._box(
            QMessageBox.Icon.Warning,
            "Aucune application de cet ordinateur n'ouvre les documents Word (.docx). "
            "Installez LibreOffice ou Microsoft Word, ou ouvrez le brouillon depuis son dossier : "
            f"{self.draft}",
        )
        folder = box.addButton("Ouvrir le dossier", QMessageBox.ButtonRole.ActionRole)
        folder.setObjectName("reply-no-app-folder")
        folder.clicked.connect(self.open_folder)
        box.addButton(QMessageBox.StandardButton.Close)
        box.open()

    def open_folder(self) -> None:
        folder = self._service.folder(self._pk)
        folder.mkdir(parents=True, exist_ok=True)
        self._open_url(QUrl.fromLocalFile(str(folder)))

    def reopen_selected(self) -> None:
        """The chosen earlier version becomes the draft again (a new version once saved; the
        later ones stay in the list)."""
        version = self.selected_version()
        if version is None:
            return
        target = self.draft or (self._service.folder(self._pk) / version.filename)
        try:
            restore_version(self._service.conn, version, target)
        except StoreError as exc:
            self._error(str(exc))
            return
        self.draft = target
        self._watch(target)
        self.status.setText(f"La version {version.number} est de nouveau le brouillon.")
        self.open_draft()

    # --- PDF --------------------------------------------------------------------------------
    def _preview(self, version: ReplyVersion) -> None:
        """Converts the version off the GUI thread, shows it, attaches its PDF."""
        if self._converting:
            self._waiting = version  # only the newest waiting one matters
            return
        done = self._service.converted(version)
        if done is not None:
            self._converting = True
            self._converted(version, done)
            return
        try:
            source = self._service.preview_source(version)
        except StoreError as exc:
            self.viewer.clear(str(exc))
            return
        self._converting = True
        self.status.setText(f"Conversion de la version {version.number} en PDF…")
        service = self._service
        self._tasks.run(
            lambda: service.convert(source),
            on_success=lambda pdf: self._converted(version, pdf),
            on_failure=lambda exc: self._conversion_failed(version, exc),
        )

    def _converted(self, version: ReplyVersion, pdf: Path) -> None:
        self._converting = False
        self.viewer.load(pdf)
        self.previewReady.emit(str(pdf))
        try:
            attachment_id = self._service.attach_version_pdf(version, pdf)
        except StoreError as exc:
            self._error(str(exc))
        else:
            self.attached.emit(attachment_id)
            self.status.setText(
                f"Version {version.number} : PDF joint à la demande (il partira à la prochaine "
                "synchronisation)."
            )
        self._fill_versions()
        self._next_waiting()

    def _conversion_failed(self, version: ReplyVersion, exc: BaseException) -> None:
        self._converting = False
        if isinstance(exc, PdfConversionUnavailable):
            text = ("Aperçu impossible : aucun logiciel de conversion en PDF (LibreOffice ou "
                    "Microsoft Word) n'est installé sur cet ordinateur. Le brouillon et ses "
                    "versions sont bien enregistrés.")
        elif isinstance(exc, DocumentError):
            text = f"La version {version.number} n'a pas pu être convertie en PDF : {exc}"
        else:
            text = f"Erreur inattendue ({type(exc).__name__}) : {exc}"
        self.viewer.clear(text)
        self.status.setText(text)
        self._next_waiting()

    def _next_waiting(self) -> None:
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            self._preview(waiting)

    def make_pdf(self) -> None:
        """« Convertir en PDF »: the latest version's PDF, attached to the request."""
        latest = self._latest()
        if latest is None:
            return
        if latest.pdf_attachment_id:
            self.status.setText(
                f"Le PDF de la version {latest.number} est déjà joint à la demande."
            )
            return
        self._preview(latest)

    def assemble(self) -> None:
        latest = self._latest()
        if latest is None:
            return
        self.assemble_dialog = AssembleDialog(
            self._service, self._tasks, self._pk, latest, self.number, self
        )
        self.assemble_dialog.attached.connect(self.attached)
        self.assemble_dialog.open()

    # --- messages ---------------------------------------------------------------------------
    def _error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(True)

    def _box(self, icon: QMessageBox.Icon, text: str) -> QMessageBox:
        if self.message is not None:
            self.message.deleteLater()
        box = QMessageBox(icon, "Réponse", text, QMessageBox.StandardButton.NoButton, self)
        box.setObjectName("reply-message")
        box.setTextFormat(Qt.TextFormat.PlainText)
        self.message = box
        return box

    def stop_watching(self) -> None:
        """Closing the dialog only hides it: saves made in Word afterwards still become
        versions. The window stops the watch when it closes."""
        if self._watcher is not None:
            self._watcher.stop()
