"""Back-office intake (``desktop.store.intake``): a paper, phone, counter or e-mail request is
registered locally in one transaction and, when the commune is shared with the server, queued
as ``citizen.upsert`` then ``request.create``.

Two worlds: a purely local database (the offline demonstration: authorities of version 0) and
one whose commune, démarche, agent and a citizen came from a pull (version > 0), built through
the real ``SqliteSyncStore``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.domain.legal_time import LEGAL_ZONE as PARIS
from desktop.domain.legal_time import to_wire
from desktop.domain.text import fold
from desktop.store.database import StoreError, connect
from desktop.store.intake import (
    NewCitizen,
    NewRequest,
    find_citizens,
    procedures_for,
    register_request,
)
from desktop.store.outbox import pending_count
from desktop.store.requests import set_status
from desktop.store.sync_store import SqliteSyncStore
from sync.protocol.vocabulary import Channel, CitizenKind, Status
from sync.protocol.wire import (
    AgentRow,
    AuthorityRow,
    CitizenRow,
    CitizenUpsertArgs,
    Entity,
    EventRow,
    ProcedureRow,
    RequestCreateArgs,
    RequestRow,
)
from tests.factories import (
    add_agent,
    add_authority,
    add_citizen,
    add_procedure,
    add_request,
    check_search_index,
    integrity_check,
    search,
)

ROOT = Path(__file__).resolve().parents[2]
#: The secrétaire's clock in these tests: Monday 23 November 2026, 15:00 (local legal time).
NOW = datetime(2026, 11, 23, 15, 0)
RECEIVED = datetime(2026, 11, 20, 9, 30)  # a Friday: internal target 7 days later
ELOISE = NewCitizen(
    kind=CitizenKind.PERSON,
    last_name="Noël",
    first_name="Éloïse",
    email="eloise.noel@example.fr",
    phone="03 29 41 22 10",
    address="3 rue des Lilas",
    postcode="88700",
    city="Rambervillers",
)
COUNTED = ("citizen", "request", "event", "request_search", "sync_outbox", "setting")

# A valid SIRET (Luhn key) and RNA number.
SIRET = "73282932000074"
RNA = "W881234567"


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in COUNTED}


def outbox(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT name, args, base_version, entity, row_id FROM sync_outbox ORDER BY mutation_id"
    ).fetchall()


# --------------------------------------------------------------------------- the two worlds


class Local:
    """A database that never met a server (the demonstration's case)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.authority = add_authority(conn, "Mairie de Rambervillers")
        self.other_authority = add_authority(conn, "Mairie de Bitche", "57")
        self.procedure = add_procedure(conn, name="Réservation de salle")
        _pk, self.agent_id = add_agent(conn)

    def request(self, **fields: Any) -> NewRequest:
        values: dict[str, Any] = {
            "authority_pk": self.authority,
            "procedure_pk": self.procedure,
            "channel": Channel.PAPER,
            "received_at": RECEIVED,
            "subject": "Réservation de la salle des fêtes",
            "body": "Pour le repas des aînés du 12 décembre.",
            "new_citizen": ELOISE,
        }
        values.update(fields)
        return NewRequest(**values)

    def register(self, **fields: Any) -> int:
        return register_request(self.conn, self.request(**fields), agent_id=self.agent_id,
                                now=NOW)


T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


class Shared(Local):
    """A database whose commune, démarche, agent and one citizen came from the server."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.authority_id, other_id = uuid.uuid4(), uuid.uuid4()
        self.procedure_id, self.citizen_id = uuid.uuid4(), uuid.uuid4()
        self.agent_uuid = uuid.uuid4()
        store = SqliteSyncStore(conn)
        store.apply_rows(Entity.AUTHORITIES, [
            AuthorityRow(id=self.authority_id, version=3, name="Mairie de Rambervillers",
                         kind="commune", department_code="88"),
            AuthorityRow(id=other_id, version=4, name="Mairie de Bitche", kind="commune",
                         department_code="57"),
        ])
        store.apply_rows(Entity.AGENTS, [
            AgentRow(id=self.agent_uuid, version=5, login="secretaire",
                     display_name="Sophie Martin", role="clerk", active=True,
                     authority_ids=[self.authority_id]),
        ])
        store.apply_rows(Entity.PROCEDURES, [
            ProcedureRow(id=self.procedure_id, version=6, authority_id=self.authority_id,
                         code="salle", title="Réservation de salle", silence_rule="accept",
                         period_value=2, period_unit="months", active=True),
            ProcedureRow(id=uuid.uuid4(), version=7, authority_id=other_id, code="salle",
                         title="Réservation de salle (Bitche)", silence_rule="accept",
                         period_value=2, period_unit="months", active=True),
        ])
        store.apply_rows(Entity.CITIZENS, [
            CitizenRow(id=self.citizen_id, version=8, authority_id=self.authority_id,
                       kind="person", last_name="Durand", first_name="Sophie",
                       email="sophie.durand@example.fr", created_at=T0, updated_at=T0),
        ])
        self.authority = self.pk("authority", self.authority_id)
        self.other_authority = self.pk("authority", other_id)
        self.procedure = self.pk("procedure", self.procedure_id)
        self.citizen = self.pk("citizen", self.citizen_id)
        self.agent_id = str(self.agent_uuid)

    def pk(self, table: str, row_id: uuid.UUID) -> int:
        return int(
            self.conn.execute(f"SELECT pk FROM {table} WHERE id = ?", (str(row_id),)).fetchone()[0]
        )

    def pulled(self, request_pk: int, number: str, version: int = 20) -> RequestRow:
        """The server's copy of a request registered here, as the next pull brings it."""
        row = self.conn.execute(
            "SELECT r.id, r.channel, r.subject, r.body, r.received_at, c.id AS citizen_id "
            "FROM request r JOIN citizen c ON c.pk = r.citizen_pk WHERE r.pk = ?",
            (request_pk,),
        ).fetchone()
        return RequestRow(
            id=row["id"], version=version, authority_id=self.authority_id, number=number,
            procedure_id=self.procedure_id, citizen_id=row["citizen_id"],
            channel=row["channel"], subject=row["subject"], description=row["body"],
            status="received",
            received_at=to_wire(datetime.fromisoformat(row["received_at"])),
            registered_at=T0, created_at=T0, updated_at=T0,
        )


# --------------------------------------------------------------------------- registering


def test_registration_writes_citizen_request_event_and_due_date(local: Local) -> None:
    pk = local.register()
    conn = local.conn
    request = conn.execute("SELECT * FROM request WHERE pk = ?", (pk,)).fetchone()
    assert request["number"] == "2026-000001"
    assert request["status"] == "received" and request["outcome"] is None
    assert request["channel"] == "paper"
    assert request["received_at"] == "2026-11-20T08:30:00+00:00"  # 9:30 in Paris, kept in UTC
    assert request["subject"] == "Réservation de la salle des fêtes"
    assert request["body"] == "Pour le repas des aînés du 12 décembre."
    assert json.loads(request["form_fields"]) == {}
    assert request["registration_receipt_at"] is None  # paper: no electronic receipt
    # Friday 20 November + the mairie's 7 days.
    assert (request["due_date"], request["due_kind"]) == ("2026-11-27", "internal_target")
    citizen = conn.execute(
        "SELECT * FROM citizen WHERE pk = ?", (request["citizen_pk"],)).fetchone()
    assert citizen["authority_pk"] == local.authority
    assert (citizen["kind"], citizen["last_name"], citizen["first_name"]) == (
        "person", "Noël", "Éloïse")
    assert citizen["display_name"] == "NOËL Éloïse"
    assert citizen["sort_key"] == "noel eloise"
    assert (citizen["address"], citizen["postcode"], citizen["city"]) == (
        "3 rue des Lilas", "88700", "Rambervillers")
    assert citizen["version"] == 0
    events = conn.execute(
        "SELECT e.kind, e.at, e.detail, a.id FROM event e LEFT JOIN agent a ON a.pk = e.agent_pk "
        "WHERE e.request_pk = ?", (pk,)
    ).fetchall()
    assert [tuple(e) for e in events] == [
        ("created", "2026-11-23T14:00:00+00:00", '{"channel": "paper"}', local.agent_id)
    ]
    assert outbox(conn) == []  # nobody to tell: the commune is not shared with a server
    integrity_check(conn)
    check_search_index(conn)


def test_existing_citizen_is_reused_and_form_fields_are_kept(local: Local) -> None:
    citizen = add_citizen(local.conn, local.authority, "MARTIN Paul", "pmartin@example.org")
    before = local.conn.execute("SELECT COUNT(*) FROM citizen").fetchone()[0]
    pk = local.register(new_citizen=None, citizen_pk=citizen, channel=Channel.COUNTER,
                        form_fields={"Date souhaitée": "12/12/2026"})
    row = local.conn.execute("SELECT citizen_pk, channel, form_fields FROM request WHERE pk = ?",
                             (pk,)).fetchone()
    assert row["citizen_pk"] == citizen and row["channel"] == "counter"
    assert json.loads(row["form_fields"]) == {"Date souhaitée": "12/12/2026"}
    assert local.conn.execute("SELECT COUNT(*) FROM citizen").fetchone()[0] == before


def test_organisations_are_named_by_their_name(local: Local) -> None:
    association = NewCitizen(kind=CitizenKind.ASSOCIATION, organisation="Les Amis du Vieux Moulin",
                             rna="w 881 234 567")
    company = NewCitizen(kind=CitizenKind.COMPANY, organisation="Boulangerie Érard",
                         siret="732 829 320 00074")
    for citizen in (association, company):
        local.register(new_citizen=citizen)
    rows = local.conn.execute(
        "SELECT kind, display_name, sort_key, rna, siret FROM citizen ORDER BY pk").fetchall()
    assert [tuple(r) for r in rows] == [
        ("association", "Les Amis du Vieux Moulin", "les amis du vieux moulin", RNA, ""),
        ("company", "Boulangerie Érard", "boulangerie erard", "", SIRET),
    ]


def test_local_numbers_follow_the_last_one_of_the_commune_and_year(local: Local) -> None:
    citizen = add_citizen(local.conn, local.authority)
    add_request(local.conn, local.authority, citizen, local.procedure, number="2026-000123")
    add_request(local.conn, local.other_authority, citizen, local.procedure, number="2026-000900")
    add_request(local.conn, local.authority, citizen, local.procedure, number="2025-000500")
    numbers = [
        local.conn.execute("SELECT number FROM request WHERE pk = ?", (pk,)).fetchone()[0]
        for pk in (
            local.register(),
            local.register(),
            local.register(received_at=datetime(2026, 1, 2, 10)),
            local.register(received_at=datetime(2025, 12, 31, 17), authority_pk=local.authority),
            local.register(authority_pk=local.other_authority),
        )
    ]
    assert numbers == ["2026-000124", "2026-000125", "2026-000126", "2025-000501", "2026-000901"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"channel": Channel.WEB}, "arrivent par le serveur"),
        ({"channel": Channel.SERVICE_PUBLIC}, "« Service-public.fr » arrivent par le serveur"),
        ({"subject": "   "}, "L'objet de la demande est obligatoire."),
        ({"subject": "x" * 201}, "L'objet compte 201 caractères : 200 au plus."),
        ({"body": "x" * 20_001}, "La description dépasse 20 000 caractères"),
        ({"received_at": NOW + timedelta(minutes=1)}, "ne peut pas être dans le futur"),
        ({"received_at": datetime(2025, 11, 20, 9, 30)}, "remonte à plus d'un an"),
        ({"new_citizen": None}, "Choisissez un usager existant ou saisissez un nouvel usager."),
        ({"citizen_pk": 1}, "Choisissez un usager existant ou saisissez un nouvel usager."),
        ({"new_citizen": replace(ELOISE, last_name=" ")}, "Le nom de l'usager est obligatoire."),
        ({"new_citizen": NewCitizen(kind=CitizenKind.ASSOCIATION, last_name="Noël")},
         "Le nom de l'association est obligatoire."),
        ({"new_citizen": NewCitizen(kind=CitizenKind.COMPANY)},
         "La raison sociale de l'entreprise est obligatoire."),
        ({"new_citizen": replace(ELOISE, email="eloise.noel@")},
         "L'adresse électronique « eloise.noel@ » n'est pas valide."),
        ({"new_citizen": replace(ELOISE, phone="appeler le soir")},
         "Le numéro de téléphone « appeler le soir » n'est pas valide : 10 chiffres"),
        ({"new_citizen": replace(ELOISE, siret="1234")}, "Le SIRET doit compter 14 chiffres."),
        ({"new_citizen": replace(ELOISE, siret="73282932000075")},
         "Le SIRET « 73282932000075 » est invalide (clé de contrôle incorrecte)."),
        ({"new_citizen": replace(ELOISE, rna="881234567")},
         "Le numéro RNA s'écrit W suivi de 9 chiffres"),
        ({"new_citizen": replace(ELOISE, postcode="887")}, "Le code postal compte 5 chiffres."),
        ({"new_citizen": replace(ELOISE, first_name="É" * 201)},
         "Le prénom dépasse 200 caractères."),
    ],
)
def test_invalid_entries_are_refused_in_french_and_nothing_is_written(
    local: Local, change: dict[str, Any], message: str
) -> None:
    before = counts(local.conn)
    with pytest.raises(StoreError, match=re.escape(message)):
        local.register(**change)
    assert counts(local.conn) == before


