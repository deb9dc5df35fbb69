"""A realistic example letter context.

Used to preview a template (a mairie checking the template it wrote in Word, before using it
on a real request), by the demo mode and by the tests. The values are fictitious.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

from sync.protocol.vocabulary import Channel, CitizenKind, PeriodUnit, SilenceRule

from .context import LetterContext, ProcedureInfo, Recipient, ServiceInCharge

SAMPLE_SERVICE = ServiceInCharge(
    authority_name="Mairie de Saint-Dié-des-Vosges",
    designation="Service vie associative",
    address_lines=("Hôtel de ville", "Place Jules Ferry"),
    postcode="88100",
    city="Saint-Dié-des-Vosges",
    email="vie-associative@mairie-exemple.fr",
    phone="03 29 00 00 00",
    department="88",
    administrative_court="tribunal administratif de Nancy",
)

SAMPLE_RECIPIENT = Recipient(
    kind=CitizenKind.ASSOCIATION,
    display_name="Association Les Amis du Kemberg",
    address_lines=(
        "À l'attention de Mme Noëlle Géraud",
        "12 rue d'Alsace",
        "88100 Saint-Dié-des-Vosges",
    ),
    email="contact@amis-kemberg.example.org",
)

SAMPLE_PROCEDURE = ProcedureInfo(
    name="Demande de subvention associative",
    silence_rule=SilenceRule.ACCEPT,
    period=2,
    unit=PeriodUnit.MONTHS,
    required_documents=(
        "Statuts de l'association",
        "Relevé d'identité bancaire",
        "Budget prévisionnel",
    ),
)


def sample_context(
    silence_rule: SilenceRule = SilenceRule.ACCEPT,
    *,
    missing_documents: bool = False,
    **changes: object,
) -> LetterContext:
    """An acknowledgement-ready context: received Monday 23 November 2026 at 14 h 05 (Paris).

    With ``missing_documents`` the clock is suspended (no implicit decision date) and two
    documents are asked for by 15 December 2026. ``changes`` overrides any other field.
    """
    base = LetterContext(
        number="2026-000123",
        received_at=datetime(2026, 11, 23, 13, 5, tzinfo=UTC),
        channel=Channel.WEB,
        subject="Subvention pour le marché de Noël",
        service=SAMPLE_SERVICE,
        recipient=SAMPLE_RECIPIENT,
        procedure=dataclasses.replace(SAMPLE_PROCEDURE, silence_rule=silence_rule),
        acknowledged_on=date(2026, 11, 24),
        implicit_decision_on=None if silence_rule is SilenceRule.NONE else date(2027, 1, 24),
        signatory_name="Jeanne Martin",
        signatory_title="Pour le Maire et par délégation, la secrétaire de mairie",
        place="Saint-Dié-des-Vosges",
        letter_date=date(2026, 11, 24),
    )
    if missing_documents:
        base = dataclasses.replace(
            base,
            implicit_decision_on=None,
            missing_documents=("Statuts de l'association", "Relevé d'identité bancaire"),
            missing_documents_deadline=date(2026, 12, 15),
        )
    return dataclasses.replace(base, **changes) if changes else base
