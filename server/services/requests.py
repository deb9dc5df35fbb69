"""The request life cycle, enforced with the shared ``ALLOWED_TRANSITIONS``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server import audit
from server.access import Action, Principal, authorize, check_authority, get_scoped, id_taken
from server.db.models import (
    Agent,
    AgentAuthority,
    Attachment,
    Citizen,
    Event,
    Message,
    ParapheurFolder,
    PhoneCall,
    Procedure,
    Request,
    Service,
)
from server.db.session import current_version
from server.db.types import utcnow
from server.problems import ProblemError
from server.services.citizens import resolve_merged
from server.services.common import (
    Change,
    add_event,
    jsonable,
    same_value,
    stamp,
    tombstone,
)
from server.services.numbering import next_number
from sync.protocol.bounds import BoundedJson, LegalInstant
from sync.protocol.vocabulary import (
    EXPRESS_OUTCOMES,
    IMPLICIT_OUTCOMES,
    OPEN_STATUSES,
    STATUS_LABELS,
    Channel,
    EventKind,
    Outcome,
    Status,
    can_transition,
)
from sync.protocol.wire import AGENT_LEFT as AGENT_LEFT
from sync.protocol.wire import (
    Entity,
    RequestAcknowledgeArgs,
    RequestAssignArgs,
    RequestCreateArgs,
    RequestDeleteArgs,
    RequestDocumentsArgs,
    RequestDocumentsReceivedArgs,
    RequestImplicitDecisionArgs,
    RequestNoteArgs,
    RequestSetStatusArgs,
    RequestUpdateFieldsArgs,
    day_instant,
)

WHAT = "Cette demande"
#: Tolerance for a PC clock slightly ahead of the server when a paper date is typed.
CLOCK_SKEW = timedelta(minutes=10)


def load(session: Session, principal: Principal, request_id: uuid.UUID) -> Request:
    return get_scoped(session, Request, request_id, principal, WHAT)


def _linked(
    session: Session, model: type[Any], row_id: uuid.UUID | None, authority_id: uuid.UUID,
    what: str,
) -> None:
    if row_id is None:
        return
    row = session.get(model, row_id)
    if row is None or row.authority_id != authority_id:
        raise ProblemError(404, f"{what} est introuvable dans cette collectivité.")


_FREE_IDS = "bannette.free_request_ids"


def note_free_ids(session: Session, ids: Iterable[uuid.UUID]) -> None:
    """Checks once which of the ids a push batch will create are free (one query instead of one
    ``session.get`` per request, each flushing every row written before it). Only for this
    session's transaction, under the writer lock, so nobody else can take them meanwhile."""
    wanted = set(ids)
    if wanted:
        wanted -= set(session.execute(select(Request.id).where(Request.id.in_(wanted))).scalars())
    session.info[_FREE_IDS] = wanted


def _known_free(session: Session, request_id: uuid.UUID) -> bool:
    """Whether ``note_free_ids`` found the id free; using it forgets it (a second creation
    with the same id, or one after a rollback, asks the database again)."""
    free: set[uuid.UUID] | None = session.info.get(_FREE_IDS)
    if free is None or request_id not in free:
        return False
    free.discard(request_id)
    return True


