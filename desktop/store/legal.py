"""The legal steps of a request (CRPA), as the store records them. Knows nothing of Qt.

Each step a secrétaire takes (registration receipt, acknowledgement, request for missing
documents, their arrival, the attestation of implicit acceptance) changes the request, appends
its history events and recomputes the échéance in ONE transaction: a crash or a refused
transition can never leave a letter recorded without its status, or the reverse. The letters
themselves are produced before, off the GUI thread; these functions are only called once the
document exists, so nothing is recorded when rendering fails.

The implicit-decision sweep and the deadline queries of the deadlines view live here too: they
are SQL over the same columns the bannette sorts on (``request.due_date``/``due_kind``).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from desktop.domain import deadlines
from desktop.domain.due import DueKind
from desktop.domain.legal_time import as_instant, in_zone, local_day, parse_stored, read
from desktop.domain.signature import Deputy
from desktop.domain.workflow import (
    DomainEvent,
    RequestState,
    TransitionError,
    change_status,
    record_implicit_decision,
)
from desktop.store.database import StoreError, transaction
from desktop.store.ids import new_id
from desktop.store.inbox import end_of_week
from desktop.store.logo import logo_bytes
from desktop.store.outbox import enqueue_for_request
from desktop.store.requests import (
    REQUEST_GONE,
    department_of,
    insert_event,
    instant_text,
    live_request,
    refresh_due,
)
from desktop.store.rules import RULE_COLUMNS
from sync.protocol.reference import request_reference
from sync.protocol.vocabulary import (
    OPEN_STATUSES,
    Channel,
    CitizenKind,
    EventKind,
    Outcome,
    PeriodUnit,
    SendMode,
    SilenceRule,
    Status,
)
from sync.protocol.wire import MutationName

_OPEN_SQL = ", ".join(f"'{s.value}'" for s in sorted(OPEN_STATUSES))


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class AuthorityLetterhead:
    """The authority as its letters present it (R112-5 2°) and who signs them."""

    pk: int
    name: str
    service_name: str
    address: str
    postcode: str
    city: str
    email: str
    phone: str
    department: str
    internal_target_days: int
    mayor_name: str
    mayor_title: str
    administrative_court: str
    #: The adjoints and their delegations of signature (« Administration › Commune »).
    deputies: tuple[Deputy, ...] = ()
    #: The commune's logo (PNG or JPEG bytes) for the letterhead; None: no logo (or not yet
    #: fetched from the server on this PC).
    logo: bytes | None = None


@dataclass(frozen=True)
class CitizenAddress:
    kind: CitizenKind
    display_name: str
    last_name: str
    first_name: str
    organisation: str
    address: str
    postcode: str
    city: str
    email: str


@dataclass(frozen=True)
class ProcedureRule:
    name: str
    silence_rule: SilenceRule
    period: int
    unit: PeriodUnit
    required_documents: tuple[str, ...]
    code: str = ""


@dataclass(frozen=True)
class MissingDocumentsRequest:
    """One request for missing documents (L114-5); ``received_on`` None while awaited."""

    asked_on: date
    received_on: date | None
    documents: tuple[str, ...]
    deadline: date | None


@dataclass(frozen=True)
class LegalFacts:
    """Everything the legal dates and the letters of one request depend on."""

    pk: int
    number: str
    received_at: datetime
    channel: Channel
    subject: str
    status: Status
    outcome: Outcome | None
    registration_receipt_at: datetime | None
    acknowledged_at: datetime | None
    authority: AuthorityLetterhead
    citizen: CitizenAddress
    procedure: ProcedureRule
    missing_documents: tuple[MissingDocumentsRequest, ...] = ()
    #: What letters print and dialogs show: « 67348-2026-000165 » (sync.protocol.reference).
    reference: str = ""

    @property
    def pending_missing_documents(self) -> tuple[MissingDocumentsRequest, ...]:
        return tuple(m for m in self.missing_documents if m.received_on is None)

    @property
    def clock_pairs(self) -> list[tuple[date, date | None]]:
        """The (asked_on, received_on) pairs the deadline engine restarts the clock from."""
        return [(m.asked_on, m.received_on) for m in self.missing_documents]

    def legal_dates(self, today: date | None) -> deadlines.LegalDates:
        return deadlines.legal_dates(
            self.received_at.date(),
            self.authority.department,
            self.channel.is_electronic,
            self.procedure.period,
            self.procedure.unit,
            self.procedure.silence_rule,
            self.clock_pairs,
            today=today,
            internal_target_days=self.authority.internal_target_days,
        )


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def legal_facts(conn: sqlite3.Connection, request_pk: int) -> LegalFacts:
    """Read one request with its authority, citizen, procedure and missing-documents requests."""
    row = conn.execute(
        f"""
        SELECT r.pk, r.number, r.received_at, r.channel, r.subject, r.status, r.outcome,
               r.registration_receipt_at, r.acknowledged_at,
               a.pk AS a_pk, a.name AS a_name, a.service_name, a.address AS a_address,
               a.postcode AS a_postcode, a.city AS a_city, a.email AS a_email,
               a.phone AS a_phone, a.department, a.internal_target_days, a.mayor_name,
               a.mayor_title, a.administrative_court, a.insee_code, a.deputies, a.logo_sha256,
               c.kind, c.display_name, c.last_name, c.first_name, c.organisation,
               c.address AS c_address, c.postcode AS c_postcode, c.city AS c_city,
               c.email AS c_email,
               p.name AS p_name, {RULE_COLUMNS}, p.required_documents, p.code AS p_code
        FROM request r
        JOIN authority a ON a.pk = r.authority_pk
        JOIN citizen c ON c.pk = r.citizen_pk
        JOIN procedure p ON p.pk = r.procedure_pk
        WHERE r.pk = ? AND r.deleted = 0
        """,
        (request_pk,),
    ).fetchone()
    if row is None:
        raise StoreError(REQUEST_GONE)
    missing = tuple(
        MissingDocumentsRequest(
            asked_on=date.fromisoformat(m["asked_on"]),
            received_on=_day(m["received_on"]),
            documents=tuple(str(d) for d in json.loads(m["documents"])),
            deadline=_day(m["deadline"]),
        )
        for m in conn.execute(
            "SELECT asked_on, received_on, documents, deadline FROM missing_documents "
            "WHERE request_pk = ? AND deleted = 0 ORDER BY asked_on, pk",
            (request_pk,),
        )
    )
    return LegalFacts(
        pk=row["pk"],
        number=row["number"],
        reference=request_reference(row["insee_code"] or "", row["number"]),
        # In the commune's zone: its .date() is the day of receipt the law counts from.
        received_at=in_zone(parse_stored(row["received_at"]), row["department"]),
        channel=Channel(row["channel"]),
        subject=row["subject"],
        status=Status(row["status"]),
        outcome=Outcome(row["outcome"]) if row["outcome"] else None,
        registration_receipt_at=read(row["registration_receipt_at"], row["department"]),
        acknowledged_at=read(row["acknowledged_at"], row["department"]),
        authority=AuthorityLetterhead(
            pk=row["a_pk"],
            name=row["a_name"],
            service_name=row["service_name"],
            address=row["a_address"],
            postcode=row["a_postcode"],
            city=row["a_city"],
            email=row["a_email"],
            phone=row["a_phone"],
            department=row["department"],
            internal_target_days=row["internal_target_days"],
            mayor_name=row["mayor_name"],
            mayor_title=row["mayor_title"],
            administrative_court=row["administrative_court"],
            deputies=tuple(Deputy.from_wire(d) for d in json.loads(row["deputies"] or "[]")),
            logo=logo_bytes(conn, row["logo_sha256"]),
        ),
        citizen=CitizenAddress(
            kind=CitizenKind(row["kind"]),
            display_name=row["display_name"],
            last_name=row["last_name"],
            first_name=row["first_name"],
            organisation=row["organisation"],
            address=row["c_address"],
            postcode=row["c_postcode"],
            city=row["c_city"],
            email=row["c_email"],
        ),
        procedure=ProcedureRule(
            name=row["p_name"],
            silence_rule=SilenceRule(row["silence_rule"]),
            period=row["period"],
            unit=PeriodUnit(row["period_unit"]),
            required_documents=tuple(str(d) for d in json.loads(row["required_documents"])),
            code=row["p_code"],
        ),
        missing_documents=missing,
    )


def set_letterhead(
    conn: sqlite3.Connection,
    authority_pk: int,
    *,
    mayor_name: str | None = None,
    mayor_title: str | None = None,
    administrative_court: str | None = None,
) -> None:
    """Change who signs the authority's letters and which court its appeal routes name."""
    changes = {
        "mayor_name": mayor_name,
        "mayor_title": mayor_title,
        "administrative_court": administrative_court,
    }
    wanted = {k: v.strip() for k, v in changes.items() if v is not None}
    if not wanted:
        return
    assignments = ", ".join(f"{column} = ?" for column in wanted)
    with transaction(conn):
        conn.execute(
            f"UPDATE authority SET {assignments} WHERE pk = ?", [*wanted.values(), authority_pk]
        )


