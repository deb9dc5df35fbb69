"""Answering a request, as the store records it (issue 10). Knows nothing of Qt.

Every step is applied here at once (the secrétaire and the élu work offline) and queued for the
server in the same transaction (``desktop.store.outbox``):

* the **versions** of a reply drafted in Word: each saved state of the .docx is kept in this PC's
  content-addressed cache and numbered; its PDF rendering becomes an attachment of the request,
  so the versions reach the other PCs (attachments are PDF, JPG or PNG only);
* **« Envoyer au parapheur »**: a local folder row « en attente d'envoi », the request
  « Au parapheur », ``parapheur.send`` queued; the folder's later states come with the pull;
* the élu's **decision** (visa, signature, rejection with its comment) on the step they saw
  waiting, ``parapheur.decide`` queued with that step's position;
* **the reply sent** (e-mail through the server, or the post): the request answered with its
  outcome, the clock stopped, ``reply.send`` queued; never with a provisional ``P-`` number;
* the **opinions** a secrétaire asks of an élu and the élu's avis.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from desktop.domain.legal_time import read
from desktop.domain.parapheur import folder_label
from desktop.domain.workflow import DomainEvent, TransitionError
from desktop.store.attachments import add_attachment, keep_blob
from desktop.store.database import StoreError, transaction
from desktop.store.ids import iso, new_id
from desktop.store.intake import PROVISIONAL_PREFIX, authority_department
from desktop.store.outbox import enqueue, enqueue_for_request, server_may_know
from desktop.store.requests import department_of, insert_event, live_request, refresh_due
from desktop.store.sync_store import blob_path, legal_time
from sync.protocol.reference import request_reference
from sync.protocol.vocabulary import (
    OUTCOME_LABELS,
    STATUS_LABELS,
    EventKind,
    Outcome,
    Role,
    Status,
    can_transition,
)
from sync.protocol.wire import (
    FolderState,
    MutationName,
    ParapheurFolderRow,
    ReplyMode,
    StepKind,
    StepState,
)

#: What the secrétaire reads when a letter would leave with a provisional number.
PROVISIONAL_REFUSAL = "La demande n'a pas encore son numéro définitif : synchronisez d'abord."
#: The outcomes a reply may carry, with the words of the dialog.
REPLY_OUTCOMES: dict[Outcome, str] = {
    Outcome.ACCEPTED: "Accordée",
    Outcome.REJECTED: "Refusée",
    Outcome.NO_FOLLOW_UP: "Sans suite",
}
OPINIONS: dict[str, str] = {
    "favorable": "Favorable",
    "unfavorable": "Défavorable",
    "reserved": "Réservé",
}
#: Where a request may be when its reply leaves for the parapheur or to the citizen (the server
#: moves it through « Réponse en rédaction » first when it is not there yet).
SENDABLE = frozenset({Status.RECEIVED, Status.ACKNOWLEDGED, Status.AWAITING_DOCUMENTS,
                      Status.DRAFTING})
STEP_KIND_LABELS = {StepKind.VISA.value: "Visa", StepKind.SIGNATURE.value: "Signature"}
DECISIONS = {"visa": "Visé", "sign": "Signé", "reject": "Rejeté"}


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Official:
    """An élu (or an agent the server lets decide) of the commune."""

    pk: int
    id: str
    name: str


def agent_role(conn: sqlite3.Connection, agent_id: str | None) -> Role | None:
    if agent_id is None:
        return None
    row = conn.execute("SELECT role FROM agent WHERE id = ?", (agent_id,)).fetchone()
    return Role(row[0]) if row else None


def officials(conn: sqlite3.Connection, authority_pk: int) -> list[Official]:
    """The commune's élus, from the synced agents table, by name."""
    return [
        Official(int(r[0]), str(r[1]), str(r[2]))
        for r in conn.execute(
            "SELECT a.pk, a.id, a.display_name FROM agent a "
            "JOIN agent_authority aa ON aa.agent_pk = a.pk "
            # The role in THIS commune (a role belongs to (agent, commune)).
            "LEFT JOIN agent_role ar ON ar.agent_pk = a.pk AND ar.authority_pk = aa.authority_pk "
            "WHERE aa.authority_pk = ? AND COALESCE(ar.role, a.role) = ? AND a.deleted = 0 "
            "ORDER BY fold(a.display_name)",
            (authority_pk, Role.OFFICIAL.value),
        )
    ]


@dataclass(frozen=True)
class ReplyFacts:
    """What the reply dialogs need to know of the request."""

    pk: int
    id: str
    number: str
    authority_pk: int
    authority_id: str
    authority_name: str
    subject: str
    status: Status
    outcome: Outcome | None
    citizen_name: str
    citizen_email: str
    #: What is shown and printed: « 67348-2026-000165 » (sync.protocol.reference).
    reference: str = ""

    @property
    def provisional(self) -> bool:
        return self.number.startswith(PROVISIONAL_PREFIX)


