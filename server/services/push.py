"""Idempotent push: a batch in one transaction, each mutation in its own savepoint, with the
client's last mutation id and the answer given, so a replayed or out-of-order mutation is
answered without being re-applied."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from server.access import Principal
from server.db.database import Database
from server.db.models import MutationLog, SyncClient
from server.db.session import current_version
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


def _apply(session: Session, principal: Principal, mutation: Mutation,
           runtime: Runtime | None = None) -> MutationResult:
    try:
        args: BaseModel = mutation.parsed_args()
    except ValidationError as exc:
        return MutationResult(
            mutation_id=mutation.mutation_id, result=MutationOutcome.REJECTED,
            reason=_validation_reason(exc),
        )
    savepoint = session.begin_nested()
    try:
        change = _run(session, principal, mutation, args, runtime)
        session.flush()
    except ProblemError as exc:
        savepoint.rollback()
        return MutationResult(
            mutation_id=mutation.mutation_id, result=MutationOutcome.REJECTED, reason=exc.detail
        )
    except Exception:
        savepoint.rollback()
        log.exception("mutation %s failed", mutation.name)
        return MutationResult(
            mutation_id=mutation.mutation_id, result=MutationOutcome.REJECTED,
            reason="Erreur interne du serveur : la modification n'a pas été appliquée.",
        )
    savepoint.commit()
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


def push(db: Database, principal: Principal, body: PushRequest,
         runtime: Runtime | None = None) -> PushResponse:
    results: list[MutationResult] = []
    last_id = 0
    if body.mutations:
        # One transaction for the batch, one savepoint per mutation (in ``_apply``): a failed
        # mutation rolls back alone, and its result, the rows of the others, the mutation log
        # and the client's last id all commit together, or not at all (then the client resends
        # the whole batch and idempotency answers it the same).
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
            for mutation in body.mutations:
                if mutation.mutation_id <= client.last_mutation_id:
                    results.append(_replayed(session, mutation))
                    last_id = client.last_mutation_id
                    continue
                result = _apply(session, principal, mutation, runtime)
                client.last_mutation_id = mutation.mutation_id
                client.updated_at = utcnow()
                session.add(
                    MutationLog(
                        client_id=body.client_id, mutation_id=mutation.mutation_id,
                        name=mutation.name.value, result=result.result.value,
                        reason=result.reason, applied_at=utcnow(),
                    )
                )
                results.append(result)
                last_id = mutation.mutation_id
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


def _replayed(session: Session, mutation: Mutation) -> MutationResult:
    logged = session.get(MutationLog, (mutation.client_id, mutation.mutation_id))
    if logged is None:
        return MutationResult(
            mutation_id=mutation.mutation_id, result=MutationOutcome.REJECTED, replayed=True,
            reason="Modification hors séquence : un numéro plus récent a déjà été traité.",
        )
    return MutationResult(
        mutation_id=mutation.mutation_id, result=MutationOutcome(logged.result),
        reason=logged.reason, replayed=True,
    )
