"""The CRPA deadline engine: hand-checked tables, then properties.

Every expected date in the tables was worked out by hand on a printed calendar
(``python -c 'import calendar; print(calendar.month(2026, 5))'``) and the holiday list of the
``holidays`` package; the comment on each row gives the reasoning.
"""

from __future__ import annotations

import calendar
import itertools
import re
from datetime import date, datetime, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.domain import deadlines
from desktop.domain.deadlines import (
    LegalDates,
    acknowledgement_due,
    implicit_decision_date,
    internal_target,
    legal_dates,
    registration_receipt_due,
    working_days_after,
)
from desktop.domain.french import MONTH_NAMES, format_date_fr
from sync.protocol.vocabulary import PeriodUnit, SilenceRule

D = date

# --------------------------------------------------------------------------- working days

WORKING_DAYS_CASES = [
    # (start, n, department, expected, why)
    (D(2026, 11, 23), 1, "88", D(2026, 11, 24), "Mon -> Tue"),
    (D(2026, 11, 20), 1, "88", D(2026, 11, 23), "Fri -> Mon, weekend skipped"),
    (D(2026, 11, 21), 1, "88", D(2026, 11, 23), "start on a Saturday -> Mon"),
    (D(2026, 11, 21), 0, "88", D(2026, 11, 21), "n == 0 is the start itself, even a Saturday"),
    (D(2026, 11, 23), 10, "88", D(2026, 12, 7), "two plain weeks"),
    (D(2026, 11, 10), 1, "88", D(2026, 11, 12), "11 November (Wed) skipped"),
    (D(2024, 11, 8), 1, "88", D(2024, 11, 12), "Fri; 11 November 2024 is a Monday"),
    (D(2027, 10, 29), 1, "88", D(2027, 11, 2), "Fri; All Saints 2027 is a Monday"),
    (D(2026, 4, 3), 1, "88", D(2026, 4, 7), "Fri; Easter Monday 6 April 2026"),
    (D(2026, 5, 22), 1, "88", D(2026, 5, 26), "Fri; Whit Monday 25 May 2026"),
    (D(2026, 5, 13), 1, "88", D(2026, 5, 15), "Ascension Thu 14 May 2026"),
    (D(2026, 4, 30), 1, "88", D(2026, 5, 4), "1 May 2026 is a Friday"),
    (D(2026, 5, 7), 1, "88", D(2026, 5, 11), "8 May 2026 is a Friday"),
    (D(2026, 7, 13), 1, "88", D(2026, 7, 15), "14 July 2026 is a Tuesday"),
    (D(2025, 8, 14), 1, "88", D(2025, 8, 18), "15 August 2025 is a Friday"),
    (D(2026, 12, 24), 1, "88", D(2026, 12, 28), "25 December 2026 is a Friday"),
    (D(2026, 12, 31), 1, "88", D(2027, 1, 4), "1 January 2027 is a Friday"),
    (D(2028, 2, 25), 2, "88", D(2028, 2, 29), "Fri + 2 -> Tue 29 February 2028 (leap)"),
    # Good Friday (3 April 2026) is a holiday in Alsace-Moselle only.
    (D(2026, 4, 2), 1, "88", D(2026, 4, 3), "Vosges: Good Friday is worked"),
    (D(2026, 4, 2), 1, "57", D(2026, 4, 7), "Moselle: Good Friday, weekend, Easter Monday"),
    (D(2026, 4, 2), 1, "67", D(2026, 4, 7), "Bas-Rhin: same as Moselle"),
    (D(2026, 4, 2), 1, "68", D(2026, 4, 7), "Haut-Rhin: same as Moselle"),
    # 26 December 2025 is a Friday.
    (D(2025, 12, 24), 1, "88", D(2025, 12, 26), "Vosges: 26 December is worked"),
    (D(2025, 12, 24), 1, "57", D(2025, 12, 29), "Moselle: 25 and 26 December, weekend"),
    (D(2025, 12, 24), 1, "67", D(2025, 12, 29), "Bas-Rhin: 25 and 26 December, weekend"),
    # Overseas departments.
    (D(2026, 5, 21), 1, "88", D(2026, 5, 22), "mainland: 22 May is worked"),
    (D(2026, 5, 21), 1, "972", D(2026, 5, 26), "Martinique: abolition 22 May, Whit Monday"),
    (D(2026, 5, 26), 1, "971", D(2026, 5, 28), "Guadeloupe: abolition Wed 27 May 2026"),
    (D(2026, 6, 9), 1, "973", D(2026, 6, 11), "Guyane: abolition Wed 10 June 2026"),
    (D(2027, 12, 17), 1, "974", D(2027, 12, 21), "La Réunion: abolition Mon 20 December 2027"),
    (D(2027, 12, 17), 1, "75", D(2027, 12, 20), "Paris: 20 December is worked"),
    (D(2026, 4, 24), 1, "976", D(2026, 4, 28), "Mayotte: abolition Mon 27 April 2026"),
    (D(2026, 7, 20), 1, "972", D(2026, 7, 22), "Martinique: Victor Schoelcher Tue 21 July"),
    # Corsica and code normalisation.
    (D(2026, 4, 30), 1, "2A", D(2026, 5, 4), "Corse-du-Sud: national calendar"),
    (D(2026, 4, 30), 1, " 2b ", D(2026, 5, 4), "lower case and spaces are normalised"),
]