def reply_facts(conn: sqlite3.Connection, request_pk: int) -> ReplyFacts:
    row = conn.execute(
        "SELECT r.pk, r.id, r.number, a.pk, a.id, a.name, r.subject, r.status, r.outcome, "
        "c.display_name, c.email, a.insee_code FROM request r "
        "JOIN authority a ON a.pk = r.authority_pk "
        "JOIN citizen c ON c.pk = r.citizen_pk WHERE r.pk = ? AND r.deleted = 0",
        (request_pk,),
    ).fetchone()
    if row is None:
        live_request(conn, request_pk, "pk")  # raises the one French message
    return ReplyFacts(
        int(row[0]), str(row[1]), str(row[2]), int(row[3]), str(row[4]), str(row[5]),
        str(row[6]), Status(row[7]), Outcome(row[8]) if row[8] else None, str(row[9]),
        str(row[10] or ""), request_reference(str(row[11] or ""), str(row[2])),
    )


# --------------------------------------------------------------------------- versions


@dataclass(frozen=True)
class ReplyVersion:
    pk: int
    request_pk: int
    number: int
    template: str
    docx_sha256: str
    filename: str
    pdf_attachment_id: str | None
    saved_at: datetime
    agent: str | None
    #: Where this PC keeps the .docx of this version (content-addressed cache).
    docx_path: Path


def _agent_pk(conn: sqlite3.Connection, agent_id: str | None) -> int | None:
    if agent_id is None:
        return None
    row = conn.execute("SELECT pk FROM agent WHERE id = ?", (agent_id,)).fetchone()
    return int(row[0]) if row else None


def add_reply_version(
    conn: sqlite3.Connection,
    request_pk: int,
    docx: Path,
    *,
    template: str = "",
    agent_id: str | None,
    at: datetime,
) -> ReplyVersion | None:
    """Keeps the saved draft as the next version; None when its bytes equal the last one's
    (Word and LibreOffice save through temporary files and may signal one save twice).

    The first version moves a request not yet « Réponse en rédaction » there (queued as a
    status change like any other)."""
    try:
        data = Path(docx).read_bytes()
    except OSError as exc:
        raise StoreError(f"Impossible de lire le brouillon « {Path(docx).name} » : {exc}") from exc
    if not data:
        return None  # caught between truncation and writing: the next change brings it
    digest = keep_blob(conn, data)
    with transaction(conn):
        row = live_request(conn, request_pk, "status, id, version, acknowledged_at")
        last = conn.execute(
            "SELECT docx_sha256, number, template FROM reply_version WHERE request_pk = ? "
            "ORDER BY number DESC LIMIT 1",
            (request_pk,),
        ).fetchone()
        if last is not None and last[0] == digest:
            return None
        number = (int(last[1]) + 1) if last else 1
        template = template or (str(last[2]) if last else "")
        cur = conn.execute(
            "INSERT INTO reply_version (request_pk, number, template, docx_sha256, filename, "
            "saved_at, agent_pk) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (request_pk, number, template, digest, Path(docx).name, iso(at),
             _agent_pk(conn, agent_id)),
        )
        insert_event(conn, request_pk, DomainEvent(
            EventKind.REPLY_DRAFTED, at, agent_id,
            {"version": number, "file": Path(docx).name, "template": template},
        ))
        status = Status(row["status"])
        if status != Status.DRAFTING and can_transition(status, Status.DRAFTING):
            _move(conn, request_pk, row, Status.DRAFTING, at=at, agent_id=agent_id)
        version_pk = int(cur.lastrowid or 0)
    return _version(conn, version_pk)


def _move(
    conn: sqlite3.Connection, request_pk: int, row: sqlite3.Row, target: Status, *,
    at: datetime, agent_id: str | None, queue: bool = True,
) -> None:
    """Status change inside the caller's transaction, with its event and its mutation."""
    current = Status(row["status"])
    if not can_transition(current, target):
        raise TransitionError(
            f"Impossible de passer du statut « {STATUS_LABELS[current]} » au statut "
            f"« {STATUS_LABELS[target]} »."
        )
    conn.execute("UPDATE request SET status = ? WHERE pk = ?", (target.value, request_pk))
    insert_event(conn, request_pk, DomainEvent(
        EventKind.STATUS_CHANGED, at, agent_id, {"from": current.value, "to": target.value}
    ))
    refresh_due(conn, request_pk)
    if queue:
        enqueue_for_request(
            conn, request_pk, MutationName.REQUEST_SET_STATUS,
            {"from_status": current.value, "status": target.value, "outcome": None},
            fields=("status",),
        )


