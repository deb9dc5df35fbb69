"""Idempotent push: a batch in one transaction, with the client's last mutation id and the
answer given to each mutation, so a replayed or out-of-order mutation is answered without being
re-applied. A refused mutation leaves nothing behind: it runs in its own savepoint, or, for the
mutations that check everything before writing (``CHECKED_BEFORE_WRITING``), without one; any
surprise in such a batch replays it with one savepoint per mutation."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from server.access import Principal
from server.db.database import Database
from server.db.models import MutationLog, SyncClient
from server.db.session import allocated_versions, current_version
from server.db.types import utcnow
from server.problems import ProblemError, field_reason
from server.services import (
    attachments,
    citizens,
    commune_settings,
    messages,
    opinions,
    parapheur_flow,
    replies,
    requests,
    rgpd,
    teams,
)
from server.services.common import Change, to_wire
from server.services.numbering import batch_numbers, begin_batch, end_batch
from server.services.runtime import Runtime
from sync.protocol.wire import (
    MUTATION_ARGS,
    Entity,
    Mutation,
    MutationName,
    MutationOutcome,
    MutationResult,
    PushRequest,
    PushResponse,
)

log = logging.getLogger(__name__)

Handler = Callable[[Session, Principal, Any, int | None], Change]

HANDLERS: dict[MutationName, Handler] = {
    MutationName.REQUEST_CREATE: lambda s, p, a, b: Change(
        Entity.REQUESTS, requests.create(s, p, a)
    ),
    MutationName.REQUEST_SET_STATUS: requests.set_status,
    MutationName.REQUEST_ACKNOWLEDGE: requests.acknowledge,
    MutationName.REQUEST_REQUEST_DOCUMENTS: requests.request_documents,
    MutationName.REQUEST_DOCUMENTS_RECEIVED: requests.documents_received,
    MutationName.REQUEST_IMPLICIT_DECISION: requests.implicit_decision,
    MutationName.REQUEST_ASSIGN: requests.assign,
    MutationName.REQUEST_UPDATE_FIELDS: requests.update_fields,
    MutationName.REQUEST_ADD_NOTE: requests.add_note,
    MutationName.REQUEST_DELETE: requests.delete_request,
    MutationName.MESSAGE_ADD: messages.add_message,
    MutationName.CITIZEN_UPSERT: citizens.upsert,
    MutationName.CITIZEN_DELETE: citizens.delete,
    MutationName.PHONE_CALL_ADD: messages.add_phone_call,
    MutationName.ATTACHMENT_LINK: attachments.link,
    MutationName.ATTACHMENT_UNLINK: attachments.unlink,
}


#: Handlers that also need the runtime (blob store, mail sender): the reply flow.
RuntimeHandler = Callable[[Session, Principal, Any, int | None, Runtime], Change]
RUNTIME_HANDLERS: dict[MutationName, RuntimeHandler] = {
    MutationName.PARAPHEUR_SEND: parapheur_flow.send,
    MutationName.PARAPHEUR_DECIDE: parapheur_flow.decide_mutation,
    MutationName.REPLY_SEND: replies.send_reply,
    MutationName.CITIZEN_ERASE: rgpd.erase,
}
HANDLERS[MutationName.REQUEST_ASK_OPINION] = opinions.ask
HANDLERS[MutationName.REQUEST_GIVE_OPINION] = opinions.give
HANDLERS[MutationName.SERVICE_SAVE] = teams.save
HANDLERS[MutationName.CITIZEN_MERGE] = citizens.merge
HANDLERS[MutationName.AUDIT_READ] = rgpd.record_read
HANDLERS[MutationName.AUTHORITY_UPDATE] = commune_settings.update_authority
HANDLERS[MutationName.PROCEDURE_UPSERT] = commune_settings.upsert_procedure
HANDLERS[MutationName.PROCEDURE_RETIRE] = commune_settings.retire_procedure
assert set(HANDLERS) | set(RUNTIME_HANDLERS) == set(MUTATION_ARGS), "a mutation lacks a handler"
assert not set(HANDLERS) & set(RUNTIME_HANDLERS)


def _validation_reason(exc: ValidationError) -> str:
    reasons = [field_reason(dict(e)) for e in exc.errors()]
    return "Données de la modification invalides : " + "; ".join(
        f"{p.name} : {p.reason}" for p in reasons[:5]) + "."


def _run(session: Session, principal: Principal, mutation: Mutation, args: BaseModel,
         runtime: Runtime | None) -> Change:
    if mutation.name in RUNTIME_HANDLERS:
        if runtime is None:
            raise ProblemError(503, "Ce service n'est pas disponible sur ce serveur.")
        return RUNTIME_HANDLERS[mutation.name](session, principal, args, mutation.base_version,
                                               runtime)
    return HANDLERS[mutation.name](session, principal, args, mutation.base_version)


#: Mutations whose handler makes every check (and raises every refusal) before its first write.
#: In a batch they run without a savepoint of their own: a savepoint flushes the session and
#: costs a round trip each way, which made a push of 100 creations ten times slower than the
#: same rows written together. Any surprise during such a batch (an error that is not a
#: refusal, a failed flush) replays the whole batch with one savepoint per mutation.
CHECKED_BEFORE_WRITING: frozenset[MutationName] = frozenset({MutationName.REQUEST_CREATE})


class _RetryCarefully(Exception):
    """A batch run without savepoints met something it cannot undo alone: run it again."""


def _rejected(mutation: Mutation, reason: str) -> MutationResult:
    return MutationResult(mutation_id=mutation.mutation_id, result=MutationOutcome.REJECTED,
                          reason=reason)


def _outcome(mutation: Mutation, change: Change) -> MutationResult:
    if change.is_conflict:
        return MutationResult(
            mutation_id=mutation.mutation_id, result=MutationOutcome.CONFLICT,
            reason=change.reason or "La fiche a été modifiée entre-temps sur le serveur : "
            "sa version est conservée pour " + ", ".join(change.conflicting_fields) + ".",
            entity=change.entity, conflicting_fields=change.conflicting_fields,
            server_row=to_wire(change.entity, change.row),
        )
    return MutationResult(
        mutation_id=mutation.mutation_id, result=MutationOutcome.APPLIED, entity=change.entity
    )


INTERNAL_ERROR = "Erreur interne du serveur : la modification n'a pas été appliquée."


def _apply(session: Session, principal: Principal, mutation: Mutation,
           runtime: Runtime | None = None, *, careful: bool = True) -> MutationResult:
    try:
        args: BaseModel = mutation.parsed_args()
    except ValidationError as exc:
        return _rejected(mutation, _validation_reason(exc))
    if not careful and mutation.name in CHECKED_BEFORE_WRITING:
        return _apply_unguarded(session, principal, mutation, args, runtime)
    if not careful:
        try:
            session.flush()  # what the savepoint would flush: a failure is the batch's own
        except Exception as exc:
            raise _RetryCarefully from exc
    numbers = batch_numbers(session)
    mark = numbers.mark() if numbers is not None else None
    savepoint = session.begin_nested()
    try:
        change = _run(session, principal, mutation, args, runtime)
        session.flush()
    except Exception as exc:
        savepoint.rollback()
        if numbers is not None and mark is not None:
            numbers.restore(mark)  # the numbers it took are given back: no gap
        if isinstance(exc, ProblemError):
            return _rejected(mutation, exc.detail)
        log.exception("mutation %s failed", mutation.name)
        return _rejected(mutation, INTERNAL_ERROR)
    savepoint.commit()
    return _outcome(mutation, change)


def _footprint(session: Session) -> tuple[Any, ...]:
    """What a mutation's writes move: versions handed out, numbers, objects added."""
    numbers = batch_numbers(session)
    return (allocated_versions(session), numbers.mark() if numbers is not None else None,
            session.info.get(_ATTACHED, 0))


