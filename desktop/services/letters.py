"""From a request in the store to a letter on disk, and back to the store. No Qt here.

The work is cut in three so that the slow part runs off the GUI thread without ever touching
the database (SQLite connections belong to the thread that opened them):

1. :meth:`LetterService.prepare` (GUI thread, a few ms): read the request, compute its legal
   dates with the deadline engine, check the action is allowed and build a frozen
   :class:`LetterJob` holding the :class:`~desktop.documents.LetterContext`;
2. :func:`produce_letter` (worker thread, ~1.5 s): render the .docx and convert it to PDF;
3. :meth:`LetterService.record` (GUI thread): write the event and the status change in one
   transaction. Only called on success, so a rendering failure records nothing.
"""

from __future__ import annotations

import calendar
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path

import platformdirs

from desktop.documents import (
    LetterContext,
    LetterKind,
    PdfConversionError,
    ProcedureInfo,
    Recipient,
    ServiceInCharge,
    convert_to_pdf,
    render_letter,
)
from desktop.documents.pdf import PdfConverter
from desktop.domain import deadlines
from desktop.domain.deadlines import LegalDates
from desktop.domain.french import de_name
from desktop.domain.signature import signature
from desktop.store import authorities, legal
from desktop.store.database import APP_NAME
from desktop.store.legal import LegalFacts
from desktop.store.letters import (
    ACKNOWLEDGEMENT,
    REGISTRATION_RECEIPT,
    LetterRecord,
    latest_editions,
    letters_of,
    mark_sent,
    next_edition,
    record_pdf,
    record_produced,
)
from sync.protocol.vocabulary import (
    OPEN_STATUSES,
    STATUS_LABELS,
    CitizenKind,
    Outcome,
    SendMode,
    SilenceRule,
    Status,
    can_transition,
)

DOCUMENTS_ENV = "BANNETTE_DOCUMENTS"

#: Default delay given to a citizen to send missing documents, in months.
#:
#: L114-5 CRPA leaves the length to the administration (« le délai fixé pour la réception des
#: pièces »); no general text sets it. One month is long enough to obtain a paper from another
#: administration by post (one to two weeks) and answer, short enough that an incomplete file
#: does not sleep for a season, and of the order of the decision periods themselves (most
#: procedures here decide in one or two months), so the citizen is not given longer to complete
#: the file than the mairie has to decide on it. The dialog offers 15 days to 3 months (the
#: town-planning code's own delay, R423-39) and any date.
DEFAULT_MISSING_DOCUMENTS_MONTHS = 1


class RequestAction(StrEnum):
    """What a secrétaire can do on the selected request from the « Demande » menu."""

    REGISTRATION_RECEIPT = "registration_receipt"
    ACKNOWLEDGEMENT = "acknowledgement"
    MISSING_DOCUMENTS = "missing_documents"
    DOCUMENTS_RECEIVED = "documents_received"
    IMPLICIT_ACCEPTANCE_CERTIFICATE = "implicit_acceptance_certificate"
    #: Record that a produced letter left (date and mode); for the receipts, the legal step.
    MARK_SENT = "mark_sent"
    #: Make the PDF of a letter produced as Word only.
    CONVERT_PDF = "convert_pdf"


#: The letter each action produces (« Pièces reçues » produces none).
LETTERS: dict[RequestAction, LetterKind] = {
    RequestAction.REGISTRATION_RECEIPT: LetterKind.REGISTRATION_RECEIPT,
    RequestAction.ACKNOWLEDGEMENT: LetterKind.ACKNOWLEDGEMENT,
    RequestAction.MISSING_DOCUMENTS: LetterKind.MISSING_DOCUMENTS,
    RequestAction.IMPLICIT_ACCEPTANCE_CERTIFICATE: LetterKind.IMPLICIT_ACCEPTANCE_CERTIFICATE,
}

#: What the status bar and the messages call each letter.
LETTER_NAMES: dict[LetterKind, str] = {
    LetterKind.REGISTRATION_RECEIPT: "accusé d'enregistrement",
    LetterKind.ACKNOWLEDGEMENT: "accusé de réception",
    LetterKind.MISSING_DOCUMENTS: "demande de pièces manquantes",
    LetterKind.IMPLICIT_ACCEPTANCE_CERTIFICATE: "attestation d'accord tacite",
}


