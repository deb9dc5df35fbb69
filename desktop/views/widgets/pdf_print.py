"""Printing a PDF through Qt's printing system (the system's print dialog, any printer).

Each page is rendered by PyMuPDF at the printer's resolution and painted on the printer's
page, fitted and centred; the address block of a window envelope is placed by the letter's
template, so the page is printed at its real size whenever the paper allows it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter
from PySide6.QtPrintSupport import QPrinter

from desktop.views.widgets.pdf_viewer import render_page

#: Above this, a page rendered for the printer would take hundreds of MB (an A4 page at 600
#: dpi is already 35 MB): the rendering is capped, which printers interpolate unnoticed.
MAX_PRINT_DPI = 300


def print_pdf(path: Path, printer: QPrinter) -> int:
    """Prints every page of ``path`` on ``printer``; returns the number of pages printed."""
    import pymupdf

    document = pymupdf.open(path)
    # The page's own margins are the template's: the address block lands where the window of
    # the envelope is, not shifted by the printer's margins.
    printer.setFullPage(True)
    painter = QPainter()
    if not painter.begin(printer):
        document.close()
        raise OSError("L'imprimante n'a pas pu démarrer l'impression.")
    try:
        dpi = min(printer.resolution(), MAX_PRINT_DPI)
        for number in range(document.page_count):
            if number:
                printer.newPage()
            image = render_page(document, number, dpi / 72)
            target = QRectF(printer.pageLayout().fullRectPixels(printer.resolution()))
            page = document[number].rect
            # Real size when the paper allows it (a window envelope needs the address where
            # the template put it), otherwise shrunk to fit.
            scale = min(printer.resolution() / 72, target.width() / page.width,
                        target.height() / page.height)
            width, height = page.width * scale, page.height * scale
            painter.drawImage(QRectF(0, 0, width, height), image)
        return document.page_count
    finally:
        painter.end()
        document.close()
