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
