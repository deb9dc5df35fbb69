"""Attachments in the detail pane without a sync server (the offline demonstration): a file
joined here opens at once, « Télécharger » explains why it cannot, and a refused file leaves
nothing behind. The server-backed paths are in tests/sync/test_attachments_window.py."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QMenu, QMessageBox

from desktop.store.attachments import request_attachments
from desktop.views.attachments_ui import NO_SERVER, NOWHERE, install_attachments
from desktop.views.detail_pane import DetailPane, attachment_url
from desktop.views.main_window import MainWindow
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
