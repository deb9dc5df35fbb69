"""Attachments in the detail pane without a sync server (the offline demonstration): a file
joined here opens at once, « Télécharger » explains why it cannot, and a refused file leaves
nothing behind. The server-backed paths are in tests/sync/test_attachments_window.py."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QMenu, QMessageBox, QPushButton

from desktop.store.attachments import request_attachments
from desktop.views.attachments_ui import NO_SERVER, NOWHERE, install_attachments
from desktop.views.detail_pane import REMOVE_SCHEME, DetailPane, attachment_url
from desktop.views.main_window import MainWindow
from tests.gui.conftest import ARTIFACTS
from tests.server.helpers import png_bytes

pytestmark = pytest.mark.gui


def click_link(qtbot, pane: DetailPane, href: str) -> None:  # type: ignore[no-untyped-def]
    """A real mouse click on the link, as the secrétaire does it."""
    block = pane.document().begin()
    while block.isValid():
        for piece in block:
            fragment = piece.fragment()
            if fragment.charFormat().anchorHref() == href:
                cursor = QTextCursor(pane.document())
                cursor.setPosition(fragment.position() + 1)
                pane.setTextCursor(cursor)
                pane.ensureCursorVisible()
                point = pane.cursorRect(cursor).center()
                qtbot.mouseClick(pane.viewport(), Qt.MouseButton.LeftButton, pos=point)
                return
        block = block.next()
    pytest.fail(f"no link {href} in the pane: {pane.toPlainText()}")


def test_offline_demo_opens_joined_files_and_explains_downloads(
    qtbot, make_window: Callable[..., MainWindow], demo_db: sqlite3.Connection,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    opened: list[QUrl] = []
    window = make_window()
    chosen: list[Path | None] = []
    ui = install_attachments(window, None, open_url=opened.append,
                             choose=lambda _parent: chosen.pop(0), folder=tmp_path / "ouverts")
    assert not ui.attach_action.isEnabled()  # nothing selected yet
    assert ui.attach_action in window.findChild(QMenu, "menu-request").actions()
    pk = int(demo_db.execute(
        "SELECT request_pk FROM attachment GROUP BY request_pk ORDER BY request_pk LIMIT 1"
    ).fetchone()[0])
    window.select_request(pk)
    assert ui.attach_action.isEnabled()
    demo = request_attachments(demo_db, pk)[0]  # metadata only: the demo has no files
    assert not demo.cached and not demo.on_server
    assert "fichier absent de ce poste et du serveur" in window.detail.toPlainText()
    assert "Télécharger" not in window.detail.toPlainText()  # nowhere to fetch it from
    ui.glue.requested(demo.id)
    assert ui.message is not None and ui.message.text() == NOWHERE
    ui.message.button(QMessageBox.StandardButton.Close).click()

    # Had it come from a server, « Télécharger » would say none is configured here.
    demo_db.execute("UPDATE attachment SET version = 1 WHERE id = ?", (demo.id,))
    window.detail.refresh_attachments()
    assert "Télécharger · sur le serveur" in window.detail.toPlainText()
    click_link(qtbot, window.detail, attachment_url(demo.id))
    assert ui.message.text() == NO_SERVER
    assert not opened
    ui.message.button(QMessageBox.StandardButton.Close).click()

    before = len(request_attachments(demo_db, pk))
    chosen.append(None)  # the file dialog cancelled: nothing happens
    ui.attach_action.trigger()
    assert len(request_attachments(demo_db, pk)) == before and ui.message.isHidden()
    scan = tmp_path / "Relevé d'identité bancaire.png"
    scan.write_bytes(png_bytes())
    chosen.append(scan)
    ui.attach_action.trigger()
    joined = request_attachments(demo_db, pk)
    assert len(joined) == before + 1
    new = joined[-1]
    # The demo's requests never reached a server: nothing is queued for one.
    assert new.cached and not new.upload_pending
    text = window.detail.toPlainText()
    assert f"Pièces jointes ({before + 1})" in text
    assert "Relevé d'identité bancaire.png — Image PNG" in text
    assert "Ouvrir · disponible hors ligne" in text and "en attente d'envoi" not in text

    click_link(qtbot, window.detail, attachment_url(new.id))
    assert [Path(u.toLocalFile()).name for u in opened] == [scan.name]
    assert Path(opened[0].toLocalFile()).read_bytes() == scan.read_bytes()
    assert Path(opened[0].toLocalFile()).is_relative_to(tmp_path / "ouverts")


def answer(qtbot, ui, button: str, seen: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Clicks ``button`` of the question the next action asks (a modal box), noting its text."""

    def click() -> None:
        box = ui.glue.question
        if box is None:
            QTimer.singleShot(10, click)
            return
        seen.append(box.text())
        ARTIFACTS.mkdir(exist_ok=True)
        box.grab().save(str(ARTIFACTS / f"attachment_{box.objectName()}.png"))
        found = box.findChild(QPushButton, button)
        assert found is not None, button
        found.click()

    QTimer.singleShot(0, click)


