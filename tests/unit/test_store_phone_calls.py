"""The phone call log (``desktop.store.phone_calls``): a call is written locally in one
transaction with its ``phone_call.add`` mutation when the commune is shared with the server,
links the server could not resolve are left out of the mutation, and pulled calls land in the
same table without doubling the ones logged here.

The two worlds of the intake tests: a purely local database (the offline demonstration) and
one whose commune, agent, démarche and a citizen came from a pull through ``SqliteSyncStore``.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.domain.legal_time import to_wire
from desktop.store.database import StoreError, connect, latest_version, schema_version
from desktop.store.intake import NewCitizen
from desktop.store.phone_calls import (
    MAX_DURATION,
    NewCall,
    call_problems,
    calls_for_request,
    citizen_from_caller,
    log_call,
    recent_calls,
    request_link,
)
from desktop.store.sync_store import SqliteSyncStore
from desktop.views.formatting import duration_fr, numeric_moment_fr
from sync.protocol.wire import (
    Entity,
    PhoneCallAddArgs,
    PhoneCallRow,
    PullResponse,
    RequestRow,
    Tombstone,
)
from tests.factories import add_citizen, add_request, add_world, integrity_check
from tests.unit.test_store_intake import NOW, T0, Local, Shared

CALLED = datetime(2026, 11, 23, 14, 5, 10)  # Monday, 14:05 in Paris (UTC+1)
NBSP = "\u00a0"
COUNTED = ("phone_call", "sync_outbox")


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in COUNTED}


def mutations(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT name, args, base_version, entity, row_id FROM sync_outbox "
        "WHERE name = 'phone_call.add' ORDER BY mutation_id"
    ).fetchall()


def call_row(conn: sqlite3.Connection, pk: int) -> sqlite3.Row:
    return conn.execute("SELECT * FROM phone_call WHERE pk = ?", (pk,)).fetchone()


def new_call(world: Local, **fields: Any) -> NewCall:
    values: dict[str, Any] = {
        "authority_pk": world.authority,
        "caller_name": "  Éloïse Noël ",
        "phone_number": "03 29 41 22 10",
        "motive": "Réservation de la salle des fêtes\nPour le repas des aînés.",
        "duration_seconds": 200,
        "called_at": CALLED,
    }
    values.update(fields)
    return NewCall(**values)


def log(world: Local, **fields: Any) -> int:
    return log_call(world.conn, new_call(world, **fields), agent_id=world.agent_id, now=NOW)


@pytest.fixture
def local(empty_db: sqlite3.Connection) -> Local:
    return Local(empty_db)


@pytest.fixture
def shared(empty_db: sqlite3.Connection) -> Shared:
    return Shared(empty_db)


def pulled_request(shared: Shared, version: int = 20) -> int:
    """A request the server sent (version > 0), of the shared commune."""
    pk = shared.register(new_citizen=None, citizen_pk=shared.citizen)
    SqliteSyncStore(shared.conn).apply_rows(
        Entity.REQUESTS, [shared.pulled(pk, "2026-000042", version)]
    )
    shared.conn.execute("DELETE FROM sync_outbox")  # as after the push that sent them
    return pk


# --------------------------------------------------------------------------- checking


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"caller_name": "   "}, "Le nom de l'appelant est obligatoire."),
        ({"caller_name": "x" * 201}, "Le nom de l'appelant compte 201 caractères : 200 au plus."),
        ({"phone_number": "0" * 41},
         "Le numéro de téléphone compte 41 caractères : 40 au plus."),
        ({"motive": "m" * 20_001}, "Le motif dépasse 20 000 caractères : résumez-le."),
        ({"duration_seconds": -1}, "La durée de l'appel doit être comprise entre 0 et 24 heures."),
        ({"duration_seconds": MAX_DURATION + 1},
         "La durée de l'appel doit être comprise entre 0 et 24 heures."),
        ({"called_at": NOW + timedelta(seconds=1)},
         "L'heure de l'appel ne peut pas être dans le futur."),
    ],
)
def test_a_wrong_entry_is_refused_in_french_and_nothing_is_written(
    shared: Shared, fields: dict[str, Any], message: str
) -> None:
    before = counts(shared.conn)
    with pytest.raises(StoreError) as caught:
        log(shared, **fields)
    assert str(caught.value) == message
    assert counts(shared.conn) == before
    assert not shared.conn.in_transaction


def test_every_problem_is_told_at_once(local: Local) -> None:
    problems = call_problems(
        new_call(local, caller_name="", duration_seconds=-5, called_at=NOW + timedelta(hours=1)),
        NOW,
    )
    assert problems == [
        "Le nom de l'appelant est obligatoire.",
        "La durée de l'appel doit être comprise entre 0 et 24 heures.",
        "L'heure de l'appel ne peut pas être dans le futur.",
    ]


def test_links_must_belong_to_the_commune(shared: Shared) -> None:
    other_citizen = add_citizen(shared.conn, shared.other_authority, "ROUX Léa")
    request = pulled_request(shared)
    before = counts(shared.conn)
    with pytest.raises(StoreError, match="Cet usager est introuvable dans cette commune."):
        log(shared, citizen_pk=other_citizen)
    with pytest.raises(StoreError, match="Cette demande est introuvable dans cette commune."):
        log(shared, authority_pk=shared.other_authority, request_pk=request)
    with pytest.raises(StoreError, match="Cette commune n'existe plus"):
        log(shared, authority_pk=9999)
    assert counts(shared.conn) == before


# --------------------------------------------------------------------------- writing


def test_the_call_and_its_mutation_are_written_together(shared: Shared) -> None:
    request = pulled_request(shared)
    pk = log(shared, request_pk=request, citizen_pk=shared.citizen)
    conn = shared.conn
    row = call_row(conn, pk)
    assert (row["authority_pk"], row["request_pk"], row["citizen_pk"]) == (
        shared.authority, request, shared.citizen)
    assert row["caller_name"] == "Éloïse Noël"  # trimmed
    assert (row["phone_number"], row["duration_seconds"]) == ("03 29 41 22 10", 200)
    assert row["motive"] == "Réservation de la salle des fêtes\nPour le repas des aînés."
    assert row["called_at"] == "2026-11-23T13:05:10+00:00"  # 14:05:10 in Paris, kept in UTC
    assert (row["version"], row["deleted"]) == (0, 0)
    agent = conn.execute("SELECT id FROM agent WHERE pk = ?", (row["agent_pk"],)).fetchone()[0]
    assert agent == shared.agent_id

    [mutation] = mutations(conn)
    assert (mutation["entity"], mutation["row_id"], mutation["base_version"]) == (
        "phone_calls", row["id"], 0)
    args = PhoneCallAddArgs.model_validate(json.loads(mutation["args"]))
    assert args.id == uuid.UUID(row["id"])
    assert args.authority_id == shared.authority_id
    assert args.request_id == uuid.UUID(
        conn.execute("SELECT id FROM request WHERE pk = ?", (request,)).fetchone()[0])
    assert args.citizen_id == shared.citizen_id
    assert (args.caller_name, args.phone_number, args.duration_seconds) == (
        "Éloïse Noël", "03 29 41 22 10", 200)
    # The server refuses a naive time: the instant goes with its zone, 14:05:10 in Paris.
    assert args.called_at is not None and args.called_at.tzinfo is not None
    assert args.called_at == datetime(2026, 11, 23, 13, 5, 10, tzinfo=UTC)
    assert args.called_at == to_wire(CALLED)
    integrity_check(conn)


def test_an_empty_number_travels_as_null(shared: Shared) -> None:
    log(shared, phone_number="  ", motive="")
    args = json.loads(mutations(shared.conn)[0]["args"])
    assert (args["phone_number"], args["motive"]) == (None, "")


def test_a_failing_mutation_takes_the_call_back_with_it(shared: Shared) -> None:
    """One transaction: when the outbox cannot take the mutation, the call is not kept."""
    shared.conn.execute(
        "CREATE TEMP TRIGGER outbox_full BEFORE INSERT ON sync_outbox "
        "BEGIN SELECT RAISE(ABORT, 'disque plein'); END"
    )
    before = counts(shared.conn)
    with pytest.raises(StoreError, match="disque plein") as caught:
        log(shared)
    assert "Rien n'a été enregistré" in str(caught.value)
    assert counts(shared.conn) == before
    assert not shared.conn.in_transaction


def test_no_mutation_for_a_commune_the_server_does_not_know(local: Local) -> None:
    citizen = add_citizen(local.conn, local.authority)
    pk = log(local, citizen_pk=citizen)
    assert call_row(local.conn, pk)["citizen_pk"] == citizen
    assert counts(local.conn) == {"phone_call": 1, "sync_outbox": 0}


def test_local_only_links_are_left_out_of_the_mutation(shared: Shared) -> None:
    """A citizen or request the server never heard of would get the call refused: the call
    goes without the link, which stays on this PC."""
    citizen = add_citizen(shared.conn, shared.authority, "ROUX Léa")  # version 0, no upsert
    request = add_request(shared.conn, shared.authority, shared.citizen, shared.procedure,
                          number="2026-000777")
    pk = log(shared, citizen_pk=citizen, request_pk=request)
    row = call_row(shared.conn, pk)
    assert (row["citizen_pk"], row["request_pk"]) == (citizen, request)
    args = json.loads(mutations(shared.conn)[0]["args"])
    assert (args["citizen_id"], args["request_id"]) == (None, None)


def test_links_to_rows_whose_creation_is_queued_are_kept(shared: Shared) -> None:
    """Registered here, not sent yet: ``request.create`` goes first in the outbox, the
    server will know the request (and its new citizen) by the time the call arrives."""
    request = shared.register()
    citizen = shared.conn.execute(
        "SELECT citizen_pk FROM request WHERE pk = ?", (request,)).fetchone()[0]
    log(shared, request_pk=request, citizen_pk=citizen)
    names = [r[0] for r in shared.conn.execute(
        "SELECT name FROM sync_outbox ORDER BY mutation_id")]
    assert names == ["citizen.upsert", "request.create", "phone_call.add"]
    args = json.loads(mutations(shared.conn)[0]["args"])
    assert args["request_id"] is not None and args["citizen_id"] is not None


def test_links_to_rows_the_server_refused_are_left_out(shared: Shared) -> None:
    request = shared.register()
    shared.conn.execute(
        "UPDATE sync_outbox SET state = 'rejected', reason = 'Démarche inconnue.'")
    log(shared, request_pk=request)
    args = json.loads(mutations(shared.conn)[0]["args"])
    assert args["request_id"] is None


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(duration=st.integers(min_value=-100_000, max_value=200_000))
def test_durations_from_zero_to_a_day_are_accepted(shared: Shared, duration: int) -> None:
    before = counts(shared.conn)
    if 0 <= duration <= MAX_DURATION:
        pk = log(shared, duration_seconds=duration)
        assert call_row(shared.conn, pk)["duration_seconds"] == duration
        args = PhoneCallAddArgs.model_validate(json.loads(mutations(shared.conn)[-1]["args"]))
        assert args.duration_seconds == duration
    else:
        with pytest.raises(StoreError, match="entre 0 et 24 heures"):
            log(shared, duration_seconds=duration)
        assert counts(shared.conn) == before


# --------------------------------------------------------------------------- reading


def test_calls_of_a_request_and_recent_calls(shared: Shared) -> None:
    request = pulled_request(shared)
    first = log(shared, request_pk=request, called_at=CALLED - timedelta(days=1))
    second = log(shared, request_pk=request, caller_name="Paul Martin", duration_seconds=45)
    alone = log(shared, caller_name="Léa Roux", called_at=CALLED + timedelta(minutes=5))
    elsewhere = log(shared, authority_pk=shared.other_authority, caller_name="Jean Dupont")

    about = calls_for_request(shared.conn, request)
    assert [c.pk for c in about] == [first, second]  # oldest first, like the history
    call = about[1]
    assert (call.caller_name, call.duration_seconds, call.called_at) == (
        "Paul Martin", 45, CALLED.replace(tzinfo=ZoneInfo("Europe/Paris")))
    assert (call.agent, call.authority, call.request_number) == (
        "Sophie Martin", "Mairie de Rambervillers", "2026-000042")

    assert [c.pk for c in recent_calls(shared.conn)] == [alone, elsewhere, second, first]
    assert [c.pk for c in recent_calls(shared.conn, [shared.authority], limit=2)] == [
        alone, second]
    assert recent_calls(shared.conn, []) == []
    assert recent_calls(shared.conn)[0].request_number is None


def test_request_link(shared: Shared) -> None:
    request = pulled_request(shared)
    link = request_link(shared.conn, request)
    assert link is not None
    assert (link.number, link.authority_pk, link.citizen_pk) == (
        "2026-000042", shared.authority, shared.citizen)
    assert request_link(shared.conn, 9999) is None


@pytest.mark.parametrize(
    ("caller", "last", "first"),
    [
        ("Madame Éloïse NOËL", "NOËL", "Éloïse"),
        ("DURAND Sophie", "DURAND", "Sophie"),
        ("Jean de La Fontaine", "de La Fontaine", "Jean"),
        ("M. Martin", "Martin", ""),
        ("Roux", "Roux", ""),
    ],
)
def test_the_caller_as_a_new_citizen(caller: str, last: str, first: str) -> None:
    assert citizen_from_caller(caller, " 06 12 34 56 78 ") == NewCitizen(
        last_name=last, first_name=first, phone="06 12 34 56 78")


def test_durations_and_moments_in_french() -> None:
    assert duration_fr(200) == f"3{NBSP}min 20{NBSP}s"
    assert duration_fr(45) == f"45{NBSP}s"
    assert duration_fr(120) == f"2{NBSP}min"
    assert duration_fr(3900) == f"1{NBSP}h 05{NBSP}min"
    assert duration_fr(0) == f"0{NBSP}s"
    assert numeric_moment_fr(CALLED) == "23/11/2026 à 14:05"


# --------------------------------------------------------------------------- pulled


def wire_call(shared: Shared, call_id: uuid.UUID, version: int, **fields: Any) -> PhoneCallRow:
    values: dict[str, Any] = {
        "id": call_id, "version": version, "authority_id": shared.authority_id,
        "caller_name": "Paul Martin", "phone_number": None, "motive": "Horaires de la mairie",
        "duration_seconds": 61, "called_at": datetime(2026, 11, 23, 8, 0, tzinfo=UTC),
        "agent_id": shared.agent_uuid,
    }
    values.update(fields)
    return PhoneCallRow(**values)


def page(cursor: int, more: bool = False, **rows: object) -> PullResponse:
    return PullResponse(epoch="e1", cursor=cursor, has_more=more, **rows)  # type: ignore[arg-type]


def test_a_call_logged_here_and_pulled_back_is_not_doubled(shared: Shared) -> None:
    request = pulled_request(shared)
    pk = log(shared, request_pk=request, citizen_pk=shared.citizen)
    row = call_row(shared.conn, pk)
    args = PhoneCallAddArgs.model_validate(json.loads(mutations(shared.conn)[0]["args"]))
    shared.conn.execute("DELETE FROM sync_outbox")  # applied by the server
    echoed = wire_call(
        shared, uuid.UUID(row["id"]), 30, caller_name=args.caller_name,
        phone_number=args.phone_number, motive=args.motive,
        duration_seconds=args.duration_seconds, called_at=args.called_at,
        citizen_id=args.citizen_id, request_id=args.request_id,
    )
    SqliteSyncStore(shared.conn).apply_page(page(30, phone_calls=[echoed]))
    rows = shared.conn.execute("SELECT * FROM phone_call").fetchall()
    assert len(rows) == 1
    again = rows[0]
    assert again["pk"] == pk and again["version"] == 30
    for column in ("caller_name", "phone_number", "motive", "duration_seconds", "called_at",
                   "citizen_pk", "request_pk", "agent_pk", "authority_pk"):
        assert again[column] == row[column], column
    # An older copy (a page replayed after a crash) changes nothing.
    SqliteSyncStore(shared.conn).apply_page(page(31, phone_calls=[
        wire_call(shared, uuid.UUID(row["id"]), 12, caller_name="ancien")]))
    assert call_row(shared.conn, pk)["caller_name"] == "Éloïse Noël"


def test_a_pulled_call_waits_for_its_request(shared: Shared) -> None:
    store = SqliteSyncStore(shared.conn)
    request_row = RequestRow(
        id=uuid.uuid4(), version=40, authority_id=shared.authority_id, number="2026-000050",
        procedure_id=shared.procedure_id, citizen_id=shared.citizen_id, channel="phone",
        subject="Horaires", description="", status="received", received_at=T0,
        registered_at=T0, created_at=T0, updated_at=T0,
    )
    call_id = uuid.uuid4()
    # The request was edited after the call: it comes on a later page.
    store.apply_page(page(35, more=True, phone_calls=[
        wire_call(shared, call_id, 35, request_id=request_row.id)]))
    assert counts(shared.conn)["phone_call"] == 0
    store.apply_page(page(40, requests=[request_row]))
    [call] = recent_calls(shared.conn)
    assert (call.request_number, call.caller_name, call.agent) == (
        "2026-000050", "Paul Martin", "Sophie Martin")
    # 8:00 UTC, read as 9:00 in Paris
    assert call.called_at == datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert shared.conn.execute("SELECT COUNT(*) FROM sync_parked").fetchone()[0] == 0


def test_a_call_whose_request_never_comes_is_shown_unlinked(shared: Shared) -> None:
    call_id = uuid.uuid4()
    SqliteSyncStore(shared.conn).apply_page(page(5, phone_calls=[
        wire_call(shared, call_id, 5, request_id=uuid.uuid4(), citizen_id=uuid.uuid4(),
                  duration_seconds=10**6)]))
    row = shared.conn.execute("SELECT * FROM phone_call").fetchone()
    assert (row["request_pk"], row["citizen_pk"]) == (None, None)
    assert row["duration_seconds"] == MAX_DURATION  # clamped, the sync goes on
    assert shared.conn.execute("SELECT COUNT(*) FROM sync_parked").fetchone()[0] == 0


def test_tombstones_and_rebootstrap_hide_calls(shared: Shared) -> None:
    store = SqliteSyncStore(shared.conn)
    kept, removed, forgotten = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    store.apply_page(page(8, phone_calls=[
        wire_call(shared, kept, 6), wire_call(shared, removed, 7), wire_call(shared, forgotten, 8),
    ]))
    store.apply_page(page(9, tombstones=[Tombstone(entity="phone_calls", id=removed, version=9)]))
    assert len(recent_calls(shared.conn)) == 2
    # The server was restored: it sends back one call of the two.
    store.start_resync("e2")
    local_only = log(shared)  # logged meanwhile, still to be sent: untouched
    store.apply_page(page(3, phone_calls=[wire_call(shared, kept, 3)]))
    names = {c.pk for c in recent_calls(shared.conn)}
    assert names == {
        local_only,
        shared.conn.execute("SELECT pk FROM phone_call WHERE id = ?", (str(kept),)).fetchone()[0],
    }


# --------------------------------------------------------------------------- migration


def test_migration_0005_applies_on_a_version_4_database(tmp_path: Path) -> None:
    path = tmp_path / "v4.sqlite3"
    old = connect(path, target=4)
    world = add_world(old)
    tables = {r[0] for r in old.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "phone_call" not in tables
    old.close()

    conn = connect(path)
    try:
        assert schema_version(conn) == latest_version() >= 5
        integrity_check(conn)
        columns = {r[1] for r in conn.execute("PRAGMA table_info(phone_call)")}
        assert {"pk", "id", "authority_pk", "citizen_pk", "request_pk", "caller_name",
                "phone_number", "motive", "duration_seconds", "called_at", "agent_pk",
                "version", "deleted"} <= columns
        pk = log_call(conn, NewCall(authority_pk=world["authority"], caller_name="Roux",
                                    called_at=CALLED, request_pk=world["request"]),
                      agent_id=None, now=NOW)
        assert [c.pk for c in calls_for_request(conn, world["request"])] == [pk]
        with pytest.raises(sqlite3.IntegrityError):  # the schema holds the same limit
            conn.execute("UPDATE phone_call SET duration_seconds = 86401")
    finally:
        conn.close()

