"""The RGPD export of a citizen (right of access, art. 15): a readable PDF, a machine-readable
JSON, and optionally a zip holding both with the files themselves.

The PDF is laid out by PyMuPDF's ``Story`` (HTML and CSS, fonts with every French accent, page
breaks handled) rather than LibreOffice: no template to keep, no process to start, and the same
result on every PC. Dates are shown in the commune's legal time zone, JJ/MM/AAAA.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from desktop.documents.errors import OutputError
from desktop.domain.legal_time import read as read_instant
from sync.protocol.vocabulary import (
    CHANNEL_LABELS,
    EVENT_LABELS,
    OUTCOME_LABELS,
    STATUS_LABELS,
    Channel,
    EventKind,
    Outcome,
    Status,
)

FORMAT = "bannette-rgpd-export/1"
PARTIAL_TRAIL = ("Liste des consultations incomplète : le serveur n'a pas pu être joint lors "
                 "de l'export (poste hors ligne). Refaites l'export en ligne pour l'obtenir.")
KIND_LABELS = {"person": "Particulier", "association": "Association", "company": "Entreprise"}
IDENTITY_LABELS = {
    "last_name": "Nom", "first_name": "Prénom", "organisation": "Organisme", "rna": "N° RNA",
    "siret": "SIRET", "email": "Courriel", "phone": "Téléphone", "address": "Adresse",
    "postcode": "Code postal", "city": "Commune",
}
READ_LABELS = {
    "citizen_file": "Fiche de l'usager", "request_detail": "Détail d'une demande",
    "attachment": "Pièce jointe", "export": "Export RGPD", "detail": "Fiche (serveur)",
    "list": "Liste de recherche", "sync": "Synchronisation d'un poste",
}


@dataclass(frozen=True)
class TrailEntry:
    """One read of the citizen's file, as the server's audit trail says it."""

    at: datetime
    agent: str
    what: str
    request: str | None = None
    ip: str | None = None


@dataclass(frozen=True)
class ExportResult:
    json_path: Path
    pdf_path: Path
    zip_path: Path | None
    partial: bool


def _label(table: dict[Any, str], enum: type[Any], value: str | None) -> str:
    if not value:
        return ""
    try:
        return table[enum(value)]
    except (ValueError, KeyError):
        return value


def _size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(size, 1) / 1024:.0f} Ko"
    return f"{size / (1024 * 1024):.1f} Mo".replace(".", ",")


def _moment(text: str | None, department: str | None) -> str:
    local = read_instant(text, department)
    return f"{local:%d/%m/%Y %H:%M}" if local else ""


def build_json(dossier: dict[str, Any], trail: list[TrailEntry] | None, generated: datetime
               ) -> dict[str, Any]:
    """The machine-readable export: stable English keys of the wire, instants in UTC ISO."""
    return {
        "format": FORMAT,
        "generated_at": generated.isoformat(),
        "authority": {"id": dossier["authority_id"], "name": dossier["authority"]},
        "citizen": {"id": dossier["citizen_id"], **dossier["identity"]},
        "requests": dossier["requests"],
        "messages": dossier["messages"],
        "phone_calls": dossier["phone_calls"],
        "documents": [
            {**a, "file_in_zip": f"pieces/{a['id']}-{a['filename']}"}
            for a in dossier["attachments"]
        ],
        "reads": {
            "complete": trail is not None,
            "note": None if trail is not None else PARTIAL_TRAIL,
            "entries": [
                {"at": e.at.isoformat(), "agent": e.agent, "what": e.what,
                 "request": e.request, "ip": e.ip} for e in (trail or [])
            ],
        },
    }


def _table(headers: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>" if body else "<p><i>Aucun.</i></p>"


CSS = """
* { font-family: sans-serif; font-size: 9pt; }
h1 { font-size: 15pt; margin-bottom: 2pt; }
h2 { font-size: 11.5pt; margin-top: 10pt; border-bottom: 1px solid #888; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; background-color: #e8ecf2; }
th, td { border: 1px solid #bbb; padding: 2pt 3pt; vertical-align: top; }
p.note { color: #8a4b00; }
"""


def build_html(dossier: dict[str, Any], trail: list[TrailEntry] | None, generated: datetime
               ) -> str:
    dep = dossier["department"]
    identity = dossier["identity"]
    parts = [
        f"<h1>Données détenues sur {html.escape(dossier['display_name'])}</h1>",
        f"<p>{html.escape(dossier['authority'])} — export établi le "
        f"{_moment(generated.isoformat(), dep)} au titre du droit d'accès "
        "(RGPD, article 15).</p>",
        "<h2>Identité</h2>",
        _table(("Donnée", "Valeur"), [("Type", KIND_LABELS.get(identity["kind"], ""))] + [
            (label, identity[key]) for key, label in IDENTITY_LABELS.items() if identity[key]]),
        f"<h2>Demandes ({len(dossier['requests'])})</h2>",
        _table(("N°", "Reçue le", "Canal", "Objet", "Démarche", "Statut", "Issue"), [
            (r["number"], _moment(r["received_at"], dep),
             _label(CHANNEL_LABELS, Channel, r["channel"]), r["subject"], r["procedure"],
             _label(STATUS_LABELS, Status, r["status"]),
             _label(OUTCOME_LABELS, Outcome, r["outcome"])) for r in dossier["requests"]]),
    ]
    for request in dossier["requests"]:
        if request["body"] or request["events"]:
            parts.append(f"<p><b>Demande {html.escape(request['number'])}</b> : "
                         f"{html.escape(request['body'])}</p>")
            parts.append(_table(("Date", "Étape", "Agent"), [
                (_moment(e["at"], dep), _label(EVENT_LABELS, EventKind, e["kind"]),
                 e["agent"] or "") for e in request["events"]]))
    parts += [
        f"<h2>Appels téléphoniques ({len(dossier['phone_calls'])})</h2>",
        _table(("Date", "Appelant", "Numéro", "Motif", "Demande"), [
            (_moment(c["called_at"], dep), c["caller_name"], c["phone_number"], c["motive"],
             c["request"] or "") for c in dossier["phone_calls"]]),
        f"<h2>Messages ({len(dossier['messages'])})</h2>",
        _table(("Date", "Sens", "Canal", "Objet", "Demande"), [
            (_moment(m["at"], dep), "Reçu" if m["direction"] == "inbound" else "Envoyé",
             m["channel"], m["subject"], m["request"] or "") for m in dossier["messages"]]),
        f"<h2>Documents ({len(dossier['attachments'])})</h2>",
        _table(("Fichier", "Type", "Taille", "Demande"), [
            (a["filename"], a["media_type"], _size(a["size"]), a["request"] or "")
            for a in dossier["attachments"]]),
        "<h2>Consultations de la fiche</h2>",
    ]
    if trail is None:
        parts.append(f"<p class='note'>{html.escape(PARTIAL_TRAIL)}</p>")
    else:
        parts.append(_table(("Date", "Agent", "Ce qui a été consulté", "Demande", "Adresse IP"), [
            (_moment(e.at.isoformat(), dep), e.agent, READ_LABELS.get(e.what, e.what),
             e.request or "", e.ip or "") for e in trail]))
    return "".join(parts)


def write_pdf(html_text: str, target: Path) -> None:
    import pymupdf

    story = pymupdf.Story(html=html_text, user_css=CSS)
    writer = pymupdf.DocumentWriter(str(target))
    page = pymupdf.paper_rect("a4")
    frame = page + (42, 48, -42, -48)
    more = True
    while more:
        device = writer.begin_page(page)
        more, _ = story.place(frame)
        story.draw(device)
        writer.end_page()
    writer.close()


def _atomic(target: Path, write: Callable[[Path], object]) -> None:
    """Written beside the target then renamed: a failure leaves nothing half-written."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".export-", suffix=target.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export_citizen(
    dossier: dict[str, Any], trail: list[TrailEntry] | None, folder: Path, *,
    generated: datetime, files: Callable[[str], Path | None] | None = None,
) -> ExportResult:
    """Writes ``<stem>.json`` and ``<stem>.pdf`` in ``folder`` (and ``<stem>.zip`` with both
    and the documents when ``files`` maps a sha256 to the cached file). ``trail`` None means
    the server could not be asked: the export says the list of reads is partial."""
    stem = f"rgpd-{dossier['citizen_id'][:8]}-{generated:%Y%m%d-%H%M}"
    json_path, pdf_path = folder / f"{stem}.json", folder / f"{stem}.pdf"
    data = build_json(dossier, trail, generated)
    text = json.dumps(data, ensure_ascii=False, indent=2)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _atomic(json_path, lambda p: p.write_text(text, encoding="utf-8"))
        _atomic(pdf_path, lambda p: write_pdf(build_html(dossier, trail, generated), p))
        zip_path = None
        if files is not None:
            zip_path = folder / f"{stem}.zip"

            def write_zip(path: Path) -> None:
                with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
                    archive.write(json_path, json_path.name)
                    archive.write(pdf_path, pdf_path.name)
                    for doc in data["documents"]:
                        source = files(doc["sha256"])
                        if source is not None and source.is_file():
                            archive.write(source, doc["file_in_zip"])

            _atomic(zip_path, write_zip)
    except OSError as exc:
        for path in (json_path, pdf_path):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        raise OutputError(
            f"Impossible d'écrire l'export dans « {folder} » : dossier protégé en écriture "
            "ou introuvable, ou fichier ouvert dans une autre application. Fermez-le ou "
            "choisissez un autre dossier ; rien n'a été gardé."
        ) from exc
    return ExportResult(json_path, pdf_path, zip_path, trail is None)