def _read(text: str, department: str | None) -> datetime:
    """A stored UTC instant as the commune's clocks showed it."""
    moment = read(text, department)
    assert moment is not None
    return moment


_SELECT_VERSIONS = (
    "SELECT v.pk, v.request_pk, v.number, v.template, v.docx_sha256, v.filename, "
    "v.pdf_attachment_id, v.saved_at, ag.display_name FROM reply_version v "
    "LEFT JOIN agent ag ON ag.pk = v.agent_pk "
)


def _as_version(conn: sqlite3.Connection, r: Any) -> ReplyVersion:
    return ReplyVersion(
        int(r[0]), int(r[1]), int(r[2]), str(r[3]), str(r[4]), str(r[5]), r[6],
        _read(r[7], department_of(conn, int(r[1]))), r[8], blob_path(conn, str(r[4])),
    )


def _version(conn: sqlite3.Connection, version_pk: int) -> ReplyVersion:
    row = conn.execute(_SELECT_VERSIONS + "WHERE v.pk = ?", (version_pk,)).fetchone()
    return _as_version(conn, row)


def reply_versions(conn: sqlite3.Connection, request_pk: int) -> list[ReplyVersion]:
    """The versions of the request's reply, newest first."""
    return [
        _as_version(conn, r)
        for r in conn.execute(
            _SELECT_VERSIONS + "WHERE v.request_pk = ? ORDER BY v.number DESC", (request_pk,)
        )
    ]


def attach_version_pdf(conn: sqlite3.Connection, version_pk: int, pdf: Path) -> str:
    """The PDF rendering of a version becomes an attachment of the request (it syncs)."""
    version = _version(conn, version_pk)
    if version.pdf_attachment_id:
        return version.pdf_attachment_id
    number = conn.execute(
        "SELECT number FROM request WHERE pk = ?", (version.request_pk,)
    ).fetchone()[0]
    name = f"{_safe(number)}_reponse_v{version.number}.pdf"
    attachment_id = add_attachment(conn, version.request_pk, Path(pdf), name)
    with transaction(conn):
        conn.execute(
            "UPDATE reply_version SET pdf_attachment_id = ? WHERE pk = ?",
            (attachment_id, version_pk),
        )
    return attachment_id


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text) or "demande"


