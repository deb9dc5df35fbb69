"""The in-app preview of an attachment or a scan (PDF, JPG, PNG, TIFF): one page at a time,
a strip of thumbnails, zoom, rotation, « Page n / N ».

Everything PyMuPDF does runs on worker threads (``desktop.documents.preview``), never on the
GUI thread: the document is opened and its first page drawn in one task, first, so a 200-page
scan shows its first page at once; thumbnails are drawn only for the part of the strip that is
visible, after the page, as the strip scrolls. A page that takes longer than
``RENDER_SECONDS`` is given up with a French message (the window never hangs on a hostile
PDF); a stale result (another page, zoom or document asked since) is dropped.

Rotation is for viewing only: a scan fed upside down is turned to be read, the attachment
itself stays what the citizen or the copier gave (it is evidence, and the server holds its
hash). Keys: Page suivante / Page précédente, Début / Fin, Ctrl++ / Ctrl+- to zoom, Ctrl+0
for the full width, Ctrl+R / Ctrl+Maj+R to turn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from PySide6.QtCore import QPoint, QSize, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStyle,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from desktop.documents.preview import (
    RENDER_SECONDS,
    PageImage,
    PreviewDocument,
    PreviewError,
    filetype_for,
)
from desktop.services.tasks import TaskRunner

ZOOMS = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0)
THUMB_WIDTH = 96
THUMB_HEIGHT = 136
#: Thumbnails drawn beyond the visible ones, so a short scroll finds them ready.
THUMBS_AHEAD = 4
#: The page view's margin around the page, in pixels.
MARGIN = 16
PAGE_PRIORITY = 10

_runner: TaskRunner | None = None


def preview_runner() -> TaskRunner:
    """The previews' own threads: a stuck MuPDF rendering holds one of them, never the GUI
    thread nor the pool of the letters. One for the process, never deleted: a result may come
    back after its preview window is gone (each callback checks that it still is)."""
    global _runner  # noqa: PLW0603 - made on first use, on the GUI thread
    if _runner is None:
        pool = QThreadPool()
        pool.setMaxThreadCount(2)
        _runner = TaskRunner(pool=pool)
        _runner.setObjectName("preview-runner")
    return _runner


def _alive(widget: QWidget) -> bool:
    """Whether the widget still exists (its window may close while a page renders)."""
    return isValid(widget)


def to_image(page: PageImage) -> QImage:
    image = QImage(page.samples, page.width, page.height, page.stride,
                   QImage.Format.Format_RGB888)
    return image.copy()  # owns its pixels: ``samples`` may go


@dataclass(frozen=True)
class _Rendered:
    page: PageImage
    image: QImage


def _render(document: PreviewDocument, number: int, zoom: float | None, width: int,
            rotation: int, ratio: float) -> _Rendered:
    """On a worker thread: ``zoom`` None means « as wide as ``width`` pixels »."""
    if zoom is None:
        w, h = document.page_size(number)
        wide = h if rotation % 180 else w
        zoom = max(0.05, width / wide)
    page = document.render(number, zoom * ratio, rotation)
    return _Rendered(page, to_image(page))


class PagePreview(QWidget):
    """``load(data, name)`` then browse; signals say what is drawn (tests, bench)."""

    #: The document opened: its page count.
    opened = Signal(int)
    #: A page is drawn in the page view: its number (0-based).
    pageShown = Signal(int)
    #: A thumbnail is drawn: its page number.
    thumbnailShown = Signal(int)
    #: Why the document or a page cannot be shown, in French.
    failed = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, timeout_s: float = RENDER_SECONDS,
                 runner: TaskRunner | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page-preview")
        self._runner = runner or preview_runner()
        self._timeout_ms = int(timeout_s * 1000)
        self.document: PreviewDocument | None = None
        self.name = ""
        self.page = 0
        #: None: as wide as the view (« Pleine largeur »); else the zoom (1.0 = 72 dpi).
        self.zoom: float | None = None
        self.shown_zoom = 1.0
        self.rotations: dict[int, int] = {}
        self._generation = 0
        self._wanted: tuple[int, int, float | None, int, int] | None = None
        self._thumbs_asked: set[int] = set()
        self.thumbs_done: set[int] = set()
        self._build()
        self._watchdog = QTimer(self)
        self._watchdog.setSingleShot(True)
        self._watchdog.timeout.connect(self._too_long)
        self._refit = QTimer(self)
        self._refit.setSingleShot(True)
        self._refit.setInterval(120)
        self._refit.timeout.connect(self._show_page)
        self.clear("Aucun document à afficher.")

    # --- building ---------------------------------------------------------------------------
    def _button(self, text: str, name: str, tip: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setToolTip(tip)
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        button.clicked.connect(slot)
        return button

    def _build(self) -> None:
        self.previous_button = self._button("◀", "preview-previous", "Page précédente (Page ↑)",
                                            self.previous_page)
        self.next_button = self._button("▶", "preview-next", "Page suivante (Page ↓)",
                                        self.next_page)
        self.page_box = QSpinBox(self)
        self.page_box.setObjectName("preview-page")
        self.page_box.setPrefix("Page ")
        self.page_box.setKeyboardTracking(False)
        self.page_box.valueChanged.connect(lambda value: self.go_to(value - 1))
        self.zoom_out_button = self._button("−", "preview-zoom-out", "Réduire (Ctrl+-)",
                                            self.zoom_out)
        self.zoom_label = QLabel(self)
        self.zoom_label.setObjectName("preview-zoom")
        self.zoom_label.setMinimumWidth(48)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.zoom_in_button = self._button("+", "preview-zoom-in", "Agrandir (Ctrl++)",
                                           self.zoom_in)
        self.fit_button = self._button("Pleine largeur", "preview-fit",
                                       "La page aussi large que la fenêtre (Ctrl+0)",
                                       self.fit_width)
        self.left_button = self._button("⟲", "preview-rotate-left",
                                        "Tourner la page à gauche (Ctrl+Maj+R) ; pour la lecture "
                                        "seulement, la pièce n'est pas modifiée",
                                        lambda: self.rotate(-90))
        self.right_button = self._button("⟳", "preview-rotate-right",
                                         "Tourner la page à droite (Ctrl+R) ; pour la lecture "
                                         "seulement, la pièce n'est pas modifiée",
                                         lambda: self.rotate(90))
        for button in (self.previous_button, self.next_button, self.zoom_out_button,
                       self.zoom_in_button, self.left_button, self.right_button):
            button.setFixedWidth(36)
        bar = QHBoxLayout()
        groups: tuple[tuple[QWidget, ...], ...] = (
            (self.previous_button, self.page_box, self.next_button),
            (self.zoom_out_button, self.zoom_label, self.zoom_in_button, self.fit_button),
        )
        for group in groups:
            for widget in group:
                bar.addWidget(widget)
            bar.addSpacing(16)
        bar.addWidget(self.left_button)
        bar.addWidget(self.right_button)
        bar.addStretch(1)
        self.bar = bar

        self.thumbs = QListWidget(self)
        self.thumbs.setObjectName("preview-thumbnails")
        self.thumbs.setViewMode(QListView.ViewMode.IconMode)
        self.thumbs.setFlow(QListView.Flow.TopToBottom)
        self.thumbs.setWrapping(False)
        self.thumbs.setMovement(QListView.Movement.Static)
        self.thumbs.setUniformItemSizes(True)
        self.thumbs.setIconSize(QSize(THUMB_WIDTH, THUMB_HEIGHT))
        self.thumbs.setGridSize(QSize(THUMB_WIDTH + 16, THUMB_HEIGHT + 28))
        self.thumbs.setFixedWidth(THUMB_WIDTH + 40)
        self.thumbs.setStyleSheet("#preview-thumbnails { background: #6f747b; color: white; }")
        self.thumbs.currentRowChanged.connect(self._thumb_chosen)
        self.thumbs.verticalScrollBar().valueChanged.connect(lambda _v: self._ask_thumbnails())

        self.page_label = QLabel()
        self.page_label.setObjectName("preview-page-image")
        self.page_label.setStyleSheet("background: white;")
        self.page_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        holder = QWidget()
        holder.setObjectName("preview-page-area")
        holder.setStyleSheet("#preview-page-area { background: #8a8f96; }")
        column = QVBoxLayout(holder)
        column.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
        column.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        column.addWidget(self.page_label)
        self.area = QScrollArea(self)
        self.area.setObjectName("preview-scroll")
        self.area.setWidgetResizable(True)
        self.area.setWidget(holder)
        self.message = QLabel(self)
        self.message.setObjectName("preview-message")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setTextFormat(Qt.TextFormat.PlainText)

        self.body = QWidget(self)
        row = QHBoxLayout(self.body)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.thumbs)
        row.addWidget(self.area, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(self.body, 1)

        keys: tuple[tuple[QKeySequence | str, Callable[[], object]], ...] = (
            (QKeySequence(Qt.Key.Key_PageDown), self.next_page),
            (QKeySequence(Qt.Key.Key_PageUp), self.previous_page),
            (QKeySequence(Qt.Key.Key_Home), lambda: self.go_to(0)),
            (QKeySequence(Qt.Key.Key_End), lambda: self.go_to(self.page_count - 1)),
            ("Ctrl++", self.zoom_in), ("Ctrl+=", self.zoom_in), ("Ctrl+-", self.zoom_out),
            ("Ctrl+0", self.fit_width), ("Ctrl+R", lambda: self.rotate(90)),
            ("Ctrl+Shift+R", lambda: self.rotate(-90)),
        )
        for key, slot in keys:
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    # --- public -----------------------------------------------------------------------------
    @property
    def page_count(self) -> int:
        return self.document.page_count if self.document is not None else 0

    def page_pixmap(self) -> QPixmap:
        return self.page_label.pixmap()

    def thumbnail(self, number: int) -> QIcon:
        return self.thumbs.item(number).icon()

    def load(self, data: bytes, name: str, media_type: str | None = None) -> None:
        """Opens the document off the GUI thread and draws its first page first."""
        self._close_document()
        self._generation += 1
        generation = self._generation
        self.name = name
        self.page = 0
        self.rotations = {}
        self._show_message(f"Ouverture de « {name} »…", busy=True)
        width, zoom, ratio = self._view_width(), self.zoom, self.devicePixelRatioF()

        def open_first() -> tuple[PreviewDocument, _Rendered]:
            document = PreviewDocument(data, name, filetype_for(name, media_type, data))
            try:
                return document, _render(document, 0, zoom, width, 0, ratio)
            except BaseException:
                document.close()
                raise

        self._wanted = (generation, 0, zoom, width, 0)
        self._watchdog.start(self._timeout_ms)
        self._runner.run(open_first, priority=PAGE_PRIORITY,
                         on_success=lambda result: self._opened(generation, *result),
                         on_failure=lambda exc: self._failed(generation, exc))

    def clear(self, message: str) -> None:
        self._close_document()
        self._generation += 1
        self._show_message(message)
        self._update_controls()

    def go_to(self, number: int) -> None:
        if self.document is None or not 0 <= number < self.page_count or number == self.page:
            return
        self.page = number
        self._show_page()

    def next_page(self) -> None:
        self.go_to(self.page + 1)

    def previous_page(self) -> None:
        self.go_to(self.page - 1)

    def set_zoom(self, zoom: float | None) -> None:
        self.zoom = zoom
        self._show_page()

    def zoom_in(self) -> None:
        self._step_zoom(1)

    def zoom_out(self) -> None:
        self._step_zoom(-1)

    def fit_width(self) -> None:
        self.set_zoom(None)

    def rotate(self, degrees: int) -> None:
        if self.document is None:
            return
        self.rotations[self.page] = (self.rotations.get(self.page, 0) + degrees) % 360
        self.thumbs_done.discard(self.page)
        self._thumbs_asked.discard(self.page)
        self._show_page()
        self._ask_thumbnails()

    # --- drawing ----------------------------------------------------------------------------
    def _view_width(self) -> int:
        """The page's room in pixels: the view less its margins and the vertical scroll bar
        (a full-width page is nearly always taller than the view)."""
        bar = self.area.verticalScrollBar()
        extra = 0 if bar.isVisible() else self.style().pixelMetric(
            QStyle.PixelMetric.PM_ScrollBarExtent)
        return max(200, self.area.viewport().width() - 2 * MARGIN - extra)

    def _step_zoom(self, direction: int) -> None:
        current = self.shown_zoom if self.zoom is None else self.zoom
        if direction > 0:
            bigger = [z for z in ZOOMS if z > current + 1e-3]
            self.set_zoom(bigger[0] if bigger else ZOOMS[-1])
        else:
            smaller = [z for z in ZOOMS if z < current - 1e-3]
            self.set_zoom(smaller[-1] if smaller else ZOOMS[0])

    def _show_page(self) -> None:
        document = self.document
        if document is None:
            return
        self._update_controls()
        generation, number, zoom = self._generation, self.page, self.zoom
        width, rotation, ratio = self._view_width(), self.rotations.get(number, 0), \
            self.devicePixelRatioF()
        wanted = (generation, number, zoom, width, rotation)
        if wanted == self._wanted:
            return
        self._wanted = wanted
        self._watchdog.start(self._timeout_ms)
        self._runner.run(lambda: _render(document, number, zoom, width, rotation, ratio),
                         priority=PAGE_PRIORITY,
                         on_success=lambda result: self._page_drawn(wanted, result),
                         on_failure=lambda exc: self._failed(generation, exc))

    def _opened(self, generation: int, document: PreviewDocument, first: _Rendered) -> None:
        if not _alive(self) or generation != self._generation:
            self._runner.run(document.close)  # a newer document was asked meanwhile
            return
        self.document = document
        self.thumbs.blockSignals(True)
        self.thumbs.clear()
        placeholder = QPixmap(THUMB_WIDTH, THUMB_HEIGHT)
        placeholder.fill(QColor("#d8dadd"))
        icon = QIcon(placeholder)
        for number in range(document.page_count):
            item = QListWidgetItem(icon, str(number + 1))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            item.setToolTip(f"Page {number + 1}")
            self.thumbs.addItem(item)
        self.thumbs.setCurrentRow(0)
        self.thumbs.blockSignals(False)
        self.page_box.blockSignals(True)
        self.page_box.setRange(1, document.page_count)
        self.page_box.setSuffix(f" / {document.page_count}")
        self.page_box.setValue(1)
        self.page_box.blockSignals(False)
        self.message.setVisible(False)
        self.body.setVisible(True)
        self._page_drawn(self._wanted, first)
        self.opened.emit(document.page_count)
        QTimer.singleShot(0, self._settled)  # after the page: the strip comes second

    def _page_drawn(self, wanted: tuple[int, int, float | None, int, int] | None,
                    rendered: _Rendered) -> None:
        if not _alive(self) or wanted != self._wanted or wanted is None:
            return  # gone, or another page, zoom or document was asked since
        self._watchdog.stop()
        pixmap = QPixmap.fromImage(rendered.image)
        ratio = self.devicePixelRatioF()
        pixmap.setDevicePixelRatio(ratio)
        self.page_label.setPixmap(pixmap)
        self.page_label.setFixedSize(pixmap.deviceIndependentSize().toSize())
        self.shown_zoom = rendered.page.zoom / ratio
        self._update_controls()
        self.pageShown.emit(rendered.page.number)

    def _settled(self) -> None:
        """Once the window has its size: the full width may have changed since the first page
        was asked (a dialog opening), and the strip now knows what it shows."""
        if _alive(self) and self.document is not None:
            if self.zoom is None:
                self._show_page()
            self._ask_thumbnails()

    def _ask_thumbnails(self) -> None:
        """Draws the thumbnails now visible in the strip (and a few beyond), once each."""
        document = self.document
        if document is None or not self.thumbs.count():
            return
        viewport = self.thumbs.viewport()
        first = self.thumbs.indexAt(QPoint(viewport.width() // 2, 4)).row()
        last = self.thumbs.indexAt(QPoint(viewport.width() // 2, viewport.height() - 4)).row()
        first = max(first, 0)
        last = self.thumbs.count() - 1 if last < 0 else last
        generation = self._generation
        for number in range(first, min(last + THUMBS_AHEAD, self.thumbs.count() - 1) + 1):
            if number in self._thumbs_asked:
                continue
            self._thumbs_asked.add(number)
            self._runner.run(
                partial(_thumbnail, document, number, self.rotations.get(number, 0)),
                on_success=partial(self._thumb_drawn, generation, number),
                on_failure=_ignore,  # the page view says it when that page is shown
            )

    def _thumb_drawn(self, generation: int, number: int, rendered: _Rendered) -> None:
        if not _alive(self) or generation != self._generation or number >= self.thumbs.count():
            return
        self.thumbs.item(number).setIcon(QIcon(QPixmap.fromImage(rendered.image)))
        self.thumbs_done.add(number)
        self.thumbnailShown.emit(number)

    def _thumb_chosen(self, row: int) -> None:
        if row >= 0:
            self.go_to(row)

    def _update_controls(self) -> None:
        count, page = self.page_count, self.page
        has = count > 0
        self.previous_button.setEnabled(has and page > 0)
        self.next_button.setEnabled(has and page < count - 1)
        for widget in (self.page_box, self.zoom_in_button, self.zoom_out_button,
                       self.fit_button, self.left_button, self.right_button):
            widget.setEnabled(has)
        if has:
            self.page_box.blockSignals(True)
            self.page_box.setValue(page + 1)
            self.page_box.blockSignals(False)
            self.thumbs.blockSignals(True)
            self.thumbs.setCurrentRow(page)
            self.thumbs.blockSignals(False)
        fit = " (pleine largeur)" if self.zoom is None else ""
        self.zoom_label.setText(f"{round(self.shown_zoom * 100)} %{fit}" if has else "")

    def _failed(self, generation: int, exc: BaseException) -> None:
        if not _alive(self) or generation != self._generation:
            return
        self._watchdog.stop()
        self._wanted = None
        if isinstance(exc, PreviewError):
            text = str(exc)
        else:
            text = f"« {self.name} » ne peut pas être affiché ({exc})."
        if self.document is None:
            self._show_message(text)
        else:  # the document is open, one page is not: the others stay reachable
            self.page_label.clear()
            self.page_label.setText(text)
            self.page_label.setFixedSize(self._view_width(), 120)
        self.failed.emit(text)

    def _too_long(self) -> None:
        """The page never came: MuPDF is stuck on it. The window goes on; the task is left."""
        page = (self._wanted[1] + 1) if self._wanted else 1
        text = (f"La page {page} de « {self.name} » ne s'affiche toujours pas après "
                f"{self._timeout_ms // 1000} secondes : le fichier est peut-être endommagé. "
                "Vous pouvez l'ouvrir avec l'application du système.")
        self._generation += 1  # whatever comes back now is dropped
        self._wanted = None
        if self.document is not None:
            document, self.document = self.document, None
            self._runner.run(document.close, on_failure=lambda _exc: None)
        self._show_message(text)
        self._update_controls()
        self.failed.emit(text)

    def _show_message(self, text: str, *, busy: bool = False) -> None:
        self.message.setText(text)
        self.message.setVisible(True)
        self.body.setVisible(busy and self.document is not None)

    def _close_document(self) -> None:
        self._watchdog.stop()
        self._wanted = None
        self._thumbs_asked = set()
        self.thumbs_done = set()
        self.thumbs.clear()
        self.page_label.clear()
        if self.document is not None:
            document, self.document = self.document, None
            self._runner.run(document.close, on_failure=lambda _exc: None)

    # --- Qt ---------------------------------------------------------------------------------
    def resizeEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)  # type: ignore[arg-type]
        if self.document is not None:
            if self.zoom is None:
                self._refit.start()  # once the resizing stops
            self._ask_thumbnails()

    def closeEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        self._close_document()
        self._generation += 1
        super().closeEvent(event)  # type: ignore[arg-type]


def _ignore(_exc: BaseException) -> None:
    """A thumbnail that cannot be drawn keeps its grey placeholder."""


def _thumbnail(document: PreviewDocument, number: int, rotation: int) -> _Rendered:
    return _render(document, number, None, THUMB_WIDTH, rotation, 1.0)
