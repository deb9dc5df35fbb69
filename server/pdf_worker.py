"""What runs in the child process that does every PyMuPDF job of the server, under hard limits.

:mod:`server.pdf_sandbox` forks one short-lived process per job (from a fork server that has
already imported PyMuPDF, so a job starts in milliseconds): a hostile PDF (a deflate bomb, a
damaged file that sends MuPDF into a long loop) then costs that process only, capped in memory
and CPU time, and killed by the parent after its time limit; the server's event loop and its
other requests never wait on it. Only the standard library and PyMuPDF are used here.
"""

from __future__ import annotations

import resource
import zlib
from typing import Any

REFUSED = 3


class Refused(Exception):
    """A PDF we will not process; the message is shown to the agent, in French."""


def _limit(memory_bytes: int, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))


def _inflated_size(raw: bytes, budget: int) -> int:
    """Inflates ``raw`` by slices, stopping as soon as ``budget`` is exceeded, so that a 4 MB
    stream announcing 4 GB never takes more than one slice of memory."""
    inflater = zlib.decompressobj()
    total, pending = 0, raw
    while pending and not inflater.eof:
        try:
            total += len(inflater.decompress(pending, 1 << 20))
        except zlib.error:
            return total  # a corrupt stream is MuPDF's to judge, not a bomb
        if total > budget:
            return total
        pending = inflater.unconsumed_tail
    return total


def inspect(doc: Any, job: dict[str, Any]) -> None:
    """Refuses what cannot be safely processed: encryption, no pages, too many pages, too
    much data once decompressed."""
    if doc.needs_pass or doc.is_encrypted:
        raise Refused("le PDF est protégé par un mot de passe")
    if doc.page_count < 1:
        raise Refused("le fichier n'est pas un PDF lisible (aucune page)")
    max_pages = int(job["max_pages"])
    if doc.page_count > max_pages:
        raise Refused(f"le PDF compte plus de {max_pages} pages")
    budget = int(job["max_inflated"])
    total = 0
    for xref in range(1, doc.xref_length()):
        if not doc.xref_is_stream(xref):
            continue
        kind, value = doc.xref_get_key(xref, "Filter")
        raw = doc.xref_stream_raw(xref) or b""
        if "FlateDecode" in value:
            total += _inflated_size(raw, budget - total)
        else:
            total += len(raw)
        if total > budget:
            raise Refused("le PDF contient des données compressées démesurées (plus de "
                          f"{budget // (1024 * 1024)} Mo une fois décompressées)")
    doc[-1].bound()  # the page the signature goes on must at least load


def stamp(doc: Any, job: dict[str, Any]) -> bytes:
    import pymupdf

    page = doc[-1]
    width, height = page.rect.width, page.rect.height
    box = pymupdf.Rect(width - 300, height - 130, width - 30, height - 30)
    page.draw_rect(box, color=(0.1, 0.2, 0.5), width=1)
    page.insert_textbox(box + (6, 6, -6, -6), "\n".join(job["lines"]), fontsize=9,
                        fontname="helv", color=(0.1, 0.2, 0.5))
    doc.set_metadata({**(doc.metadata or {}), "subject": job["subject"]})
    data: bytes = doc.tobytes(garbage=3, deflate=True)
    return data


def wrap(text: str, width: float, size: float) -> list[str]:
    """Lines of ``text`` no wider than ``width`` points in Helvetica: breaks between words, and
    inside a word longer than a line (a 2,000-character annotation is printed whole)."""
    import pymupdf

    widths: dict[str, float] = {}

    def length(chars: str) -> float:
        if chars not in widths:
            widths[chars] = float(pymupdf.get_text_length(chars, fontname="helv", fontsize=size))
        return widths[chars]

    space = length(" ")
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        current, used = "", 0.0
        for word in paragraph.split():
            wide = length(word)
            if current and used + space + wide <= width:
                current, used = f"{current} {word}", used + space + wide
                continue
            if current:
                lines.append(current)
            current, used = "", 0.0
            for char in word:  # a word wider than the line is cut where the line ends
                char_width = length(char)
                if current and used + char_width > width:
                    lines.append(current)
                    current, used = "", 0.0
                current, used = current + char, used + char_width
        lines.append(current)
    return lines


def bordereau(job: dict[str, Any]) -> bytes:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    y = 60.0
    for text, size, indent, gap in job["lines"]:
        y += gap
        for part in wrap(text, page.rect.width - 100 - indent, size):
            if y > page.rect.height - 60:
                page = doc.new_page()
                y = 60.0
            page.insert_text((50 + indent, y), part, fontsize=size, fontname="helv")
            y += size + 6
    data: bytes = doc.tobytes(garbage=3, deflate=True)
    return data


def run(job: dict[str, Any], data: bytes) -> bytes:
    import pymupdf

    if job["op"] == "bordereau":
        return bordereau(job)
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:
        raise Refused("le fichier n'est pas un PDF lisible") from exc
    try:
        inspect(doc, job)
        if job["op"] == "stamp":
            return stamp(doc, job)
        if job["op"] == "text":
            return "".join(doc[n].get_text() for n in range(doc.page_count)).encode()
        return b"ok"
    finally:
        doc.close()


def serve(conn: Any, job: dict[str, Any], data: bytes) -> None:
    """Entry point of the child process: limits itself, runs the job, sends (status, bytes)."""
    _limit(int(job["max_memory"]), int(job["max_cpu"]))
    try:
        conn.send((0, run(job, data)))
    except Refused as exc:
        conn.send((REFUSED, str(exc).encode()))
    except MemoryError:
        conn.send((REFUSED, "le PDF demande trop de mémoire pour être traité".encode()))
    except Exception as exc:  # MuPDF's own errors on a damaged file
        conn.send((REFUSED, f"le PDF est endommagé ({type(exc).__name__})".encode()))
    finally:
        conn.close()
