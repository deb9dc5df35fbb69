"""What a letter needs to know, independent of the database and of Qt.

The store, the sync layer or a test builds these frozen values; the renderer only reads them.
Legal dates (acknowledgement, implicit decision) arrive already computed by the deadline engine
(``desktop.domain.deadlines``): computing them here too would let the letter and the bannette
disagree on a date that has legal effect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sync.protocol.vocabulary import Channel, CitizenKind, PeriodUnit, SilenceRule

# Characters that XML 1.0 forbids: one of them in a citizen's text would corrupt the .docx.
# \a and \f are also in the set because docxtpl turns them into new paragraphs and page breaks.
_FORBIDDEN_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean_text(value: str) -> str:
    """Drop control characters that would corrupt the Word file; keep tabs and line breaks."""
    return _FORBIDDEN_XML_CHARS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _clean_lines(lines: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(clean_text(line).strip() for line in lines if line and line.strip())


@dataclass(frozen=True, slots=True)
class ServiceInCharge:
    """The service that handles the request (R112-5 2°: designation, postal and e-mail address,
    phone number), printed in the letterhead of every letter."""

    authority_name: str  # « Mairie de Saint-Dié-des-Vosges »
    designation: str  # « Service de l'état civil »
    address_lines: tuple[str, ...]  # street lines, without postcode and city
    postcode: str
    city: str
    email: str
    phone: str
    department: str  # « 88 », « 57 », « 2A », « 971 »
    #: Court that hears appeals against the authority's decisions, e.g. « tribunal administratif
    #: de Nancy ». Empty: the letters say « le tribunal administratif territorialement compétent ».
    administrative_court: str = ""
    #: The commune's logo (PNG or JPEG bytes) for the letterhead; None: none, and the letter
    #: shows no frame in its place.
    logo: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "address_lines", _clean_lines(self.address_lines))


@dataclass(frozen=True, slots=True)
class Recipient:
    """The citizen the letter is addressed to."""

    kind: CitizenKind
    display_name: str  # « Mme Camille Durand », « Association Les Amis du Kemberg »
    address_lines: tuple[str, ...] = ()  # complete postal lines, postcode and city included
    email: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", CitizenKind(self.kind))
        object.__setattr__(self, "address_lines", _clean_lines(self.address_lines))


@dataclass(frozen=True, slots=True)
class ProcedureInfo:
    """The procedure (démarche) the request belongs to, with its silence rule (L231-1, L231-4)."""

    name: str
    silence_rule: SilenceRule
    period: int  # length of the silence period, e.g. 2
    unit: PeriodUnit  # e.g. months
    required_documents: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "silence_rule", SilenceRule(self.silence_rule))
        object.__setattr__(self, "unit", PeriodUnit(self.unit))
        object.__setattr__(self, "required_documents", _clean_lines(self.required_documents))


@dataclass(frozen=True, slots=True)
class LetterContext:
    """Everything one letter about one request states.

    ``implicit_decision_on`` is the day the implicit decision arises (the day after the silence
    period ends), or None when there is none yet: no silence rule, or the clock suspended by a
    request for missing documents (L114-5).
    """

    number: str  # « 2026-000123 »
    received_at: datetime  # instant of receipt; naive = wall time of the commune
    channel: Channel
    subject: str
    service: ServiceInCharge
    recipient: Recipient
    procedure: ProcedureInfo
    acknowledged_on: date  # date of the acknowledgement (or of the registration receipt)
    implicit_decision_on: date | None
    signatory_name: str
    signatory_title: str  # « Le Maire », « Pour le Maire et par délégation, la secrétaire »
    place: str  # where the letter is signed, usually the city
    letter_date: date
    missing_documents: tuple[str, ...] = field(default=())
    missing_documents_deadline: date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "channel", Channel(self.channel))
        object.__setattr__(self, "missing_documents", _clean_lines(self.missing_documents))