def restore_version(conn: sqlite3.Connection, version: ReplyVersion, target: Path) -> Path:
    """Writes the version's .docx to ``target`` (the draft reopened in Word)."""
    try:
        data = version.docx_path.read_bytes()
    except OSError as exc:
        raise StoreError(
            f"La version {version.number} n'est plus dans le cache de ce poste : {exc}"
        ) from exc
    partial = target.with_name(target.name + ".tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(data)
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise StoreError(
            f"Impossible d'écrire « {target.name} » : {exc}. Le brouillon est-il encore ouvert "
            "dans Word ? Fermez-le puis recommencez ; aucune version n'est perdue."
        ) from exc
    return target


# --------------------------------------------------------------------------- parapheur


@dataclass(frozen=True)
class Folder:
    pk: int
    id: str
    request_pk: int | None
    authority_pk: int
    title: str
    state: FolderState
    sending: str
    main_attachment_id: str
    annex_ids: list[str]
    steps: list[dict[str, Any]]
    public_annotation: str
    private_annotation: str
    wished_date: date | None
    signed_attachment_id: str | None
    bordereau_attachment_id: str | None
    last_error: str | None
    stuck: bool
    created_at: datetime
    version: int
    request_number: str = ""
    request_subject: str = ""
    names: dict[str, str] = field(default_factory=dict)

    @property
    def waiting_step(self) -> dict[str, Any] | None:
        if self.state not in (FolderState.DRAFT, FolderState.PENDING, FolderState.VISAED):
            return None
        return next((s for s in self.steps if s.get("state") == StepState.WAITING.value), None)

    @property
    def rejection_comment(self) -> str | None:
        step = next((s for s in self.steps if s.get("state") == StepState.REJECTED.value), None)
        return (step.get("comment") or "") if step else None

    def late(self, today: date) -> bool:
        return self.wished_date is not None and self.wished_date < today

    @property
    def status_text(self) -> str:
        """« en attente d'envoi », « envoyé », « en cours », « visé », « signé », « rejeté »."""
        return folder_label(self.state, self.sending, self.version, self.steps, self.last_error)


_SELECT_FOLDERS = """
    SELECT f.pk, f.id, f.request_pk, f.authority_pk, f.title, f.state, f.sending,
           f.main_attachment_id, f.annex_ids, f.steps, f.public_annotation,
           f.private_annotation, f.wished_date, f.signed_attachment_id,
           f.bordereau_attachment_id, f.last_error, f.stuck, f.created_at, f.version,
           COALESCE(r.number, ''), COALESCE(r.subject, ''), COALESCE(ra.insee_code, '')
    FROM parapheur_folder f LEFT JOIN request r ON r.pk = f.request_pk
    LEFT JOIN authority ra ON ra.pk = r.authority_pk
"""


def _as_folder(conn: sqlite3.Connection, r: Any) -> Folder:
    steps = json.loads(r[9])
    ids = [str(s.get("official_id")) for s in steps]
    names = {}
    if ids:
        marks = ",".join("?" * len(ids))
        names = {
            str(a[0]): str(a[1])
            for a in conn.execute(f"SELECT id, display_name FROM agent WHERE id IN ({marks})", ids)
        }
    return Folder(
        int(r[0]), str(r[1]), r[2], int(r[3]), str(r[4]), FolderState(r[5]), str(r[6]),
        str(r[7]), list(json.loads(r[8])), steps, str(r[10]), str(r[11]),
        date.fromisoformat(r[12]) if r[12] else None, r[13], r[14], r[15], bool(r[16]),
        _read(r[17], authority_department(conn, int(r[3]))), int(r[18]),
        request_reference(str(r[21]), str(r[19])) if r[19] else "", str(r[20]), names,
    )


def request_folder(conn: sqlite3.Connection, request_pk: int) -> Folder | None:
    """The request's latest parapheur folder, or None."""
    row = conn.execute(
        _SELECT_FOLDERS + "WHERE f.request_pk = ? AND f.deleted = 0 "
        "ORDER BY f.created_at DESC, f.pk DESC LIMIT 1",
        (request_pk,),
    ).fetchone()
    return _as_folder(conn, row) if row else None


def find_folder(conn: sqlite3.Connection, folder_id: str) -> Folder | None:
    row = conn.execute(_SELECT_FOLDERS + "WHERE f.id = ?", (folder_id,)).fetchone()
    return _as_folder(conn, row) if row else None


def folder_statuses(conn: sqlite3.Connection, request_pks: list[int]) -> dict[int, str]:
    """The status text of each request's latest folder (the bannette's status column)."""
    result: dict[int, str] = {}
    for start in range(0, len(request_pks), 500):
        chunk = request_pks[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            _SELECT_FOLDERS + f"WHERE f.request_pk IN ({marks}) AND f.deleted = 0 "
            "ORDER BY f.created_at, f.pk", chunk,
        ):
            folder = _as_folder(conn, row)
            if folder.request_pk is not None:
                result[folder.request_pk] = folder.status_text
    return result


def folders_waiting_for(conn: sqlite3.Connection, official_id: str) -> list[Folder]:
    """The folders whose next step is this élu's, oldest first (« Mon parapheur »)."""
    rows = conn.execute(
        _SELECT_FOLDERS + "WHERE f.deleted = 0 AND f.state IN ('draft', 'pending', 'visaed') "
        "AND f.steps LIKE ? ORDER BY f.created_at, f.pk",
        (f"%{official_id}%",),
    ).fetchall()
    folders = [_as_folder(conn, r) for r in rows]
    return [
        f for f in folders
        if f.waiting_step is not None and str(f.waiting_step.get("official_id")) == official_id
    ]


def send_to_parapheur(
    conn: sqlite3.Connection,
    request_pk: int,
    *,
    main_attachment_id: str,
    steps: list[tuple[StepKind, str]],
    annex_ids: list[str] = [],  # noqa: B006 - never mutated
    public_annotation: str = "",
    private_annotation: str = "",
    wished_date: date | None = None,
    title: str | None = None,
    agent_id: str | None,
    at: datetime,
) -> str:
    """« Envoyer au parapheur »: applied here at once, queued for the server; returns the
    folder's id. The circuit ends with a signature (the maire or a delegated adjoint)."""
    if not steps:
        raise StoreError("Choisissez au moins le signataire du circuit.")
    if steps[-1][0] != StepKind.SIGNATURE:
        raise StoreError("Le circuit doit se terminer par une signature.")
    if wished_date is not None and wished_date < at.date():
        raise StoreError("La date souhaitée de signature est déjà passée.")
    folder_id = new_id()
    with transaction(conn):
        row = live_request(
            conn, request_pk, "status, id, version, authority_pk, number, subject"
        )
        pdf = conn.execute(
            "SELECT media_type FROM attachment WHERE id = ? AND request_pk = ? AND deleted = 0",
            (main_attachment_id, request_pk),
        ).fetchone()
        if pdf is None or pdf[0] != "application/pdf":
            raise StoreError("Le document à signer doit être un PDF joint à la demande.")
        status = Status(row["status"])
        if status not in SENDABLE:
            raise TransitionError(
                f"La demande est « {STATUS_LABELS[status]} » : elle ne peut pas partir au "
                "parapheur."
            )
        wire_steps = [
            {"position": n + 1, "kind": kind.value, "official_id": official,
             "state": StepState.WAITING.value, "acted_at": None, "comment": None}
            for n, (kind, official) in enumerate(steps)
        ]
        title = title or f"Réponse à la demande {row['number']} — {row['subject']}"[:200]
        conn.execute(
            "INSERT INTO parapheur_folder (id, authority_pk, request_pk, title, state, sending, "
            "main_attachment_id, annex_ids, steps, public_annotation, private_annotation, "
            "wished_date, created_at, updated_at) VALUES (?, ?, ?, ?, 'draft', 'queued', ?, ?, ?, "
            "?, ?, ?, ?, ?)",
            (folder_id, row["authority_pk"], request_pk, title, main_attachment_id,
             json.dumps(list(annex_ids)), json.dumps(wire_steps), public_annotation.strip(),
             private_annotation.strip(), wished_date.isoformat() if wished_date else None,
             iso(at), iso(at)),
        )
        # As the server does: through « Réponse en rédaction » when not there yet.
        if status != Status.DRAFTING:
            _move(conn, request_pk, row, Status.DRAFTING, at=at, agent_id=agent_id, queue=False)
            row = live_request(conn, request_pk, "status, id, version, authority_pk, number, "
                               "subject")
        _move(conn, request_pk, row, Status.AT_PARAPHEUR, at=at, agent_id=agent_id, queue=False)
        insert_event(conn, request_pk, DomainEvent(
            EventKind.SENT_TO_PARAPHEUR, at, agent_id,
            {"folder_id": folder_id, "steps": [
                {"kind": k.value, "official_id": o} for k, o in steps]},
        ))
        authority_id = conn.execute(
            "SELECT id FROM authority WHERE pk = ?", (row["authority_pk"],)
        ).fetchone()[0]
        enqueue_for_request(
            conn, request_pk, MutationName.PARAPHEUR_SEND,
            {
                "folder_id": folder_id,
                "authority_id": authority_id,
                "title": title,
                "main_attachment_id": main_attachment_id,
                "annex_ids": list(annex_ids),
                "steps": [{"kind": k.value, "official_id": o} for k, o in steps],
                "public_annotation": public_annotation.strip(),
                "private_annotation": private_annotation.strip(),
                "wished_date": wished_date.isoformat() if wished_date else None,
            },
            fields=("status",),
        )
    return folder_id


def decide(
    conn: sqlite3.Connection,
    folder_id: str,
    *,
    position: int,
    action: str,
    comment: str | None = None,
    agent_id: str | None,
    at: datetime,
) -> Folder:
    """The élu's visa, signature or rejection of the step they saw waiting, applied here and
    queued (offline decisions leave in the order they were taken)."""
    if action not in DECISIONS:
        raise ValueError(action)
    comment = (comment or "").strip() or None
    if action == "reject" and not comment:
        raise StoreError("Un rejet doit être motivé : écrivez un commentaire.")
    with transaction(conn):
        folder = find_folder(conn, folder_id)
        if folder is None or conn.execute(
            "SELECT deleted FROM parapheur_folder WHERE id = ?", (folder_id,)
        ).fetchone()[0]:
            raise StoreError("Ce dossier de parapheur n'existe plus.")
        step = folder.waiting_step
        if step is None or int(step["position"]) != position:
            raise StoreError(
                "Ce dossier a déjà été traité (sur un autre poste ?) : rien n'a été signé deux "
                "fois. Synchronisez pour voir son état."
            )
        if agent_id is not None and str(step.get("official_id")) != agent_id:
            raise StoreError("Cette étape est attribuée à un autre élu.")
        expected = "visa" if step["kind"] == StepKind.VISA.value else "sign"
        if action not in (expected, "reject"):
            raise StoreError(
                "Cette étape attend un visa." if expected == "visa"
                else "Cette étape attend une signature."
            )
        steps = [dict(s) for s in folder.steps]
        for s in steps:
            if int(s["position"]) == position:
                s["state"] = (StepState.REJECTED if action == "reject" else StepState.DONE).value
                s["acted_at"] = iso(at)
                s["comment"] = comment
        remaining = any(s["state"] == StepState.WAITING.value for s in steps)
        if action == "reject":
            state = FolderState.REJECTED
        elif remaining:
            state = FolderState.VISAED if action == "visa" else FolderState.PENDING
        else:
            signed = any(s["kind"] == StepKind.SIGNATURE.value for s in steps)
            state = FolderState.SIGNED if signed else FolderState.VISAED
        conn.execute(
            "UPDATE parapheur_folder SET steps = ?, state = ?, updated_at = ? WHERE pk = ?",
            (json.dumps(steps), state.value, iso(at), folder.pk),
        )
        if folder.request_pk is not None:
            insert_event(conn, folder.request_pk, DomainEvent(
                EventKind.PARAPHEUR_DECISION, at, agent_id,
                {"folder_id": folder_id, "position": position, "action": action,
                 **({"comment": comment} if comment else {})},
            ))
            if action == "reject":
                row = live_request(conn, folder.request_pk, "status")
                if Status(row["status"]) == Status.AT_PARAPHEUR:
                    # The server moves the request back too: not queued twice.
                    _move(conn, folder.request_pk, row, Status.DRAFTING, at=at,
                          agent_id=agent_id, queue=False)
        enqueue(
            conn, MutationName.PARAPHEUR_DECIDE,
            {"folder_id": folder_id, "position": position, "action": action,
             "comment": comment},
            folder.version, fields=("state", "steps"),
        )
    found = find_folder(conn, folder_id)
    assert found is not None
    return found


def apply_folder_row(
    conn: sqlite3.Connection, row: ParapheurFolderRow, authority_pk: int, request_pk: int | None
) -> None:
    """A pulled folder (inside the sync's transaction). While a decision taken here waits in
    the outbox, its state and steps stay as decided here."""
    values: dict[str, Any] = {
        "id": str(row.id),
        "authority_pk": authority_pk,
        "request_pk": request_pk,
        "title": row.title,
        "state": row.state.value,
        "sending": row.sending,
        "main_attachment_id": str(row.main_attachment_id),
        "annex_ids": json.dumps([str(a) for a in row.annex_ids]),
        "steps": json.dumps([s.model_dump(mode="json") for s in row.steps]),
        "public_annotation": row.public_annotation,
        "private_annotation": row.private_annotation,
        "wished_date": row.wished_date.isoformat() if row.wished_date else None,
        "signed_attachment_id": str(row.signed_attachment_id) if row.signed_attachment_id
        else None,
        "bordereau_attachment_id": str(row.bordereau_attachment_id)
        if row.bordereau_attachment_id else None,
        "last_error": row.last_error,
        "stuck": int(row.stuck),
        "created_at": legal_time(row.created_at),
        "updated_at": legal_time(row.updated_at),
        "version": row.version,
    }
    pending = conn.execute(
        "SELECT 1 FROM sync_outbox WHERE row_id = ? AND state = 'pending' AND name = ? LIMIT 1",
        (str(row.id), MutationName.PARAPHEUR_DECIDE.value),
    ).fetchone()
    if pending is not None:
        values.pop("state")
        values.pop("steps")
    columns = list(values)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "id")
    conn.execute(
        f"INSERT INTO parapheur_folder ({', '.join(columns)}, deleted) "
        f"VALUES ({', '.join('?' * len(columns))}, 0) "
        f"ON CONFLICT(id) DO UPDATE SET {updates}, deleted = 0 "
        f"WHERE excluded.version >= parapheur_folder.version",
        list(values.values()),
    )


