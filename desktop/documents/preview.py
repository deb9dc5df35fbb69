"""Pages of a PDF or an image, rendered for the in-app preview (PyMuPDF), within limits.

Qt-free: the preview widget calls this from one worker thread, never from the GUI thread, so a
heavy scan never freezes the window. PyMuPDF is not safe for two threads on one document:
every access goes through the document's lock.

An attachment comes from a citizen or a copier and may be hostile or broken: a password, no
page, thousands of pages, a page announcing 100 m by 100 m. Each gives a French sentence
(``PreviewError``) or a bounded rendering (at most ``MAX_PIXELS`` per image, zoom lowered to
fit), never a crash; a page MuPDF cannot draw is reported the same way. A rendering that never
ends is the caller's to time out (see ``RENDER_SECONDS``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

#: Beyond this, the document is refused rather than listed page after page.
MAX_PAGES = 5000
#: Pixels in one rendered image (25 M pixels: 75 MB of RGB at most).
MAX_PIXELS = 25_000_000
#: The caller gives up waiting for one page after this long and says so.
RENDER_SECONDS = 15.0

FILETYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpeg",
    "image/png": "png",
    "image/tiff": "tiff",
    ".pdf": "pdf",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".png": "png",
    ".tif": "tiff",
    ".tiff": "tiff",
}


class PreviewError(Exception):
    """The document cannot be shown; ``str()`` says why, in French, naming the file."""


@dataclass(frozen=True)
class PageImage:
    """One rendered page: raw RGB samples, ready for a ``QImage`` (Format_RGB888)."""

    number: int
    width: int
    height: int
    stride: int
    samples: bytes
    #: The zoom really used (lower than asked when the page would exceed ``MAX_PIXELS``).
    zoom: float
    rotation: int


def filetype_for(name: str, media_type: str | None = None, data: bytes = b"") -> str | None:
    """What PyMuPDF must be told the bytes are: by content first (a PNG named « .jpg »), then
    by media type, then by the name's extension."""
    from desktop.documents.join_images import image_kind

    if data.startswith(b"%PDF-"):
        return "pdf"
    return (image_kind(data) or FILETYPES.get(media_type or "")
            or FILETYPES.get(PurePath(name).suffix.lower()))


class PreviewDocument:
    """An opened document; ``render`` may be called from any one thread at a time."""

    def __init__(self, data: bytes, name: str, filetype: str | None = None) -> None:
        import pymupdf

        self.name = name
        self._lock = threading.Lock()
        try:
            kind = filetype or filetype_for(name, None, data)
            document = pymupdf.open(stream=data, filetype=kind)
        except Exception as exc:  # noqa: BLE001 - MuPDF raises its own kinds
            raise PreviewError(
                f"« {name} » ne peut pas être affiché : le fichier est endommagé ou n'est pas "
                "un PDF ni une image."
            ) from exc
        if document.needs_pass or document.is_encrypted:
            document.close()
            raise PreviewError(f"« {name} » est protégé par un mot de passe : il ne peut pas "
                               "être affiché.")
        if document.page_count < 1:
            document.close()
            raise PreviewError(f"« {name} » ne contient aucune page lisible.")
        if document.page_count > MAX_PAGES:
            count = document.page_count
            document.close()
            raise PreviewError(f"« {name} » compte {count} pages : l'aperçu s'arrête à "
                               f"{MAX_PAGES} pages. Ouvrez-le avec l'application du système.")
        self._document: Any = document
        self.page_count = int(document.page_count)
        self._sizes: dict[int, tuple[float, float]] = {}

    def page_size(self, number: int) -> tuple[float, float]:
        """Width and height in points (1/72 inch) as the page is shown, unrotated by us."""
        with self._lock:
            return self._size(number)

    def _size(self, number: int) -> tuple[float, float]:
        if number not in self._sizes:
            rect = self._document[number].rect
            self._sizes[number] = (float(rect.width), float(rect.height))
        return self._sizes[number]

    def render(self, number: int, zoom: float, rotation: int = 0) -> PageImage:
        """Page ``number`` at ``zoom`` (1.0 = 72 dpi), turned by ``rotation`` degrees clockwise
        (a multiple of 90); the zoom is lowered if the image would be too large."""
        import pymupdf

        with self._lock:
            if self._document is None:
                raise PreviewError(f"« {self.name} » a été fermé.")
            try:
                width, height = self._size(number)
                if width <= 0 or height <= 0:
                    raise ValueError("empty page")
                area = width * height * zoom * zoom
                if area > MAX_PIXELS:
                    zoom = (MAX_PIXELS / (width * height)) ** 0.5
                matrix = pymupdf.Matrix(zoom, zoom).prerotate(rotation % 360)
                pixmap = self._document[number].get_pixmap(matrix=matrix, alpha=False)
                if pixmap.n != 3:  # a CMYK or grey scan: the widget wants RGB
                    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pixmap)
            except Exception as exc:  # noqa: BLE001
                raise PreviewError(
                    f"La page {number + 1} de « {self.name} » ne peut pas être affichée "
                    "(fichier endommagé)."
                ) from exc
            return PageImage(number, pixmap.width, pixmap.height, pixmap.stride,
                             bytes(pixmap.samples), zoom, rotation % 360)

    def close(self) -> None:
        with self._lock:
            if self._document is not None:
                self._document.close()
                self._document = None
