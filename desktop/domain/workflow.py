"""The request life cycle, enforced in one place.

The allowed moves come from the shared vocabulary (so the server enforces the same table); this
module adds the rules about outcomes and turns every accepted change into history events. It
never touches storage: the store applies the returned events in the same transaction as the
change itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sync.protocol.vocabulary import (
    EXPRESS_OUTCOMES,
    IMPLICIT_OUTCOMES,
    OPEN_STATUSES,
    OUTCOME_LABELS,
    STATUS_LABELS,
    EventKind,
    Outcome,
    Status,
    can_transition,
)


class TransitionError(ValueError):
    """A change the rules forbid; the message is French and meant for the secrétaire."""


@dataclass(frozen=True)
class DomainEvent:
    kind: EventKind
    at: datetime
    agent_id: str | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestState:
    """The part of a request the life-cycle rules look at."""

    status: Status
    outcome: Outcome | None = None


def change_status(
    state: RequestState,
    target: Status,
    *,
    at: datetime,
    agent_id: str | None,
    outcome: Outcome | None = None,
) -> tuple[RequestState, list[DomainEvent]]:
    """Move a request to ``target``; returns the new state and the events to record."""
    current = state.status
    if target == current:
        raise TransitionError(f"La demande est déjà au statut « {STATUS_LABELS[current]} ».")
    if not can_transition(current, target):
        raise TransitionError(
            f"Impossible de passer du statut « {STATUS_LABELS[current]} » "
            f"au statut « {STATUS_LABELS[target]} »."
        )
    new_outcome = state.outcome
    if target == Status.ANSWERED:
        if outcome not in EXPRESS_OUTCOMES:
            raise TransitionError("Une réponse doit indiquer la décision : acceptée ou refusée.")
        new_outcome = outcome
    elif target == Status.CLOSED:
        if current != Status.ANSWERED:
            if outcome is None and state.outcome in IMPLICIT_OUTCOMES:
                outcome = state.outcome
            if outcome is None:
                outcome = Outcome.NO_FOLLOW_UP
            if outcome in EXPRESS_OUTCOMES:
                raise TransitionError(
                    "Une décision expresse se notifie par une réponse avant la clôture."
                )
            new_outcome = outcome
        elif outcome is not None and outcome != state.outcome:
            raise TransitionError(
                "La décision d'une demande répondue ne se change pas à la clôture."
            )
    elif outcome is not None:
        raise TransitionError("Seules la réponse et la clôture portent une décision.")

    events = [
        DomainEvent(
            EventKind.STATUS_CHANGED,
            at,
            agent_id,
            {"from": current.value, "to": target.value},
        )
    ]
    if new_outcome != state.outcome and new_outcome is not None:
        events.append(
            DomainEvent(EventKind.OUTCOME_SET, at, agent_id, {"outcome": new_outcome.value})
        )
    return RequestState(target, new_outcome), events


def record_implicit_decision(
    state: RequestState, outcome: Outcome, *, at: datetime
) -> tuple[RequestState, list[DomainEvent]]:
    """Silence turned into a decision (L231-1, L231-4): the status does not move, the outcome does.

    The request stays open: the mairie may still have to issue the attestation (L232-3) or
    withdraw an implicit acceptance within the legal delay.
    """
    if outcome not in IMPLICIT_OUTCOMES:
        raise TransitionError("Seul un accord ou un rejet tacite naît du silence.")
    if state.status not in OPEN_STATUSES:
        raise TransitionError("Une demande déjà répondue ou close n'a pas de décision implicite.")
    if state.outcome is not None:
        raise TransitionError(
            f"La demande porte déjà la décision « {OUTCOME_LABELS[state.outcome]} »."
        )
    event = DomainEvent(
        EventKind.OUTCOME_SET, at, None, {"outcome": outcome.value, "implicit": True}
    )
    return RequestState(state.status, outcome), [event]
