"""The domain vocabulary of DESIGN.md's glossary, shared by client and server.

The request life cycle is defined *once*, here: the desktop domain and the server both enforce
these tables, so a transition the client allows offline is never refused by the server for a
reason the client could not have known.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    WEB = "web"
    SERVICE_PUBLIC = "service_public"
    EMAIL = "email"
    PAPER = "paper"
    PHONE = "phone"
    COUNTER = "counter"

    @property
    def is_electronic(self) -> bool:
        """Electronic requests (CRPA L112-8) get a registration receipt and the legal delays."""
        return self in (Channel.WEB, Channel.SERVICE_PUBLIC, Channel.EMAIL)


class Role(StrEnum):
    CLERK = "clerk"
    OFFICIAL = "official"
    ADMIN = "admin"


class CitizenKind(StrEnum):
    PERSON = "person"
    ASSOCIATION = "association"
    COMPANY = "company"


class AuthorityKind(StrEnum):
    COMMUNE = "commune"
    EPCI = "epci"
    DEPARTEMENT = "departement"


class SilenceRule(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    NONE = "none"


class PeriodUnit(StrEnum):
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"


class Status(StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    AWAITING_DOCUMENTS = "awaiting_documents"
    DRAFTING = "drafting"
    AT_PARAPHEUR = "at_parapheur"
    ANSWERED = "answered"
    CLOSED = "closed"


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    NO_FOLLOW_UP = "no_follow_up"
    IMPLICIT_ACCEPTANCE = "implicit_acceptance"
    IMPLICIT_REJECTION = "implicit_rejection"


#: Every allowed move of the request life cycle. Anything not listed is refused.
ALLOWED_TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset(
        {Status.ACKNOWLEDGED, Status.AWAITING_DOCUMENTS, Status.DRAFTING, Status.CLOSED}
    ),
    Status.ACKNOWLEDGED: frozenset({Status.AWAITING_DOCUMENTS, Status.DRAFTING, Status.CLOSED}),
    # Documents arrived: back to instruction (acknowledged) or straight to the reply.
    Status.AWAITING_DOCUMENTS: frozenset({Status.ACKNOWLEDGED, Status.DRAFTING, Status.CLOSED}),
    Status.DRAFTING: frozenset(
        {Status.AWAITING_DOCUMENTS, Status.AT_PARAPHEUR, Status.ANSWERED, Status.CLOSED}
    ),
    # A rejection in the parapheur sends the draft back to the clerk.
    Status.AT_PARAPHEUR: frozenset({Status.DRAFTING, Status.ANSWERED}),
    Status.ANSWERED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

#: Outcomes an express reply may carry (moving to ``answered``).
EXPRESS_OUTCOMES = frozenset({Outcome.ACCEPTED, Outcome.REJECTED})
#: Outcomes that arise from silence (L231-1, L231-4) once the implicit decision date passes.
IMPLICIT_OUTCOMES = frozenset({Outcome.IMPLICIT_ACCEPTANCE, Outcome.IMPLICIT_REJECTION})
#: Statuses in which the request is still being worked on.
OPEN_STATUSES = frozenset(Status) - {Status.ANSWERED, Status.CLOSED}


def can_transition(current: Status, target: Status) -> bool:
    return target in ALLOWED_TRANSITIONS[current]


class EventKind(StrEnum):
    """Kinds of entries in a request's append-only history."""

    CREATED = "created"
    STATUS_CHANGED = "status_changed"
    OUTCOME_SET = "outcome_set"
    ASSIGNED = "assigned"
    REGISTRATION_RECEIPT_SENT = "registration_receipt_sent"
    ACKNOWLEDGEMENT_SENT = "acknowledgement_sent"
    MISSING_DOCUMENTS_REQUESTED = "missing_documents_requested"
    MISSING_DOCUMENTS_RECEIVED = "missing_documents_received"
    IMPLICIT_ACCEPTANCE_CERTIFIED = "implicit_acceptance_certified"
    MESSAGE_ADDED = "message_added"
    ATTACHMENT_ADDED = "attachment_added"
    ATTACHMENT_REMOVED = "attachment_removed"
    NOTE = "note"
    FIELD_CHANGED = "field_changed"
    REPLY_DRAFTED = "reply_drafted"
    SENT_TO_PARAPHEUR = "sent_to_parapheur"
    PARAPHEUR_DECISION = "parapheur_decision"
    REPLY_SENT = "reply_sent"
    OPINION_REQUESTED = "opinion_requested"
    OPINION_GIVEN = "opinion_given"
    DELIVERY_FAILED = "delivery_failed"
    #: A letter was produced on a PC (not sent yet: sending is its own step). Local to the PC.
    LETTER_PRODUCED = "letter_produced"
    #: A file that came with an e-mail and was not attached (disguised executable, zip, too
    #: big, one too many): ``data`` holds ``filename`` and the French ``reason``.
    ATTACHMENT_REFUSED = "attachment_refused"


