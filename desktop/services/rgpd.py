"""RGPD services for the screens: online calls to the server's RGPD routes, the names the audit
trail shows, the CSV of the trail and the export of a citizen.

The audit trail is read **online**, from the server, never copied to the PCs: it is the only
complete one (reads done on every PC land there), it is append-only there, and a copy on each
PC would be one more store of personal data to protect, stale as soon as another PC works.
Every call runs off the GUI thread (``Online``); the window shows what came back, page by page.
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from desktop.documents.errors import OutputError
from desktop.documents.rgpd_export import ExportResult, TrailEntry, export_citizen
from desktop.domain.legal_time import in_zone
from desktop.store import rgpd as store
from sync import errors
from sync.audit_query import AuditQuery
from sync.protocol.wire import AuditEntryRow, ReadWhat

if TYPE_CHECKING:
    from sync.client import ApiClient

T = TypeVar("T")
PAGE = 200
#: Actions of the audit log in French (unknown ones are shown as the server names them).
ACTION_LABELS = {
    "read": "Consultation", "create": "Création", "update": "Modification",
    "delete": "Suppression", "erase": "Effacement (RGPD)", "set_status": "Changement de statut",
    "acknowledge": "Accusé de réception", "request_documents": "Pièces demandées",
    "documents_received": "Pièces reçues", "implicit_decision": "Décision implicite",
    "assign": "Attribution", "note": "Note", "reply": "Réponse envoyée",
    "ask_opinion": "Avis demandé", "give_opinion": "Avis donné", "send": "Envoi au parapheur",
    "login": "Connexion", "login_failed": "Échec de connexion",
    "retention_list": "Liste de conservation calculée",
    "retention_approve": "Purge approuvée", "retention_purge_start": "Purge commencée",
    "retention_purge_done": "Purge terminée",
}
ENTITY_LABELS = {
    "citizens": "Usager", "requests": "Demande", "attachments": "Pièce jointe",
    "messages": "Message", "phone_calls": "Appel", "agents": "Agent",
    "parapheur_folders": "Parapheur", "retention_runs": "Conservation 36 mois",
}
VIA_LABELS = {
    "citizen_file": "fiche de l'usager", "request_detail": "détail d'une demande",
    "attachment": "pièce jointe", "export": "export RGPD", "detail": "fiche (serveur)",
    "list": "recherche", "sync": "synchronisation", "mutation": "depuis un poste",
    "rest": "depuis le serveur", "retention": "purge des 36 mois",
}
CSV_HEADERS = ("Date", "Agent", "Action", "Objet", "Usager", "Demande", "Précision", "Adresse IP")


class Online(Protocol):
    """Runs ``call(client)`` with the logged-in session, off the GUI thread; the answer comes
    back on the GUI thread. A failure is a ``sync.errors.SyncError`` with a French message."""

    def run(self, call: Callable[[ApiClient], T], on_success: Callable[[T], None],
            on_failure: Callable[[BaseException], None]) -> None: ...


class DirectOnline:
    """An ``Online`` over a client of its own and a task runner (tests, command line)."""

    def __init__(self, client: ApiClient | None, tasks: Any) -> None:
        self.client = client
        self.tasks = tasks

    def run(self, call: Callable[[ApiClient], T], on_success: Callable[[T], None],
            on_failure: Callable[[BaseException], None]) -> None:
        client = self.client

        def job() -> T:
            if client is None:
                raise errors.SyncError("Connectez-vous au serveur pour consulter ces données.")
            return call(client)

        self.tasks.run(job, on_success=on_success, on_failure=on_failure)


def failure_text(exc: BaseException) -> str:
    if isinstance(exc, errors.SyncError):
        return exc.message
    return f"Erreur inattendue : {exc}"


class Names:
    """Ids of the trail as a person reads them, from the local database (GUI thread)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._cache: dict[tuple[str, str], str] = {}
        self._departments = {
            str(r[0]): str(r[1]) for r in conn.execute("SELECT id, department FROM authority")}

    def _lookup(self, table: str, column: str, row_id: str | None) -> str:
        if not row_id:
            return ""
        key = (table, row_id)
        if key not in self._cache:
            row = self._conn.execute(
                f"SELECT {column} FROM {table} WHERE id = ?", (row_id,)).fetchone()
            self._cache[key] = str(row[0]) if row else ""
        return self._cache[key]

    def agent(self, agent_id: Any) -> str:
        if agent_id is None:
            return "(système)"
        return self._lookup("agent", "display_name", str(agent_id)) or "(agent inconnu)"

    def citizen(self, citizen_id: Any) -> str:
        if citizen_id is None:
            return ""
        return self._lookup("citizen", "display_name", str(citizen_id)) or store.ERASED_NAME

    def request(self, request_id: Any) -> str:
        return self._lookup("request", "number", str(request_id) if request_id else None)

    def department(self, authority_id: Any) -> str | None:
        return self._departments.get(str(authority_id)) if authority_id else None

    def moment(self, entry: AuditEntryRow) -> datetime:
        """The instant in the commune's legal zone (never the PC's)."""
        return in_zone(entry.at, self.department(entry.authority_id))

    def cells(self, entry: AuditEntryRow) -> tuple[str, ...]:
        """The row of the trail as shown and exported (same order as ``CSV_HEADERS``)."""
        via = str(entry.detail.get("via", ""))
        extra = VIA_LABELS.get(via, via)
        if entry.detail.get("count"):
            extra = f"{extra} ({entry.detail['count']} usagers)".strip()
        if entry.detail.get("fields"):
            extra = ", ".join(str(f) for f in entry.detail["fields"])
        return (
            f"{self.moment(entry):%d/%m/%Y %H:%M}",
            self.agent(entry.agent_id),
            ACTION_LABELS.get(entry.action, entry.action),
            ENTITY_LABELS.get(entry.entity, entry.entity),
            self.citizen(entry.citizen_id),
            self.request(entry.request_id),
            extra,
            entry.ip or "",
        )


