"""Several scanned images (JPEG, PNG, TIFF) joined, in the order given, into one PDF.

A copier sends a three-page letter as three images; the request wants one document. Each
image becomes a page the size the scan has (its resolution says how many centimetres it is, so
an A4 scan makes an A4 page), with no margin added; a multi-page TIFF gives all its pages. JPEG
data is kept as it is (no recompression, no loss), so the PDF stays about the size of its
images. The result is checked like any attachment (5 MB); a refusal is a French sentence.
"""

from __future__ import annotations

from collections.abc import Sequence

from sync.protocol.files import attachment_problem
from sync.protocol.vocabulary import MAX_ATTACHMENT_BYTES

#: A page beyond this many points on a side (5 m) is a damaged header, not a scan.
MAX_SIDE_POINTS = 14_400
MAX_IMAGES = 100


class JoinError(Exception):
    """The images cannot become one PDF; ``str()`` says why, in French."""


def join_images(images: Sequence[tuple[str, bytes]], pdf_name: str = "scan.pdf") -> bytes:
    """One PDF from ``(name, bytes)`` images, a page per image (per TIFF page), in order."""
    import pymupdf

    if not images:
        raise JoinError("Choisissez au moins une image à assembler.")
    if len(images) > MAX_IMAGES:
        raise JoinError(f"{len(images)} images : {MAX_IMAGES} au plus dans un même PDF.")
    joined = pymupdf.open()
    try:
        for name, data in images:
            _append_image(joined, name, data)
        result = joined.tobytes(garbage=3, deflate=True)
    finally:
        joined.close()
    if len(result) > MAX_ATTACHMENT_BYTES:
        raise JoinError(
            f"Le PDF assemblé ({len(result) / 1_000_000:.1f} Mo) dépasse la taille maximale de "
            "5 Mo : assemblez moins de pages à la fois, ou numérisez en noir et blanc."
        )
    problem = attachment_problem(result, pdf_name)
    if problem:  # pragma: no cover - a PDF we wrote ourselves; kept as a guard
        raise JoinError(problem)
    return result


#: What may be joined, recognised by its first bytes (never by its name).
IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
)


def image_kind(data: bytes) -> str | None:
    """« jpeg », « png », « tiff » by content, or None."""
    return next((kind for magic, kind in IMAGE_MAGIC if data.startswith(magic)), None)


def _append_image(joined: object, name: str, data: bytes) -> None:
    import pymupdf

    kind = image_kind(data)
    if kind is None:
        what = "déjà un PDF" if data.startswith(b"%PDF-") else "pas une image"
        raise JoinError(f"« {name} » est {what} : seules des images (JPG, PNG, TIFF) "
                        "s'assemblent en un PDF.")
    try:
        image = pymupdf.open(stream=data, filetype=kind)
        try:
            for number in range(image.page_count):
                rect = image[number].rect
                if max(rect.width, rect.height) > MAX_SIDE_POINTS:
                    raise ValueError("page too large")
            pdf = pymupdf.open("pdf", image.convert_to_pdf())
        finally:
            image.close()
    except Exception as exc:  # noqa: BLE001 - MuPDF raises its own kinds for damaged data
        raise JoinError(
            f"« {name} » n'est pas une image lisible (fichier endommagé) : elle n'a pas pu "
            "être assemblée."
        ) from exc
    try:
        joined.insert_pdf(pdf)  # type: ignore[attr-defined]
    finally:
        pdf.close()
