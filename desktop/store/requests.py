"""Changing requests: every change goes through the domain rules and leaves events.

The status, the recomputed échéance and the history events are written in one transaction, so
a crash can never leave a request whose history disagrees with its state.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime
from typing import Any

from desktop.domain.due import DueFacts, next_due
from desktop.domain.legal_time import as_instant, local_day, parse_stored, utc_now
from desktop.domain.workflow import DomainEvent, RequestState, change_status
from desktop.store.database import StoreError, transaction
from desktop.store.ids import iso, new_id
from desktop.store.outbox import enqueue, server_may_know
from desktop.store.rules import RULE_COLUMNS
from sync.protocol.reference import request_reference
from sync.protocol.vocabulary import Channel, Outcome, PeriodUnit, SilenceRule, Status
from sync.protocol.wire import MutationName

#: A request deleted meanwhile (by the sync, or another window) when an action reaches it.
REQUEST_GONE = "Cette demande n'existe plus dans la base locale."


def live_request(conn: sqlite3.Connection, request_pk: int, columns: str) -> sqlite3.Row:
    """The request's ``columns`` (SQL list), or the French error when it is gone."""
    row = conn.execute(
        f"SELECT {columns} FROM request WHERE pk = ? AND deleted = 0", (request_pk,)
    ).fetchone()
    if row is None:
        raise StoreError(REQUEST_GONE)
    return row


def reference_of(conn: sqlite3.Connection, request_pk: int) -> str:
    """The request's reference as every screen shows it (« 67348-2026-000165 »)."""
    row = conn.execute(
        "SELECT r.number, a.insee_code FROM request r JOIN authority a ON a.pk = r.authority_pk "
        "WHERE r.pk = ?",
        (request_pk,),
    ).fetchone()
    return request_reference(str(row[1] or ""), str(row[0])) if row else ""


def department_of(conn: sqlite3.Connection, request_pk: int) -> str | None:
    """The department of the request's commune, which gives its legal time zone."""
    row = conn.execute(
        "SELECT a.department FROM request r JOIN authority a ON a.pk = r.authority_pk "
        "WHERE r.pk = ?", (request_pk,),
    ).fetchone()
    return str(row[0]) if row else None


def instant_text(conn: sqlite3.Connection, request_pk: int, at: datetime) -> str:
    """``at`` as the store keeps it; a naive ``at`` is wall time in the request's commune."""
    if at.tzinfo is None:
        at = as_instant(at, department_of(conn, request_pk))
    return iso(at)


def insert_event(conn: sqlite3.Connection, request_pk: int, event: DomainEvent) -> None:
    agent_pk = None
    if event.agent_id is not None:
        row = conn.execute("SELECT pk FROM agent WHERE id = ?", (event.agent_id,)).fetchone()
        agent_pk = row[0] if row else None
    conn.execute(
        "INSERT INTO event (id, request_pk, at, agent_pk, kind, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (
            new_id(),
            request_pk,
            instant_text(conn, request_pk, event.at),
            agent_pk,
            event.kind.value,
            json.dumps(event.detail, ensure_ascii=False),
        ),
    )


def due_facts(conn: sqlite3.Connection, request_pk: int) -> DueFacts:
    row = conn.execute(
        f"""
        SELECT r.status, r.channel, r.received_at, r.registration_receipt_at, r.acknowledged_at,
               a.department, a.internal_target_days,
               {RULE_COLUMNS}
        FROM request r
        JOIN authority a ON a.pk = r.authority_pk
        JOIN procedure p ON p.pk = r.procedure_pk
        WHERE r.pk = ?
        """,
        (request_pk,),
    ).fetchone()
    if row is None:
        raise StoreError(REQUEST_GONE)
    missing = tuple(
        (
            date.fromisoformat(m["asked_on"]),
            date.fromisoformat(m["received_on"]) if m["received_on"] else None,
        )
        for m in conn.execute(
            "SELECT asked_on, received_on FROM missing_documents "
            "WHERE request_pk = ? AND deleted = 0 ORDER BY asked_on",
            (request_pk,),
        )
    )
    return DueFacts(
        status=Status(row["status"]),
        electronic=Channel(row["channel"]).is_electronic,
        received=local_day(parse_stored(row["received_at"]), row["department"]),
        department=row["department"],
        silence_rule=SilenceRule(row["silence_rule"]),
        period=row["period"],
        unit=PeriodUnit(row["period_unit"]),
        registration_receipt_sent=row["registration_receipt_at"] is not None,
        acknowledged=row["acknowledged_at"] is not None,
        internal_target_days=row["internal_target_days"],
        missing_documents=missing,
    )


