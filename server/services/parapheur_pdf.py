"""PDFs of the built-in parapheur: the signed document (main PDF stamped with a signature
block) and the bordereau (the history of the circuit), made with PyMuPDF."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pymupdf

from server.french import long_date_time


@dataclass(frozen=True)
class StepLine:
    position: int
    kind: str
    official: str
    state: str
    acted_at: datetime | None
    comment: str | None


_KIND = {"visa": "Visa", "signature": "Signature"}
_STATE = {"waiting": "En attente", "done": "Effectué", "rejected": "Rejeté"}


def stamp_signature(main_pdf: bytes, signer: str, signed_at: datetime, authority: str,
                    visas: list[str]) -> bytes:
    """Adds a signature block at the bottom of the last page; the content is left intact."""
    doc = pymupdf.open(stream=main_pdf, filetype="pdf")
    try:
        page = doc[-1]
        width, height = page.rect.width, page.rect.height
        box = pymupdf.Rect(width - 300, height - 130, width - 30, height - 30)
        page.draw_rect(box, color=(0.1, 0.2, 0.5), width=1)
        lines = [
            authority,
            f"Signé électroniquement par {signer}",
            f"le {long_date_time(signed_at)}",
        ]
        if visas:
            lines.append("Visas : " + ", ".join(visas))
        page.insert_textbox(box + (6, 6, -6, -6), "\n".join(lines), fontsize=9,
                            fontname="helv", color=(0.1, 0.2, 0.5))
        doc.set_metadata({**(doc.metadata or {}), "subject": "Document signé (parapheur bannette)"})
        data: bytes = doc.tobytes(garbage=3, deflate=True)
        return data
    finally:
        doc.close()


def wrap(text: str, width: float, size: float) -> list[str]:
    """Lines of ``text`` no wider than ``width`` points in Helvetica: breaks between words, and
    inside a word longer than a line."""
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


def bordereau(title: str, authority: str, state: str, created_at: datetime,
              steps: list[StepLine], annotations: list[tuple[str, datetime, str]]) -> bytes:
    doc = pymupdf.open()
    try:
        page = doc.new_page()
        y = 60.0

        def line(text: str, size: float = 10, indent: float = 0) -> None:
            """Writes ``text`` wrapped to the page width, over as many pages as it takes: an
            annotation of 2,000 characters is printed whole, never cut at the margin."""
            nonlocal y, page
            for part in wrap(text, page.rect.width - 100 - indent, size):
                if y > page.rect.height - 60:
                    page = doc.new_page()
                    y = 60.0
                page.insert_text((50 + indent, y), part, fontsize=size, fontname="helv")
                y += size + 6

        line("Bordereau de circuit de validation", 16)
        line(authority, 11)
        line(f"Dossier : {title}", 11)
        line(f"Déposé le {long_date_time(created_at)} — état : {state}", 10)
        y += 8
        line("Étapes", 13)
        for step in steps:
            when = long_date_time(step.acted_at) if step.acted_at else "—"
            line(f"{step.position}. {_KIND.get(step.kind, step.kind)} — {step.official} — "
                 f"{_STATE.get(step.state, step.state)} — {when}", 10, 10)
            if step.comment:
                line(f"Commentaire : {step.comment}", 9, 24)
        if annotations:
            y += 8
            line("Annotations", 13)
            for author, at, text in annotations:
                line(f"{author}, le {long_date_time(at)} : {text}", 9, 10)
        data: bytes = doc.tobytes(garbage=3, deflate=True)
        return data
    finally:
        doc.close()
