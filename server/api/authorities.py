"""Authorities of the agent, their agents, and (for administrators) their audit trail."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel
from sqlalchemy import select

from server.access import Action, authorize, check_authority, scope
from server.api.common import Page, paginate
from server.api.deps import BlobsDep, DbDep, PrincipalDep
from server.db.models import Agent, AgentAuthority, AuditEntry, Authority, Blob
from server.problems import ProblemError, problem_responses
from server.services.agent_rows import agent_row
from sync.protocol.vocabulary import Role
from sync.protocol.wire import AgentRow, AuthorityRow

router = APIRouter(tags=["collectivités"])


@router.get("/authorities", response_model=list[AuthorityRow], responses=problem_responses(401))
def list_authorities(principal: PrincipalDep, db: DbDep) -> list[AuthorityRow]:
    with db.read() as session:
        rows = session.execute(
            select(Authority).where(Authority.id.in_(scope(principal))).order_by(Authority.name)
        ).scalars()
        return [AuthorityRow.model_validate(r) for r in rows]


@router.get(
    "/authorities/{authority_id}", response_model=AuthorityRow,
    responses=problem_responses(401, 404, 422),
)
def get_authority(authority_id: uuid.UUID, principal: PrincipalDep, db: DbDep) -> AuthorityRow:
    check_authority(principal, authority_id)
    with db.read() as session:
        return AuthorityRow.model_validate(session.get(Authority, authority_id))


@router.get(
    "/authorities/{authority_id}/logo", response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/jpeg": {}},
                     "description": "Le logo de la commune"},
               **problem_responses(401, 404, 422)},
)
def get_logo(
    authority_id: uuid.UUID, principal: PrincipalDep, db: DbDep, blobs: BlobsDep
) -> Response:
    """The commune's logo (``AuthorityRow.logo_sha256``), for the letterhead on every PC."""
    check_authority(principal, authority_id)
    with db.read() as session:
        authority = session.get(Authority, authority_id)
        sha256 = authority.logo_sha256 if authority is not None else None
        blob = session.get(Blob, (sha256, authority_id)) if sha256 else None
        if blob is None:
            raise ProblemError(404, "Cette commune n'a pas de logo.")
        content_type = blob.content_type
    return Response(blobs.read(blob.sha256), media_type=content_type,
                    headers={"ETag": f'"{blob.sha256}"', "X-Content-Type-Options": "nosniff"})


@router.get(
    "/authorities/{authority_id}/agents", response_model=list[AgentRow],
    responses=problem_responses(401, 404, 422),
)
def list_agents(authority_id: uuid.UUID, principal: PrincipalDep, db: DbDep) -> list[AgentRow]:
    check_authority(principal, authority_id)
    with db.read() as session:
        rows = session.execute(
            select(Agent)
            .join(AgentAuthority, AgentAuthority.agent_id == Agent.id)
            .where(AgentAuthority.authority_id == authority_id)
            .order_by(Agent.display_name)
        ).scalars()
        admin = principal.role_in(authority_id) is Role.ADMIN
        return [agent_row(r, principal.authority_ids, for_admin=admin) for r in rows]


class AuditRow(BaseModel):
    model_config = {"from_attributes": True}
    id: uuid.UUID
    at: datetime
    agent_id: uuid.UUID | None
    ip: str | None
    action: str
    entity: str
    entity_id: uuid.UUID | None
    authority_id: uuid.UUID | None
    detail: dict[str, Any]


@router.get(
    "/authorities/{authority_id}/audit", response_model=Page[AuditRow],
    responses=problem_responses(401, 403, 404, 422),
)
def audit_log(
    authority_id: uuid.UUID,
    principal: PrincipalDep,
    db: DbDep,
    entity_id: uuid.UUID | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10**9),
) -> Page[AuditRow]:
    """Who read or changed what (RGPD): filter on ``entity_id`` to answer a citizen."""
    check_authority(principal, authority_id)
    authorize(principal, Action.AUDIT, authority_id)
    with db.read() as session:
        stmt = select(AuditEntry).where(AuditEntry.authority_id == authority_id)
        if entity_id is not None:
            stmt = stmt.where(AuditEntry.entity_id == entity_id)
        return paginate(session, stmt.order_by(AuditEntry.at.desc()), AuditRow, limit, offset)