def add_months(start: date, months: int) -> date:
    """Same day-of-month ``months`` later, or the last day of a shorter month."""
    index = start.year * 12 + start.month - 1 + months
    year, month0 = divmod(index, 12)
    return date(year, month0 + 1, min(start.day, calendar.monthrange(year, month0 + 1)[1]))


def default_missing_documents_deadline(today: date, department: str) -> date:
    """One month from ``today``, moved to the commune's next working day when that falls on a
    weekend or a public holiday (the citizen could not hand the documents in that day)."""
    return deadlines.next_working_day(
        add_months(today, DEFAULT_MISSING_DOCUMENTS_MONTHS), department
    )


def unsent_letters(facts: LegalFacts, letters: Sequence[LetterRecord]) -> list[LetterRecord]:
    """The letters « Marquer comme envoyé » offers: the newest edition of each kind, not sent
    yet, and for the receipts only while the request does not hold one already (sent from
    another PC, or before letters were recorded apart)."""
    done = {
        ACKNOWLEDGEMENT: facts.acknowledged_at is not None,
        REGISTRATION_RECEIPT: facts.registration_receipt_at is not None,
    }
    return [
        x for x in latest_editions(list(letters)) if not x.sent and not done.get(x.kind, False)
    ]


def without_pdf(letters: Sequence[LetterRecord]) -> list[LetterRecord]:
    """The newest editions that exist as Word only (« Convertir en PDF »)."""
    return [x for x in latest_editions(list(letters)) if x.pdf is None]


def action_availability(
    facts: LegalFacts, letters: Sequence[LetterRecord] = ()
) -> dict[RequestAction, str | None]:
    """For each action, None when allowed, else the French reason why not (for tooltips).

    The status moves go through the shared transition table (``can_transition``), so the menu
    never offers what the store would refuse. A receipt produced but not sent can be produced
    again (a new edition); once sent, it cannot.
    """
    status = facts.status
    open_request = status in OPEN_STATUSES
    closed = f"La demande est « {STATUS_LABELS[status]} »."
    result: dict[RequestAction, str | None] = {}

    if not facts.channel.is_electronic:
        result[RequestAction.REGISTRATION_RECEIPT] = (
            "Réservé aux demandes électroniques (art. L112-11 CRPA)."
        )
    elif facts.registration_receipt_at is not None:
        result[RequestAction.REGISTRATION_RECEIPT] = "Accusé d'enregistrement déjà envoyé."
    else:
        result[RequestAction.REGISTRATION_RECEIPT] = None if open_request else closed

    if facts.acknowledged_at is not None:
        result[RequestAction.ACKNOWLEDGEMENT] = "Accusé de réception déjà envoyé."
    else:
        result[RequestAction.ACKNOWLEDGEMENT] = None if open_request else closed

    if facts.pending_missing_documents:
        result[RequestAction.MISSING_DOCUMENTS] = "Des pièces sont déjà attendues."
    elif facts.outcome is not None:
        result[RequestAction.MISSING_DOCUMENTS] = "Une décision est déjà acquise."
    elif not can_transition(status, Status.AWAITING_DOCUMENTS):
        result[RequestAction.MISSING_DOCUMENTS] = closed
    else:
        result[RequestAction.MISSING_DOCUMENTS] = None

    result[RequestAction.DOCUMENTS_RECEIVED] = (
        None if facts.pending_missing_documents else "Aucune pièce n'est attendue."
    )

    if facts.outcome == Outcome.IMPLICIT_ACCEPTANCE and open_request:
        result[RequestAction.IMPLICIT_ACCEPTANCE_CERTIFICATE] = None
    elif facts.procedure.silence_rule != SilenceRule.ACCEPT:
        result[RequestAction.IMPLICIT_ACCEPTANCE_CERTIFICATE] = (
            "Réservé aux démarches où le silence vaut accord (art. L232-3 CRPA)."
        )
    else:
        result[RequestAction.IMPLICIT_ACCEPTANCE_CERTIFICATE] = "L'accord tacite n'est pas acquis."

    result[RequestAction.MARK_SENT] = (
        None if unsent_letters(facts, letters)
        else "Aucun courrier produit n'attend d'être marqué comme envoyé."
    )
    if not letters:
        result[RequestAction.CONVERT_PDF] = "Aucun courrier n'a été produit pour cette demande."
    else:
        result[RequestAction.CONVERT_PDF] = (
            None if without_pdf(letters) else "Les courriers produits ont déjà leur PDF."
        )
    return result


