"""Test images for the commune's logo, drawn with PyMuPDF (already a dependency): a real PNG
or JPEG, a recognisable one in the screenshots."""

from __future__ import annotations

import pymupdf


def logo_image(kind: str = "png", *, width: int = 360, height: int = 140) -> bytes:
    """A blue badge reading « Ville de Testville » (``kind``: ``png`` or ``jpg``)."""
    document = pymupdf.open()
    page = document.new_page(width=width / 2, height=height / 2)
    page.draw_rect(page.rect, color=(0.1, 0.25, 0.55), fill=(0.1, 0.25, 0.55))
    page.draw_circle((height / 4, height / 4), height / 6, color=(1, 1, 1), fill=(0.95, 0.8, 0.2))
    page.insert_text((height / 2 + 4, height / 4 + 5), "Testville", fontsize=15,
                     color=(1, 1, 1), fontname="helv")
    pixmap = page.get_pixmap(dpi=144)
    return pixmap.tobytes("jpg" if kind == "jpg" else "png")