def unnotified_rejections(conn: sqlite3.Connection) -> list[Folder]:
    """Rejected folders the secrétaire has not been told about yet; marks them told."""
    rows = conn.execute(
        _SELECT_FOLDERS + "WHERE f.deleted = 0 AND f.state = 'rejected' "
        "AND COALESCE(f.notified_state, '') != 'rejected' ORDER BY f.updated_at"
    ).fetchall()
    folders = [_as_folder(conn, r) for r in rows]
    if folders:
        with transaction(conn):
            conn.executemany(
                "UPDATE parapheur_folder SET notified_state = 'rejected' WHERE pk = ?",
                [(f.pk,) for f in folders],
            )
    return folders


# --------------------------------------------------------------------------- the reply


def send_reply(
    conn: sqlite3.Connection,
    request_pk: int,
    *,
    mode: ReplyMode,
    outcome: Outcome,
    attachment_id: str,
    to_email: str | None = None,
    subject: str = "",
    body: str = "",
    sent_on: date | None = None,
    agent_id: str | None,
    at: datetime,
) -> str:
    """The reply leaves (e-mailed by the server, or posted): the request is answered with its
    outcome and the implicit-decision clock stops. Returns the outgoing message's id."""
    if outcome not in REPLY_OUTCOMES:
        raise StoreError("Choisissez la décision : accordée, refusée ou sans suite.")
    to_email = (to_email or "").strip() or None
    if mode == ReplyMode.EMAIL and not to_email:
        raise StoreError("Indiquez l'adresse électronique de l'usager.")
    message_id = new_id()
    with transaction(conn):
        row = live_request(conn, request_pk, "status, id, version, number, outcome")
        if str(row["number"]).startswith(PROVISIONAL_PREFIX):
            raise StoreError(PROVISIONAL_REFUSAL)
        if conn.execute(
            "SELECT 1 FROM attachment WHERE id = ? AND request_pk = ? AND deleted = 0",
            (attachment_id, request_pk),
        ).fetchone() is None:
            raise StoreError("Le PDF de la réponse n'est pas joint à cette demande.")
        current = Status(row["status"])
        refusal = reply_refusal(conn, request_pk, current, row["outcome"], outcome)
        if refusal:
            raise TransitionError(refusal)
        if current != Status.ANSWERED:  # answered already: sent again (post after e-mail)
            if current not in (Status.DRAFTING, Status.AT_PARAPHEUR):
                _move(conn, request_pk, row, Status.DRAFTING, at=at, agent_id=agent_id,
                      queue=False)
                current = Status.DRAFTING
            conn.execute(
                "UPDATE request SET status = ?, outcome = ? WHERE pk = ?",
                (Status.ANSWERED.value, outcome.value, request_pk),
            )
            insert_event(conn, request_pk, DomainEvent(
                EventKind.STATUS_CHANGED, at, agent_id,
                {"from": current.value, "to": Status.ANSWERED.value},
            ))
        if row["outcome"] != outcome.value:
            insert_event(conn, request_pk, DomainEvent(
                EventKind.OUTCOME_SET, at, agent_id, {"outcome": outcome.value}
            ))
        detail: dict[str, Any] = {
            "mode": mode.value, "outcome": outcome.value, "attachment_id": attachment_id,
        }
        if to_email:
            detail["to_email"] = to_email
        if sent_on:
            detail["sent_on"] = sent_on.isoformat()
        insert_event(conn, request_pk, DomainEvent(EventKind.REPLY_SENT, at, agent_id, detail))
        refresh_due(conn, request_pk)
        enqueue_for_request(
            conn, request_pk, MutationName.REPLY_SEND,
            {"id": message_id, "attachment_id": attachment_id, "mode": mode.value,
             "outcome": outcome.value, "to_email": to_email, "subject": subject,
             "body": body, "sent_on": sent_on.isoformat() if sent_on else None},
            fields=("status", "outcome"),
        )
    return message_id


