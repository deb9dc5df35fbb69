"""The citizen's file in the store (``desktop.store.citizens``): duplicate rules, look-up over
every commune, an edited identity queued with what it replaced, and the merge that moves every
request and call to the survivor, queued as ``citizen.merge`` and undone when the server
refuses it. Real SQLite store, built as the intake tests build it (``Local`` and ``Shared``)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import replace

import pytest

from desktop.store.citizens import (
    absorb_locally,
    citizen_story,
    find_duplicates,
    load_citizen,
    lookup_query,
    merge_citizens,
    search_citizens,
    undo_pending_merge,
    update_citizen,
)
from desktop.store.database import StoreError, transaction
from desktop.store.intake import NewCitizen, register_request
from desktop.store.phone_calls import NewCall, log_call
from desktop.store.search_index import bulk_index
from desktop.store.sync_store import SqliteSyncStore
from sync.protocol.vocabulary import CitizenKind
from sync.protocol.wire import CitizenMergeArgs, CitizenRow, CitizenUpsertArgs, Entity
from tests.factories import add_attachment
from tests.unit.test_store_intake import ELOISE, NOW, T0, Local, Shared, outbox


def _citizen_of(conn: sqlite3.Connection, request_pk: int) -> int:
    return int(
        conn.execute("SELECT citizen_pk FROM request WHERE pk = ?", (request_pk,)).fetchone()[0]
    )


def _columns(conn: sqlite3.Connection, pk: int) -> sqlite3.Row:
    row: sqlite3.Row = conn.execute("SELECT * FROM citizen WHERE pk = ?", (pk,)).fetchone()
    return row


# --------------------------------------------------------------------------- duplicates


def test_duplicates_by_email_phone_siret_rna_and_name_with_address(local: Local) -> None:
    conn = local.conn
    eloise = _citizen_of(conn, local.register())
    company = replace(
        ELOISE,
        kind=CitizenKind.COMPANY,
        organisation="Boulangerie Noël",
        siret="73282932000074",
        email="",
        phone="",
        address="",
    )
    association = replace(
        ELOISE,
        kind=CitizenKind.ASSOCIATION,
        organisation="Comité",
        rna="W881000123",
        email="",
        phone="",
        address="",
    )
    baker = _citizen_of(conn, local.register(new_citizen=company))
    club = _citizen_of(conn, local.register(new_citizen=association))

    def reasons(c: NewCitizen) -> dict[int, tuple[str, ...]]:
        return {d.pk: d.reasons for d in find_duplicates(conn, local.authority, c)}

    nobody = NewCitizen(last_name="Autre")
    assert reasons(replace(nobody, email="ELOISE.Noel@Example.fr")) == {eloise: ("même courriel",)}
    # The same number written the international way is the same phone.
    assert reasons(replace(nobody, phone="+33 3 29 41 22 10")) == {eloise: ("même téléphone",)}
    assert reasons(replace(nobody, siret="732 829 320 00074")) == {baker: ("même SIRET",)}
    assert reasons(replace(nobody, rna="w881000123")) == {club: ("même n° RNA",)}
    # Name and address, accents, case and punctuation ignored.
    same_place = NewCitizen(
        last_name="NOEL", first_name="eloise", address="3, Rue des Lilas", postcode="88700"
    )
    assert reasons(same_place) == {eloise: ("même nom et même adresse",)}
    # Several reasons: the strongest match first, each reason said.
    assert reasons(ELOISE)[eloise] == (
        "même courriel",
        "même téléphone",
        "même nom et même adresse",
    )
    # Editing a citizen does not find themself; another commune is not a duplicate; a name
    # alone (no address) is not enough.
    assert find_duplicates(conn, local.authority, ELOISE, exclude_pk=eloise) == []
    assert find_duplicates(conn, local.other_authority, ELOISE) == []
    assert reasons(NewCitizen(last_name="Noël", first_name="Éloïse")) == {}


def test_duplicate_keys_follow_every_edit(local: Local) -> None:
    conn = local.conn
    eloise = _citizen_of(conn, local.register())
    update_citizen(
        conn, eloise, replace(ELOISE, email="eloise@mairie.example.fr", phone="06 12 34 56 78")
    )
    assert find_duplicates(conn, local.authority, NewCitizen(email="eloise.noel@example.fr")) == []
    found = find_duplicates(conn, local.authority, NewCitizen(phone="0033 6 12 34 56 78"))
    assert [d.pk for d in found] == [eloise]
    assert "même téléphone" in found[0].describe()


# --------------------------------------------------------------------------- look-up


def test_lookup_over_every_commune_by_name_email_and_phone(local: Local) -> None:
    conn = local.conn
    eloise = _citizen_of(conn, local.register())
    elsewhere = _citizen_of(
        conn,
        local.register(
            authority_pk=local.other_authority,
            procedure_pk=local.procedure,
            new_citizen=replace(ELOISE, last_name="Noëlle", email="noelle@example.fr", phone=""),
        ),
    )

    def found(text: str) -> list[int]:
        return [hit.pk for hit in search_citizens(conn, text)]

    assert found("noel") == [eloise, elsewhere]  # accents ignored, both communes
    assert found("Éloï") == [eloise, elsewhere]
    assert found("eloise.no") == [eloise]  # an e-mail's beginning
    assert found("03 29 41") == [eloise]  # a phone's beginning, spaced
    assert found("+33 3 29 41 22") == [eloise]
    assert {hit.authority for hit in search_citizens(conn, "noel")} == {
        "Mairie de Rambervillers",
        "Mairie de Bitche",
    }
    assert found("n") == [] and lookup_query("n") is None  # one letter: too little
    assert found('"; DROP') == []  # quotes never reach FTS as syntax


# --------------------------------------------------------------------------- editing


def test_an_edit_is_queued_with_what_it_replaced(shared: Shared) -> None:
    conn = shared.conn
    changed = update_citizen(
        conn,
        shared.citizen,
        NewCitizen(
            last_name="Durand",
            first_name="Sophie",
            email="sophie.durand@example.fr",
            phone="03 29 41 22 10",
        ),
    )
    assert changed == ["phone"]
    (entry,) = outbox(conn)
    args = CitizenUpsertArgs.model_validate(json.loads(entry["args"]))
    assert entry["name"] == "citizen.upsert" and entry["base_version"] == 8
    assert args.fields.phone == "03 29 41 22 10" and args.previous == {"phone": None}
    assert update_citizen(conn, shared.citizen, load_citizen(conn, shared.citizen).identity) == []
    assert len(outbox(conn)) == 1  # nothing changed: nothing queued


def test_a_bad_identity_is_refused_in_french_and_nothing_changes(shared: Shared) -> None:
    conn = shared.conn
    before = tuple(_columns(conn, shared.citizen))
    with pytest.raises(StoreError) as refused:
        update_citizen(
            conn,
            shared.citizen,
            NewCitizen(
                last_name="Durand", email="sophie@", phone="03 88 95 12", siret="12345678901234"
            ),
        )
    message = str(refused.value)
    assert "L'adresse électronique « sophie@ » n'est pas valide." in message
    assert "Le numéro de téléphone « 03 88 95 12 » n'est pas valide" in message
    assert "clé de contrôle incorrecte" in message
    assert tuple(_columns(conn, shared.citizen)) == before
    assert outbox(conn) == []


# --------------------------------------------------------------------------- merge


def _pull_durand(shared: Shared, citizen_id: object, version: int, **fields: object) -> None:
    """A record of Sophie Durand as a pull brings it."""
    row = CitizenRow.model_validate(
        {
            "id": citizen_id,
            "version": version,
            "authority_id": shared.authority_id,
            "kind": "person",
            "last_name": "DURAND",
            "first_name": "Sophie",
            "created_at": T0,
            "updated_at": T0,
            **fields,
        }
    )
    SqliteSyncStore(shared.conn).apply_rows(Entity.CITIZENS, [row])


def _second_durand(shared: Shared) -> tuple[int, int, int]:
    """A second record of Sophie Durand, from the server, with a request and a call."""
    conn = shared.conn
    absorbed_id = uuid.uuid4()
    _pull_durand(
        shared,
        absorbed_id,
        9,
        phone="06 12 34 56 78",
        email="s.durand@example.fr",
        postal_address="3 rue des Lilas, 88700 Rambervillers",
    )
    absorbed = shared.pk("citizen", absorbed_id)
    request = shared.register(new_citizen=None, citizen_pk=absorbed)
    call = log_call(
        conn,
        NewCall(
            authority_pk=shared.authority,
            caller_name="Mme Durand",
            called_at=NOW,
            citizen_pk=absorbed,
        ),
        agent_id=shared.agent_id,
        now=NOW,
    )
    conn.execute("DELETE FROM sync_outbox")  # as if already sent
    return absorbed, request, call


def test_merge_moves_everything_and_queues_the_merge(shared: Shared) -> None:
    conn = shared.conn
    absorbed, request, call = _second_durand(shared)
    kept = merge_citizens(
        conn, shared.citizen, absorbed, {"phone": "absorbed", "email": "survivor"}
    )
    # Field by field: the survivor's e-mail, the absorbed one's phone, and its address where
    # the survivor had none.
    assert (kept.email, kept.phone, kept.city) == (
        "sophie.durand@example.fr",
        "06 12 34 56 78",
        "Rambervillers",
    )
    assert _citizen_of(conn, request) == shared.citizen
    assert (
        conn.execute("SELECT citizen_pk FROM phone_call WHERE pk = ?", (call,)).fetchone()[0]
        == shared.citizen
    )
    gone = _columns(conn, absorbed)
    assert (gone["deleted"], gone["merged_into_pk"]) == (1, shared.citizen)
    assert load_citizen(conn, absorbed).pk == shared.citizen  # resolves to the survivor
    (entry,) = outbox(conn)
    args = CitizenMergeArgs.model_validate(json.loads(entry["args"]))
    assert entry["name"] == "citizen.merge" and entry["base_version"] == 8
    assert (args.survivor_base_version, args.absorbed_base_version) == (8, 9)
    assert args.fields.phone == "06 12 34 56 78"
    assert args.absorbed_previous["email"] == "s.durand@example.fr"
    story = citizen_story(conn, shared.citizen)
    assert [r.pk for r in story.requests] == [request]
    assert [c.pk for c in story.calls] == [call]
    assert [h.pk for h in search_citizens(conn, "durand")] == [shared.citizen]


def test_a_refused_merge_is_undone_and_nothing_is_lost(shared: Shared) -> None:
    conn = shared.conn
    absorbed, request, call = _second_durand(shared)
    before = {pk: tuple(_columns(conn, pk)) for pk in (shared.citizen, absorbed)}
    merge_citizens(conn, shared.citizen, absorbed, {"phone": "absorbed"})
    (mutation_id,) = conn.execute("SELECT mutation_id FROM sync_outbox").fetchone()
    with conn:
        assert undo_pending_merge(conn, mutation_id)
    assert {pk: tuple(_columns(conn, pk)) for pk in before} == before
    assert _citizen_of(conn, request) == absorbed
    assert (
        conn.execute("SELECT citizen_pk FROM phone_call WHERE pk = ?", (call,)).fetchone()[0]
        == absorbed
    )


@pytest.mark.parametrize("case", ["itself", "other commune", "invalid"])
def test_impossible_merges_are_refused_in_french(shared: Shared, case: str) -> None:
    conn = shared.conn
    absorbed, _request, _call = _second_durand(shared)
    snapshot = conn.execute("SELECT * FROM citizen ORDER BY pk").fetchall()
    if case == "itself":
        with pytest.raises(StoreError, match="deux usagers différents"):
            merge_citizens(conn, absorbed, absorbed)
    elif case == "other commune":
        foreign = _citizen_of(
            conn,
            shared.register(
                authority_pk=shared.other_authority,
                procedure_pk=int(
                    conn.execute(
                        "SELECT pk FROM procedure WHERE authority_pk = ?", (shared.other_authority,)
                    ).fetchone()[0]
                ),
                new_citizen=ELOISE,
            ),
        )
        conn.execute("DELETE FROM sync_outbox")
        snapshot = conn.execute("SELECT * FROM citizen ORDER BY pk").fetchall()
        with pytest.raises(StoreError, match="communes différentes"):
            merge_citizens(conn, shared.citizen, foreign)
    else:
        conn.execute("UPDATE citizen SET email = 'pas-une-adresse' WHERE pk = ?", (absorbed,))
        snapshot = conn.execute("SELECT * FROM citizen ORDER BY pk").fetchall()
        with pytest.raises(StoreError, match="fiche fusionnée serait invalide"):
            merge_citizens(conn, shared.citizen, absorbed, {"email": "absorbed"})
    assert [tuple(r) for r in conn.execute("SELECT * FROM citizen ORDER BY pk")] == [
        tuple(r) for r in snapshot
    ]
    assert outbox(conn) == []


def test_a_pulled_merge_moves_what_this_pc_still_names(shared: Shared) -> None:
    """PC B registered a request on the absorbed citizen before hearing of the merge: when
    the tombstone lands, the request follows the survivor (the server does the same)."""
    conn = shared.conn
    absorbed, request, _call = _second_durand(shared)
    unsent = shared.register(new_citizen=None, citizen_pk=absorbed)
    absorbed_id = conn.execute("SELECT id FROM citizen WHERE pk = ?", (absorbed,)).fetchone()[0]
    _pull_durand(shared, absorbed_id, 30, merged_into_id=shared.citizen_id)
    assert _citizen_of(conn, request) == _citizen_of(conn, unsent) == shared.citizen
    gone = _columns(conn, absorbed)
    assert (gone["deleted"], gone["merged_into_pk"]) == (1, shared.citizen)
    with conn:
        absorb_locally(conn, absorbed, shared.citizen)  # idempotent
    assert _citizen_of(conn, unsent) == shared.citizen


def test_local_merge_in_a_commune_without_server(local: Local) -> None:
    conn = local.conn
    first = _citizen_of(conn, local.register())
    second = _citizen_of(conn, local.register(new_citizen=replace(ELOISE, phone="")))
    assert [d.pk for d in find_duplicates(conn, local.authority, ELOISE, exclude_pk=first)] == [
        second
    ]
    merge_citizens(conn, first, second)
    assert outbox(conn) == []  # nobody to tell
    assert find_duplicates(conn, local.authority, ELOISE, exclude_pk=first) == []
    assert len(citizen_story(conn, first).requests) == 2


def test_story_gathers_the_same_person_in_other_communes(local: Local) -> None:
    conn = local.conn
    here = register_request(conn, local.request(), agent_id=local.agent_id, now=NOW)
    there = register_request(
        conn,
        local.request(authority_pk=local.other_authority, subject="Carte de stationnement"),
        agent_id=local.agent_id,
        now=NOW,
    )
    story = citizen_story(conn, _citizen_of(conn, here))
    assert [r.pk for r in story.requests] == [there, here]  # newest first (same day: by pk)
    assert {r.authority for r in story.requests} == {"Mairie de Rambervillers", "Mairie de Bitche"}
    assert [r.authority for r in story.elsewhere] == ["Mairie de Bitche"]


def test_a_bulk_load_builds_keys_and_lookup_in_one_pass(local: Local) -> None:
    """A first sync or the demonstration defers the citizens' keys and look-up index with the
    request index, and rebuilds them at the end: nothing is missing afterwards."""
    conn = local.conn
    with transaction(conn), bulk_index(conn):
        for n in range(3):
            conn.execute(
                "INSERT INTO citizen (id, authority_pk, kind, last_name, display_name, sort_key, "
                "email, phone) VALUES (?, ?, 'person', 'Noël', 'NOËL', 'noel', ?, ?)",
                (str(uuid.uuid4()), local.authority, f"n{n}@example.fr", "+33 3 29 41 22 10"),
            )
        assert conn.execute("SELECT COUNT(*) FROM citizen_lookup").fetchone()[0] == 0
    assert len(search_citizens(conn, "noel")) == 3
    assert len(search_citizens(conn, "03 29")) == 3
    found = find_duplicates(conn, local.authority, NewCitizen(phone="0329412210"))
    assert len(found) == 3


def test_story_lists_messages_and_documents_newest_first(local: Local) -> None:
    conn = local.conn
    request = local.register()
    citizen = _citizen_of(conn, request)
    add_attachment(conn, request, "justificatif_domicile.pdf")
    for n, (at, direction) in enumerate(
        (("2026-11-21T09:00:00+00:00", "inbound"), ("2026-11-22T14:30:00+00:00", "outbound"))
    ):
        conn.execute(
            "INSERT INTO message (id, request_pk, direction, channel, subject, at) "
            "VALUES (?, ?, ?, 'email', ?, ?)",
            (str(uuid.uuid4()), request, direction, f"Message {n}", at),
        )
    conn.execute(
        "INSERT INTO letter (id, request_pk, kind, edition, produced_at, docx, pdf) "
        "VALUES (?, ?, 'acknowledgement', 1, '2026-11-23T10:00:00+00:00', 'ar.docx', 'ar.pdf')",
        (str(uuid.uuid4()), request),
    )
    story = citizen_story(conn, citizen)
    assert [(m.subject, m.inbound) for m in story.messages] == [
        ("Message 1", False),
        ("Message 0", True),
    ]
    assert story.messages[0].at.hour == 15  # 14:30 UTC is 15:30 in Rambervillers
    assert [(d.kind, d.name) for d in story.documents] == [
        ("Courrier", "ar.pdf"),
        ("Pièce jointe", "justificatif_domicile.pdf"),
    ]
