"""The sync engine's ``LocalStore`` over the desktop's SQLite schema.

Wire rows (``sync.protocol.wire``) are mapped onto the local tables of migration 0001: names
differ a little (``description`` is ``body``), references become integer keys, dates become
the local legal time the bannette sorts on. Three things need care:

* **Parents arrive late.** A pull follows versions, not parents: a request edited after its
  history was written comes after its events, a citizen edited after their request comes after
  it. Such rows wait in ``sync_parked`` and are applied, in the same transaction, as soon as
  their parent lands.
* **Local work is not undone by a pull.** While a mutation waits in the outbox, the columns it
  changed keep their local values; once the server has answered, its row wins.
* **Optimistic history is not duplicated.** The server writes its own events for a change the
  PC already recorded; the local event is adopted (takes the server's id) instead of doubled.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from desktop.domain.due import DueFacts, next_due
from desktop.domain.legal_time import local_day, parse_stored, utc_now
from desktop.domain.text import citizen_display_name, fold
from desktop.store.database import connect, transaction
from desktop.store.ids import iso
from desktop.store.requests import refresh_due, refresh_unacknowledged
from desktop.store.rgpd import forget_personal_data
from desktop.store.rules import freeze_rules, rule_changes
from desktop.store.search_index import defer_index, index_deferred, rebuild_index
from desktop.store.teamwork import named_event_data, record_assignment_notices, set_members
from sync import faults
from sync.outbox import intended_value
from sync.protocol.vocabulary import (
    MAX_ATTACHMENT_BYTES,
    Channel,
    EventKind,
    PeriodUnit,
    SilenceRule,
    Status,
)
from sync.protocol.wire import (
    LETTERHEAD_FIELDS,
    ROW_MODELS,
    AgentRow,
    AttachmentRow,
    AuthorityRow,
    CitizenRow,
    Entity,
    EventRow,
    MessageRow,
    MutationName,
    MutationOutcome,
    ParapheurFolderRow,
    PhoneCallRow,
    ProcedureRow,
    PullResponse,
    RequestRow,
    Row,
    ServiceRow,
)
from sync.store import AGENT_ID, CURSOR, EPOCH, RESYNC, Answered, OutboxEntry
from sync.transfers import Upload

#: Set while the pages of a first pull are applied (no « attribuée » notification for them).
CATCHING_UP = "catching_up"
#: Local table of each synced entity.
TABLES: dict[Entity, str] = {
    Entity.AUTHORITIES: "authority",
    Entity.AGENTS: "agent",
    Entity.PROCEDURES: "procedure",
    Entity.CITIZENS: "citizen",
    Entity.REQUESTS: "request",
    Entity.EVENTS: "event",
    Entity.ATTACHMENTS: "attachment",
    Entity.PHONE_CALLS: "phone_call",
    Entity.PARAPHEUR_FOLDERS: "parapheur_folder",
    Entity.MESSAGES: "message",
    Entity.SERVICES: "service",
}
#: Tables whose rows a re-bootstrap re-confirms (events are append-only and never removed).
_RESYNCED = (
    "authority", "agent", "procedure", "citizen", "request", "attachment", "phone_call",
    "parapheur_folder", "message", "service",
)
#: Entities whose rows still parked at the end of a complete pull are applied anyway, without
#: the parent that never came: a request with a placeholder citizen or procedure, a call
#: without its link. Hiding them would be worse.
_FLUSHED = (Entity.REQUESTS, Entity.PHONE_CALLS)
#: Wire field of a request -> local column, for conflicts and the pending-change overlay.
REQUEST_COLUMNS = {
    "subject": "subject",
    "description": "body",
    "form_fields": "form_fields",
    "status": "status",
    "outcome": "outcome",
    "acknowledged_at": "acknowledged_at",
    "assignee_id": "assigned_agent_pk",
    "assignee_service_id": "assigned_service_id",
    "procedure_id": "procedure_pk",
    "citizen_id": "citizen_pk",
    "received_at": "received_at",
}
_NAMESPACE = uuid.UUID("5d3c6f0e-6b7a-4f0e-9a57-2f1d0c9b7e11")
PLACEHOLDER_PROCEDURE_ID = str(uuid.uuid5(_NAMESPACE, "procedure"))
#: next_due() results by facts; the facts include the status and dates, so a hit is exact.
_DUE_CACHE: dict[DueFacts, Any] = {}


def legal_time(moment: datetime | None) -> str | None:
    """Server instants as the store keeps them (UTC, like the instants written here): the
    commune's zone is applied when they are read, so local and pulled events sort together."""
    if moment is None:
        return None
    return iso(moment)


def split_address(address: str | None) -> tuple[str, str, str]:
    """"3 rue des Lilas, 10100 Romilly" -> street, postcode, city (best effort)."""
    if not address:
        return "", "", ""
    head, sep, tail = address.rpartition(",")
    tail = tail.strip()
    if sep and len(tail) > 6 and tail[:5].isdigit() and tail[5] == " ":
        return head.strip(), tail[:5], tail[6:].strip()
    return address, "", ""


