"""The demo bannette: deterministic, complete, and consistent with the domain's own rules."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest

from desktop.demo.generator import generate
from desktop.domain.text import fold
from desktop.domain.workflow import RequestState, change_status
from desktop.store.database import connect, transaction
from desktop.store.requests import refresh_due
from sync.protocol.vocabulary import (
    EXPRESS_OUTCOMES,
    Channel,
    EventKind,
    Outcome,
    SilenceRule,
    Status,
)
from tests.conftest import DEMO_REQUESTS, DEMO_SEED, TODAY
from tests.factories import check_search_index, integrity_check


def dump(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    """Every row of every table (FTS shadow tables aside), in key order."""
    tables = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'request_fts%' ORDER BY name"
        )
    ]
    out = {}
    for table in tables:
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        key = "pk" if "pk" in columns else "rowid" if table == "request_search" else columns[0]
        rows = conn.execute(f"SELECT * FROM {table} ORDER BY {key}, {columns[0]}").fetchall()
        out[table] = [tuple(r) for r in rows]
    return out


def build(path: Path, seed: int, today: date = TODAY, requests: int = 120) -> dict:
    conn = connect(path)
    generate(conn, requests=requests, seed=seed, today=today)
    data = dump(conn)
    conn.close()
    return data


def test_same_seed_same_data(tmp_path: Path, demo_db: sqlite3.Connection) -> None:
    again = connect(tmp_path / "again.sqlite3")
    generate(again, requests=DEMO_REQUESTS, seed=DEMO_SEED, today=TODAY)
    assert dump(again) == dump(demo_db)


def test_different_seed_or_day_gives_different_data(tmp_path: Path) -> None:
    reference = build(tmp_path / "a.sqlite3", seed=1)
    other_seed = build(tmp_path / "b.sqlite3", seed=2)
    other_day = build(tmp_path / "c.sqlite3", seed=1, today=date(2026, 6, 1))
    assert other_seed["request"] != reference["request"]
    assert other_seed["citizen"] != reference["citizen"]
    assert other_day["request"] != reference["request"]
    # The fixed catalogue is the same whatever the seed.
    assert [r[2:] for r in other_seed["procedure"]] == [r[2:] for r in reference["procedure"]]


def test_counts_and_summary(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.sqlite3")
    summary = generate(conn, requests=50, seed=7, today=TODAY)
    one = conn.execute
    assert summary.requests == one("SELECT COUNT(*) FROM request").fetchone()[0] == 50
    assert summary.events == one("SELECT COUNT(*) FROM event").fetchone()[0]
    assert summary.attachments == one("SELECT COUNT(*) FROM attachment").fetchone()[0]
    assert summary.citizens == one("SELECT COUNT(*) FROM citizen").fetchone()[0]
    assert summary.authorities == 3
    current = one("SELECT value FROM setting WHERE key = 'current_agent'").fetchone()[0]
    assert current == summary.agent_id


# --------------------------------------------------------------------------- the 500 requests


def test_variety(demo_db: sqlite3.Connection) -> None:
    q = demo_db.execute
    assert q("SELECT COUNT(*) FROM request").fetchone()[0] == DEMO_REQUESTS
    assert q("SELECT COUNT(*) FROM authority WHERE kind = 'commune'").fetchone()[0] == 3
    assert len({r[0] for r in q("SELECT DISTINCT authority_pk FROM request")}) == 3
    assert {r[0] for r in q("SELECT DISTINCT channel FROM request")} == {c.value for c in Channel}
    assert {r[0] for r in q("SELECT DISTINCT status FROM request")} == {s.value for s in Status}
    used = Counter(
        rule
        for rule, _ in q(
            "SELECT DISTINCT p.silence_rule, p.pk FROM request r "
            "JOIN procedure p ON p.pk = r.procedure_pk"
        )
    )
    for rule in SilenceRule:
        assert used[rule.value] >= 2, f"fewer than two procedures used with rule {rule}"
    assert {r[0] for r in q("SELECT DISTINCT kind FROM citizen")} == {
        "person",
        "association",
        "company",
    }
    assert q("SELECT COUNT(*) FROM request WHERE due_date < ?", (TODAY.isoformat(),)).fetchone()[0]
    assert q("SELECT COUNT(*) FROM missing_documents").fetchone()[0]


def test_database_is_consistent(demo_db: sqlite3.Connection) -> None:
    integrity_check(demo_db)
    check_search_index(demo_db)


def test_events_replay_to_the_stored_status(demo_db: sqlite3.Connection) -> None:
    """Replaying each request's STATUS_CHANGED events through the domain reaches its state."""
    history: dict[int, list[sqlite3.Row]] = defaultdict(list)
    for e in demo_db.execute("SELECT * FROM event ORDER BY request_pk, at, pk"):
        history[e["request_pk"]].append(e)
    requests = demo_db.execute("SELECT pk, status, outcome, received_at FROM request").fetchall()
    for r in requests:
        events = history[r["pk"]]
        assert events[0]["kind"] == EventKind.CREATED.value, r["pk"]
        stored_outcome = Outcome(r["outcome"]) if r["outcome"] else None
        state = RequestState(Status.RECEIVED)
        produced, recorded = [], []
        for e in events:
            assert e["at"] >= r["received_at"], "an event before the request arrived"
            detail = json.loads(e["detail"])
            if e["kind"] == EventKind.OUTCOME_SET.value:
                recorded.append((e["kind"], detail))
            if e["kind"] != EventKind.STATUS_CHANGED.value:
                continue
            recorded.append((e["kind"], detail))
            assert detail["from"] == state.status.value, (r["pk"], detail)
            target = Status(detail["to"])
            outcome = stored_outcome if target == Status.ANSWERED else None
            state, new_events = change_status(
                state, target, at=datetime.fromisoformat(e["at"]), agent_id=None, outcome=outcome
            )
            produced += [(ev.kind.value, ev.detail) for ev in new_events]
        assert state == RequestState(Status(r["status"]), stored_outcome), r["pk"]
        assert produced == recorded, r["pk"]