@pytest.mark.parametrize(("start", "n", "department", "expected", "why"), WORKING_DAYS_CASES)
def test_working_days_after_table(
    start: date, n: int, department: str, expected: date, why: str
) -> None:
    assert working_days_after(start, n, department) == expected, why


REGISTRATION_CASES = [
    (D(2026, 11, 23), "88", D(2026, 11, 24), "Mon -> Tue"),
    (D(2026, 11, 20), "88", D(2026, 11, 23), "Fri -> Mon"),
    (D(2026, 11, 14), "88", D(2026, 11, 16), "received on a Saturday -> Mon"),
    (D(2026, 11, 10), "88", D(2026, 11, 12), "11 November skipped"),
    (D(2026, 4, 2), "57", D(2026, 4, 7), "Moselle: Good Friday and Easter Monday skipped"),
]


@pytest.mark.parametrize(("received", "department", "expected", "why"), REGISTRATION_CASES)
def test_registration_receipt_due_table(
    received: date, department: str, expected: date, why: str
) -> None:
    assert registration_receipt_due(received, department) == expected, why


ACKNOWLEDGEMENT_CASES = [
    # 24 25 26 27 | 30 1 2 3 4 | 7
    (D(2026, 11, 23), "88", D(2026, 12, 7), "no holiday"),
    # May 2026: 1 (Fri) hol | 4 5 6 7 | 8 hol | 11 12 13 | 14 Ascension | 15 | 18 19
    (D(2026, 4, 30), "88", D(2026, 5, 19), "1 May, 8 May and Ascension"),
    # 3 4 5 6 | 9 10 | 11 hol | 12 13 | 16 17
    (D(2026, 11, 2), "88", D(2026, 11, 17), "11 November"),
    # 2 3 | 6 hol | 7 8 9 10 | 13 14 15 16
    (D(2026, 4, 1), "88", D(2026, 4, 16), "Vosges: Easter Monday only"),
    # 2 | 3 hol | 6 hol | 7 8 9 10 | 13 14 15 16 17
    (D(2026, 4, 1), "57", D(2026, 4, 17), "Moselle: Good Friday and Easter Monday"),
    (D(2026, 4, 1), "67", D(2026, 4, 17), "Bas-Rhin: Good Friday and Easter Monday"),
    # 16 17 18 19 | 22 23 24 | 25 hol | 26 | 29 30
    (D(2025, 12, 15), "88", D(2025, 12, 30), "Vosges: Christmas only"),
    # 16 17 18 19 | 22 23 24 | 25 26 hol | 29 30 31
    (D(2025, 12, 15), "57", D(2025, 12, 31), "Moselle: 25 and 26 December"),
    (D(2025, 12, 15), "67", D(2025, 12, 31), "Bas-Rhin: 25 and 26 December"),
    # 9 10 | 13 | 14 hol | 15 16 17 | 20 21 22 23
    (D(2026, 7, 8), "88", D(2026, 7, 23), "14 July"),
    # ... 20 | 21 hol (Victor Schoelcher) | 22 23 24
    (D(2026, 7, 8), "972", D(2026, 7, 24), "Martinique: 14 and 21 July"),
    # 12 13 14 | 15 hol | 18 19 20 21 22 | 25 26
    (D(2025, 8, 11), "88", D(2025, 8, 26), "15 August 2025 (Friday)"),
]


