"""Saved views in the local store: everything the bannette filter holds comes back, by name,
per agent, and an odd or outdated saved filter still opens."""

from __future__ import annotations

import json
import sqlite3

import pytest

from desktop.store.inbox import Column, InboxFilter, InboxSort
from desktop.store.saved_views import (
    SavedViewError,
    delete_view,
    filter_from_json,
    filter_to_json,
    move_view,
    rename_view,
    save_view,
    saved_views,
)
from sync.protocol.vocabulary import Channel, Status

AGENT = "agent-a"


def full_filter(conn: sqlite3.Connection) -> InboxFilter:
    authority = conn.execute("SELECT pk FROM authority ORDER BY pk LIMIT 1").fetchone()[0]
    procedures = {r[0] for r in conn.execute("SELECT pk FROM procedure ORDER BY pk LIMIT 2")}
    return InboxFilter(
        statuses=frozenset({Status.RECEIVED, Status.AWAITING_DOCUMENTS}),
        channels=frozenset({Channel.PAPER}),
        authority_pks=frozenset({authority}),
        procedure_pks=frozenset(procedures),
        overdue=True,
        due_this_week=False,
        assigned_to_me=True,
        not_acknowledged=True,
        search="Noël rue de l'Église",
    )


def test_every_field_of_the_filter_comes_back(demo_db: sqlite3.Connection) -> None:
    flt = full_filter(demo_db)
    view = save_view(demo_db, AGENT, "  Pièces   à relancer ", flt, InboxSort(Column.DUE, False))
    assert view.name == "Pièces à relancer"
    [again] = saved_views(demo_db, AGENT)
    assert again.filter == flt and again.sort == InboxSort(Column.DUE, False)
    # Communes and démarches are kept by id: pks change when the store is rebuilt.
    saved = json.loads(demo_db.execute("SELECT filter FROM saved_view").fetchone()[0])
    assert "authority_ids" in saved and "authority_pks" not in saved


def test_views_are_per_agent_and_ordered(demo_db: sqlite3.Connection) -> None:
    first = save_view(demo_db, AGENT, "Courrier", InboxFilter(), InboxSort())
    second = save_view(demo_db, AGENT, "Guichet", InboxFilter(search="guichet"), InboxSort())
    save_view(demo_db, "agent-b", "Courrier", InboxFilter(overdue=True), InboxSort())
    assert [v.name for v in saved_views(demo_db, AGENT)] == ["Courrier", "Guichet"]
    assert saved_views(demo_db, "agent-b")[0].filter.overdue
    move_view(demo_db, AGENT, second.pk, -1)
    assert [v.name for v in saved_views(demo_db, AGENT)] == ["Guichet", "Courrier"]
    delete_view(demo_db, AGENT, first.pk)
    assert [v.name for v in saved_views(demo_db, AGENT)] == ["Guichet"]
    assert len(saved_views(demo_db, "agent-b")) == 1


def test_same_name_replaces_and_names_are_checked(demo_db: sqlite3.Connection) -> None:
    view = save_view(demo_db, AGENT, "En retard", InboxFilter(overdue=True), InboxSort())
    again = save_view(demo_db, AGENT, "EN RETARD", InboxFilter(due_this_week=True), InboxSort())
    assert again.pk == view.pk
    [only] = saved_views(demo_db, AGENT)
    assert only.filter == InboxFilter(due_this_week=True) and only.name == "EN RETARD"
    other = save_view(demo_db, AGENT, "Autre", InboxFilter(), InboxSort())
    with pytest.raises(SavedViewError, match="Une vue s'appelle déjà « EN RETARD »"):
        rename_view(demo_db, AGENT, other.pk, "en retard")
    with pytest.raises(SavedViewError, match="Donnez un nom"):
        save_view(demo_db, AGENT, "   ", InboxFilter(), InboxSort())
    with pytest.raises(SavedViewError, match="60 caractères"):
        save_view(demo_db, AGENT, "x" * 61, InboxFilter(), InboxSort())


def test_an_odd_saved_filter_still_opens(demo_db: sqlite3.Connection) -> None:
    odd = json.dumps({
        "statuses": ["received", "a-status-of-a-newer-version"],
        "authority_ids": ["gone-commune"],
        "overdue": "yes",  # wrong type: default kept
        "a_filter_of_a_newer_version": True,
        "search": "salle",
    })
    assert filter_from_json(demo_db, odd) == InboxFilter(
        statuses=frozenset({Status.RECEIVED}), search="salle"
    )
    assert filter_from_json(demo_db, "not json") == InboxFilter()
    assert filter_from_json(demo_db, "[1, 2]") == InboxFilter()
    demo_db.execute(
        "INSERT INTO saved_view (agent_id, name, filter, sort_column, sort_descending, position)"
        " VALUES (?, 'Ancienne', '{}', 'A_COLUMN_GONE', 0, 1)",
        (AGENT,),
    )
    [view] = saved_views(demo_db, AGENT)
    assert view.sort == InboxSort()


def test_a_commune_removed_from_the_store_is_dropped(demo_db: sqlite3.Connection) -> None:
    flt = full_filter(demo_db)
    text = filter_to_json(demo_db, flt)
    [authority] = flt.authority_pks
    demo_db.execute("UPDATE authority SET deleted = 1 WHERE pk = ?", (authority,))
    assert filter_from_json(demo_db, text).authority_pks == frozenset()
