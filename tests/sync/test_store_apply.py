"""Applying pulled pages to the local schema, without a server: parents that arrive late,
tombstones, local changes kept while their mutation waits."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime

import pytest

from desktop.store.requests import set_status
from desktop.store.sync_store import SqliteSyncStore
from sync.protocol.vocabulary import Status
from sync.protocol.wire import (
    AuthorityRow,
    CitizenRow,
    EventRow,
    PullResponse,
    RequestRow,
    Tombstone,
)

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
AUTHORITY = uuid.uuid4()


def page(cursor: int, more: bool = True, **rows: object) -> PullResponse:
    return PullResponse(epoch="e1", cursor=cursor, has_more=more, **rows)  # type: ignore[arg-type]


def authority(version: int = 1) -> AuthorityRow:
    return AuthorityRow(id=AUTHORITY, version=version, name="Mairie de Test", kind="commune",
                        department_code="88", address="1 place de la Mairie, 88700 Testville")


def citizen(cid: uuid.UUID, version: int) -> CitizenRow:
    return CitizenRow(id=cid, version=version, authority_id=AUTHORITY, kind="person",
                      last_name="Durand", first_name="Sophie", created_at=NOW, updated_at=NOW)


def request(rid: uuid.UUID, version: int, cid: uuid.UUID | None, status: str = "received",
            subject: str = "Acte de naissance") -> RequestRow:
    return RequestRow(id=rid, version=version, authority_id=AUTHORITY, number="2026-000001",
                      citizen_id=cid, channel="web", subject=subject, description="",
                      status=status, received_at=NOW, registered_at=NOW, created_at=NOW,
                      updated_at=NOW)


def event(rid: uuid.UUID, version: int, kind: str = "created") -> EventRow:
    return EventRow(id=uuid.uuid4(), version=version, authority_id=AUTHORITY, request_id=rid,
                    kind=kind, at=NOW, data={})


@pytest.fixture
def store(empty_db: sqlite3.Connection) -> SqliteSyncStore:
    return SqliteSyncStore(empty_db)


def test_children_wait_for_parents_that_come_later(store: SqliteSyncStore) -> None:
    rid, cid = uuid.uuid4(), uuid.uuid4()
    # Page 1: the authority and the request's history; the request itself was edited later.
    store.apply_page(page(3, authorities=[authority()], events=[event(rid, 2)]))
    assert store.conn.execute("SELECT COUNT(*) FROM event").fetchone()[0] == 0
    # Page 2: the request, whose citizen was edited even later.
    store.apply_page(page(5, requests=[request(rid, 5, cid)]))
    assert store.conn.execute("SELECT COUNT(*) FROM request").fetchone()[0] == 0
    parked = store.conn.execute("SELECT entity FROM sync_parked ORDER BY entity").fetchall()
    assert [p[0] for p in parked] == ["events", "requests"]
    # Page 3: the citizen: the request, then its history, land in the same transaction.
    store.apply_page(page(7, more=False, citizens=[citizen(cid, 7)]))
    row = store.conn.execute(
        "SELECT r.subject, c.display_name, r.received_at, r.due_date FROM request r "
        "JOIN citizen c ON c.pk = r.citizen_pk").fetchone()
    assert row[0] == "Acte de naissance" and row[1] == "DURAND Sophie"
    assert row[2] == "2026-11-23T09:30:00+00:00"  # kept in UTC, read in the commune's zone
    assert row[3] is not None
    assert store.conn.execute("SELECT COUNT(*) FROM event").fetchone()[0] == 1
    assert store.conn.execute("SELECT COUNT(*) FROM sync_parked").fetchone()[0] == 0
    assert store.get_state("cursor") == "7"


def test_request_without_citizen_or_procedure_gets_placeholders(store: SqliteSyncStore) -> None:
    rid = uuid.uuid4()
    store.apply_page(page(2, more=False, authorities=[authority()],
                          requests=[request(rid, 2, None)]))
    name, procedure, rule = store.conn.execute(
        "SELECT c.display_name, p.name, p.silence_rule FROM request r "
        "JOIN citizen c ON c.pk = r.citizen_pk JOIN procedure p ON p.pk = r.procedure_pk"
    ).fetchone()
    assert name == "(usager non renseigné)"
    assert (procedure, rule) == ("(démarche non précisée)", "accept")


def test_tombstone_hides_the_row_and_drops_what_waited_for_it(store: SqliteSyncStore) -> None:
    rid, gone = uuid.uuid4(), uuid.uuid4()
    store.apply_page(page(3, authorities=[authority()], requests=[request(rid, 2, None)],
                          events=[event(gone, 3)]))
    store.apply_page(page(5, more=False, tombstones=[
        Tombstone(entity="requests", id=rid, version=4),
        Tombstone(entity="requests", id=gone, version=5),
    ]))
    assert store.conn.execute("SELECT deleted FROM request WHERE id = ?",
                              (str(rid),)).fetchone()[0] == 1
    assert store.conn.execute("SELECT COUNT(*) FROM sync_parked").fetchone()[0] == 0


def test_pending_local_change_survives_a_pull(store: SqliteSyncStore) -> None:
    rid = uuid.uuid4()
    store.apply_page(page(2, more=False, authorities=[authority()],
                          requests=[request(rid, 2, None)]))
    pk = store.conn.execute("SELECT pk FROM request").fetchone()[0]
    set_status(store.conn, pk, Status.CLOSED, agent_id=None)  # queued, not sent yet
    # Meanwhile someone renamed the request on the server.
    store.apply_page(page(3, more=False, requests=[request(rid, 3, None, subject="Renommée")]))
    subject, status = store.conn.execute("SELECT subject, status FROM request").fetchone()
    assert subject == "Renommée"   # the server's news arrives
    assert status == "closed"      # the secrétaire's change does not flicker back
