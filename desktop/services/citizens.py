"""The citizen's file as the views see it: one object bound to the window's connection, so
widgets never run SQL (DESIGN.md). Every call is short (indexed queries, measured by
bench/citizen_lookup.py), hence synchronous on the GUI thread like the intake's search."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

from desktop.store.citizens import (
    CitizenHit,
    CitizenRecord,
    CitizenStory,
    Duplicate,
    Side,
    citizen_of_request,
    citizen_story,
    find_duplicates,
    load_citizen,
    merge_citizens,
    search_citizens,
    update_citizen,
)
from desktop.store.intake import NewCitizen


class CitizenService:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def search(self, text: str) -> list[CitizenHit]:
        return search_citizens(self.conn, text)

    def load(self, pk: int) -> CitizenRecord:
        return load_citizen(self.conn, pk)

    def story(self, pk: int) -> CitizenStory:
        return citizen_story(self.conn, pk)

    def of_request(self, request_pk: int) -> int | None:
        return citizen_of_request(self.conn, request_pk)

    def duplicates(
        self, authority_pk: int, citizen: NewCitizen, exclude_pk: int | None = None
    ) -> list[Duplicate]:
        return find_duplicates(self.conn, authority_pk, citizen, exclude_pk=exclude_pk)

    def save(self, pk: int, citizen: NewCitizen) -> list[str]:
        return update_citizen(self.conn, pk, citizen)

    def merge(self, survivor_pk: int, absorbed_pk: int, keep: Mapping[str, Side]) -> NewCitizen:
        return merge_citizens(self.conn, survivor_pk, absorbed_pk, keep)

    def moved_counts(self, pk: int) -> tuple[int, int]:
        """(requests, calls) of one citizen record: what a merge would move."""
        requests = self.conn.execute(
            "SELECT COUNT(*) FROM request WHERE citizen_pk = ? AND deleted = 0", (pk,)
        ).fetchone()[0]
        calls = self.conn.execute(
            "SELECT COUNT(*) FROM phone_call WHERE citizen_pk = ? AND deleted = 0", (pk,)
        ).fetchone()[0]
        return int(requests), int(calls)
