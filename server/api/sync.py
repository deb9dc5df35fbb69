"""The sync contract: push (mutations), pull (changes since a cursor), meta (epoch, counts)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import Response

from server import audit, faults
from server.access import scope
from server.api.deps import DbDep, PrincipalDep, RuntimeDep
from server.db.models import SyncClient
from server.db.session import current_epoch, current_version
from server.db.types import utcnow
from server.problems import problem_responses
from server.services import pull as pull_service
from server.services import push as push_service
from server.services import rgpd
from sync.protocol.wire import MetaResponse, PullRequest, PullResponse, PushRequest, PushResponse

router = APIRouter(prefix="/sync", tags=["synchronisation"])

@router.post("/push", response_model=PushResponse, responses=problem_responses(401, 403, 422))
def push(
    body: PushRequest, principal: PrincipalDep, db: DbDep, runtime: RuntimeDep
) -> PushResponse:
    """Applies each mutation once, in order; the answer lists one result per mutation."""
    response = push_service.push(db, principal, body, runtime)
    rgpd.forget_files(db, runtime)  # files of citizens erased by this batch, once committed
    faults.pause(faults.AFTER_PUSH_ENV, "push committed")
    return response


@router.post("/pull", response_model=PullResponse, responses=problem_responses(401, 404, 422))
def pull(body: PullRequest, principal: PrincipalDep, db: DbDep) -> Response:
    """Rows changed after ``cursor`` in the agent's authorities, oldest first.

    The page is serialised here, once: letting FastAPI re-validate thousands of rows against
    ``response_model`` would double the cost of the hottest endpoint."""
    authorities = scope(principal, body.authority_ids)
    with db.read() as session:
        page, citizens = pull_service.pull(session, authorities, body.cursor, body.limit)
    if citizens:
        with db.write() as session:
            audit.record_citizen_reads(session, principal, citizens, "sync")
    return Response(pull_service.encode(page), media_type="application/json")


@router.get("/meta", response_model=MetaResponse, responses=problem_responses(401, 404, 422))
def meta(
    principal: PrincipalDep, db: DbDep, client_id: uuid.UUID | None = None
) -> MetaResponse:
    """The client compares ``epoch`` and ``counts`` with its own to decide on a re-bootstrap."""
    authorities = scope(principal)
    with db.read() as session:
        last = None
        if client_id is not None:
            client = session.get(SyncClient, client_id)
            if client is not None and client.agent_id == principal.agent_id:
                last = client.last_mutation_id
        return MetaResponse(
            epoch=current_epoch(session),
            max_version=current_version(session),
            counts=pull_service.counts(session, authorities),
            server_time=utcnow(),
            last_mutation_id=last,
        )