def test_every_problem_is_listed_at_once(local: Local) -> None:
    with pytest.raises(StoreError) as caught:
        local.register(subject="", new_citizen=replace(ELOISE, email="x", postcode="1"))
    assert str(caught.value).splitlines() == [
        "L'objet de la demande est obligatoire.",
        "L'adresse électronique « x » n'est pas valide.",
        "Le code postal compte 5 chiffres.",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"authority_pk": 999}, "Cette commune n'existe plus dans la base locale."),
        ({"new_citizen": None, "citizen_pk": 999},
         "Cet usager est introuvable dans cette commune."),
        ({"procedure_pk": 999}, "Cette démarche n'est pas proposée par cette commune."),
    ],
)
def test_unknown_rows_are_refused(local: Local, change: dict[str, Any], message: str) -> None:
    before = counts(local.conn)
    with pytest.raises(StoreError, match=message):
        local.register(**change)
    assert counts(local.conn) == before


def test_a_citizen_of_another_commune_is_refused(local: Local) -> None:
    elsewhere = add_citizen(local.conn, local.other_authority, "KLEIN Anna")
    with pytest.raises(StoreError, match="introuvable dans cette commune"):
        local.register(new_citizen=None, citizen_pk=elsewhere)


# --------------------------------------------------------------------------- all or nothing


