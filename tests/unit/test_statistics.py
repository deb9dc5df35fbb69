"""The dashboard's figures (``desktop.store.statistics``) checked against an independent
computation on the demo data: plain SQL reading the raw columns, the local day, the legal
delay and the percentiles worked out here in Python with the standard library."""

from __future__ import annotations

import sqlite3
import statistics as pystats
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from desktop.domain.deadlines import acknowledgement_due
from desktop.domain.legal_time import zone_for
from desktop.store.legal import record_implicit_decisions
from desktop.store.statistics import (
    _DECIDED_AT,
    StatisticsError,
    commune_by_insee,
    compute_statistics,
)
from tests.conftest import TODAY, migration_version

OPEN = {"received", "acknowledged", "awaiting_documents", "drafting", "at_parapheur"}
ELECTRONIC = {"web", "service_public", "email"}


def _day(instant: str, department: str) -> date:
    return datetime.fromisoformat(instant).astimezone(zone_for(department)).date()


def _days_between(later: str, earlier: str) -> float:
    delta = datetime.fromisoformat(later) - datetime.fromisoformat(earlier)
    return delta.total_seconds() / 86400


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    h = (len(ordered) - 1) * q
    lo = int(h)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (h - lo) * (ordered[hi] - ordered[lo])


def independent(
    conn: sqlite3.Connection, start: date, end: date, authority_pk: int | None, today: date
) -> dict[str, Any]:
    """The figures recomputed from raw rows, without the module's temp tables or windows."""
    rows = conn.execute(
        """SELECT r.pk, r.received_at, r.acknowledged_at, r.channel, r.status, r.outcome,
                  r.due_date, p.code, a.department, r.authority_pk
           FROM request r JOIN procedure p ON p.pk = r.procedure_pk
           JOIN authority a ON a.pk = r.authority_pk WHERE r.deleted = 0"""
    ).fetchall()
    kept = [
        r
        for r in rows
        if (authority_pk is None or r[9] == authority_pk) and start <= _day(r[1], r[8]) <= end
    ]
    decided_at = {
        pk: at
        for pk, at in conn.execute(
            """SELECT request_pk, MIN(at) FROM event
               WHERE (kind = 'outcome_set' AND detail LIKE '%"outcome": "accepted"%')
                  OR (kind = 'outcome_set' AND detail LIKE '%"outcome": "rejected"%')
                  OR (kind = 'status_changed' AND detail LIKE '%"to": "answered"%')
               GROUP BY request_pk"""
        )
    }
    by_channel: dict[str, int] = {}
    by_procedure: dict[str, int] = {}
    by_month: dict[str, int] = {}
    ack, decide = [], []
    in_time = assessed = 0
    for pk, received, acked, channel, status, outcome, _due, code, dep, _a in kept:
        by_channel[channel] = by_channel.get(channel, 0) + 1
        by_procedure[code] = by_procedure.get(code, 0) + 1
        month = _day(received, dep).strftime("%Y-%m")
        by_month[month] = by_month.get(month, 0) + 1
        if acked:
            ack.append(_days_between(acked, received))
        if outcome in ("accepted", "rejected") and pk in decided_at:
            decide.append(_days_between(decided_at[pk], received))
        if channel in ELECTRONIC:
            last = acknowledgement_due(_day(received, dep), dep)
            if acked:
                assessed += 1
                in_time += _day(acked, dep) <= last
            elif last < today and status in OPEN:
                assessed += 1
    return {
        "requests": len(kept),
        "by_channel": by_channel,
        "by_procedure": by_procedure,
        "by_month": by_month,
        "ack": ack,
        "decide": decide,
        "in_time": in_time,
        "assessed": assessed,
        "tacit_acceptances": sum(r[5] == "implicit_acceptance" for r in kept),
        "tacit_rejections": sum(r[5] == "implicit_rejection" for r in kept),
        "overdue": sum(1 for r in kept if r[4] in OPEN and r[6] and r[6] < today.isoformat()),
    }


def check(conn: sqlite3.Connection, start: date, end: date, authority_pk: int | None) -> None:
    stats = compute_statistics(conn, today=TODAY, authority_pk=authority_pk, start=start, end=end)
    expected = independent(conn, start, end, authority_pk, TODAY)
    assert stats.requests == expected["requests"]
    assert {c.value: n for c, n in stats.by_channel.items() if n} == expected["by_channel"]
    assert {p.code: p.count for p in stats.by_procedure} == expected["by_procedure"]
    assert {m: n for m, n in stats.by_month if n} == expected["by_month"]
    for measured, values in ((stats.acknowledgement, expected["ack"]),
                             (stats.decision, expected["decide"])):  # fmt: skip
        assert measured.count == len(values)
        if not values:
            assert measured.median_days is None and measured.p90_days is None
            continue
        assert measured.median_days == pytest.approx(pystats.median(values))
        assert measured.p90_days == pytest.approx(_quantile(values, 0.9))
        if len(values) >= 2:
            assert measured.p90_days == pytest.approx(
                pystats.quantiles(values, n=10, method="inclusive")[8]
            )
    assert stats.acknowledged_in_time == expected["in_time"]
    assert stats.acknowledgements_assessed == expected["assessed"]
    share = expected["in_time"] / expected["assessed"] if expected["assessed"] else None
    assert stats.in_time_share == pytest.approx(share)
    assert stats.tacit_acceptances == expected["tacit_acceptances"]
    assert stats.tacit_rejections == expected["tacit_rejections"]
    assert stats.overdue == expected["overdue"]
    assert stats.as_json()["accuses_dans_le_delai"] == pytest.approx(share, abs=1e-4)


