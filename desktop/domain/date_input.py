"""Dates and times as a secrétaire types them (« 28/11 », « 28/11/26 », « 28/11/2026 9h30 »).

Every legal deadline starts from a date typed in a form, so a typed date must give exactly that
date or a French message saying why not: never another date. Qt's section editors did the
latter (typing « 28/11 » over the day of « 15/12/2026 » gave 02/08/2026), hence this parser,
which knows nothing of Qt and is tested on its own.

Rules, decided once here:

* Day first, then month, then year, separated by « / », « . » or « - » (« 28/11/2026 »,
  « 28.11.26 », « 28-11 »), or written as digits only (« 2811 », « 281126 », « 28112026 »),
  or with the month's French name (« 28 novembre 2026 », « 1er déc. »). ISO « 2026-11-28 » is
  read too (a four-digit first group is a year).
* A **two-digit year** is in the 2000s (« 26 » is 2026): the app registers current requests.
* A **date without a year** is the one nearest to ``today`` among last year, this year and next
  year: « 28/12 » typed on 5 January is last 28 December (eight days ago), not a date a year
  ahead; « 15/01 » typed on 20 December is next January. Whether the result is allowed (a
  receipt in the future is not) is :func:`check_range`'s business, with its own message, so an
  ambiguous entry is refused loudly rather than moved a year back silently.
* A time follows the date after a space, a comma or « à »: « 9:30 », « 09h30 », « 9 h 30 »,
  « 9h ». A field that takes no time refuses one; a field that takes one and gets none uses
  ``default_time`` (the time the field showed), or refuses when there is none.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time

from desktop.domain.french import MONTH_NAMES, format_date_fr, format_time_fr

__all__ = [
    "check_range",
    "format_date_input",
    "format_datetime_input",
    "parse_french_date",
]

_NUMERIC_DATE = re.compile(r"(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2}|\d{4}))?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_COMPACT_DATE = re.compile(r"(\d{2})(\d{2})(\d{2}|\d{4})?")
_NAMED_DATE = re.compile(r"(\d{1,2})(?:er)?\s+([a-z]+)\.?(?:\s+(\d{2}|\d{4}))?")
_BEFORE_TIME = r"(?P<date>.+?)(?:\s*,\s*|\s+a\s+|\s+)"
_TIME_TAIL = re.compile(_BEFORE_TIME + r"(?P<hour>\d{1,2})\s*[:h]\s*(?P<minute>\d{2})?")
_HOUR_TAIL = re.compile(_BEFORE_TIME + r"(?P<hour>\d{1,2})(?P<minute>)")


def _fold(text: str) -> str:
    """Lower case without accents: « Déc. » and « dec. » are the same month."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_MONTHS = tuple(_fold(name) for name in MONTH_NAMES)


def _month_by_name(word: str) -> int:
    """1-12 for a French month name or its abbreviation (« nov », « sept », « juil »)."""
    if len(word) >= 3:
        found = [i + 1 for i, name in enumerate(_MONTHS) if name.startswith(word)]
        if len(found) == 1:
            return found[0]
        # « juin » / « juillet » share « jui »: only a longer prefix decides.
    raise ValueError(f"Mois non reconnu : « {word} ». Tapez par exemple 28/11/2026.")


def _example(with_time: bool) -> str:
    return "28/11/2026 09:30" if with_time else "28/11/2026"


class _Unrecognised(ValueError):
    """No date shape matched; reworded with the text as typed (not folded) by the caller."""


def _unrecognised(text: str, with_time: bool) -> ValueError:
    return _Unrecognised(
        f"Date non reconnue : « {text.strip()} ». Tapez par exemple {_example(with_time)}."
    )


def _year(raw: str | None) -> int | None:
    if raw is None:
        return None
    value = int(raw)
    return 2000 + value if len(raw) == 2 else value


#: Years a mairie's request can carry; « 0026 » is a typing slip, not the first century.
_YEARS = range(1900, 2200)


def _build(day: int, month: int, year: int) -> date:
    if year not in _YEARS:
        raise ValueError(f"Année improbable : {year:04d}. Tapez-la en entier (2026) ou en deux "
                         "chiffres (26).")
    if not 1 <= month <= 12:
        raise ValueError(f"Mois impossible : {month} (de 1 à 12).")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(
            f"Le {day} {MONTH_NAMES[month - 1]} {year} n'existe pas." if day >= 1
            else "Le jour 0 n'existe pas."
        ) from None


def _nearest(day: int, month: int, today: date) -> date:
    """The date nearest to ``today`` with that day and month (see the module docstring)."""
    if not 1 <= month <= 12:
        raise ValueError(f"Mois impossible : {month} (de 1 à 12).")
    candidates = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    if not candidates:
        raise ValueError(
            f"Le {day} {MONTH_NAMES[month - 1]} n'existe pas autour de {today.year} : "
            "précisez l'année."
        )
    # Equal distances cannot happen (the candidates are about a year apart) but the order
    # of the key keeps the choice stable anyway: the earlier date wins.
    return min(candidates, key=lambda d: (abs((d - today).days), d))


