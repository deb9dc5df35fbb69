"""The dashboard as a PDF report for the council: title, commune, period, date of edition,
every headline figure and the three charts, on one A4 page (QPdfWriter, no other tool).

Printing goes through the same PDF (``desktop.views.widgets.pdf_print``): what is printed is
the file that would be sent.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPageLayout, QPageSize, QPainter, QPdfWriter

from desktop.domain.french import format_date_fr
from desktop.store.statistics import Statistics
from desktop.views.dashboard import figures
from desktop.views.dashboard.charts import paint_bars

RESOLUTION = 150


def report_title(stats: Statistics) -> str:
    return f"Tableau de bord — {stats.authority_name}"


def write_report(stats: Statistics, path: Path, *, edited_on: date) -> Path:
    """Write the report to ``path`` (PDF); ``edited_on`` is the window's day, not the PC's."""
    writer = QPdfWriter(str(path))
    writer.setTitle(report_title(stats))
    writer.setCreator("Bannette")
    writer.setResolution(RESOLUTION)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(15, 15, 15, 15),
            QPageLayout.Unit.Millimeter,
        )
    )
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(f"Impossible d'écrire le rapport « {path} ».")
    try:
        _paint(painter, QRectF(writer.pageLayout().paintRectPixels(RESOLUTION)), stats, edited_on)
    finally:
        painter.end()
    return path


def _paint(painter: QPainter, page: QRectF, stats: Statistics, edited_on: date) -> None:
    body = QFont("DejaVu Sans")
    body.setPointSizeF(10)
    title = QFont(body)
    title.setPointSizeF(16)
    title.setBold(True)
    painter.setFont(title)
    line = QFontMetricsF(title, painter.device()).height()
    y = page.top()
    painter.drawText(QRectF(page.left(), y, page.width(), line), report_title(stats))
    y += line * 1.2
    painter.setFont(body)
    metrics = QFontMetricsF(body, painter.device())
    step = metrics.height() * 1.35
    painter.drawText(
        QRectF(page.left(), y, page.width(), step),
        f"Période {figures.period_fr(stats)} — édité le {format_date_fr(edited_on)}",
    )
    y += step * 1.6
    if stats.empty:
        painter.drawText(QRectF(page.left(), y, page.width(), step), f"{figures.EMPTY_PERIOD}.")
        return
    label_width = page.width() * 0.38
    bold = QFont(body)
    bold.setBold(True)
    for label, value in figures.figure_lines(stats):
        painter.setFont(bold)
        painter.drawText(QRectF(page.left(), y, label_width, step), label)
        painter.setFont(body)
        painter.drawText(
            QRectF(page.left() + label_width, y, page.width() - label_width, step),
            Qt.TextFlag.TextWordWrap,
            value,
        )
        y += step
    y += step
    # Full-width charts: half an A4 page is too narrow for the channels' names in columns.
    remaining = page.bottom() - y
    charts = (
        ("Demandes par canal", figures.channel_bars(stats), True, 0.27),
        ("Demandes par mois", figures.month_bars(stats), False, 0.30),
        ("Démarches les plus demandées", figures.procedure_bars(stats), True, 0.43),
    )
    for title, bars, horizontal, share in charts:
        height = remaining * share
        box = QRectF(page.left(), y, page.width(), height - step)
        paint_bars(painter, box, title, bars, horizontal=horizontal, font=body)
        y += height
