"""The request life cycle: every (from, to) pair, outcomes, implicit decisions."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from desktop.domain.workflow import (
    DomainEvent,
    RequestState,
    TransitionError,
    change_status,
    record_implicit_decision,
)
from sync.protocol.vocabulary import (
    ALLOWED_TRANSITIONS,
    EXPRESS_OUTCOMES,
    IMPLICIT_OUTCOMES,
    OPEN_STATUSES,
    EventKind,
    Outcome,
    Status,
)

AT = datetime(2026, 11, 23, 10, 30)
AGENT = "agent-1"
PAIRS = list(itertools.product(Status, Status))
ALLOWED = [(a, b) for a, b in PAIRS if b in ALLOWED_TRANSITIONS[a]]
FORBIDDEN = [(a, b) for a, b in PAIRS if b not in ALLOWED_TRANSITIONS[a]]
#: Characters that show a message is written in French for the secrétaire.
FRENCH_MARKERS = ("«", "é", "è", "ê", "à", " la ", " le ", " une ", " de ")


def _looks_french(message: str) -> bool:
    return any(marker in message for marker in FRENCH_MARKERS)


def _outcome_for(target: Status) -> Outcome | None:
    """The outcome a valid move to ``target`` needs (only answering needs one)."""
    return Outcome.ACCEPTED if target == Status.ANSWERED else None


def _state_before(current: Status) -> RequestState:
    """A consistent state: answered/closed requests already carry a decision."""
    if current == Status.ANSWERED:
        return RequestState(current, Outcome.REJECTED)
    if current == Status.CLOSED:
        return RequestState(current, Outcome.NO_FOLLOW_UP)
    return RequestState(current)


def test_the_pairs_cover_the_whole_table() -> None:
    assert len(ALLOWED) + len(FORBIDDEN) == len(Status) ** 2
    assert len(ALLOWED) == sum(len(t) for t in ALLOWED_TRANSITIONS.values())


@pytest.mark.parametrize(("current", "target"), ALLOWED, ids=[f"{a}->{b}" for a, b in ALLOWED])
def test_allowed_transition(current: Status, target: Status) -> None:
    state = _state_before(current)
    new_state, events = change_status(
        state, target, at=AT, agent_id=AGENT, outcome=_outcome_for(target)
    )
    assert new_state.status == target
    first = events[0]
    assert first == DomainEvent(
        EventKind.STATUS_CHANGED, AT, AGENT, {"from": current.value, "to": target.value}
    )
    # Every event is dated and signed by the move that made it.
    assert all(e.at == AT and e.agent_id == AGENT for e in events)
    kinds = [e.kind for e in events]
    assert kinds.count(EventKind.STATUS_CHANGED) == 1
    if new_state.outcome != state.outcome:
        assert events[1:] == [
            DomainEvent(EventKind.OUTCOME_SET, AT, AGENT, {"outcome": new_state.outcome.value})
        ]
    else:
        assert len(events) == 1
    # The input state is not mutated (frozen dataclass) and the function is pure.
    assert state == _state_before(current)


@pytest.mark.parametrize(("current", "target"), FORBIDDEN, ids=[f"{a}->{b}" for a, b in FORBIDDEN])
def test_forbidden_transition(current: Status, target: Status) -> None:
    state = _state_before(current)
    for outcome in (None, *Outcome):
        with pytest.raises(TransitionError) as caught:
            change_status(state, target, at=AT, agent_id=AGENT, outcome=outcome)
        message = str(caught.value)
        assert _looks_french(message), message
        # The message names the statuses by their French labels, never by their codes.
        assert current.value not in message.split() and "_" not in message


def test_transition_error_is_a_value_error() -> None:
    assert issubclass(TransitionError, ValueError)


# --------------------------------------------------------------------------- outcomes


@pytest.mark.parametrize("outcome", sorted(EXPRESS_OUTCOMES))
def test_answering_carries_the_express_outcome(outcome: Outcome) -> None:
    state, events = change_status(
        RequestState(Status.DRAFTING), Status.ANSWERED, at=AT, agent_id=AGENT, outcome=outcome
    )
    assert state == RequestState(Status.ANSWERED, outcome)
    assert [e.kind for e in events] == [EventKind.STATUS_CHANGED, EventKind.OUTCOME_SET]
    assert events[1].detail == {"outcome": outcome.value}


@pytest.mark.parametrize("outcome", [None, Outcome.NO_FOLLOW_UP, *sorted(IMPLICIT_OUTCOMES)])
@pytest.mark.parametrize("source", [Status.DRAFTING, Status.AT_PARAPHEUR])
def test_answering_without_an_express_outcome_is_refused(
    source: Status, outcome: Outcome | None
) -> None:
    with pytest.raises(TransitionError, match="acceptée ou refusée"):
        change_status(RequestState(source), Status.ANSWERED, at=AT, agent_id=AGENT, outcome=outcome)


def test_an_express_answer_replaces_an_implicit_decision() -> None:
    """The mairie may still answer after silence gave a decision (e.g. to withdraw it)."""
    state = RequestState(Status.DRAFTING, Outcome.IMPLICIT_ACCEPTANCE)
    new, events = change_status(
        state, Status.ANSWERED, at=AT, agent_id=AGENT, outcome=Outcome.REJECTED
    )
    assert new.outcome == Outcome.REJECTED
    assert events[-1].detail == {"outcome": "rejected"}


CLOSABLE_UNANSWERED = [
    s for s in Status if Status.CLOSED in ALLOWED_TRANSITIONS[s] and s != Status.ANSWERED
]


@pytest.mark.parametrize("source", CLOSABLE_UNANSWERED)
def test_closing_an_unanswered_request_gives_no_follow_up(source: Status) -> None:
    new, events = change_status(RequestState(source), Status.CLOSED, at=AT, agent_id=AGENT)
    assert new == RequestState(Status.CLOSED, Outcome.NO_FOLLOW_UP)
    assert [e.kind for e in events] == [EventKind.STATUS_CHANGED, EventKind.OUTCOME_SET]
    assert events[1].detail == {"outcome": "no_follow_up"}


def test_closing_explicitly_with_no_follow_up() -> None:
    new, _ = change_status(
        RequestState(Status.RECEIVED),
        Status.CLOSED,
        at=AT,
        agent_id=AGENT,
        outcome=Outcome.NO_FOLLOW_UP,
    )
    assert new.outcome == Outcome.NO_FOLLOW_UP


@pytest.mark.parametrize("implicit", sorted(IMPLICIT_OUTCOMES))
def test_closing_keeps_an_implicit_outcome(implicit: Outcome) -> None:
    state = RequestState(Status.ACKNOWLEDGED, implicit)
    new, events = change_status(state, Status.CLOSED, at=AT, agent_id=AGENT)
    assert new == RequestState(Status.CLOSED, implicit)
    # The outcome did not change: no second OUTCOME_SET event.
    assert [e.kind for e in events] == [EventKind.STATUS_CHANGED]
    # Stating the same implicit outcome again is accepted and changes nothing either.
    again, events = change_status(state, Status.CLOSED, at=AT, agent_id=AGENT, outcome=implicit)
    assert again == new and len(events) == 1


@pytest.mark.parametrize("outcome", sorted(EXPRESS_OUTCOMES))
@pytest.mark.parametrize(
    "source", [Status.RECEIVED, Status.ACKNOWLEDGED, Status.AWAITING_DOCUMENTS, Status.DRAFTING]
)
def test_express_outcome_refused_when_closing_unanswered(source: Status, outcome: Outcome) -> None:
    with pytest.raises(TransitionError, match="réponse avant la clôture"):
        change_status(RequestState(source), Status.CLOSED, at=AT, agent_id=AGENT, outcome=outcome)


@pytest.mark.parametrize("outcome", sorted(EXPRESS_OUTCOMES))
def test_closing_an_answered_request_keeps_its_outcome(outcome: Outcome) -> None:
    state = RequestState(Status.ANSWERED, outcome)
    new, events = change_status(state, Status.CLOSED, at=AT, agent_id=AGENT)
    assert new == RequestState(Status.CLOSED, outcome)
    assert [e.kind for e in events] == [EventKind.STATUS_CHANGED]
    same, _ = change_status(state, Status.CLOSED, at=AT, agent_id=AGENT, outcome=outcome)
    assert same == new


@pytest.mark.parametrize("other", sorted(set(Outcome) - {Outcome.ACCEPTED}))
def test_closing_an_answered_request_cannot_change_its_outcome(other: Outcome) -> None:
    with pytest.raises(TransitionError, match="ne se change pas"):
        change_status(
            RequestState(Status.ANSWERED, Outcome.ACCEPTED),
            Status.CLOSED,
            at=AT,
            agent_id=AGENT,
            outcome=other,
        )


OTHER_MOVES = [(a, b) for a, b in ALLOWED if b not in (Status.ANSWERED, Status.CLOSED)]


@pytest.mark.parametrize("outcome", list(Outcome))
@pytest.mark.parametrize(
    ("current", "target"), OTHER_MOVES, ids=[f"{a}->{b}" for a, b in OTHER_MOVES]
)
def test_outcome_refused_on_other_moves(current: Status, target: Status, outcome: Outcome) -> None:
    with pytest.raises(TransitionError, match="Seules la réponse et la clôture"):
        change_status(RequestState(current), target, at=AT, agent_id=AGENT, outcome=outcome)


@pytest.mark.parametrize("implicit", sorted(IMPLICIT_OUTCOMES))
def test_other_moves_keep_an_implicit_outcome(implicit: Outcome) -> None:
    state = RequestState(Status.ACKNOWLEDGED, implicit)
    new, events = change_status(state, Status.DRAFTING, at=AT, agent_id=None)
    assert new == RequestState(Status.DRAFTING, implicit)
    assert len(events) == 1 and events[0].agent_id is None


def test_same_status_is_refused_with_a_french_message() -> None:
    for status in Status:
        with pytest.raises(TransitionError, match="déjà au statut"):
            change_status(_state_before(status), status, at=AT, agent_id=AGENT)


# --------------------------------------------------------------------------- implicit decisions


@pytest.mark.parametrize("outcome", sorted(IMPLICIT_OUTCOMES))
@pytest.mark.parametrize("status", sorted(OPEN_STATUSES))
def test_record_implicit_decision(status: Status, outcome: Outcome) -> None:
    new, events = record_implicit_decision(RequestState(status), outcome, at=AT)
    assert new == RequestState(status, outcome)  # the status does not move
    assert events == [
        DomainEvent(EventKind.OUTCOME_SET, AT, None, {"outcome": outcome.value, "implicit": True})
    ]


@pytest.mark.parametrize("outcome", [Outcome.ACCEPTED, Outcome.REJECTED, Outcome.NO_FOLLOW_UP])
def test_implicit_decision_must_be_implicit(outcome: Outcome) -> None:
    with pytest.raises(TransitionError, match="tacite"):
        record_implicit_decision(RequestState(Status.ACKNOWLEDGED), outcome, at=AT)


@pytest.mark.parametrize("status", [Status.ANSWERED, Status.CLOSED])
def test_no_implicit_decision_once_answered_or_closed(status: Status) -> None:
    with pytest.raises(TransitionError, match="répondue ou close"):
        record_implicit_decision(
            RequestState(status, Outcome.ACCEPTED), Outcome.IMPLICIT_ACCEPTANCE, at=AT
        )
    with pytest.raises(TransitionError):
        record_implicit_decision(RequestState(status), Outcome.IMPLICIT_REJECTION, at=AT)


@pytest.mark.parametrize("existing", list(Outcome))
def test_no_second_implicit_decision(existing: Outcome) -> None:
    with pytest.raises(TransitionError, match="porte déjà la décision") as caught:
        record_implicit_decision(
            RequestState(Status.DRAFTING, existing), Outcome.IMPLICIT_REJECTION, at=AT
        )
    assert existing.value not in str(caught.value)  # the French label, not the code


def test_implicit_then_close_then_nothing_more() -> None:
    """A full path: silence decides, the clerk closes, the outcome stays the implicit one."""
    state = RequestState(Status.RECEIVED)
    state, _ = change_status(state, Status.ACKNOWLEDGED, at=AT, agent_id=AGENT)
    state, _ = record_implicit_decision(state, Outcome.IMPLICIT_ACCEPTANCE, at=AT)
    state, events = change_status(state, Status.CLOSED, at=AT, agent_id=AGENT)
    assert state == RequestState(Status.CLOSED, Outcome.IMPLICIT_ACCEPTANCE)
    assert [e.kind for e in events] == [EventKind.STATUS_CHANGED]
    for target in Status:
        with pytest.raises(TransitionError):
            change_status(state, target, at=AT, agent_id=AGENT)