def test_state_columns_agree_with_history(demo_db: sqlite3.Connection) -> None:
    for r in demo_db.execute("SELECT * FROM request"):
        kinds = {
            k for (k,) in demo_db.execute("SELECT kind FROM event WHERE request_pk = ?", (r["pk"],))
        }
        channel, status = Channel(r["channel"]), Status(r["status"])
        assert (r["registration_receipt_at"] is not None) == channel.is_electronic
        assert (r["registration_receipt_at"] is not None) == (
            EventKind.REGISTRATION_RECEIPT_SENT.value in kinds
        )
        assert (r["acknowledged_at"] is not None) == (EventKind.ACKNOWLEDGEMENT_SENT.value in kinds)
        if status == Status.ANSWERED:
            assert Outcome(r["outcome"]) in EXPRESS_OUTCOMES
        elif status == Status.CLOSED:
            assert r["outcome"] is not None
        else:
            assert r["outcome"] is None
        pending = demo_db.execute(
            "SELECT COUNT(*) FROM missing_documents WHERE request_pk = ? AND received_on IS NULL",
            (r["pk"],),
        ).fetchone()[0]
        if status == Status.AWAITING_DOCUMENTS:
            assert pending >= 1
        citizen_authority = demo_db.execute(
            "SELECT authority_pk FROM citizen WHERE pk = ?", (r["citizen_pk"],)
        ).fetchone()[0]
        assert citizen_authority == r["authority_pk"], "a citizen of another commune"


def test_stored_due_equals_a_fresh_computation(demo_db: sqlite3.Connection) -> None:
    before = {
        pk: (d, k) for pk, d, k in demo_db.execute("SELECT pk, due_date, due_kind FROM request")
    }
    with transaction(demo_db):
        for pk in before:
            refresh_due(demo_db, pk)
    after = {
        pk: (d, k) for pk, d, k in demo_db.execute("SELECT pk, due_date, due_kind FROM request")
    }
    assert after == before
    assert sum(1 for d, _ in before.values() if d is not None) > DEMO_REQUESTS // 4


NUMBER = re.compile(r"^(\d{4})-(\d{6})$")


def test_numbers(demo_db: sqlite3.Connection) -> None:
    sequences: dict[tuple[int, str], list[tuple[str, int]]] = defaultdict(list)
    for authority, number, received in demo_db.execute(
        "SELECT authority_pk, number, received_at FROM request ORDER BY received_at, pk"
    ):
        match = NUMBER.match(number)
        assert match, number
        assert match.group(1) == received[:4], "the number's year is the year of receipt"
        sequences[(authority, match.group(1))].append((number, int(match.group(2))))
    for key, numbers in sequences.items():
        values = [n for _, n in numbers]
        # Unique per authority and year, numbered 1, 2, 3... in order of receipt.
        assert values == list(range(1, len(values) + 1)), key
    pairs = demo_db.execute("SELECT authority_pk, number FROM request").fetchall()
    assert len(set(map(tuple, pairs))) == len(pairs)


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def test_luhn_helper() -> None:
    assert luhn_ok("73282932000074")  # a published example SIRET
    assert not luhn_ok("73282932000075")


def test_sirets_pass_luhn(demo_db: sqlite3.Connection) -> None:
    sirets = [
        s
        for (s,) in demo_db.execute(
            "SELECT siret FROM citizen WHERE siret != '' UNION ALL "
            "SELECT siret FROM authority WHERE siret != ''"
        )
    ]
    assert len(sirets) > 3
    for siret in sirets:
        assert re.fullmatch(r"\d{14}", siret) and luhn_ok(siret), siret
    companies = demo_db.execute(
        "SELECT COUNT(*) FROM citizen WHERE kind = 'company' AND siret = ''"
    ).fetchone()[0]
    assert companies == 0


def test_citizens(demo_db: sqlite3.Connection) -> None:
    for c in demo_db.execute("SELECT * FROM citizen"):
        assert c["sort_key"] == fold(c["display_name"])
        if c["kind"] == "person":
            assert c["display_name"] == f"{c['last_name'].upper()} {c['first_name']}"
        else:
            assert c["display_name"] == c["organisation"] != ""
        if c["kind"] == "association":
            assert re.fullmatch(r"W\d{9}", c["rna"])
        assert "@" in c["email"] and " " not in c["email"]


def test_attachments_follow_the_cgu(demo_db: sqlite3.Connection) -> None:
    for a in demo_db.execute("SELECT * FROM attachment"):
        assert a["media_type"] in ("application/pdf", "image/jpeg", "image/png")
        assert 0 < a["size"] <= 5 * 1024 * 1024
        assert re.fullmatch(r"[0-9a-f]{64}", a["sha256"])
        ext = a["filename"].rsplit(".", 1)[-1]
        assert {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}[ext] == (
            a["media_type"]
        )


@pytest.mark.parametrize("count", [0, 1])
def test_tiny_demo(tmp_path: Path, count: int) -> None:
    conn = connect(tmp_path / "t.sqlite3")
    generate(conn, requests=count, seed=3, today=TODAY)
    assert conn.execute("SELECT COUNT(*) FROM request").fetchone()[0] == count
    integrity_check(conn)
    check_search_index(conn)
