"""Saved views: a secrétaire's usual searches, filters and sort, kept under a name.

The filter is written field by field from :class:`InboxFilter` itself, so a filter added to
the bannette is saved without touching this module; sets of communes and démarches are kept
by id, since pks change when the store is rebuilt from the server. Reading is lenient: an
unknown field (a newer version's) is ignored, a commune gone from the store is dropped, and a
missing field keeps its default, so an old view never fails to open.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from desktop.store.database import transaction
from desktop.store.inbox import Column, InboxFilter, InboxSort
from sync.protocol.vocabulary import Channel, Status

#: The longest name the side list shows whole.
MAX_NAME = 60

#: Filter fields holding local pks, saved as the ids of the rows of that table.
_BY_ID = {"authority_pks": "authority", "procedure_pks": "procedure"}
#: Filter fields holding enum values.
_ENUMS: dict[str, type[StrEnum]] = {"statuses": Status, "channels": Channel}


class SavedViewError(ValueError):
    """A French message for the user (empty name, too long…)."""


@dataclass(frozen=True)
class SavedView:
    pk: int
    name: str
    filter: InboxFilter
    sort: InboxSort


def _ids_of(conn: sqlite3.Connection, table: str, pks: frozenset[int]) -> list[str]:
    if not pks:
        return []
    marks = ",".join("?" * len(pks))
    rows = conn.execute(f"SELECT id FROM {table} WHERE pk IN ({marks})", sorted(pks))
    return sorted(str(r[0]) for r in rows)


def _pks_of(conn: sqlite3.Connection, table: str, ids: list[Any]) -> frozenset[int]:
    if not ids:
        return frozenset()
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT pk FROM {table} WHERE deleted = 0 AND id IN ({marks})", [str(i) for i in ids]
    )
    return frozenset(int(r[0]) for r in rows)


def filter_to_json(conn: sqlite3.Connection, flt: InboxFilter) -> str:
    data: dict[str, Any] = {}
    for f in dataclasses.fields(flt):
        value = getattr(flt, f.name)
        if f.name in _BY_ID:
            data[f.name.replace("_pks", "_ids")] = _ids_of(conn, _BY_ID[f.name], value)
        elif isinstance(value, frozenset):
            data[f.name] = sorted(str(v) for v in value)
        else:
            data[f.name] = value
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def filter_from_json(conn: sqlite3.Connection, text: str) -> InboxFilter:
    try:
        data = json.loads(text)
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    values: dict[str, Any] = {}
    for f in dataclasses.fields(InboxFilter):
        if f.name in _BY_ID:
            ids = data.get(f.name.replace("_pks", "_ids"))
            if isinstance(ids, list):
                values[f.name] = _pks_of(conn, _BY_ID[f.name], ids)
            continue
        if f.name not in data:
            continue
        raw = data[f.name]
        default = getattr(InboxFilter(), f.name)
        if isinstance(default, frozenset) and isinstance(raw, list):
            enum = _ENUMS.get(f.name)
            known = {m.value for m in enum} if enum else None
            values[f.name] = frozenset(
                enum(v) if enum else v for v in raw if known is None or v in known
            )
        elif type(raw) is type(default):  # a flag stays a flag, a text a text
            values[f.name] = raw
    return InboxFilter(**values)


def _checked_name(name: str) -> str:
    text = " ".join(name.split())
    if not text:
        raise SavedViewError("Donnez un nom à la vue.")
    if len(text) > MAX_NAME:
        raise SavedViewError(f"Le nom d'une vue tient en {MAX_NAME} caractères au plus.")
    return text


def _sort_from(column: str, descending: int) -> InboxSort:
    try:
        return InboxSort(Column[column], bool(descending))
    except KeyError:
        return InboxSort()


def saved_views(conn: sqlite3.Connection, agent_id: str) -> list[SavedView]:
    """The agent's views, in the order of the side list."""
    return [
        SavedView(int(r[0]), str(r[1]), filter_from_json(conn, str(r[2])), _sort_from(r[3], r[4]))
        for r in conn.execute(
            "SELECT pk, name, filter, sort_column, sort_descending FROM saved_view "
            "WHERE agent_id = ? ORDER BY position, pk",
            (agent_id,),
        )
    ]


def view_named(conn: sqlite3.Connection, agent_id: str, name: str) -> SavedView | None:
    wanted = " ".join(name.split()).casefold()
    return next((v for v in saved_views(conn, agent_id) if v.name.casefold() == wanted), None)


def save_view(
    conn: sqlite3.Connection, agent_id: str, name: str, flt: InboxFilter, sort: InboxSort
) -> SavedView:
    """Saves under ``name``; a view of that name (whatever its case) is replaced in place."""
    text = _checked_name(name)
    existing = view_named(conn, agent_id, text)
    encoded = filter_to_json(conn, flt)
    with transaction(conn):
        if existing is not None:
            conn.execute(
                "UPDATE saved_view SET name = ?, filter = ?, sort_column = ?, "
                "sort_descending = ? WHERE pk = ?",
                (text, encoded, sort.column.name, int(sort.descending), existing.pk),
            )
            pk = existing.pk
        else:
            (last,) = conn.execute(
                "SELECT COALESCE(MAX(position), 0) FROM saved_view WHERE agent_id = ?",
                (agent_id,),
            ).fetchone()
            cur = conn.execute(
                "INSERT INTO saved_view (agent_id, name, filter, sort_column, sort_descending, "
                "position) VALUES (?, ?, ?, ?, ?, ?)",
                (agent_id, text, encoded, sort.column.name, int(sort.descending), int(last) + 1),
            )
            pk = int(cur.lastrowid or 0)
    return SavedView(pk, text, filter_from_json(conn, encoded), sort)


def rename_view(conn: sqlite3.Connection, agent_id: str, pk: int, name: str) -> None:
    text = _checked_name(name)
    other = view_named(conn, agent_id, text)
    if other is not None and other.pk != pk:
        raise SavedViewError(f"Une vue s'appelle déjà « {other.name} ».")
    with transaction(conn):
        conn.execute(
            "UPDATE saved_view SET name = ? WHERE pk = ? AND agent_id = ?", (text, pk, agent_id)
        )


def delete_view(conn: sqlite3.Connection, agent_id: str, pk: int) -> None:
    with transaction(conn):
        conn.execute("DELETE FROM saved_view WHERE pk = ? AND agent_id = ?", (pk, agent_id))


def move_view(conn: sqlite3.Connection, agent_id: str, pk: int, step: int) -> None:
    """Moves a view up (``step`` < 0) or down the side list."""
    order = [v.pk for v in saved_views(conn, agent_id)]
    if pk not in order:
        return
    i = order.index(pk)
    j = max(0, min(len(order) - 1, i + step))
    order.insert(j, order.pop(i))
    with transaction(conn):
        for position, view_pk in enumerate(order, start=1):
            conn.execute("UPDATE saved_view SET position = ? WHERE pk = ?", (position, view_pk))