# --------------------------------------------------------------------------- recording


def _day_in_commune(conn: sqlite3.Connection, request_pk: int, at: datetime) -> date:
    """The calendar day of ``at`` in the request's commune (naive = its wall time)."""
    department = department_of(conn, request_pk)
    return local_day(as_instant(at, department), department)


def _state(conn: sqlite3.Connection, request_pk: int) -> RequestState:
    row = live_request(conn, request_pk, "status, outcome")
    return RequestState(Status(row[0]), Outcome(row[1]) if row[1] else None)


def _move(
    conn: sqlite3.Connection,
    request_pk: int,
    target: Status,
    *,
    at: datetime,
    agent_id: str | None,
) -> None:
    """Change the status inside the caller's transaction, through the domain's rules."""
    state = _state(conn, request_pk)
    new_state, events = change_status(state, target, at=at, agent_id=agent_id)
    conn.execute(
        "UPDATE request SET status = ?, outcome = ? WHERE pk = ?",
        (
            new_state.status.value,
            new_state.outcome.value if new_state.outcome else None,
            request_pk,
        ),
    )
    for event in events:
        insert_event(conn, request_pk, event)


def _files_detail(files: list[str]) -> dict[str, object]:
    # File names only: the history syncs to the server and other PCs, where local paths mean
    # nothing; the folder is always documents/<authority>/<number>/.
    return {"files": list(files)} if files else {}


