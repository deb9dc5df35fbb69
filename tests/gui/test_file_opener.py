"""A PC with no application for a file (issue 9 item 16): opening a letter or an attachment
says so in French and offers the folder; when the folder cannot be shown either, the path is
given with « Copier le chemin ». The system's opener is replaced by one that refuses, as
``QDesktopServices.openUrl`` does (returns False) where nothing is registered."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from desktop.documents.pdf import LibreOfficeConverter
from desktop.services.letters import LetterService, RequestAction
from desktop.services.tasks import TaskRunner
from desktop.store.attachments import request_attachments
from desktop.views.attachments_ui import install_attachments
from desktop.views.main_window import MainWindow
from tests.gui.conftest import ARTIFACTS
from tests.server.helpers import png_bytes

pytestmark = pytest.mark.gui


class Opener:
    """Opens nothing (no viewer), or folders only when ``folders`` is set; records the asks."""

    def __init__(self, *, folders: bool) -> None:
        self.folders = folders
        self.asked: list[Path] = []

    def __call__(self, url: QUrl) -> bool:
        path = Path(url.toLocalFile())
        self.asked.append(path)
        return self.folders and path.is_dir()


class NoPdf(LibreOfficeConverter):
    """No LibreOffice: the letter stays a Word file (and no second to wait for it)."""

    def __init__(self) -> None:
        super().__init__(executable=None)
        self.executable = None


def click(box: QMessageBox | None, name: str) -> None:
    assert box is not None and box.isVisible()
    button = box.findChild(QPushButton, name)
    assert button is not None, f"no button {name!r} in {box.text()!r}"
    button.click()


def join_a_file(window: MainWindow, demo_db: sqlite3.Connection, tmp_path: Path,
                opener: Opener):  # type: ignore[no-untyped-def]
    scan = tmp_path / "Justificatif de domicile.png"
    scan.write_bytes(png_bytes())
    ui = install_attachments(window, None, open_url=opener, choose=lambda _parent: scan,
                             folder=tmp_path / "ouverts")
    pk = int(demo_db.execute("SELECT pk FROM request ORDER BY pk LIMIT 1").fetchone()[0])
    window.select_request(pk)
    ui.attach_action.trigger()
    return ui, request_attachments(demo_db, pk)[-1]


def test_an_attachment_without_viewer_offers_its_folder(
    qtbot, make_window: Callable[..., MainWindow], demo_db: sqlite3.Connection,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    opener = Opener(folders=True)
    window = make_window(open_url=opener)
    ui, joined = join_a_file(window, demo_db, tmp_path, opener)
    ui.glue.requested(joined.id)
    copy = opener.asked[-1]
    assert copy.name == "Justificatif de domicile.png" and copy.is_file()
    box = ui.glue.files.message
    assert box is not None and box.isVisible()
    assert box.text() == (
        "Aucune application de ce poste ne sait ouvrir « Justificatif de domicile.png »."
    )
    assert str(copy.parent) in box.informativeText()
    ARTIFACTS.mkdir(exist_ok=True)
    assert box.grab().save(str(ARTIFACTS / "no_viewer.png"))
    click(box, "show-folder")
    assert opener.asked[-1] == copy.parent
    assert ui.glue.files.message is box  # the folder opened: nothing more to say


def test_a_letter_without_viewer_nor_file_manager_gives_its_path_to_copy(
    qtbot, make_window: Callable[..., MainWindow], demo_db: sqlite3.Connection,  # type: ignore[no-untyped-def]
    documents_folder: Path,
) -> None:
    opener = Opener(folders=False)
    letters = LetterService(demo_db, documents_root=documents_folder,
                            converter=NoPdf())
    window = make_window(letters=letters, tasks=TaskRunner(synchronous=True), open_url=opener)
    pk = int(demo_db.execute(
        "SELECT pk FROM request WHERE status = 'received' AND acknowledged_at IS NULL "
        "ORDER BY pk DESC LIMIT 1").fetchone()[0])
    window.select_request(pk)
    qtbot.waitUntil(lambda: window.detail.shown_pk == pk, timeout=2000)
    window.request_actions.actions[RequestAction.ACKNOWLEDGEMENT].trigger()
    click(window.request_actions.message, "open-document")
    word = opener.asked[-1]
    assert word.suffix == ".docx" and word.is_file()
    files = window.request_actions.files
    box = files.message
    assert box is not None and box.text() == (
        f"Aucune application de ce poste ne sait ouvrir « {word.name} »."
    )
    click(box, "show-folder")
    assert opener.asked[-1] == word.parent
    again = files.message
    assert again is not None and again is not box and again.isVisible()
    assert again.text() == "Ce poste ne sait pas non plus afficher le dossier."
    assert str(word) in again.informativeText()
    click(again, "copy-path")
    assert QApplication.clipboard().text() == str(word)
    assert window.statusBar().currentMessage() == f"Chemin copié : {word}"