def _parse_day(text: str, today: date, with_time: bool) -> date:
    """A date alone (no time) from folded text."""
    iso = _ISO_DATE.fullmatch(text)
    if iso:
        return _build(int(iso[3]), int(iso[2]), int(iso[1]))
    for pattern in (_NUMERIC_DATE, _COMPACT_DATE):
        found = pattern.fullmatch(text)
        if found:
            day, month, year = int(found[1]), int(found[2]), _year(found[3])
            break
    else:
        named = _NAMED_DATE.fullmatch(text)
        if not named:
            raise _unrecognised(text, with_time)
        day, month, year = int(named[1]), _month_by_name(named[2]), _year(named[3])
    if year is None:
        if day < 1:
            raise ValueError("Le jour 0 n'existe pas.")
        return _nearest(day, month, today)
    return _build(day, month, year)


def _split(text: str, today: date, with_time: bool) -> tuple[date, time | None]:
    """The date and the time typed after it (None when no time was typed).

    The whole text is tried as a date first, so « 28 novembre 26 » is a year, not 26 o'clock;
    then a time at its end: « 9:30 », « 9h30 », « 9 h », or a lone hour after a date that has
    its year (« 28/11/2026 9 »).
    """
    try:
        return _parse_day(text, today, with_time), None
    except ValueError as whole_error:
        found = _TIME_TAIL.fullmatch(text) or _HOUR_TAIL.fullmatch(text)
        if found is None:
            raise whole_error from None
        if found.re is _HOUR_TAIL and not _has_year(found["date"]):
            raise whole_error from None
        hour, minute = int(found["hour"]), int(found["minute"] or 0)
        if hour > 23 or minute > 59:
            raise ValueError(f"Heure impossible : {hour} h {minute:02d}.") from None
        return _parse_day(found["date"], today, with_time), time(hour, minute)


def _has_year(text: str) -> bool:
    numeric = _NUMERIC_DATE.fullmatch(text)
    named = _NAMED_DATE.fullmatch(text)
    return bool(
        _ISO_DATE.fullmatch(text)
        or (numeric and numeric[3])
        or (named and named[3])
        or re.fullmatch(r"\d{6}|\d{8}", text)
    )


def parse_french_date(
    text: str,
    today: date,
    *,
    with_time: bool = False,
    default_time: time | None = None,
) -> date | datetime:
    """What ``text`` means as a date (``with_time=False``) or a date and time.

    ``today`` resolves dates typed without a year (the nearest such date, see the module
    docstring); it is a parameter, never the PC clock. Raises ``ValueError`` whose message is a
    French sentence to show next to the field.
    """
    folded = _fold(text).strip()
    if not folded:
        raise ValueError("Saisissez une date, par exemple " + _example(with_time) + ".")
    try:
        tight = re.sub(r"(?<=\d)\s*([/.\-])\s*(?=\d)", r"\1", re.sub(r"\s+", " ", folded))
        day, clock = _split(tight, today, with_time)
    except _Unrecognised:
        raise _unrecognised(" ".join(text.split()), with_time) from None
    if not with_time:
        if clock is not None:
            raise ValueError("Saisissez une date seule, sans heure (par exemple 28/11/2026).")
        return day
    if clock is None:
        if default_time is None:
            raise ValueError("Précisez l'heure, par exemple 28/11/2026 09:30.")
        clock = default_time
    return datetime.combine(day, clock)


def format_date_input(value: date) -> str:
    """The form a date field shows and :func:`parse_french_date` reads back: « 28/11/2026 »."""
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def format_datetime_input(value: datetime) -> str:
    """« 28/11/2026 09:30 », read back by :func:`parse_french_date` with ``with_time``."""
    return f"{format_date_input(value)} {value.hour:02d}:{value.minute:02d}"


def _spoken(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return f"{format_date_fr(value)} à {format_time_fr(value)}"
    return format_date_fr(value)


def check_range(
    value: date | datetime,
    minimum: date | datetime | None = None,
    maximum: date | datetime | None = None,
    *,
    too_early: str = "",
    too_late: str = "",
) -> None:
    """Refuse a value out of ``[minimum, maximum]`` with a French message.

    ``too_early`` / ``too_late`` replace the generic sentence (« La date de réception ne peut
    pas être dans le futur. »); the limit is appended so the secrétaire knows what is allowed.
    A date bound against a datetime value compares the day only.
    """

    def comparable(bound: date | datetime) -> tuple[date | datetime, date | datetime]:
        if isinstance(value, datetime) and not isinstance(bound, datetime):
            return value.date(), bound
        if isinstance(bound, datetime) and not isinstance(value, datetime):
            return value, bound.date()
        return value, bound

    if minimum is not None:
        mine, bound = comparable(minimum)
        if mine < bound:
            head = too_early or "Date trop ancienne."
            raise ValueError(f"{head} Au plus tôt le {_spoken(minimum)}.")
    if maximum is not None:
        mine, bound = comparable(maximum)
        if mine > bound:
            head = too_late or "Date trop tardive."
            raise ValueError(f"{head} Au plus tard le {_spoken(maximum)}.")
