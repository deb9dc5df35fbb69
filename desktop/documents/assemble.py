"""One PDF from the reply and its annexes, in the order the secrétaire set. PyMuPDF, no Qt.

The reply dialog shows every page as a thumbnail (:func:`page_thumbnails`) and lets the
secrétaire drag them; the order it ends with is a list of ``(document index, page index)``
where document 0 is the reply and 1… the annexes in the order given::

    sources = [reply_pdf, *annexes]                 # paths or bytes; PDF, JPG or PNG
    thumbs = [page_thumbnails(s, 160) for s in sources]
    pdf_bytes = assemble(reply_pdf, annexes, order=[(0, 0), (2, 0), (1, 0), (1, 1)])

``order=None`` keeps the natural order (reply pages, then each annex's). An image becomes one
A4 page, fitted with margins. An annex that is not a PDF or an image, an encrypted PDF or a
damaged one raises :class:`~.errors.AssemblyError` with a French message naming it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import AssemblyError

if TYPE_CHECKING:
    import pymupdf

Source = Path | str | bytes
PageRef = tuple[int, int]

_A4 = (595.28, 841.89)  # points
_MARGIN = 28.35  # 1 cm


def _label(source: Source, index: int) -> str:
    if isinstance(source, bytes):
        return "le document principal" if index == 0 else f"l'annexe n° {index}"
    return f"« {Path(source).name} »"


def _kind(data: bytes) -> str | None:
    if data.startswith(b"%PDF-") or b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return None


def _read(source: Source, index: int) -> bytes:
    if isinstance(source, bytes):
        return source
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise AssemblyError(
            f"Impossible de lire {_label(source, index)} : {exc.strerror or exc}."
        ) from exc


def open_source(source: Source, index: int = 0) -> pymupdf.Document:
    """The source as a PDF document (an image becomes a one-page A4 PDF)."""
    import pymupdf

    data = _read(source, index)
    kind = _kind(data)
    name = _label(source, index)
    if kind is None:
        raise AssemblyError(
            f"{name[0].upper()}{name[1:]} n'est ni un PDF ni une image JPG ou PNG : il ne peut "
            "pas être joint à la réponse. Convertissez-le en PDF d'abord."
        )
    try:
        if kind == "pdf":
            document = pymupdf.open(stream=data, filetype="pdf")
            if document.needs_pass or document.is_encrypted:
                document.close()
                raise AssemblyError(
                    f"Le PDF {name} est protégé par un mot de passe : bannette ne peut pas "
                    "l'assembler. Demandez une version non protégée, ou imprimez-le en PDF."
                )
            if document.page_count == 0:
                raise AssemblyError(f"Le PDF {name} ne contient aucune page.")
            return document
        return _image_page(data, kind)
    except AssemblyError:
        raise
    except Exception as exc:  # noqa: BLE001 - MuPDF raises its own FzError* kinds
        raise AssemblyError(
            f"Le fichier {name} est endommagé et ne peut pas être lu ({exc}). Demandez-en une "
            "nouvelle copie."
        ) from exc


def _image_page(data: bytes, kind: str) -> pymupdf.Document:
    import pymupdf

    image = pymupdf.open(stream=data, filetype=kind)
    try:
        width, height = image[0].rect.width, image[0].rect.height
    finally:
        image.close()
    if width <= 0 or height <= 0:
        raise ValueError("image vide")
    document = pymupdf.open()
    page_w, page_h = (_A4[1], _A4[0]) if width > height * 1.2 else _A4  # landscape scans
    page = document.new_page(width=page_w, height=page_h)
    box = pymupdf.Rect(_MARGIN, _MARGIN, page_w - _MARGIN, page_h - _MARGIN)
    page.insert_image(box, stream=data, keep_proportion=True)
    return document


def page_count(source: Source) -> int:
    document = open_source(source)
    try:
        return document.page_count
    finally:
        document.close()


def page_thumbnails(pdf: Source, width: int = 160) -> list[bytes]:
    """PNG bytes of every page of ``pdf`` (or of an image), ``width`` pixels wide."""
    document = open_source(pdf)
    try:
        return [_render(document[i], width) for i in range(document.page_count)]
    finally:
        document.close()


def render_page(pdf: Source, page_index: int, width: int) -> bytes:
    """One page as PNG, ``width`` pixels wide (the viewer's page, the preview)."""
    document = open_source(pdf)
    try:
        return _render(document[page_index], width)
    finally:
        document.close()


def _render(page: pymupdf.Page, width: int) -> bytes:
    import pymupdf

    zoom = width / page.rect.width if page.rect.width else 1.0
    pixmap = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False)
    return pixmap.tobytes("png")


def natural_order(counts: Sequence[int]) -> list[PageRef]:
    """Every page of every document, documents in order: the order before any dragging."""
    return [(d, p) for d, count in enumerate(counts) for p in range(count)]


def _runs(order: Sequence[PageRef]) -> list[tuple[int, int, int]]:
    """Consecutive pages of one document as ``(document, first, last)``: one copy per run
    instead of one per page (a 40-page annex in one call)."""
    runs: list[tuple[int, int, int]] = []
    for doc_index, page_index in order:
        if runs and runs[-1][0] == doc_index and runs[-1][2] == page_index - 1:
            runs[-1] = (doc_index, runs[-1][1], page_index)
        else:
            runs.append((doc_index, page_index, page_index))
    return runs


def _to_bytes(document: pymupdf.Document) -> bytes:
    """The PDF compressed, through a temporary file: PyMuPDF writes to a file in C, while
    ``tobytes`` goes through Python one kilobyte at a time (three times slower here)."""
    with tempfile.TemporaryDirectory(prefix="bannette-assemble-") as folder:
        path = Path(folder) / "assemble.pdf"
        document.save(str(path), garbage=1, deflate=True)
        return path.read_bytes()


def assemble(
    reply_pdf: Source,
    annexes: Sequence[Source],
    order: Sequence[PageRef] | None = None,
) -> bytes:
    """The reply and its annexes as one PDF (bytes), pages in ``order``.

    ``order`` lists ``(document, page)``: document 0 is the reply, 1… the annexes. A page may
    be left out (the secrétaire removed it), not repeated; a reference to a page that does not
    exist raises :class:`AssemblyError` (the caller's thumbnails and the files disagree).
    """
    import pymupdf

    sources = [reply_pdf, *annexes]
    documents: list[pymupdf.Document] = []
    try:
        for index, source in enumerate(sources):
            documents.append(open_source(source, index))
        counts = [d.page_count for d in documents]
        wanted = list(order) if order is not None else natural_order(counts)
        if not wanted:
            raise AssemblyError("Aucune page n'est choisie : le document assemblé serait vide.")
        seen: set[PageRef] = set()
        for doc_index, page_index in wanted:
            if not (0 <= doc_index < len(documents)) or not (0 <= page_index < counts[doc_index]):
                raise AssemblyError(
                    f"La page {page_index + 1} du document n° {doc_index + 1} n'existe pas : "
                    "actualisez l'ordre des pages et recommencez."
                )
            if (doc_index, page_index) in seen:
                raise AssemblyError(
                    f"La page {page_index + 1} du document n° {doc_index + 1} est placée deux fois."
                )
            seen.add((doc_index, page_index))
        output = pymupdf.open()
        try:
            for doc_index, first, last in _runs(wanted):
                output.insert_pdf(documents[doc_index], from_page=first, to_page=last)
            return _to_bytes(output)
        finally:
            output.close()
    finally:
        for document in documents:
            document.close()
