"""« À classer »: the scans the copier dropped in this PC's scan folder, waiting to be handled,
and the small dialog that sets that folder.

The panel only shows and asks: the folder is read by ``desktop.services.scan_watcher`` (off the
GUI thread) and the buttons call the window's glue (``desktop.views.scans``), which attaches,
joins, previews and classifies.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.legal_time import to_local
from desktop.services.scan_folder import CLASSIFIED, ScanFile, ScanResult, Unreadable
from desktop.views.dialog_parts import error_label
from desktop.views.formatting import numeric_moment_fr, size_fr

NO_FOLDER = ("Aucun dossier de numérisation n'est choisi sur ce poste : « Dossier… » pour "
             "choisir celui où le copieur dépose ses numérisations.")
EMPTY = "Rien à classer : le dossier de numérisation est vide."
FILE_ROLE = Qt.ItemDataRole.UserRole


def file_moment(mtime_ns: int) -> str:
    """When the copier wrote the file, « 23/11/2026 à 10:15 », in metropolitan legal time."""
    return numeric_moment_fr(to_local(datetime.fromtimestamp(mtime_ns / 1e9, UTC)))


class AClasserPanel(QWidget):
    """The list and its buttons; the glue connects the signals."""

    attachRequested = Signal()
    joinRequested = Signal()
    newRequestRequested = Signal()
    previewRequested = Signal()
    folderRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("a-classer")
        self.folder_label = QLabel(self)
        self.folder_label.setObjectName("a-classer-folder")
        self.folder_label.setWordWrap(True)
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem = error_label(self, "a-classer-problem")
        self.list = QListWidget(self)
        self.list.setObjectName("a-classer-list")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setWordWrap(True)
        self.list.setSpacing(3)
        self.list.itemDoubleClicked.connect(lambda _item: self.previewRequested.emit())
        self.list.itemSelectionChanged.connect(self.update_buttons)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            enter = QShortcut(QKeySequence(key), self.list)
            enter.setContext(Qt.ShortcutContext.WidgetShortcut)
            enter.activated.connect(self.previewRequested.emit)
        self.target = QLabel(self)
        self.target.setObjectName("a-classer-target")
        self.target.setWordWrap(True)

        def button(text: str, name: str, tip: str, signal: SignalInstance) -> QPushButton:
            widget = QPushButton(text, self)
            widget.setObjectName(name)
            widget.setToolTip(tip)
            widget.clicked.connect(signal.emit)
            return widget

        self.attach_button = button(
            "&Joindre à la demande", "a-classer-attach",
            "Joindre les fichiers choisis à la demande affichée, puis les ranger dans "
            f"« {CLASSIFIED} »", self.attachRequested)
        self.join_button = button(
            "Assembler en un &PDF et joindre", "a-classer-join",
            "Les images choisies (JPG, PNG, TIFF), dans l'ordre de la liste, en un seul PDF "
            "joint à la demande affichée", self.joinRequested)
        self.new_button = button(
            "Nouvelle &demande avec…", "a-classer-new",
            "Enregistrer une nouvelle demande avec les fichiers choisis joints",
            self.newRequestRequested)
        self.preview_button = button("&Aperçu", "a-classer-preview",
                                     "Voir le fichier (double-clic ou Entrée)",
                                     self.previewRequested)
        self.folder_button = button("&Dossier…", "a-classer-choose-folder",
                                    "Choisir le dossier de numérisation de ce poste",
                                    self.folderRequested)
        grid = QGridLayout()
        grid.addWidget(self.attach_button, 0, 0)
        grid.addWidget(self.join_button, 0, 1)
        grid.addWidget(self.new_button, 1, 0)
        grid.addWidget(self.preview_button, 1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.folder_label)
        layout.addWidget(self.problem)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.target)
        layout.addLayout(grid)
        layout.addWidget(self.folder_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.request_label: str | None = None
        self.show_result(None, None)

    # --- what is shown ----------------------------------------------------------------------
    @property
    def count(self) -> int:
        """Files ready to classify (the badge)."""
        return sum(1 for i in range(self.list.count())
                   if isinstance(self.list.item(i).data(FILE_ROLE), ScanFile))

    def show_result(self, folder: Path | None, result: ScanResult | None) -> None:
        chosen = {f.path for f in self.selected_files()}
        self.list.clear()
        self.folder_label.setText(f"Dossier : {folder}" if folder else NO_FOLDER)
        problem = result.problem if result else None
        self.problem.setText(problem or "")
        self.problem.setVisible(bool(problem))
        if result is not None:
            for scan in result.ready:
                self._add_file(scan, scan.path in chosen)
            for bad in result.unreadable:
                self._add_unreadable(bad)
            if not result.ready and not result.unreadable and not problem:
                placeholder = QListWidgetItem(EMPTY)
                placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
                self.list.addItem(placeholder)
        self.update_buttons()

    def _add_file(self, scan: ScanFile, selected: bool) -> None:
        details = f"{size_fr(scan.size)}, {file_moment(scan.mtime_ns)}"
        if scan.kind == "tiff":
            details += " — TIFF, joint en PDF"
        if scan.problem:
            details += f" — {scan.problem}"
        item = QListWidgetItem(f"{scan.name}\n{details}")
        item.setData(FILE_ROLE, scan)
        item.setToolTip(str(scan.path))
        if scan.problem:
            item.setForeground(QBrush(QColor("#8a8f96")))
        self.list.addItem(item)
        item.setSelected(selected)

    def _add_unreadable(self, bad: Unreadable) -> None:
        item = QListWidgetItem(f"{bad.path.name}\n{bad.reason}")
        item.setData(FILE_ROLE, bad)
        item.setForeground(QBrush(QColor("#b00020")))
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.list.addItem(item)

    def selected_files(self) -> list[ScanFile]:
        """The chosen files, in the order of the list (the order the copier named them)."""
        rows = sorted(self.list.row(item) for item in self.list.selectedItems())
        files = [self.list.item(row).data(FILE_ROLE) for row in rows]
        return [f for f in files if isinstance(f, ScanFile)]

    def set_request(self, label: str | None) -> None:
        """The request the files would be joined to (the one shown), or None."""
        self.request_label = label
        self.update_buttons()

    def update_buttons(self) -> None:
        files = self.selected_files()
        attachable = bool(files) and all(f.problem is None for f in files)
        images = bool(files) and all(f.kind in ("image", "tiff") for f in files)
        has_request = self.request_label is not None
        self.attach_button.setEnabled(attachable and has_request)
        self.join_button.setEnabled(images and attachable and has_request)
        self.new_button.setEnabled(attachable)
        self.preview_button.setEnabled(len(files) == 1 and files[0].kind is not None)
        self.target.setText(
            f"Demande affichée : {self.request_label}" if has_request
            else "Choisissez une demande dans la bannette pour y joindre des fichiers.")


class ScanFolderDialog(QDialog):
    """Fichier › Dossier de numérisation… : the folder, per PC (not for the whole commune)."""

    def __init__(self, folder: Path | None, save: Callable[[Path | None], str | None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._save = save
        self.setObjectName("scan-folder-dialog")
        self.setWindowTitle("Dossier de numérisation")
        explain = QLabel(
            "Le dossier où le copieur dépose les numérisations (« scan vers dossier »). Les "
            "nouveaux fichiers apparaissent dans « À classer » ; une fois joints, ils sont "
            f"rangés dans son sous-dossier « {CLASSIFIED} », jamais supprimés.\n"
            "Ce réglage est propre à ce poste.", self)
        explain.setWordWrap(True)
        self.path = QLineEdit(str(folder) if folder else "", self)
        self.path.setObjectName("scan-folder-path")
        self.path.setPlaceholderText("Aucun dossier")
        self.path.setMinimumWidth(420)
        browse = QPushButton("&Parcourir…", self)
        browse.setObjectName("scan-folder-browse")
        browse.clicked.connect(self._browse)
        none = QPushButton("Aucun &dossier", self)
        none.setObjectName("scan-folder-none")
        none.clicked.connect(self.path.clear)
        self.error = error_label(self, "scan-folder-error")
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        row.addWidget(none)
        buttons = QDialogButtonBox(self)
        save_button = buttons.addButton("&Enregistrer", QDialogButtonBox.ButtonRole.AcceptRole)
        save_button.setObjectName("scan-folder-save")
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText("Annuler")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def accept(self) -> None:
        """Saved through ``save``; a refusal (no such folder) is shown and the dialog stays."""
        problem = self._save(self.chosen())
        if problem:
            self.show_error(problem)
            return
        super().accept()

    def chosen(self) -> Path | None:
        text = self.path.text().strip()
        return Path(text) if text else None

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Dossier de numérisation",
                                                  self.path.text())
        if folder:
            self.path.setText(folder)