def test_a_refusal_after_the_citizen_was_written_takes_it_back(shared: Shared) -> None:
    """The démarche is checked after the new citizen is inserted: the rollback removes it."""
    before = counts(shared.conn)
    bitche_procedure = shared.conn.execute(
        "SELECT pk FROM procedure WHERE authority_pk = ?", (shared.other_authority,)
    ).fetchone()[0]
    for procedure in (bitche_procedure, 999):
        with pytest.raises(StoreError, match="Cette démarche n'est pas proposée"):
            shared.register(procedure_pk=procedure)
    assert counts(shared.conn) == before
    assert shared.conn.execute(
        "SELECT COUNT(*) FROM citizen WHERE last_name = 'Noël'").fetchone()[0] == 0


def test_a_failing_write_at_the_very_end_leaves_nothing(shared: Shared) -> None:
    """The outbox refuses the last row (a full disk, say): the citizen, the request, its
    history, its search document and the provisional counter all go with it."""
    before = counts(shared.conn)
    shared.conn.execute(
        "CREATE TEMP TRIGGER outbox_full BEFORE INSERT ON sync_outbox "
        "WHEN new.name = 'request.create' BEGIN SELECT RAISE(ABORT, 'disque plein'); END"
    )
    with pytest.raises(StoreError, match="disque plein.*Rien n'a été enregistré"):
        shared.register()
    assert counts(shared.conn) == before
    shared.conn.execute("DROP TRIGGER outbox_full")
    pk = shared.register()  # and the next attempt is whole, with the first provisional number
    assert shared.conn.execute(
        "SELECT number FROM request WHERE pk = ?", (pk,)).fetchone()[0] == "P-2026-0001"
    check_search_index(shared.conn)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_a_process_killed_in_the_middle_leaves_nothing(tmp_path: Path) -> None:
    """A real child process SIGKILLs itself when the last mutation is being queued: no
    rollback runs, SQLite's recovery must drop the half-written transaction."""
    path = tmp_path / "poste.sqlite3"
    conn = connect(path)
    world = Shared(conn)
    before = counts(conn)
    conn.close()
    code = textwrap.dedent(
        f"""
        import os, signal, sys
        from datetime import datetime
        from desktop.store.database import connect
        from desktop.store.intake import NewCitizen, NewRequest, register_request
        from sync.protocol.vocabulary import Channel

        conn = connect(sys.argv[1])
        conn.execute("PRAGMA cache_size = 5")  # spill uncommitted pages to the WAL first

        def crash():
            os.kill(os.getpid(), signal.SIGKILL)

        conn.create_function("crash", 0, crash)
        conn.execute("CREATE TEMP TRIGGER die AFTER INSERT ON sync_outbox "
                     "WHEN new.name = 'request.create' BEGIN SELECT crash(); END")
        register_request(conn, NewRequest(
            authority_pk={world.authority}, procedure_pk={world.procedure},
            channel=Channel.PAPER, received_at=datetime(2026, 11, 20, 9, 30),
            subject="Fantôme", new_citizen=NewCitizen(last_name="Fantôme"),
        ), agent_id=None, now=datetime(2026, 11, 23, 15))
        print("not killed")
        """
    )
    result = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == -signal.SIGKILL, result.stdout + result.stderr
    conn = connect(path)
    try:
        assert counts(conn) == before
        integrity_check(conn)
        check_search_index(conn)
        assert search(conn, "fantome") == set()
    finally:
        conn.close()