@pytest.mark.parametrize(("received", "department", "expected", "why"), ACKNOWLEDGEMENT_CASES)
def test_acknowledgement_due_table(
    received: date, department: str, expected: date, why: str
) -> None:
    assert acknowledgement_due(received, department) == expected, why


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((D(2026, 1, 5), -1, "88"), ValueError),
        ((D(2026, 1, 5), 1, "100"), ValueError),
        ((D(2026, 1, 5), 1, "00"), ValueError),
        ((D(2026, 1, 5), 1, "6AE"), ValueError),  # a holidays subdivision, not a department
        ((D(2026, 1, 5), 1, "2C"), ValueError),
        ((D(2026, 1, 5), 1, ""), ValueError),
        ((D(2026, 1, 5), 1, 57), TypeError),
        ((D(2026, 1, 5), 1.0, "88"), TypeError),
        ((D(2026, 1, 5), True, "88"), TypeError),
        ((datetime(2026, 1, 5, 23, 30), 1, "88"), TypeError),
        (("2026-01-05", 1, "88"), TypeError),
    ],
)
def test_working_days_after_rejects_bad_input(args: tuple[object, ...], error: type) -> None:
    with pytest.raises(error):
        working_days_after(*args)  # type: ignore[arg-type]


def test_error_messages_are_clear() -> None:
    with pytest.raises(ValueError, match="n must be >= 0"):
        working_days_after(D(2026, 1, 5), -3, "88")
    with pytest.raises(ValueError, match="invalid French department code '100'"):
        working_days_after(D(2026, 1, 5), 1, "100")
    with pytest.raises(ValueError, match="unknown period unit 'years'"):
        implicit_decision_date(D(2026, 1, 5), 1, "years")


def test_holiday_sets_are_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[object, object]] = []
    real = holidays.country_holidays

    def counting(country: str, subdiv: str | None = None, years: int | None = None) -> object:
        calls.append((subdiv, years))
        return real(country, subdiv=subdiv, years=years)

    deadlines._holiday_dates.cache_clear()
    monkeypatch.setattr(holidays, "country_holidays", counting)
    for _ in range(3):
        acknowledgement_due(D(2026, 4, 1), "57")
        acknowledgement_due(D(2026, 4, 1), "88")
        acknowledgement_due(D(2026, 4, 1), "75")  # same national calendar as 88
    deadlines._holiday_dates.cache_clear()
    assert len(calls) == 2
    assert set(calls) == {(None, 2026), ("57", 2026)}


# --------------------------------------------------------------------------- implicit decision

