"""The outbox: mutations for the server, written beside the optimistic local change.

``enqueue`` never opens a transaction of its own: it must run inside the caller's, so the local
change and the intent to tell the server about it are committed together or not at all.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from desktop.domain.legal_time import utc_now
from desktop.store.database import StoreError
from desktop.store.ids import iso
from sync.protocol.wire import MUTATION_ARGS, Entity, MutationName

#: The synced table (wire entity) each mutation changes, and the arg naming the row.
_TARGETS: dict[MutationName, tuple[Entity, str]] = {
    MutationName.REQUEST_CREATE: (Entity.REQUESTS, "id"),
    MutationName.REQUEST_SET_STATUS: (Entity.REQUESTS, "request_id"),
    MutationName.REQUEST_ACKNOWLEDGE: (Entity.REQUESTS, "request_id"),
    MutationName.REQUEST_REQUEST_DOCUMENTS: (Entity.REQUESTS, "request_id"),
    MutationName.REQUEST_DOCUMENTS_RECEIVED: (Entity.REQUESTS, "request_id"),
    MutationName.REQUEST_IMPLICIT_DECISION: (Entity.REQUESTS, "request_id"),
    MutationName.REQUEST_ASSIGN: (Entity.REQUESTS, "request_id"),
    MutationName.REQUEST_UPDATE_FIELDS: (Entity.REQUESTS, "request_id"),
    MutationName.REQUEST_ADD_NOTE: (Entity.REQUESTS, "request_id"),
    MutationName.REQUEST_DELETE: (Entity.REQUESTS, "request_id"),
    MutationName.MESSAGE_ADD: (Entity.REQUESTS, "request_id"),
    MutationName.CITIZEN_UPSERT: (Entity.CITIZENS, "id"),
    MutationName.CITIZEN_DELETE: (Entity.CITIZENS, "citizen_id"),
    MutationName.PHONE_CALL_ADD: (Entity.PHONE_CALLS, "id"),
    MutationName.ATTACHMENT_LINK: (Entity.ATTACHMENTS, "id"),
    MutationName.ATTACHMENT_UNLINK: (Entity.ATTACHMENTS, "attachment_id"),
    MutationName.PARAPHEUR_SEND: (Entity.PARAPHEUR_FOLDERS, "folder_id"),
    MutationName.PARAPHEUR_DECIDE: (Entity.PARAPHEUR_FOLDERS, "folder_id"),
    MutationName.REPLY_SEND: (Entity.REQUESTS, "request_id"),
    MutationName.REQUEST_ASK_OPINION: (Entity.REQUESTS, "request_id"),
    MutationName.REQUEST_GIVE_OPINION: (Entity.REQUESTS, "request_id"),
    MutationName.SERVICE_SAVE: (Entity.SERVICES, "id"),
    MutationName.CITIZEN_MERGE: (Entity.CITIZENS, "survivor_id"),
    MutationName.AUDIT_READ: (Entity.CITIZENS, "citizen_id"),
    MutationName.CITIZEN_ERASE: (Entity.CITIZENS, "citizen_id"),
    MutationName.AUTHORITY_UPDATE: (Entity.AUTHORITIES, "authority_id"),
    MutationName.PROCEDURE_UPSERT: (Entity.PROCEDURES, "id"),
    MutationName.PROCEDURE_RETIRE: (Entity.PROCEDURES, "procedure_id"),
}
assert set(_TARGETS) == set(MUTATION_ARGS), "every mutation needs its target row"


def enqueue(
    conn: sqlite3.Connection,
    name: MutationName | str,
    args: dict[str, Any] | BaseModel,
    base_version: int,
    *,
    fields: Iterable[str] = (),
    at: datetime | None = None,
) -> int:
    """Appends a mutation inside the caller's transaction; returns its id.

    ``args`` is validated against the wire model now, so a malformed intent fails the local
    change at once instead of being refused by the server hours later. ``fields`` names the
    local columns the change touched: while the mutation waits, a pull keeps their local values
    (the secrétaire does not see her change flicker back).
    """
    if not conn.in_transaction:
        raise RuntimeError("enqueue() must run inside the transaction of the local change")
    mutation = MutationName(name)
    model = MUTATION_ARGS[mutation]
    try:
        parsed = args if isinstance(args, model) else model.model_validate(
            args.model_dump() if isinstance(args, BaseModel) else args
        )
    except ValidationError as exc:
        fields = ", ".join(sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()}))
        raise StoreError(
            f"Cette modification ne pourrait pas être transmise au serveur ({fields}) : "
            "vérifiez la saisie (textes de 200 caractères au plus, 50 pièces au plus)."
        ) from exc
    payload = parsed.model_dump(mode="json", exclude_unset=False)
    entity, key = _TARGETS[mutation]
    cur = conn.execute(
        "INSERT INTO sync_outbox (name, args, base_version, entity, row_id, fields, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            mutation.value,
            json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
            int(base_version),
            entity.value,
            str(payload.get(key, "")),
            json.dumps(sorted(set(fields))),
            iso(at or utc_now()),
        ),
    )
    return int(cur.lastrowid or 0)


def server_may_know(conn: sqlite3.Connection, row_id: str, version: int) -> bool:
    """Whether a change to this row concerns the server at all.

    A row the server sent (version > 0), or one created here whose creation is still queued,
    is shared; a purely local row (the offline demonstration bannette) is not, and queuing
    changes to it would only collect refusals."""
    if version > 0:
        return True
    return (
        conn.execute(
            "SELECT 1 FROM sync_outbox WHERE row_id = ? AND name IN (?, ?) "
            # During a re-bootstrap, server rows wait with version 0 to be confirmed.
            "UNION ALL SELECT 1 FROM sync_resync WHERE id = ? LIMIT 1",
            (row_id, MutationName.REQUEST_CREATE.value, MutationName.CITIZEN_UPSERT.value,
             row_id),
        ).fetchone()
        is not None
    )


def enqueue_for_request(
    conn: sqlite3.Connection,
    request_pk: int,
    name: MutationName,
    args: dict[str, Any],
    *,
    fields: Iterable[str] = (),
) -> int | None:
    """``enqueue`` for a change to one request, inside the caller's transaction: adds the
    request's id to ``args`` and its version as the base; does nothing for a local-only row.
    One line for each store function that changes a request."""
    row = conn.execute("SELECT id, version FROM request WHERE pk = ?", (request_pk,)).fetchone()
    if row is None or not server_may_know(conn, row[0], row[1]):
        return None
    return enqueue(conn, name, {"request_id": row[0], **args}, row[1], fields=fields)


@dataclass(frozen=True)
class Rejection:
    mutation_id: int
    name: str
    row_id: str
    reason: str
    created_at: str


def pending_count(conn: sqlite3.Connection) -> int:
    """The changes waiting for the server, as the status line counts them: the traces of reads
    (``audit.read``) travel in the outbox too, but they are no change of the secrétaire's."""
    return int(
        conn.execute("SELECT COUNT(*) FROM sync_outbox WHERE state = 'pending' AND name <> ?",
                     (MutationName.AUDIT_READ.value,)).fetchone()[0]
    )


def rejections(conn: sqlite3.Connection) -> list[Rejection]:
    """Mutations the server refused, newest first, for the secrétaire to read."""
    return [
        Rejection(r[0], r[1], r[2], r[3] or "", r[4])
        for r in conn.execute(
            "SELECT mutation_id, name, row_id, reason, created_at FROM sync_outbox "
            "WHERE state = 'rejected' ORDER BY mutation_id DESC"
        )
    ]


def dismiss_rejection(conn: sqlite3.Connection, mutation_id: int) -> None:
    """The secrétaire has read it: the refused mutation leaves the list."""
    conn.execute(
        "DELETE FROM sync_outbox WHERE mutation_id = ? AND state = 'rejected'", (mutation_id,)
    )