# --------------------------------------------------------------------------- the outbox


def test_shared_commune_queues_the_citizen_then_the_request(shared: Shared) -> None:
    pk = shared.register(received_at=datetime(2026, 11, 20, 9, 30))
    request_id, citizen_id = shared.conn.execute(
        "SELECT r.id, c.id FROM request r JOIN citizen c ON c.pk = r.citizen_pk WHERE r.pk = ?",
        (pk,),
    ).fetchone()
    queued = outbox(shared.conn)
    assert [(q["name"], q["entity"], q["row_id"], q["base_version"]) for q in queued] == [
        ("citizen.upsert", "citizens", citizen_id, 0),
        ("request.create", "requests", request_id, 0),
    ]
    upsert = CitizenUpsertArgs.model_validate_json(queued[0]["args"])
    assert str(upsert.id) == citizen_id and upsert.authority_id == shared.authority_id
    assert upsert.fields.model_dump(exclude_none=True) == {
        "kind": "person",
        "last_name": "Noël",
        "first_name": "Éloïse",
        "email": "eloise.noel@example.fr",
        "phone": "03 29 41 22 10",
        "postal_address": "3 rue des Lilas, 88700 Rambervillers",
    }
    create = RequestCreateArgs.model_validate_json(queued[1]["args"])
    assert str(create.id) == request_id
    assert create.authority_id == shared.authority_id
    assert create.procedure_id == shared.procedure_id
    assert str(create.citizen_id) == citizen_id
    assert create.channel is Channel.PAPER
    assert create.subject == "Réservation de la salle des fêtes"
    assert create.description == "Pour le repas des aînés du 12 décembre."
    # The agent's date with its time zone: 9:30 in France is 8:30 UTC in November.
    assert create.received_at is not None and create.received_at.tzinfo is not None
    assert create.received_at == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def test_an_existing_server_citizen_needs_no_upsert(shared: Shared) -> None:
    shared.register(new_citizen=None, citizen_pk=shared.citizen)
    queued = outbox(shared.conn)
    assert [q["name"] for q in queued] == ["request.create"]
    assert RequestCreateArgs.model_validate_json(queued[0]["args"]).citizen_id == shared.citizen_id


