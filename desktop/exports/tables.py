"""What is exported: the bannette's current view, and every figure of the dashboard.

The bannette's rows are exactly the visible ones: the ids come from the inbox repository's own
query (``InboxRepository.ids`` with the window's filter, search and sort), then the columns are
read in batches of that list, in that order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from desktop.domain.french import MONTH_NAMES
from desktop.domain.legal_time import read
from desktop.exports.writers import Kind, Table, TableColumn, Typed
from desktop.store.inbox import InboxFilter, InboxRepository, InboxSort
from desktop.store.statistics import Statistics
from sync.protocol.reference import request_reference
from sync.protocol.vocabulary import CHANNEL_LABELS, STATUS_LABELS, Channel, Status

#: The columns of ``python -m desktop export`` (issue 13), in this order.
BANNETTE_COLUMNS: tuple[TableColumn, ...] = (
    TableColumn("Numéro", Kind.TEXT, 13),
    TableColumn("Commune", Kind.TEXT, 22),
    TableColumn("Reçue le", Kind.DATETIME, 17),
    TableColumn("Canal", Kind.TEXT, 18),
    TableColumn("Usager", Kind.TEXT, 28),
    TableColumn("Objet", Kind.TEXT, 50),
    TableColumn("Démarche", Kind.TEXT, 34),
    TableColumn("Statut", Kind.TEXT, 20),
    TableColumn("Échéance", Kind.DATE, 12),
    TableColumn("Assignée à", Kind.TEXT, 22),
)

_EXPORT_SQL = """
SELECT r.pk, r.number, a.name, r.received_at, r.channel, c.display_name, r.subject, p.name,
       r.status, r.due_date, ag.display_name, a.department, a.insee_code
FROM request r
JOIN authority a ON a.pk = r.authority_pk
JOIN citizen c ON c.pk = r.citizen_pk
JOIN procedure p ON p.pk = r.procedure_pk
LEFT JOIN agent ag ON ag.pk = r.assigned_agent_pk
WHERE r.pk IN ({})
"""
BATCH = 900


def bannette_ids(
    conn: sqlite3.Connection,
    flt: InboxFilter,
    sort: InboxSort,
    *,
    today: date,
    agent_id: str | None = None,
) -> list[int]:
    """The pks of the view, in its order: the bannette's own query."""
    return InboxRepository(conn).ids(flt, sort, today=today, agent_id=agent_id)


def bannette_rows(conn: sqlite3.Connection, pks: Sequence[int]) -> Iterator[tuple[Any, ...]]:
    """One tuple per request of ``pks`` (in that order) in BANNETTE_COLUMNS' order; the
    moment of receipt in the commune's legal time."""
    for offset in range(0, len(pks), BATCH):
        batch = pks[offset : offset + BATCH]
        found = {
            values[0]: values
            for values in conn.execute(_EXPORT_SQL.format(", ".join("?" * len(batch))), batch)
        }
        for pk in batch:
            v = found.get(pk)
            if v is None:  # deleted by a sync meanwhile
                continue
            yield (
                request_reference(v[12] or "", v[1]),  # « 67348-2026-000165 »
                v[2],
                read(v[3], v[11]),
                CHANNEL_LABELS[Channel(v[4])],
                v[5],
                v[6],
                v[7],
                STATUS_LABELS[Status(v[8])],
                date.fromisoformat(v[9]) if v[9] else None,
                v[10] or "",
            )


def bannette_table(conn: sqlite3.Connection, pks: Sequence[int]) -> Table:
    return Table("Bannette", BANNETTE_COLUMNS, bannette_rows(conn, pks), len(pks))


def statistics_tables(stats: Statistics) -> list[Table]:
    """Every figure of the dashboard: a summary sheet, then one per breakdown."""
    share = stats.in_time_share
    summary: list[tuple[str, Any, Kind]] = [
        ("Commune", stats.authority_name, Kind.TEXT),
        ("Du", stats.start, Kind.DATE),
        ("Au", stats.end, Kind.DATE),
        ("Calculé le", stats.today, Kind.DATE),
        ("Demandes reçues", stats.requests, Kind.INTEGER),
        ("Délai médian d'accusé de réception (jours)", stats.acknowledgement.median_days,
         Kind.DECIMAL),
        ("Délai d'accusé de réception, 90e centile (jours)", stats.acknowledgement.p90_days,
         Kind.DECIMAL),
        ("Demandes accusées", stats.acknowledgement.count, Kind.INTEGER),
        ("Délai médian de décision (jours)", stats.decision.median_days, Kind.DECIMAL),
        ("Délai de décision, 90e centile (jours)", stats.decision.p90_days, Kind.DECIMAL),
        ("Décisions expresses", stats.decision.count, Kind.INTEGER),
        ("Accusés dans le délai légal (part)", share, Kind.PERCENT),
        ("Accusés dans le délai légal (nombre)", stats.acknowledged_in_time, Kind.INTEGER),
        ("Accusés évalués", stats.acknowledgements_assessed, Kind.INTEGER),
        ("Accords tacites", stats.tacit_acceptances, Kind.INTEGER),
        ("Rejets tacites", stats.tacit_rejections, Kind.INTEGER),
        ("Demandes en retard", stats.overdue, Kind.INTEGER),
        ("Appels notés", stats.calls, Kind.INTEGER),
    ]  # fmt: skip
    summary_columns = [TableColumn("Indicateur", Kind.TEXT, 48),
                       TableColumn("Valeur", Kind.MIXED, 22)]  # fmt: skip
    summary_rows = [[label, Typed(value, kind)] for label, value, kind in summary]
    channel_rows = [
        [CHANNEL_LABELS[c], c.value, n, (n / stats.requests) if stats.requests else None]
        for c, n in stats.by_channel.items()
    ]
    procedure_rows = [
        [p.name, p.code, p.count, p.count / stats.requests] for p in stats.by_procedure
    ]
    month_rows = [[_month_label(m), n] for m, n in stats.by_month]
    return [
        Table("Synthèse", summary_columns, summary_rows, len(summary_rows)),
        _breakdown("Par canal", "Canal", 22, 16, channel_rows),
        _breakdown("Par démarche", "Démarche", 50, 28, procedure_rows),
        Table(
            "Par mois",
            [TableColumn("Mois", Kind.TEXT, 18), TableColumn("Demandes", Kind.INTEGER, 12)],
            month_rows,
            len(month_rows),
        ),
    ]


def _breakdown(
    title: str, first: str, first_width: int, code_width: int, rows: list[list[Any]]
) -> Table:
    """A count per value (channel, procedure): its name, its code, the count, its share."""
    columns = [
        TableColumn(first, Kind.TEXT, first_width),
        TableColumn("Code", Kind.TEXT, code_width),
        TableColumn("Demandes", Kind.INTEGER, 12),
        TableColumn("Part", Kind.PERCENT, 10),
    ]
    return Table(title, columns, rows, len(rows))


def _month_label(key: str) -> str:
    """ "2026-02" -> "février 2026"."""
    year, month = key.split("-")
    return f"{MONTH_NAMES[int(month) - 1]} {year}"
