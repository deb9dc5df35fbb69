"""The team's work in the local store: services, assignment (all or nothing, offline through
the outbox), « Mes demandes » / « Mon service », notes kept out of letters, edits with their
history and recomputed échéances."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

import pytest

from desktop.documents import LetterKind
from desktop.documents.fields import build_fields
from desktop.services.letters import letter_context
from desktop.store import teamwork
from desktop.store.database import StoreError
from desktop.store.inbox import Column, InboxFilter, InboxRepository, InboxSort
from desktop.store.legal import legal_facts
from sync.protocol.wire import AGENT_LEFT, SERVICES_ADMIN_ONLY
from tests.conftest import TODAY

AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def _agent(conn: sqlite3.Connection, login: str) -> tuple[int, str]:
    row = conn.execute("SELECT pk, id FROM agent WHERE login = ?", (login,)).fetchone()
    return int(row[0]), str(row[1])


def _shared(conn: sqlite3.Connection, pk: int) -> str:
    """Makes the request one the server knows (so changes to it are queued)."""
    conn.execute("UPDATE request SET version = 5 WHERE pk = ?", (pk,))
    return str(conn.execute("SELECT id FROM request WHERE pk = ?", (pk,)).fetchone()[0])


def _outbox(conn: sqlite3.Connection, name: str) -> list[dict]:
    return [json.loads(r[0]) for r in conn.execute(
        "SELECT args FROM sync_outbox WHERE name = ? ORDER BY mutation_id", (name,))]


def _pks(conn: sqlite3.Connection, n: int, authority_pk: int | None = None) -> list[int]:
    sql = "SELECT pk FROM request WHERE deleted = 0"
    params: tuple = ()
    if authority_pk is not None:
        sql += " AND authority_pk = ?"
        params = (authority_pk,)
    return [r[0] for r in conn.execute(sql + " ORDER BY pk LIMIT ?", (*params, n))]


def test_assign_several_to_a_service_then_filters_and_column(demo_db: sqlite3.Connection) -> None:
    conn = demo_db
    me_pk, me = _agent(conn, "smartin")
    _other_pk, other = _agent(conn, "jhoffmann")
    authority_pk = conn.execute("SELECT pk FROM authority ORDER BY pk").fetchone()[0]
    service_id = teamwork.save_service(conn, authority_pk=authority_pk, name="Urbanisme",
                                       member_ids=[me])
    pks = _pks(conn, 3, authority_pk)
    request_id = _shared(conn, pks[0])
    changed = teamwork.assign(conn, pks, agent_id=None, service_id=service_id,
                              reason="Permis de construire", by_agent_id=other, at=AT)
    assert changed == 3
    repo = InboxRepository(conn)
    mine = repo.ids(InboxFilter(my_services=True), InboxSort(), today=TODAY, agent_id=me)
    assert set(mine) == set(pks)
    assert repo.ids(InboxFilter(my_services=True), InboxSort(), today=TODAY,
                    agent_id=other) == []
    rows = repo.rows(pks)
    assert {rows[pk].assignee for pk in pks} == {"Urbanisme"}
    # Sorting by « Attribuée à » reads the index, not a temporary B-tree.
    plan = " ".join(str(r[3]) for r in conn.execute(
        "EXPLAIN QUERY PLAN SELECT r.pk FROM request r WHERE r.deleted = 0 "
        "ORDER BY r.assignee_label DESC, r.pk DESC"))
    assert "request_assignee" in plan and "TEMP B-TREE" not in plan
    ordered = repo.ids(InboxFilter(), InboxSort(Column.ASSIGNEE, True), today=TODAY)
    assert len(ordered) == repo.total()
    # Offline: one mutation for the request the server knows, with the reason and what was seen.
    (queued,) = _outbox(conn, "request.assign")
    assert queued["request_id"] == request_id and queued["service_id"] == service_id
    assert queued["reason"] == "Permis de construire"
    detail = repo.detail(pks[0])
    assert detail is not None
    assert any(e.kind == "assigned" and e.detail["service_name"] == "Urbanisme"
               for e in detail.events)
    # Renaming the service renames the column (trigger), and retiring it refuses new ones.
    teamwork.save_service(conn, authority_pk=authority_pk, name="Urbanisme et voirie",
                          member_ids=[me], service_id=service_id)
    assert repo.rows([pks[1]])[pks[1]].assignee == "Urbanisme et voirie"
    teamwork.save_service(conn, authority_pk=authority_pk, name="Urbanisme et voirie",
                          member_ids=[me], service_id=service_id, active=False)
    with pytest.raises(StoreError, match="supprimé"):
        teamwork.assign(conn, _pks(conn, 5)[4:], agent_id=None, service_id=service_id,
                        by_agent_id=me)
    assert me_pk


def test_assignment_to_an_agent_who_left_is_refused_and_nothing_changes(
    demo_db: sqlite3.Connection,
) -> None:
    conn = demo_db
    _pk, me = _agent(conn, "smartin")
    left_pk, left = _agent(conn, "jhoffmann")
    conn.execute("UPDATE agent SET deleted = 1 WHERE pk = ?", (left_pk,))  # account disabled
    pks = _pks(conn, 2)
    for pk in pks:
        _shared(conn, pk)
    before = conn.execute("SELECT pk, assigned_agent_pk FROM request WHERE pk IN (?, ?)",
                          pks).fetchall()
    with pytest.raises(StoreError) as refused:
        teamwork.assign(conn, pks, agent_id=left, service_id=None, by_agent_id=me)
    assert str(refused.value) == AGENT_LEFT
    after = conn.execute("SELECT pk, assigned_agent_pk FROM request WHERE pk IN (?, ?)",
                         pks).fetchall()
    assert [tuple(r) for r in before] == [tuple(r) for r in after]
    assert _outbox(conn, "request.assign") == []
    # Not among the choices either.
    authority_pk = conn.execute("SELECT authority_pk FROM request WHERE pk = ?",
                                (pks[0],)).fetchone()[0]
    assert left not in {c.key for c in teamwork.assignable_agents(conn, [authority_pk])}


def test_agent_of_another_commune_is_refused(demo_db: sqlite3.Connection) -> None:
    conn = demo_db
    _pk, me = _agent(conn, "smartin")
    stranger_pk, stranger = _agent(conn, "jhoffmann")
    first, second = [r[0] for r in conn.execute("SELECT pk FROM authority ORDER BY pk LIMIT 2")]
    conn.execute("DELETE FROM agent_authority WHERE agent_pk = ? AND authority_pk = ?",
                 (stranger_pk, first))
    (pk,) = _pks(conn, 1, first)
    with pytest.raises(StoreError, match="n'appartient pas à la commune"):
        teamwork.assign(conn, [pk], agent_id=stranger, service_id=None, by_agent_id=me)
    assert second


def test_notes_listed_with_author_and_never_in_a_letter(demo_db: sqlite3.Connection) -> None:
    conn = demo_db
    _pk, me = _agent(conn, "smartin")
    (pk,) = _pks(conn, 1)
    request_id = _shared(conn, pk)
    secret = "Voisin procédurier, ne pas rappeler avant lundi"
    event_id = teamwork.add_note(conn, pk, secret, agent_id=me, at=AT)
    (note,) = teamwork.notes(conn, pk)
    assert note.text == secret and note.author == "Sophie Martin"
    assert note.at.utcoffset() is not None  # shown in the commune's zone
    (queued,) = _outbox(conn, "request.add_note")
    assert queued == {"id": event_id, "request_id": request_id, "text": secret}
    with pytest.raises(StoreError, match="vide"):
        teamwork.add_note(conn, pk, "   ", agent_id=me)
    # The letters' facts and every merge field of every letter hold nothing of the history.
    facts = legal_facts(conn, pk)
    assert secret not in repr(facts)
    for kind in LetterKind:
        fields = build_fields(letter_context(kind, facts, TODAY))
        assert secret not in repr(fields), kind


def test_edit_subject_and_procedure_recomputes_deadlines(demo_db: sqlite3.Connection) -> None:
    conn = demo_db
    _pk, me = _agent(conn, "smartin")
    row = conn.execute(
        "SELECT r.pk, r.subject, r.procedure_pk, p.silence_rule FROM request r "
        "JOIN procedure p ON p.pk = r.procedure_pk WHERE r.status = 'received' "
        "AND p.period_unit = 'months' AND p.silence_rule = 'accept' LIMIT 1").fetchone()
    pk = row[0]
    request_id = _shared(conn, pk)
    other = conn.execute(
        "SELECT pk, id, name FROM procedure WHERE pk != ? AND silence_rule = 'accept' AND "
        "NOT (period = (SELECT period FROM procedure WHERE pk = ?) AND period_unit = 'months') "
        "LIMIT 1", (pk, row[2])).fetchone()
    outcome = teamwork.edit_request(conn, pk, subject="  Nouvel   objet ",
                                    procedure_pk=other[0], agent_id=me, today=TODAY, at=AT)
    assert outcome.changed == ("procedure_id", "subject")
    assert outcome.deadlines is not None
    assert outcome.deadlines.startswith("Les échéances ont été recalculées : décision implicite")
    assert "→" in outcome.deadlines
    (queued,) = _outbox(conn, "request.update_fields")
    assert queued["request_id"] == request_id
    assert queued["fields"] == {"subject": "Nouvel objet", "procedure_id": other[1]}
    assert queued["previous"]["subject"] == row[1]
    detail = InboxRepository(conn).detail(pk)
    assert detail is not None
    line = teamwork.event_text("field_changed", detail.events[0].detail)
    assert line is not None
    assert f"objet « {row[1]} » → « Nouvel objet »" in line
    assert f"→ « {other[2]} »" in line and "recalculées" in line
    # Nothing to change: nothing recorded.
    assert teamwork.edit_request(conn, pk, subject="Nouvel objet", agent_id=me,
                                 today=TODAY).changed == ()
    with pytest.raises(StoreError, match="vide"):
        teamwork.edit_request(conn, pk, subject=" ", agent_id=me, today=TODAY)


def test_service_members_must_be_active_agents_of_the_commune(
    demo_db: sqlite3.Connection,
) -> None:
    conn = demo_db
    left_pk, left = _agent(conn, "jhoffmann")
    conn.execute("UPDATE agent SET deleted = 1 WHERE pk = ?", (left_pk,))
    authority_pk = conn.execute("SELECT pk FROM authority ORDER BY pk").fetchone()[0]
    with pytest.raises(StoreError, match="a quitté la collectivité"):
        teamwork.save_service(conn, authority_pk=authority_pk, name="Accueil",
                              member_ids=[left])
    with pytest.raises(StoreError, match="nom"):
        teamwork.save_service(conn, authority_pk=authority_pk, name="  ", member_ids=[])
    teamwork.save_service(conn, authority_pk=authority_pk, name="Accueil", member_ids=[])
    with pytest.raises(StoreError, match="existe déjà"):
        teamwork.save_service(conn, authority_pk=authority_pk, name="Accueil", member_ids=[])
    assert [s.name for s in teamwork.services(conn)] == ["Accueil"]
    # Only an administrator, as on the server (the demo's Sophie Martin is a secrétaire).
    _pk, clerk = _agent(conn, "smartin")
    with pytest.raises(StoreError) as refused:
        teamwork.save_service(conn, authority_pk=authority_pk, name="Voirie", member_ids=[],
                              by_agent_id=clerk)
    assert str(refused.value) == SERVICES_ADMIN_ONLY


@pytest.mark.parametrize("column", list(Column), ids=lambda c: c.name)
def test_my_service_keeps_every_sort_order(demo_db: sqlite3.Connection, column: Column) -> None:
    """« Mon service » reads the service's rows by their index: in every column's order they
    come as the whole bannette's sorted list filtered to them."""
    conn = demo_db
    _pk, me = _agent(conn, "smartin")
    authority_pk = conn.execute("SELECT pk FROM authority ORDER BY pk").fetchone()[0]
    service_id = teamwork.save_service(conn, authority_pk=authority_pk, name="Accueil",
                                       member_ids=[me])
    pks = _pks(conn, 40, authority_pk)[::3]
    teamwork.assign(conn, pks, agent_id=None, service_id=service_id, by_agent_id=me)
    repo = InboxRepository(conn)
    for descending in (False, True):
        sort = InboxSort(column, descending)
        everything = repo.ids(InboxFilter(), sort, today=TODAY, agent_id=me)
        mine = repo.ids(InboxFilter(my_services=True), sort, today=TODAY, agent_id=me)
        assert mine == [pk for pk in everything if pk in set(pks)]