def test_later_changes_to_the_new_request_are_queued_too(shared: Shared) -> None:
    """The server will know the request (its creation waits in the outbox): an acknowledgement
    made before the next sync follows it."""
    pk = shared.register()
    set_status(shared.conn, pk, Status.ACKNOWLEDGED, agent_id=shared.agent_id, at=NOW)
    assert [q["name"] for q in outbox(shared.conn)] == [
        "citizen.upsert", "request.create", "request.acknowledge"]


def test_a_local_only_citizen_cannot_be_named_to_the_server(shared: Shared) -> None:
    """Such as the placeholder a pull puts on a request whose citizen was erased."""
    ghost = add_citizen(shared.conn, shared.authority, "(usager non renseigné)", "")
    with pytest.raises(StoreError, match="pas connu du serveur"):
        shared.register(new_citizen=None, citizen_pk=ghost)
    assert find_citizens(shared.conn, shared.authority, "usager non") == []


def test_a_local_procedure_is_not_offered_to_a_shared_commune(shared: Shared) -> None:
    local_procedure = add_procedure(shared.conn, name="Démarche locale")
    assert [c.label for c in procedures_for(shared.conn, shared.authority)] == [
        "Réservation de salle"]
    with pytest.raises(StoreError, match="n'est pas proposée"):
        shared.register(procedure_pk=local_procedure)


