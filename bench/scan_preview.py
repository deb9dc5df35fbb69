"""Benchmark of the in-app preview of a scan (issue 12). Prints JSON; not a test.

A 5 MB scanned-like PDF (A4 pages at 150 dpi, each a noisy grey JPEG as a copier makes them)
is opened in the app's preview (``desktop.views.widgets.page_preview.PagePreview``, the widget
of « Aperçu » and of « À classer »), at full width in a 900 × 760 window:

- ``first_page_shown_ms``: from ``load`` to the first page's pixmap set in the view (the
  document opened and the page rendered on a worker thread, the image brought back to the GUI
  thread and shown), p50 / p95 of 15 runs (target ≤ 300 ms);
- ``limit_pymupdf_ms``: the raw limit, PyMuPDF alone on the same thread-free path: open the
  same bytes and render the same page at the same zoom, p50 / p95 of 15 runs.

    python -m bench.scan_preview
"""

from __future__ import annotations

import os
import random
import time

import pymupdf

from bench.common import emit, machine, percentiles

TARGET_MS = 300
TARGET_BYTES = 5 * 1000 * 1000  # « 5 Mo » as the copier's file manager shows it
A4_150_DPI = (1240, 1754)
RUNS = 15


def noisy_scan_pdf(target: int = TARGET_BYTES, seed: int = 12) -> bytes:
    """Pages of grey paper with noise, text-like dark strokes and JPEG compression, until the
    PDF is just under ``target`` bytes (what a copier's 150 dpi greyscale scan looks like)."""
    rng = random.Random(seed)
    width, height = A4_150_DPI
    document = pymupdf.open()
    last = b""
    while True:
        paper = bytearray(rng.randbytes(width * height))
        for i in range(0, len(paper)):
            paper[i] = 215 + (paper[i] & 0x1F)
        for _line in range(60):  # dark strokes where the lines of a letter would be
            y = rng.randrange(100, height - 100)
            start = y * width + rng.randrange(100, 300)
            for x in range(start, start + rng.randrange(300, 900)):
                paper[x] = rng.randrange(0, 60)
        pixmap = pymupdf.Pixmap(pymupdf.csGRAY, width, height, bytes(paper), False)
        pixmap.set_dpi(150, 150)
        page = document.new_page(width=595, height=842)
        page.insert_image(page.rect, stream=pixmap.tobytes("jpeg", jpg_quality=80))
        data = document.tobytes(garbage=3)
        if len(data) > target:
            document.close()
            return last or data
        last = data


def preview_first_page(data: bytes, runs: int) -> tuple[list[float], float]:
    """Seconds from ``load`` to the first page shown, and the zoom the page was drawn at."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.views.widgets.page_preview import PagePreview

    app = QApplication.instance() or QApplication([])
    preview = PagePreview()
    preview.resize(900, 760)
    preview.show()
    app.processEvents()

    def shown_once() -> float:
        loop = QEventLoop()
        preview.pageShown.connect(loop.quit)
        preview.failed.connect(loop.quit)
        QTimer.singleShot(20_000, loop.quit)
        started = time.perf_counter()
        preview.load(data, "numerisation.pdf", "application/pdf")
        loop.exec()
        elapsed = time.perf_counter() - started
        preview.pageShown.disconnect(loop.quit)
        preview.failed.disconnect(loop.quit)
        if preview.page_pixmap().isNull():
            raise RuntimeError("the preview did not show the first page")
        return elapsed

    shown_once()  # imports and MuPDF's first load, as the app has done by then
    app.processEvents()
    samples = []
    for _ in range(runs):
        preview.clear("")
        for _turn in range(5):
            app.processEvents()  # the previous document's thumbnails settle
        samples.append(shown_once())
    zoom = preview.shown_zoom * preview.devicePixelRatioF()
    preview.clear("")
    return samples, zoom


def pymupdf_alone(data: bytes, zoom: float, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        document = pymupdf.open(stream=data, filetype="pdf")
        document[0].get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False)
        samples.append(time.perf_counter() - started)
        document.close()
    return samples


def main() -> None:
    data = noisy_scan_pdf()
    with pymupdf.open(stream=data, filetype="pdf") as document:
        pages = document.page_count
    shown, zoom = preview_first_page(data, RUNS)
    alone = pymupdf_alone(data, zoom, RUNS)
    first = percentiles(shown)
    emit("scan_preview", {
        "pdf_bytes": len(data),
        "pdf_pages": pages,
        "zoom": round(zoom, 3),
        "first_page_shown_ms": first,
        "target_ms": TARGET_MS,
        "within_target": first["p95_ms"] <= TARGET_MS,
        "limit_pymupdf_ms": percentiles(alone),
        "machine": machine(),
    })


if __name__ == "__main__":
    main()