# --------------------------------------------------------------------------- the job


@dataclass(frozen=True)
class LetterJob:
    """Everything the worker needs, and what to record afterwards; no database in here."""

    action: RequestAction
    kind: LetterKind
    request_pk: int
    number: str
    context: LetterContext
    output_dir: Path
    template_dir: Path | None = None
    missing_documents: tuple[str, ...] = ()
    missing_documents_deadline: date | None = None
    #: 1 for the first production, 2… when produced again (files named ``…_v2.docx``).
    edition: int = 1

    @property
    def title(self) -> str:
        return LETTER_NAMES[self.kind]


@dataclass(frozen=True)
class LetterFiles:
    """The result: the .docx always, the PDF unless conversion failed (``pdf_problem`` says why)."""

    docx: Path
    pdf: Path | None
    pdf_problem: str | None = None
    #: French notices to show with the result: a commune template refused for a missing legal
    #: mention (the shipped one was used instead).
    notices: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        return [p.name for p in (self.docx, self.pdf) if p is not None]


def produce_letter(job: LetterJob, converter: PdfConverter | None = None) -> LetterFiles:
    """Render the .docx then the PDF. Runs on a worker thread: touches files only.

    A rendering error (template, missing mention, unwritable folder) propagates: nothing is
    produced, nothing will be recorded. A PDF error does not: the Word document is a complete
    letter that can be printed, so it is kept and the problem returned for the message.
    """
    notices: list[str] = []
    if job.edition == 1:
        docx = render_letter(job.kind, job.context, job.output_dir, job.template_dir,
                             notices=notices)
    else:
        # Rendered aside then renamed, so the earlier edition's file is kept as it was.
        staging = Path(tempfile.mkdtemp(prefix=".bannette-letter-", dir=_made(job.output_dir)))
        try:
            rendered = render_letter(job.kind, job.context, staging, job.template_dir,
                                     notices=notices)
            docx = job.output_dir / f"{rendered.stem}_v{job.edition}{rendered.suffix}"
            os.replace(rendered, docx)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    try:
        pdf = convert_to_pdf(docx, job.output_dir, converter=converter)
    except PdfConversionError as exc:
        return LetterFiles(docx, None, str(exc), tuple(notices))
    return LetterFiles(docx, pdf, notices=tuple(notices))