def test_local_procedures_are_offered_to_a_local_commune(local: Local) -> None:
    add_procedure(local.conn, name="Acte d'état civil")
    assert [c.label for c in procedures_for(local.conn, local.authority)] == [
        "Acte d'état civil", "Réservation de salle"]


# --------------------------------------------------------------------------- numbers


def number_of(conn: sqlite3.Connection, pk: int) -> str:
    return str(conn.execute("SELECT number FROM request WHERE pk = ?", (pk,)).fetchone()[0])


def test_provisional_numbers_are_unique_per_commune_and_year(shared: Shared) -> None:
    first, second = shared.register(), shared.register()
    last_year = shared.register(received_at=datetime(2025, 12, 30, 11))
    elsewhere = shared.conn.execute(
        "SELECT pk FROM procedure WHERE authority_pk = ?", (shared.other_authority,)
    ).fetchone()[0]
    other = shared.register(authority_pk=shared.other_authority, procedure_pk=elsewhere)
    assert [number_of(shared.conn, pk) for pk in (first, second, last_year, other)] == [
        "P-2026-0001", "P-2026-0002", "P-2025-0001", "P-2026-0001"]


def test_the_pull_replaces_the_provisional_number_and_it_is_not_reused(shared: Shared) -> None:
    pk = shared.register()
    citizen_id = shared.conn.execute(
        "SELECT c.id FROM request r JOIN citizen c ON c.pk = r.citizen_pk WHERE r.pk = ?", (pk,)
    ).fetchone()[0]
    request_id = shared.conn.execute("SELECT id FROM request WHERE pk = ?", (pk,)).fetchone()[0]
    # The sync pushed both mutations (the server answered « applied »)...
    shared.conn.execute("DELETE FROM sync_outbox")
    # ...then pulled the server's rows: the citizen, the request, its CREATED event.
    store = SqliteSyncStore(shared.conn)
    store.apply_rows(Entity.CITIZENS, [CitizenRow(
        id=citizen_id, version=19, authority_id=shared.authority_id, kind="person",
        last_name="Noël", first_name="Éloïse", email="eloise.noel@example.fr",
        phone="03 29 41 22 10", postal_address="3 rue des Lilas, 88700 Rambervillers",
        created_at=T0, updated_at=T0)])
    store.apply_rows(Entity.REQUESTS, [shared.pulled(pk, "2026-000042")])
    store.apply_rows(Entity.EVENTS, [EventRow(
        id=uuid.uuid4(), version=21, authority_id=shared.authority_id, request_id=request_id,
        kind="created", at=T0, agent_id=shared.agent_uuid,
        data={"channel": "paper", "number": "2026-000042"})])

    row = shared.conn.execute(
        "SELECT r.pk, r.number, r.version, r.received_at, c.display_name, c.address, "
        "c.postcode, c.city FROM request r JOIN citizen c ON c.pk = r.citizen_pk WHERE r.id = ?",
        (request_id,),
    ).fetchone()
    assert tuple(row) == (pk, "2026-000042", 20, "2026-11-20T08:30:00+00:00", "NOËL Éloïse",
                          "3 rue des Lilas", "88700", "Rambervillers")
    # The optimistic CREATED event became the server's rather than being doubled.
    events = shared.conn.execute("SELECT kind, version FROM event WHERE request_pk = ?", (pk,))
    assert [tuple(e) for e in events] == [("created", 21)]
    assert search(shared.conn, "2026-000042") == {pk}
    assert search(shared.conn, "P-2026-0001") == set()
    check_search_index(shared.conn)
    # A number that may have been written on the letter is never handed out again here.
    assert number_of(shared.conn, shared.register()) == "P-2026-0002"


