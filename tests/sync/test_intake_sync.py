"""End to end against the real server process: a paper request registered at the desk, with a
new citizen, reaches the server with the agent's receipt date, and the next pull gives the
local row the server's final number in place of the provisional one."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desktop.domain.legal_time import stored, to_wire
from desktop.store.database import connect
from desktop.store.intake import (
    NewCitizen,
    NewRequest,
    procedures_for,
    register_request,
)
from desktop.store.outbox import pending_count, rejections
from sync.protocol.vocabulary import Channel
from sync.store import AGENT_ID
from tests.factories import check_search_index, search
from tests.sync.conftest import ServerProcess, local_db, sync_in_process


def _server_time(value: object) -> datetime:
    """A datetime as the server's SQLite holds it (UTC, the zone dropped by SQLite)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@pytest.fixture
def synced(server: ServerProcess, tmp_path: Path) -> Path:
    """A PC's database after its first sync with the server."""
    db = local_db(tmp_path / "poste.sqlite3")
    sync_in_process(server.url, db)
    return db


def test_paper_request_with_new_citizen_reaches_the_server_and_gets_its_number(
    server: ServerProcess, synced: Path
) -> None:
    db = synced
    conn = connect(db)
    authority_id = server.authority_ids()[0]
    authority_pk = conn.execute(
        "SELECT pk FROM authority WHERE id = ?", (authority_id,)).fetchone()[0]
    procedure = procedures_for(conn, authority_pk)[0]
    agent_id = conn.execute("SELECT value FROM sync_state WHERE key = ?", (AGENT_ID,)).fetchone()[0]
    # Received by post two days ago at 9:30, registered now.
    received = (datetime.now() - timedelta(days=2)).replace(hour=9, minute=30, second=0,
                                                            microsecond=0)
    pk = register_request(conn, NewRequest(
        authority_pk=authority_pk,
        procedure_pk=int(procedure.key),
        channel=Channel.PAPER,
        received_at=received,
        subject="Réservation de la salle des fêtes",
        body="Pour le repas des aînés.",
        new_citizen=NewCitizen(last_name="Noël", first_name="Éloïse",
                               email="eloise.noel@example.fr", address="3 rue des Lilas",
                               postcode="88700", city="Rambervillers"),
    ), agent_id=agent_id)
    request_id, provisional, citizen_id = conn.execute(
        "SELECT r.id, r.number, c.id FROM request r JOIN citizen c ON c.pk = r.citizen_pk "
        "WHERE r.pk = ?", (pk,)).fetchone()
    assert provisional == f"P-{received.year}-0001"
    assert pending_count(conn) == 2
    conn.close()

    report = sync_in_process(server.url, db)
    assert (report.applied, report.rejected) == (2, 0)

    # The server holds the request as the agent entered it, with the citizen.
    found = server.query(
        "SELECT r.number, r.channel, r.received_at, r.subject, r.description, c.last_name, "
        "c.first_name, c.email, c.postal_address, r.created_by "
        "FROM requests r JOIN citizens c ON c.id = r.citizen_id WHERE r.id = ?",
        uuid.UUID(request_id).hex,
    )
    assert len(found) == 1
    number, channel, received_at, subject, description, *citizen, created_by = found[0]
    assert channel == "paper"
    # The agent's 9:30, French legal time, as the instant the server keeps (in UTC).
    assert _server_time(received_at) == to_wire(received).astimezone(UTC)
    assert (subject, description) == ("Réservation de la salle des fêtes",
                                      "Pour le repas des aînés.")
    assert citizen == ["Noël", "Éloïse", "eloise.noel@example.fr",
                       "3 rue des Lilas, 88700 Rambervillers"]
    assert uuid.UUID(str(created_by)) == uuid.UUID(agent_id)
    assert number.startswith(f"{received.year}-") and len(number) == 11

    # Locally: the same row (same pk), now with the server's number and version; the receipt
    # time the agent typed is unchanged; the history was adopted, not doubled.
    conn = connect(db)
    try:
        row = conn.execute(
            "SELECT r.pk, r.number, r.version, r.received_at, c.id, c.display_name, "
            "c.version AS citizen_version "
            "FROM request r JOIN citizen c ON c.pk = r.citizen_pk WHERE r.id = ?",
            (request_id,),
        ).fetchone()
        assert row["pk"] == pk
        assert row["number"] == number != provisional
        assert row["version"] > 0
        assert row["received_at"] == stored(received)
        assert (row["id"], row["display_name"]) == (citizen_id, "NOËL Éloïse")
        assert row["citizen_version"] > 0
        events = [e[0] for e in conn.execute(
            "SELECT kind FROM event WHERE request_pk = ? AND version > 0", (pk,))]
        assert events.count("created") == 1
        assert conn.execute(
            "SELECT COUNT(*) FROM event WHERE request_pk = ? AND kind = 'created'", (pk,)
        ).fetchone()[0] == 1
        assert pending_count(conn) == 0 and rejections(conn) == []
        assert search(conn, number) == {pk}
        assert search(conn, "eloise noel") == {pk}
        check_search_index(conn)
    finally:
        conn.close()


def test_nothing_is_queued_for_a_commune_the_server_does_not_know(
    server: ServerProcess, synced: Path
) -> None:
    """A local-only commune in a synced database (the demonstration's) keeps its requests."""
    db = synced
    conn: sqlite3.Connection = connect(db)
    try:
        authority_pk = conn.execute(
            "INSERT INTO authority (id, name, department) VALUES (?, 'Mairie locale', '88')",
            (str(uuid.uuid4()),),
        ).lastrowid
        procedure_pk = conn.execute(
            "INSERT INTO procedure (id, code, name, silence_rule) "
            "VALUES (?, 'x', 'Démarche locale', 'accept')", (str(uuid.uuid4()),)
        ).lastrowid
        pk = register_request(conn, NewRequest(
            authority_pk=int(authority_pk or 0), procedure_pk=int(procedure_pk or 0),
            channel=Channel.PHONE, received_at=datetime.now(), subject="Appel",
            new_citizen=NewCitizen(last_name="Roux"),
        ), agent_id=None)
        assert pending_count(conn) == 0
        assert conn.execute("SELECT number FROM request WHERE pk = ?",
                            (pk,)).fetchone()[0] == f"{datetime.now().year}-000001"
    finally:
        conn.close()
    report = sync_in_process(server.url, db)
    assert report.applied == 0 and report.rejected == 0
