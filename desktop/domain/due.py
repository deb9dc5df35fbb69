"""The bannette's "échéance": the one deadline that matters next for a request.

The store keeps the result in ``request.due_date``/``due_kind`` so the bannette can filter and
sort on it in SQL; the tooltip text is rebuilt from the kind and date when shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from desktop.domain import deadlines
from desktop.domain.french import format_date_fr
from sync.protocol.vocabulary import PeriodUnit, SilenceRule, Status


class DueKind(StrEnum):
    REGISTRATION_RECEIPT = "registration_receipt"
    ACKNOWLEDGEMENT = "acknowledgement"
    INTERNAL_TARGET = "internal_target"
    #: Acknowledged, no silence rule: nothing legal falls due, but an answer is still awaited;
    #: the mairie's internal target stays the request's échéance so it is not forgotten.
    ANSWER_TARGET = "answer_target"
    IMPLICIT_ACCEPTANCE = "implicit_acceptance"
    IMPLICIT_REJECTION = "implicit_rejection"
    SUSPENDED = "suspended"


class Urgency(StrEnum):
    OVERDUE = "overdue"
    SOON = "soon"  # within 3 working days
    FINE = "fine"
    NONE = "none"


SOON_WORKING_DAYS = 3


@dataclass(frozen=True)
class DueFacts:
    """What the next deadline depends on, read from the store or from a form."""

    status: Status
    electronic: bool
    received: date
    department: str
    silence_rule: SilenceRule
    period: int
    unit: PeriodUnit
    registration_receipt_sent: bool
    acknowledged: bool
    internal_target_days: int = 7
    missing_documents: tuple[tuple[date, date | None], ...] = ()


@dataclass(frozen=True)
class Due:
    kind: DueKind
    on: date | None  # None only for SUSPENDED


def next_due(facts: DueFacts) -> Due | None:
    """The earliest obligation still open, or None when the request needs no more deadline."""
    if facts.status in (Status.ANSWERED, Status.CLOSED):
        return None
    # The registration receipt is owed at once whatever the file lacks (L112-11): missing
    # documents suspend the decision clock, not this obligation.
    if facts.electronic and not facts.registration_receipt_sent:
        return Due(
            DueKind.REGISTRATION_RECEIPT,
            deadlines.registration_receipt_due(facts.received, facts.department),
        )
    pending_documents = [asked for asked, received in facts.missing_documents if received is None]
    if pending_documents:
        return Due(DueKind.SUSPENDED, None)
    if not facts.acknowledged and facts.status == Status.RECEIVED:
        internal = facts.received + timedelta(days=facts.internal_target_days)
        if facts.electronic:
            legal = deadlines.acknowledgement_due(facts.received, facts.department)
            if legal < internal:
                return Due(DueKind.ACKNOWLEDGEMENT, legal)
        return Due(DueKind.INTERNAL_TARGET, internal)
    if facts.silence_rule == SilenceRule.NONE or facts.period <= 0:
        # No silence turns into a decision, yet the citizen awaits an answer: the request keeps
        # an échéance (and its place in « Échéances ») until it is answered or closed.
        return Due(
            DueKind.ANSWER_TARGET,
            facts.received + timedelta(days=facts.internal_target_days),
        )
    decision = deadlines.implicit_decision_date(
        facts.received, facts.period, facts.unit.value, list(facts.missing_documents)
    )
    if decision is None:
        return Due(DueKind.SUSPENDED, None)
    kind = (
        DueKind.IMPLICIT_ACCEPTANCE
        if facts.silence_rule == SilenceRule.ACCEPT
        else DueKind.IMPLICIT_REJECTION
    )
    return Due(kind, decision)


def urgency(due_on: date | None, today: date, department: str) -> Urgency:
    if due_on is None:
        return Urgency.NONE
    if due_on < today:
        return Urgency.OVERDUE
    if due_on <= deadlines.working_days_after(today, SOON_WORKING_DAYS, department):
        return Urgency.SOON
    return Urgency.FINE


def describe(kind: DueKind | str | None, due_on: date | None) -> str:
    """The legal reason shown in the échéance tooltip (French)."""
    if kind is None:
        return "Aucune échéance : la demande est traitée."
    kind = DueKind(kind)
    if kind == DueKind.SUSPENDED:
        return (
            "Délai suspendu : des pièces manquantes ont été demandées (art. L114-5 CRPA). "
            "Il repart à la réception de la dernière pièce."
        )
    assert due_on is not None
    when = format_date_fr(due_on)
    texts = {
        DueKind.REGISTRATION_RECEIPT: (
            f"Accusé d'enregistrement électronique à envoyer au plus tard le {when} "
            "(1 jour ouvré après réception, art. L112-11 et R112-11-1 CRPA)."
        ),
        DueKind.ACKNOWLEDGEMENT: (
            f"Accusé de réception à envoyer au plus tard le {when} "
            "(10 jours ouvrés après réception, art. R112-11-1 CRPA)."
        ),
        DueKind.INTERNAL_TARGET: (
            f"Accusé de réception attendu le {when} (objectif interne de la mairie, "
            "7 jours calendaires par défaut)."
        ),
        DueKind.ANSWER_TARGET: (
            f"Réponse attendue : objectif interne de la mairie le {when}. Pas de décision "
            "implicite pour cette démarche : la demande reste à traiter."
        ),
        DueKind.IMPLICIT_ACCEPTANCE: (
            f"Sans réponse expresse, accord tacite le {when} "
            "(silence vaut accord, art. L231-1 CRPA)."
        ),
        DueKind.IMPLICIT_REJECTION: (
            f"Sans réponse expresse, rejet tacite le {when} (silence vaut rejet, art. L231-4 CRPA)."
        ),
    }
    return texts[kind]


SHORT_LABELS: dict[DueKind, str] = {
    DueKind.REGISTRATION_RECEIPT: "AE",
    DueKind.ACKNOWLEDGEMENT: "AR",
    DueKind.INTERNAL_TARGET: "AR",
    DueKind.ANSWER_TARGET: "réponse",
    DueKind.IMPLICIT_ACCEPTANCE: "SVA",
    DueKind.IMPLICIT_REJECTION: "SVR",
    DueKind.SUSPENDED: "suspendu",
}
