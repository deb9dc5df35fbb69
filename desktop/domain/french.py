"""French wording for dates, times and periods shown to users and printed in letters.

The user interface and the generated documents are in French (« 23 novembre 2026 »). The
formatting is done by hand rather than with ``locale``/``strftime``: the French locale is often
missing on Windows PCs and in CI images, ``setlocale`` is process-wide, so it would be unsafe
from the sync worker thread, and no locale writes the ordinal « 1er » that French administrative
style requires.

This is the one implementation: the letters (``desktop.documents``) and the widgets both use it,
so a date can never be spelt one way on screen and another way in a letter with legal effect.
"""

from __future__ import annotations

from datetime import date, datetime

from sync.protocol.vocabulary import PeriodUnit

__all__ = [
    "MONTH_NAMES",
    "SHORT_MONTH_NAMES",
    "WEEKDAY_NAMES",
    "day_ordinal",
    "format_date_fr",
    "format_long_date_fr",
    "format_short_date_fr",
    "format_period_fr",
    "format_time_fr",
]

#: Month names in French, lower case as French typography wants them; index 0 is January.
MONTH_NAMES: tuple[str, ...] = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

#: Weekday names, lower case; index 0 is Monday (``date.weekday()``).
WEEKDAY_NAMES: tuple[str, ...] = (
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
)

# Singular and plural nouns of each period unit ("mois" is invariable).
_UNIT_NOUNS: dict[PeriodUnit, tuple[str, str]] = {
    PeriodUnit.DAYS: ("jour", "jours"),
    PeriodUnit.WEEKS: ("semaine", "semaines"),
    PeriodUnit.MONTHS: ("mois", "mois"),
}

# Legal texts write short periods in words (« deux mois »); beyond this table, digits.
_NUMBER_WORDS: tuple[str, ...] = (
    "zéro",
    "un",
    "deux",
    "trois",
    "quatre",
    "cinq",
    "six",
    "sept",
    "huit",
    "neuf",
    "dix",
    "onze",
    "douze",
    "treize",
    "quatorze",
    "quinze",
    "seize",
)


def day_ordinal(day: int) -> str:
    """« 1er » for the first of the month, the plain number otherwise."""
    return "1er" if day == 1 else str(day)


def format_date_fr(d: date) -> str:
    """Return ``d`` as French prose: ``"7 décembre 2026"``, ``"1er mai 2026"``.

    French writes the first day of a month as an ordinal (« 1er »), every other day as a cardinal.
    No leading zero, no weekday: this is the form used in administrative letters. A ``datetime``
    is accepted and its time ignored.
    """
    return f"{day_ordinal(d.day)} {MONTH_NAMES[d.month - 1]} {d.year}"


#: Abbreviated month names for narrow table cells, as French typography abbreviates them.
SHORT_MONTH_NAMES: tuple[str, ...] = (
    "janv.", "févr.", "mars", "avr.", "mai", "juin",
    "juil.", "août", "sept.", "oct.", "nov.", "déc.",
)  # fmt: skip


def format_short_date_fr(d: date) -> str:
    """``"07 déc. 2026"``: the compact form for table columns (fixed-width day)."""
    return f"{d.day:02d} {SHORT_MONTH_NAMES[d.month - 1]} {d.year}"


def format_long_date_fr(d: date) -> str:
    """« lundi 23 novembre 2026 », for dates a citizen must act on."""
    return f"{WEEKDAY_NAMES[d.weekday()]} {format_date_fr(d)}"


def format_time_fr(value: datetime) -> str:
    """« 14 h 05 », the form recommended by the Imprimerie nationale's rules."""
    return f"{value.hour} h {value.minute:02d}"


def format_period_fr(amount: int, unit: PeriodUnit | str) -> str:
    """« deux mois », « 15 jours », « une semaine » for a procedure's silence period."""
    singular, plural = _UNIT_NOUNS[PeriodUnit(unit)]
    noun = singular if amount == 1 else plural
    if amount == 1:
        # "un jour", "un mois" but "une semaine": the only feminine noun here.
        return f"{'une' if noun == 'semaine' else 'un'} {noun}"
    if 0 <= amount < len(_NUMBER_WORDS):
        return f"{_NUMBER_WORDS[amount]} {noun}"
    return f"{amount} {noun}"