def test_edit_citizen_within_the_commune_only(demo_db: sqlite3.Connection) -> None:
    conn = demo_db
    _pk, me = _agent(conn, "smartin")
    pk, authority_pk, citizen_pk = conn.execute(
        "SELECT pk, authority_pk, citizen_pk FROM request WHERE deleted = 0 LIMIT 1").fetchone()
    _shared(conn, pk)
    same = conn.execute("SELECT pk, id, display_name FROM citizen WHERE authority_pk = ? "
                        "AND pk != ? LIMIT 1", (authority_pk, citizen_pk)).fetchone()
    other = conn.execute("SELECT pk FROM citizen WHERE authority_pk != ? LIMIT 1",
                         (authority_pk,)).fetchone()
    with pytest.raises(StoreError, match="n'appartient pas à la commune"):
        teamwork.edit_request(conn, pk, citizen_pk=other[0], agent_id=me, today=TODAY)
    assert conn.execute("SELECT citizen_pk FROM request WHERE pk = ?",
                        (pk,)).fetchone()[0] == citizen_pk  # nothing half-done
    outcome = teamwork.edit_request(conn, pk, citizen_pk=same[0], agent_id=me, today=TODAY)
    assert outcome == teamwork.EditOutcome(("citizen_id",), None)
    (queued,) = _outbox(conn, "request.update_fields")
    assert queued["fields"] == {"citizen_id": same[1]}
    line = teamwork.event_text(
        "field_changed", InboxRepository(conn).detail(pk).events[0].detail)  # type: ignore[union-attr]
    assert line is not None and f"→ « {same[2]} »" in line
