"""Typed dates (``desktop.domain.date_input``): that date, or a French reason, never another.

The day of reference is injected; the suite's fixed day is TODAY and another day is tried too,
so nothing here depends on the PC clock.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from desktop.domain.date_input import (
    check_range,
    format_date_input,
    format_datetime_input,
    parse_french_date,
)
from desktop.domain.french import MONTH_NAMES, SHORT_MONTH_NAMES, format_date_fr
from tests.conftest import TODAY

#: Another reference day, in January, to check partial dates across the new year.
JANUARY = date(2027, 1, 5)
KEPT = time(10, 42)


@pytest.mark.parametrize(
    ("typed", "today", "expected"),
    [
        ("28/11", date(2026, 12, 1), date(2026, 11, 28)),  # the issue: was saved as 01/11
        ("28/11", date(2026, 12, 15), date(2026, 11, 28)),  # was 02/08/2026
        ("10/11", date(2026, 12, 15), date(2026, 11, 10)),  # was 10/12: « / » skipped a month
        ("28/11/26", TODAY, date(2026, 11, 28)),
        ("28/11/2026", TODAY, date(2026, 11, 28)),
        ("28.11.2026", TODAY, date(2026, 11, 28)),
        ("28-11-26", TODAY, date(2026, 11, 28)),
        ("2811", TODAY, date(2026, 11, 28)),
        ("281126", TODAY, date(2026, 11, 28)),
        ("28112026", TODAY, date(2026, 11, 28)),
        ("2026-11-28", TODAY, date(2026, 11, 28)),
        ("1/2/2027", TODAY, date(2027, 2, 1)),
        ("  28 / 11 ", TODAY, date(2026, 11, 28)),
        ("28 novembre 2026", TODAY, date(2026, 11, 28)),
        ("1er décembre 2026", TODAY, date(2026, 12, 1)),
        ("1er DÉC.", TODAY, date(2026, 12, 1)),
        ("3 fevr. 27", TODAY, date(2027, 2, 3)),
        ("28/12", JANUARY, date(2026, 12, 28)),  # last December, not next
        ("15/01", date(2026, 12, 20), date(2027, 1, 15)),  # next January, not last
        ("29/02/2028", TODAY, date(2028, 2, 29)),
    ],
)
def test_dates_typed_as_written(typed: str, today: date, expected: date) -> None:
    assert parse_french_date(typed, today) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("28/11/2026 9:30", datetime(2026, 11, 28, 9, 30)),
        ("28/11/2026 09h30", datetime(2026, 11, 28, 9, 30)),
        ("28/11/2026 à 9 h 30", datetime(2026, 11, 28, 9, 30)),
        ("28/11/2026, 9h", datetime(2026, 11, 28, 9, 0)),
        ("28/11/2026 9", datetime(2026, 11, 28, 9, 0)),
        ("15/12/2026 10:00", datetime(2026, 12, 15, 10, 0)),  # was 01/12/2026 01:00
        ("20/11 14:05", datetime(2026, 11, 20, 14, 5)),
        ("20/11", datetime(2026, 11, 20, 10, 42)),  # no time typed: the field's own time
        ("28 nov. 26 8h15", datetime(2026, 11, 28, 8, 15)),
    ],
)
def test_dates_and_times(typed: str, expected: datetime) -> None:
    assert parse_french_date(typed, TODAY, with_time=True, default_time=KEPT) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Saisissez une date"),
        ("demain", "Date non reconnue : « demain ». Tapez par exemple 28/11/2026."),
        ("28/11/12/2026", "Date non reconnue"),  # a day typed into a date, not over it
        ("31/11/2026", "Le 31 novembre 2026 n'existe pas."),
        ("29/02/2027", "Le 29 février 2027 n'existe pas."),
        ("29/02", "Le 29 février n'existe pas autour de 2026 : précisez l'année."),
        ("00/11/2026", "n'existe pas"),
        ("28/13", "Mois impossible : 13"),
        ("28 brumaire 2026", "Mois non reconnu"),
        ("28 ju 2026", "Mois non reconnu"),  # juin or juillet?
        ("28/11/2026 9:30", "sans heure"),
        ("28/11/0026", "Année improbable : 0026."),
    ],
)
def test_refusals_say_why_in_french(typed: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace(".", r"\.").replace("(", r"\(")):
        parse_french_date(typed, TODAY)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("28/11/2026 25:00", "Heure impossible : 25 h 00."),
        ("28/11/2026 9:75", "Heure impossible : 9 h 75."),
        ("28/11/2026", "Précisez l'heure"),  # without a time shown before, none is guessed
    ],
)
def test_time_refusals(typed: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        parse_french_date(typed, TODAY, with_time=True)


def test_range_messages_name_the_limit() -> None:
    now = datetime(2026, 11, 23, 10, 42)
    with pytest.raises(ValueError) as refused:
        check_range(datetime(2026, 11, 28, 9, 30), maximum=now,
                    too_late="La date de réception ne peut pas être dans le futur.")
    assert str(refused.value) == (
        "La date de réception ne peut pas être dans le futur. "
        "Au plus tard le 23 novembre 2026 à 10 h 42."
    )
    with pytest.raises(ValueError, match=r"Date trop ancienne\. Au plus tôt le 1er janvier 2026"):
        check_range(date(2025, 12, 31), minimum=date(2026, 1, 1))
    check_range(datetime(2026, 11, 23, 23, 0), maximum=TODAY)  # a date bound: the day counts
    check_range(TODAY, minimum=datetime(2026, 11, 23, 12, 0))


# --------------------------------------------------------------------------- properties

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
references = st.dates(min_value=date(2001, 1, 1), max_value=date(2098, 12, 31))
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(day=days, today=references)
@example(day=date(2026, 11, 28), today=TODAY)
def test_every_shown_form_reads_back_the_same_day(day: date, today: date) -> None:
    """What a field or a letter shows is read back exactly: numeric, two-digit year, compact,
    ISO, the letters' « 1er décembre 2026 » and the table's « 01 déc. 2026 »."""
    forms = [
        format_date_input(day),
        f"{day.day}/{day.month}/{day.year % 100:02d}",
        f"{day.day:02d}{day.month:02d}{day.year}",
        day.isoformat(),
        format_date_fr(day),
        f"{day.day:02d} {SHORT_MONTH_NAMES[day.month - 1]} {day.year}",
        f"{day.day} {MONTH_NAMES[day.month - 1].upper()} {day.year}",
    ]
    for typed in forms:
        assert parse_french_date(typed, today) == day, typed


@settings(max_examples=300, deadline=None, derandomize=True)
@given(moment=moments, today=references)
def test_every_shown_moment_reads_back_the_same_minute(moment: datetime, today: date) -> None:
    minute = moment.replace(second=0, microsecond=0)
    for typed in (
        format_datetime_input(minute),
        f"{format_date_input(minute)} {minute.hour}h{minute.minute:02d}",
        f"{format_date_fr(minute)} à {minute.hour} h {minute.minute:02d}",
    ):
        assert parse_french_date(typed, today, with_time=True) == minute, typed


@settings(max_examples=300, deadline=None, derandomize=True)
@given(day=days, today=references)
def test_a_date_without_year_is_that_day_and_month_near_today(day: date, today: date) -> None:
    """« jj/mm » gives that very day and month, within six months of the reference day,
    or a refusal (29 February far from a leap year): never another day or month."""
    try:
        parsed = parse_french_date(f"{day.day:02d}/{day.month:02d}", today)
    except ValueError as refused:
        assert (day.month, day.day) == (2, 29), refused
        return
    assert isinstance(parsed, date)
    assert (parsed.day, parsed.month) == (day.day, day.month)
    assert abs((parsed - today).days) <= 366 // 2 + 1


@settings(max_examples=500, deadline=None, derandomize=True)
@given(
    text=st.text(alphabet="0123456789/.-: hàéûnovdecjr", max_size=20),
    today=references,
    with_time=st.booleans(),
)
def test_any_text_gives_a_date_or_a_french_reason(text: str, today: date, with_time: bool) -> None:
    """Whatever is typed: a value, or a ValueError whose message is a French sentence."""
    try:
        value = parse_french_date(text, today, with_time=with_time, default_time=KEPT)
    except ValueError as refused:
        message = str(refused)
        assert message[0].isupper() and message.endswith("."), message
        assert "invalid" not in message and "day is out of range" not in message
        return
    assert isinstance(value, datetime) == with_time
    # What was accepted, shown back in the field's own form, reads back unchanged.
    shown = (
        format_datetime_input(value) if isinstance(value, datetime) else format_date_input(value)
    )
    assert parse_french_date(shown, today, with_time=with_time, default_time=KEPT) == value


@settings(max_examples=200, deadline=None, derandomize=True)
@given(day=days, today=references)
def test_the_typed_numbers_are_the_saved_numbers(day: date, today: date) -> None:
    """Day, month and year typed are those of the result (no section carried over)."""
    assume(day.year >= 2000)
    typed = f"{day.day}/{day.month}/{day.year}"
    parsed = parse_french_date(typed, today)
    assert (parsed.day, parsed.month, parsed.year) == (day.day, day.month, day.year)
    assert parse_french_date(typed + " 7:05", today, with_time=True) == datetime.combine(
        day, time(7, 5)
    )
    assert parse_french_date(typed, today) + timedelta(0) == day
