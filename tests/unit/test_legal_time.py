"""Instants are stored in UTC and shown in the commune's legal zone, whatever the PC's zone.

Issue 9, item 2: on a PC whose clock runs on UTC, local events were written in the PC's zone
and pulled ones in Paris time, so the history came out of order after a sync. These tests run
the store under other process zones (``TZ`` + ``time.tzset``) and check the order and the hours
a person reads.
"""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.documents import LetterKind
from desktop.documents.fields import build_fields
from desktop.domain.legal_time import (
    OVERSEAS_ZONES,
    as_instant,
    in_zone,
    local_day,
    parse_stored,
    stored,
    to_local,
    to_wire,
    utc_now,
    zone_for,
)
from desktop.services.letters import letter_context
from desktop.store.database import connect
from desktop.store.inbox import InboxRepository
from desktop.store.legal import legal_facts
from desktop.store.requests import set_status
from desktop.store.sync_store import SqliteSyncStore
from desktop.views.formatting import moment_fr
from sync.protocol.vocabulary import Status
from sync.protocol.wire import AuthorityRow, CitizenRow, EventRow, PullResponse, RequestRow
from tests.conftest import migration_version

PARIS = ZoneInfo("Europe/Paris")
REUNION = ZoneInfo("Indian/Reunion")


@pytest.fixture(params=["UTC", "America/New_York", "Asia/Tokyo"])
def pc_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The PC's clock set to another zone than the commune's, for the whole process."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def _world(conn: sqlite3.Connection, department: str, received: datetime) -> tuple[int, uuid.UUID]:
    """One commune of ``department`` and one request, pulled from the server."""
    authority, citizen, request = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    SqliteSyncStore(conn).apply_page(PullResponse(
        epoch="e1", cursor=3, has_more=False,
        authorities=[AuthorityRow(id=authority, version=1, name="Mairie de Test",
                                  kind="commune", department_code=department,
                                  address="1 place de la Mairie, 97400 Saint-Denis")],
        citizens=[CitizenRow(id=citizen, version=2, authority_id=authority, kind="person",
                             last_name="Payet", first_name="Marie", created_at=received,
                             updated_at=received)],
        requests=[RequestRow(id=request, version=3, authority_id=authority,
                             number="2026-000001", citizen_id=citizen, channel="web",
                             subject="Acte de naissance", description="", status="received",
                             received_at=received, registered_at=received, created_at=received,
                             updated_at=received)],
    ))
    pk = conn.execute("SELECT pk FROM request WHERE id = ?", (str(request),)).fetchone()[0]
    return pk, authority


def _pull_event(conn: sqlite3.Connection, authority: uuid.UUID, pk: int, at: datetime) -> None:
    request_id = uuid.UUID(conn.execute("SELECT id FROM request WHERE pk = ?", (pk,)).fetchone()[0])
    SqliteSyncStore(conn).apply_page(PullResponse(
        epoch="e1", cursor=9, has_more=False,
        events=[EventRow(id=uuid.uuid4(), version=9, authority_id=authority,
                         request_id=request_id, kind="note", at=at, data={"text": "Appel"})],
    ))


def test_history_stays_in_order_after_a_sync_whatever_the_pc_zone(
    pc_zone: str, empty_db: sqlite3.Connection
) -> None:
    """A server event of half an hour ago, then a local change now: the local one is the
    newest, and both read in Paris time (not the PC's)."""
    now = utc_now()
    pk, authority = _world(empty_db, "67", now - timedelta(hours=2))
    _pull_event(empty_db, authority, pk, now - timedelta(minutes=30))
    set_status(empty_db, pk, Status.ACKNOWLEDGED, agent_id=None)  # stamped by the PC's clock

    events = InboxRepository(empty_db).detail(pk).events  # type: ignore[union-attr]
    kinds = [e.kind for e in events]
    assert kinds.index("status_changed") < kinds.index("note"), kinds  # newest first
    shown = {e.kind: moment_fr(e.at) for e in events}
    server_at = (now - timedelta(minutes=30)).astimezone(PARIS)
    assert shown["note"].endswith(f"à {server_at:%H:%M}")
    local_at = now.astimezone(PARIS)
    assert shown["status_changed"].endswith(f"à {local_at:%H:%M}") or shown[
        "status_changed"].endswith(f"à {(local_at + timedelta(minutes=1)):%H:%M}")