IMPLICIT_CASES = [
    # (received, period, unit, expected decision day, why)
    (D(2026, 11, 23), 2, "months", D(2027, 1, 24), "ends 23 Jan, decision the next day"),
    (D(2026, 1, 15), 2, "months", D(2026, 3, 16), "ends 15 March"),
    (D(2027, 1, 31), 1, "months", D(2027, 3, 1), "ends 28 Feb 2027 (no 31 Feb)"),
    (D(2028, 1, 31), 1, "months", D(2028, 3, 1), "ends 29 Feb 2028 (leap year)"),
    (D(2028, 1, 29), 1, "months", D(2028, 3, 1), "ends 29 Feb 2028, an existing day"),
    (D(2027, 1, 29), 1, "months", D(2027, 3, 1), "ends 28 Feb 2027 (no 29 Feb)"),
    (D(2028, 2, 29), 1, "months", D(2028, 3, 30), "ends 29 March: same day-of-month"),
    (D(2028, 2, 29), 12, "months", D(2029, 3, 1), "ends 28 Feb 2029"),
    (D(2027, 2, 28), 1, "months", D(2027, 3, 29), "ends 28 March, not at the month end"),
    (D(2026, 12, 31), 2, "months", D(2027, 3, 1), "ends 28 Feb 2027"),
    (D(2026, 11, 30), 3, "months", D(2027, 3, 1), "ends 28 Feb 2027"),
    (D(2026, 8, 31), 1, "months", D(2026, 10, 1), "ends 30 September"),
    (D(2026, 10, 31), 14, "months", D(2028, 1, 1), "ends 31 December 2027"),
    (D(2026, 10, 21), 1, "months", D(2026, 11, 22), "ends Sat 21 Nov: decision on a Sunday"),
    (D(2026, 1, 1), 15, "days", D(2026, 1, 17), "the start day is not counted: ends 16 Jan"),
    (D(2028, 2, 20), 10, "days", D(2028, 3, 2), "21..29 Feb is 9 days, ends 1 March"),
    (D(2027, 2, 20), 10, "days", D(2027, 3, 3), "21..28 Feb is 8 days, ends 2 March"),
    (D(2026, 11, 23), 2, "weeks", D(2026, 12, 8), "ends Mon 7 Dec, decision Tue 8 Dec"),
    (D(2028, 2, 15), 4, "weeks", D(2028, 3, 15), "28 days across 29 Feb: ends 14 March"),
    (D(2026, 11, 23), 2, PeriodUnit.MONTHS, D(2027, 1, 24), "the enum works like its value"),
    (D(2026, 11, 23), 2, PeriodUnit.WEEKS, D(2026, 12, 8), "the enum works like its value"),
]


@pytest.mark.parametrize(("received", "period", "unit", "expected", "why"), IMPLICIT_CASES)
def test_implicit_decision_date_table(
    received: date, period: int, unit: str, expected: date, why: str
) -> None:
    assert implicit_decision_date(received, period, unit) == expected, why


MISSING_CASES = [
    # (received, missing_documents, today, expected, why); two months throughout.
    (D(2026, 11, 2), [], None, D(2027, 1, 3), "no request for documents"),
    (
        D(2026, 11, 2),
        [(D(2026, 11, 10), D(2026, 11, 20))],
        None,
        D(2027, 1, 21),
        "restarts from 20 Nov: ends 20 Jan",
    ),
    (
        D(2026, 11, 2),
        [(D(2026, 11, 10), D(2026, 11, 20)), (D(2026, 12, 1), D(2026, 12, 15))],
        None,
        D(2027, 2, 16),
        "restarts from the latest answer, 15 Dec",
    ),
    (
        D(2026, 11, 2),
        [(D(2026, 12, 1), D(2026, 12, 15)), (D(2026, 11, 10), D(2026, 11, 20))],
        None,
        D(2027, 2, 16),
        "the order of the pairs does not matter",
    ),
    (
        D(2026, 11, 2),
        [(D(2026, 11, 2), D(2026, 11, 2))],
        None,
        D(2027, 1, 3),
        "documents asked and received the day of receipt",
    ),
    (D(2026, 11, 2), [(D(2026, 11, 10), None)], None, None, "unanswered: no date yet"),
    (
        D(2026, 11, 2),
        [(D(2026, 11, 10), D(2026, 11, 20)), (D(2026, 12, 1), None)],
        None,
        None,
        "a second request still unanswered",
    ),
    (
        D(2026, 11, 2),
        [(D(2026, 11, 10), D(2026, 11, 20))],
        D(2026, 11, 15),
        None,
        "answer dated after today: not received yet",
    ),
    (
        D(2026, 11, 2),
        [(D(2026, 11, 10), D(2026, 11, 20))],
        D(2026, 11, 20),
        D(2027, 1, 21),
        "answer dated today counts",
    ),
    (
        D(2026, 11, 2),
        [(D(2026, 11, 10), None)],
        D(2026, 11, 5),
        D(2027, 1, 3),
        "request asked after today: not sent yet, ignored",
    ),
    (
        D(2026, 11, 2),
        [(D(2026, 11, 10), D(2026, 11, 20)), (D(2026, 12, 1), D(2026, 12, 15))],
        D(2026, 11, 25),
        D(2027, 1, 21),
        "as known on 25 Nov: only the first request has happened",
    ),
]


