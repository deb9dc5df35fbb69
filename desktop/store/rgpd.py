"""RGPD on the PC: the access trail queued for the server, the erasure of a citizen, and what
the store holds on one citizen (for the export).

Reads are queued in the outbox like any change (``audit.read``), so a file opened offline is
traced too: the server writes it into its append-only audit log at the next sync. Erasure is
applied here at once (the identity leaves this PC's database and its cached files) and queued
(``citizen.erase``); the other PCs apply the server's tombstones at their next pull through
``forget_citizen`` / ``forget_attachment_file``.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from desktop.domain.legal_time import utc_now
from desktop.domain.text import fold
from desktop.store.database import StoreError, transaction
from desktop.store.ids import iso
from desktop.store.outbox import enqueue, server_may_know
from sync.protocol.wire import Entity, MutationName, ReadWhat

#: One opening is one read: the same file shown again within this delay (a repaint, a second
#: click on the same row) is not traced twice.
DEBOUNCE = timedelta(minutes=2)
ERASED_NAME = "(usager effacé)"
#: The identity columns of the local ``citizen`` table, blanked by an erasure.
IDENTITY_COLUMNS = ("last_name", "first_name", "organisation", "rna", "siret", "email", "phone",
                    "address", "postcode", "city")


@dataclass(frozen=True)
class CitizenRef:
    pk: int
    id: str
    version: int
    authority_pk: int
    display_name: str
    deleted: bool


def citizen_ref(conn: sqlite3.Connection, *, pk: int | None = None, id: str | None = None,  # noqa: A002
                ) -> CitizenRef | None:
    row = conn.execute(
        "SELECT pk, id, version, authority_pk, display_name, deleted FROM citizen WHERE "
        + ("pk = ?" if pk is not None else "id = ?"), (pk if pk is not None else id,),
    ).fetchone()
    if row is None:
        return None
    return CitizenRef(int(row[0]), str(row[1]), int(row[2]), int(row[3]), str(row[4]),
                      bool(row[5]))


# --- the access trail -----------------------------------------------------------------------
def record_read(
    conn: sqlite3.Connection, citizen_pk: int, what: ReadWhat, *,
    request_pk: int | None = None, attachment_id: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Queues the trace of one opening of a citizen's personal data; False when nothing was
    queued (a purely local demonstration citizen, or the same opening just traced)."""
    citizen = citizen_ref(conn, pk=citizen_pk)
    if citizen is None or citizen.deleted or not server_may_know(conn, citizen.id,
                                                                 citizen.version):
        return False
    request_id = None
    if request_pk is not None:
        found = conn.execute("SELECT id FROM request WHERE pk = ?", (request_pk,)).fetchone()
        request_id = str(found[0]) if found else None
    moment = now or utc_now()
    args: dict[str, Any] = {"citizen_id": citizen.id, "request_id": request_id,
                            "attachment_id": attachment_id, "what": what.value,
                            "at": moment.isoformat()}
    if _just_traced(conn, args, moment):
        return False
    with transaction(conn):
        enqueue(conn, MutationName.AUDIT_READ, args, citizen.version, at=moment)
    return True


def _just_traced(conn: sqlite3.Connection, args: dict[str, Any], moment: datetime) -> bool:
    since = iso(moment - DEBOUNCE)
    for (payload,) in conn.execute(
        "SELECT args FROM sync_outbox WHERE name = ? AND row_id = ? AND created_at >= ?",
        (MutationName.AUDIT_READ.value, args["citizen_id"], since),
    ):
        queued = json.loads(payload)
        if all(queued.get(k) == args[k] for k in ("request_id", "attachment_id", "what")):
            return True
    return False


# --- erasure --------------------------------------------------------------------------------
def erase_citizen(conn: sqlite3.Connection, citizen_pk: int, reason: str = "") -> None:
    """Right to erasure, decided by an admin on this PC: the identity leaves this database now,
    the server and the other PCs follow at the next sync."""
    citizen = citizen_ref(conn, pk=citizen_pk)
    if citizen is None or citizen.deleted:
        raise StoreError("Cet usager n'existe plus sur ce poste.")
    with transaction(conn):
        if server_may_know(conn, citizen.id, citizen.version):
            enqueue(conn, MutationName.CITIZEN_ERASE,
                    {"citizen_id": citizen.id, "reason": reason[:500]}, citizen.version)
        forget_citizen(conn, citizen.id)


def forget_citizen(conn: sqlite3.Connection, citizen_id: str) -> None:
    """The local row keeps its key (requests still point to it) but nothing of the identity;
    the search index follows through the citizen trigger. Runs in the caller's transaction."""
    blanks = ", ".join(f"{c} = ''" for c in IDENTITY_COLUMNS)
    conn.execute(
        f"UPDATE citizen SET {blanks}, display_name = ?, sort_key = ?, deleted = 1 WHERE id = ?",
        (ERASED_NAME, fold(ERASED_NAME), citizen_id),
    )
    conn.execute(
        "UPDATE phone_call SET caller_name = '[effacé]', phone_number = '' WHERE citizen_pk = "
        "(SELECT pk FROM citizen WHERE id = ?)", (citizen_id,),
    )


