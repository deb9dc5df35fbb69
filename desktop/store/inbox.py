"""Reading the bannette: ids in SQL order, rows on demand, one request in detail.

The Qt model keeps only the ordered list of integer keys; rows are fetched in small batches as
they are painted. Filtering, sorting and full-text search all happen here in SQL, so the cost of
a keystroke does not grow with what Python holds.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import IntEnum
from typing import Any

from desktop.domain.legal_time import in_zone, parse_stored, read
from desktop.domain.parapheur import folder_label
from desktop.domain.text import fold
from desktop.store.rules import RULE_COLUMNS
from sync.protocol.reference import TypedNumber, parse_typed_number, request_reference
from sync.protocol.vocabulary import Channel, CitizenKind, Outcome, Status


class Column(IntEnum):
    NUMBER = 0
    RECEIVED = 1
    CHANNEL = 2
    CITIZEN = 3
    SUBJECT = 4
    PROCEDURE = 5
    AUTHORITY = 6
    STATUS = 7
    DUE = 8
    #: « Attribuée à »: the agent's name, else the service's (kept sorted by an index).
    ASSIGNEE = 9


#: Statuses in the order of the life cycle (received first, closed last), as SQL. Migration
#: sort_indexes indexes exactly this expression: SQLite reads the index only for an identical one.
STATUS_ORDER_SQL = (
    "(CASE r.status WHEN 'received' THEN 0 WHEN 'acknowledged' THEN 1\n"
    "     WHEN 'awaiting_documents' THEN 2 WHEN 'drafting' THEN 3 WHEN 'at_parapheur' THEN 4\n"
    "     WHEN 'answered' THEN 5 WHEN 'closed' THEN 6 ELSE 7 END)"
)

#: SQL sort expression per column; the primary key breaks ties so the order is total. Each is
#: read in order from an index of migration sort_indexes (the joined tables' own pk after their name
#: lets SQLite walk the small table in order and each one's live requests by pk, no sorting).
_SORT_SQL: dict[Column, str] = {
    # The reference (« 67348-2026-000165 »): the commune's code, then its own sequence.
    Column.NUMBER: "a.insee_code {dir}, a.pk {dir}, r.number {dir}",
    Column.RECEIVED: "r.received_at {dir}",
    Column.CHANNEL: "r.channel {dir}",
    Column.CITIZEN: "c.sort_key {dir}, c.pk {dir}",
    # fold() is registered on every connection (database.connect): "Élagage" with the E's.
    Column.SUBJECT: "fold(r.subject) {dir}",
    Column.PROCEDURE: "p.name {dir}, p.pk {dir}",
    Column.AUTHORITY: "a.name {dir}, a.pk {dir}",
    Column.STATUS: STATUS_ORDER_SQL + " {dir}",
    # Requests with nothing due go last whichever the direction.
    Column.DUE: "r.due_date IS NULL, r.due_date {dir}",
    # assignee_label is kept by triggers (migration services): read in index order.
    Column.ASSIGNEE: "r.assignee_label {dir}",
}
#: Joins a sort column needs (the rest stay out of the id query for speed).
_SORT_JOINS: dict[Column, str] = {
    Column.NUMBER: "JOIN authority a ON a.pk = r.authority_pk",
    Column.CITIZEN: "JOIN citizen c ON c.pk = r.citizen_pk",
    Column.PROCEDURE: "JOIN procedure p ON p.pk = r.procedure_pk",
    Column.AUTHORITY: "JOIN authority a ON a.pk = r.authority_pk",
}

_TOKEN = re.compile(r"\w+", re.UNICODE)
#: Words too common to narrow anything; dropped when the query has a more telling word.
STOP_WORDS = frozenset(
    [
        "a",
        "au",
        "aux",
        "d",
        "de",
        "des",
        "du",
        "en",
        "et",
        "l",
        "la",
        "le",
        "les",
        "par",
        "pour",
        "sur",
        "un",
        "une",
    ]
)
#: Searching starts at the third letter typed: one or two letters match most of the table,
#: cost the most, and tell the secrétaire nothing.
MIN_SEARCH_CHARS = 3


def search_words(text: str) -> list[str]:
    """The words of a search, folded as the index folds them, stop words dropped."""
    words = [w for w in _TOKEN.findall(fold(text)) if len(w) >= 2 or w.isdigit()]
    if any(len(w) >= MIN_SEARCH_CHARS for w in words):
        words = [w for w in words if w not in STOP_WORDS]
    if sum(len(w) for w in words) < MIN_SEARCH_CHARS:
        return []
    return words[:12]


def fts_query(text: str) -> str | None:
    """Turn what the secrétaire typed into an FTS5 query: every word, as a prefix, all required.

    Words are quoted so that FTS operators typed by accident ("ET", "-", "*", '"') are plain
    text; None means "no search" (too short to narrow anything).
    """
    words = search_words(text)
    if not words:
        return None
    return " AND ".join(_spellings(w) for w in words)


#: The index (unicode61) keeps "œ" and "æ" as letters of their own, but ``fold`` spells them
#: out, and AZERTY keyboards have no "œ" key anyway: a folded "oe" may be either in the index.
_LIGATURES = (("oe", "œ"), ("ae", "æ"))


def _spellings(word: str) -> str:
    """One folded word as an FTS5 term: "coeur" -> ("coeur"* OR "cœur"*)."""
    spellings = [word]
    every = word
    for plain, ligature in _LIGATURES:
        if plain in word:
            spellings.append(word.replace(plain, ligature))
            every = every.replace(plain, ligature)
    spellings.append(every)
    terms = [f'"{s}"*' for s in dict.fromkeys(spellings)]
    return terms[0] if len(terms) == 1 else f"({' OR '.join(terms)})"


def number_prefix(text: str) -> str | None:
    """ "2026-0001" (or "67348-2026-0001") is the start of a request's number: answered from
    the number index; the commune code, when typed, is ``parse_typed_number``'s."""
    typed = parse_typed_number(text)
    return typed.number if typed else None