@pytest.mark.parametrize(("received", "missing", "today", "expected", "why"), MISSING_CASES)
def test_missing_documents_table(
    received: date,
    missing: list[tuple[date, date | None]],
    today: date | None,
    expected: date | None,
    why: str,
) -> None:
    assert implicit_decision_date(received, 2, "months", missing, today) == expected, why


def test_missing_documents_accepts_any_iterable_and_is_not_mutated() -> None:
    pairs = [(D(2026, 11, 10), D(2026, 11, 20))]
    expected = D(2027, 1, 21)
    assert implicit_decision_date(D(2026, 11, 2), 2, "months", pairs) == expected
    assert implicit_decision_date(D(2026, 11, 2), 2, "months", tuple(pairs)) == expected
    assert implicit_decision_date(D(2026, 11, 2), 2, "months", iter(pairs)) == expected
    assert pairs == [(D(2026, 11, 10), D(2026, 11, 20))]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"period": 0}, ValueError, "period must be >= 1"),
        ({"unit": "years"}, ValueError, "unknown period unit"),
        (
            {"missing_documents": [(D(2026, 10, 1), None)]},
            ValueError,
            "before the request was received",
        ),
        (
            {"missing_documents": [(D(2026, 11, 10), D(2026, 11, 9))]},
            ValueError,
            "before being asked for",
        ),
        ({"missing_documents": [D(2026, 11, 10)]}, TypeError, "tuple"),
        ({"today": datetime(2026, 11, 10, 8, 0)}, TypeError, "today"),
        ({"received": datetime(2026, 11, 2, 8, 0)}, TypeError, "received"),
    ],
)
def test_implicit_decision_date_rejects_bad_input(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    call: dict[str, object] = {"received": D(2026, 11, 2), "period": 2, "unit": "months"}
    call.update(kwargs)
    with pytest.raises(error, match=message):
        implicit_decision_date(**call)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- internal target


def test_internal_target() -> None:
    assert internal_target(D(2026, 11, 23)) == D(2026, 11, 30)
    assert internal_target(D(2026, 12, 28)) == D(2027, 1, 4)  # calendar days, holiday or not
    assert internal_target(D(2026, 11, 23), days=3) == D(2026, 11, 26)
    assert internal_target(D(2026, 11, 23), days=0) == D(2026, 11, 23)
    with pytest.raises(ValueError, match="days must be >= 0"):
        internal_target(D(2026, 11, 23), days=-1)


# --------------------------------------------------------------------------- legal_dates


def test_legal_dates_electronic_sva() -> None:
    dates = legal_dates(D(2026, 11, 23), "88", True, 2, "months", "accept")
    assert dates == LegalDates(
        received=D(2026, 11, 23),
        silence_rule=SilenceRule.ACCEPT,
        registration_receipt_due=D(2026, 11, 24),
        registration_receipt_reason=(
            "Accusé d'enregistrement dû au plus tard le 24 novembre 2026 "
            "(1 jour ouvré, art. R112-11-1 CRPA)"
        ),
        acknowledgement_due=D(2026, 12, 7),
        acknowledgement_reason=(
            "Accusé de réception dû au plus tard le 7 décembre 2026 "
            "(10 jours ouvrés, art. R112-11-1 CRPA)"
        ),
        implicit_decision_date=D(2027, 1, 24),
        implicit_decision_reason=(
            "Sans décision expresse, accord tacite le 24 janvier 2027 (silence de 2 mois "
            "à compter de la réception le 23 novembre 2026, art. L231-1 CRPA)"
        ),
        internal_target_due=D(2026, 11, 30),
        internal_target_reason=(
            "Objectif interne : accusé de réception au plus tard le 30 novembre 2026 "
            "(7 jours calendaires après la réception)"
        ),
        suspended_since=None,
    )


def test_legal_dates_paper_svr_suspended() -> None:
    dates = legal_dates(
        D(2026, 11, 23),
        "57",
        False,
        3,
        PeriodUnit.WEEKS,
        SilenceRule.REJECT,
        [(D(2026, 12, 1), None)],
        internal_target_days=1,
    )
    assert dates.registration_receipt_due is None
    assert "non électronique" in dates.registration_receipt_reason
    assert dates.acknowledgement_due is None
    assert "L112-3" in dates.acknowledgement_reason
    assert dates.implicit_decision_date is None
    assert dates.suspended_since == D(2026, 12, 1)
    assert dates.implicit_decision_reason == (
        "Suspendu — pièces manquantes demandées le 1er décembre 2026 ; le délai de "
        "3 semaines repartira de leur réception (art. L114-5 CRPA)"
    )
    assert dates.internal_target_due == D(2026, 11, 24)
    assert "(1 jour calendaire après la réception)" in dates.internal_target_reason


def test_legal_dates_restarted_and_acquired() -> None:
    dates = legal_dates(
        D(2026, 11, 23),
        "67",
        True,
        2,
        "months",
        "reject",
        [(D(2026, 11, 25), D(2026, 12, 31))],
        today=D(2027, 5, 1),
    )
    assert dates.implicit_decision_date == D(2027, 3, 1)
    assert dates.implicit_decision_reason == (
        "Rejet tacite né le 1er mars 2027 (silence de 2 mois à compter de la réception des "
        "pièces manquantes le 31 décembre 2026, art. L231-4 et L114-5 CRPA)"
    )
    accepted = legal_dates(D(2026, 11, 23), "67", True, 2, "months", "accept", today=D(2027, 1, 24))
    assert accepted.implicit_decision_reason.startswith("Accord tacite acquis le 24 janvier 2027")


def test_legal_dates_without_implicit_decision() -> None:
    dates = legal_dates(D(2026, 11, 23), "971", True, 0, "months", "none", [(D(2026, 12, 1), None)])
    assert dates.implicit_decision_date is None
    assert dates.suspended_since is None
    assert dates.implicit_decision_reason == "Pas de décision implicite pour cette démarche"
    with pytest.raises(ValueError, match="unknown silence rule"):
        legal_dates(D(2026, 11, 23), "971", True, 2, "months", "maybe")
    with pytest.raises(ValueError, match="silence_period must be >= 1"):
        legal_dates(D(2026, 11, 23), "971", True, 0, "months", "accept")
    with pytest.raises(ValueError, match="department"):
        legal_dates(D(2026, 11, 23), "999", False, 2, "months", "accept")


# --------------------------------------------------------------------------- format_date_fr


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (D(2026, 12, 7), "7 décembre 2026"),
        (D(2026, 11, 23), "23 novembre 2026"),
        (D(2027, 1, 1), "1er janvier 2027"),
        (D(2026, 5, 1), "1er mai 2026"),
        (D(2026, 8, 15), "15 août 2026"),
        (D(2028, 2, 29), "29 février 2028"),
        (D(2026, 2, 11), "11 février 2026"),
        (D(1999, 12, 31), "31 décembre 1999"),
    ],
)
def test_format_date_fr(day: date, text: str) -> None:
    assert format_date_fr(day) == text