def forget_personal_data(conn: sqlite3.Connection, entity: str, row_id: str) -> None:
    """What a pulled tombstone must remove beyond the ``deleted`` flag: an erased or purged
    citizen's identity, a deleted attachment's cached file."""
    if entity == Entity.CITIZENS:
        forget_citizen(conn, row_id)
    elif entity == Entity.ATTACHMENTS:
        forget_attachment_file(conn, row_id)


def forget_attachment_file(conn: sqlite3.Connection, attachment_id: str) -> None:
    """A deleted attachment's cached copy leaves the disk when no live attachment shares it."""
    from desktop.store.sync_store import blob_path  # the sync store imports this module

    row = conn.execute("SELECT sha256 FROM attachment WHERE id = ?", (attachment_id,)).fetchone()
    if row is None:
        return
    shared = conn.execute(
        "SELECT 1 FROM attachment WHERE sha256 = ? AND deleted = 0 AND id <> ? LIMIT 1",
        (row[0], attachment_id),
    ).fetchone()
    if shared is None:
        blob_path(conn, str(row[0])).unlink(missing_ok=True)


# --- what the PC holds on one citizen (right of access) --------------------------------------
def _rows(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def citizen_dossier(conn: sqlite3.Connection, citizen_pk: int) -> dict[str, Any]:
    """Everything this PC holds on a citizen, as plain data (instants stay UTC ISO strings;
    the documents layer shows them in the commune's zone). Raises StoreError if unknown."""
    found = _rows(conn, "SELECT c.*, a.name AS authority_name, a.department, a.id AS "
                  "authority_id FROM citizen c JOIN authority a ON a.pk = c.authority_pk "
                  "WHERE c.pk = ? AND c.deleted = 0", (citizen_pk,))
    if not found:
        raise StoreError("Cet usager n'existe pas (ou plus) sur ce poste.")
    c = found[0]
    requests = _rows(conn, """
        SELECT r.pk, r.id, r.number, r.received_at, r.channel, r.subject, r.body,
               r.form_fields, r.status, r.outcome, r.acknowledged_at, p.name AS procedure
        FROM request r JOIN procedure p ON p.pk = r.procedure_pk
        WHERE r.citizen_pk = ? AND r.deleted = 0 ORDER BY r.received_at""", (citizen_pk,))
    request_pks = [r["pk"] for r in requests]
    marks = ", ".join("?" * len(request_pks)) or "NULL"
    events = _rows(conn, f"""
        SELECT e.request_pk, e.at, e.kind, e.detail, ag.display_name AS agent
        FROM event e LEFT JOIN agent ag ON ag.pk = e.agent_pk
        WHERE e.request_pk IN ({marks}) ORDER BY e.at""", tuple(request_pks))
    messages = _rows(conn, f"""
        SELECT m.request_pk, m.direction, m.channel, m.subject, m.at, m.delivery
        FROM message m WHERE m.request_pk IN ({marks}) AND m.deleted = 0 ORDER BY m.at""",
        tuple(request_pks))
    attachments = _rows(conn, f"""
        SELECT a.id, a.request_pk, a.filename, a.media_type, a.size, a.sha256
        FROM attachment a WHERE a.request_pk IN ({marks}) AND a.deleted = 0
        ORDER BY a.pk""", tuple(request_pks))
    calls = _rows(conn, f"""
        SELECT pc.called_at, pc.caller_name, pc.phone_number, pc.motive, pc.duration_seconds,
               pc.request_pk, ag.display_name AS agent
        FROM phone_call pc LEFT JOIN agent ag ON ag.pk = pc.agent_pk
        WHERE (pc.citizen_pk = ? OR pc.request_pk IN ({marks})) AND pc.deleted = 0
        ORDER BY pc.called_at""", (citizen_pk, *request_pks))
    numbers = {r["pk"]: r["number"] for r in requests}
    for row in (*events, *messages, *attachments, *calls):
        row["request"] = numbers.get(row.pop("request_pk"))
    for event in events:
        event["detail"] = json.loads(event["detail"] or "{}")
    for request in requests:
        request["form_fields"] = json.loads(request["form_fields"] or "{}")
        request["events"] = [e for e in events if e["request"] == request["number"]]
        del request["pk"]
    identity = {k: c[k] for k in ("kind", *IDENTITY_COLUMNS)}
    return {
        "citizen_id": c["id"], "authority_id": c["authority_id"],
        "authority": c["authority_name"], "department": c["department"],
        "display_name": c["display_name"], "identity": identity, "requests": requests,
        "messages": messages, "attachments": attachments, "phone_calls": calls,
    }


def is_admin(conn: sqlite3.Connection, agent_id: str | None) -> bool:
    """Read again at each opening of an admin screen: a role withdrawn on the server is
    withdrawn here at the next pull, and a shortcut cannot skip the check."""
    if not agent_id:
        return False
    row = conn.execute("SELECT role FROM agent WHERE id = ? AND deleted = 0",
                       (agent_id,)).fetchone()
    return row is not None and row[0] == "admin"
