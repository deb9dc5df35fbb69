"""One PDF viewer for the whole app: the reply's preview and the élu's desk.

Pages are rendered with PyMuPDF into images shown in a scroll area. The first page is drawn at
once, the others one per event-loop turn, so a 40-page annex never freezes the window; a zoom
change renders again the same way.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

ZOOMS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0)
DEFAULT_ZOOM = 1.0


def render_page(document: object, number: int, zoom: float) -> QImage:
    """One page of a PyMuPDF document as a QImage at ``zoom`` (1.0 = 72 dpi)."""
    import pymupdf

    page = document[number]  # type: ignore[index]
    pixmap = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False)
    image = QImage(pixmap.samples, pixmap.width, pixmap.height, pixmap.stride,
                   QImage.Format.Format_RGB888)
    return image.copy()  # detached from PyMuPDF's buffer


class PdfViewer(QWidget):
    """Shows a PDF page after page with zoom; ``load(path)`` or ``clear(message)``."""

    #: All pages of the current document are drawn (tests, screenshots).
    rendered = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pdf-viewer")
        self._document: object | None = None
        self._zoom = DEFAULT_ZOOM
        self._next = 0
        self._labels: list[QLabel] = []
        self.path: Path | None = None

        self.zoom_out = QPushButton("−", self)
        self.zoom_out.setObjectName("pdf-zoom-out")
        self.zoom_out.setToolTip("Réduire (Ctrl+-)")
        self.zoom_out.setShortcut("Ctrl+-")
        self.zoom_in = QPushButton("+", self)
        self.zoom_in.setObjectName("pdf-zoom-in")
        self.zoom_in.setToolTip("Agrandir (Ctrl++)")
        self.zoom_in.setShortcut("Ctrl++")
        self.zoom_label = QLabel(self)
        self.zoom_label.setObjectName("pdf-zoom")
        self.pages_label = QLabel(self)
        self.pages_label.setObjectName("pdf-pages")
        for button in (self.zoom_out, self.zoom_in):
            button.setFixedWidth(36)
        self.zoom_out.clicked.connect(lambda: self.step_zoom(-1))
        self.zoom_in.clicked.connect(lambda: self.step_zoom(1))
        bar = QHBoxLayout()
        bar.addWidget(self.zoom_out)
        bar.addWidget(self.zoom_label)
        bar.addWidget(self.zoom_in)
        bar.addStretch(1)
        bar.addWidget(self.pages_label)

        self.pages = QWidget()
        self.pages.setObjectName("pdf-pages-area")
        self.pages.setStyleSheet("#pdf-pages-area { background: #8a8f96; }")
        self._column = QVBoxLayout(self.pages)
        self._column.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self._column.setSpacing(12)
        self.area = QScrollArea(self)
        self.area.setObjectName("pdf-scroll")
        self.area.setWidgetResizable(True)
        self.area.setWidget(self.pages)
        self.message = QLabel(self)
        self.message.setObjectName("pdf-message")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(self.area, 1)
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._render_next)
        self.clear("Aucun document à afficher.")

    # --- public ---------------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return self._zoom

    @property
    def page_count(self) -> int:
        return len(self._labels)

    def page_image(self, number: int) -> QPixmap:
        return self._labels[number].pixmap()

    def load(self, path: Path) -> bool:
        """Shows ``path``; False (and a French message in place) when it cannot be read."""
        import pymupdf

        self._close()
        try:
            document = pymupdf.open(path)
        except Exception as exc:  # noqa: BLE001 - pymupdf raises its own for broken files
            self.clear(f"Impossible d'afficher « {Path(path).name} » : {exc}")
            return False
        self._document = document
        self.path = Path(path)
        self.message.setVisible(False)
        self.area.setVisible(True)
        for _ in range(document.page_count):
            label = QLabel(self.pages)
            label.setObjectName("pdf-page")
            label.setStyleSheet("background: white;")
            self._column.addWidget(label)
            label.show()  # a layout shows new children only at the next turn of the loop
            self._labels.append(label)
        self.area.verticalScrollBar().setValue(0)
        plural = "s" if document.page_count > 1 else ""
        self.pages_label.setText(f"{document.page_count} page{plural}")
        self._start()
        return True

    def clear(self, message: str) -> None:
        self._close()
        self.path = None
        self.message.setText(message)
        self.message.setVisible(True)
        self.area.setVisible(False)
        self.pages_label.setText("")
        self._show_zoom()

    def set_zoom(self, zoom: float) -> None:
        self._zoom = zoom
        self._show_zoom()
        if self._document is not None:
            self._start()

    def step_zoom(self, direction: int) -> None:
        index = min(range(len(ZOOMS)), key=lambda i: abs(ZOOMS[i] - self._zoom))
        index = max(0, min(len(ZOOMS) - 1, index + direction))
        self.set_zoom(ZOOMS[index])

    def render_all_now(self) -> None:
        """Finish drawing at once (printing, tests)."""
        while self._document is not None and self._next < len(self._labels):
            self._render_next()

    # --- drawing --------------------------------------------------------------------------
    def _show_zoom(self) -> None:
        self.zoom_label.setText(f"{round(self._zoom * 100)} %")
        self.zoom_out.setEnabled(self._zoom > ZOOMS[0])
        self.zoom_in.setEnabled(self._zoom < ZOOMS[-1])

    def _start(self) -> None:
        self._next = 0
        self._render_next()  # the first page at once
        if self._next < len(self._labels):
            self._timer.start()

    def _render_next(self) -> None:
        if self._document is None or self._next >= len(self._labels):
            self._timer.stop()
            return
        image = render_page(self._document, self._next, self._zoom * self.devicePixelRatioF())
        pixmap = QPixmap.fromImage(image)
        pixmap.setDevicePixelRatio(self.devicePixelRatioF())
        label = self._labels[self._next]
        label.setPixmap(pixmap)
        label.setFixedSize(pixmap.deviceIndependentSize().toSize())
        self._column.activate()
        self._next += 1
        if self._next >= len(self._labels):
            self._timer.stop()
            self.rendered.emit()

    def _close(self) -> None:
        self._timer.stop()
        for label in self._labels:
            self._column.removeWidget(label)
            label.hide()  # gone now, not at the next turn of the event loop
            label.deleteLater()
        self._labels = []
        if self._document is not None:
            self._document.close()  # type: ignore[attr-defined]
            self._document = None
        self._next = 0