def create(
    session: Session,
    principal: Principal | None,
    args: RequestCreateArgs,
    *,
    submitter_ip: str | None = None,
    authority_checked: bool = False,
    trusted_received_at: datetime | None = None,
) -> Request:
    """Registers a request. ``principal`` is None for a citizen submission (public portal)."""
    if principal is not None:
        check_authority(principal, args.authority_id)
        authorize(principal, Action.WRITE, args.authority_id)
    elif not authority_checked:
        raise ProblemError(403, "Enregistrement anonyme refusé.")
    if not _known_free(session, args.id) and session.get(Request, args.id) is not None:
        raise id_taken()
    _linked(session, Procedure, args.procedure_id, args.authority_id, "Cette démarche")
    # A citizen merged into another since the PC queued this: the survivor takes the request.
    citizen_id = resolve_merged(session, args.citizen_id)
    _linked(session, Citizen, citizen_id, args.authority_id, "Cet usager")
    now = utcnow()
    if trusted_received_at is not None:  # seeding and imports only, never a client's word
        received_at = trusted_received_at
    elif args.channel.is_electronic or args.received_at is None:
        # Legal dates of electronic requests come from the server clock, never from the PC.
        received_at = now
    else:
        if args.received_at.tzinfo is None:
            raise ProblemError(422, "La date de réception doit préciser son fuseau horaire.")
        if args.received_at > now + CLOCK_SKEW:
            raise ProblemError(422, "La date de réception ne peut pas être dans le futur.")
        received_at = args.received_at
    row = Request(
        id=args.id,
        authority_id=args.authority_id,
        number=next_number(session, args.authority_id, received_at),
        procedure_id=args.procedure_id,
        citizen_id=citizen_id,
        channel=args.channel.value,
        subject=args.subject,
        description=args.description,
        form_fields=args.form_fields,
        status=Status.RECEIVED.value,
        received_at=received_at,
        registered_at=now,
        submitter_ip=submitter_ip,
        created_by=principal.agent_id if principal else None,
        created_at=now,
        updated_at=now,
        missing_documents=[],
    )
    session.add(stamp(session, row))
    add_event(
        session, row.authority_id, row.id, EventKind.CREATED, principal,
        {"channel": row.channel, "number": row.number},
    )
    if Channel(row.channel).is_electronic:
        add_event(
            session, row.authority_id, row.id, EventKind.REGISTRATION_RECEIPT_SENT, principal,
            {"number": row.number},
        )
    _default_service(session, principal, row)
    audit.record(session, principal, "create", "requests", row.id, row.authority_id,
                 {"channel": row.channel}, ip=submitter_ip)
    return row


def _default_service(session: Session, principal: Principal | None, row: Request) -> None:
    """A new request of a procedure that names a default service goes to that service (the
    same rule as the PCs', ``desktop.store.intake``), while the service is still active."""
    if row.procedure_id is None or row.assignee_service_id is not None:
        return
    procedure = session.get(Procedure, row.procedure_id)
    service_id = procedure.default_service_id if procedure is not None else None
    service = session.get(Service, service_id) if service_id is not None else None
    if service is None or not service.active or service.authority_id != row.authority_id:
        return
    row.assignee_service_id = service.id
    add_event(session, row.authority_id, row.id, EventKind.ASSIGNED, principal,
              {"assignee_id": None, "service_id": str(service.id), "reason": "",
               "by_default": True})


def _transition(
    session: Session, principal: Principal | None, row: Request, target: Status,
    outcome: Outcome | None = None, documents_received_on: date | None = None,
    *, letter_sent: bool = False,
) -> None:
    """Moves the request, recording the events. ``letter_sent``: a reply letter told the
    citizen, so « sans suite » is an answer too (``reply.send``)."""
    current = Status(row.status)
    if not can_transition(current, target):
        raise ProblemError(
            409,
            f"Impossible de passer une demande « {STATUS_LABELS[current]} » "
            f"à « {STATUS_LABELS[target]} ».",
        )
    if target is Status.ANSWERED:
        if outcome not in EXPRESS_OUTCOMES and not (
            letter_sent and outcome is Outcome.NO_FOLLOW_UP
        ):
            raise ProblemError(422, "Une réponse doit indiquer la décision : acceptée ou refusée.")
    elif target is Status.CLOSED:
        # Closing without an answer: no follow-up, or the implicit decision the silence gave.
        allowed = {Outcome.NO_FOLLOW_UP, *IMPLICIT_OUTCOMES}
        if current is Status.ANSWERED:
            allowed |= EXPRESS_OUTCOMES
        if outcome is not None and outcome not in allowed:
            raise ProblemError(422, "Cette décision ne convient pas à une clôture.")
    elif outcome is not None:
        raise ProblemError(422, "Une décision ne s'indique qu'à la réponse ou à la clôture.")
    if current is Status.AWAITING_DOCUMENTS and target is not Status.CLOSED:
        # The agent says on which day the documents arrived (the clock restarts from it);
        # a bare status change means « today ».
        received_on = documents_received_on or utcnow().date()
        add_event(session, row.authority_id, row.id, EventKind.MISSING_DOCUMENTS_RECEIVED,
                  principal, {"documents": list(row.missing_documents or []),
                              "received_on": received_on.isoformat()})
    row.status = target.value
    if outcome is not None:
        row.outcome = outcome.value
        add_event(session, row.authority_id, row.id, EventKind.OUTCOME_SET, principal,
                  {"outcome": outcome.value})
    add_event(session, row.authority_id, row.id, EventKind.STATUS_CHANGED, principal,
              {"from": current.value, "to": target.value})