class SqliteSyncStore:
    """One connection, owned by the thread that runs the sync."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    @classmethod
    def open(cls, path: str) -> SqliteSyncStore:
        return cls(connect(path))

    def close(self) -> None:
        self.conn.close()

    # --- state ----------------------------------------------------------------------------
    def get_state(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_state(self, values: dict[str, str]) -> None:
        with transaction(self.conn):
            self._set_state(values)

    def _set_state(self, values: dict[str, str]) -> None:
        self.conn.executemany(
            "INSERT INTO sync_state (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            list(values.items()),
        )
        if AGENT_ID in values:
            # The bannette's « mes demandes » filter reads the current agent from settings.
            self.conn.execute(
                "INSERT OR REPLACE INTO setting (key, value) VALUES ('current_agent', ?)",
                (values[AGENT_ID],),
            )

    # --- outbox ---------------------------------------------------------------------------
    def pending(self, limit: int) -> list[OutboxEntry]:
        return [
            OutboxEntry(
                mutation_id=int(r[0]), name=r[1], args=json.loads(r[2]), base_version=int(r[3]),
                entity=r[4], row_id=r[5], fields=tuple(json.loads(r[6])),
            )
            for r in self.conn.execute(
                "SELECT mutation_id, name, args, base_version, entity, row_id, fields "
                "FROM sync_outbox WHERE state = 'pending' ORDER BY mutation_id LIMIT ?",
                (limit,),
            )
        ]

    def pending_count(self) -> int:
        return int(
            self.conn.execute(
                "SELECT COUNT(*) FROM sync_outbox WHERE state = 'pending'"
            ).fetchone()[0]
        )

    def record_answers(self, answers: Sequence[Answered], restored: Sequence[Row] = ()) -> None:
        now = iso(utc_now())
        with transaction(self.conn):
            for answer in answers:
                entry, result = answer.entry, answer.result
                if result.result is MutationOutcome.REJECTED:
                    if entry.name == MutationName.CITIZEN_MERGE.value:
                        _settle_merge(self.conn, entry.mutation_id, result.result)
                    self.conn.execute(
                        "UPDATE sync_outbox SET state = 'rejected', reason = ?, answered_at = ? "
                        "WHERE mutation_id = ? AND state = 'pending'",
                        (result.reason or "Refusée par le serveur.", now, entry.mutation_id),
                    )
                    self._message_refused(entry, result.reason)
                    continue
                gone = self.conn.execute(
                    "DELETE FROM sync_outbox WHERE mutation_id = ?", (entry.mutation_id,)
                ).rowcount
                if entry.name == MutationName.CITIZEN_MERGE.value:
                    _settle_merge(self.conn, entry.mutation_id, result.result)
                if result.result is MutationOutcome.CONFLICT and gone:
                    self._record_conflict(entry, answer, now)
            if restored:
                applier = _Applier(self.conn)
                applier.apply(Entity.REQUESTS, restored)
                applier.unpark()

    def _message_refused(self, entry: OutboxEntry, reason: str | None) -> None:
        """A message of the thread the server refused never leaves: the thread says so
        instead of « en attente d'envoi » for ever (issue 12)."""
        if entry.name != MutationName.MESSAGE_ADD.value:
            return
        self.conn.execute(
            "UPDATE message SET delivery = CASE WHEN delivery IS NULL THEN NULL "
            "ELSE 'failed' END, failure = ? WHERE id = ? AND version = 0",
            (f"refusé par le serveur : {reason or 'sans raison donnée'}",
             str(entry.args.get("id", ""))),
        )

    def _record_conflict(self, entry: OutboxEntry, answer: Answered, now: str) -> None:
        result = answer.result
        server_row = result.server_row or {}
        fields = result.conflicting_fields or ["*"]
        for name in fields:
            self.conn.execute(
                "INSERT INTO sync_conflict (entity, row_id, field, local_value, server_value, "
                "mutation_id, mutation_name, reason, detected_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (result.entity.value if result.entity else entry.entity),
                    entry.row_id,
                    name,
                    json.dumps(intended_value(entry, name), ensure_ascii=False),
                    json.dumps(server_row.get(name), ensure_ascii=False),
                    entry.mutation_id,
                    entry.name,
                    result.reason or "",
                    now,
                ),
            )
        if result.server_row and result.entity in ROW_MODELS:
            row = ROW_MODELS[result.entity].model_validate(result.server_row)
            _Applier(self.conn).apply(result.entity, [row])

    # --- pull -----------------------------------------------------------------------------
    def apply_page(self, page: PullResponse) -> int:
        with transaction(self.conn):
            bootstrap = int(self.get_state(CURSOR) or 0) == 0
            if bootstrap and page.has_more:
                defer_index(self.conn)
            applier = _Applier(self.conn)
            for entity in Entity:
                applier.apply(entity, getattr(page, entity.value))
            applier.tombstones(page.tombstones)
            applier.unpark()
            # A first pull (all its pages) or a re-bootstrap brings history, not news.
            catching_up = bootstrap or self.get_state(CATCHING_UP) == "1"
            if not catching_up and self.get_state(RESYNC) != "1":
                record_assignment_notices(self.conn, applier.assignments)
            self._set_state({CATCHING_UP: "1" if catching_up and page.has_more else "0"})
            if not page.has_more:
                applier.flush_parked()
                if self.get_state(RESYNC) == "1":
                    self._finish_resync()
                if index_deferred(self.conn):
                    # One pass over request_search instead of 100,000 incremental inserts.
                    rebuild_index(self.conn)
            self._set_state({CURSOR: str(page.cursor), EPOCH: page.epoch})
            faults.pause("mid_pull_page")
        return applier.new_requests

    def apply_rows(self, entity: Entity, rows: Sequence[Row]) -> None:
        with transaction(self.conn):
            applier = _Applier(self.conn)
            applier.apply(entity, rows)
            applier.unpark()

    def start_resync(self, epoch: str) -> None:
        with transaction(self.conn):
            self.conn.execute("DELETE FROM sync_parked")
            for table in _RESYNCED:
                self.conn.execute(
                    f"INSERT OR IGNORE INTO sync_resync (entity, id) "
                    f"SELECT '{table}', id FROM {table} WHERE version > 0"
                )
                self.conn.execute(f"UPDATE {table} SET version = 0 WHERE version > 0")
            self._set_state({CURSOR: "0", EPOCH: epoch, RESYNC: "1"})

    def _finish_resync(self) -> None:
        """Rows of the old epoch the new server did not send back no longer exist."""
        for table in _RESYNCED:
            self.conn.execute(
                f"UPDATE {table} SET deleted = 1 WHERE id IN "
                f"(SELECT id FROM sync_resync WHERE entity = '{table}')"
            )
        self.conn.execute("DELETE FROM sync_resync")
        self._set_state({RESYNC: "0"})

    def reserve_mutation_ids(self, last_seen_by_server: int) -> None:
        with transaction(self.conn):
            row = self.conn.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = 'sync_outbox'"
            ).fetchone()
            if row is None:
                self.conn.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES ('sync_outbox', ?)",
                    (last_seen_by_server,),
                )
            elif int(row[0]) < last_seen_by_server:
                self.conn.execute(
                    "UPDATE sqlite_sequence SET seq = ? WHERE name = 'sync_outbox'",
                    (last_seen_by_server,),
                )

    # --- attachments (sync.transfers.BlobStore) --------------------------------------------
    def blob_path(self, sha256: str) -> Path:
        return blob_path(self.conn, sha256)

    def attachment_sha256(self, attachment_id: str) -> str | None:
        row = self.conn.execute(
            "SELECT sha256 FROM attachment WHERE id = ? AND deleted = 0", (attachment_id,)
        ).fetchone()
        return str(row[0]) if row else None

    def missing_logos(self) -> list[tuple[str, str]]:
        """(authority id, SHA-256) of the communes' logos not in the cache (set on another
        PC): the sync fetches them so that letters show them offline too."""
        return [
            (str(authority_id), str(digest))
            for authority_id, digest in self.conn.execute(
                "SELECT id, logo_sha256 FROM authority WHERE deleted = 0 AND logo_sha256 != ''"
            )
            if not blob_path(self.conn, str(digest)).is_file()
        ]

    def pending_uploads(self) -> list[Upload]:
        return [
            Upload(r[0], r[1], r[2])
            for r in self.conn.execute(
                "SELECT sha256, authority_id, filename FROM sync_upload "
                "WHERE state = 'pending' ORDER BY created_at"
            )
        ]

    def upload_done(self, upload: Upload, reason: str | None = None) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE sync_upload SET state = ?, reason = ? "
                "WHERE sha256 = ? AND authority_id = ?",
                ("rejected" if reason else "done", reason, upload.sha256, upload.authority_id),
            )

    def synced_counts(self) -> dict[Entity, int]:
        return {
            entity: int(
                self.conn.execute(
                    f"SELECT COUNT(*) FROM {TABLES[entity]} WHERE version > 0 AND "
                    # A merged citizen is a row on the server, a tombstone here (issue 12).
                    + ("(deleted = 0 OR merged_into_pk IS NOT NULL)"
                       if entity is Entity.CITIZENS else "deleted = 0")
                ).fetchone()[0]
            )
            for entity in (Entity.REQUESTS, Entity.CITIZENS)
        }