def record_registration_receipt(
    conn: sqlite3.Connection,
    request_pk: int,
    *,
    at: datetime,
    agent_id: str | None,
    files: list[str] = [],  # noqa: B006 - never mutated
) -> None:
    """The registration receipt (L112-11) was sent: note when; the status does not move."""
    with transaction(conn):
        registration_receipt_in_transaction(
            conn, request_pk, at=at, agent_id=agent_id, detail=_files_detail(files)
        )


def registration_receipt_in_transaction(
    conn: sqlite3.Connection,
    request_pk: int,
    *,
    at: datetime,
    agent_id: str | None,
    detail: dict[str, object],
) -> None:
    """``record_registration_receipt`` inside the caller's transaction."""
    row = live_request(conn, request_pk, "channel, registration_receipt_at, status")
    if not Channel(row["channel"]).is_electronic:
        raise TransitionError(
            "L'accusé d'enregistrement ne concerne que les demandes électroniques."
        )
    if row["registration_receipt_at"] is not None:
        raise TransitionError("L'accusé d'enregistrement a déjà été envoyé.")
    if Status(row["status"]) not in OPEN_STATUSES:
        raise TransitionError("La demande est déjà traitée.")
    conn.execute(
        "UPDATE request SET registration_receipt_at = ? WHERE pk = ?",
        (instant_text(conn, request_pk, at), request_pk),
    )
    insert_event(
        conn,
        request_pk,
        DomainEvent(EventKind.REGISTRATION_RECEIPT_SENT, at, agent_id, detail),
    )
    refresh_due(conn, request_pk)


def record_acknowledgement(
    conn: sqlite3.Connection,
    request_pk: int,
    *,
    at: datetime,
    agent_id: str | None,
    files: list[str] = [],  # noqa: B006 - never mutated
) -> None:
    """The acknowledgement (L112-3) was sent: a received request becomes « Accusée ».

    A request already further on (documents asked, reply being drafted) keeps its status: the
    acknowledgement is then recorded without moving it backwards.
    """
    with transaction(conn):
        acknowledge_in_transaction(
            conn, request_pk, at=at, agent_id=agent_id, detail=_files_detail(files)
        )