def search_key(text: str) -> tuple[str, ...] | None:
    """What a search text actually asks the database; equal keys give equal results."""
    typed = parse_typed_number(text)
    if typed:
        return ("number", typed.insee_code or "", typed.number)
    query = fts_query(text)
    return ("fts", query) if query else None


@dataclass(frozen=True)
class InboxFilter:
    statuses: frozenset[Status] = frozenset()
    channels: frozenset[Channel] = frozenset()
    authority_pks: frozenset[int] = frozenset()
    procedure_pks: frozenset[int] = frozenset()
    overdue: bool = False
    due_this_week: bool = False
    assigned_to_me: bool = False
    not_acknowledged: bool = False
    search: str = ""
    #: « Mon service »: requests assigned to a service the current agent belongs to.
    my_services: bool = False

    def same_results_as(self, other: InboxFilter) -> bool:
        """True when only the search text differs, and not in a way the query sees
        (a second letter typed, a trailing space)."""
        return replace(self, search="") == replace(other, search="") and search_key(
            self.search
        ) == search_key(other.search)


@dataclass(frozen=True)
class InboxSort:
    column: Column = Column.RECEIVED
    descending: bool = True


@dataclass(frozen=True)
class InboxRow:
    pk: int
    #: The commune's own sequence (« 2026-000165 »); show :attr:`reference` instead.
    number: str
    received_at: datetime
    channel: Channel
    citizen: str
    subject: str
    procedure: str
    authority: str
    department: str
    status: Status
    outcome: Outcome | None
    due_date: date | None
    due_kind: str | None
    #: The state of the request's latest parapheur folder, in French (None: never sent).
    parapheur: str | None = None
    #: What is shown and searched: « 67348-2026-000165 » (sync.protocol.reference).
    reference: str = ""
    #: An incoming message of the citizen not yet seen on this PC (shown in bold).
    unread: bool = False
    #: « Attribuée à »: agent or service name ('' when nobody).
    assignee: str = ""


@dataclass(frozen=True)
class Choice:
    """An entry of a filter menu: a key the query understands and a label to show."""

    key: int | str
    label: str


@dataclass(frozen=True)
class EventView:
    at: datetime
    kind: str
    agent: str | None
    detail: dict[str, object]


@dataclass(frozen=True)
class AttachmentView:
    filename: str
    media_type: str
    size: int


@dataclass(frozen=True)
class CitizenView:
    kind: CitizenKind
    display_name: str
    last_name: str
    first_name: str
    organisation: str
    rna: str
    siret: str
    email: str
    phone: str
    address: str
    postcode: str
    city: str


@dataclass(frozen=True)
class RequestDetail:
    row: InboxRow
    body: str
    assigned_to: str | None
    registration_receipt_at: datetime | None
    acknowledged_at: datetime | None
    silence_rule: str
    period: int
    period_unit: str
    citizen: CitizenView
    form_fields: dict[str, str]
    attachments: list[AttachmentView] = field(default_factory=list)
    events: list[EventView] = field(default_factory=list)
    missing_documents: list[tuple[date, date | None, list[str]]] = field(default_factory=list)
    #: The letters produced for the request (``desktop.store.letters.LetterRecord``).
    letters: list[Any] = field(default_factory=list)