@dataclass(frozen=True)
class Delivery:
    """The proof of an e-mailed reply, as the server's SMTP sending recorded it."""

    to_email: str | None
    delivery: str | None  # queued, sent, failed, posted
    delivered_at: datetime | None
    smtp_message_id: str | None
    smtp_response: str | None
    failure: str | None

    @property
    def text(self) -> str:
        if self.delivery == "sent":
            when = (f" le {self.delivered_at:%d/%m/%Y à %H:%M}" if self.delivered_at else "")
            accepted = f" (réponse du serveur : {self.smtp_response})" if self.smtp_response \
                else ""
            return f"courriel remis à {self.to_email}{when}{accepted}"
        if self.delivery == "failed":
            return f"courriel NON remis à {self.to_email} : {self.failure or 'refusé'}"
        if self.delivery == "posted":
            return "envoyée par courrier"
        return f"courriel à {self.to_email} en attente d'envoi par le serveur"


def reply_delivery(conn: sqlite3.Connection, request_pk: int) -> Delivery | None:
    """The latest outgoing message of the request that carries a delivery state."""
    row = conn.execute(
        "SELECT to_email, delivery, delivered_at, smtp_message_id, smtp_response, failure "
        "FROM message m WHERE request_pk = ? AND deleted = 0 AND direction = 'outbound' "
        "AND delivery IS NOT NULL "
        # A message of the thread (« Écrire à l'usager », message.add) is not the reply.
        "AND NOT EXISTS (SELECT 1 FROM event e WHERE e.request_pk = m.request_pk "
        "AND e.kind = ? AND json_extract(e.detail, '$.message_id') = m.id) "
        "ORDER BY at DESC, pk DESC LIMIT 1",
        (request_pk, EventKind.MESSAGE_ADDED.value),
    ).fetchone()
    if row is None:
        return None
    return Delivery(row[0], row[1], read(row[2], department_of(conn, request_pk)),
                    row[3], row[4], row[5])