def acknowledge_in_transaction(
    conn: sqlite3.Connection,
    request_pk: int,
    *,
    at: datetime,
    agent_id: str | None,
    detail: dict[str, object],
    sent_on: date | None = None,
    mode: SendMode | None = None,
) -> None:
    """``record_acknowledgement`` inside the caller's transaction; ``sent_on`` and ``mode``
    (« Marquer comme envoyé ») travel to the server, which dates the acknowledgement with
    them."""
    row = live_request(conn, request_pk, "acknowledged_at, status")
    if row["acknowledged_at"] is not None:
        raise TransitionError("L'accusé de réception a déjà été envoyé.")
    status = Status(row["status"])
    if status not in OPEN_STATUSES:
        raise TransitionError("La demande est déjà traitée.")
    insert_event(
        conn,
        request_pk,
        DomainEvent(EventKind.ACKNOWLEDGEMENT_SENT, at, agent_id, detail),
    )
    moved = status == Status.RECEIVED
    if moved:
        _move(conn, request_pk, Status.ACKNOWLEDGED, at=at, agent_id=agent_id)
    # The server dates the acknowledgement from the day the agent gives (or its own clock),
    # late ones included: it moves a received request and leaves a further one where it is.
    sending: dict[str, object] = {}
    if sent_on is not None:
        sending["sent_on"] = sent_on.isoformat()
    if mode is not None:
        sending["mode"] = mode.value
    enqueue_for_request(
        conn, request_pk, MutationName.REQUEST_ACKNOWLEDGE, sending,
        fields=("status", "acknowledged_at") if moved else ("acknowledged_at",),
    )
    conn.execute(
        "UPDATE request SET acknowledged_at = ? WHERE pk = ?",
        (instant_text(conn, request_pk, at), request_pk),
    )
    refresh_due(conn, request_pk)


def record_missing_documents_request(
    conn: sqlite3.Connection,
    request_pk: int,
    *,
    documents: list[str],
    deadline: date,
    at: datetime,
    agent_id: str | None,
    files: list[str] = [],  # noqa: B006 - never mutated
) -> None:
    """Missing documents were asked for (L114-5): the clock stops until they arrive."""
    cleaned = [d.strip() for d in documents if d and d.strip()]
    if not cleaned:
        raise TransitionError("Indiquez au moins une pièce manquante.")
    asked_on = _day_in_commune(conn, request_pk, at)
    if deadline <= asked_on:
        raise TransitionError("La date limite d'envoi des pièces doit être postérieure à ce jour.")
    with transaction(conn):
        state = _state(conn, request_pk)
        if state.outcome is not None:
            raise TransitionError(
                "Une décision est déjà acquise : il est trop tard pour demander des pièces."
            )
        _move(conn, request_pk, Status.AWAITING_DOCUMENTS, at=at, agent_id=agent_id)
        conn.execute(
            "INSERT INTO missing_documents (id, request_pk, asked_on, documents, deadline) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                new_id(),
                request_pk,
                asked_on.isoformat(),
                json.dumps(cleaned, ensure_ascii=False),
                deadline.isoformat(),
            ),
        )
        detail: dict[str, object] = {"documents": cleaned, "deadline": deadline.isoformat()}
        detail.update(_files_detail(files))
        insert_event(
            conn,
            request_pk,
            DomainEvent(EventKind.MISSING_DOCUMENTS_REQUESTED, at, agent_id, detail),
        )
        enqueue_for_request(conn, request_pk, MutationName.REQUEST_REQUEST_DOCUMENTS,
                            {"documents": cleaned, "deadline": deadline.isoformat(),
                             "asked_on": asked_on.isoformat()},
                            fields=("status",))
        refresh_due(conn, request_pk)


def record_missing_documents_received(
    conn: sqlite3.Connection,
    request_pk: int,
    *,
    received_on: date,
    at: datetime,
    agent_id: str | None,
) -> None:
    """The missing documents arrived on ``received_on``: the clock restarts from that day.

    Every pending request for documents of the request is closed (the citizen sends the
    complete file; partial arrivals are not counted by L114-5) and the request goes back to
    « Accusée », i.e. under instruction.
    """
    with transaction(conn):
        pending = conn.execute(
            "SELECT pk, asked_on FROM missing_documents "
            "WHERE request_pk = ? AND deleted = 0 AND received_on IS NULL",
            (request_pk,),
        ).fetchall()
        if not pending:
            raise TransitionError("Aucune pièce manquante n'est attendue pour cette demande.")
        latest_ask = max(date.fromisoformat(p["asked_on"]) for p in pending)
        if received_on < latest_ask:
            raise TransitionError(
                "Les pièces ne peuvent pas être arrivées avant d'avoir été demandées."
            )
        if received_on > _day_in_commune(conn, request_pk, at):
            raise TransitionError("La date de réception des pièces ne peut pas être future.")
        conn.executemany(
            "UPDATE missing_documents SET received_on = ? WHERE pk = ?",
            [(received_on.isoformat(), p["pk"]) for p in pending],
        )
        insert_event(
            conn,
            request_pk,
            DomainEvent(
                EventKind.MISSING_DOCUMENTS_RECEIVED,
                at,
                agent_id,
                {"received_on": received_on.isoformat()},
            ),
        )
        if _state(conn, request_pk).status == Status.AWAITING_DOCUMENTS:
            _move(conn, request_pk, Status.ACKNOWLEDGED, at=at, agent_id=agent_id)
            enqueue_for_request(
                conn, request_pk, MutationName.REQUEST_DOCUMENTS_RECEIVED,
                {"received_on": received_on.isoformat()}, fields=("status",),
            )
        refresh_due(conn, request_pk)