def _apply_unguarded(session: Session, principal: Principal, mutation: Mutation,
                     args: BaseModel, runtime: Runtime | None) -> MutationResult:
    """A mutation of ``CHECKED_BEFORE_WRITING`` without a savepoint: its refusal comes before
    any write (verified: nothing allocated nor added), anything else replays the batch."""
    before = _footprint(session)
    try:
        change = _run(session, principal, mutation, args, runtime)
    except ProblemError as exc:
        if _footprint(session) != before:
            raise _RetryCarefully(f"{mutation.name} refused after writing") from exc
        return _rejected(mutation, exc.detail)
    except Exception as exc:
        raise _RetryCarefully(f"{mutation.name} failed") from exc
    return _outcome(mutation, change)


_ATTACHED = "bannette.attached"


def _count_attach(session: Session, _instance: object) -> None:
    session.info[_ATTACHED] = session.info.get(_ATTACHED, 0) + 1


def push(db: Database, principal: Principal, body: PushRequest,
         runtime: Runtime | None = None) -> PushResponse:
    results: list[MutationResult] = []
    last_id = 0
    if body.mutations:
        # Batches that reach an outside service (parapheur) before commit are never replayed.
        careful = any(m.name in RUNTIME_HANDLERS for m in body.mutations)
        if not careful:
            try:
                results, last_id = _push_batch(db, principal, body, runtime, careful=False)
            except _RetryCarefully:
                log.info("push batch replayed with one savepoint per mutation", exc_info=True)
                careful = True
        if careful:
            results, last_id = _push_batch(db, principal, body, runtime, careful=True)
    if runtime is not None and body.mutations:
        runtime.after_commit()
    with db.read() as session:
        if not body.mutations:
            client = session.get(SyncClient, body.client_id)
            if client is not None and client.agent_id == principal.agent_id:
                last_id = client.last_mutation_id
        version = current_version(session)
    return PushResponse(
        client_id=body.client_id, last_mutation_id=last_id, results=results, version=version
    )


