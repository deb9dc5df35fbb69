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