class _Parked(Exception):
    """The row needs a parent that has not arrived yet."""

    def __init__(self, parent_id: str) -> None:
        super().__init__(parent_id)
        self.parent_id = parent_id


class _Applier:
    """Applies rows inside the caller's transaction; remembers what landed for unparking."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.landed: set[str] = set()
        self._pks: dict[tuple[str, str], int] = {}
        #: Ids known not to exist locally (until inserted): no query per row for new rows.
        self._absent: set[tuple[str, str]] = set()
        #: Requests this PC had never seen (for the « nouvelles demandes » notification).
        self.new_requests = 0
        #: ``assigned`` events that landed (for « … vous a été attribuée par … »).
        self.assignments: list[EventRow] = []
        self._resyncing = conn.execute("SELECT 1 FROM sync_resync LIMIT 1").fetchone() is not None
        self._parked_any = conn.execute("SELECT 1 FROM sync_parked LIMIT 1").fetchone() is not None
        self._pending_rows: set[str] | None = None
        self._placeholders: dict[str, int] = {}
        self._authority_facts: dict[int, tuple[str, int]] = {}
        self._procedure_facts: dict[int, tuple[str, int, str]] = {}

    # --- helpers --------------------------------------------------------------------------
    def pk(self, table: str, row_id: Any) -> int | None:
        if row_id is None:
            return None
        key = (table, str(row_id))
        if key in self._pks:
            return self._pks[key]
        if key in self._absent:
            return None
        row = self.conn.execute(f"SELECT pk FROM {table} WHERE id = ?", (key[1],)).fetchone()
        if row is None:
            return None
        self._pks[key] = int(row[0])
        return self._pks[key]

    def prefetch(self, table: str, ids: Iterable[Any]) -> None:
        """One query per 500 ids instead of one per row (pages hold thousands)."""
        wanted = list({str(i) for i in ids if i is not None} - {k[1] for k in self._pks
                                                               if k[0] == table})
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found = {
                r[0]: int(r[1])
                for r in self.conn.execute(
                    f"SELECT id, pk FROM {table} WHERE id IN ({marks})", chunk
                )
            }
            for row_id in chunk:
                if row_id in found:
                    self._pks[(table, row_id)] = found[row_id]
                else:
                    self._absent.add((table, row_id))

    def remember(self, table: str, row_id: str, pk: int) -> None:
        self._pks[(table, row_id)] = pk
        self._absent.discard((table, row_id))

    def need(self, table: str, row_id: Any) -> int:
        found = self.pk(table, row_id)
        if found is None:
            raise _Parked(str(row_id))
        return found

    def park(self, entity: Entity, row: Row, parent_id: str) -> None:
        self._parked_any = True
        self.conn.execute(
            "INSERT INTO sync_parked (entity, id, version, waits_for, payload) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(entity, id) DO UPDATE SET "
            "version = excluded.version, waits_for = excluded.waits_for, "
            "payload = excluded.payload WHERE excluded.version >= sync_parked.version",
            (entity.value, str(row.id), row.version, parent_id, row.model_dump_json()),
        )

    def pending_columns(self, row_id: str) -> set[str]:
        if self._pending_rows is None:
            self._pending_rows = {
                r[0] for r in self.conn.execute(
                    "SELECT DISTINCT row_id FROM sync_outbox WHERE state = 'pending'"
                )
            }
        if row_id not in self._pending_rows:
            return set()
        columns: set[str] = set()
        for (fields,) in self.conn.execute(
            "SELECT fields FROM sync_outbox WHERE row_id = ? AND state = 'pending'", (row_id,)
        ):
            columns.update(json.loads(fields))
        return columns

    # --- dispatch -------------------------------------------------------------------------
    def apply(self, entity: Entity, rows: Iterable[Row], *, placeholders: bool = False) -> None:
        method = getattr(self, f"_{entity.value}", None)
        if method is None:
            return  # an entity this version does not keep
        rows = list(rows)
        if not rows:
            return
        self._prefetch_for(entity, rows)
        for row in rows:
            try:
                method(row, placeholders) if entity in _FLUSHED else method(row)
            except _Parked as parked:
                self.park(entity, row, parked.parent_id)
                continue
            if self._parked_any:
                self.conn.execute(
                    "DELETE FROM sync_parked WHERE entity = ? AND id = ? AND version <= ?",
                    (entity.value, str(row.id), row.version),
                )
            self.landed.add(str(row.id))
            if entity in TABLES:  # it exists now, whatever a prefetch saw before
                self._absent.discard((TABLES[entity], str(row.id)))
            if self._resyncing and entity in TABLES:
                self.conn.execute(
                    "DELETE FROM sync_resync WHERE entity = ? AND id = ?",
                    (TABLES[entity], str(row.id)),
                )

    def _prefetch_for(self, entity: Entity, rows: list[Any]) -> None:
        if entity is Entity.REQUESTS:
            self.prefetch("request", (r.id for r in rows))
            self.prefetch("citizen", (r.citizen_id for r in rows))
            self.prefetch("procedure", (r.procedure_id for r in rows))
            self.prefetch("agent", (r.assignee_id for r in rows))
        elif entity is Entity.CITIZENS:
            self.prefetch("citizen", (r.id for r in rows))
        elif entity is Entity.EVENTS:
            self.prefetch("event", (r.id for r in rows))
            self.prefetch("request", (r.request_id for r in rows))
            self.prefetch("agent", (r.agent_id for r in rows))
        elif entity is Entity.ATTACHMENTS:
            self.prefetch("request", (r.request_id for r in rows))
        elif entity is Entity.PHONE_CALLS:
            self.prefetch("request", (r.request_id for r in rows))
            self.prefetch("citizen", (r.citizen_id for r in rows))
            self.prefetch("agent", (r.agent_id for r in rows))
        elif entity is Entity.PARAPHEUR_FOLDERS:
            self.prefetch("request", (r.request_id for r in rows))
        elif entity is Entity.MESSAGES:
            self.prefetch("request", (r.request_id for r in rows))
            self.prefetch("agent", (r.agent_id for r in rows))

    def unpark(self) -> None:
        """Applies parked rows whose parent just landed, until nothing more moves."""
        order = {entity.value: index for index, entity in enumerate(Entity)}
        while self.landed:
            ids = list(self.landed)
            self.landed = set()
            waiting: list[tuple[str, str]] = []
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                waiting += [
                    (r[0], r[1])
                    for r in self.conn.execute(
                        f"SELECT entity, payload FROM sync_parked WHERE waits_for IN ({marks})",
                        chunk,
                    )
                ]
            waiting.sort(key=lambda w: order[w[0]])
            for entity_name, payload in waiting:
                entity = Entity(entity_name)
                row = ROW_MODELS[entity].model_validate_json(payload)
                self.conn.execute(
                    "DELETE FROM sync_parked WHERE entity = ? AND id = ?",
                    (entity_name, str(row.id)),
                )
                self.apply(entity, [row])

    def flush_parked(self) -> None:
        """End of a complete pull: a request whose citizen or procedure never came is shown
        anyway, with a placeholder, and a call whose request or citizen never came is shown
        without that link, rather than hidden. Requests first: calls may wait for them."""
        for entity in _FLUSHED:
            rows = [
                ROW_MODELS[entity].model_validate_json(r[0])
                for r in self.conn.execute(
                    "SELECT payload FROM sync_parked WHERE entity = ?", (entity.value,)
                )
            ]
            if rows:
                self.apply(entity, rows, placeholders=True)
                self.unpark()

    def tombstones(self, tombstones: Iterable[Any]) -> None:
        for tomb in tombstones:
            # Neither the row nor what waited for it will ever land.
            self.conn.execute(
                "DELETE FROM sync_parked WHERE id = ? OR waits_for = ?",
                (str(tomb.id), str(tomb.id)),
            )
            table = TABLES.get(tomb.entity)
            if table is None or table == "event":  # the local history is append-only
                continue
            forget_personal_data(self.conn, tomb.entity, str(tomb.id))  # RGPD erasure, purge
            self.conn.execute(
                f"UPDATE {table} SET deleted = 1, version = ? WHERE id = ?",
                (tomb.version, str(tomb.id)),
            )
            if table == "citizen":  # erased: no longer counted as a merged row either
                self.conn.execute(
                    "UPDATE citizen SET merged_into_pk = NULL WHERE id = ?", (str(tomb.id),))

    # --- one method per entity ------------------------------------------------------------
    def _authorities(self, row: AuthorityRow) -> None:
        street, postcode, city = split_address(row.address)
        letterhead = row.letterhead or {}
        values: dict[str, Any] = {
            "kind": row.kind.value, "name": row.name, "insee_code": row.insee_code or "",
            "siret": row.siret or "", "department": row.department_code or "",
            "service_name": row.service_name or "", "address": street, "postcode": postcode,
            "city": city, "email": row.service_email or "", "phone": row.service_phone or "",
            "internal_target_days": row.internal_target_days,
            "deputies": json.dumps([d.model_dump(mode="json") for d in row.deputies],
                                   ensure_ascii=False),
            "logo_sha256": row.logo_sha256 or "",
        }
        # Letterhead fields the server knows; the others stay as the mairie set them here.
        values.update({k: letterhead[k] for k in LETTERHEAD_FIELDS if k in letterhead})
        before = self.conn.execute(
            "SELECT pk, internal_target_days FROM authority WHERE id = ?", (str(row.id),)
        ).fetchone()
        self._upsert_setting_row("authority", str(row.id), row.version, values)
        if before is not None:
            self._authority_facts.pop(int(before[0]), None)
            if int(before[1]) != row.internal_target_days:
                refresh_unacknowledged(self.conn, int(before[0]))

    def _upsert_setting_row(
        self, table: str, row_id: str, version: int, values: dict[str, Any]
    ) -> None:
        """Settings rows (authority, procedure): the columns an admin changed on this PC and
        not yet pushed keep their local value (no flicker back before the push)."""
        pending = self.pending_columns(row_id)
        updates = ", ".join(f"{c} = excluded.{c}" for c in values if c not in pending)
        columns = ["id", *values, "version"]
        self.conn.execute(
            f"INSERT INTO {table} ({', '.join(columns)}, deleted) "
            f"VALUES ({', '.join('?' * len(columns))}, 0) "
            f"ON CONFLICT(id) DO UPDATE SET {updates + ', ' if updates else ''}"
            f"version = excluded.version, deleted = 0 "
            f"WHERE excluded.version >= {table}.version",
            [row_id, *values.values(), version],
        )

    def _agents(self, row: AgentRow) -> None:
        # A login is unique: a local-only agent of the same login (demo data) steps aside.
        self.conn.execute(
            "UPDATE agent SET login = login || ' (local)' WHERE login = ? AND id != ?",
            (row.login, str(row.id)),
        )
        self.conn.execute(
            """INSERT INTO agent (id, login, display_name, role, version, deleted)
               VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT(id) DO UPDATE SET login = excluded.login,
                   display_name = excluded.display_name, role = excluded.role,
                   version = excluded.version, deleted = excluded.deleted
               WHERE excluded.version >= agent.version""",
            (str(row.id), row.login, row.display_name, row.role.value, row.version,
             0 if row.active else 1),
        )
        agent_pk = self.need("agent", row.id)
        self.conn.execute("DELETE FROM agent_authority WHERE agent_pk = ?", (agent_pk,))
        self.conn.execute("DELETE FROM agent_role WHERE agent_pk = ?", (agent_pk,))
        for authority_id in row.authority_ids:
            authority_pk = self.pk("authority", authority_id)
            if authority_pk is not None:
                self.conn.execute(
                    "INSERT OR IGNORE INTO agent_authority (agent_pk, authority_pk) VALUES (?, ?)",
                    (agent_pk, authority_pk),
                )
                self.conn.execute(
                    "INSERT OR REPLACE INTO agent_role (agent_pk, authority_pk, role) "
                    "VALUES (?, ?, ?)",
                    (agent_pk, authority_pk, row.roles.get(authority_id, row.role).value),
                )

    def _procedures(self, row: ProcedureRow) -> None:
        existing = self.pk("procedure", row.id)
        if existing is not None and rule_changes(
            self.conn, existing, row.silence_rule.value, row.period_value, row.period_unit.value
        ):
            # A new period applies to requests received from now on (issue 13).
            freeze_rules(self.conn, existing)
            self._procedure_facts.pop(existing, None)
        self._upsert_setting_row("procedure", str(row.id), row.version, {
            "code": row.code, "name": row.title, "silence_rule": row.silence_rule.value,
            "period": row.period_value, "period_unit": row.period_unit.value,
            "authority_pk": self.pk("authority", row.authority_id), "active": int(row.active),
            "required_documents": json.dumps(row.required_documents, ensure_ascii=False),
            "reply_templates": json.dumps(row.reply_templates, ensure_ascii=False),
            "default_service_id": str(row.default_service_id) if row.default_service_id else "",
        })

    def _citizens(self, row: CitizenRow) -> None:
        authority_pk = self.need("authority", row.authority_id)
        # A merged citizen (issue 12) lands as a tombstone pointing to its survivor, once the
        # survivor is here: what still names it on this PC moves to the survivor.
        survivor_pk = self.need("citizen", row.merged_into_id) if row.merged_into_id else None
        street, postcode, city = split_address(row.postal_address)
        display = citizen_display_name(
            row.last_name or "", row.first_name or "", row.organisation_name or ""
        )
        self.conn.execute(
            """INSERT INTO citizen (id, authority_pk, kind, last_name, first_name, organisation,
                   rna, siret, email, phone, address, postcode, city, display_name, sort_key,
                   version, deleted)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
               ON CONFLICT(id) DO UPDATE SET authority_pk = excluded.authority_pk,
                   kind = excluded.kind, last_name = excluded.last_name,
                   first_name = excluded.first_name, organisation = excluded.organisation,
                   rna = excluded.rna, siret = excluded.siret, email = excluded.email,
                   phone = excluded.phone, address = excluded.address,
                   postcode = excluded.postcode, city = excluded.city,
                   display_name = excluded.display_name, sort_key = excluded.sort_key,
                   version = excluded.version, deleted = 0
               WHERE excluded.version >= citizen.version""",
            (
                str(row.id), authority_pk, row.kind.value, row.last_name or "",
                row.first_name or "", row.organisation_name or "", row.rna_number or "",
                row.siret or "", row.email or "", row.phone or "", street, postcode, city,
                display, fold(display), row.version,
            ),
        )
        if survivor_pk is not None:
            from desktop.store.citizens import absorb_locally

            self._absent.discard(("citizen", str(row.id)))  # inserted just now
            absorb_locally(self.conn, self.need("citizen", row.id), survivor_pk)

    def _placeholder_citizen(self, authority_pk: int, authority_id: str) -> int:
        if authority_id in self._placeholders:
            return self._placeholders[authority_id]
        placeholder = str(uuid.uuid5(_NAMESPACE, f"citizen:{authority_id}"))
        display = "(usager non renseigné)"
        self.conn.execute(
            "INSERT OR IGNORE INTO citizen (id, authority_pk, kind, display_name, sort_key) "
            "VALUES (?, ?, 'person', ?, ?)",
            (placeholder, authority_pk, display, fold(display)),
        )
        self._placeholders[authority_id] = self.need("citizen", placeholder)
        return self._placeholders[authority_id]

    def _placeholder_procedure(self) -> int:
        if "" in self._placeholders:
            return self._placeholders[""]
        # The legal default (L231-1): two months of silence are an acceptance.
        self.conn.execute(
            "INSERT OR IGNORE INTO procedure (id, code, name, silence_rule, period, period_unit) "
            "VALUES (?, '', '(démarche non précisée)', 'accept', 2, 'months')",
            (PLACEHOLDER_PROCEDURE_ID,),
        )
        self._placeholders[""] = self.need("procedure", PLACEHOLDER_PROCEDURE_ID)
        return self._placeholders[""]

    def _requests(self, row: RequestRow, placeholders: bool = False) -> None:
        authority_pk = self.need("authority", row.authority_id)
        citizen_pk = self.pk("citizen", row.citizen_id)
        if citizen_pk is None:
            if row.citizen_id is not None and not placeholders:
                raise _Parked(str(row.citizen_id))
            citizen_pk = self._placeholder_citizen(authority_pk, str(row.authority_id))
        procedure_pk = self.pk("procedure", row.procedure_id)
        if procedure_pk is None:
            if row.procedure_id is not None and not placeholders:
                raise _Parked(str(row.procedure_id))
            procedure_pk = self._placeholder_procedure()
        values: dict[str, Any] = {
            "id": str(row.id),
            "authority_pk": authority_pk,
            "number": row.number,
            "received_at": legal_time(row.received_at),
            "channel": row.channel.value,
            "citizen_pk": citizen_pk,
            "procedure_pk": procedure_pk,
            "subject": row.subject,
            "body": row.description,
            "form_fields": json.dumps(row.form_fields, ensure_ascii=False),
            "status": row.status.value,
            "outcome": row.outcome.value if row.outcome else None,
            "assigned_agent_pk": self.pk("agent", row.assignee_id),
            "assigned_service_id": (
                str(row.assignee_service_id) if row.assignee_service_id else None
            ),
            "registration_receipt_at": (
                legal_time(row.registered_at) if row.channel.is_electronic else None
            ),
            "acknowledged_at": legal_time(row.acknowledged_at),
            "version": row.version,
        }
        kept = self.pending_columns(str(row.id)) & set(values)
        if kept:
            local = self.conn.execute(
                f"SELECT {', '.join(sorted(kept))} FROM request WHERE id = ?", (str(row.id),)
            ).fetchone()
            if local is not None:
                values.update({name: local[name] for name in kept})
        existing = self.pk("request", row.id)
        if existing is None:
            self.new_requests += 1
        values["due_date"], values["due_kind"] = self._due(values, existing)
        columns = list(values)
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "id")
        returned = self.conn.execute(
            f"INSERT INTO request ({', '.join(columns)}, deleted) "
            f"VALUES ({', '.join('?' * len(columns))}, 0) "
            f"ON CONFLICT(id) DO UPDATE SET {updates}, deleted = 0 "
            f"WHERE excluded.version >= request.version RETURNING pk",
            list(values.values()),
        ).fetchone()
        if returned is not None:
            self.remember("request", str(row.id), int(returned[0]))

    def _due(self, values: dict[str, Any], existing: int | None) -> tuple[str | None, str | None]:
        """The échéance, computed from the row about to be written (the same rules as
        ``refresh_due``, without reading back what we already hold)."""
        authority_pk, procedure_pk = values["authority_pk"], values["procedure_pk"]
        if authority_pk not in self._authority_facts:
            found = self.conn.execute(
                "SELECT department, internal_target_days FROM authority WHERE pk = ?",
                (authority_pk,),
            ).fetchone()
            self._authority_facts[authority_pk] = (found[0], int(found[1]))
        if procedure_pk not in self._procedure_facts:
            found = self.conn.execute(
                "SELECT silence_rule, period, period_unit FROM procedure WHERE pk = ?",
                (procedure_pk,),
            ).fetchone()
            self._procedure_facts[procedure_pk] = (found[0], int(found[1]), found[2])
        department, target_days = self._authority_facts[authority_pk]
        rule, period, unit = self._procedure_facts[procedure_pk]
        missing: tuple[tuple[date, date | None], ...] = ()
        if existing is not None:
            frozen = self.conn.execute(
                "SELECT rule_silence, rule_period, rule_unit FROM request "
                "WHERE pk = ? AND rule_silence IS NOT NULL AND procedure_pk = ?",
                (existing, procedure_pk),
            ).fetchone()
            if frozen is not None:  # received under the procedure's former rule
                rule, period, unit = frozen[0], int(frozen[1]), frozen[2]
            missing = tuple(
                (date.fromisoformat(m[0]), date.fromisoformat(m[1]) if m[1] else None)
                for m in self.conn.execute(
                    "SELECT asked_on, received_on FROM missing_documents "
                    "WHERE request_pk = ? AND deleted = 0 ORDER BY asked_on",
                    (existing,),
                )
            )
        facts = DueFacts(
            status=Status(values["status"]),
            electronic=Channel(values["channel"]).is_electronic,
            received=local_day(parse_stored(values["received_at"]), department),
            department=department,
            silence_rule=SilenceRule(rule),
            period=period,
            unit=PeriodUnit(unit),
            registration_receipt_sent=values["registration_receipt_at"] is not None,
            acknowledged=values["acknowledged_at"] is not None,
            internal_target_days=target_days,
            missing_documents=missing,
        )
        # Thousands of requests of a page share the same facts (same day, same status):
        # the working-day arithmetic is done once per distinct set.
        if facts not in _DUE_CACHE:
            if len(_DUE_CACHE) > 50_000:
                _DUE_CACHE.clear()
            _DUE_CACHE[facts] = next_due(facts)
        due = _DUE_CACHE[facts]
        if due is None:
            return None, None
        return (due.on.isoformat() if due.on else None), due.kind.value

    def _events(self, row: EventRow) -> None:
        request_pk = self.need("request", row.request_id)
        event_id = str(row.id)
        if self.pk("event", event_id) is not None:
            self.conn.execute("UPDATE event SET version = ? WHERE id = ?", (row.version, event_id))
            return
        for pk, detail in self.conn.execute(
            "SELECT pk, detail FROM event WHERE request_pk = ? AND kind = ? AND version = 0 "
            "ORDER BY pk",
            (request_pk, row.kind.value),
        ).fetchall():
            local = json.loads(detail)
            if all(local[key] == row.data[key] for key in local.keys() & row.data.keys()):
                # The optimistic local record of the same change (the PC may note more, such
                # as the letter's file name): it becomes the server's.
                self.conn.execute(
                    "UPDATE event SET id = ?, version = ? WHERE pk = ?", (event_id, row.version, pk)
                )
                return
        self.conn.execute(
            "INSERT INTO event (id, request_pk, at, agent_pk, kind, detail, version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                event_id, request_pk, legal_time(row.at), self.pk("agent", row.agent_id),
                row.kind.value,
                json.dumps(named_event_data(self.conn, row.kind, row.data), ensure_ascii=False),
                row.version,
            ),
        )
        if row.kind is EventKind.ASSIGNED:
            self.assignments.append(row)
        self._missing_documents(request_pk, row)

    def _missing_documents(self, request_pk: int, row: EventRow) -> None:
        """The local table of L114-5 requests is derived from the server's history."""
        # The days the agent entered (a PC offline for a week sends them late); the event's
        # own date when absent. Arrival is never put before the ask: the deadline engine
        # refuses such a history, and one bad row must not stop every later sync.
        if row.kind not in (EventKind.MISSING_DOCUMENTS_REQUESTED,
                            EventKind.MISSING_DOCUMENTS_RECEIVED):
            return
        # Days are the commune's, not UTC's: an ask at 00:30 in Paris is that day's.
        received_at, department = self.conn.execute(
            "SELECT r.received_at, a.department FROM request r "
            "JOIN authority a ON a.pk = r.authority_pk WHERE r.pk = ?", (request_pk,),
        ).fetchone()
        day = local_day(row.at, department).isoformat()
        if row.kind is EventKind.MISSING_DOCUMENTS_REQUESTED:
            documents = json.dumps(list(row.data.get("documents") or []), ensure_ascii=False)
            received_day = local_day(parse_stored(received_at), department).isoformat()
            self.conn.execute(
                "INSERT OR IGNORE INTO missing_documents (id, request_pk, asked_on, documents, "
                "deadline, version) VALUES (?, ?, MAX(?, ?), ?, ?, ?)",
                (str(row.id), request_pk, _iso_day(row.data.get("asked_on")) or day,
                 received_day, documents, _iso_day(row.data.get("deadline")), row.version),
            )
        elif row.kind is EventKind.MISSING_DOCUMENTS_RECEIVED:
            self.conn.execute(
                "UPDATE missing_documents SET received_on = MAX(asked_on, ?) "
                "WHERE request_pk = ? AND received_on IS NULL AND deleted = 0",
                (_iso_day(row.data.get("received_on")) or day, request_pk),
            )
        refresh_due(self.conn, request_pk)

    def _attachments(self, row: AttachmentRow) -> None:
        if row.request_id is None:
            return  # not linked to a request: nothing of the bannette shows it
        request_pk = self.need("request", row.request_id)
        self.conn.execute(
            """INSERT INTO attachment (id, request_pk, filename, media_type, size, sha256,
                   version, deleted) VALUES (?, ?, ?, ?, ?, ?, ?, 0)
               ON CONFLICT(id) DO UPDATE SET request_pk = excluded.request_pk,
                   filename = excluded.filename, media_type = excluded.media_type,
                   size = excluded.size, sha256 = excluded.sha256, version = excluded.version,
                   deleted = 0
               WHERE excluded.version >= attachment.version""",
            (str(row.id), request_pk, row.filename, row.content_type,
             min(row.size, MAX_ATTACHMENT_BYTES), row.sha256, row.version),
        )


    def _services(self, row: ServiceRow) -> None:
        """Upserted on its id; the members are the agents this PC knows (an agent it does not
        know cannot be in its « Mon service » anyway)."""
        authority_pk = self.need("authority", row.authority_id)
        returned = self.conn.execute(
            """INSERT INTO service (id, authority_pk, name, active, version, deleted)
               VALUES (?, ?, ?, ?, ?, 0)
               ON CONFLICT(id) DO UPDATE SET authority_pk = excluded.authority_pk,
                   name = excluded.name, active = excluded.active,
                   version = excluded.version, deleted = 0
               WHERE excluded.version >= service.version RETURNING pk""",
            (str(row.id), authority_pk, row.name, int(row.active), row.version),
        ).fetchone()
        if returned is None:
            return  # this PC holds a newer state
        service_pk = int(returned[0])
        self.remember("service", str(row.id), service_pk)
        self.prefetch("agent", row.member_ids)
        members = [pk for pk in (self.pk("agent", m) for m in row.member_ids) if pk is not None]
        set_members(self.conn, service_pk, members)

    def _phone_calls(self, row: PhoneCallRow, placeholders: bool = False) -> None:
        """Upserted on its id: a call logged on this PC and pulled back is the same row, now
        confirmed (version > 0), never a second one. The server's row wins, links included
        (it unlinks a call when the citizen is erased or the request deleted)."""
        authority_pk = self.need("authority", row.authority_id)
        request_pk = self._optional("request", row.request_id, placeholders)
        citizen_pk = self._optional("citizen", row.citizen_id, placeholders)
        self.conn.execute(
            """INSERT INTO phone_call (id, authority_pk, citizen_pk, request_pk, caller_name,
                   phone_number, motive, duration_seconds, called_at, agent_pk, version,
                   deleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
               ON CONFLICT(id) DO UPDATE SET authority_pk = excluded.authority_pk,
                   citizen_pk = excluded.citizen_pk, request_pk = excluded.request_pk,
                   caller_name = excluded.caller_name, phone_number = excluded.phone_number,
                   motive = excluded.motive, duration_seconds = excluded.duration_seconds,
                   called_at = excluded.called_at, agent_pk = excluded.agent_pk,
                   version = excluded.version, deleted = 0
               WHERE excluded.version >= phone_call.version""",
            (
                str(row.id), authority_pk, citizen_pk, request_pk, row.caller_name,
                row.phone_number or "", row.motive,
                # Clamped like attachment sizes: one bad row must not stop every later sync.
                min(max(row.duration_seconds, 0), 86_400),
                legal_time(row.called_at), self.pk("agent", row.agent_id), row.version,
            ),
        )

    def _parapheur_folders(self, row: ParapheurFolderRow) -> None:
        """Upserted on its id: the folder this PC queued (« en attente d'envoi ») becomes the
        server's once pulled back; the server's row wins, states and signed PDF included."""
        from desktop.store.replies import apply_folder_row

        authority_pk = self.need("authority", row.authority_id)
        request_pk = self._optional("request", row.request_id, False)
        apply_folder_row(self.conn, row, authority_pk, request_pk)

    def _messages(self, row: MessageRow) -> None:
        """The request's thread (issue 12) and the proof of an e-mail's sending (delivery,
        SMTP answer, failure). ``read_at`` is this PC's own: a pull never resets it."""
        request_pk = self.need("request", row.request_id)
        self.conn.execute(
            """INSERT INTO message (id, request_pk, direction, channel, subject, at, to_email,
                   delivery, delivered_at, smtp_message_id, smtp_response, failure, version,
                   deleted, body, agent_pk, attachment_ids)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
               ON CONFLICT(id) DO UPDATE SET request_pk = excluded.request_pk,
                   direction = excluded.direction, channel = excluded.channel,
                   subject = excluded.subject, at = excluded.at, to_email = excluded.to_email,
                   delivery = excluded.delivery, delivered_at = excluded.delivered_at,
                   smtp_message_id = excluded.smtp_message_id,
                   smtp_response = excluded.smtp_response, failure = excluded.failure,
                   version = excluded.version, deleted = 0, body = excluded.body,
                   agent_pk = excluded.agent_pk, attachment_ids = excluded.attachment_ids
               WHERE excluded.version >= message.version""",
            (str(row.id), request_pk, row.direction.value, row.channel.value, row.subject,
             legal_time(row.at), row.to_email, row.delivery, legal_time(row.delivered_at),
             row.smtp_message_id, row.smtp_response, row.failure, row.version, row.body,
             self.pk("agent", row.agent_id), json.dumps([str(a) for a in row.attachment_ids])),
        )

    def _optional(self, table: str, row_id: Any, placeholders: bool) -> int | None:
        """An optional link: waits (parks) for a parent that has not arrived yet, unless the
        pull is complete (``placeholders``) and it never will."""
        found = self.pk(table, row_id)
        if found is None and row_id is not None and not placeholders:
            raise _Parked(str(row_id))
        return found