#: The life-cycle move with its events, for the services of the reply flow.
transition = _transition


def set_status(
    session: Session, principal: Principal, args: RequestSetStatusArgs, base_version: int | None
) -> Change:
    row = load(session, principal, args.request_id)
    authorize(principal, Action.WRITE, row.authority_id)
    if row.status != args.from_status.value:
        # Someone else moved the request since the client saw it: the server keeps its status.
        return Change(Entity.REQUESTS, row, ["status"])
    if args.status is Status.AT_PARAPHEUR:
        authorize(principal, Action.SEND_TO_PARAPHEUR, row.authority_id)
    _transition(session, principal, row, args.status, args.outcome)
    stamp(session, row)
    audit.record(session, principal, "set_status", "requests", row.id, row.authority_id,
                 {"status": row.status})
    return Change(Entity.REQUESTS, row)


def acknowledge(
    session: Session, principal: Principal, args: RequestAcknowledgeArgs,
    base_version: int | None,
) -> Change:
    row = load(session, principal, args.request_id)
    authorize(principal, Action.WRITE, row.authority_id)
    if row.acknowledged_at is not None:
        return Change(Entity.REQUESTS, row, ["acknowledged_at"])
    if Status(row.status) not in OPEN_STATUSES:
        raise ProblemError(409, "La demande est déjà traitée : elle ne peut plus être accusée.")
    data: dict[str, Any] = {}
    at = utcnow()
    if args.sent_on is not None:
        # The day the letter left, as the agent records it (« Marquer comme envoyé », perhaps
        # days later from a PC that was offline): a legal fact, never in the future.
        if args.sent_on > _latest_local_day():
            raise ProblemError(422, "L'accusé de réception ne peut pas être daté du futur.")
        if args.sent_on < at.date():
            at = day_instant(args.sent_on)
        data["sent_on"] = args.sent_on.isoformat()
    if args.mode is not None:
        data["mode"] = args.mode.value
    if row.status == Status.RECEIVED.value:
        _transition(session, principal, row, Status.ACKNOWLEDGED)
    # Later (documents already asked, reply being drafted), the acknowledgement is late but
    # still owed: it is dated without moving the request backwards.
    row.acknowledged_at = at
    add_event(session, row.authority_id, row.id, EventKind.ACKNOWLEDGEMENT_SENT, principal,
              data, at=at)
    stamp(session, row)
    audit.record(session, principal, "acknowledge", "requests", row.id, row.authority_id)
    return Change(Entity.REQUESTS, row)


def request_documents(
    session: Session, principal: Principal, args: RequestDocumentsArgs,
    base_version: int | None,
) -> Change:
    """L114-5: asks for missing documents; the decision clock restarts when they arrive."""
    row = load(session, principal, args.request_id)
    authorize(principal, Action.WRITE, row.authority_id)
    if row.status != Status.AWAITING_DOCUMENTS.value:
        _transition(session, principal, row, Status.AWAITING_DOCUMENTS)
    row.missing_documents = list(args.documents)
    data: dict[str, Any] = {"documents": list(args.documents)}
    if args.asked_on is not None:
        if args.asked_on > _latest_local_day():
            raise ProblemError(422, "La demande de pièces ne peut pas être datée du futur.")
        data["asked_on"] = args.asked_on.isoformat()
    if args.deadline is not None:
        data["deadline"] = args.deadline.isoformat()
    add_event(session, row.authority_id, row.id, EventKind.MISSING_DOCUMENTS_REQUESTED,
              principal, data)
    stamp(session, row)
    audit.record(session, principal, "request_documents", "requests", row.id, row.authority_id)
    return Change(Entity.REQUESTS, row)


def _latest_local_day() -> date:
    """The latest calendar day a PC may be living (its day may already be tomorrow in UTC;
    France is UTC+1/+2, overseas communes up to UTC+11)."""
    return (utcnow() + timedelta(hours=14)).date()


def documents_received(
    session: Session, principal: Principal, args: RequestDocumentsReceivedArgs,
    base_version: int | None,
) -> Change:
    """L114-5: the documents arrived on the day the agent gives; instruction resumes."""
    row = load(session, principal, args.request_id)
    authorize(principal, Action.WRITE, row.authority_id)
    if row.status != Status.AWAITING_DOCUMENTS.value:
        raise ProblemError(409, "Aucune pièce manquante n'est attendue pour cette demande.")
    if args.received_on > _latest_local_day():
        raise ProblemError(422, "La date de réception des pièces ne peut pas être future.")
    _transition(session, principal, row, Status.ACKNOWLEDGED,
                documents_received_on=args.received_on)
    stamp(session, row)
    audit.record(session, principal, "documents_received", "requests", row.id, row.authority_id)
    return Change(Entity.REQUESTS, row)