# --------------------------------------------------------------------------- properties

#: The test's own reading of the holidays package, as an oracle independent of the module.
ORACLE_SUBDIVISION: dict[str, str | None] = {
    "88": None,
    "75": None,
    "2A": None,
    "2B": None,
    "57": "57",
    "67": "6AE",
    "68": "6AE",
    "971": "971",
    "972": "972",
    "973": "973",
    "974": "974",
    "976": "976",
}

FAST = settings(max_examples=120, deadline=None)

dates_ = st.dates(min_value=D(1995, 1, 1), max_value=D(2075, 12, 31))
departments = st.sampled_from(sorted(ORACLE_SUBDIVISION))
counts = st.integers(min_value=0, max_value=30)
units = st.sampled_from(list(PeriodUnit))
periods = st.integers(min_value=1, max_value=24)


ORACLE_CALENDARS = {
    department: holidays.country_holidays("FR", subdiv=subdivision)
    for department, subdivision in ORACLE_SUBDIVISION.items()
}


def is_working_day(day: date, department: str) -> bool:
    return day.weekday() < 5 and day not in ORACLE_CALENDARS[department]


@FAST
@given(start=dates_, n=counts, department=departments)
def test_exactly_n_working_days_and_lands_on_one(start: date, n: int, department: str) -> None:
    result = working_days_after(start, n, department)
    span = [start + timedelta(days=i) for i in range(1, (result - start).days + 1)]
    assert sum(is_working_day(day, department) for day in span) == n
    if n >= 1:
        assert result > start
        assert result.weekday() < 5
        assert is_working_day(result, department)
    else:
        assert result == start


