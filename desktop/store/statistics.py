"""The dashboard's figures (« Tableau de bord »), computed by SQL in the local store. No Qt.

Everything is counted per commune (or for all the communes of the store) and per period of
calendar days **in the commune's legal time zone**: the store keeps instants in UTC, so the
period's bounds and each request's day of receipt are computed from small tables of UTC
instants (one row per commune department and local day) built here in Python, where the time
zones and the working days (holidays, Alsace-Moselle) are known; SQL then only compares texts
of UTC instants, which the indexes answer. A request belongs to the period when its day of
receipt, in its commune, lies between the first and the last day, both included.

Definitions (what the council reads, written once here):

- **volumes** by channel, by procedure (grouped by procedure code, so the same standard
  procedure of several communes counts once) and by month of receipt;
- **time to acknowledge**: from receipt to the acknowledgement sent (``acknowledged_at``),
  in days, for the requests of the period that were acknowledged;
- **time to decide**: from receipt to the *express* decision, in days, for the requests whose
  outcome is an express acceptance or rejection. The decision's moment is the first history
  event that gave it: ``outcome_set`` with outcome ``accepted``/``rejected``, or the status
  changing to ``answered`` (whichever came first). Tacit decisions, and requests closed
  without follow-up, are not decisions the mairie took: they are not in this figure;
- **median and 90th percentile**: linear interpolation between the ordered values (the
  « inclusive » method of Python's ``statistics.quantiles``, numpy's default);
- **acknowledgements within the legal delay**: electronic requests only (the law sets no
  delay for the others, see ``deadlines._acknowledgement``): acknowledged at the latest on the
  last day of R112-11-1's ten working days (``deadlines.acknowledgement_due``), in the commune.
  The share's denominator holds the acknowledged requests and those not acknowledged whose
  last day has passed as of ``today``, except the ones already answered or closed (an express
  answer within the delay replaces the acknowledgement); requests still within their delay are
  left out, neither good nor bad yet;
- **tacit decisions**: outcome ``implicit_acceptance`` or ``implicit_rejection``;
- **overdue**: open requests of the period whose échéance (``due_date``) is before ``today``,
  the same rule as the bannette's « En retard » filter;
- **calls**: the phone calls logged during the period (``phone_call``), whatever their link.

An empty period gives zeros and None (no median, no share), never a division by zero.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from desktop.domain.deadlines import acknowledgement_due
from desktop.domain.legal_time import local_day, parse_stored, zone_for
from sync.protocol.vocabulary import OPEN_STATUSES, Channel

EXPRESS_OUTCOMES = ("accepted", "rejected")
ELECTRONIC_CHANNELS = tuple(c.value for c in Channel if c.is_electronic)
_OPEN_SQL = ", ".join(f"'{s.value}'" for s in sorted(OPEN_STATUSES))
_EXPRESS_SQL = ", ".join(f"'{o}'" for o in EXPRESS_OUTCOMES)
_ELECTRONIC_SQL = ", ".join(f"'{c}'" for c in ELECTRONIC_CHANNELS)


class StatisticsError(ValueError):
    """A period or a commune that cannot be counted; the message is for the user, in French."""


@dataclass(frozen=True)
class Durations:
    """Median and 90th percentile of a duration, in days; None when nothing was measured."""

    median_days: float | None
    p90_days: float | None
    count: int


@dataclass(frozen=True)
class ProcedureCount:
    code: str
    name: str
    count: int


@dataclass(frozen=True)
class Statistics:
    """The figures of one commune (or all: ``authority_pk`` None) over ``start``..``end``."""

    authority_pk: int | None
    authority_code: str | None
    authority_name: str
    start: date
    end: date
    today: date
    requests: int
    by_channel: dict[Channel, int]
    by_procedure: list[ProcedureCount]
    #: ("AAAA-MM", count) for every month of the period, months without a request included.
    by_month: list[tuple[str, int]]
    acknowledgement: Durations
    decision: Durations
    acknowledged_in_time: int
    acknowledgements_assessed: int
    tacit_acceptances: int
    tacit_rejections: int
    overdue: int
    calls: int
    computed_in_s: float = field(default=0.0, compare=False)

    @property
    def empty(self) -> bool:
        return self.requests == 0

    @property
    def in_time_share(self) -> float | None:
        """Share (0..1) of the assessed acknowledgements sent within the legal delay."""
        if self.acknowledgements_assessed == 0:
            return None
        return self.acknowledged_in_time / self.acknowledgements_assessed

    @property
    def tacit_decisions(self) -> int:
        return self.tacit_acceptances + self.tacit_rejections

    def as_json(self) -> dict[str, Any]:
        """The figures under the keys of ``python -m desktop stats --json`` (README)."""

        def durations(d: Durations) -> dict[str, Any]:
            def days(value: float | None) -> float | None:
                return None if value is None else round(value, 2)

            return {"mediane": days(d.median_days), "p90": days(d.p90_days), "nombre": d.count}

        share = self.in_time_share
        return {
            "commune": self.authority_code,
            "nom_commune": self.authority_name,
            "du": self.start.isoformat(),
            "au": self.end.isoformat(),
            "aujourdhui": self.today.isoformat(),
            "demandes": self.requests,
            "par_canal": {c.value: n for c, n in self.by_channel.items()},
            "par_demarche": [
                {"code": p.code, "nom": p.name, "demandes": p.count} for p in self.by_procedure
            ],
            "par_mois": dict(self.by_month),
            "delai_accuse_jours": durations(self.acknowledgement),
            "delai_decision_jours": durations(self.decision),
            "accuses_dans_le_delai": None if share is None else round(share, 4),
            "accuses_dans_le_delai_nombre": self.acknowledged_in_time,
            "accuses_evalues": self.acknowledgements_assessed,
            "decisions_tacites": self.tacit_decisions,
            "accords_tacites": self.tacit_acceptances,
            "rejets_tacites": self.tacit_rejections,
            "en_retard": self.overdue,
            "appels": self.calls,
        }


@dataclass(frozen=True)
class Commune:
    pk: int
    name: str
    insee_code: str
    department: str


def communes(conn: sqlite3.Connection) -> list[Commune]:
    return [
        Commune(int(r[0]), str(r[1]), str(r[2]), str(r[3]))
        for r in conn.execute(
            "SELECT pk, name, insee_code, department FROM authority WHERE deleted = 0 ORDER BY name"
        )
    ]


def commune_by_insee(conn: sqlite3.Connection, code: str) -> Commune:
    """The commune of INSEE code ``code``, or a French error naming the known ones."""
    known = communes(conn)
    for commune in known:
        if commune.insee_code == code.strip():
            return commune
    listed = ", ".join(f"{c.insee_code} ({c.name})" for c in known) or "aucune"
    raise StatisticsError(
        f"Aucune commune de code INSEE « {code} » dans cette base. Communes connues : {listed}."
    )


def check_period(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and start > end:
        raise StatisticsError(
            f"La date de début ({start:%d/%m/%Y}) est après la date de fin ({end:%d/%m/%Y})."
        )


def _utc_text(day: date, department: str) -> str:
    """The UTC instant at which ``day`` starts in the commune, as the store writes instants."""
    start = datetime.combine(day, time(0), tzinfo=zone_for(department)).astimezone(UTC)
    return start.isoformat(timespec="seconds")


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


@contextmanager
def _temp_tables(conn: sqlite3.Connection) -> Iterator[None]:
    """The period's helper tables, private to this connection and dropped afterwards."""
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS stat_bound (department TEXT PRIMARY KEY, "
        "start_utc TEXT NOT NULL, end_utc TEXT NOT NULL)"
    )
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS stat_day (id INTEGER PRIMARY KEY, department TEXT, "
        "day TEXT, start_utc TEXT, ack_due TEXT, ack_end_utc TEXT)"
    )
    conn.execute(
        "CREATE INDEX IF NOT EXISTS temp.stat_day_start ON stat_day(department, start_utc)"
    )
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS stat_base (pk INTEGER PRIMARY KEY, channel TEXT, "
        "procedure_pk INTEGER, status TEXT, outcome TEXT, due_date TEXT, day TEXT, "
        "ack_due TEXT, ack_end_utc TEXT, ack_days REAL, decide_days REAL, acknowledged INTEGER)"
    )
    try:
        yield
    finally:
        for table in ("stat_base", "stat_day", "stat_bound"):
            conn.execute(f"DELETE FROM temp.{table}")


