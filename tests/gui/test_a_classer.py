"""« À classer »: the copier's scan folder followed by the window. A half-written file waits, a
locked one says why, a classified one moves to « classés » and never comes back; images are
joined into one PDF; a scan starts a new request."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pymupdf
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from desktop.services.scan_folder import CLASSIFIED, UNREADABLE_AFTER, read_ends
from desktop.services.tasks import TaskRunner
from desktop.store.attachments import request_attachments
from desktop.store.sync_store import blob_path
from desktop.views.attachments_ui import install_attachments
from desktop.views.intake_dialog import IntakeDialog
from desktop.views.main_window import MainWindow
from desktop.views.scans.a_classer import NO_FOLDER
from desktop.views.scans.window import ScansUi, install_scans
from tests.gui.conftest import ARTIFACTS
from tests.gui.scan_helpers import register_new
from tests.scan_files import image_bytes, pdf_bytes

pytestmark = pytest.mark.gui
LOCKED = "verrouille.pdf"


def read_as_os(path: Path) -> tuple[bytes, bytes]:
    """The OS's refusal of a chmod 000 file, acted under root (which reads any file)."""
    if path.name == LOCKED and os.geteuid() == 0 and not os.stat(path).st_mode & 0o777:
        raise PermissionError(13, "Permission non accordée")
    return read_ends(path)


@pytest.fixture
def scan_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "copieur"
    folder.mkdir()
    return folder


@pytest.fixture
def install(make_window: Callable[..., MainWindow], tmp_path: Path
            ) -> Callable[..., ScansUi]:
    def make(window: MainWindow | None = None, **options: object) -> ScansUi:
        window = window or make_window()
        attachments = install_attachments(window, None, folder=tmp_path / "ouverts")
        options.setdefault("runner", TaskRunner(window, synchronous=True))
        options.setdefault("interval_ms", 3_600_000)  # the test looks when it wants
        options.setdefault("settle_ms", 3_600_000)
        return install_scans(window, attachments, read=read_as_os, **options)  # type: ignore[arg-type]
    return make


