"""« Assembler avec des annexes… »: the reply's PDF and the chosen attachments of the request,
in an order set by dragging the page thumbnails, into one PDF attached to the request."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.documents import DocumentError
from desktop.services.replies import (
    PageRef,
    ReplyService,
    Thumbnail,
    assemble_file,
    thumbnails,
)
from desktop.services.tasks import TaskRunner
from desktop.store.database import StoreError
from desktop.store.replies import ReplyVersion
from desktop.views.dialog_parts import error_label


class AssembleDialog(QDialog):
    #: The assembled PDF is attached to the request (its id).
    attached = Signal(str)
    #: The thumbnails are shown (tests wait for it).
    thumbnailsReady = Signal()

    def __init__(self, service: ReplyService, tasks: TaskRunner, request_pk: int,
                 version: ReplyVersion, number: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("assemble-dialog")
        self.setWindowTitle(f"Assembler la réponse {number} et ses annexes")
        self._service, self._tasks, self._pk, self._number = service, tasks, request_pk, number
        self.sources: list[Path] = []
        self.annexes = QListWidget(self)
        self.annexes.setObjectName("assemble-annexes")
        reply_id = version.pdf_attachment_id
        for attachment in service.attachments(request_pk):
            path = service.attachment_file(attachment)
            item = QListWidgetItem(attachment.filename)
            item.setData(Qt.ItemDataRole.UserRole, str(path) if path else None)
            item.setData(Qt.ItemDataRole.UserRole + 1, attachment.filename)
            if path is None:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
                item.setText(f"{attachment.filename} (pas encore sur ce poste : synchronisez)")
                item.setCheckState(Qt.CheckState.Unchecked)
            else:
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(
                    Qt.CheckState.Checked if attachment.id == reply_id else Qt.CheckState.Unchecked
                )
            if attachment.id == reply_id:
                self.annexes.insertItem(0, item)
            else:
                self.annexes.addItem(item)
        self.pages = QListWidget(self)
        self.pages.setObjectName("assemble-pages")
        self.pages.setViewMode(QListView.ViewMode.IconMode)
        self.pages.setIconSize(QSize(110, 156))
        self.pages.setGridSize(QSize(130, 190))
        self.pages.setMovement(QListView.Movement.Snap)
        self.pages.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.pages.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.pages.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.pages.setWrapping(True)
        self.pages.setResizeMode(QListView.ResizeMode.Adjust)
        self.pages.setSpacing(6)
        # White pages on white would vanish: the pages lie on grey, like in the viewer.
        self.pages.setStyleSheet("QListWidget { background: #8a8f96; color: white; }")
        self.hint = QLabel("Cochez les pièces à joindre, puis faites glisser les pages pour les "
                           "ordonner ; Suppr retire une page.", self)
        self.hint.setWordWrap(True)
        self.error = error_label(self, "assemble-error")
        self.buttons = QDialogButtonBox(self)
        self.ok = self.buttons.addButton("&Assembler", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("assemble-ok")
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText("Annuler")
        self.buttons.accepted.connect(self.run)
        self.buttons.rejected.connect(self.reject)
        columns = QHBoxLayout()
        columns.addWidget(self.annexes, 1)
        columns.addWidget(self.pages, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addLayout(columns, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(940, 600)
        self.annexes.itemChanged.connect(lambda _item: self.refresh_pages())
        self.refresh_pages()

    def keyPressEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Delete:  # type: ignore[attr-defined]
            for item in self.pages.selectedItems():
                self.pages.takeItem(self.pages.row(item))
            return
        super().keyPressEvent(event)  # type: ignore[arg-type]

    def _checked(self) -> list[QListWidgetItem]:
        return [self.annexes.item(i) for i in range(self.annexes.count())
                if self.annexes.item(i).checkState() == Qt.CheckState.Checked]

    def chosen(self) -> list[Path]:
        return [Path(item.data(Qt.ItemDataRole.UserRole)) for item in self._checked()]

    def refresh_pages(self) -> None:
        sources = self.chosen()
        names = [str(item.data(Qt.ItemDataRole.UserRole + 1)) for item in self._checked()]
        self.sources = sources
        self.ok.setEnabled(False)
        self._tasks.run(lambda: thumbnails(sources, names),
                        on_success=lambda found: self._show(sources, found),
                        on_failure=self._failed)

    def _show(self, sources: list[Path], found: list[Thumbnail]) -> None:
        if sources != self.sources:
            return  # a later choice is being drawn
        self.pages.clear()
        for thumb in found:
            pixmap = QPixmap()
            pixmap.loadFromData(thumb.png, "PNG")
            item = QListWidgetItem(QIcon(pixmap), thumb.label)
            item.setData(Qt.ItemDataRole.UserRole, list(thumb.ref))
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsDropEnabled)
            self.pages.addItem(item)
        self.ok.setEnabled(self.pages.count() > 0)
        self.error.setVisible(False)
        self.thumbnailsReady.emit()

    def order(self) -> list[PageRef]:
        refs: list[PageRef] = []
        for i in range(self.pages.count()):
            source, page = self.pages.item(i).data(Qt.ItemDataRole.UserRole)
            refs.append((int(source), int(page)))
        return refs

    def run(self) -> None:
        sources, order = list(self.sources), self.order()
        output = self._service.folder(self._pk) / f"{self._number}_reponse_et_annexes.pdf"
        self.ok.setEnabled(False)
        self._tasks.run(lambda: assemble_file(sources, order, output),
                        on_success=self._assembled, on_failure=self._failed)

    def _assembled(self, pdf: Path) -> None:
        try:
            attachment_id = self._service.attach(self._pk, pdf, pdf.name)
        except StoreError as exc:
            self._failed(exc)
            return
        self.attached.emit(attachment_id)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.ok.setEnabled(self.pages.count() > 0)
        text = str(exc) if isinstance(exc, DocumentError | StoreError) else (
            f"Erreur inattendue ({type(exc).__name__}) : {exc}")
        self.error.setText(text)
        self.error.setVisible(True)