def record_implicit_acceptance_certificate(
    conn: sqlite3.Connection,
    request_pk: int,
    *,
    at: datetime,
    agent_id: str | None,
    files: list[str] = [],  # noqa: B006 - never mutated
) -> None:
    """The attestation of implicit acceptance (L232-3) was issued: a note in the history."""
    with transaction(conn):
        state = _state(conn, request_pk)
        if state.outcome != Outcome.IMPLICIT_ACCEPTANCE:
            raise TransitionError("Aucun accord tacite n'est acquis pour cette demande.")
        event = DomainEvent(
            EventKind.IMPLICIT_ACCEPTANCE_CERTIFIED, at, agent_id, _files_detail(files)
        )
        insert_event(conn, request_pk, event)


# --------------------------------------------------------------------------- implicit decisions


def record_implicit_decisions(conn: sqlite3.Connection, today: date) -> list[int]:
    """Mark open requests whose silence has become a decision by ``today``; returns their pks.

    « Accord tacite acquis » (L231-1) or « rejet tacite » (L231-4), through the domain's
    ``record_implicit_decision``, with its history event. Idempotent: a request that already
    carries an outcome is not a candidate, so running it twice changes nothing the second time.

    SQL leaves out the requests whose period cannot have ended yet, counting from receipt (the
    clock never starts earlier). SQLite adds months by overflowing into the next month (31
    January + 1 month = 3 March), at most 3 days later than the legal « quantième » end, and
    reads the stored UTC instant, whose day may be the commune's next one (overseas in the
    Americas), hence a day of margin everywhere and 3 in the months case: the filter may keep a
    request too many, never drop one. The deadline engine then decides to the day, with the
    L114-5 restarts. The decision is dated the day it arose.
    """
    candidates = conn.execute(
        f"""
        SELECT pk, received_at, status, silence_rule, period, period_unit, department FROM (
            SELECT r.pk, r.received_at, r.status, {RULE_COLUMNS}, a.department
            FROM request r JOIN procedure p ON p.pk = r.procedure_pk
            JOIN authority a ON a.pk = r.authority_pk
            WHERE r.deleted = 0 AND r.outcome IS NULL AND r.status IN ({_OPEN_SQL})
              AND NOT EXISTS (SELECT 1 FROM missing_documents m WHERE m.request_pk = r.pk
                              AND m.deleted = 0 AND m.received_on IS NULL))
        WHERE silence_rule != 'none' AND period > 0
          AND CASE period_unit
                WHEN 'days' THEN date(received_at, '+' || period || ' days')
                WHEN 'weeks' THEN date(received_at, '+' || (7 * period) || ' days')
                ELSE date(received_at, '+' || period || ' months', '-3 days') END <= ?
        """,
        (today.isoformat(),),
    ).fetchall()
    decided: list[tuple[int, Status, Outcome, date]] = []
    for c in candidates:
        pairs = [
            (date.fromisoformat(m[0]), _day(m[1]))
            for m in conn.execute(
                "SELECT asked_on, received_on FROM missing_documents "
                "WHERE request_pk = ? AND deleted = 0",
                (c["pk"],),
            )
        ]
        on = deadlines.implicit_decision_date(
            local_day(parse_stored(c["received_at"]), c["department"]),
            c["period"],
            c["period_unit"],
            pairs,
            today=today,
        )
        if on is None or on > today:
            continue
        outcome = (
            Outcome.IMPLICIT_ACCEPTANCE
            if SilenceRule(c["silence_rule"]) == SilenceRule.ACCEPT
            else Outcome.IMPLICIT_REJECTION
        )
        decided.append((c["pk"], Status(c["status"]), outcome, on))
    if not decided:
        return []
    with transaction(conn):
        marked = []
        for pk, _status, outcome, on in decided:
            state = _state(conn, pk)
            if state.outcome is not None:  # decided meanwhile (sync worker)
                continue
            new_state, events = record_implicit_decision(
                state, outcome, at=datetime.combine(on, time())
            )
            conn.execute(
                "UPDATE request SET outcome = ? WHERE pk = ?",
                (new_state.outcome.value if new_state.outcome else None, pk),
            )
            for event in events:
                detail = {**event.detail, "arose_on": on.isoformat()}
                insert_event(conn, pk, dataclasses.replace(event, detail=detail))
            # Without it the next pull of the row would bring the server's empty outcome
            # back, and the sweep would record the same decision again.
            enqueue_for_request(
                conn, pk, MutationName.REQUEST_IMPLICIT_DECISION,
                {"outcome": outcome.value, "arose_on": on.isoformat()}, fields=("outcome",),
            )
            marked.append(pk)
    return marked


