"""The bannette's échéance: which deadline comes next, how urgent it is, how it is explained.

The dates themselves come from ``desktop.domain.deadlines`` (tested on its own); here the
question is which deadline applies in each situation, with a few dates checked by hand.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from desktop.domain import deadlines
from desktop.domain.due import (
    SHORT_LABELS,
    Due,
    DueFacts,
    DueKind,
    Urgency,
    describe,
    next_due,
    urgency,
)
from sync.protocol.vocabulary import PeriodUnit, SilenceRule, Status

FRIDAY = date(2026, 11, 20)
MONDAY = date(2026, 11, 23)


def facts(**changes: object) -> DueFacts:
    """An electronic SVA request received on Friday 20 November 2026 in the Vosges."""
    base = DueFacts(
        status=Status.RECEIVED,
        electronic=True,
        received=FRIDAY,
        department="88",
        silence_rule=SilenceRule.ACCEPT,
        period=2,
        unit=PeriodUnit.MONTHS,
        registration_receipt_sent=False,
        acknowledged=False,
    )
    return dataclasses.replace(base, **changes)


# --------------------------------------------------------------------------- next_due


def test_electronic_without_registration_receipt() -> None:
    # Friday + 1 working day = Monday (weekend skipped).
    assert next_due(facts()) == Due(DueKind.REGISTRATION_RECEIPT, MONDAY)


def test_registration_receipt_comes_before_the_acknowledgement_even_when_acknowledged() -> None:
    due = next_due(facts(acknowledged=True, status=Status.ACKNOWLEDGED))
    assert due == Due(DueKind.REGISTRATION_RECEIPT, MONDAY)


def test_paper_never_needs_a_registration_receipt() -> None:
    due = next_due(facts(electronic=False))
    assert due == Due(DueKind.INTERNAL_TARGET, FRIDAY + timedelta(days=7))


def test_unacknowledged_electronic_uses_the_internal_target_when_it_is_earlier() -> None:
    due = next_due(facts(registration_receipt_sent=True))
    # 7 calendar days (27 November) comes before 10 working days (4 December).
    assert due == Due(DueKind.INTERNAL_TARGET, date(2026, 11, 27))
    assert deadlines.acknowledgement_due(FRIDAY, "88") == date(2026, 12, 4)


def test_unacknowledged_electronic_uses_the_legal_limit_when_the_target_is_later() -> None:
    due = next_due(facts(registration_receipt_sent=True, internal_target_days=30))
    assert due == Due(DueKind.ACKNOWLEDGEMENT, date(2026, 12, 4))


def test_legal_limit_equal_to_the_target_gives_the_target() -> None:
    days = (date(2026, 12, 4) - FRIDAY).days
    due = next_due(facts(registration_receipt_sent=True, internal_target_days=days))
    assert due == Due(DueKind.INTERNAL_TARGET, date(2026, 12, 4))


def test_unacknowledged_paper_has_no_legal_limit_only_the_target() -> None:
    due = next_due(facts(electronic=False, internal_target_days=30))
    assert due == Due(DueKind.INTERNAL_TARGET, FRIDAY + timedelta(days=30))


@pytest.mark.parametrize(
    ("rule", "kind"),
    [
        (SilenceRule.ACCEPT, DueKind.IMPLICIT_ACCEPTANCE),
        (SilenceRule.REJECT, DueKind.IMPLICIT_REJECTION),
    ],
)
@pytest.mark.parametrize("electronic", [True, False])
def test_acknowledged_request_waits_for_the_implicit_decision(
    rule: SilenceRule, kind: DueKind, electronic: bool
) -> None:
    due = next_due(
        facts(
            status=Status.ACKNOWLEDGED,
            electronic=electronic,
            registration_receipt_sent=electronic,
            acknowledged=True,
            silence_rule=rule,
            received=date(2026, 1, 15),
        )
    )
    # Received 15 January, two months: the period ends 15 March, the decision is on 16 March.
    assert due == Due(kind, date(2026, 3, 16))


@pytest.mark.parametrize(
    ("period", "unit", "expected"),
    [
        (15, PeriodUnit.DAYS, date(2026, 12, 6)),
        (3, PeriodUnit.WEEKS, date(2026, 12, 12)),
        (4, PeriodUnit.MONTHS, date(2027, 3, 21)),
    ],
)
def test_period_units(period: int, unit: PeriodUnit, expected: date) -> None:
    due = next_due(
        facts(
            status=Status.DRAFTING,
            registration_receipt_sent=True,
            acknowledged=True,
            period=period,
            unit=unit,
        )
    )
    assert due == Due(DueKind.IMPLICIT_ACCEPTANCE, expected)


@pytest.mark.parametrize(
    "status",
    [Status.ACKNOWLEDGED, Status.AWAITING_DOCUMENTS, Status.DRAFTING, Status.AT_PARAPHEUR],
)
def test_moved_on_without_acknowledgement_goes_to_the_decision(status: Status) -> None:
    """A paper request taken straight to drafting has no acknowledgement target any more."""
    due = next_due(facts(status=status, electronic=False))
    assert due == Due(DueKind.IMPLICIT_ACCEPTANCE, date(2027, 1, 21))


def test_suspended_by_missing_documents() -> None:
    pending = ((date(2026, 11, 23), None),)
    due = next_due(
        facts(
            status=Status.AWAITING_DOCUMENTS,
            registration_receipt_sent=True,
            acknowledged=True,
            missing_documents=pending,
        )
    )
    assert due == Due(DueKind.SUSPENDED, None)


def test_missing_documents_suspend_the_decision_even_before_acknowledgement() -> None:
    pending = ((date(2026, 11, 21), None),)
    due = next_due(facts(electronic=False, missing_documents=pending))
    assert due == Due(DueKind.SUSPENDED, None)


def test_missing_documents_do_not_hide_an_unsent_registration_receipt() -> None:
    """The receipt is due at once whatever the file lacks (L112-11): it stays the échéance."""
    pending = ((date(2026, 11, 21), None),)
    due = next_due(facts(status=Status.AWAITING_DOCUMENTS, missing_documents=pending))
    assert due == Due(DueKind.REGISTRATION_RECEIPT, MONDAY)


def test_received_documents_restart_the_clock() -> None:
    answered = ((date(2026, 1, 20), date(2026, 2, 10)),)
    due = next_due(
        facts(
            status=Status.ACKNOWLEDGED,
            registration_receipt_sent=True,
            acknowledged=True,
            received=date(2026, 1, 15),
            missing_documents=answered,
        )
    )
    assert due == Due(DueKind.IMPLICIT_ACCEPTANCE, date(2026, 4, 11))


def test_one_pending_request_among_answered_ones_suspends() -> None:
    both = ((date(2026, 11, 21), date(2026, 11, 22)), (date(2026, 11, 23), None))
    due = next_due(
        facts(status=Status.AWAITING_DOCUMENTS, registration_receipt_sent=True, acknowledged=True,
              missing_documents=both)
    )  # fmt: skip
    assert due == Due(DueKind.SUSPENDED, None)


@pytest.mark.parametrize("period", [0, 2])
@pytest.mark.parametrize("status", [Status.ACKNOWLEDGED, Status.DRAFTING])
def test_rule_none_keeps_the_internal_target_until_answered(period: int, status: Status) -> None:
    """No silence decides (« Signalement voirie »), yet after the acknowledgement the citizen
    still awaits an answer: the request keeps the internal target as its échéance instead of
    leaving « Échéances » as if it were done."""
    due = next_due(
        facts(
            status=status,
            registration_receipt_sent=True,
            acknowledged=True,
            silence_rule=SilenceRule.NONE,
            period=period,
        )
    )
    assert due == Due(DueKind.ANSWER_TARGET, FRIDAY + timedelta(days=7))
    assert "Réponse attendue" in describe(due.kind, due.on)
    assert "traitée" not in describe(due.kind, due.on)


def test_rule_none_still_has_the_acknowledgement_target() -> None:
    due = next_due(facts(electronic=False, silence_rule=SilenceRule.NONE, period=0))
    assert due == Due(DueKind.INTERNAL_TARGET, FRIDAY + timedelta(days=7))


@pytest.mark.parametrize("status", [Status.ANSWERED, Status.CLOSED])
def test_answered_and_closed_have_no_due(status: Status) -> None:
    """Nothing is due any more, whatever else is pending."""
    assert next_due(facts(status=status)) is None
    assert next_due(facts(status=status, missing_documents=((FRIDAY, None),))) is None
    assert next_due(facts(status=status, electronic=False)) is None


def test_alsace_moselle_holidays_move_the_registration_receipt() -> None:
    # Thursday 2 April 2026: Good Friday (3 April) is a holiday in Moselle, not in the Vosges,
    # and Easter Monday (6 April) everywhere.
    thursday = date(2026, 4, 2)
    assert next_due(facts(received=thursday)) == Due(DueKind.REGISTRATION_RECEIPT, date(2026, 4, 3))
    assert next_due(facts(received=thursday, department="57")) == Due(
        DueKind.REGISTRATION_RECEIPT, date(2026, 4, 7)
    )


# --------------------------------------------------------------------------- urgency


@pytest.mark.parametrize(
    ("due_on", "today", "department", "expected"),
    [
        (None, MONDAY, "88", Urgency.NONE),
        (date(2026, 11, 22), MONDAY, "88", Urgency.OVERDUE),
        (date(2025, 1, 1), MONDAY, "88", Urgency.OVERDUE),
        (MONDAY, MONDAY, "88", Urgency.SOON),  # due today is not late yet
        (date(2026, 11, 26), MONDAY, "88", Urgency.SOON),  # Thursday: 3 working days
        (date(2026, 11, 27), MONDAY, "88", Urgency.FINE),  # Friday: 4
        # From Thursday 26 November, 3 working days reach Tuesday 1 December (weekend).
        (date(2026, 11, 30), date(2026, 11, 26), "88", Urgency.SOON),
        (date(2026, 12, 1), date(2026, 11, 26), "88", Urgency.SOON),
        (date(2026, 12, 2), date(2026, 11, 26), "88", Urgency.FINE),
        # From Wednesday 1 April 2026: Easter Monday everywhere, Good Friday in Moselle too.
        (date(2026, 4, 7), date(2026, 4, 1), "88", Urgency.SOON),
        (date(2026, 4, 8), date(2026, 4, 1), "88", Urgency.FINE),
        (date(2026, 4, 8), date(2026, 4, 1), "57", Urgency.SOON),
        (date(2026, 4, 9), date(2026, 4, 1), "57", Urgency.FINE),
    ],
)
def test_urgency(due_on: date | None, today: date, department: str, expected: Urgency) -> None:
    assert urgency(due_on, today, department) == expected


# --------------------------------------------------------------------------- describe

ARTICLES = {
    DueKind.REGISTRATION_RECEIPT: "L112-11",
    DueKind.ACKNOWLEDGEMENT: "R112-11-1",
    DueKind.IMPLICIT_ACCEPTANCE: "L231-1",
    DueKind.IMPLICIT_REJECTION: "L231-4",
    DueKind.SUSPENDED: "L114-5",
}


@pytest.mark.parametrize("kind", list(DueKind))
def test_describe_is_french_and_cites_the_rule(kind: DueKind) -> None:
    on = None if kind == DueKind.SUSPENDED else date(2026, 12, 1)
    text = describe(kind, on)
    assert text == describe(kind.value, on)  # the stored string works as well
    if on is not None:
        assert "1er décembre 2026" in text
    if kind in ARTICLES:
        assert f"art. {ARTICLES[kind]}" in text or f"et {ARTICLES[kind]}" in text
        assert "CRPA" in text
    else:  # the internal target is the mairie's own, not the law's
        assert kind in (DueKind.INTERNAL_TARGET, DueKind.ANSWER_TARGET)
        assert "objectif interne" in text
    assert text.endswith(".") and text[0].isupper()
    assert kind.value not in text and "_" not in text


def test_describe_nothing_due() -> None:
    assert describe(None, None) == "Aucune échéance : la demande est traitée."


def test_every_kind_has_a_short_label() -> None:
    assert set(SHORT_LABELS) == set(DueKind)