@FAST
@given(a=dates_, b=dates_, n=counts, department=departments)
def test_working_days_monotone_in_start(a: date, b: date, n: int, department: str) -> None:
    early, late = sorted((a, b))
    assert working_days_after(early, n, department) <= working_days_after(late, n, department)


@FAST
@given(start=dates_, a=counts, b=counts, department=departments)
def test_working_days_compose(start: date, a: int, b: int, department: str) -> None:
    step = working_days_after(working_days_after(start, a, department), b, department)
    assert step == working_days_after(start, a + b, department)


@FAST
@given(start=dates_, n=counts, alsace=st.sampled_from(["57", "67", "68"]))
def test_alsace_moselle_never_earlier_than_mainland(start: date, n: int, alsace: str) -> None:
    assert working_days_after(start, n, alsace) >= working_days_after(start, n, "88")


@FAST
@given(received=dates_, department=departments)
def test_receipt_before_acknowledgement(received: date, department: str) -> None:
    receipt = registration_receipt_due(received, department)
    ack = acknowledgement_due(received, department)
    assert received < receipt < ack
    assert is_working_day(receipt, department)
    assert is_working_day(ack, department)
    assert internal_target(received) < ack  # 7 calendar days always beat 10 working days


@FAST
@given(a=dates_, b=dates_, period=periods, unit=units)
def test_implicit_decision_monotone_in_received(
    a: date, b: date, period: int, unit: PeriodUnit
) -> None:
    early, late = sorted((a, b))
    first = implicit_decision_date(early, period, unit)
    second = implicit_decision_date(late, period, unit)
    assert first is not None and second is not None
    assert early < first <= second


@FAST
@given(received=dates_, period=periods)
def test_month_period_ends_on_same_day_or_month_end(received: date, period: int) -> None:
    decision = implicit_decision_date(received, period, "months")
    assert decision is not None
    end = decision - timedelta(days=1)
    months = (end.year - received.year) * 12 + end.month - received.month
    assert months == period
    last_day = calendar.monthrange(end.year, end.month)[1]
    assert end.day == min(received.day, last_day)


@FAST
@given(received=dates_, period=periods, unit=st.sampled_from(["days", "weeks"]))
def test_day_and_week_periods_are_calendar_days(received: date, period: int, unit: str) -> None:
    decision = implicit_decision_date(received, period, unit)
    length = period * 7 if unit == "weeks" else period
    assert decision == received + timedelta(days=length + 1)


offsets = st.integers(min_value=0, max_value=150)
answered_requests = st.lists(st.tuples(offsets, offsets), max_size=4)


def build_pairs(received: date, raw: list[tuple[int, int]]) -> list[tuple[date, date | None]]:
    pairs: list[tuple[date, date | None]] = []
    for ask, wait in raw:
        asked_on = received + timedelta(days=ask)
        pairs.append((asked_on, asked_on + timedelta(days=wait)))
    return pairs


@FAST
@given(received=dates_, raw=answered_requests, period=periods, unit=units, data=st.data())
def test_restart_depends_only_on_latest_answer(
    received: date, raw: list[tuple[int, int]], period: int, unit: PeriodUnit, data: st.DataObject
) -> None:
    pairs = build_pairs(received, raw)
    latest = max((answered for _, answered in pairs if answered is not None), default=received)
    expected = implicit_decision_date(latest, period, unit)
    assert implicit_decision_date(received, period, unit, pairs) == expected
    shuffled = data.draw(st.permutations(pairs))
    assert implicit_decision_date(received, period, unit, shuffled) == expected


