"""Files a copier would produce, made with PyMuPDF for the scan tests."""

from __future__ import annotations

import struct

import pymupdf

A4 = (595.0, 842.0)


def image_bytes(kind: str = "png", width: int = 120, height: int = 170,
                shade: int = 200) -> bytes:
    """A plain image of ``width`` × ``height`` pixels, as PNG, JPEG or TIFF bytes."""
    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, width, height), False)
    pixmap.clear_with(shade)
    if kind in ("tif", "tiff"):
        return tiff_bytes([(width, height, bytes(pixmap.samples))])
    return pixmap.tobytes("jpeg" if kind in ("jpg", "jpeg") else "png")


def tiff_bytes(pages: list[tuple[int, int, bytes]], dpi: int = 150) -> bytes:
    """An uncompressed RGB TIFF, one page per ``(width, height, rgb samples)``: what a copier
    writes, built by hand since PyMuPDF reads TIFF but does not write it."""
    out = bytearray(b"II*\x00\x00\x00\x00\x00")
    previous_link = 4
    for width, height, samples in pages:
        pixels = len(out)
        out += samples
        extra = len(out)
        out += struct.pack("<HHH", 8, 8, 8) + struct.pack("<IIII", dpi, 1, dpi, 1)
        tags = [
            (256, 4, 1, width), (257, 4, 1, height), (258, 3, 3, extra), (259, 3, 1, 1),
            (262, 3, 1, 2), (273, 4, 1, pixels), (277, 3, 1, 3), (278, 4, 1, height),
            (279, 4, 1, len(samples)), (282, 5, 1, extra + 6), (283, 5, 1, extra + 14),
            (296, 3, 1, 2),
        ]
        if len(out) % 2:
            out += b"\x00"
        ifd = len(out)
        struct.pack_into("<I", out, previous_link, ifd)
        out += struct.pack("<H", len(tags))
        for tag, kind, count, value in tags:
            packed = struct.pack("<H", value) + b"\x00\x00" if kind == 3 and count == 1 \
                else struct.pack("<I", value)
            out += struct.pack("<HHI", tag, kind, count) + packed
        previous_link = len(out)
        out += b"\x00\x00\x00\x00"
    return bytes(out)


def pdf_bytes(pages: int = 1, size: tuple[float, float] = A4) -> bytes:
    """A PDF of ``pages`` pages, each saying its number."""
    document = pymupdf.open()
    for number in range(pages):
        page = document.new_page(width=size[0], height=size[1])
        page.insert_text((72, 72), f"Page {number + 1}", fontsize=24)
    data = document.tobytes()
    document.close()
    return data