def _iso_day(value: object) -> str | None:
    """A day from an event's data, or None when absent or not a date (never trust it blindly:
    it came over the network)."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None


def blob_dir(conn: sqlite3.Connection) -> Path:
    """The content-addressed cache of attachment files, beside the database file."""
    row = conn.execute("PRAGMA database_list").fetchone()
    main = row[2] if row and row[2] else ""
    base = Path(main).parent if main else Path(tempfile.gettempdir())
    return base / "pieces-jointes"


def blob_path(conn: sqlite3.Connection, sha256: str) -> Path:
    return blob_dir(conn) / sha256[:2] / sha256


def _settle_merge(conn: sqlite3.Connection, mutation_id: int, outcome: MutationOutcome) -> None:
    """A ``citizen.merge`` answered: kept when applied, undone locally otherwise (issue 12)."""
    from desktop.store.citizens import forget_pending_merge, undo_pending_merge

    if outcome is MutationOutcome.APPLIED:
        forget_pending_merge(conn, mutation_id)
    else:
        undo_pending_merge(conn, mutation_id)


def conflicts(conn: sqlite3.Connection, *, open_only: bool = True) -> list[sqlite3.Row]:
    """The « Conflits » list: both values side by side, newest first."""
    where = "WHERE resolved_at IS NULL" if open_only else ""
    return conn.execute(
        f"SELECT pk, entity, row_id, field, local_value, server_value, mutation_name, reason, "
        f"detected_at, resolved_at, resolution FROM sync_conflict {where} ORDER BY pk DESC"
    ).fetchall()


def resolve_conflict(
    conn: sqlite3.Connection, conflict_pk: int, keep: str, *, agent_id: str | None = None
) -> None:
    """The secrétaire chose: ``keep="server"`` closes the conflict as is; ``keep="local"``
    makes her value a new change, queued like any other (the server may still refuse it)."""
    if keep not in ("server", "local"):
        raise ValueError(keep)
    row = conn.execute(
        "SELECT entity, row_id, field, local_value FROM sync_conflict "
        "WHERE pk = ? AND resolved_at IS NULL",
        (conflict_pk,),
    ).fetchone()
    if row is None:
        return
    if keep == "local" and row["entity"] in (Entity.PROCEDURES.value, Entity.AUTHORITIES.value):
        from desktop.store.commune_admin import keep_local_value

        keep_local_value(conn, row["entity"], row["row_id"], row["field"],
                         json.loads(row["local_value"]), agent_id=agent_id)
    if keep == "local" and row["entity"] == Entity.REQUESTS.value:
        from desktop.store.requests import set_status, update_fields

        value = json.loads(row["local_value"])
        found = conn.execute("SELECT pk FROM request WHERE id = ?", (row["row_id"],)).fetchone()
        if found is not None and row["field"] == "status" and value:
            set_status(conn, found[0], Status(value), agent_id=agent_id)
        elif found is not None and row["field"] in ("subject", "description", "form_fields"):
            update_fields(conn, found[0], {row["field"]: value})
    conn.execute(
        "UPDATE sync_conflict SET resolved_at = ?, resolution = ? WHERE pk = ?",
        (iso(utc_now()), keep, conflict_pk),
    )
