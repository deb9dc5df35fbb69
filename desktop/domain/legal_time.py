"""The legal time of the bannette: what the secrétaire reads and types is French local time
(Europe/Paris), stored naive; the server keeps instants (UTC). The two conversions live here
so a time typed on the PC comes back from the server unchanged."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

try:
    LEGAL_ZONE: ZoneInfo | None = ZoneInfo("Europe/Paris")
except ZoneInfoNotFoundError:  # Windows without the tzdata package: the PC's own zone
    LEGAL_ZONE = None


def to_local(moment: datetime) -> datetime:
    """An instant as naive local legal time (a naive value is taken as already local)."""
    if moment.tzinfo is not None:
        return moment.astimezone(LEGAL_ZONE).replace(tzinfo=None)
    return moment


def to_wire(local: datetime) -> datetime:
    """A naive local legal time as the aware instant the server stores."""
    if local.tzinfo is not None:
        return local
    return local.replace(tzinfo=LEGAL_ZONE) if LEGAL_ZONE is not None else local.astimezone()