# --------------------------------------------------------------------------- finding


def test_the_bannette_search_finds_the_new_request(local: Local) -> None:
    pk = local.register(subject="Fête de la musique : prêt de barrières")
    for text in ("noel", "ÉLOÏSE", "eloise.noel@example.fr", "fete musique", "barrieres",
                 "aines decembre", "2026-000001", "000001"):
        assert search(local.conn, text) == {pk}, text
    check_search_index(local.conn)


def test_the_bannette_search_finds_a_provisional_number(shared: Shared) -> None:
    pk = shared.register()
    assert search(shared.conn, "P-2026-0001") == {pk}
    assert search(shared.conn, "2026 0001") == {pk}


def test_find_citizens_ignores_accents_and_case(local: Local) -> None:
    local.register()
    eloise = local.conn.execute("SELECT pk FROM citizen WHERE last_name = 'Noël'").fetchone()[0]
    for text in ("noel", "NOËL", "Noël Él", "noel eloise", "eloise", "Éloïse Noël", "eloise.no",
                 "0329412", "03 29 41"):
        assert [m.pk for m in find_citizens(local.conn, local.authority, text)] == [eloise], text
    match = find_citizens(local.conn, local.authority, "noel")[0]
    assert (match.display_name, match.kind, match.email, match.city) == (
        "NOËL Éloïse", CitizenKind.PERSON, "eloise.noel@example.fr", "Rambervillers")
    # Not in another commune; nothing for a single letter or a word that starts no name.
    assert find_citizens(local.conn, local.other_authority, "noel") == []
    assert find_citizens(local.conn, local.authority, "n") == []
    assert find_citizens(local.conn, local.authority, "oel") == []