class SendMode(StrEnum):
    """How a letter left the mairie (« Marquer comme envoyé »)."""

    POST = "post"
    EMAIL = "email"
    HAND = "hand"


# French labels for the UI and generated documents. Kept beside the enums so a new value
# cannot be added without its label (a test checks the tables are complete).
CHANNEL_LABELS: dict[Channel, str] = {
    Channel.WEB: "Formulaire web",
    Channel.SERVICE_PUBLIC: "Service-public.fr",
    Channel.EMAIL: "Courriel",
    Channel.PAPER: "Courrier",
    Channel.PHONE: "Téléphone",
    Channel.COUNTER: "Guichet",
}

STATUS_LABELS: dict[Status, str] = {
    Status.RECEIVED: "Reçue",
    Status.ACKNOWLEDGED: "Accusée",
    Status.AWAITING_DOCUMENTS: "Pièces demandées",
    Status.DRAFTING: "Réponse en rédaction",
    Status.AT_PARAPHEUR: "Au parapheur",
    Status.ANSWERED: "Répondue",
    Status.CLOSED: "Close",
}

OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.ACCEPTED: "Acceptée",
    Outcome.REJECTED: "Refusée",
    Outcome.NO_FOLLOW_UP: "Sans suite",
    Outcome.IMPLICIT_ACCEPTANCE: "Accord tacite acquis",
    Outcome.IMPLICIT_REJECTION: "Rejet tacite",
}

CITIZEN_KIND_LABELS: dict[CitizenKind, str] = {
    CitizenKind.PERSON: "Particulier",
    CitizenKind.ASSOCIATION: "Association",
    CitizenKind.COMPANY: "Entreprise",
}

SILENCE_RULE_LABELS: dict[SilenceRule, str] = {
    SilenceRule.ACCEPT: "Silence vaut accord",
    SilenceRule.REJECT: "Silence vaut rejet",
    SilenceRule.NONE: "Pas de décision implicite",
}

EVENT_LABELS: dict[EventKind, str] = {
    EventKind.CREATED: "Demande enregistrée",
    EventKind.STATUS_CHANGED: "Statut modifié",
    EventKind.OUTCOME_SET: "Décision",
    EventKind.ASSIGNED: "Attribuée",
    EventKind.REGISTRATION_RECEIPT_SENT: "Accusé d'enregistrement envoyé",
    EventKind.ACKNOWLEDGEMENT_SENT: "Accusé de réception envoyé",
    EventKind.MISSING_DOCUMENTS_REQUESTED: "Pièces manquantes demandées",
    EventKind.MISSING_DOCUMENTS_RECEIVED: "Pièces manquantes reçues",
    EventKind.IMPLICIT_ACCEPTANCE_CERTIFIED: "Attestation d'accord tacite délivrée",
    EventKind.MESSAGE_ADDED: "Message",
    EventKind.ATTACHMENT_ADDED: "Pièce jointe ajoutée",
    EventKind.ATTACHMENT_REMOVED: "Pièce jointe retirée",
    EventKind.NOTE: "Note",
    EventKind.FIELD_CHANGED: "Modification",
    EventKind.REPLY_DRAFTED: "Réponse rédigée",
    EventKind.SENT_TO_PARAPHEUR: "Envoyée au parapheur",
    EventKind.PARAPHEUR_DECISION: "Décision au parapheur",
    EventKind.REPLY_SENT: "Réponse envoyée",
    EventKind.OPINION_REQUESTED: "Avis demandé à un élu",
    EventKind.OPINION_GIVEN: "Avis de l'élu",
    EventKind.DELIVERY_FAILED: "Échec de l'envoi du courriel",
    EventKind.LETTER_PRODUCED: "Courrier produit",
    EventKind.ATTACHMENT_REFUSED: "Pièce jointe refusée",
}

SEND_MODE_LABELS: dict[SendMode, str] = {
    SendMode.POST: "courrier",
    SendMode.EMAIL: "courriel",
    SendMode.HAND: "remis en main propre",
}

#: Attachments accepted by the seed CGU: PDF, JPG, PNG; 5 MB each.
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
ALLOWED_ATTACHMENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