def _creation_ids(body: PushRequest) -> list[uuid.UUID]:
    ids = []
    for mutation in body.mutations:
        if mutation.name is MutationName.REQUEST_CREATE:
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                ids.append(uuid.UUID(str(mutation.args.get("id"))))
    return ids


def _push_batch(db: Database, principal: Principal, body: PushRequest,
                runtime: Runtime | None, *, careful: bool) -> tuple[list[MutationResult], int]:
    """One transaction for the batch: each mutation keeps its own result (a refused one leaves
    nothing behind, by its savepoint or, ``careful=False``, by checking before writing), and the
    rows, the mutation log and the client's last id commit together or not at all (then the
    client resends the whole batch and idempotency answers it the same)."""
    results: list[MutationResult] = []
    last_id = 0
    with db.write() as session:
        client = session.get(SyncClient, body.client_id)
        if client is None:
            client = SyncClient(client_id=body.client_id, agent_id=principal.agent_id,
                                last_mutation_id=0)
            session.add(client)
        elif client.agent_id != principal.agent_id:
            raise ProblemError(
                403, "Ce poste est enregistré pour un autre agent : reconnectez le poste."
            )
        begin_batch(session)
        try:
            requests.note_free_ids(session, _creation_ids(body))
            if not careful:
                event.listen(session, "before_attach", _count_attach)
            # Answers already given, read at once (a batch resent after a lost answer is all
            # replays), and those of this batch, written at once at its end.
            answered = _answers(session, body, client.last_mutation_id)
            log_rows: list[dict[str, Any]] = []
            for mutation in body.mutations:
                if mutation.mutation_id <= client.last_mutation_id:
                    results.append(_replayed(mutation, answered.get(mutation.mutation_id)))
                    last_id = client.last_mutation_id
                    continue
                result = _apply(session, principal, mutation, runtime, careful=careful)
                client.last_mutation_id = mutation.mutation_id
                client.updated_at = utcnow()
                answered[mutation.mutation_id] = (result.result.value, result.reason)
                log_rows.append({
                    "client_id": body.client_id, "mutation_id": mutation.mutation_id,
                    "name": mutation.name.value, "result": result.result.value,
                    "reason": result.reason, "applied_at": utcnow(),
                })
                results.append(result)
                last_id = mutation.mutation_id
            end_batch(session)
            session.flush()
            if log_rows:
                session.execute(insert(MutationLog), log_rows)
        except (ProblemError, _RetryCarefully):
            raise
        except Exception as exc:
            if careful:
                raise
            raise _RetryCarefully from exc  # e.g. the rows written together break a constraint
    return results, last_id


Answer = tuple[str, str | None]


def _answers(session: Session, body: PushRequest, last_id: int) -> dict[int, Answer]:
    """The logged answers (result, reason) of the batch's mutations the server already had."""
    ids = [m.mutation_id for m in body.mutations if m.mutation_id <= last_id]
    if not ids:
        return {}
    rows = session.execute(
        select(MutationLog.mutation_id, MutationLog.result, MutationLog.reason).where(
            MutationLog.client_id == body.client_id, MutationLog.mutation_id.in_(set(ids))))
    return {int(row.mutation_id): (row.result, row.reason) for row in rows}


def _replayed(mutation: Mutation, answer: Answer | None) -> MutationResult:
    if answer is None:
        return MutationResult(
            mutation_id=mutation.mutation_id, result=MutationOutcome.REJECTED, replayed=True,
            reason="Modification hors séquence : un numéro plus récent a déjà été traité.",
        )
    return MutationResult(
        mutation_id=mutation.mutation_id, result=MutationOutcome(answer[0]),
        reason=answer[1], replayed=True,
    )