def test_the_same_file_twice_is_questioned_and_a_mistake_can_be_removed(
    qtbot, make_window: Callable[..., MainWindow], demo_db: sqlite3.Connection,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    """Issue 9 item 15, in the offline demonstration: joining the same bytes again asks first
    (« Ne pas joindre » by default); « Retirer la pièce » asks, then removes it and says so in
    the history, under the agent's name."""
    window = make_window()
    scan = tmp_path / "Avis d'imposition.png"
    scan.write_bytes(png_bytes())
    same = tmp_path / "copie.png"
    same.write_bytes(png_bytes())
    ui = install_attachments(window, None, open_url=lambda _url: True,
                             choose=lambda _parent: chosen.pop(0), folder=tmp_path / "ouverts")
    chosen: list[Path] = [scan, same, same]
    pk = int(demo_db.execute("SELECT pk FROM request ORDER BY pk DESC LIMIT 1").fetchone()[0])
    window.select_request(pk)
    before = len(request_attachments(demo_db, pk))
    ui.attach_action.trigger()
    assert len(request_attachments(demo_db, pk)) == before + 1

    seen: list[str] = []
    answer(qtbot, ui, "do-not-join", seen)
    ui.attach_action.trigger()
    assert len(request_attachments(demo_db, pk)) == before + 1
    assert seen == [
        "Ce fichier est déjà joint à la demande (« Avis d'imposition.png », joint le "
        "23 novembre 2026).\n\nLe joindre quand même ?"
    ]
    assert window.statusBar().currentMessage() == (
        "Fichier « copie.png » non joint : il l'était déjà.")
    answer(qtbot, ui, "join-anyway", seen)
    ui.attach_action.trigger()
    joined = request_attachments(demo_db, pk)
    assert [a.filename for a in joined[before:]] == ["Avis d'imposition.png", "copie.png"]

    mistake = joined[-1]
    assert "Retirer la pièce" in window.detail.toPlainText()
    answer(qtbot, ui, "cancel-remove", seen)
    click_link(qtbot, window.detail, f"{REMOVE_SCHEME}:{mistake.id}")
    assert len(request_attachments(demo_db, pk)) == before + 2
    answer(qtbot, ui, "confirm-remove", seen)
    click_link(qtbot, window.detail, f"{REMOVE_SCHEME}:{mistake.id}")
    assert seen[-1] == (
        "Retirer la pièce « copie.png » de la demande ?\n\n"
        "Le retrait restera inscrit dans l'historique de la demande.")
    assert [a.filename for a in request_attachments(demo_db, pk)[before:]] == [
        "Avis d'imposition.png"]
    agent = demo_db.execute(
        "SELECT a.display_name FROM setting s JOIN agent a ON a.id = s.value "
        "WHERE s.key = 'current_agent'").fetchone()[0]
    text = window.detail.toPlainText()
    assert f"Pièce jointe retirée : copie.png — {agent}" in text
    assert f"Pièce jointe ajoutée : Avis d'imposition.png — {agent}" in text
    assert window.statusBar().currentMessage() == "Pièce « copie.png » retirée de la demande."