_ROW_SQL = """
SELECT r.pk, r.number, r.received_at, r.channel, c.display_name, r.subject, p.name, a.name,
       a.department, r.status, r.outcome, r.due_date, r.due_kind, a.insee_code,
       (SELECT json_array(f.state, f.sending, f.version, json(f.steps), f.last_error)
        FROM parapheur_folder f WHERE f.request_pk = r.pk AND f.deleted = 0
        ORDER BY f.created_at DESC, f.pk DESC LIMIT 1),
       EXISTS (SELECT 1 FROM message m WHERE m.request_pk = r.pk AND m.direction = 'inbound'
               AND m.read_at IS NULL AND m.deleted = 0),
       r.assignee_label
FROM request r
JOIN citizen c ON c.pk = r.citizen_pk
JOIN procedure p ON p.pk = r.procedure_pk
JOIN authority a ON a.pk = r.authority_pk
"""


def _row(values: Sequence[object]) -> InboxRow:
    return InboxRow(
        pk=int(values[0]),  # type: ignore[arg-type]
        number=str(values[1]),
        # Every instant read from here on is in the commune's legal zone (see legal_time).
        received_at=in_zone(parse_stored(str(values[2])), str(values[8])),
        channel=Channel(values[3]),
        citizen=str(values[4]),
        subject=str(values[5]),
        procedure=str(values[6]),
        authority=str(values[7]),
        department=str(values[8]),
        status=Status(values[9]),
        outcome=Outcome(values[10]) if values[10] else None,
        due_date=date.fromisoformat(str(values[11])) if values[11] else None,
        due_kind=str(values[12]) if values[12] else None,
        parapheur=folder_label(*json.loads(str(values[14]))) if values[14] else None,
        reference=request_reference(str(values[13] or ""), str(values[1])),
        unread=bool(values[15]),
        assignee=str(values[16] or ""),
    )


def end_of_week(today: date) -> date:
    return today + timedelta(days=6 - today.weekday())