# --------------------------------------------------------------------------- deadlines view


class DeadlineSection(StrEnum):
    OVERDUE = "overdue"
    TODAY = "today"
    THIS_WEEK = "this_week"
    IMPLICIT_SOON = "implicit_soon"


#: How far ahead « Décisions implicites à venir » looks, in calendar days.
IMPLICIT_HORIZON_DAYS = 7

_IMPLICIT_KINDS = (DueKind.IMPLICIT_ACCEPTANCE.value, DueKind.IMPLICIT_REJECTION.value)


@dataclass(frozen=True)
class DeadlineEntry:
    pk: int
    #: The reference shown (« 67348-2026-000165 »).
    number: str
    citizen: str
    subject: str
    authority: str
    department: str
    status: Status
    outcome: Outcome | None
    due_date: date
    due_kind: str


def _section_where(section: DeadlineSection, today: date) -> tuple[str, list[object]]:
    """The condition of one section; ``today`` gives the calendar week and the horizon.

    « Cette semaine » runs from tomorrow to Sunday, like the bannette's « À échéance cette
    semaine » filter, so the two agree; today's deadlines have their own section.
    """
    day = today.isoformat()
    if section == DeadlineSection.OVERDUE:
        return "r.due_date < ?", [day]
    if section == DeadlineSection.TODAY:
        return "r.due_date = ?", [day]
    if section == DeadlineSection.THIS_WEEK:
        return "r.due_date > ? AND r.due_date <= ?", [day, end_of_week(today).isoformat()]
    horizon = (today + timedelta(days=IMPLICIT_HORIZON_DAYS)).isoformat()
    return (
        "r.outcome IS NULL AND r.due_kind IN (?, ?) AND r.due_date >= ? AND r.due_date <= ?",
        [*_IMPLICIT_KINDS, day, horizon],
    )


_ENTRY_SQL = f"""
SELECT r.pk, r.number, c.display_name, r.subject, a.name, a.department, r.status, r.outcome,
       r.due_date, r.due_kind, a.insee_code
FROM request r
JOIN citizen c ON c.pk = r.citizen_pk
JOIN authority a ON a.pk = r.authority_pk
WHERE r.deleted = 0 AND r.due_date IS NOT NULL AND r.status IN ({_OPEN_SQL})
"""


def deadline_entries(
    conn: sqlite3.Connection,
    section: DeadlineSection,
    today: date,
    limit: int | None = None,
) -> list[DeadlineEntry]:
    """The requests of one section of the deadlines view, the most urgent first.

    ``limit`` caps the list (a bannette of 100,000 requests can have thousands overdue; the
    view shows the first ones and the count, the bannette's filters show them all).
    """
    where, params = _section_where(section, today)
    sql = f"{_ENTRY_SQL} AND {where} ORDER BY r.due_date, a.name, r.number"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    rows = conn.execute(sql, params).fetchall()
    return [
        DeadlineEntry(
            pk=r[0],
            number=request_reference(r[10] or "", r[1]),
            citizen=r[2],
            subject=r[3],
            authority=r[4],
            department=r[5],
            status=Status(r[6]),
            outcome=Outcome(r[7]) if r[7] else None,
            due_date=date.fromisoformat(r[8]),
            due_kind=r[9],
        )
        for r in rows
    ]


def deadline_counts(conn: sqlite3.Connection, today: date) -> dict[DeadlineSection, int]:
    """How many requests each section holds (for tab titles and the morning notification)."""
    counts = {}
    for section in DeadlineSection:
        where, params = _section_where(section, today)
        sql = (
            "SELECT COUNT(*) FROM request r WHERE r.deleted = 0 AND r.due_date IS NOT NULL "
            f"AND r.status IN ({_OPEN_SQL}) AND {where}"
        )
        counts[section] = int(conn.execute(sql, params).fetchone()[0])
    return counts
