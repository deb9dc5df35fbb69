"""« Pièces jointes » inside the intake dialog: files dropped (or chosen) before the request exists.

Each file is read and checked as it arrives (the same rule as everywhere: PDF, JPG or PNG by
content, 5 MB): a refused one is named in red with the reason and never held; an accepted one
is kept in memory, so the bytes checked are the bytes attached once « Enregistrer » has
registered the request. Dropped e-mails (``.eml``, ``.msg``) go to ``mail_handler`` when the
mail intake has set one (it fills the dialog from the message); otherwise they are refused with
a sentence saying how to register them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.services.incoming_files import (
    MAX_FILES_PER_DROP,
    Incoming,
    ReadyFile,
    RefusedFile,
    sort_incoming,
)
from desktop.views.dialog_parts import error_label
from desktop.views.formatting import size_fr
from desktop.views.scans.drop import FileDrop

FILE_FILTER = "Pièces (*.pdf *.jpg *.jpeg *.png)"
MAIL_NOT_HANDLED = (
    "« {name} » est un courriel : il ne se joint pas comme une pièce, et ce poste ne sait pas "
    "encore enregistrer un courriel déposé. Recopiez-le sur le canal « courriel » et joignez "
    "ses pièces (PDF, JPG, PNG) une à une."
)
#: Takes dropped e-mails (the mail intake); returns the ones it could not take.
MailHandler = Callable[[list[Path]], list[RefusedFile]]


class IntakeFiles(QWidget):
    """The files to join to the request being registered."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("intake-files")
        self.ready: list[ReadyFile] = []
        #: Set by the mail intake to take dropped e-mails.
        self.mail_handler: MailHandler | None = None
        title = QLabel("Pièces jointes — déposez ici les fichiers (PDF, JPG, PNG ; 5 Mo "
                       "chacun) :", self)
        self.list = QListWidget(self)
        self.list.setObjectName("intake-files-list")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setMaximumHeight(84)
        self.add_button = QPushButton("Ajouter un &fichier…", self)
        self.add_button.setObjectName("intake-files-add")
        self.add_button.clicked.connect(self._choose)
        self.remove_button = QPushButton("Retirer de la liste", self)
        self.remove_button.setObjectName("intake-files-remove")
        self.remove_button.clicked.connect(self._remove_selected)
        self.refusals = error_label(self, "intake-files-refused")
        buttons = QVBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.list, 1)
        row.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addLayout(row)
        layout.addWidget(self.refusals)
        self._refresh()

    def accept_drops_on(self, dialog: QWidget) -> None:
        """The whole dialog takes files: its frame, this list and its text fields (which would
        otherwise paste the file's path as text)."""
        targets: list[QWidget] = [dialog, self.list.viewport()]
        targets += dialog.findChildren(QLineEdit)
        targets += [edit.viewport() for edit in dialog.findChildren(QPlainTextEdit)]
        for target in targets:
            FileDrop(target, self._dropped)

    def add_paths(self, paths: list[Path]) -> Incoming:
        """Checks and keeps ``paths``; refusals are shown in red. Returns what happened."""
        room = MAX_FILES_PER_DROP - len(self.ready)
        incoming = sort_incoming(paths)
        if len(incoming.accepted) > room:
            incoming.refused += [RefusedFile(f.name, f"« {f.name} » : {MAX_FILES_PER_DROP} "
                                 "pièces au plus à l'enregistrement ; joignez les autres "
                                 "ensuite.") for f in incoming.accepted[room:]]
            incoming.accepted = incoming.accepted[:room]
        if incoming.mails:
            if self.mail_handler is not None:
                incoming.refused += self.mail_handler(incoming.mails)
            else:
                incoming.refused += [RefusedFile(p.name, MAIL_NOT_HANDLED.format(name=p.name))
                                     for p in incoming.mails]
        self.add_ready(incoming.accepted)
        self._show_refusals(incoming.refused)
        return incoming

    def add_ready(self, files: list[ReadyFile]) -> None:
        known = {f.data for f in self.ready}
        for ready in files:
            if ready.data not in known:  # the same scan dropped twice is kept once
                self.ready.append(ready)
                known.add(ready.data)
        self._refresh()

    def _dropped(self, paths: list[Path], _point: QPoint) -> bool:
        self.add_paths(paths)
        return True

    def _choose(self) -> None:
        names, _filter = QFileDialog.getOpenFileNames(self, "Joindre des fichiers", "",
                                                      FILE_FILTER)
        if names:
            self.add_paths([Path(name) for name in names])

    def _remove_selected(self) -> None:
        rows = sorted((index.row() for index in self.list.selectedIndexes()), reverse=True)
        for row in rows:
            del self.ready[row]
        self._refresh()

    def _show_refusals(self, refused: list[RefusedFile]) -> None:
        text = "\n".join(f"Non joint : {item.reason}" for item in refused)
        self.refusals.setText(text)
        self.refusals.setVisible(bool(text))

    def _refresh(self) -> None:
        self.list.clear()
        for ready in self.ready:
            self.list.addItem(f"{ready.name} — {size_fr(len(ready.data))}")
        if not self.ready:
            self.list.addItem("Aucune pièce : déposez des fichiers ici.")
            self.list.item(0).setFlags(Qt.ItemFlag.NoItemFlags)
        self.remove_button.setEnabled(bool(self.ready))
        self.changed.emit()
