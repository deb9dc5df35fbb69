"""The in-app preview: page 1 first, thumbnails as the strip shows them, sizes that follow the
zoom and the rotation, the keys, and broken or stuck documents told in French."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QApplication

from desktop.store.attachments import add_attachment_data, request_attachments
from desktop.views.attachments_ui import install_attachments
from desktop.views.detail_pane import PREVIEW_SCHEME
from desktop.views.main_window import MainWindow
from desktop.views.scans.preview_dialog import PreviewDialog
from desktop.views.scans.window import install_scans
from desktop.views.widgets.page_preview import THUMB_WIDTH, PagePreview
from tests.gui.conftest import ARTIFACTS
from tests.gui.test_attachments_pane import click_link
from tests.scan_files import image_bytes, pdf_bytes

pytestmark = pytest.mark.gui
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def preview(qtbot) -> PagePreview:  # type: ignore[no-untyped-def]
    widget = PagePreview()
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def shown_size(widget: PagePreview) -> QSize:
    return widget.page_pixmap().deviceIndependentSize().toSize()


def test_page_one_and_thumbnails_are_drawn_to_the_page_size_times_the_zoom(
    qtbot, preview: PagePreview,  # type: ignore[no-untyped-def]
) -> None:
    preview.zoom = 1.5
    with qtbot.waitSignal(preview.pageShown, timeout=10_000) as shown:
        preview.load(pdf_bytes(3, (400.0, 600.0)), "trois pages.pdf")
    assert shown.args == [0]
    assert shown_size(preview) == QSize(600, 900)  # 400 × 600 points at 150 %
    assert preview.page_box.text() == "Page 1 / 3" and preview.zoom_label.text() == "150 %"
    qtbot.waitUntil(lambda: preview.thumbs_done == {0, 1, 2}, timeout=10_000)
    for number in range(3):
        (size,) = preview.thumbnail(number).availableSizes()
        assert size == QSize(THUMB_WIDTH, round(THUMB_WIDTH * 600 / 400))

    preview.area.setFocus()
    with qtbot.waitSignal(preview.pageShown, timeout=10_000) as shown:
        qtbot.keyClick(preview.area, Qt.Key.Key_PageDown)
    assert shown.args == [1] and preview.page_box.text() == "Page 2 / 3"
    assert preview.thumbs.currentRow() == 1
    with qtbot.waitSignal(preview.pageShown, timeout=10_000):
        qtbot.keyClick(preview.area, Qt.Key.Key_Plus, CTRL)
    assert preview.zoom == 2.0 and shown_size(preview) == QSize(800, 1200)
    with qtbot.waitSignal(preview.pageShown, timeout=10_000):
        qtbot.keyClick(preview.area, Qt.Key.Key_R, CTRL)  # turned for reading
    assert shown_size(preview) == QSize(1200, 800)
    assert preview.rotations == {1: 90}
    with qtbot.waitSignal(preview.pageShown, timeout=10_000):
        qtbot.keyClick(preview.area, Qt.Key.Key_0, CTRL)  # « Pleine largeur »
    qtbot.wait(50)  # the scroll bars follow the new size
    width = preview.area.viewport().width() - 32
    assert preview.zoom is None and width - 30 < shown_size(preview).width() <= width
    assert not preview.area.horizontalScrollBar().isVisible()
    assert preview.zoom_label.text().endswith("(pleine largeur)")
    with qtbot.waitSignal(preview.pageShown, timeout=10_000) as shown:
        qtbot.keyClick(preview.area, Qt.Key.Key_PageUp)
    assert shown.args == [0] and not preview.previous_button.isEnabled()


def test_a_200_page_pdf_shows_page_one_before_all_thumbnails(
    qtbot, preview: PagePreview,  # type: ignore[no-untyped-def]
) -> None:
    with qtbot.waitSignal(preview.pageShown, timeout=10_000):
        preview.load(pdf_bytes(200), "registre.pdf")
    assert preview.page_count == 200 and preview.page_box.text() == "Page 1 / 200"
    assert len(preview.thumbs_done) < 200
    # Only what the strip shows (and a few beyond) is drawn, never the 200.
    qtbot.waitUntil(lambda: 0 in preview.thumbs_done, timeout=10_000)
    qtbot.wait(200)
    assert len(preview.thumbs_done) < 30
    preview.thumbs.scrollToBottom()
    qtbot.waitUntil(lambda: 199 in preview.thumbs_done, timeout=10_000)
    assert len(preview.thumbs_done) < 60
    with qtbot.waitSignal(preview.pageShown, timeout=10_000) as shown:
        preview.thumbs.setCurrentRow(150)
    assert shown.args == [150] and preview.page_box.text() == "Page 151 / 200"


def test_images_are_previewed_like_pdfs(qtbot, preview: PagePreview) -> None:  # type: ignore[no-untyped-def]
    preview.zoom = 1.0
    with qtbot.waitSignal(preview.pageShown, timeout=10_000):
        preview.load(image_bytes("png", 300, 200), "photo.png", "image/png")
    assert preview.page_count == 1 and not preview.next_button.isEnabled()
    assert shown_size(preview).width() > 0


def test_a_broken_pdf_is_told_in_french_and_the_widget_goes_on(
    qtbot, preview: PagePreview,  # type: ignore[no-untyped-def]
) -> None:
    with qtbot.waitSignal(preview.failed, timeout=10_000) as failed:
        preview.load(b"%PDF-1.7\n" + bytes(range(256)) * 8, "abîmé.pdf")
    assert "« abîmé.pdf » ne peut pas être affiché" in failed.args[0]
    assert preview.message.isVisible() and preview.message.text() == failed.args[0]
    assert not preview.next_button.isEnabled() and preview.page_count == 0
    with qtbot.waitSignal(preview.pageShown, timeout=10_000):  # the next file opens
        preview.load(pdf_bytes(1), "bon.pdf")
    assert not preview.message.isVisible()


class _StuckRunner:
    """A renderer that never answers, as MuPDF stuck in a hostile file."""

    def __init__(self) -> None:
        self.asked = 0

    def run(self, fn: Callable[[], object], **_options: object) -> None:
        self.asked += 1


def test_a_page_that_never_comes_is_given_up_with_a_french_message(qtbot) -> None:  # type: ignore[no-untyped-def]
    stuck = _StuckRunner()
    widget = PagePreview(timeout_s=0.2, runner=stuck)  # type: ignore[arg-type]
    qtbot.addWidget(widget)
    widget.show()
    with qtbot.waitSignal(widget.failed, timeout=5000) as failed:
        widget.load(pdf_bytes(1), "piège.pdf")
    assert failed.args[0].startswith("La page 1 de « piège.pdf » ne s'affiche toujours pas")
    assert "application du système" in failed.args[0]
    assert widget.message.isVisible() and stuck.asked == 1


def test_an_attachment_is_previewed_from_the_detail_pane(
    qtbot, make_window: Callable[..., MainWindow], demo_db: sqlite3.Connection,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    opened: list[object] = []
    window = make_window()
    attachments = install_attachments(window, None, open_url=opened.append,
                                      folder=tmp_path / "ouverts")
    ui = install_scans(window, attachments)
    pk = window.model.pk_at(0)
    attachment_id = add_attachment_data(demo_db, pk, pdf_bytes(4), "Courrier numérisé.pdf")
    window.select_request(pk)
    assert "Aperçu · Ouvrir · disponible hors ligne" in window.detail.toPlainText()
    click_link(qtbot, window.detail, f"{PREVIEW_SCHEME}:{attachment_id}")
    dialog = ui.previews.open[f"attachment:{attachment_id}"]
    assert isinstance(dialog, PreviewDialog)
    assert dialog.windowTitle() == "Aperçu — Courrier numérisé.pdf"
    qtbot.waitUntil(lambda: dialog.preview.page_count == 4 and not dialog.preview.page_pixmap()
                    .isNull(), timeout=10_000)
    qtbot.waitUntil(lambda: len(dialog.preview.thumbs_done) == 4, timeout=10_000)
    assert window.isEnabled()  # non-modal: the bannette stays usable
    # Asked again: the same window comes forward, not a second one.
    assert ui.preview_attachment(attachment_id) is dialog
    ARTIFACTS.mkdir(exist_ok=True)
    qtbot.wait(100)  # the last layout pass
    assert dialog.grab().save(str(ARTIFACTS / "preview.png"))
    dialog.findChild(object, "preview-open-external").click()  # the system viewer stays
    assert opened and str(opened[0].toLocalFile()).endswith("Courrier numérisé.pdf")
    dialog.close()
    QApplication.processEvents()
    assert request_attachments(demo_db, pk)[-1].id == attachment_id
