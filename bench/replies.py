"""Benchmark of the reply documents (issue 10). Prints JSON; not a test.

- ``render_docx_ms_p50``: template → .docx (the refus motivé, checked, filled, written
  atomically), median of 30 renders after a first one (target ≤ 100 ms);
- ``pdf_cold_ms``: the first conversion to PDF, LibreOffice started for it (warm converter:
  soffice + UNO worker start included);
- ``pdf_warm_ms_p50``: the following conversions on the same LibreOffice, median of 10
  (target ≤ 1000 ms);
- ``assemble_3_annexes_ms``: the reply's PDF with three annexes (a 40-page PDF, a JPG photo, a
  PNG scan) into one PDF with PyMuPDF, pages reordered, median of 5 (target ≤ 300 ms);
- ``first_page_render_ms``: a 20-page PDF loaded into the app's own viewer
  (``desktop.views.widgets.pdf_viewer.PdfViewer.load``: the file opened, a place for each
  page, the first page rendered at the viewer's default zoom and shown), median of 10 (target
  ≤ 150 ms). Qt runs offscreen unless a platform is set.

    python -m bench.replies
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import pymupdf

from bench.common import emit
from desktop.documents.assemble import assemble
from desktop.documents.replies import render_reply
from desktop.documents.samples import sample_context
from desktop.documents.warm import WarmLibreOffice

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "resources" / "templates" / "reponse_refus_motive.docx"


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _median_ms(samples: list[float]) -> float:
    return _ms(statistics.median(samples))


def pdf_of_pages(count: int) -> bytes:
    document = pymupdf.open()
    for number in range(1, count + 1):
        page = document.new_page()
        page.insert_text((72, 72), f"Annexe – page {number}", fontsize=14)
        for line in range(40):
            page.insert_text((72, 100 + line * 17), "Texte de l'annexe, ligne " * 3)
    data = document.tobytes(deflate=True)
    document.close()
    return data


def picture(kind: str, width: int, height: int) -> bytes:
    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, width, height), False)
    pixmap.clear_with(200)
    return pixmap.tobytes(kind)


def first_page_in_viewer(pdf: Path, runs: int) -> list[float]:
    """Seconds for the app's PDF viewer to show the first page of ``pdf`` (``load`` renders it
    before returning; the other pages follow on later turns of the event loop)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from desktop.views.widgets.pdf_viewer import PdfViewer

    app = QApplication.instance() or QApplication([])
    viewer = PdfViewer()
    viewer.resize(800, 1000)
    viewer.load(pdf)  # imports and MuPDF's first font load, as the app has done by then
    samples = []
    for _ in range(runs):
        viewer.clear("")
        app.processEvents()
        started = time.perf_counter()
        if not viewer.load(pdf) or viewer.page_image(0).isNull():
            raise RuntimeError("the viewer did not show the first page")
        samples.append(time.perf_counter() - started)
    viewer.clear("")
    return samples


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bannette-bench-replies-"))
    context = sample_context()

    render_reply(TEMPLATE, context, folder / "reponse.docx")  # imports, checks, compiling
    renders = []
    for _ in range(30):
        started = time.perf_counter()
        render_reply(TEMPLATE, context, folder / "reponse.docx")
        renders.append(time.perf_counter() - started)

    converter = WarmLibreOffice()
    try:
        started = time.perf_counter()
        reply_pdf = converter.convert(folder / "reponse.docx", folder)
        cold = time.perf_counter() - started
        warm = []
        for _ in range(10):
            started = time.perf_counter()
            converter.convert(folder / "reponse.docx", folder)
            warm.append(time.perf_counter() - started)
    finally:
        converter.close()

    annexes = [pdf_of_pages(40), picture("jpg", 1600, 1200), picture("png", 1240, 1754)]
    order = [(0, 0), (2, 0), (3, 0), *((1, p) for p in range(40))]
    assemblies = []
    for _ in range(5):
        started = time.perf_counter()
        assemble(reply_pdf, annexes, order)
        assemblies.append(time.perf_counter() - started)

    twenty = folder / "vingt_pages.pdf"
    twenty.write_bytes(pdf_of_pages(20))
    first_pages = first_page_in_viewer(twenty, runs=10)

    emit(
        "replies",
        {
            "render_docx_ms_p50": _median_ms(renders),
            "pdf_warm_ms_p50": _median_ms(warm),
            "pdf_cold_ms": _ms(cold),
            "assemble_3_annexes_ms": _median_ms(assemblies),
            "first_page_render_ms": _median_ms(first_pages),
        },
    )


if __name__ == "__main__":
    main()