@FAST
@given(received=dates_, raw=answered_requests, ask=offsets, period=periods, unit=units)
def test_unanswered_request_gives_none(
    received: date, raw: list[tuple[int, int]], ask: int, period: int, unit: PeriodUnit
) -> None:
    pending = (received + timedelta(days=ask), None)
    for position in range(len(raw) + 1):
        pairs = build_pairs(received, raw)
        pairs.insert(position, pending)
        assert implicit_decision_date(received, period, unit, pairs) is None


@FAST
@given(received=dates_, raw=answered_requests, extra=st.tuples(offsets, offsets), unit=units)
def test_adding_an_answered_request_never_advances_the_date(
    received: date, raw: list[tuple[int, int]], extra: tuple[int, int], unit: PeriodUnit
) -> None:
    pairs = build_pairs(received, raw)
    before = implicit_decision_date(received, 2, unit, pairs)
    after = implicit_decision_date(received, 2, unit, [*pairs, *build_pairs(received, [extra])])
    assert before is not None and after is not None
    assert after >= before


@FAST
@given(received=dates_, raw=answered_requests, today_offset=st.integers(0, 400), unit=units)
def test_today_hides_what_has_not_happened_yet(
    received: date, raw: list[tuple[int, int]], today_offset: int, unit: PeriodUnit
) -> None:
    today = received + timedelta(days=today_offset)
    pairs = build_pairs(received, raw)
    known: list[tuple[date, date | None]] = [
        (asked_on, answered_on if answered_on is not None and answered_on <= today else None)
        for asked_on, answered_on in pairs
        if asked_on <= today
    ]
    assert implicit_decision_date(received, 2, unit, pairs, today) == implicit_decision_date(
        received, 2, unit, known
    )
    # Once every event is in the past, today changes nothing.
    far = max(itertools.chain([today], (a for _, a in pairs if a is not None)))
    assert implicit_decision_date(received, 2, unit, pairs, far) == implicit_decision_date(
        received, 2, unit, pairs
    )


@FAST
@given(
    received=dates_,
    department=departments,
    electronic=st.booleans(),
    period=periods,
    unit=units,
    rule=st.sampled_from([SilenceRule.ACCEPT, SilenceRule.REJECT]),
    raw=answered_requests,
)
def test_legal_dates_agree_with_the_functions(
    received: date,
    department: str,
    electronic: bool,
    period: int,
    unit: PeriodUnit,
    rule: SilenceRule,
    raw: list[tuple[int, int]],
) -> None:
    pairs = build_pairs(received, raw)
    dates = legal_dates(received, department, electronic, period, unit.value, rule.value, pairs)
    assert dates.silence_rule is rule
    assert dates.implicit_decision_date == implicit_decision_date(received, period, unit, pairs)
    assert dates.internal_target_due == internal_target(received)
    if electronic:
        assert dates.registration_receipt_due == registration_receipt_due(received, department)
        assert dates.acknowledgement_due == acknowledgement_due(received, department)
        assert dates.acknowledgement_due is not None
        assert format_date_fr(dates.acknowledgement_due) in dates.acknowledgement_reason
    else:
        assert dates.registration_receipt_due is None
        assert dates.acknowledgement_due is None
    assert dates.implicit_decision_date is not None
    assert format_date_fr(dates.implicit_decision_date) in dates.implicit_decision_reason


FRENCH_DATE = re.compile(r"(1er|[1-9]|[12][0-9]|3[01]) ([a-zéû]+) ([0-9]+)")


@FAST
@given(day=st.dates())
def test_format_date_fr_round_trips(day: date) -> None:
    match = FRENCH_DATE.fullmatch(format_date_fr(day))
    assert match is not None
    number, month, year = match.groups()
    assert (1 if number == "1er" else int(number)) == day.day
    assert MONTH_NAMES.index(month) + 1 == day.month
    assert int(year) == day.year
