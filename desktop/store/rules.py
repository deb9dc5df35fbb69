"""The silence rule a request is judged by.

A change of a procedure's silence rule or period applies to the requests received from then
on (issue 13): the requests already held keep theirs, frozen in ``request.rule_*`` at the
moment of the change by ``freeze_rules``. Every query that reads a request's rule selects
``RULE_COLUMNS`` instead of the procedure's columns.
"""

from __future__ import annotations

import sqlite3

#: The silence rule and period of request ``r`` joined to its procedure ``p``: the rule the
#: request was received under when the procedure changed since (frozen by
#: ``desktop.store.catalogue``), else the procedure's.
RULE_COLUMNS = (
    "COALESCE(r.rule_silence, p.silence_rule) AS silence_rule, "
    "COALESCE(r.rule_period, p.period) AS period, "
    "COALESCE(r.rule_unit, p.period_unit) AS period_unit"
)


def freeze_rules(conn: sqlite3.Connection, procedure_pk: int) -> int:
    """Before the procedure's rule changes: every request under it that still follows the
    procedure keeps the current rule. Runs inside the caller's transaction; returns the count."""
    return conn.execute(
        """UPDATE request SET
               rule_silence = (SELECT silence_rule FROM procedure WHERE pk = :pk),
               rule_period = (SELECT period FROM procedure WHERE pk = :pk),
               rule_unit = (SELECT period_unit FROM procedure WHERE pk = :pk)
           WHERE procedure_pk = :pk AND rule_silence IS NULL""",
        {"pk": procedure_pk},
    ).rowcount


def rule_changes(
    conn: sqlite3.Connection, procedure_pk: int, silence_rule: str, period: int, unit: str
) -> bool:
    """Whether these values change the procedure's rule (a new title alone freezes nothing)."""
    row = conn.execute(
        "SELECT silence_rule, period, period_unit FROM procedure WHERE pk = ?", (procedure_pk,)
    ).fetchone()
    return row is not None and tuple(row) != (silence_rule, int(period), unit)