def reply_refusal(
    conn: sqlite3.Connection, request_pk: int, status: Status, current_outcome: str | None,
    outcome: Outcome | None = None,
) -> str | None:
    """Why the reply cannot leave now (French), or None; the server's rules (CONTRACT.md):
    not on a closed request, not while a folder still waits at the parapheur, and an answered
    request only sent again with the same outcome."""
    if status == Status.CLOSED:
        return "La demande est close : aucune réponse ne peut plus partir."
    if status == Status.ANSWERED:
        if outcome is not None and current_outcome and outcome.value != current_outcome:
            given = outcome_label(Outcome(current_outcome))
            return (f"La demande a déjà reçu une réponse « {given} » : elle ne peut être "
                    "renvoyée qu'avec la même décision.")
        return None
    folder = request_folder(conn, request_pk)
    if folder is not None and folder.waiting_step is not None:
        return "La réponse attend encore au parapheur : elle partira une fois signée."
    if status not in SENDABLE and status != Status.AT_PARAPHEUR:
        return f"La demande est « {STATUS_LABELS[status]} »."
    return None


def outcome_label(outcome: Outcome) -> str:
    return REPLY_OUTCOMES.get(outcome) or OUTCOME_LABELS[outcome]


# --------------------------------------------------------------------------- opinions


