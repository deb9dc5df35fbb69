"""Opening a file (a letter, an attachment) with the system's application, and what to do when
the system has none.

``QDesktopServices.openUrl`` answers False when no application is registered for the file: the
secrétaire is told so and offered the folder; should the folder not open either, the path is
shown with « Copier le chemin ». Nothing is ever silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QWidget

#: ``QDesktopServices.openUrl`` or a stand-in (tests); False means « nothing could open it ».
UrlOpener = Callable[[QUrl], object]


class FileOpener(QObject):
    """Opens files and folders for one window; ``message`` is the box on screen, if any."""

    def __init__(self, parent: QWidget, open_url: UrlOpener) -> None:
        super().__init__(parent)
        self._parent = parent
        self._open_url = open_url
        self.message: QMessageBox | None = None

    def open_file(self, path: Path) -> bool:
        """True when an application took the file; otherwise says so and offers the folder."""
        if self._open_url(QUrl.fromLocalFile(str(path))) is not False:
            return True
        box = self._box(
            "Impossible d'ouvrir le fichier",
            f"Aucune application de ce poste ne sait ouvrir « {path.name} ».",
            f"Le fichier est enregistré dans le dossier :\n{path.parent}",
        )
        show = box.addButton("Afficher le &dossier", QMessageBox.ButtonRole.ActionRole)
        show.setObjectName("show-folder")
        box.addButton("&Fermer", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(show)
        show.clicked.connect(lambda: self.open_folder(path))
        box.open()
        return False

    def open_folder(self, path: Path) -> bool:
        """Shows the folder holding ``path`` (or ``path`` itself when it is a folder); when
        that fails too, the path with a button that copies it."""
        folder = path if path.is_dir() else path.parent
        if self._open_url(QUrl.fromLocalFile(str(folder))) is not False:
            return True
        box = self._box(
            "Impossible d'ouvrir le dossier",
            "Ce poste ne sait pas non plus afficher le dossier.",
            f"Le fichier est ici :\n{path}",
        )
        copy = box.addButton("&Copier le chemin", QMessageBox.ButtonRole.ActionRole)
        copy.setObjectName("copy-path")
        box.addButton("&Fermer", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(copy)
        copy.clicked.connect(lambda: self._copy(path))
        box.open()
        return False

    def _copy(self, path: Path) -> None:
        QApplication.clipboard().setText(str(path))
        window = self._parent.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(f"Chemin copié : {path}", 10_000)

    def _box(self, title: str, text: str, details: str) -> QMessageBox:
        if self.message is not None:
            self.message.deleteLater()
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=self._parent)
        box.setObjectName("file-opener-message")
        box.setInformativeText(details)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message = box
        return box