def choose_folder(qtbot, ui: ScansUi, folder: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = ui.choose_folder()
    qtbot.waitExposed(dialog)
    dialog.path.setText(str(folder))
    dialog.accept()
    assert not dialog.isVisible()


def listed(ui: ScansUi) -> list[str]:
    return [f.name for f in (ui.watcher.last.ready if ui.watcher.last else [])]


def select(ui: ScansUi, *names: str) -> None:
    ui.panel.list.clearSelection()
    for row in range(ui.panel.list.count()):
        item = ui.panel.list.item(row)
        if item.text().split("\n")[0] in names:
            item.setSelected(True)


def test_the_folder_is_chosen_per_pc_and_a_missing_one_is_refused(
    qtbot, install, demo_db: sqlite3.Connection, scan_dir: Path,  # type: ignore[no-untyped-def]
) -> None:
    ui = install()
    assert ui.panel.folder_label.text() == NO_FOLDER and ui.dock.isHidden()
    file_menu = ui.window.findChild(QMenu, "menu-file")
    assert ui.folder_action in file_menu.actions()
    assert ui.toggle_action.shortcut().toString() == "Ctrl+Shift+C"
    keys = [a.shortcut().toString() for a in ui.window.findChildren(QAction)
            if not a.shortcut().isEmpty()]
    assert len(keys) == len(set(keys)), "a shortcut taken twice"
    dialog = ui.choose_folder()
    dialog.path.setText(str(scan_dir / "absent"))
    dialog.accept()
    assert dialog.isVisible() and "n'existe pas" in dialog.error.text()
    dialog.path.setText(str(scan_dir))
    dialog.accept()
    assert not dialog.isVisible() and ui.dock.isVisible()
    assert demo_db.execute("SELECT value FROM setting WHERE key = 'scan_folder'"
                           ).fetchone()[0] == str(scan_dir)
    assert ui.panel.folder_label.text() == f"Dossier : {scan_dir}"


def test_a_half_written_scan_waits_a_locked_one_says_why_and_attaching_classifies(
    qtbot, install, make_window, demo_db: sqlite3.Connection, scan_dir: Path,  # type: ignore[no-untyped-def]
) -> None:
    ui = install()
    window = ui.window
    choose_folder(qtbot, ui, scan_dir)
    data = pdf_bytes(2)
    half = scan_dir / "SCAN_0001.pdf"
    half.write_bytes(data[:400])  # the copier has written the beginning
    locked = scan_dir / LOCKED
    locked.write_bytes(pdf_bytes(1))
    locked.chmod(0)
    try:
        ui.watcher.rescan()
        assert listed(ui) == [] and ui.dock.windowTitle() == "À classer"
        with half.open("ab") as handle:
            handle.write(data[400:])  # … and the end
        ui.watcher.rescan()
        assert listed(ui) == []  # it grew since the last look: not yet
        for _ in range(UNREADABLE_AFTER):
            ui.watcher.rescan()
        assert listed(ui) == ["SCAN_0001.pdf"]
        assert ui.dock.windowTitle() == "À classer (1)"
        assert ui.toggle_action.text() == "À &classer (1)"
        texts = [ui.panel.list.item(i).text() for i in range(ui.panel.list.count())]
        assert any(t.startswith(LOCKED) and "ne peut pas être ouvert" in t for t in texts)
    finally:
        locked.chmod(0o644)

    select(ui, "SCAN_0001.pdf")
    assert not ui.panel.attach_button.isEnabled()  # no request shown yet
    pk = window.model.pk_at(0)
    window.select_request(pk)
    assert ui.panel.target.text().startswith("Demande affichée : ")
    assert ui.panel.attach_button.isEnabled()
    before = len(request_attachments(demo_db, pk))
    ui.panel.attach_button.click()
    joined = request_attachments(demo_db, pk)
    assert len(joined) == before + 1 and joined[-1].filename == "SCAN_0001.pdf"
    assert blob_path(demo_db, joined[-1].sha256).read_bytes() == data
    assert not half.exists() and (scan_dir / CLASSIFIED / "SCAN_0001.pdf").read_bytes() == data
    assert listed(ui) == [LOCKED]  # released meanwhile: now listed, nothing lost

    # After a restart, the classified file does not come back.
    again = install(make_window())
    again.watcher.rescan()
    assert "SCAN_0001.pdf" not in listed(again)


def test_images_joined_into_one_pdf_in_the_list_order(
    qtbot, install, demo_db: sqlite3.Connection, scan_dir: Path,  # type: ignore[no-untyped-def]
) -> None:
    ui = install()
    shades = {"page1.jpg": 20, "page2.png": 120, "page3.tif": 230}
    for name, shade in shades.items():
        kind = name.rsplit(".", 1)[1]
        (scan_dir / name).write_bytes(image_bytes(kind, 124, 175, shade))
    choose_folder(qtbot, ui, scan_dir)
    ui.watcher.rescan()
    assert listed(ui) == list(shades)
    assert "TIFF, joint en PDF" in ui.panel.list.item(2).text()
    pk = ui.window.model.pk_at(2)
    ui.window.select_request(pk)
    select(ui, *shades)
    assert ui.panel.join_button.isEnabled()
    ui.panel.join_button.click()  # the runner is synchronous here: done at once
    joined = request_attachments(demo_db, pk)[-1]
    assert joined.filename == "page1.pdf" and joined.media_type == "application/pdf"
    document = pymupdf.open(stream=blob_path(demo_db, joined.sha256).read_bytes(),
                            filetype="pdf")
    try:
        assert document.page_count == 3
        seen = [document[i].get_pixmap(matrix=pymupdf.Matrix(0.1, 0.1)).pixel(3, 3)[0]
                for i in range(3)]
        assert seen[0] < seen[1] < seen[2]  # in order
    finally:
        document.close()
    assert sorted(p.name for p in (scan_dir / CLASSIFIED).iterdir()) == sorted(shades)
    assert listed(ui) == []


def test_a_scan_starts_a_new_request_and_is_classified_once_registered(
    qtbot, install, demo_db: sqlite3.Connection, scan_dir: Path,  # type: ignore[no-untyped-def]
) -> None:
    ui = install()
    (scan_dir / "courrier.pdf").write_bytes(pdf_bytes(1))
    (scan_dir / "notice.txt").write_bytes(b"lisez-moi")
    choose_folder(qtbot, ui, scan_dir)
    ui.watcher.rescan()
    select(ui, "notice.txt")
    assert not ui.panel.new_button.isEnabled()  # not a file that may be attached
    select(ui, "courrier.pdf")
    dialog = ui.new_request_with_selected()
    assert isinstance(dialog, IntakeDialog)
    qtbot.waitExposed(dialog)
    assert [f.name for f in dialog.files.ready] == ["courrier.pdf"]
    dialog.reject()  # cancelled: the scan stays to classify
    assert (scan_dir / "courrier.pdf").exists()

    dialog = ui.new_request_with_selected()
    elsewhere = scan_dir.parent / "autre.pdf"  # dropped from the Explorer: never moved
    elsewhere.write_bytes(pdf_bytes(2))
    dialog.files.add_paths([elsewhere])
    pk = register_new(qtbot, dialog, "Mairie de Bitche", "Concession funéraire", "Müller",
                      "Courrier reçu : concession")
    assert [a.filename for a in request_attachments(demo_db, pk)] == ["courrier.pdf",
                                                                      "autre.pdf"]
    assert elsewhere.exists()
    assert (scan_dir / CLASSIFIED / "courrier.pdf").exists()
    assert listed(ui) == ["notice.txt"]
    (scan_dir / "SCAN_0002.pdf").write_bytes(pdf_bytes(3))
    (scan_dir / "SCAN_0003.jpg").write_bytes(image_bytes("jpg"))
    ui.watcher.rescan()
    ui.watcher.rescan()
    assert ui.dock.windowTitle() == "À classer (3)"
    ARTIFACTS.mkdir(exist_ok=True)
    ui.window.resize(1400, 800)
    ui.dock.show()
    select(ui, "SCAN_0002.pdf")
    qtbot.wait(50)
    assert ui.window.grab().save(str(ARTIFACTS / "a_classer.png"))


def test_the_watcher_notices_a_new_scan_by_itself(
    qtbot, install, scan_dir: Path,  # type: ignore[no-untyped-def]
) -> None:
    ui = install(runner=TaskRunner(), interval_ms=200, settle_ms=50)
    choose_folder(qtbot, ui, scan_dir)
    (scan_dir / "arrive.pdf").write_bytes(pdf_bytes())
    qtbot.waitUntil(lambda: listed(ui) == ["arrive.pdf"], timeout=10_000)
    ui.watcher.stop()
    ui.runner.wait_for_done()


def test_a_scan_is_previewed_with_enter_or_a_double_click(
    qtbot, install, scan_dir: Path,  # type: ignore[no-untyped-def]
) -> None:
    ui = install()
    (scan_dir / "SCAN_0004.tif").write_bytes(image_bytes("tiff", 200, 280, 90))
    choose_folder(qtbot, ui, scan_dir)
    ui.watcher.rescan()
    ui.window.activateWindow()
    qtbot.waitUntil(ui.window.isActiveWindow, timeout=2000)
    select(ui, "SCAN_0004.tif")
    ui.panel.list.setCurrentRow(0)
    ui.panel.list.setFocus()
    qtbot.keyClick(ui.panel.list, Qt.Key.Key_Return)
    key = f"scan:{scan_dir / 'SCAN_0004.tif'}"
    dialog = ui.previews.open[key]
    assert dialog.windowTitle() == "Aperçu — SCAN_0004.tif"
    qtbot.waitUntil(lambda: not dialog.preview.page_pixmap().isNull(), timeout=10_000)
    assert dialog.preview.page_count == 1
    dialog.close()
    qtbot.waitUntil(lambda: key not in ui.previews.open, timeout=2000)
    point = ui.panel.list.visualItemRect(ui.panel.list.item(0)).center()
    qtbot.mouseClick(ui.panel.list.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.mouseDClick(ui.panel.list.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert key in ui.previews.open
    ui.previews.open[key].close()
    assert (scan_dir / "SCAN_0004.tif").exists()  # looking classifies nothing
