"""The status bar's sentence, computed without Qt so it is tested like any other rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Connectivity(StrEnum):
    UNKNOWN = "unknown"          # no sync tried yet in this session
    ONLINE = "online"
    OFFLINE = "offline"          # the server could not be reached or failed
    LOGGED_OUT = "logged_out"    # no session: the login dialog is needed


@dataclass(frozen=True)
class SyncStatus:
    connectivity: Connectivity = Connectivity.UNKNOWN
    pending: int = 0
    #: Percentage while a sync runs, None otherwise.
    progress: int | None = None
    last_sync: datetime | None = None
    conflicts: int = 0
    rejected: int = 0


def _changes(count: int) -> str:
    return f"{count} modification{'s' if count > 1 else ''} en attente"


def status_text(status: SyncStatus) -> str:
    """« En ligne », « Hors ligne — 12 modifications en attente », « Synchronisation… 40 % »."""
    if status.progress is not None:
        text = f"Synchronisation… {status.progress} %"
    elif status.connectivity is Connectivity.OFFLINE:
        text = "Hors ligne — " + _changes(status.pending)
    elif status.connectivity is Connectivity.LOGGED_OUT:
        text = "Non connecté — " + _changes(status.pending)
    elif status.connectivity is Connectivity.ONLINE:
        text = "En ligne" + (f" — {_changes(status.pending)}" if status.pending else "")
    else:
        text = _changes(status.pending) if status.pending else "Synchronisation non lancée"
    extras = []
    if status.conflicts:
        extras.append(f"{status.conflicts} conflit{'s' if status.conflicts > 1 else ''}")
    if status.rejected:
        extras.append(f"{status.rejected} refus")
    if extras:
        text += " (" + ", ".join(extras) + ")"
    if status.last_sync is not None and status.progress is None:
        text += f" · dernière synchronisation à {status.last_sync:%H:%M}"
    return text
