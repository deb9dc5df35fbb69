"""The bannette's SQL against a plain Python evaluation over every row of the demo database.

Each filter alone, then random combinations (hypothesis), must select exactly the requests a
straightforward Python reading of the filter selects; each sort column, in both directions,
must give the order Python's ``sorted`` gives, ties broken by pk in the same direction.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.domain.text import fold
from desktop.store.database import connect
from desktop.store.inbox import (
    Column,
    InboxFilter,
    InboxRepository,
    InboxSort,
    number_prefix,
    search_words,
)
from sync.protocol.vocabulary import Channel, Status
from tests.conftest import TODAY


@dataclass(frozen=True)
class Req:
    pk: int
    number: str
    received_at: str
    channel: str
    status: str
    authority_pk: int
    authority: str
    procedure_pk: int
    procedure: str
    citizen: str
    subject: str
    due_date: str | None
    assigned_agent: str | None
    acknowledged_at: str | None
    deleted: int
    tokens: tuple[tuple[str, ...], ...]  # folded words of each indexed column
    insee_code: str = ""
    citizen_pk: int = 0
    citizen_sort_key: str = ""
    assignee: str = ""


_WORD = re.compile(r"[^\W_]+")


def load(conn: sqlite3.Connection) -> list[Req]:
    rows = []
    for r in conn.execute(
        """SELECT r.*, a.name AS authority, p.name AS procedure, c.display_name, c.email,
                  ag.id AS agent_id, a.insee_code, c.sort_key AS citizen_sort_key
           FROM request r JOIN authority a ON a.pk = r.authority_pk
           JOIN procedure p ON p.pk = r.procedure_pk JOIN citizen c ON c.pk = r.citizen_pk
           LEFT JOIN agent ag ON ag.pk = r.assigned_agent_pk"""
    ):
        files = [
            f
            for (f,) in conn.execute(
                "SELECT filename FROM attachment WHERE request_pk = ? AND deleted = 0", (r["pk"],)
            )
        ]
        short_number = r["number"][5:].lstrip("0")  # "2026-000123" is also found as "123"
        columns = [
            f"{r['number']} {short_number}",
            f"{r['display_name']} {r['email']}",
            r["subject"],
            r["body"],
            " ".join(files),
        ]
        rows.append(
            Req(
                pk=r["pk"],
                number=r["number"],
                received_at=r["received_at"],
                channel=r["channel"],
                status=r["status"],
                authority_pk=r["authority_pk"],
                authority=r["authority"],
                procedure_pk=r["procedure_pk"],
                procedure=r["procedure"],
                citizen=r["display_name"],
                subject=r["subject"],
                due_date=r["due_date"],
                assigned_agent=r["agent_id"],
                acknowledged_at=r["acknowledged_at"],
                deleted=r["deleted"],
                tokens=tuple(tuple(_WORD.findall(fold(c))) for c in columns),
                insee_code=r["insee_code"],
                citizen_pk=r["citizen_pk"],
                citizen_sort_key=r["citizen_sort_key"],
                assignee=r["assignee_label"],
            )
        )
    return rows


def _matches_search(req: Req, text: str) -> bool:
    prefix = number_prefix(text)
    if prefix is not None:
        return req.number.startswith(prefix)
    words = search_words(text)
    for word in words:
        # A word FTS splits ("l'école" stays whole in \w but not in the index) is a phrase.
        parts = _WORD.findall(word)
        if not any(_phrase_in(parts, column) for column in req.tokens):
            return False
    return True


def _phrase_in(parts: list[str], tokens: tuple[str, ...]) -> bool:
    """``parts`` as consecutive tokens, the last one as a prefix (FTS5 "a b"*)."""
    n = len(parts)
    for i in range(len(tokens) - n + 1):
        window = tokens[i : i + n]
        if list(window[:-1]) == parts[:-1] and window[-1].startswith(parts[-1]):
            return True
    return False


def expected_ids(rows: list[Req], flt: InboxFilter, agent_id: str | None) -> set[int]:
    sunday = TODAY + timedelta(days=6 - TODAY.weekday())
    out = set()
    for r in rows:
        if r.deleted:
            continue
        if flt.statuses and Status(r.status) not in flt.statuses:
            continue
        if flt.channels and Channel(r.channel) not in flt.channels:
            continue
        if flt.authority_pks and r.authority_pk not in flt.authority_pks:
            continue
        if flt.procedure_pks and r.procedure_pk not in flt.procedure_pks:
            continue
        due = date.fromisoformat(r.due_date) if r.due_date else None
        if flt.overdue and not (due and due < TODAY):
            continue
        if flt.due_this_week and not (due and TODAY <= due <= sunday):
            continue
        if flt.assigned_to_me and (agent_id is None or r.assigned_agent != agent_id):
            continue
        if flt.not_acknowledged and (
            r.acknowledged_at is not None or r.status in ("answered", "closed")
        ):
            continue
        searching = number_prefix(flt.search) is not None or search_words(flt.search)
        if searching and not _matches_search(r, flt.search):
            continue
        out.add(r.pk)
    return out


@pytest.fixture
def demo(demo_db: sqlite3.Connection) -> tuple[InboxRepository, list[Req], str]:
    # A few tombstones: they must vanish from every list.
    demo_db.execute("UPDATE request SET deleted = 1 WHERE pk % 97 = 0")
    agent_id = demo_db.execute("SELECT value FROM setting WHERE key = 'current_agent'").fetchone()[
        0
    ]
    return InboxRepository(demo_db), load(demo_db), agent_id


def ids(repo: InboxRepository, flt: InboxFilter, agent_id: str | None = None) -> list[int]:
    return repo.ids(flt, InboxSort(), today=TODAY, agent_id=agent_id)


# --------------------------------------------------------------------------- filters alone


def test_no_filter_lists_every_live_request(demo: tuple) -> None:
    repo, rows, _ = demo
    found = ids(repo, InboxFilter())
    assert len(found) == len(set(found)) == repo.total() == sum(1 for r in rows if not r.deleted)
    assert set(found) == expected_ids(rows, InboxFilter(), None)


SINGLE_FILTERS = [
    *(InboxFilter(statuses=frozenset({s})) for s in Status),
    *(InboxFilter(channels=frozenset({c})) for c in Channel),
    InboxFilter(statuses=frozenset({Status.RECEIVED, Status.DRAFTING})),
    InboxFilter(channels=frozenset({Channel.PAPER, Channel.PHONE, Channel.COUNTER})),
    InboxFilter(overdue=True),
    InboxFilter(due_this_week=True),
    InboxFilter(assigned_to_me=True),
    InboxFilter(not_acknowledged=True),
    *(
        InboxFilter(search=s)
        for s in (
            "naissance",
            "noel",
            "NAISSANCE",
            "inscription scolaire",
            "ecole",
            "école",
            "rue",
            "justificatif",
            "pdf",
            "2026",
            "2026-",
            "2026-0001",
            "2026-000012",
            "000012",
            "12",
            "demande",
            "de la",
            "l'école",
            "zzzzzz",
        )
    ),
]


@pytest.mark.parametrize("flt", SINGLE_FILTERS, ids=repr)
def test_single_filter(demo: tuple, flt: InboxFilter) -> None:
    repo, rows, agent_id = demo
    expected = expected_ids(rows, flt, agent_id)
    assert set(ids(repo, flt, agent_id)) == expected
    if flt != InboxFilter(search="zzzzzz"):
        assert expected, "a filter that selects nothing on the demo data tests nothing"


def test_each_authority_and_procedure(demo: tuple) -> None:
    repo, rows, _ = demo
    for choice in repo.authorities():
        flt = InboxFilter(authority_pks=frozenset({int(choice.key)}))
        assert set(ids(repo, flt)) == expected_ids(rows, flt, None) != set()
    for choice in repo.procedures():
        flt = InboxFilter(procedure_pks=frozenset({int(choice.key)}))
        assert set(ids(repo, flt)) == expected_ids(rows, flt, None)


def test_assigned_to_me_without_an_agent_is_empty(demo: tuple) -> None:
    repo, _, _ = demo
    assert ids(repo, InboxFilter(assigned_to_me=True), None) == []
    assert ids(repo, InboxFilter(assigned_to_me=True), "someone-else") == []


def test_due_this_week_on_a_sunday(demo: tuple) -> None:
    """On Sunday the week is that one day (the filter never reaches into next week)."""
    repo, rows, _ = demo
    sunday = date(2026, 11, 29)
    found = repo.ids(InboxFilter(due_this_week=True), InboxSort(), today=sunday)
    assert {r.pk for r in rows if not r.deleted and r.due_date == sunday.isoformat()} == set(found)


# --------------------------------------------------------------------------- combinations

VOCABULARY = [
    "",
    "noel",
    "naissance",
    "acte",
    "inscription",
    "ecole",
    "rue",
    "salle",
    "voirie",
    "pdf",
    "mairie",
    "2026",
    "2026-000",
    "000",
    "martin",
    "de la",
    "l'",
    "ab",
    "subvention association",
    "Élagage",
]


def filters(authority_pks: list[int], procedure_pks: list[int]) -> st.SearchStrategy:
    return st.builds(
        InboxFilter,
        statuses=st.frozensets(st.sampled_from(list(Status)), max_size=3),
        channels=st.frozensets(st.sampled_from(list(Channel)), max_size=3),
        authority_pks=st.frozensets(st.sampled_from([*authority_pks, 999]), max_size=2),
        procedure_pks=st.frozensets(st.sampled_from(procedure_pks), max_size=4),
        overdue=st.booleans(),
        due_this_week=st.booleans(),
        assigned_to_me=st.booleans(),
        not_acknowledged=st.booleans(),
        search=st.one_of(
            st.sampled_from(VOCABULARY),
            st.text(alphabet="aeioulnrstcé '-", max_size=6),
        ),
    )


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_filter_combinations(demo: tuple, data: st.DataObject) -> None:
    repo, rows, agent_id = demo
    flt = data.draw(
        filters(
            sorted({r.authority_pk for r in rows}),
            sorted({r.procedure_pk for r in rows}),
        )
    )
    agent = data.draw(st.sampled_from([agent_id, None]))
    found = ids(repo, flt, agent)
    assert len(found) == len(set(found))
    assert set(found) == expected_ids(rows, flt, agent)


# --------------------------------------------------------------------------- sorting


SORT_KEYS: dict[Column, list[Callable[[Req], object]]] = {
    # The reference: the commune's INSEE code, then its own sequence.
    Column.NUMBER: [lambda r: r.insee_code, lambda r: r.authority_pk, lambda r: r.number],
    Column.RECEIVED: [lambda r: r.received_at],
    Column.CHANNEL: [lambda r: r.channel],
    Column.CITIZEN: [lambda r: r.citizen_sort_key, lambda r: r.citizen_pk],
    Column.SUBJECT: [lambda r: fold(r.subject)],
    Column.PROCEDURE: [lambda r: r.procedure, lambda r: r.procedure_pk],
    Column.AUTHORITY: [lambda r: r.authority, lambda r: r.authority_pk],
    # The life cycle, not the alphabet of the codes.
    Column.STATUS: [lambda r: list(Status).index(Status(r.status))],
    Column.DUE: [lambda r: r.due_date or ""],
    Column.ASSIGNEE: [lambda r: r.assignee],
}


def python_order(rows: list[Req], column: Column, descending: bool) -> list[int]:
    ordered = [r for r in rows if not r.deleted]
    # Stable sorts from the least significant key up: pk, then the column's keys.
    ordered.sort(key=lambda r: r.pk, reverse=descending)
    for key in reversed(SORT_KEYS[column]):
        ordered.sort(key=key, reverse=descending)
    if column == Column.DUE:  # nothing due goes last in both directions
        ordered.sort(key=lambda r: r.due_date is None)
    return [r.pk for r in ordered]


def test_every_column_has_a_python_order() -> None:
    assert set(SORT_KEYS) == set(Column)


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("column", list(Column), ids=lambda c: c.name)
def test_sort(demo: tuple, column: Column, descending: bool) -> None:
    repo, rows, _ = demo
    got = repo.ids(InboxFilter(), InboxSort(column, descending), today=TODAY)
    assert got == python_order(rows, column, descending)


@pytest.mark.parametrize("column", list(Column), ids=lambda c: c.name)
def test_sort_with_a_filter(demo: tuple, column: Column) -> None:
    repo, rows, agent_id = demo
    flt = InboxFilter(statuses=frozenset({Status.ACKNOWLEDGED, Status.DRAFTING}), search="rue")
    got = repo.ids(flt, InboxSort(column, True), today=TODAY, agent_id=agent_id)
    keep = expected_ids(rows, flt, agent_id)
    assert got == [pk for pk in python_order(rows, column, True) if pk in keep]


def test_citizen_sort_ignores_accents(demo_db: sqlite3.Connection) -> None:
    names = ["ÉMILE Zoé", "EMMA Léa", "ÉLODIE Anne", "ZOLA Émile", "eLLa Bé"]
    authority, citizen_pk = demo_db.execute("SELECT authority_pk, pk FROM citizen").fetchone()
    demo_db.execute("DELETE FROM setting")
    pks = []
    for name in names:
        cur = demo_db.execute(
            "INSERT INTO citizen (id, authority_pk, kind, display_name, sort_key) "
            "VALUES (?, ?, 'person', ?, ?)",
            (name, authority, name, fold(name)),
        )
        pks.append(cur.lastrowid)
    repo = InboxRepository(demo_db)
    live = set(repo.ids(InboxFilter(), InboxSort(), today=TODAY))
    for citizen, pk in zip(pks, live, strict=False):
        demo_db.execute("UPDATE request SET citizen_pk = ? WHERE pk = ?", (citizen, pk))
    got = repo.ids(InboxFilter(), InboxSort(Column.CITIZEN, False), today=TODAY)
    shown = [repo.rows([pk])[pk].citizen for pk in got if repo.rows([pk])[pk].citizen in names]
    assert shown == ["eLLa Bé", "ÉLODIE Anne", "ÉMILE Zoé", "EMMA Léa", "ZOLA Émile"]


def test_subject_sort_ignores_accents(demo: tuple) -> None:
    repo, rows, _ = demo
    got = repo.ids(InboxFilter(), InboxSort(Column.SUBJECT, False), today=TODAY)
    subjects = {r.pk: fold(r.subject) for r in rows}
    keys = [subjects[pk] for pk in got]
    assert keys == sorted(keys)


# --------------------------------------------------------------------------- rows and detail


def test_rows_match_the_tables(demo: tuple, demo_db: sqlite3.Connection) -> None:
    repo, rows, _ = demo
    by_pk = {r.pk: r for r in rows}
    fetched = repo.rows([r.pk for r in rows])
    assert set(fetched) == set(by_pk)
    for pk, row in fetched.items():
        r = by_pk[pk]
        assert row.number == r.number and row.subject == r.subject
        assert row.received_at == datetime.fromisoformat(r.received_at)
        assert row.channel == Channel(r.channel) and row.status == Status(r.status)
        assert row.citizen == r.citizen and row.authority == r.authority
        assert row.procedure == r.procedure
        assert row.due_date == (date.fromisoformat(r.due_date) if r.due_date else None)
    assert repo.rows([]) == {}
    assert repo.rows([10**9]) == {}


def test_detail(demo: tuple, demo_db: sqlite3.Connection) -> None:
    repo, rows, _ = demo
    # A request with attachments and a long history.
    pk = demo_db.execute(
        """SELECT r.pk FROM request r WHERE r.deleted = 0
           AND EXISTS (SELECT 1 FROM attachment a WHERE a.request_pk = r.pk)
           ORDER BY (SELECT COUNT(*) FROM event e WHERE e.request_pk = r.pk) DESC, r.pk
           LIMIT 1"""
    ).fetchone()[0]
    # One attachment is soft-deleted and must not show.
    demo_db.execute(
        "INSERT INTO attachment (id, request_pk, filename, media_type, size, sha256, deleted) "
        "VALUES ('gone', ?, 'retire.pdf', 'application/pdf', 10, ?, 1)",
        (pk, "0" * 64),
    )
    detail = repo.detail(pk)
    assert detail is not None
    assert detail.row == repo.rows([pk])[pk]
    request = demo_db.execute("SELECT * FROM request WHERE pk = ?", (pk,)).fetchone()
    citizen = demo_db.execute(
        "SELECT * FROM citizen WHERE pk = ?", (request["citizen_pk"],)
    ).fetchone()
    assert detail.citizen.display_name == citizen["display_name"]
    assert detail.citizen.kind.value == citizen["kind"]
    assert detail.citizen.email == citizen["email"]
    assert detail.citizen.siret == citizen["siret"]
    assert detail.body == request["body"]
    assert detail.form_fields == json.loads(request["form_fields"])
    expected_files = [
        (a["filename"], a["media_type"], a["size"])
        for a in demo_db.execute(
            "SELECT * FROM attachment WHERE request_pk = ? AND deleted = 0 ORDER BY pk", (pk,)
        )
    ]
    assert [(a.filename, a.media_type, a.size) for a in detail.attachments] == expected_files
    assert expected_files and "retire.pdf" not in [a.filename for a in detail.attachments]
    events = demo_db.execute(
        "SELECT e.*, ag.display_name AS agent FROM event e "
        "LEFT JOIN agent ag ON ag.pk = e.agent_pk WHERE request_pk = ?",
        (pk,),
    ).fetchall()
    newest_first = sorted(events, key=lambda e: (e["at"], e["pk"]), reverse=True)
    assert [(e.at, e.kind, e.agent, e.detail) for e in detail.events] == [
        (datetime.fromisoformat(e["at"]), e["kind"], e["agent"], json.loads(e["detail"]))
        for e in newest_first
    ]
    assert len(detail.events) >= 5
    assert detail.events[-1].kind == "created"


def test_detail_of_missing_documents_and_agents(demo: tuple, demo_db: sqlite3.Connection) -> None:
    repo, _, _ = demo
    pk = demo_db.execute(
        "SELECT request_pk FROM missing_documents ORDER BY request_pk LIMIT 1"
    ).fetchone()[0]
    detail = repo.detail(pk)
    assert detail is not None and detail.missing_documents
    asked, received, documents = detail.missing_documents[0]
    assert isinstance(asked, date) and documents
    assigned = demo_db.execute(
        "SELECT ag.display_name FROM request r LEFT JOIN agent ag ON ag.pk = r.assigned_agent_pk "
        "WHERE r.pk = ?",
        (pk,),
    ).fetchone()[0]
    assert detail.assigned_to == assigned


def test_detail_of_an_unknown_request(demo: tuple) -> None:
    repo, _, _ = demo
    assert repo.detail(10**9) is None


def test_current_agent(demo: tuple) -> None:
    repo, _, agent_id = demo
    current = repo.current_agent()
    assert current is not None and current[0] == agent_id


# ------------------------------------------------------- large searches: the intersection path


@pytest.mark.parametrize("column", list(Column))
@pytest.mark.parametrize(
    "search", ["inscription", "naissance", "mar", "2026-", "2026-0001", "rue carnot", "zzz"]
)
def test_large_results_are_the_same_by_intersection(
    demo: tuple, column: Column, search: str
) -> None:
    """With a low threshold every search takes the path 100,000-row searches take."""
    repo, _rows, agent = demo
    flt = InboxFilter(search=search, statuses=frozenset({Status.RECEIVED, Status.ACKNOWLEDGED}))
    for descending in (False, True):
        sort = InboxSort(column, descending)
        expected = repo.ids(flt, sort, today=TODAY, agent_id=agent)
        fast = InboxRepository(repo.connection)
        fast.LARGE_MATCH = 0
        assert fast.ids(flt, sort, today=TODAY, agent_id=agent) == expected
        assert fast.ids(InboxFilter(), sort, today=TODAY) == repo.ids(
            InboxFilter(), sort, today=TODAY
        )


def test_the_cached_list_follows_writes(demo: tuple) -> None:
    repo, _rows, agent = demo
    repo.LARGE_MATCH = 0
    flt = InboxFilter(search="demande", statuses=frozenset({Status.RECEIVED}))
    before = repo.ids(flt, InboxSort(), today=TODAY, agent_id=agent)
    assert before
    repo.connection.execute("UPDATE request SET status = 'acknowledged' WHERE pk = ?", (before[0],))
    after = repo.ids(flt, InboxSort(), today=TODAY, agent_id=agent)
    assert after == before[1:]
    # Another connection's commit (the sync worker) is seen too.
    path = repo.connection.execute("PRAGMA database_list").fetchone()[2]
    # Every connection of the app comes from connect() (the sort index needs its fold()).
    other = connect(path)
    other.execute("UPDATE request SET deleted = 1 WHERE pk = ?", (before[1],))
    other.commit()
    other.close()
    assert repo.ids(flt, InboxSort(), today=TODAY, agent_id=agent) == before[2:]
