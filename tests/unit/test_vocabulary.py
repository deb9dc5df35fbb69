"""The shared vocabulary: every value has its French label, the life cycle is complete."""

from __future__ import annotations

from enum import StrEnum

import pytest

from sync.protocol import vocabulary as v
from sync.protocol.vocabulary import (
    ALLOWED_TRANSITIONS,
    EXPRESS_OUTCOMES,
    IMPLICIT_OUTCOMES,
    OPEN_STATUSES,
    Channel,
    Outcome,
    Status,
    can_transition,
)

LABEL_TABLES: list[tuple[type[StrEnum], dict]] = [
    (v.Channel, v.CHANNEL_LABELS),
    (v.Status, v.STATUS_LABELS),
    (v.Outcome, v.OUTCOME_LABELS),
    (v.CitizenKind, v.CITIZEN_KIND_LABELS),
    (v.SilenceRule, v.SILENCE_RULE_LABELS),
    (v.EventKind, v.EVENT_LABELS),
]


@pytest.mark.parametrize(
    ("enum", "labels"), LABEL_TABLES, ids=[e.__name__ for e, _ in LABEL_TABLES]
)
def test_every_value_has_a_french_label(enum: type[StrEnum], labels: dict) -> None:
    assert set(labels) == set(enum), "a value without label, or a label without value"
    for member in enum:
        label = labels[member]
        assert isinstance(label, str) and label.strip() == label and label
        assert label[0].isupper(), f"{member!r}: a label starts with a capital: {label!r}"
        assert label != member.value, f"{member!r}: the label is the code, not French"
    assert len(set(labels.values())) == len(labels), "two values share a label"


def test_enum_values_are_unique_snake_case() -> None:
    for enum, _ in LABEL_TABLES:
        values = [m.value for m in enum]
        assert len(values) == len(set(values))
        for value in values:
            assert value == value.lower() and " " not in value


def test_transitions_table_covers_every_status() -> None:
    assert set(ALLOWED_TRANSITIONS) == set(Status)
    for source, targets in ALLOWED_TRANSITIONS.items():
        assert targets <= set(Status)
        assert source not in targets, f"{source} -> itself is not a transition"


def test_closed_is_final_and_every_status_can_reach_closed() -> None:
    assert ALLOWED_TRANSITIONS[Status.CLOSED] == frozenset()
    for start in Status:
        seen, todo = {start}, [start]
        while todo:
            for nxt in ALLOWED_TRANSITIONS[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        assert Status.CLOSED in seen, f"{start} can never be closed"


def test_every_status_is_reachable_from_received() -> None:
    seen, todo = {Status.RECEIVED}, [Status.RECEIVED]
    while todo:
        for nxt in ALLOWED_TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert seen == set(Status)


def test_can_transition_agrees_with_the_table() -> None:
    for a in Status:
        for b in Status:
            assert can_transition(a, b) == (b in ALLOWED_TRANSITIONS[a])


def test_outcome_groups() -> None:
    assert {Outcome.ACCEPTED, Outcome.REJECTED} == EXPRESS_OUTCOMES
    assert {Outcome.IMPLICIT_ACCEPTANCE, Outcome.IMPLICIT_REJECTION} == IMPLICIT_OUTCOMES
    assert not EXPRESS_OUTCOMES & IMPLICIT_OUTCOMES
    assert Outcome.NO_FOLLOW_UP not in EXPRESS_OUTCOMES | IMPLICIT_OUTCOMES
    assert set(Status) - OPEN_STATUSES == {Status.ANSWERED, Status.CLOSED}


def test_electronic_channels() -> None:
    electronic = {c for c in Channel if c.is_electronic}
    assert electronic == {Channel.WEB, Channel.SERVICE_PUBLIC, Channel.EMAIL}
