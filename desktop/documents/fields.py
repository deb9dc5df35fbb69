"""The merge fields: how a ``LetterContext`` is exposed to the Word templates.

Field names are French on purpose: a secrétaire de mairie writes her own templates in Word and
types ``{{ date_reception }}``, not ``{{ received_at }}``. Every value is already formatted
(French dates, period in words, labels) so a template never needs a Jinja filter. The full list
is documented in ``resources/templates/README.md``; keep the two in step.
"""

from __future__ import annotations

from typing import Any

from desktop.domain.french import (
    format_date_fr,
    format_long_date_fr,
    format_period_fr,
    format_time_fr,
)
from desktop.domain.legal_time import to_local
from sync.protocol.vocabulary import (
    CHANNEL_LABELS,
    CITIZEN_KIND_LABELS,
    SILENCE_RULE_LABELS,
    Channel,
    SilenceRule,
)

from .context import LetterContext, clean_text

# How the request reached the mairie, as it reads after « transmise … ».
CHANNEL_PHRASES: dict[Channel, str] = {
    Channel.WEB: "par le formulaire en ligne",
    Channel.SERVICE_PUBLIC: "par le site service-public.fr",
    Channel.EMAIL: "par courriel",
    Channel.PAPER: "par courrier",
    Channel.PHONE: "par téléphone",
    Channel.COUNTER: "au guichet",
}

DEFAULT_COURT = "le tribunal administratif territorialement compétent"


def _court_phrase(court: str) -> str:
    """« le tribunal administratif de Nancy » whether the setting says « Tribunal … » or not."""
    court = court.strip()
    if not court:
        return DEFAULT_COURT
    if court.lower().startswith(("le ", "la ", "l'", "l’")):
        return court
    return f"le {court[0].lower()}{court[1:]}"


def build_fields(context: LetterContext) -> dict[str, Any]:
    """Return the Jinja context the templates are rendered with (French keys, str values)."""
    service = context.service
    recipient = context.recipient
    procedure = context.procedure
    # A letter states the commune's legal time (Réunion time for a Réunion commune).
    received = to_local(context.received_at, service.department)
    rule = procedure.silence_rule
    implicit = context.implicit_decision_on
    deadline = context.missing_documents_deadline
    street = ", ".join(service.address_lines)

    def text(value: str) -> str:
        return clean_text(value).strip()

    return {
        "numero": text(context.number),
        "objet": text(context.subject),
        "canal": CHANNEL_LABELS[context.channel],
        "canal_mode": CHANNEL_PHRASES[context.channel],
        "canal_electronique": context.channel.is_electronic,
        "date_reception": format_date_fr(received),
        "heure_reception": format_time_fr(received),
        "date_accuse": format_date_fr(context.acknowledged_on),
        "date_decision_implicite": format_date_fr(implicit) if implicit else None,
        "date_decision_implicite_longue": format_long_date_fr(implicit) if implicit else None,
        # A late acknowledgement must not announce in the future a decision already acquired.
        "decision_implicite_acquise": implicit is not None and implicit <= context.letter_date,
        "sva": rule is SilenceRule.ACCEPT,
        "svr": rule is SilenceRule.REJECT,
        "sans_decision_implicite": rule is SilenceRule.NONE,
        "pieces_manquantes": list(context.missing_documents),
        "date_limite_pieces": format_date_fr(deadline) if deadline else None,
        "date_limite_pieces_longue": format_long_date_fr(deadline) if deadline else None,
        "lieu": text(context.place),
        "date_courrier": format_date_fr(context.letter_date),
        "signataire_nom": text(context.signatory_name),
        "signataire_qualite": text(context.signatory_title),
        "service": {
            "collectivite": text(service.authority_name),
            "designation": text(service.designation),
            "adresse": list(service.address_lines),
            "adresse_texte": street,
            "code_postal": text(service.postcode),
            "ville": text(service.city),
            "adresse_complete": f"{street}, {service.postcode} {service.city}".strip(", "),
            "courriel": text(service.email),
            "telephone": text(service.phone),
            "departement": text(service.department),
            "tribunal": _court_phrase(service.administrative_court),
        },
        "usager": {
            "nom": text(recipient.display_name),
            "type": CITIZEN_KIND_LABELS[recipient.kind],
            "adresse": list(recipient.address_lines),
            "courriel": text(recipient.email),
        },
        "demarche": {
            "nom": text(procedure.name),
            "regle": SILENCE_RULE_LABELS[rule],
            "delai": format_period_fr(procedure.period, procedure.unit),
            "pieces_requises": list(procedure.required_documents),
        },
    }
