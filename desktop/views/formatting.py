"""Small French formatting helpers for widgets (numbers, sizes, moments)."""

from __future__ import annotations

from datetime import datetime

from desktop.domain.french import format_date_fr

NARROW_NBSP = "\u202f"


def count_fr(n: int) -> str:
    """12345 -> "12 345" with the narrow no-break space French typography uses."""
    return f"{n:,}".replace(",", NARROW_NBSP)


def requests_count(matching: int, total: int) -> str:
    noun = "demande" if matching <= 1 else "demandes"
    if matching == total:
        return f"{count_fr(matching)} {noun}"
    return f"{count_fr(matching)} {noun} sur {count_fr(total)}"


def size_fr(size: int) -> str:
    if size < 1024:
        return f"{size} o"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} Ko"
    return f"{size / (1024 * 1024):.1f} Mo".replace(".", ",")


def moment_fr(moment: datetime) -> str:
    return f"{format_date_fr(moment.date())} à {moment:%H:%M}"


def numeric_moment_fr(moment: datetime) -> str:
    """« 23/11/2026 à 14:05 »: the compact form for lists of dated entries (calls)."""
    return f"{moment:%d/%m/%Y} à {moment:%H:%M}"


NBSP = "\u00a0"


def duration_fr(seconds: int) -> str:
    """« 3 min 20 s », « 45 s », « 1 h 05 min »: a call's length as French writes it, the
    number held to its unit by a no-break space."""
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}{NBSP}h {minutes:02d}{NBSP}min"
    if minutes and secs:
        return f"{minutes}{NBSP}min {secs}{NBSP}s"
    if minutes:
        return f"{minutes}{NBSP}min"
    return f"{secs}{NBSP}s"