def refresh_due(conn: sqlite3.Connection, request_pk: int) -> None:
    """Recompute the stored échéance after anything it depends on changed."""
    due = next_due(due_facts(conn, request_pk))
    conn.execute(
        "UPDATE request SET due_date = ?, due_kind = ? WHERE pk = ?",
        (
            due.on.isoformat() if due and due.on else None,
            due.kind.value if due else None,
            request_pk,
        ),
    )



def refresh_unacknowledged(conn: sqlite3.Connection, authority_pk: int) -> None:
    """The commune's internal target moved: the échéance of its requests still to
    acknowledge moves with it (the other échéances do not depend on it)."""
    for (pk,) in conn.execute(
        "SELECT pk FROM request WHERE authority_pk = ? AND deleted = 0 AND status = 'received'",
        (authority_pk,),
    ).fetchall():
        refresh_due(conn, pk)


def set_status(
    conn: sqlite3.Connection,
    request_pk: int,
    target: Status,
    *,
    agent_id: str | None,
    at: datetime | None = None,
    outcome: Outcome | None = None,
) -> None:
    """Apply a status change the domain allows; raises TransitionError otherwise."""
    at = at or utc_now()
    with transaction(conn):
        row = live_request(conn, request_pk, "status, outcome, id, version, acknowledged_at")
        state = RequestState(Status(row[0]), Outcome(row[1]) if row[1] else None)
        new_state, events = change_status(state, target, at=at, agent_id=agent_id, outcome=outcome)
        conn.execute(
            "UPDATE request SET status = ?, outcome = ? WHERE pk = ?",
            (
                new_state.status.value,
                new_state.outcome.value if new_state.outcome else None,
                request_pk,
            ),
        )
        if target == Status.ACKNOWLEDGED:
            conn.execute(
                "UPDATE request SET acknowledged_at = COALESCE(acknowledged_at, ?) WHERE pk = ?",
                (instant_text(conn, request_pk, at), request_pk),
            )
        for event in events:
            insert_event(conn, request_pk, event)
        refresh_due(conn, request_pk)
        _enqueue_status(conn, row, new_state, target)


def _enqueue_status(
    conn: sqlite3.Connection, row: sqlite3.Row, new_state: RequestState, target: Status
) -> None:
    """Tells the server, in the caller's transaction (see ``desktop.store.outbox``).

    A first move to « accusée » is the acknowledgement itself: the server records its date
    (legal dates come from the server), so it travels as ``request.acknowledge``."""
    current = Status(row["status"])
    if not server_may_know(conn, row["id"], row["version"]):
        return
    if target == Status.ACKNOWLEDGED and current == Status.RECEIVED and not row["acknowledged_at"]:
        enqueue(
            conn, MutationName.REQUEST_ACKNOWLEDGE, {"request_id": row["id"]}, row["version"],
            fields=("status", "acknowledged_at"),
        )
        return
    carries_outcome = target in (Status.ANSWERED, Status.CLOSED)
    enqueue(
        conn,
        MutationName.REQUEST_SET_STATUS,
        {
            "request_id": row["id"],
            "from_status": current.value,
            "status": target.value,
            "outcome": new_state.outcome.value if carries_outcome and new_state.outcome else None,
        },
        row["version"],
        fields=("status", "outcome", "acknowledged_at"),
    )


#: Request fields the agent edits directly: wire name -> local column.
EDITABLE_COLUMNS = {"subject": "subject", "description": "body", "form_fields": "form_fields"}


def update_fields(conn: sqlite3.Connection, request_pk: int, changes: dict[str, Any]) -> None:
    """Edits subject, description or form fields (wire names) and queues the change with the
    values it replaces, so the server can merge it field by field with other edits."""
    unknown = set(changes) - set(EDITABLE_COLUMNS)
    if unknown or not changes:
        raise StoreError(f"Champs non modifiables : {', '.join(sorted(unknown)) or 'aucun'}.")
    if "subject" in changes and not str(changes["subject"]).strip():
        raise StoreError("L'objet de la demande ne peut pas être vide.")
    with transaction(conn):
        row = live_request(conn, request_pk, "id, version, subject, body, form_fields")
        previous: dict[str, Any] = {}
        for name, value in changes.items():
            column = EDITABLE_COLUMNS[name]
            current = row[column]
            previous[name] = json.loads(current) if name == "form_fields" else current
            stored = json.dumps(value, ensure_ascii=False) if name == "form_fields" else value
            conn.execute(f"UPDATE request SET {column} = ? WHERE pk = ?", (stored, request_pk))
        if not server_may_know(conn, row["id"], row["version"]):
            return
        enqueue(
            conn,
            MutationName.REQUEST_UPDATE_FIELDS,
            {"request_id": row["id"], "fields": dict(changes), "previous": previous},
            row["version"],
            fields=[EDITABLE_COLUMNS[name] for name in changes],
        )
