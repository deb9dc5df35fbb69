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

import unicodedata
from datetime import date, datetime

from sync.protocol.vocabulary import PeriodUnit

__all__ = [
    "MONTH_NAMES",
    "SHORT_MONTH_NAMES",
    "WEEKDAY_NAMES",
    "day_ordinal",
    "de_name",
    "elide",
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


# --------------------------------------------------------------------------- elision

_VOWELS = frozenset("aeiouyæœ")


def _base_letters(text: str) -> str:
    """``text`` folded to lower case without accents: « Éa » → « ea »."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _elides_before(word: str) -> bool:
    """Whether « de », « le », « que »… lose their vowel before ``word``.

    The rule, as French writes names:
    * before a vowel, accented or not, and before « æ », « œ »: « d'Anne », « d'Émile »,
      « d'Œdipe »;
    * before « y » only when a consonant follows, where it sounds like « i »: « d'Yves »,
      but « de Yasmine », « de Yann »;
    * before « h » followed by a vowel: given names start with a mute h (« d'Hélène »,
      « d'Henri », « d'Hugo »). Which h is aspirated cannot be known from the spelling; the
      few names that are (« de Hauteclocque ») read acceptably either way, a clipped
      « de Hélène » does not;
    * never before a consonant, a digit, a sign or nothing.
    """
    folded = _base_letters(word.strip()[:3])
    if not folded:
        return False
    first, second = folded[0], folded[1:2]
    if first == "y":
        return bool(second) and second.isalpha() and second not in _VOWELS
    if first in _VOWELS:
        return True
    if first == "h":
        return second in _VOWELS
    return False


def elide(word: str, following: str) -> str:
    """``word`` then ``following``, elided where French wants it:
    ``elide("de", "Hélène")`` → « d'Hélène », ``elide("de", "Claire")`` → « de Claire ».

    ``word`` is a short word ending in « e » (« de », « le », « que », « je »); the apostrophe
    is the straight one, like every other text of the app.
    """
    following = following.strip()
    if word.endswith("e") and _elides_before(following):
        return f"{word[:-1]}'{following}"
    return f"{word} {following}".rstrip()


def de_name(name: str) -> str:
    """« de Claire Martin », « d'Hélène Roux »: the name as a complement."""
    return elide("de", name)
