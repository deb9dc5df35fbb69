"""The merge fields: how a ``LetterContext`` is exposed to the Word templates.

Field names are French on purpose: a secrétaire de mairie writes her own templates in Word and
types ``{{ date_reception }}``, not ``{{ received_at }}``. Every value is already formatted
(French dates, period in words, labels) so a template never needs a Jinja filter. The full list
is documented in ``resources/templates/README.md``; keep the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
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
            # The image itself is made by the rendering (docxtpl ``InlineImage``).
            "logo": None,
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


# --------------------------------------------------------------------------- the field list


@dataclass(frozen=True, slots=True)
class FieldHelp:
    """One merge field as « Aide › Champs des modèles » and ``python -m desktop.documents``
    show it: the name to type, what it holds, an example, and its group (a table of the
    template README)."""

    name: str
    description: str
    example: str
    group: str
    #: ``text`` (typed as ``{{ name }}``), ``list`` (used in a ``{%p for %}`` loop) or
    #: ``condition`` (true/false, used in ``{%p if %}``).
    usage: str = "text"

    @property
    def typed(self) -> str:
        """What the author types in Word: ``{{ numero }}``, or the bare name for lists."""
        return f"{{{{ {self.name} }}}}" if self.usage == "text" else self.name


_SIMPLE = "Champs simples"
_SERVICE = "Service chargé du dossier"
_CITIZEN = "Usager (destinataire)"
_PROCEDURE = "Démarche"
_CONDITIONS = "Conditions et listes"

#: Every merge field, in the order of ``resources/templates/README.md`` (a test keeps the two
#: and :func:`build_fields` in step).
FIELD_HELP: tuple[FieldHelp, ...] = (
    FieldHelp("numero", "numéro de la demande", "2026-000123", _SIMPLE),
    FieldHelp("objet", "objet de la demande", "Subvention pour le marché de Noël", _SIMPLE),
    FieldHelp("canal", "canal de réception", "Formulaire web", _SIMPLE),
    FieldHelp(
        "canal_mode", "canal, à placer après « transmise »", "par le formulaire en ligne", _SIMPLE
    ),
    FieldHelp("date_reception", "date de réception (heure de Paris)", "23 novembre 2026", _SIMPLE),
    FieldHelp("heure_reception", "heure de réception", "14 h 05", _SIMPLE),
    FieldHelp("date_accuse", "date de l'accusé de réception", "24 novembre 2026", _SIMPLE),
    FieldHelp(
        "date_decision_implicite",
        "date à laquelle la demande sera réputée acceptée ou rejetée (vide tant que le "
        "délai est suspendu)",
        "24 janvier 2027",
        _SIMPLE,
    ),
    FieldHelp(
        "date_decision_implicite_longue",
        "la même, avec le jour de la semaine",
        "dimanche 24 janvier 2027",
        _SIMPLE,
    ),
    FieldHelp(
        "decision_implicite_acquise",
        "vrai quand cette date est déjà passée au jour du courrier",
        "non",
        _SIMPLE,
        "condition",
    ),
    FieldHelp(
        "date_limite_pieces",
        "date limite d'envoi des pièces manquantes",
        "15 décembre 2026",
        _SIMPLE,
    ),
    FieldHelp(
        "date_limite_pieces_longue",
        "la même, avec le jour de la semaine",
        "mardi 15 décembre 2026",
        _SIMPLE,
    ),
    FieldHelp("lieu", "lieu du courrier", "Saint-Dié-des-Vosges", _SIMPLE),
    FieldHelp("date_courrier", "date du courrier", "24 novembre 2026", _SIMPLE),
    FieldHelp("signataire_nom", "nom du signataire", "Jeanne Martin", _SIMPLE),
    FieldHelp(
        "signataire_qualite",
        "qualité du signataire",
        "Pour le Maire et par délégation, la secrétaire de mairie",
        _SIMPLE,
    ),
    FieldHelp("service.collectivite", "collectivité", "Mairie de Saint-Dié-des-Vosges", _SERVICE),
    FieldHelp("service.designation", "désignation du service", "Service vie associative", _SERVICE),
    FieldHelp(
        "service.adresse",
        "lignes d'adresse (liste, voir les boucles)",
        "Hôtel de ville / Place Jules Ferry",
        _SERVICE,
        "list",
    ),
    FieldHelp(
        "service.adresse_texte",
        "lignes d'adresse séparées par des virgules",
        "Hôtel de ville, Place Jules Ferry",
        _SERVICE,
    ),
    FieldHelp("service.code_postal", "code postal", "88100", _SERVICE),
    FieldHelp("service.ville", "commune", "Saint-Dié-des-Vosges", _SERVICE),
    FieldHelp(
        "service.adresse_complete",
        "adresse sur une ligne",
        "Hôtel de ville, Place Jules Ferry, 88100 Saint-Dié-des-Vosges",
        _SERVICE,
    ),
    FieldHelp(
        "service.courriel", "adresse électronique", "vie-associative@mairie-exemple.fr", _SERVICE
    ),
    FieldHelp("service.telephone", "téléphone", "03 29 00 00 00", _SERVICE),
    FieldHelp("service.departement", "numéro du département", "88", _SERVICE),
    FieldHelp(
        "service.tribunal",
        "tribunal administratif compétent, précédé de l'article",
        "le tribunal administratif de Nancy",
        _SERVICE,
    ),
    FieldHelp(
        "service.logo",
        "logo de la commune (image, « Administration › Commune ») ; seul dans son paragraphe, "
        "entre « {%p if service.logo %} » et « {%p endif %} » pour ne rien laisser sans logo",
        "(l'image)",
        _SERVICE,
    ),
    FieldHelp("usager.nom", "nom affiché", "Association Les Amis du Kemberg", _CITIZEN),
    FieldHelp("usager.type", "particulier, association ou entreprise", "Association", _CITIZEN),
    FieldHelp(
        "usager.adresse",
        "lignes d'adresse postale, code postal et commune compris (liste)",
        "12 rue d'Alsace / 88100 Saint-Dié-des-Vosges",
        _CITIZEN,
        "list",
    ),
    FieldHelp(
        "usager.courriel", "adresse électronique", "contact@amis-kemberg.example.org", _CITIZEN
    ),
    FieldHelp(
        "demarche.nom", "nom de la démarche", "Demande de subvention associative", _PROCEDURE
    ),
    FieldHelp("demarche.regle", "règle de silence", "Silence vaut accord", _PROCEDURE),
    FieldHelp("demarche.delai", "délai de décision, en toutes lettres", "deux mois", _PROCEDURE),
    FieldHelp(
        "demarche.pieces_requises",
        "pièces requises par la démarche (liste)",
        "Statuts de l'association / …",
        _PROCEDURE,
        "list",
    ),
    FieldHelp(
        "sva",
        "vrai quand le silence vaut accord (décision implicite d'acceptation)",
        "oui",
        _CONDITIONS,
        "condition",
    ),
    FieldHelp(
        "svr",
        "vrai quand le silence vaut rejet (décision implicite de rejet)",
        "non",
        _CONDITIONS,
        "condition",
    ),
    FieldHelp(
        "sans_decision_implicite",
        "vrai quand la démarche ne donne pas lieu à une décision implicite",
        "non",
        _CONDITIONS,
        "condition",
    ),
    FieldHelp(
        "canal_electronique",
        "vrai quand la demande est arrivée par voie électronique",
        "oui",
        _CONDITIONS,
        "condition",
    ),
    FieldHelp(
        "pieces_manquantes",
        "(liste) des pièces manquantes ont été demandées",
        "Statuts de l'association / …",
        _CONDITIONS,
        "list",
    ),
)


def known_fields() -> frozenset[str]:
    """Every name a template may use: top-level keys and ``group.key`` for the nested ones
    (the group alone, ``service``, is not a field: it would print as a Python dict).

    Computed from :func:`build_fields` itself, so the checks can never disagree with what the
    rendering really provides.
    """
    from .samples import sample_context

    names: set[str] = set()
    for key, value in build_fields(sample_context()).items():
        if isinstance(value, dict):
            names.update(f"{key}.{sub}" for sub in value)
        else:
            names.add(key)
    return frozenset(names)
