"""PDFs of the built-in parapheur: the signed document (main PDF stamped with a signature
block) and the bordereau (the history of the circuit), made with PyMuPDF in a limited
subprocess (:mod:`server.pdf_sandbox`), never in the server process itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server import pdf_sandbox
from server.french import long_date_time
from server.problems import ProblemError


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
    """Adds a signature block at the bottom of the last page; the content is left intact.

    The work runs in a limited subprocess: a PDF it cannot process (damaged, encrypted, a
    deflate bomb) is a 422 with the reason, and the caller's transaction leaves the folder
    as it was."""
    lines = [
        authority,
        f"Signé électroniquement par {signer}",
        f"le {long_date_time(signed_at)}",
    ]
    if visas:
        lines.append("Visas : " + ", ".join(visas))
    try:
        return pdf_sandbox.run({"op": "stamp", "lines": lines,
                                "subject": "Document signé (parapheur bannette)"}, main_pdf)
    except pdf_sandbox.PdfRefused as exc:
        raise ProblemError(422, f"Le document principal ne peut pas être signé : {exc}. "
                                "Le dossier reste en attente de signature.") from exc



def bordereau(title: str, authority: str, state: str, created_at: datetime,
              steps: list[StepLine], annotations: list[tuple[str, datetime, str]]) -> bytes:
    lines: list[tuple[str, float, float, float]] = []  # text, size, indent, space before

    def line(text: str, size: float = 10, indent: float = 0, gap: float = 0) -> None:
        lines.append((text, size, indent, gap))

    line("Bordereau de circuit de validation", 16)
    line(authority, 11)
    line(f"Dossier : {title}", 11)
    line(f"Déposé le {long_date_time(created_at)} — état : {state}", 10)
    line("Étapes", 13, gap=8)
    for step in steps:
        when = long_date_time(step.acted_at) if step.acted_at else "—"
        line(f"{step.position}. {_KIND.get(step.kind, step.kind)} — {step.official} — "
             f"{_STATE.get(step.state, step.state)} — {when}", 10, 10)
        if step.comment:
            line(f"Commentaire : {step.comment}", 9, 24)
    if annotations:
        line("Annotations", 13, gap=8)
        for author, at, text in annotations:
            line(f"{author}, le {long_date_time(at)} : {text}", 9, 10)
    try:
        return pdf_sandbox.run({"op": "bordereau", "lines": lines})
    except pdf_sandbox.PdfRefused as exc:
        raise ProblemError(503, f"Le bordereau n'a pas pu être produit : {exc}.") from exc