class InboxRepository:
    """Read queries of the bannette over one connection (the GUI thread's)."""

    #: Above this many full-text matches, sorting them in SQL costs more than walking the
    #: already-sorted list without a search and keeping the matches (see ids()).
    LARGE_MATCH = 2000

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._base_key: tuple[object, ...] | None = None
        self._base_ids: list[int] = []

    @property
    def connection(self) -> sqlite3.Connection:
        """The GUI thread's connection, for the services that write next to these reads."""
        return self._conn

    # --- the list ---------------------------------------------------------------------------
    def ids(
        self,
        flt: InboxFilter,
        sort: InboxSort,
        *,
        today: date,
        agent_id: str | None = None,
    ) -> list[int]:
        """The pks matching ``flt`` in ``sort`` order.

        A search that matches many requests (the first letters of a common name) is answered
        by intersecting the full-text matches with the sorted list of the same filter without
        the search, which is cached until the database changes: the cost is then that of the
        raw FTS5 query plus one pass over the list, instead of sorting tens of thousands of
        matches again at each keystroke.
        """
        key = search_key(flt.search)
        without_search = replace(flt, search="")
        if key is None:
            # Clearing the search box brings back a list already sorted once.
            return list(self._cached_base(without_search, sort, today=today, agent_id=agent_id))
        if key[0] == "number":
            return self._number_ids(flt, TypedNumber(key[1] or None, key[2]), sort,
                                    today=today, agent_id=agent_id)
        matches = [
            rowid
            for (rowid,) in self._conn.execute(
                "SELECT rowid FROM request_fts WHERE request_fts MATCH ?", (key[1],)
            )
        ]
        if len(matches) <= self.LARGE_MATCH:
            return self._sql_ids(flt, sort, today=today, agent_id=agent_id)
        base = self._cached_base(without_search, sort, today=today, agent_id=agent_id)
        matched = set(matches)
        return [pk for pk in base if pk in matched]

    def _number_ids(
        self,
        flt: InboxFilter,
        typed: TypedNumber,
        sort: InboxSort,
        *,
        today: date,
        agent_id: str | None,
    ) -> list[int]:
        """Requests whose number starts with the typed one, read from the number index.

        A narrow prefix goes straight to SQL. A wide one filters the cached sorted list: by the
        matches, or, while the year is being typed ("2026-", "2026-00") and nearly every
        request matches, by the few that don't (two index ranges either side of the prefix).
        A commune code typed before the number ("67348-2026-") keeps that commune's only.
        """
        if typed.insee_code is not None:
            return self._sql_ids(flt, sort, today=today, agent_id=agent_id)
        prefix = typed.number
        low, high = prefix, prefix + "\uffff"
        count = "SELECT COUNT(*) FROM request WHERE deleted = 0 AND number "
        (inside,) = self._conn.execute(count + "BETWEEN ? AND ?", (low, high)).fetchone()
        if inside <= self.LARGE_MATCH:
            return self._sql_ids(flt, sort, today=today, agent_id=agent_id)
        base = self._cached_base(replace(flt, search=""), sort, today=today, agent_id=agent_id)
        if inside <= self.total() // 2:
            matched = {
                pk
                for (pk,) in self._conn.execute(
                    "SELECT pk FROM request WHERE deleted = 0 AND number BETWEEN ? AND ?",
                    (low, high),
                )
            }
            return [pk for pk in base if pk in matched]
        excluded = {
            pk
            for (pk,) in self._conn.execute(
                "SELECT pk FROM request WHERE deleted = 0 AND number < ? "
                "UNION ALL SELECT pk FROM request WHERE deleted = 0 AND number > ?",
                (low, high),
            )
        }
        return [pk for pk in base if pk not in excluded]

    def _cached_base(
        self, flt: InboxFilter, sort: InboxSort, *, today: date, agent_id: str | None
    ) -> list[int]:
        # data_version moves when another connection (the sync worker) commits;
        # total_changes when this one writes.
        version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        key = (flt, sort, today, agent_id, version, self._conn.total_changes)
        if key != self._base_key:
            self._base_ids = self._sql_ids(flt, sort, today=today, agent_id=agent_id)
            self._base_key = key
        return self._base_ids

    def _sql_ids(
        self, flt: InboxFilter, sort: InboxSort, *, today: date, agent_id: str | None
    ) -> list[int]:
        where, params = self._where(flt, today=today, agent_id=agent_id)
        direction = "DESC" if sort.descending else "ASC"
        order = _SORT_SQL[sort.column].format(dir=direction)
        joins = _SORT_JOINS.get(sort.column, "")
        # « Mon service » is a list of services: left alone, SQLite walks the whole bannette
        # in the sort's order to avoid sorting; reading the service's few rows and sorting
        # them is 3 to 4 times faster.
        hint = " INDEXED BY request_assigned_service" if flt.my_services else ""
        sql = (
            f"SELECT r.pk FROM request r{hint} {joins} WHERE {' AND '.join(where)} "
            f"ORDER BY {order}, r.pk {direction}"
        )
        return [pk for (pk,) in self._conn.execute(sql, params)]

    def _where(
        self, flt: InboxFilter, *, today: date, agent_id: str | None
    ) -> tuple[list[str], list[object]]:
        where: list[str] = ["r.deleted = 0"]
        params: list[object] = []

        def member(column: str, values: frozenset[object]) -> None:
            if values:
                where.append(f"{column} IN ({', '.join('?' * len(values))})")
                params.extend(sorted(values, key=str))

        member("r.status", frozenset(s.value for s in flt.statuses))
        member("r.channel", frozenset(c.value for c in flt.channels))
        member("r.authority_pk", frozenset(flt.authority_pks))
        member("r.procedure_pk", frozenset(flt.procedure_pks))
        if flt.overdue:
            where.append("r.due_date < ?")
            params.append(today.isoformat())
        if flt.due_this_week:
            where.append("r.due_date BETWEEN ? AND ?")
            params.extend([today.isoformat(), end_of_week(today).isoformat()])
        if flt.assigned_to_me:
            where.append("r.assigned_agent_pk = (SELECT pk FROM agent WHERE id = ?)")
            params.append(agent_id or "")
        if flt.my_services:
            where.append(
                "r.assigned_service_id IN (SELECT s.id FROM service s "
                "JOIN service_member m ON m.service_pk = s.pk "
                "JOIN agent ag ON ag.pk = m.agent_pk WHERE ag.id = ? AND s.deleted = 0)"
            )
            params.append(agent_id or "")
        if flt.not_acknowledged:
            where.append("r.acknowledged_at IS NULL AND r.status NOT IN ('answered', 'closed')")
        typed = parse_typed_number(flt.search)
        query = None if typed else fts_query(flt.search)
        if typed:
            where.append("r.number BETWEEN ? AND ?")
            params.extend([typed.number, typed.number + "\uffff"])
            if typed.insee_code is not None:
                where.append("r.authority_pk IN (SELECT pk FROM authority WHERE insee_code = ?)")
                params.append(typed.insee_code)
        elif query is not None:
            where.append("r.pk IN (SELECT rowid FROM request_fts WHERE request_fts MATCH ?)")
            params.append(query)
        return where, params

    def rows(self, pks: Sequence[int]) -> dict[int, InboxRow]:
        if not pks:
            return {}
        placeholders = ", ".join("?" * len(pks))
        cursor = self._conn.execute(f"{_ROW_SQL} WHERE r.pk IN ({placeholders})", list(pks))
        return {int(values[0]): _row(values) for values in cursor}

    def total(self) -> int:
        return int(
            self._conn.execute("SELECT COUNT(*) FROM request WHERE deleted = 0").fetchone()[0]
        )

    # --- filter menus ------------------------------------------------------------------------
    def authorities(self) -> list[Choice]:
        return [
            Choice(pk, name)
            for pk, name in self._conn.execute(
                "SELECT pk, name FROM authority WHERE deleted = 0 ORDER BY name"
            )
        ]

    def procedures(self) -> list[Choice]:
        return [
            Choice(pk, name)
            for pk, name in self._conn.execute(
                "SELECT pk, name FROM procedure WHERE deleted = 0 ORDER BY name"
            )
        ]

    def current_agent(self) -> tuple[str, str] | None:
        """(id, display name) of the agent working on this installation."""
        row = self._conn.execute(
            "SELECT a.id, a.display_name FROM setting s JOIN agent a ON a.id = s.value "
            "WHERE s.key = 'current_agent'"
        ).fetchone()
        return (row[0], row[1]) if row else None

    # --- one request ------------------------------------------------------------------------
    def detail(self, pk: int) -> RequestDetail | None:
        found = self.rows([pk])
        if pk not in found:
            return None
        r = self._conn.execute(
            f"""SELECT r.body, r.form_fields, r.registration_receipt_at, r.acknowledged_at,
                      ag.display_name, {RULE_COLUMNS}, r.citizen_pk
               FROM request r
               JOIN procedure p ON p.pk = r.procedure_pk
               LEFT JOIN agent ag ON ag.pk = r.assigned_agent_pk
               WHERE r.pk = ?""",
            (pk,),
        ).fetchone()
        c = self._conn.execute(
            """SELECT kind, display_name, last_name, first_name, organisation, rna, siret, email,
                      phone, address, postcode, city FROM citizen WHERE pk = ?""",
            (r["citizen_pk"],),
        ).fetchone()
        citizen = CitizenView(CitizenKind(c[0]), *[str(v) for v in tuple(c)[1:]])
        attachments = [
            AttachmentView(a["filename"], a["media_type"], a["size"])
            for a in self._conn.execute(
                "SELECT filename, media_type, size FROM attachment "
                "WHERE request_pk = ? AND deleted = 0 ORDER BY pk",
                (pk,),
            )
        ]
        department = found[pk].department
        events = [
            EventView(
                in_zone(parse_stored(e["at"]), department),
                e["kind"],
                e["display_name"],
                json.loads(e["detail"]),
            )
            for e in self._conn.execute(
                """SELECT e.at, e.kind, ag.display_name, e.detail FROM event e
                   LEFT JOIN agent ag ON ag.pk = e.agent_pk
                   WHERE e.request_pk = ? ORDER BY e.at DESC, e.pk DESC""",
                (pk,),
            )
        ]
        missing = [
            (
                date.fromisoformat(m["asked_on"]),
                date.fromisoformat(m["received_on"]) if m["received_on"] else None,
                list(json.loads(m["documents"])),
            )
            for m in self._conn.execute(
                "SELECT asked_on, received_on, documents FROM missing_documents "
                "WHERE request_pk = ? AND deleted = 0 ORDER BY asked_on",
                (pk,),
            )
        ]

        def moment(value: str | None) -> datetime | None:
            return read(value, department)

        from desktop.store.letters import letters_of  # noqa: PLC0415 - letters reads legal

        return RequestDetail(
            row=found[pk],
            body=r["body"],
            # The agent's name, else the service's (one label, as in the « Attribuée à » column).
            assigned_to=found[pk].assignee or r["display_name"],
            registration_receipt_at=moment(r["registration_receipt_at"]),
            acknowledged_at=moment(r["acknowledged_at"]),
            silence_rule=r["silence_rule"],
            period=r["period"],
            period_unit=r["period_unit"],
            citizen=citizen,
            form_fields={str(k): str(v) for k, v in json.loads(r["form_fields"]).items()},
            attachments=attachments,
            events=events,
            missing_documents=missing,
            letters=letters_of(self._conn, pk),
        )