def _made(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def convert_letter(docx: Path, converter: PdfConverter | None = None) -> Path:
    """« Convertir en PDF » on a worker thread: the PDF beside the Word document. Raises
    ``PdfConversionError`` (``PdfConversionUnavailable`` without any converter) with the
    French sentence to show."""
    if not docx.is_file():
        raise PdfConversionError(
            f"Le document Word « {docx.name} » est introuvable dans {docx.parent} : il a "
            "peut-être été déplacé ou supprimé. Produisez le courrier à nouveau."
        )
    return convert_to_pdf(docx, docx.parent, converter=converter)


# --------------------------------------------------------------------------- building contexts


def default_documents_root() -> Path:
    """documents/ in the user's data folder, unless ``$BANNETTE_DOCUMENTS`` says otherwise."""
    override = os.environ.get(DOCUMENTS_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "documents"


_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]+')


def safe_folder_name(text: str) -> str:
    """A folder name Windows accepts, still readable: « Mairie d'Obernai » stays as is."""
    cleaned = _UNSAFE.sub("_", text).strip(" .")
    return cleaned or "sans-nom"


def _recipient(facts: LegalFacts) -> Recipient:
    c = facts.citizen
    person = f"{c.first_name} {c.last_name.upper()}".strip()
    lines: list[str] = []
    if c.kind == CitizenKind.PERSON:
        name = person or c.display_name
    else:
        name = c.organisation or c.display_name
        if person:
            lines.append(f"À l'attention {de_name(person)}")
    lines += [c.address, f"{c.postcode} {c.city}".strip()]
    return Recipient(kind=c.kind, display_name=name, address_lines=tuple(lines), email=c.email)


def _service(facts: LegalFacts) -> ServiceInCharge:
    a = facts.authority
    return ServiceInCharge(
        authority_name=a.name,
        designation=a.service_name or "Secrétariat de mairie",
        address_lines=(a.address,),
        postcode=a.postcode,
        city=a.city,
        email=a.email,
        phone=a.phone,
        department=a.department,
        administrative_court=a.administrative_court,
        logo=a.logo,
    )


def letter_context(
    kind: LetterKind,
    facts: LegalFacts,
    today: date,
    *,
    missing_documents: Sequence[str] = (),
    missing_documents_deadline: date | None = None,
) -> LetterContext:
    """The context of one letter, its legal dates computed by the deadline engine as of today.

    A request for missing documents suspends the clock (L114-5): its letter, and an
    acknowledgement sent while documents are awaited, state the list and the deadline instead
    of an implicit decision date.
    """
    dates = facts.legal_dates(today)
    implicit_on = dates.implicit_decision_date
    documents: tuple[str, ...] = tuple(missing_documents)
    deadline = missing_documents_deadline
    if kind == LetterKind.MISSING_DOCUMENTS:
        implicit_on = None
    elif kind == LetterKind.ACKNOWLEDGEMENT and facts.pending_missing_documents:
        pending = facts.pending_missing_documents
        documents = tuple(dict.fromkeys(d for m in pending for d in m.documents))
        # Requests asked before deadlines were stored get the default delay from their date.
        deadline = max(
            m.deadline or default_missing_documents_deadline(m.asked_on, facts.authority.department)
            for m in pending
        )
        implicit_on = None
    a = facts.authority
    # The adjoint the maire delegated this procedure to signs; else the maire.
    signatory_name, signatory_title = signature(
        a.mayor_name, a.mayor_title, a.deputies, facts.procedure.code)
    return LetterContext(
        number=facts.reference or facts.number,
        received_at=facts.received_at,
        channel=facts.channel,
        subject=facts.subject,
        service=_service(facts),
        recipient=_recipient(facts),
        procedure=ProcedureInfo(
            name=facts.procedure.name,
            silence_rule=facts.procedure.silence_rule,
            period=facts.procedure.period,
            unit=facts.procedure.unit,
            required_documents=facts.procedure.required_documents,
        ),
        acknowledged_on=today,
        implicit_decision_on=implicit_on,
        signatory_name=signatory_name,
        signatory_title=signatory_title,
        place=a.city,
        letter_date=today,
        missing_documents=documents,
        missing_documents_deadline=deadline,
    )


class ActionRefused(Exception):
    """The action is not allowed for this request now; the message (French) says why."""


class LetterService:
    """The letters and legal steps of requests, over the GUI thread's connection."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        documents_root: Path | None = None,
        template_root: Path | None = None,
        converter: PdfConverter | None = None,
    ) -> None:
        self._conn = conn
        self.documents_root = documents_root or default_documents_root()
        #: ``<template_root>/<authority folder>/`` holds an authority's own templates.
        self.template_root = template_root
        self.converter = converter

    # --- reading ----------------------------------------------------------------------------
    def facts(self, request_pk: int) -> LegalFacts:
        return legal.legal_facts(self._conn, request_pk)

    def legal_dates(self, request_pk: int, today: date) -> LegalDates:
        return self.facts(request_pk).legal_dates(today)

    def letters(self, request_pk: int) -> list[LetterRecord]:
        return letters_of(self._conn, request_pk)

    def availability(self, request_pk: int) -> dict[RequestAction, str | None]:
        return action_availability(self.facts(request_pk), self.letters(request_pk))

    def unsent(self, request_pk: int) -> list[LetterRecord]:
        return unsent_letters(self.facts(request_pk), self.letters(request_pk))

    def without_pdf(self, request_pk: int) -> list[LetterRecord]:
        return without_pdf(self.letters(request_pk))

    def document_path(self, request_pk: int, name: str) -> Path:
        return self.folder_for(self.facts(request_pk)) / name

    def folder_for(self, facts: LegalFacts) -> Path:
        return (
            self.documents_root
            / safe_folder_name(facts.authority.name)
            / safe_folder_name(facts.number)
        )

    # --- 1. prepare (GUI thread) -------------------------------------------------------------
    def prepare(
        self,
        action: RequestAction,
        request_pk: int,
        today: date,
        *,
        missing_documents: Sequence[str] = (),
        missing_documents_deadline: date | None = None,
    ) -> LetterJob:
        if action not in LETTERS:
            raise ValueError(f"{action} produces no letter")
        facts = self.facts(request_pk)
        refusal = action_availability(facts, self.letters(request_pk))[action]
        if refusal is not None:
            raise ActionRefused(refusal)
        kind = LETTERS[action]
        context = letter_context(
            kind,
            facts,
            today,
            missing_documents=missing_documents,
            missing_documents_deadline=missing_documents_deadline,
        )
        # The commune's own templates folder (set on this PC) first, else the per-commune
        # folder under ``template_root``.
        template_dir = authorities.templates_folder(self._conn, facts.authority.pk)
        if template_dir is None and self.template_root is not None:
            template_dir = self.template_root / safe_folder_name(facts.authority.name)
        return LetterJob(
            action=action,
            kind=kind,
            request_pk=request_pk,
            number=facts.reference or facts.number,
            context=context,
            output_dir=self.folder_for(facts),
            template_dir=template_dir,
            missing_documents=tuple(context.missing_documents),
            missing_documents_deadline=missing_documents_deadline,
            edition=next_edition(self._conn, request_pk, kind.value),
        )

    # --- 2. produce (worker thread) ---------------------------------------------------------
    def produce(self, job: LetterJob) -> LetterFiles:
        """Thread-safe: reads only the job and the converter, never the connection."""
        return produce_letter(job, self.converter)

    # --- 3. record (GUI thread) -------------------------------------------------------------
    def record(
        self, job: LetterJob, files: LetterFiles, *, at: datetime, agent_id: str | None
    ) -> None:
        """The letter exists: note its production. Producing the receipts is not sending
        them (« Marquer comme envoyé » does that); asking for documents and certifying an
        implicit acceptance are recorded as before, the letter being their proof."""
        names = files.names
        if job.action == RequestAction.MISSING_DOCUMENTS:
            assert job.missing_documents_deadline is not None
            legal.record_missing_documents_request(
                self._conn,
                job.request_pk,
                documents=list(job.missing_documents),
                deadline=job.missing_documents_deadline,
                at=at,
                agent_id=agent_id,
                files=names,
            )
        elif job.action == RequestAction.IMPLICIT_ACCEPTANCE_CERTIFICATE:
            legal.record_implicit_acceptance_certificate(
                self._conn, job.request_pk, at=at, agent_id=agent_id, files=names
            )
        elif job.action not in (
            RequestAction.REGISTRATION_RECEIPT, RequestAction.ACKNOWLEDGEMENT
        ):  # pragma: no cover - prepare() refuses the others
            raise ValueError(job.action)
        record_produced(
            self._conn, job.request_pk, kind=job.kind.value, edition=job.edition,
            docx=files.docx.name, pdf=files.pdf.name if files.pdf else None, at=at,
            agent_id=agent_id,
        )

    def mark_sent(
        self, letter: LetterRecord, sent_on: date, mode: SendMode, *, at: datetime,
        agent_id: str | None,
    ) -> None:
        mark_sent(self._conn, letter.pk, sent_on=sent_on, mode=mode, at=at, agent_id=agent_id)

    def convert(self, docx: Path) -> Path:
        """Thread-safe: touches files only."""
        return convert_letter(docx, self.converter)

    def record_pdf(self, letter: LetterRecord, pdf: Path) -> None:
        record_pdf(self._conn, letter.pk, pdf.name)

    def documents_received(
        self, request_pk: int, received_on: date, *, at: datetime, agent_id: str | None
    ) -> None:
        legal.record_missing_documents_received(
            self._conn, request_pk, received_on=received_on, at=at, agent_id=agent_id
        )