def test_a_reunion_commune_reads_reunion_time(
    pc_zone: str, empty_db: sqlite3.Connection
) -> None:
    """Received at 20:30 UTC on 23 November: it is 00:30 on the 24th in Saint-Denis, and the
    24th is the day the law counts from."""
    received = datetime(2026, 11, 23, 20, 30, tzinfo=UTC)
    pk, _ = _world(empty_db, "974", received)
    repo = InboxRepository(empty_db)
    row = repo.rows([pk])[pk]
    assert moment_fr(row.received_at) == "24 novembre 2026 à 00:30"
    assert row.received_at.utcoffset() == timedelta(hours=4)
    facts = legal_facts(empty_db, pk)
    assert facts.received_at.date() == date(2026, 11, 24)
    # The registration receipt is due the working day after receipt (R112-11-1): Wednesday
    # 25 November counted from Réunion's Tuesday 24th, not from Paris's Monday 23rd.
    assert facts.legal_dates(date(2026, 11, 24)).registration_receipt_due == date(2026, 11, 25)
    fields = build_fields(letter_context(LetterKind.ACKNOWLEDGEMENT, facts, date(2026, 11, 24)))
    assert fields["date_reception"] == "24 novembre 2026"
    assert fields["heure_reception"] == "0 h 30"


def test_the_same_instant_in_paris_is_still_the_23rd(empty_db: sqlite3.Connection) -> None:
    received = datetime(2026, 11, 23, 20, 30, tzinfo=UTC)
    pk, _ = _world(empty_db, "88", received)
    assert moment_fr(InboxRepository(empty_db).rows([pk])[pk].received_at) == (
        "23 novembre 2026 à 21:30"
    )


def test_overseas_zones() -> None:
    assert zone_for("974") == REUNION
    assert zone_for("971") == ZoneInfo("America/Guadeloupe")
    assert zone_for("972") == ZoneInfo("America/Martinique")
    assert zone_for("973") == ZoneInfo("America/Cayenne")
    assert zone_for("976") == ZoneInfo("Indian/Mayotte")
    assert zone_for("975") == ZoneInfo("America/Miquelon")
    assert zone_for("977") == ZoneInfo("America/St_Barthelemy")
    assert zone_for("978") == ZoneInfo("America/Marigot")
    for department in ("67", "2A", "2B", "75", "", None):
        assert zone_for(department) == PARIS
    # A Guadeloupe evening is already the next day in UTC: the commune's day is kept.
    assert local_day(datetime(2026, 11, 24, 2, 0, tzinfo=UTC), "971") == date(2026, 11, 23)


def test_older_stores_are_converted_from_paris_time(tmp_path: pytest.TempPathFactory) -> None:
    """Migration utc_instants_and_letters: naive times were metropolitan legal time, summer or
    winter."""
    path = tmp_path / "old.sqlite3"  # type: ignore[operator]
    conn = connect(path, target=migration_version("utc_instants_and_letters") - 1)
    conn.execute("INSERT INTO authority (id, name, department) VALUES ('a', 'A', '88')")
    conn.execute("INSERT INTO procedure (id, code, name, silence_rule) VALUES ('p', 'p', 'P', "
                 "'accept')")
    conn.execute("INSERT INTO citizen (id, authority_pk, kind, display_name, sort_key) "
                 "VALUES ('c', 1, 'person', 'X', 'x')")
    conn.execute("INSERT INTO request (id, authority_pk, number, received_at, channel, "
                 "citizen_pk, procedure_pk, subject, acknowledged_at) VALUES ('r', 1, "
                 "'2026-000001', '2026-07-01T10:00:00', 'paper', 1, 1, 'S', "
                 "'2026-11-23T10:00:00')")
    conn.execute("INSERT INTO event (id, request_pk, at, kind) VALUES "
                 "('e', 1, '2026-07-01T10:00:00', 'created')")
    conn.close()
    conn = connect(path)
    row = conn.execute("SELECT received_at, acknowledged_at FROM request").fetchone()
    assert tuple(row) == ("2026-07-01T08:00:00+00:00", "2026-11-23T09:00:00+00:00")
    assert conn.execute("SELECT at FROM event").fetchone()[0] == "2026-07-01T08:00:00+00:00"
    with pytest.raises(sqlite3.DatabaseError, match="historique"):
        conn.execute("UPDATE event SET at = 'x'")
    conn.close()


DEPARTMENTS = st.sampled_from(["67", "2A", *OVERSEAS_ZONES])
INSTANTS = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(moment=INSTANTS, department=DEPARTMENTS)
def test_round_trips(moment: datetime, department: str) -> None:
    """Stored and read back, shown and typed back: the same instant, in every commune,
    including the hour that happens twice when clocks go back."""
    moment = moment.replace(microsecond=0)
    assert parse_stored(stored(moment)) == moment
    assert in_zone(moment, department) == moment
    wall = to_local(moment, department)
    assert wall.tzinfo is None
    assert to_wire(wall, department) == moment
    assert stored(in_zone(moment, department)) == stored(moment)
    assert as_instant(wall, department).tzinfo is UTC


@settings(max_examples=50, deadline=None)
@given(moment=INSTANTS, zone=st.sampled_from(["UTC", "America/New_York", "Pacific/Auckland"]))
def test_the_pc_zone_plays_no_part(moment: datetime, zone: str) -> None:
    before = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        assert stored(moment) == moment.astimezone(UTC).replace(microsecond=0).isoformat()
        assert in_zone(moment, "74").utcoffset() == moment.astimezone(PARIS).utcoffset()
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()
