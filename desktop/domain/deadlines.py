"""The legal deadlines of a request (CRPA), computed to the day, with no Qt and no clock.

A mairie that sends its acknowledgement late, or does not see "silence vaut accord" coming, is
exposed to litigation (seed 000). This module answers four questions about a request:

* when the **registration receipt** is due (L112-11, R112-11-1: one working day after receipt of
  an electronic request);
* when the **acknowledgement** is due (L112-3, R112-5, R112-11-1: ten working days after receipt
  of an electronic request);
* on which day **silence becomes a decision** (L231-1 accept, L231-4 reject), the clock being
  restarted by requests for missing documents (L114-5);
* the mairie's own **internal target** (7 calendar days by default, the delay of seed 000).

Conventions, decided once here:

* A period "after" a date never counts that date (art. 641 of the code de procédure civile:
  the day of the act that starts a period is not counted).
* ``working_days_after(start, 0, ...)`` is ``start`` itself, even on a weekend or a holiday: zero
  steps is the identity, so ``working_days_after(working_days_after(s, a), b)`` always equals
  ``working_days_after(s, a + b)``.
* Weeks are seven calendar days each; months are counted "de quantième à quantième" and fall
  back to the last day of a shorter month (31 January + 1 month = 28/29 February).
* The end of a silence period is *not* moved off a weekend or a holiday: the implicit decision
  arises the day after the period ends, whatever day that is. Erring early is the safe side for
  the mairie, which must answer before that date.
* Nothing here reads the PC clock (DESIGN.md: PC time is not trusted). A caller who wants the
  situation "as known today" passes ``today`` explicitly.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

import holidays

from desktop.domain.french import format_date_fr, format_long_date_fr
from sync.protocol.vocabulary import PeriodUnit, SilenceRule

__all__ = [
    "ACKNOWLEDGEMENT_WORKING_DAYS",
    "DEFAULT_INTERNAL_TARGET_DAYS",
    "REGISTRATION_RECEIPT_WORKING_DAYS",
    "LegalDates",
    "acknowledgement_due",
    "holiday_name",
    "implicit_decision_date",
    "is_working_day",
    "next_working_day",
    "internal_target",
    "legal_dates",
    "registration_receipt_due",
    "working_day_remark",
    "working_days_after",
    "working_days_late",
]

#: R112-11-1 CRPA: the registration receipt is sent at the latest one working day after receipt.
REGISTRATION_RECEIPT_WORKING_DAYS = 1
#: R112-11-1 CRPA: the acknowledgement is sent at the latest ten working days after receipt.
ACKNOWLEDGEMENT_WORKING_DAYS = 10
#: Seed 000 (written under the 2016 text) promises an acknowledgement within 7 days; the mairie
#: keeps it as its internal target, separate from the legal limit.
DEFAULT_INTERNAL_TARGET_DAYS = 7

#: Department codes whose public holidays differ from mainland France, mapped to the subdivision
#: codes of the ``holidays`` package. Alsace-Moselle (57, 67, 68) adds Good Friday and
#: 26 December; overseas departments and collectivities add their own days (abolition of
#: slavery...). Every other well-formed code uses the plain national calendar.
_SUBDIVISION_BY_DEPARTMENT: dict[str, str] = {
    "57": "57",  # Moselle
    "67": "6AE",  # Bas-Rhin (Collectivité européenne d'Alsace)
    "68": "6AE",  # Haut-Rhin (Collectivité européenne d'Alsace)
    "971": "971",  # Guadeloupe
    "972": "972",  # Martinique
    "973": "973",  # Guyane
    "974": "974",  # La Réunion
    "975": "PM",  # Saint-Pierre-et-Miquelon
    "976": "976",  # Mayotte
    "977": "BL",  # Saint-Barthélemy
    "978": "MF",  # Saint-Martin
    "986": "WF",  # Wallis-et-Futuna
    "987": "PF",  # Polynésie française
    "988": "NC",  # Nouvelle-Calédonie
}

#: Well-formed codes: 01-95 (20 is kept: it is still the postal prefix of Corsica), 2A, 2B, and
#: the INSEE codes of overseas departments and collectivities (971-978, 984, 986-988).
_DEPARTMENT_CODE = re.compile(r"0[1-9]|[1-8][0-9]|9[0-5]|2[AB]|97[1-8]|98[46-8]")


# --------------------------------------------------------------------------- validation


def _require_date(value: object, name: str) -> date:
    """Refuse anything but a plain date.

    A ``datetime`` is refused too: turning it into a day needs a time zone (23:30 UTC is already
    the next day in Paris), a choice the caller must make explicitly.
    """
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a datetime.date (not a datetime), got {value!r}")
    return value


def _require_int(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _normalise_department(department: object) -> str:
    """Return the department code in its canonical form ("2a " -> "2A")."""
    if not isinstance(department, str):
        raise TypeError(f"department must be a str such as '57' or '2A', got {department!r}")
    code = department.strip().upper()
    if not _DEPARTMENT_CODE.fullmatch(code):
        raise ValueError(
            f"invalid French department code {department!r}: expected two digits (01-95), "
            "2A, 2B or an overseas code (971-978, 984, 986-988)"
        )
    return code


def _parse_unit(unit: PeriodUnit | str) -> PeriodUnit:
    try:
        return PeriodUnit(unit)
    except ValueError:
        allowed = ", ".join(repr(u.value) for u in PeriodUnit)
        raise ValueError(f"unknown period unit {unit!r}: expected one of {allowed}") from None


def _parse_rule(rule: SilenceRule | str) -> SilenceRule:
    try:
        return SilenceRule(rule)
    except ValueError:
        allowed = ", ".join(repr(r.value) for r in SilenceRule)
        raise ValueError(f"unknown silence rule {rule!r}: expected one of {allowed}") from None


# --------------------------------------------------------------------------- working days


def _subdivision_for(department: str) -> str | None:
    """The ``holidays`` subdivision for a department, None for the national calendar."""
    return _SUBDIVISION_BY_DEPARTMENT.get(_normalise_department(department))


@lru_cache(maxsize=1024)
def _holiday_dates(subdivision: str | None, year: int) -> frozenset[date]:
    """Public holidays of one year for one subdivision.

    Cached because building a calendar costs far more than a lookup and the same few years are
    asked for again and again. The key is the subdivision rather than the department, so the
    ninety-odd mainland departments share one entry per year.
    """
    return frozenset(holidays.country_holidays("FR", subdiv=subdivision, years=year))


def _is_working_day(day: date, subdivision: str | None) -> bool:
    """A "jour ouvré": Monday to Friday and not a public holiday where the authority sits."""
    return day.weekday() < 5 and day not in _holiday_dates(subdivision, day.year)


def is_working_day(day: date, department: str) -> bool:
    """Whether ``day`` is a "jour ouvré" where the authority sits (its department's holidays:
    Alsace-Moselle's Good Friday and 26 December, the overseas departments' own days)."""
    _require_date(day, "day")
    return _is_working_day(day, _subdivision_for(department))


def next_working_day(day: date, department: str) -> date:
    """``day`` itself when it is a working day, else the first working day after it.

    A delay the mairie gives (missing documents, L114-5) should not end on a day its office is
    closed: the citizen could not hand the documents in on that day.
    """
    return day if is_working_day(day, department) else working_days_after(day, 1, department)


def working_day_remark(day: date, department: str) -> str | None:
    """A French remark when ``day`` is not a working day of the commune, else None:
    « Le vendredi 1er janvier 2027 est férié (Jour de l'an) : prochain jour ouvré le lundi
    4 janvier 2027. » Shown under a deadline the secrétaire typed; it does not forbid it."""
    if is_working_day(day, department):
        return None
    following = format_long_date_fr(next_working_day(day, department))
    name = holiday_name(day, department)
    what = f"est férié ({name})" if name else "n'est pas un jour ouvré"
    return f"Le {format_long_date_fr(day)} {what} : prochain jour ouvré le {following}."


@lru_cache(maxsize=256)
def _holiday_names(subdivision: str | None, year: int) -> dict[date, str]:
    return dict(
        holidays.country_holidays("FR", subdiv=subdivision, years=year, language="fr").items()
    )


def holiday_name(day: date, department: str) -> str | None:
    """The French name of the public holiday on ``day`` there (« Jour de l'an »), else None."""
    _require_date(day, "day")
    return _holiday_names(_subdivision_for(department), day.year).get(day)


def working_days_after(start: date, n: int, department: str) -> date:
    """Return the ``n``-th working day after ``start``, ``start`` itself not counted.

    Working days ("jours ouvrés") are Monday to Friday minus the public holidays of the
    department (``"57"``, ``"67"``, ``"971"``, ``"2A"``...), which is what R112-11-1 CRPA counts
    in. ``n == 0`` returns ``start`` unchanged (see the module docstring).

    Raises ``ValueError`` for a negative ``n`` or a malformed department code, ``TypeError``
    for arguments of the wrong type.
    """
    _require_date(start, "start")
    remaining = _require_int(n, "n", 0)
    subdivision = _subdivision_for(department)
    day = start
    while remaining:
        day += timedelta(days=1)
        if _is_working_day(day, subdivision):
            remaining -= 1
    return day


def working_days_late(due: date, done: date, department: str) -> int:
    """How many working days after ``due`` a step was done on ``done`` (0 when on time).

    Counted in the unit of the legal delays (R112-11-1: « jours ouvrés »): an acknowledgement
    due on Friday 16 October and sent on Monday 19 October is one working day late. A step
    done after ``due`` on a closed day (the Saturday after) is still late: one day at least.
    """
    _require_date(due, "due")
    _require_date(done, "done")
    subdivision = _subdivision_for(department)
    late = 0
    day = due
    while day < done:
        day += timedelta(days=1)
        if _is_working_day(day, subdivision):
            late += 1
    return max(late, 1) if done > due else 0


def registration_receipt_due(received: date, department: str) -> date:
    """Last day to send the registration receipt of an electronic request.

    L112-11 and R112-11-1 CRPA: "immédiatement, et au plus tard dans un délai d'un jour ouvré à
    compter de la réception".
    """
    return working_days_after(received, REGISTRATION_RECEIPT_WORKING_DAYS, department)


def acknowledgement_due(received: date, department: str) -> date:
    """Last day to send the acknowledgement of an electronic request.

    R112-11-1 CRPA: "dans un délai de dix jours ouvrés à compter de la réception". The seed's
    seven days (2016 text) is kept apart as the internal target, see :func:`internal_target`.
    """
    return working_days_after(received, ACKNOWLEDGEMENT_WORKING_DAYS, department)


def internal_target(received: date, days: int = DEFAULT_INTERNAL_TARGET_DAYS) -> date:
    """The mairie's own target for the acknowledgement: ``days`` calendar days after receipt.

    Not a legal limit: seed 000 promises citizens an acknowledgement within 7 days, which is
    stricter than R112-11-1's ten working days; each authority may set its own value.
    """
    _require_date(received, "received")
    return received + timedelta(days=_require_int(days, "days", 0))


# --------------------------------------------------------------------------- implicit decision


def _add_months(start: date, months: int) -> date:
    """Same day-of-month ``months`` later, or that month's last day when it is shorter.

    Art. 641 code de procédure civile: a period in months ends on the day bearing the same
    number ("quantième"), failing which on the last day of the month.
    """
    index = start.year * 12 + (start.month - 1) + months
    year, month_index = divmod(index, 12)
    last_day = calendar.monthrange(year, month_index + 1)[1]
    return date(year, month_index + 1, min(start.day, last_day))


def _period_end(start: date, period: int, unit: PeriodUnit) -> date:
    """Last day of a period that starts the day after ``start``."""
    if unit is PeriodUnit.MONTHS:
        return _add_months(start, period)
    days = period * 7 if unit is PeriodUnit.WEEKS else period
    return start + timedelta(days=days)


class _Clock(NamedTuple):
    """Where the silence period starts, as far as the missing-documents requests go."""

    start: date | None  # None while documents are awaited
    pending_since: date | None  # earliest unanswered request for documents
    restarted: bool  # True when missing documents moved the start (L114-5)


def _validated_requests(
    received: date, missing_documents: Iterable[tuple[date, date | None]]
) -> tuple[tuple[date, date | None], ...]:
    """Check each (asked_on, received_on) pair is a plausible request for documents."""
    pairs = tuple(missing_documents)
    for index, pair in enumerate(pairs):
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(
                f"missing_documents[{index}] must be an (asked_on, received_on) tuple, got {pair!r}"
            )
        asked_on, answered_on = pair
        _require_date(asked_on, f"missing_documents[{index}] asked_on")
        if asked_on < received:
            raise ValueError(
                f"missing_documents[{index}]: documents asked on {asked_on} before the request "
                f"was received on {received}"
            )
        if answered_on is not None:
            _require_date(answered_on, f"missing_documents[{index}] received_on")
            if answered_on < asked_on:
                raise ValueError(
                    f"missing_documents[{index}]: documents received on {answered_on} before "
                    f"being asked for on {asked_on}"
                )
    return pairs


def _clock(
    received: date,
    missing_documents: Iterable[tuple[date, date | None]],
    today: date | None,
) -> _Clock:
    """Apply L114-5: the period runs only from the receipt of the last missing document.

    With ``today``, events dated after it have not happened yet: a request for documents asked
    later is ignored, and an answer dated later counts as not yet received.
    """
    start = received
    pending: list[date] = []
    restarted = False
    for asked_on, answered_on in _validated_requests(received, missing_documents):
        if today is not None and asked_on > today:
            continue
        if answered_on is None or (today is not None and answered_on > today):
            pending.append(asked_on)
            continue
        restarted = True
        start = max(start, answered_on)
    if pending:
        return _Clock(start=None, pending_since=min(pending), restarted=restarted)
    return _Clock(start=start, pending_since=None, restarted=restarted)


def implicit_decision_date(
    received: date,
    period: int,
    unit: PeriodUnit | str,
    missing_documents: Iterable[tuple[date, date | None]] = (),
    today: date | None = None,
) -> date | None:
    """The day on which the administration's silence becomes a decision (L231-1, L231-4 CRPA).

    The period (``unit``: "days", "weeks" or "months", or a :class:`PeriodUnit`) runs from
    ``received``, the day of receipt not counted; the decision arises the day *after* the period
    ends: received 15 January, two months -> period ends 15 March -> decision on 16 March.

    ``missing_documents`` lists the requests for missing documents as ``(asked_on,
    received_on)`` pairs. L114-5: the period only runs from the receipt of the complete request,
    so it restarts from the latest ``received_on``; while any request is unanswered
    (``received_on`` is None) there is no date yet and the result is None.

    ``today`` gives the answer as known on that day; the engine never reads the clock itself.
    A request asked after ``today`` is ignored and a ``received_on`` after ``today`` counts as
    not yet received (so the result is None). With ``today=None`` every date is taken as given.
    """
    _require_date(received, "received")
    if today is not None:
        _require_date(today, "today")
    length = _require_int(period, "period", 1)
    period_unit = _parse_unit(unit)
    start = _clock(received, missing_documents, today).start
    if start is None:
        return None
    return _period_end(start, length, period_unit) + timedelta(days=1)


# --------------------------------------------------------------------------- all at once


@dataclass(frozen=True, slots=True)
class LegalDates:
    """Every legal date of one request, each with a French sentence for its tooltip.

    A date is None when it does not apply: no registration receipt nor legal acknowledgement
    delay for a request that is not electronic, no implicit decision for a procedure whose
    silence rule is "none" or while missing documents are awaited (``suspended_since`` then
    says since when).
    """

    received: date
    silence_rule: SilenceRule
    registration_receipt_due: date | None
    registration_receipt_reason: str
    acknowledgement_due: date | None
    acknowledgement_reason: str
    implicit_decision_date: date | None
    implicit_decision_reason: str
    internal_target_due: date
    internal_target_reason: str
    suspended_since: date | None = None


def _plural(count: int, singular: str, plural: str) -> str:
    """French agreement: 0 and 1 take the singular."""
    return f"{count} {singular if count <= 1 else plural}"


_UNIT_WORDS: dict[PeriodUnit, tuple[str, str]] = {
    PeriodUnit.DAYS: ("jour", "jours"),
    PeriodUnit.WEEKS: ("semaine", "semaines"),
    PeriodUnit.MONTHS: ("mois", "mois"),
}


def _registration_receipt(
    received: date, department: str, electronic: bool
) -> tuple[date | None, str]:
    if not electronic:
        return None, "Pas d'accusé d'enregistrement : demande non électronique (art. L112-11 CRPA)"
    due = registration_receipt_due(received, department)
    days = _plural(REGISTRATION_RECEIPT_WORKING_DAYS, "jour ouvré", "jours ouvrés")
    return due, (
        f"Accusé d'enregistrement dû au plus tard le {format_date_fr(due)} "
        f"({days}, art. R112-11-1 CRPA)"
    )


def _acknowledgement(received: date, department: str, electronic: bool) -> tuple[date | None, str]:
    if not electronic:
        return None, (
            "Accusé de réception à envoyer (art. L112-3 CRPA) ; "
            "pas de délai légal pour une demande non électronique"
        )
    due = acknowledgement_due(received, department)
    days = _plural(ACKNOWLEDGEMENT_WORKING_DAYS, "jour ouvré", "jours ouvrés")
    return due, (
        f"Accusé de réception dû au plus tard le {format_date_fr(due)} "
        f"({days}, art. R112-11-1 CRPA)"
    )


def _implicit_decision(
    received: date,
    period: int,
    unit: PeriodUnit,
    rule: SilenceRule,
    clock: _Clock,
    today: date | None,
) -> tuple[date | None, str]:
    if rule is SilenceRule.NONE:
        return None, "Pas de décision implicite pour cette démarche"
    length = _plural(period, *_UNIT_WORDS[unit])
    if clock.pending_since is not None:
        return None, (
            f"Suspendu — pièces manquantes demandées le {format_date_fr(clock.pending_since)} ; "
            f"le délai de {length} repartira de leur réception (art. L114-5 CRPA)"
        )
    assert clock.start is not None  # no pending request means the clock runs
    decided = _period_end(clock.start, period, unit) + timedelta(days=1)
    accept = rule is SilenceRule.ACCEPT
    article = "L231-1" if accept else "L231-4"
    if clock.restarted:
        origin = f"de la réception des pièces manquantes le {format_date_fr(clock.start)}"
        article = f"{article} et L114-5"
    else:
        origin = f"de la réception le {format_date_fr(received)}"
    when = format_date_fr(decided)
    if today is not None and decided <= today:
        head = f"Accord tacite acquis le {when}" if accept else f"Rejet tacite né le {when}"
    else:
        kind = "accord tacite" if accept else "rejet tacite"
        head = f"Sans décision expresse, {kind} le {when}"
    return decided, f"{head} (silence de {length} à compter {origin}, art. {article} CRPA)"


def legal_dates(
    received: date,
    department: str,
    channel_is_electronic: bool,
    silence_period: int,
    silence_unit: PeriodUnit | str,
    silence_rule: SilenceRule | str,
    missing_documents: Iterable[tuple[date, date | None]] = (),
    today: date | None = None,
    internal_target_days: int = DEFAULT_INTERNAL_TARGET_DAYS,
) -> LegalDates:
    """Compute every legal date of a request at once, with the reasons to show in tooltips.

    The registration receipt (L112-11) and the ten-working-day acknowledgement delay
    (R112-11-1) concern electronic requests only; the implicit decision follows the procedure's
    silence rule, period and unit, and the L114-5 restarts (see :func:`implicit_decision_date`
    for ``missing_documents`` and ``today``). When the rule is "none" the period is not used.
    """
    _require_date(received, "received")
    _normalise_department(department)
    if today is not None:
        _require_date(today, "today")
    rule = _parse_rule(silence_rule)
    unit = _parse_unit(silence_unit)
    period = _require_int(silence_period, "silence_period", 0 if rule is SilenceRule.NONE else 1)
    clock = _clock(received, missing_documents, today)
    electronic = bool(channel_is_electronic)

    receipt_due, receipt_reason = _registration_receipt(received, department, electronic)
    ack_due, ack_reason = _acknowledgement(received, department, electronic)
    decision, decision_reason = _implicit_decision(received, period, unit, rule, clock, today)
    target = internal_target(received, internal_target_days)
    target_days = _plural(internal_target_days, "jour calendaire", "jours calendaires")
    return LegalDates(
        received=received,
        silence_rule=rule,
        registration_receipt_due=receipt_due,
        registration_receipt_reason=receipt_reason,
        acknowledgement_due=ack_due,
        acknowledgement_reason=ack_reason,
        implicit_decision_date=decision,
        implicit_decision_reason=decision_reason,
        internal_target_due=target,
        internal_target_reason=(
            f"Objectif interne : accusé de réception au plus tard le {format_date_fr(target)} "
            f"({target_days} après la réception)"
        ),
        suspended_since=clock.pending_since if rule is not SilenceRule.NONE else None,
    )