def test_find_citizens_puts_name_prefixes_first_and_stops_at_the_limit(local: Local) -> None:
    for last, first in (("Martin", "Zoé"), ("Lemartin", "Paul"), ("Dupont", "Martine"),
                        ("Martinez", "Ana"), ("Jean-Martin", "Luc")):
        local.register(new_citizen=NewCitizen(last_name=last, first_name=first))
    names = [m.display_name for m in find_citizens(local.conn, local.authority, "martin")]
    assert names == ["MARTIN Zoé", "MARTINEZ Ana", "DUPONT Martine", "JEAN-MARTIN Luc"]
    assert len(find_citizens(local.conn, local.authority, "martin", limit=3)) == 3
    assert find_citizens(local.conn, local.authority, "100%") == []  # LIKE wildcards are text


# --------------------------------------------------------------------------- properties

#: The letters of French (and neighbouring) names, both cases.
FRENCH_LETTERS = "abcdefghijklmnopqrstuvwxyzàâäçéèêëîïôöùûüÿñœæ"
NAME_LETTERS = st.sampled_from(FRENCH_LETTERS + FRENCH_LETTERS.upper())
NAMES = st.builds(
    lambda parts, joiner: joiner.join(parts),
    st.lists(st.text(NAME_LETTERS, min_size=1, max_size=12), min_size=1, max_size=3),
    st.sampled_from([" ", "-", "'"]),
)


def fresh_local() -> Local:
    return Local(connect(":memory:"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(last=NAMES, first=NAMES)
def test_any_valid_name_round_trips(last: str, first: str) -> None:
    world = fresh_local()
    pk = world.register(new_citizen=NewCitizen(last_name=f" {last} ", first_name=first))
    row = world.conn.execute(
        "SELECT c.pk, c.last_name, c.first_name, c.display_name, c.sort_key FROM request r "
        "JOIN citizen c ON c.pk = r.citizen_pk WHERE r.pk = ?", (pk,)
    ).fetchone()
    assert (row["last_name"], row["first_name"]) == (last, first)
    assert row["display_name"] == f"{last.upper()} {first}"
    assert row["sort_key"] == fold(row["display_name"])
    found = find_citizens(world.conn, world.authority, f"{last} {first}")
    assert row["pk"] in [m.pk for m in found]
    world.conn.close()


@settings(max_examples=30, deadline=None)
@given(ahead=st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=3650)))
def test_a_receipt_date_in_the_future_is_always_refused(ahead: timedelta) -> None:
    world = fresh_local()
    with pytest.raises(StoreError, match="ne peut pas être dans le futur"):
        world.register(received_at=NOW + ahead)
    assert world.conn.execute("SELECT COUNT(*) FROM request").fetchone()[0] == 0
    world.conn.close()


@settings(max_examples=30, deadline=None)
@given(back=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=365)))
def test_any_receipt_date_of_the_past_year_is_accepted(back: timedelta) -> None:
    world = fresh_local()
    received = (NOW - back).replace(microsecond=0)
    pk = world.register(received_at=received)
    stored = world.conn.execute("SELECT received_at, number FROM request WHERE pk = ?",
                                (pk,)).fetchone()
    assert datetime.fromisoformat(stored[0]) == received.replace(tzinfo=PARIS)
    assert stored[1] == f"{received.year}-000001"
    world.conn.close()


def test_today_is_not_the_future(local: Local) -> None:
    """The dialog's default is « now »: exactly now is accepted, to the second."""
    pk = register_request(local.conn, local.request(received_at=NOW), agent_id=None, now=NOW)
    assert local.conn.execute("SELECT received_at FROM request WHERE pk = ?",
                              (pk,)).fetchone()[0] == "2026-11-23T14:00:00+00:00"
    assert date.fromisoformat(local.conn.execute(
        "SELECT due_date FROM request WHERE pk = ?", (pk,)).fetchone()[0]) == date(2026, 11, 30)
    assert pending_count(local.conn) == 0
