"""The dashboard's figures as the council reads them: French labels, French numbers.

Shared by the screen and the PDF report, so both say the same thing in the same words.
"""

from __future__ import annotations

from desktop.domain.french import SHORT_MONTH_NAMES
from desktop.store.statistics import Durations, Statistics
from sync.protocol.vocabulary import Channel

EMPTY_PERIOD = "Aucune demande sur la période"


def days_fr(value: float | None) -> str:
    if value is None:
        return "—"
    text = f"{value:.1f}".replace(".", ",")
    return f"{text} jour" if value < 2 else f"{text} jours"


def share_fr(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %".replace(".", ",")


def _durations(d: Durations) -> str:
    if d.count == 0:
        return "—"
    return f"médiane {days_fr(d.median_days)}, 90 % en moins de {days_fr(d.p90_days)}"


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n < 2 else plural}"


def _tacit(stats: Statistics) -> str:
    if stats.tacit_decisions == 0:
        return "0"
    accepted = _count(stats.tacit_acceptances, "accord", "accords")
    rejected = _count(stats.tacit_rejections, "rejet", "rejets")
    return f"{stats.tacit_decisions} ({accepted}, {rejected})"


def period_fr(stats: Statistics) -> str:
    return f"du {stats.start:%d/%m/%Y} au {stats.end:%d/%m/%Y}"


def figure_lines(stats: Statistics) -> list[tuple[str, str]]:
    """(label, value) of every headline figure, in reading order."""
    share = stats.in_time_share
    assessed = (
        f"{share_fr(share)} ({stats.acknowledged_in_time} sur {stats.acknowledgements_assessed})"
        if share is not None
        else "—"
    )
    return [
        ("Demandes reçues", f"{stats.requests}"),
        ("Délai d'accusé de réception", _durations(stats.acknowledgement)),
        ("Délai de décision expresse", _durations(stats.decision)),
        ("Accusés dans le délai légal", assessed),
        ("Décisions tacites", _tacit(stats)),
        ("Demandes en retard", f"{stats.overdue}"),
        ("Appels notés", f"{stats.calls}"),
    ]  # fmt: skip


#: Channel names short enough for a chart's column (the exports use the full labels).
CHANNEL_SHORT: dict[Channel, str] = {
    Channel.WEB: "Web",
    Channel.SERVICE_PUBLIC: "Service-public.fr",
    Channel.EMAIL: "Courriel",
    Channel.PAPER: "Courrier",
    Channel.PHONE: "Téléphone",
    Channel.COUNTER: "Guichet",
}


def channel_bars(stats: Statistics) -> list[tuple[str, int]]:
    return [(CHANNEL_SHORT[c], n) for c, n in stats.by_channel.items()]


def month_bars(stats: Statistics) -> list[tuple[str, int]]:
    """Short month labels (« nov. 26 »); the year only when the period spans several."""
    several = len({m[:4] for m, _ in stats.by_month}) > 1
    bars = []
    for key, count in stats.by_month:
        year, month = key.split("-")
        short = SHORT_MONTH_NAMES[int(month) - 1]
        bars.append((f"{short} {year[2:]}" if several else short, count))
    return bars


#: Procedures shown in the chart; the exports hold them all.
TOP_PROCEDURES = 8


def procedure_bars(stats: Statistics) -> list[tuple[str, int]]:
    return [(p.name, p.count) for p in stats.by_procedure[:TOP_PROCEDURES]]