def _whole_history(
    conn: sqlite3.Connection, authority_pk: int | None, departments: list[str], today: date
) -> tuple[date, date]:
    """The first and last days holding a request or a call (today at least)."""
    where = "deleted = 0" + (
        "" if authority_pk is None else f" AND authority_pk = {authority_pk:d}"
    )
    first, last = conn.execute(
        f"SELECT MIN(received_at), MAX(received_at) FROM request WHERE {where}"
    ).fetchone()
    calls = conn.execute(
        f"SELECT MIN(called_at), MAX(called_at) FROM phone_call WHERE {where}"
    ).fetchone()
    instants = [parse_stored(t) for t in (first, last, *calls) if t]
    if not instants:
        return today, today
    # The earliest zone gives the earliest day; a day of margin either side is harmless
    # (the bounds only widen the window, the per-commune filter is exact).
    days = [local_day(i, d) for i in instants for d in departments or ["75"]]
    return min(days), max([*days, today])


def compute_statistics(
    conn: sqlite3.Connection,
    *,
    today: date,
    authority_pk: int | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Statistics:
    """All the dashboard's figures (see the module's docstring for their definitions).

    ``start``/``end`` None: from the first request (or call) to today. ``today`` is the
    injected day of the window or of the command, never read from the clock here."""
    import time as clock

    started = clock.perf_counter()
    check_period(start, end)
    chosen = [c for c in communes(conn) if authority_pk is None or c.pk == authority_pk]
    if authority_pk is not None and not chosen:
        raise StatisticsError("Cette commune n'existe plus dans la base locale.")
    departments = sorted({c.department for c in chosen})
    if start is None or end is None:
        first, last = _whole_history(conn, authority_pk, departments, today)
        start = start or first
        end = end or max(last, start)
    check_period(start, end)
    scope = "" if authority_pk is None else f" AND r.authority_pk = {authority_pk:d}"
    with _temp_tables(conn):
        _fill_calendar(conn, departments, start, end)
        (lo, hi) = conn.execute("SELECT MIN(start_utc), MAX(end_utc) FROM stat_bound").fetchone()
        lo, hi = lo or "", hi or ""
        _fill_base(conn, scope, lo, hi)
        figures = _aggregate(conn, today, scope.replace("r.", "c."), lo, hi)
    if len(chosen) == 1 and authority_pk is not None:
        code, name = chosen[0].insee_code, chosen[0].name
    else:
        code, name = None, "Toutes les communes"
    return Statistics(
        authority_pk=authority_pk,
        authority_code=code,
        authority_name=name,
        start=start,
        end=end,
        today=today,
        by_month=_months(start, end, figures.pop("months")),
        computed_in_s=clock.perf_counter() - started,
        **figures,
    )


def _fill_calendar(
    conn: sqlite3.Connection, departments: list[str], start: date, end: date
) -> None:
    """One row per (department, local day) of the period: when it starts in UTC, and the last
    day (and its end in UTC) of the acknowledgement delay of a request received that day."""
    bounds, days = [], []
    for department in departments:
        bounds.append(
            (department, _utc_text(start, department), _utc_text(end + timedelta(1), department))
        )
        for day in _days(start, end):
            due = acknowledgement_due(day, department)
            days.append(
                (
                    department,
                    day.isoformat(),
                    _utc_text(day, department),
                    due.isoformat(),
                    _utc_text(due + timedelta(1), department),
                )
            )
    conn.executemany("INSERT INTO temp.stat_bound VALUES (?, ?, ?)", bounds)
    conn.executemany(
        "INSERT INTO temp.stat_day (department, day, start_utc, ack_due, ack_end_utc) "
        "VALUES (?, ?, ?, ?, ?)",
        days,
    )


#: The first express decision of a request: see the module's docstring. The partial index
#: ``event_decision`` (migration ``statistics``) holds exactly the candidate events, so
#: this reads one or two index entries per request instead of its whole history.
_DECIDED_AT = f"""(SELECT MIN(e.at) FROM event e INDEXED BY event_decision
    WHERE e.request_pk = r.pk
      AND (e.kind = 'outcome_set'
           OR (e.kind = 'status_changed' AND json_extract(e.detail, '$.to') = 'answered'))
      AND (e.kind = 'status_changed'
           OR json_extract(e.detail, '$.outcome') IN ({_EXPRESS_SQL})))"""


def _fill_base(conn: sqlite3.Connection, scope: str, lo: str, hi: str) -> None:
    """The period's requests, one row each, with their local day and measured durations."""
    conn.execute(
        f"""
        INSERT INTO temp.stat_base
        SELECT b.pk, b.channel, b.procedure_pk, b.status, b.outcome, b.due_date, d.day,
               d.ack_due, d.ack_end_utc, b.ack_days, b.decide_days,
               b.acknowledged_at IS NOT NULL AND b.acknowledged_at < d.ack_end_utc
        FROM (
            SELECT r.pk, r.channel, r.procedure_pk, r.status, r.outcome, r.due_date,
                   r.acknowledged_at,
                   julianday(r.acknowledged_at) - julianday(r.received_at) AS ack_days,
                   CASE WHEN r.outcome IN ({_EXPRESS_SQL})
                        THEN julianday({_DECIDED_AT}) - julianday(r.received_at) END
                       AS decide_days,
                   (SELECT d.id FROM temp.stat_day d
                    WHERE d.department = a.department AND d.start_utc <= r.received_at
                    ORDER BY d.start_utc DESC LIMIT 1) AS day_id
            FROM request r
            JOIN authority a ON a.pk = r.authority_pk
            JOIN temp.stat_bound sb ON sb.department = a.department
            WHERE r.deleted = 0 AND r.received_at >= ? AND r.received_at < ? {scope}
              AND r.received_at >= sb.start_utc AND r.received_at < sb.end_utc
        ) b JOIN temp.stat_day d ON d.id = b.day_id
        """,
        (lo, hi),
    )


def _quantiles(conn: sqlite3.Connection, column: str) -> Durations:
    """Median and 90th percentile of ``column`` over the period: an index on the column, then
    the one or two values around each rank read straight from it (LIMIT/OFFSET)."""
    conn.execute(f"CREATE INDEX temp.stat_base_{column} ON stat_base({column})")
    try:
        (count,) = conn.execute(f"SELECT COUNT({column}) FROM temp.stat_base").fetchone()
        if not count:
            return Durations(None, None, 0)

        def quantile(q: float) -> float:
            h = (count - 1) * q
            low = int(h)
            values = [
                float(v)
                for (v,) in conn.execute(
                    f"SELECT {column} FROM temp.stat_base WHERE {column} IS NOT NULL "
                    f"ORDER BY {column} LIMIT 2 OFFSET ?",
                    (low,),
                )
            ]
            upper = values[1] if len(values) > 1 else values[0]
            return values[0] + (h - low) * (upper - values[0])

        return Durations(quantile(0.5), quantile(0.9), int(count))
    finally:
        conn.execute(f"DROP INDEX temp.stat_base_{column}")


def _aggregate(
    conn: sqlite3.Connection, today: date, call_scope: str, lo: str, hi: str
) -> dict[str, Any]:
    day = today.isoformat()
    # One pass over the period's requests: a row per (channel, procedure, month) with every
    # count beside it; the breakdowns and the totals are sums of these few hundred rows.
    groups = conn.execute(
        f"""
        SELECT channel, procedure_pk, substr(day, 1, 7), COUNT(*),
          SUM(channel IN ({_ELECTRONIC_SQL}) AND acknowledged),
          SUM(channel IN ({_ELECTRONIC_SQL}) AND (ack_days IS NOT NULL
              OR (ack_due < ? AND status IN ({_OPEN_SQL})))),
          SUM(outcome = 'implicit_acceptance'),
          SUM(outcome = 'implicit_rejection'),
          SUM(status IN ({_OPEN_SQL}) AND due_date < ?)
        FROM temp.stat_base GROUP BY 1, 2, 3
        """,
        (day, day),
    ).fetchall()
    totals = [sum(int(g[i] or 0) for g in groups) for i in range(3, 9)]
    by_channel = dict.fromkeys(Channel, 0)
    procedures: dict[int, int] = {}
    months: dict[str, int] = {}
    for channel, procedure_pk, month, count, *_rest in groups:
        by_channel[Channel(channel)] += count
        procedures[procedure_pk] = procedures.get(procedure_pk, 0) + count
        months[month] = months.get(month, 0) + count
    by_code: dict[str, list[Any]] = {}
    for pk, code, name in conn.execute("SELECT pk, code, name FROM procedure"):
        if pk in procedures:
            entry = by_code.setdefault(code, [name, 0])
            entry[0] = min(entry[0], name)
            entry[1] += procedures[pk]
    by_procedure = sorted(
        (ProcedureCount(code, name, count) for code, (name, count) in by_code.items()),
        key=lambda p: (-p.count, p.name),
    )
    (calls,) = conn.execute(
        f"""SELECT COUNT(*) FROM phone_call c JOIN authority a ON a.pk = c.authority_pk
            JOIN temp.stat_bound sb ON sb.department = a.department
            WHERE c.deleted = 0 AND c.called_at >= ? AND c.called_at < ? {call_scope}
              AND c.called_at >= sb.start_utc AND c.called_at < sb.end_utc""",
        (lo, hi),
    ).fetchone()
    return {
        "requests": totals[0],
        "by_channel": by_channel,
        "by_procedure": by_procedure,
        "months": months,
        "acknowledgement": _quantiles(conn, "ack_days"),
        "decision": _quantiles(conn, "decide_days"),
        "acknowledged_in_time": totals[1],
        "acknowledgements_assessed": totals[2],
        "tacit_acceptances": totals[3],
        "tacit_rejections": totals[4],
        "overdue": totals[5],
        "calls": int(calls),
    }


def _months(start: date, end: date, counts: dict[str, int]) -> list[tuple[str, int]]:
    """Every month from ``start`` to ``end``, zero where nothing was received."""
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        key = f"{year:04d}-{month:02d}"
        months.append((key, counts.get(key, 0)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months