def implicit_decision(
    session: Session, principal: Principal, args: RequestImplicitDecisionArgs,
    base_version: int | None,
) -> Change:
    """Records the decision the silence gave (computed by the PC's deadline engine).

    Two PCs reporting the same decision is the normal case, not a conflict: the second is a
    no-op. A different outcome already on the server (an express answer, or the other kind)
    is a conflict the agent settles."""
    row = load(session, principal, args.request_id)
    authorize(principal, Action.WRITE, row.authority_id)
    if row.outcome == args.outcome.value:
        return Change(Entity.REQUESTS, row)
    if row.outcome is not None:
        return Change(Entity.REQUESTS, row, ["outcome"])
    if Status(row.status) not in OPEN_STATUSES:
        raise ProblemError(409, "Une demande déjà répondue ou close n'a pas de décision implicite.")
    if args.arose_on > _latest_local_day():
        raise ProblemError(422, "Une décision implicite ne peut pas naître dans le futur.")
    row.outcome = args.outcome.value
    add_event(session, row.authority_id, row.id, EventKind.OUTCOME_SET, principal,
              {"outcome": args.outcome.value, "implicit": True,
               "arose_on": args.arose_on.isoformat()})
    stamp(session, row)
    audit.record(session, principal, "implicit_decision", "requests", row.id, row.authority_id,
                 {"outcome": row.outcome})
    return Change(Entity.REQUESTS, row)


def assign(
    session: Session, principal: Principal, args: RequestAssignArgs, base_version: int | None
) -> Change:
    """Assigns to an agent and/or a service of the request's commune, with the reason in the
    history. An agent who left (disabled) is refused by name of the cause; an agent or a
    service of another commune is « introuvable », as if it did not exist."""
    row = load(session, principal, args.request_id)
    authorize(principal, Action.REASSIGN, row.authority_id)
    if (
        base_version is not None
        and row.version > base_version
        and (row.assignee_id != args.previous_assignee_id
             or row.assignee_service_id != args.previous_service_id)
    ):
        changed = [name for name, seen in (("assignee_id", args.previous_assignee_id),
                                           ("assignee_service_id", args.previous_service_id))
                   if getattr(row, name) != seen]
        return Change(Entity.REQUESTS, row, changed)
    if args.assignee_id is not None:
        check_assignable_agent(session, args.assignee_id, row.authority_id)
    if args.service_id is not None:
        check_assignable_service(session, args.service_id, row.authority_id)
    row.assignee_id = args.assignee_id
    row.assignee_service_id = args.service_id
    add_event(session, row.authority_id, row.id, EventKind.ASSIGNED, principal,
              {"assignee_id": jsonable(args.assignee_id),
               "service_id": jsonable(args.service_id), "reason": args.reason})
    stamp(session, row)
    audit.record(session, principal, "assign", "requests", row.id, row.authority_id)
    return Change(Entity.REQUESTS, row)


def check_assignable_agent(
    session: Session, agent_id: uuid.UUID, authority_id: uuid.UUID
) -> None:
    found = session.execute(
        select(Agent.active)
        .join(AgentAuthority, AgentAuthority.agent_id == Agent.id)
        .where(Agent.id == agent_id, AgentAuthority.authority_id == authority_id)
    ).first()
    if found is None:
        raise ProblemError(404, "Cet agent est introuvable dans cette collectivité.")
    if not found[0]:
        raise ProblemError(422, AGENT_LEFT)


def check_assignable_service(
    session: Session, service_id: uuid.UUID, authority_id: uuid.UUID
) -> None:
    service = session.get(Service, service_id)
    if service is None or service.authority_id != authority_id:
        raise ProblemError(404, "Ce service est introuvable dans cette collectivité.")
    if not service.active:
        raise ProblemError(422, f"Le service « {service.name} » a été supprimé : "
                                "choisissez-en un autre.")


class _Editable(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=20000)
    procedure_id: uuid.UUID | None = None
    citizen_id: uuid.UUID | None = None
    form_fields: BoundedJson | None = None
    received_at: LegalInstant | None = None