def fetch_all(client: ApiClient, query: AuditQuery, *, limit: int = 100_000
              ) -> list[AuditEntryRow]:
    """Every entry matching (for the CSV), page after page."""
    from sync.rgpd_calls import fetch_audit  # the network stack, on the worker's thread

    entries: list[AuditEntryRow] = []
    while len(entries) < limit:
        page = fetch_audit(client, query, len(entries), 1000)
        entries.extend(page.items)
        if not page.items or len(entries) >= page.total:
            break
    return entries


def write_csv(entries: list[AuditEntryRow], names: Names, target: Path) -> int:
    """UTF-8 with BOM and « ; » so French Excel opens it right; written beside the target then
    renamed, so a refusal (file open in Excel, read-only folder) leaves nothing half-written."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    for entry in entries:
        writer.writerow(names.cells(entry))
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".journal-", suffix=".csv")
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
            handle.write(buffer.getvalue())
        os.replace(tmp, target)
    except PermissionError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise OutputError(
            f"Impossible d'enregistrer « {target.name} » : le fichier est ouvert dans une autre "
            "application (Excel ?) ou le dossier est protégé en écriture. Fermez-le ou "
            "choisissez un autre emplacement ; rien n'a été écrit.") from exc
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"Impossible d'enregistrer « {target.name} » : {exc.strerror}.") from exc
    return len(entries)


def trail_entries(entries: list[AuditEntryRow], names: Names) -> list[TrailEntry]:
    return [
        TrailEntry(at=entry.at, agent=names.agent(entry.agent_id),
                   what=str(entry.detail.get("via", "")), request=names.request(entry.request_id)
                   or None, ip=entry.ip)
        for entry in entries
    ]


def export_dossier(
    conn: sqlite3.Connection, citizen_pk: int, folder: Path, *,
    trail: list[AuditEntryRow] | None, now: datetime, with_files: bool,
) -> ExportResult:
    """The export of a citizen from this PC's data and the server's reads (``trail`` None:
    offline, said in the files). The export itself is a read, traced like the others."""
    dossier = store.citizen_dossier(conn, citizen_pk)
    names = Names(conn)
    from desktop.store.sync_store import blob_path

    files = (lambda sha: blob_path(conn, sha)) if with_files else None
    result = export_citizen(
        dossier, trail_entries(trail, names) if trail is not None else None, folder,
        generated=now, files=files,
    )
    store.record_read(conn, citizen_pk, ReadWhat.EXPORT, now=now)
    return result