def test_all_communes_whole_year_match_independent_sql(demo_db: sqlite3.Connection) -> None:
    # Tacit decisions exist once the sweep ran, as the window runs it at start-up.
    assert record_implicit_decisions(demo_db, TODAY)
    check(demo_db, date(2026, 1, 1), TODAY, None)
    stats = compute_statistics(demo_db, today=TODAY, start=date(2026, 1, 1), end=TODAY)
    assert stats.tacit_decisions > 0
    assert stats.requests == 500
    assert [m for m, _n in stats.by_month][0] == "2026-01"
    assert len(stats.by_month) == 11  # January to November, empty months included


def test_one_commune_over_a_period_across_daylight_saving(demo_db: sqlite3.Connection) -> None:
    bitche = commune_by_insee(demo_db, "57089")
    check(demo_db, date(2026, 9, 15), date(2026, 10, 31), bitche.pk)
    check(demo_db, date(2026, 11, 1), date(2026, 11, 10), bitche.pk)


def test_a_request_counts_on_its_day_in_the_commune(demo_db: sqlite3.Connection) -> None:
    """22:30 UTC on 31 October is 23:30 in Paris (winter time): still October."""
    pk = demo_db.execute("SELECT MIN(pk) FROM request").fetchone()[0]
    dep, authority = demo_db.execute(
        "SELECT a.department, a.pk FROM request r JOIN authority a ON a.pk = r.authority_pk "
        "WHERE r.pk = ?",
        (pk,),
    ).fetchone()
    assert zone_for(dep).key == "Europe/Paris"  # type: ignore[attr-defined]
    october_night = datetime(2026, 10, 31, 22, 30, tzinfo=UTC)
    for at, month in ((october_night, "2026-10"), (october_night + timedelta(hours=1), "2026-11")):
        demo_db.execute(
            "UPDATE request SET received_at = ?, acknowledged_at = NULL WHERE pk = ?",
            (at.isoformat(timespec="seconds"), pk),
        )
        before = compute_statistics(
            demo_db, today=TODAY, authority_pk=authority, start=date(2026, 10, 31),
            end=date(2026, 10, 31),
        )  # fmt: skip
        after = compute_statistics(
            demo_db, today=TODAY, authority_pk=authority, start=date(2026, 11, 1),
            end=date(2026, 11, 1),
        )  # fmt: skip
        counted = {"2026-10": before.requests, "2026-11": after.requests}
        check(demo_db, date(2026, 10, 31), date(2026, 11, 1), authority)
        assert counted[month] >= 1


def test_calls_of_the_period_are_counted(demo_db: sqlite3.Connection) -> None:
    authority, dep = demo_db.execute("SELECT pk, department FROM authority LIMIT 1").fetchone()
    for i, day in enumerate((date(2026, 11, 2), date(2026, 11, 3), date(2026, 12, 1))):
        at = datetime.combine(day, datetime.min.time(), tzinfo=zone_for(dep)) + timedelta(hours=9)
        demo_db.execute(
            "INSERT INTO phone_call (id, authority_pk, caller_name, called_at) VALUES (?, ?, ?, ?)",
            (f"call-{i}", authority, "Élodie Hénin", at.astimezone(UTC).isoformat()),
        )
    stats = compute_statistics(
        demo_db, today=TODAY, authority_pk=authority, start=date(2026, 11, 1), end=TODAY
    )
    assert stats.calls == 2
    assert compute_statistics(demo_db, today=TODAY, start=date(2026, 11, 1), end=TODAY).calls == 2


def test_empty_period_gives_zeros_and_no_share(demo_db: sqlite3.Connection) -> None:
    stats = compute_statistics(demo_db, today=TODAY, start=date(2020, 1, 1), end=date(2020, 3, 31))
    assert stats.empty
    assert stats.requests == 0 and stats.overdue == 0 and stats.calls == 0
    assert set(stats.by_channel.values()) == {0}
    assert stats.by_procedure == []
    assert stats.by_month == [("2020-01", 0), ("2020-02", 0), ("2020-03", 0)]
    assert stats.acknowledgement.median_days is None and stats.decision.p90_days is None
    assert stats.in_time_share is None
    figures = stats.as_json()
    assert figures["accuses_dans_le_delai"] is None
    assert figures["par_canal"] == {c: 0 for c in figures["par_canal"]}


def test_empty_store(empty_db: sqlite3.Connection) -> None:
    stats = compute_statistics(empty_db, today=TODAY)
    assert stats.empty and stats.start == stats.end == TODAY


def test_reversed_period_and_unknown_commune_are_refused_in_french(
    demo_db: sqlite3.Connection,
) -> None:
    with pytest.raises(StatisticsError, match="La date de début .01/05/2026. est après"):
        compute_statistics(demo_db, today=TODAY, start=date(2026, 5, 1), end=date(2026, 4, 1))
    with pytest.raises(StatisticsError, match="Aucune commune de code INSEE « 00000 »"):
        commune_by_insee(demo_db, "00000")


def test_temp_tables_leave_nothing_behind(demo_db: sqlite3.Connection) -> None:
    first = compute_statistics(demo_db, today=TODAY)
    second = compute_statistics(demo_db, today=TODAY)
    assert first == second
    assert demo_db.execute("SELECT COUNT(*) FROM temp.stat_base").fetchone()[0] == 0


def test_decisions_are_read_from_their_partial_index(demo_db: sqlite3.Connection) -> None:
    """Migration statistics (looked up by name) adds it."""
    assert migration_version("statistics") > 0
    plan = " ".join(
        str(tuple(r))
        for r in demo_db.execute(
            "EXPLAIN QUERY PLAN SELECT r.pk, " + _DECIDED_AT + " FROM request r"
        )
    )
    assert "event_decision" in plan