def update_fields(
    session: Session, principal: Principal, args: RequestUpdateFieldsArgs,
    base_version: int | None,
) -> Change:
    """Field-level merge: fields nobody else touched are applied; a field changed on the server
    since the client read it (``previous`` differs) keeps the server's value and is reported."""
    row = load(session, principal, args.request_id)
    authorize(principal, Action.WRITE, row.authority_id)
    try:
        values = _Editable.model_validate(args.fields)
    except ValidationError as exc:
        names = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}))
        raise ProblemError(422, f"Valeurs invalides pour : {names}.") from exc
    conflicts: list[str] = []
    changed: dict[str, Any] = {}
    # A base the server never issued (from the future) proves nothing about what the client saw:
    # every field it would change is a conflict, never applied over a concurrent edit.
    from_future = base_version is not None and base_version > current_version(session)
    for name in args.fields:
        new = getattr(values, name)
        current = getattr(row, name)
        if from_future:
            if jsonable(current) != jsonable(new):
                conflicts.append(name)
            continue
        maybe_stale = base_version is None or row.version > base_version
        if maybe_stale and name in args.previous and not same_value(current, args.previous[name]):
            if jsonable(current) != jsonable(new):
                conflicts.append(name)
            continue
        if name in ("subject", "form_fields") and new is None:
            raise ProblemError(422, f"Le champ {name} ne peut pas être vide.")
        if name == "procedure_id":
            _linked(session, Procedure, new, row.authority_id, "Cette démarche")
        if name == "citizen_id":
            new = resolve_merged(session, new)
            _linked(session, Citizen, new, row.authority_id, "Cet usager")
        if name == "received_at":
            if Channel(row.channel).is_electronic:
                raise ProblemError(
                    422, "La date de réception d'une demande électronique est fixée par le serveur."
                )
            if new is None or new.tzinfo is None or new > utcnow() + CLOCK_SKEW:
                raise ProblemError(422, "Date de réception invalide.")
        if jsonable(current) != jsonable(new):
            changed[name] = (current, new)
            setattr(row, name, new if name != "description" else (new or ""))
    if changed:
        add_event(session, row.authority_id, row.id, EventKind.FIELD_CHANGED, principal,
                  {"fields": sorted(changed),
                   "changes": {name: [jsonable(old), jsonable(new)]
                               for name, (old, new) in sorted(changed.items())}})
        stamp(session, row)
        audit.record(session, principal, "update", "requests", row.id, row.authority_id,
                     {"fields": sorted(changed)})
    return Change(Entity.REQUESTS, row, conflicts)


def add_note(
    session: Session, principal: Principal, args: RequestNoteArgs, base_version: int | None
) -> Change:
    row = load(session, principal, args.request_id)
    authorize(principal, Action.WRITE, row.authority_id)
    if session.get(Event, args.id) is not None:
        raise id_taken()
    event = add_event(session, row.authority_id, row.id, EventKind.NOTE, principal,
                      {"text": args.text}, event_id=args.id)
    audit.record(session, principal, "note", "requests", row.id, row.authority_id)
    return Change(Entity.EVENTS, event)


def delete_request(
    session: Session, principal: Principal, args: RequestDeleteArgs, base_version: int | None
) -> Change:
    """Deletes a request (duplicate, spam) with its messages, attachments and history; every
    removed row leaves a tombstone so clients drop it too."""
    row = load(session, principal, args.request_id)
    authorize(principal, Action.DELETE, row.authority_id)
    children: list[tuple[Entity, type[Any]]] = [
        (Entity.MESSAGES, Message), (Entity.ATTACHMENTS, Attachment), (Entity.EVENTS, Event),
    ]
    for entity, model in children:
        ids = session.execute(select(model.id).where(model.request_id == row.id)).scalars().all()
        for child_id in ids:
            tombstone(session, entity, child_id, row.authority_id, principal)
        session.execute(delete(model).where(model.request_id == row.id))
    linked_models: tuple[Any, ...] = (PhoneCall, ParapheurFolder)
    for model in linked_models:
        linked = session.execute(select(model).where(model.request_id == row.id)).scalars()
        for other in linked:
            other.request_id = None
            stamp(session, other)
    tombstone(session, Entity.REQUESTS, row.id, row.authority_id, principal)
    audit.record(session, principal, "delete", "requests", row.id, row.authority_id,
                 {"number": row.number})
    session.delete(row)
    return Change(Entity.REQUESTS, row)
