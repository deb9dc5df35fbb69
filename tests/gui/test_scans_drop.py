"""Files dropped from the Explorer onto a request row, the detail pane and the intake dialog:
the same checks as the file dialog, refusals listed in French, nothing half-attached."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication

from desktop.store.attachments import request_attachments
from desktop.views.attachments_ui import install_attachments
from desktop.views.intake_dialog import IntakeDialog, IntakeFlow
from desktop.views.main_window import MainWindow
from desktop.views.scans.window import ScansUi, install_scans
from tests.gui.scan_helpers import drop_files, register_new
from tests.scan_files import image_bytes, pdf_bytes

pytestmark = pytest.mark.gui


@pytest.fixture
def scans(make_window: Callable[..., MainWindow], tmp_path: Path) -> ScansUi:
    window = make_window()
    attachments = install_attachments(window, None, folder=tmp_path / "ouverts")
    return install_scans(window, attachments)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "explorateur"
    folder.mkdir()
    made = {
        "courrier.pdf": pdf_bytes(2),
        "photo.jpg": image_bytes("jpg"),
        "facture.pdf": b"MZ\x90\x00 un programme",  # an executable named .pdf
        "message.eml": b"From: usager@exemple.fr\r\nSubject: test\r\n\r\nbonjour",
    }
    for name, data in made.items():
        (folder / name).write_bytes(data)
    return {name: folder / name for name in made}


def names(conn: sqlite3.Connection, pk: int) -> list[str]:
    return [a.filename for a in request_attachments(conn, pk)]


def row_point(window: MainWindow, row: int) -> QPoint:
    return window.table.visualRect(window.model.index(row, 2)).center()


def test_files_dropped_on_a_row_join_that_request_and_refusals_are_listed(
    qtbot, scans: ScansUi, demo_db: sqlite3.Connection, files: dict[str, Path],  # type: ignore[no-untyped-def]
) -> None:
    window = scans.window
    pk = window.model.pk_at(3)
    before = names(demo_db, pk)
    dropped = [files["courrier.pdf"], files["facture.pdf"], files["photo.jpg"],
               files["message.eml"]]
    assert drop_files(window.table.viewport(), dropped, row_point(window, 3))

    assert window.selected_pk() == pk and window.detail.shown_pk == pk
    assert names(demo_db, pk) == [*before, "courrier.pdf", "photo.jpg"]
    assert "courrier.pdf" in window.detail.toPlainText()  # the pane follows
    box = scans.message
    assert box is not None and box.isVisible()
    text = box.text()
    assert "2 fichiers joints : « courrier.pdf », « photo.jpg »" in text
    assert "« facture.pdf » n'est pas un PDF, un JPG ou un PNG" in text
    assert "« message.eml » est un courriel" in text
    assert "courrier.pdf" in window.statusBar().currentMessage()

    # The same files again: not joined twice, said so.
    assert drop_files(window.table.viewport(), [files["courrier.pdf"]], row_point(window, 3))
    assert names(demo_db, pk) == [*before, "courrier.pdf", "photo.jpg"]
    assert "déjà joint" in window.statusBar().currentMessage()


def test_a_drop_below_the_last_row_or_of_text_is_not_taken(
    qtbot, scans: ScansUi, demo_db: sqlite3.Connection, files: dict[str, Path],  # type: ignore[no-untyped-def]
) -> None:
    window = scans.window
    window.filters.search.setText("zzzzzzzz-aucune")  # an empty list: no row to drop on
    qtbot.waitUntil(lambda: window.model.rowCount() == 0, timeout=3000)
    total = demo_db.execute("SELECT COUNT(*) FROM attachment").fetchone()[0]
    assert not drop_files(window.table.viewport(), [files["courrier.pdf"]], QPoint(20, 20))
    assert demo_db.execute("SELECT COUNT(*) FROM attachment").fetchone()[0] == total


def test_files_dropped_on_the_detail_pane_join_the_request_shown(
    qtbot, scans: ScansUi, demo_db: sqlite3.Connection, files: dict[str, Path],  # type: ignore[no-untyped-def]
) -> None:
    window = scans.window
    assert not drop_files(window.detail.viewport(), [files["courrier.pdf"]])  # nothing shown
    pk = window.model.pk_at(0)
    window.select_request(pk)
    before = names(demo_db, pk)
    assert drop_files(window.detail.viewport(), [files["photo.jpg"]])
    assert names(demo_db, pk) == [*before, "photo.jpg"]
    assert scans.message is None  # nothing refused: no box, the status bar says it
    assert "1 fichier joint : « photo.jpg »" in window.statusBar().currentMessage()

    # The request in its own window (Entrée) takes files the same way.
    own = window.open_detail_dialog(0)
    assert own is not None and own.pane.shown_pk == pk
    qtbot.waitExposed(own)
    assert drop_files(own.pane.viewport(), [files["courrier.pdf"]])
    assert names(demo_db, pk) == [*before, "photo.jpg", "courrier.pdf"]
    assert "courrier.pdf" in own.pane.toPlainText()
    own.close()


def test_dropped_mails_go_to_the_mail_intake_when_it_is_there(
    qtbot, scans: ScansUi, demo_db: sqlite3.Connection, files: dict[str, Path],  # type: ignore[no-untyped-def]
) -> None:
    taken: list[tuple[list[Path], int | None]] = []
    scans.mail_handler = lambda paths, pk: taken.append((paths, pk)) or []  # type: ignore[func-returns-value]
    window = scans.window
    pk = window.model.pk_at(1)
    assert drop_files(window.table.viewport(), [files["message.eml"]], row_point(window, 1))
    assert taken == [([files["message.eml"]], pk)]
    assert scans.message is None


def test_files_dropped_on_the_intake_dialog_join_the_new_request(
    qtbot, scans: ScansUi, demo_db: sqlite3.Connection, files: dict[str, Path],  # type: ignore[no-untyped-def]
) -> None:
    window = scans.window
    window.new_request_action.trigger()
    dialog = window.findChild(IntakeDialog, "intake-dialog")
    qtbot.waitExposed(dialog)
    # Dropped on the subject field: joined, not pasted as a path.
    assert drop_files(dialog.subject, [files["courrier.pdf"], files["facture.pdf"]])
    assert dialog.subject.text() == ""
    assert [f.name for f in dialog.files.ready] == ["courrier.pdf"]
    assert dialog.files.refusals.isVisible()
    assert "« facture.pdf » n'est pas un PDF" in dialog.files.refusals.text()
    assert drop_files(dialog, [files["photo.jpg"], files["courrier.pdf"]])  # a twin: kept once
    assert [f.name for f in dialog.files.ready] == ["courrier.pdf", "photo.jpg"]
    # A mail dropped on the list of files fills the intake from it (the mail intake's hook).
    drop_files(dialog.files.list.viewport(), [files["message.eml"]])
    assert dialog.subject.text() == "test"
    assert dialog.body.toPlainText() == "bonjour"
    dialog.subject.clear()

    pk = register_new(qtbot, dialog, "Mairie de Rambervillers",
                      "Réservation de salle communale", "Lefèvre",
                      "Demande d'acte déposée au guichet")
    assert names(demo_db, pk) == ["courrier.pdf", "photo.jpg"]
    events = demo_db.execute(
        "SELECT COUNT(*) FROM event WHERE request_pk = ? AND kind = 'attachment_added'", (pk,)
    ).fetchone()[0]
    assert events == 2
    assert "2 fichiers joints" in window.statusBar().currentMessage()
    assert window.findChild(IntakeFlow).attached.joined == ["courrier.pdf", "photo.jpg"]
    QApplication.processEvents()
