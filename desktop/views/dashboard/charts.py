"""Bar charts drawn with QPainter: on screen (``BarChart``) and in the PDF report (``paint_bars``).

Why not QtCharts: it lives in the ``PySide6-Addons`` wheel (6.11.3 on Linux: 175 MB to
download, 439 MB installed on every development PC and CI run, for some 4.5 MB of QtCharts a
frozen build would keep), while the dashboard needs three plain bar charts. The same function
paints the widget and the council's PDF, so what is printed is what was seen.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

BAR_COLOR = QColor("#3a6ea5")
GRID_COLOR = QColor("#d0d0d0")
TEXT_COLOR = QColor("#202020")
#: Up to this many columns every one is labelled (on two lines if need be).
MAX_LABELS = 8


def paint_bars(
    painter: QPainter,
    rect: QRectF,
    title: str,
    bars: Sequence[tuple[str, int]],
    *,
    horizontal: bool = False,
    font: QFont | None = None,
) -> None:
    """A titled bar chart of ``bars`` (label, count) inside ``rect``.

    ``horizontal``: one bar per line with its label on the left (long labels: procedures);
    otherwise vertical columns with short labels below (channels, months)."""
    painter.save()
    try:
        base = QFont(font) if font is not None else QFont(painter.font())
        painter.setFont(base)
        # Measured on the painter's device: a PDF at 150 dpi is not the screen.
        metrics = QFontMetricsF(base, painter.device())
        line = metrics.height()
        painter.setPen(TEXT_COLOR)
        title_font = QFont(base)
        title_font.setBold(True)
        painter.setFont(title_font)
        painter.drawText(
            QRectF(rect.left(), rect.top(), rect.width(), line * 1.4),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            title,
        )
        painter.setFont(base)
        area = QRectF(rect.left(), rect.top() + line * 1.6, rect.width(),
                      rect.height() - line * 1.6)  # fmt: skip
        top = max((count for _label, count in bars), default=0)
        if not bars or top == 0:
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, "Aucune donnée")
            return
        if horizontal:
            _horizontal(painter, area, bars, top, metrics)
        else:
            _vertical(painter, area, bars, top, metrics)
    finally:
        painter.restore()


def _horizontal(
    painter: QPainter, area: QRectF, bars: Sequence[tuple[str, int]], top: int,
    metrics: QFontMetricsF,
) -> None:  # fmt: skip
    line = metrics.height()
    step = min(area.height() / len(bars), line * 1.8)
    label_width = min(area.width() * 0.45, max(metrics.horizontalAdvance(b[0]) for b in bars) + 8)
    value_width = metrics.horizontalAdvance(f"{top}") + 8
    room = max(area.width() - label_width - value_width, 1.0)
    for index, (label, count) in enumerate(bars):
        y = area.top() + index * step
        text = metrics.elidedText(label, Qt.TextElideMode.ElideRight, label_width - 8)
        painter.setPen(TEXT_COLOR)
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(QRectF(area.left(), y, label_width - 8, step), right, text)
        width = room * count / top
        bar = QRectF(area.left() + label_width, y + step * 0.15, width, step * 0.7)
        painter.fillRect(bar, BAR_COLOR)
        painter.drawText(QRectF(bar.right() + 4, y, value_width, step), left, f"{count}")


def _vertical(
    painter: QPainter, area: QRectF, bars: Sequence[tuple[str, int]], top: int,
    metrics: QFontMetricsF,
) -> None:  # fmt: skip
    line = metrics.height()
    plot = QRectF(area.left(), area.top() + line, area.width(), area.height() - line * 3.4)
    slot = plot.width() / len(bars)
    painter.setPen(QPen(GRID_COLOR, 1))
    painter.drawLine(plot.bottomLeft(), plot.bottomRight())
    # Labels wrap on two lines, after a space or a hyphen (« Service-public.fr »); with many
    # bars (the months of a long period) they are thinned out rather than overlap.
    bars = [(label.replace("-", "-\u200b"), count) for label, count in bars]
    every = 1
    if len(bars) > MAX_LABELS:
        widest = max(metrics.horizontalAdvance(label) for label, _count in bars) + 6
        every = max(1, int(widest // max(slot, 1)) + (1 if widest % max(slot, 1) else 0))
    for index, (label, count) in enumerate(bars):
        x = plot.left() + index * slot
        height = plot.height() * count / top
        bar = QRectF(x + slot * 0.15, plot.bottom() - height, slot * 0.7, height)
        painter.fillRect(bar, BAR_COLOR)
        painter.setPen(TEXT_COLOR)
        if count and (every == 1 or slot > metrics.horizontalAdvance(f"{count}")):
            painter.drawText(QRectF(x, bar.top() - line, slot, line),
                             Qt.AlignmentFlag.AlignCenter, f"{count}")  # fmt: skip
        if index % every == 0:
            painter.drawText(
                QRectF(x - slot * (every - 1) / 2, plot.bottom() + 2, slot * every, line * 2.3),
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
                | Qt.TextFlag.TextWordWrap, label,
            )  # fmt: skip


class BarChart(QWidget):
    """A chart of the dashboard; ``bars`` are set from the statistics, painted on demand."""

    def __init__(self, title: str, *, horizontal: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = title
        self.horizontal = horizontal
        self.bars: list[tuple[str, int]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(180)

    def set_bars(self, bars: Sequence[tuple[str, int]]) -> None:
        self.bars = list(bars)
        self.setAccessibleDescription(
            f"{self.title} : " + ", ".join(f"{label} {count}" for label, count in self.bars)
        )
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(420, 240)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.palette().base())
        paint_bars(painter, QRectF(self.rect()).adjusted(8, 6, -8, -6), self.title, self.bars,
                   horizontal=self.horizontal, font=self.font())  # fmt: skip
        painter.end()