@dataclass(frozen=True)
class OpinionAsked:
    """A request a secrétaire flagged for an élu (« Demandes à examiner »)."""

    ask_id: str
    request_pk: int
    number: str
    subject: str
    citizen: str
    question: str
    asked_at: datetime
    asked_by: str | None


def ask_opinion(
    conn: sqlite3.Connection, request_pk: int, official_id: str, question: str = "", *,
    agent_id: str | None, at: datetime,
) -> str:
    """« Demander l'avis d'un élu… »: recorded and queued; returns the question's id."""
    ask_id = new_id()
    with transaction(conn):
        live_request(conn, request_pk, "pk")
        if agent_role(conn, official_id) != Role.OFFICIAL:
            raise StoreError("Choisissez un élu de la commune.")
        insert_event(conn, request_pk, DomainEvent(
            EventKind.OPINION_REQUESTED, at, agent_id,
            {"ask_id": ask_id, "official_id": official_id, "question": question.strip()},
        ))
        enqueue_for_request(
            conn, request_pk, MutationName.REQUEST_ASK_OPINION,
            {"id": ask_id, "official_id": official_id, "question": question.strip()},
        )
    return ask_id


def opinions_asked_of(conn: sqlite3.Connection, official_id: str) -> list[OpinionAsked]:
    """The questions put to this élu still without their avis, oldest first."""
    rows = conn.execute(
        """SELECT json_extract(e.detail, '$.ask_id'), r.pk, r.number, r.subject,
                  c.display_name, COALESCE(json_extract(e.detail, '$.question'), ''), e.at,
                  ag.display_name, au.insee_code
           FROM event e JOIN request r ON r.pk = e.request_pk
           JOIN authority au ON au.pk = r.authority_pk
           JOIN citizen c ON c.pk = r.citizen_pk
           LEFT JOIN agent ag ON ag.pk = e.agent_pk
           WHERE e.kind = ? AND json_extract(e.detail, '$.official_id') = ? AND r.deleted = 0
             AND NOT EXISTS (SELECT 1 FROM event g WHERE g.request_pk = e.request_pk
                             AND g.kind = ? AND json_extract(g.detail, '$.ask_id')
                                 = json_extract(e.detail, '$.ask_id'))
           ORDER BY e.at, e.pk""",
        (EventKind.OPINION_REQUESTED.value, official_id, EventKind.OPINION_GIVEN.value),
    ).fetchall()
    return [
        OpinionAsked(str(r[0]), int(r[1]), request_reference(str(r[8] or ""), str(r[2])),
                     str(r[3]), str(r[4]), str(r[5]),
                     datetime.fromisoformat(r[6]), r[7])
        for r in rows
    ]


def give_opinion(
    conn: sqlite3.Connection, request_pk: int, ask_id: str, opinion: str, comment: str = "", *,
    agent_id: str | None, at: datetime,
) -> str:
    """The élu's avis on a request flagged for them; returns its id."""
    if opinion not in OPINIONS:
        raise StoreError("Choisissez un avis : favorable, défavorable ou réservé.")
    opinion_id = new_id()
    with transaction(conn):
        row = live_request(conn, request_pk, "id, version")
        insert_event(conn, request_pk, DomainEvent(
            EventKind.OPINION_GIVEN, at, agent_id,
            {"ask_id": ask_id, "opinion": opinion, "comment": comment.strip()},
        ))
        if server_may_know(conn, row["id"], row["version"]):
            enqueue(
                conn, MutationName.REQUEST_GIVE_OPINION,
                {"id": opinion_id, "request_id": row["id"], "ask_id": ask_id,
                 "opinion": opinion, "comment": comment.strip()},
                row["version"],
            )
    return opinion_id
