"""The legal time of the bannette: instants are stored in UTC and read in the commune's zone.

The law counts days in the commune's legal time: a request received at 23:30 in Saint-Denis
de La Réunion is received that day there, whatever the zone of the PC that registers it (a
clerk's laptop may run on UTC, a server always does). So every instant the store writes is an
aware UTC value (``stored``), every instant it reads back is converted to the zone of the
commune it belongs to (``in_zone``), and calendar days (receipt, deadlines) are taken in that
zone (``local_day``). Nothing here reads the PC's own zone except ``stored`` for a naive value,
which is taken as metropolitan legal time (what the store held before instants were UTC).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PARIS = "Europe/Paris"

#: The legal zone of each overseas department or collectivity (INSEE code); metropolitan
#: France (and Corsica, 2A/2B) is Europe/Paris.
OVERSEAS_ZONES: dict[str, str] = {
    "971": "America/Guadeloupe",
    "972": "America/Martinique",
    "973": "America/Cayenne",
    "974": "Indian/Reunion",
    "975": "America/Miquelon",
    "976": "Indian/Mayotte",
    "977": "America/St_Barthelemy",
    "978": "America/Marigot",
    "986": "Pacific/Wallis",
    "987": "Pacific/Tahiti",
    "988": "Pacific/Noumea",
}


def _zone(name: str) -> tzinfo | None:
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:  # Windows without the tzdata package
        return None


LEGAL_ZONE: tzinfo | None = _zone(PARIS)
_ZONES: dict[str, tzinfo | None] = {}


def zone_for(department: str | None) -> tzinfo:
    """The legal time zone of a commune of ``department`` (« 67 », « 2A », « 974 »).

    Without a time zone database (Windows without tzdata) the PC's own zone is the only one
    left: better an hour off than no time at all.
    """
    key = (department or "").strip().upper()
    name = OVERSEAS_ZONES.get(key, PARIS)
    if name not in _ZONES:
        _ZONES[name] = _zone(name)
    found = _ZONES[name]
    if found is None:
        local = datetime.now().astimezone().tzinfo
        assert local is not None
        return local
    return found


def utc_now() -> datetime:
    """The current instant, aware, in UTC (never the PC's naive wall clock)."""
    return datetime.now(UTC).replace(microsecond=0)


def as_instant(moment: datetime, department: str | None = None) -> datetime:
    """An aware UTC instant; a naive value is wall time in the commune's zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone_for(department))
    return moment.astimezone(UTC)


def stored(moment: datetime) -> str:
    """The text the store keeps for an instant: UTC, to the second, with its offset
    (« 2026-11-23T09:00:00+00:00 »), so texts sort in time order."""
    return as_instant(moment).replace(microsecond=0).isoformat(timespec="seconds")


def parse_stored(text: str) -> datetime:
    """An instant the store holds, aware UTC. A naive text (written before instants were
    UTC) was metropolitan legal time."""
    return as_instant(datetime.fromisoformat(text))


def in_zone(moment: datetime, department: str | None) -> datetime:
    """An instant as the commune's clock shows it (aware, in the commune's zone)."""
    return as_instant(moment).astimezone(zone_for(department))


def read(text: str | None, department: str | None) -> datetime | None:
    """A stored instant (or None) in the commune's zone: what every reader of the store wants."""
    return in_zone(parse_stored(text), department) if text else None


def local_day(moment: datetime, department: str | None) -> date:
    """The calendar day of an instant in the commune: the day the law counts from."""
    return in_zone(moment, department).date()


def today_in(department: str | None, now: datetime | None = None) -> date:
    """Today in the commune (``now`` injectable for tests)."""
    return local_day(now or utc_now(), department)


def legal_today() -> date:
    """Today in metropolitan legal time: the window's day, whatever the PC's zone."""
    return today_in(None)


def wall_clock(day: date, department: str | None, now: datetime | None = None) -> datetime:
    """``day`` at the time the commune's clocks show now, naive: what a dialog pre-fills."""
    return datetime.combine(day, in_zone(now or utc_now(), department).time())


def to_local(moment: datetime, department: str | None = None) -> datetime:
    """An instant as naive wall time in the commune (a naive value is already wall time)."""
    if moment.tzinfo is not None:
        return in_zone(moment, department).replace(tzinfo=None)
    return moment


def to_wire(local: datetime, department: str | None = None) -> datetime:
    """A naive wall time of the commune (or an aware value) as the aware instant the server
    stores."""
    return as_instant(local, department)
