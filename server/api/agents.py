"""Agent administration by an administrator, within their own authorities."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from server import audit
from server.access import Action, Principal, authorize, check_authority
from server.api.deps import DbDep, PrincipalDep
from server.auth import tokens
from server.auth.passwords import Passwords, policy_message
from server.db.models import Agent, AgentAuthority
from server.problems import ProblemError, problem_responses
from server.services.common import stamp
from sync.protocol.vocabulary import Role
from sync.protocol.wire import AgentRow

router = APIRouter(tags=["agents"])
ERRORS = problem_responses(401, 403, 404, 409, 422)


class AgentCreate(BaseModel):
    model_config = {"extra": "forbid"}
    login: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{1,99}$")]
    display_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    role: Role
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    authority_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)


class AgentUpdate(BaseModel):
    model_config = {"extra": "forbid"}
    active: bool | None = None
    role: Role | None = None
    display_name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


def _load(session: Session, principal: Principal, agent_id: uuid.UUID) -> Agent:
    agent = session.get(Agent, agent_id)
    # An agent is visible only when they share an authority with the administrator.
    if agent is None or not set(agent.authority_ids) & principal.authority_ids:
        raise ProblemError(404, "Cet agent est introuvable ou ne relève pas de vos collectivités.")
    return agent


@router.post("/agents", response_model=AgentRow, status_code=status.HTTP_201_CREATED,
             responses=ERRORS)
def create_agent(body: AgentCreate, request: Request, principal: PrincipalDep,
                 db: DbDep) -> AgentRow:
    for authority_id in body.authority_ids:
        check_authority(principal, authority_id)
    authorize(principal, Action.AUDIT)  # administrators only
    refusal = policy_message(body.password)
    if refusal:
        raise ProblemError(422, refusal)
    passwords: Passwords = request.app.state.passwords
    with db.write() as session:
        if session.execute(select(Agent.id).where(Agent.login == body.login)).first():
            raise ProblemError(409, "Cet identifiant est déjà pris.")
        agent = Agent(id=uuid.uuid4(), login=body.login, display_name=body.display_name,
                      email=body.email, role=body.role.value, active=True,
                      password_hash=passwords.hash(body.password), must_change_password=True)
        agent.memberships = [AgentAuthority(authority_id=a) for a in set(body.authority_ids)]
        session.add(stamp(session, agent))
        for authority_id in set(body.authority_ids):
            audit.record(session, principal, "create", "agents", agent.id, authority_id)
        session.flush()
        return AgentRow.model_validate(agent)


@router.patch("/agents/{agent_id}", response_model=AgentRow, responses=ERRORS)
def update_agent(agent_id: uuid.UUID, body: AgentUpdate, principal: PrincipalDep,
                 db: DbDep) -> AgentRow:
    """Deactivating an agent revokes all their sessions at once."""
    with db.write() as session:
        agent = _load(session, principal, agent_id)
        authorize(principal, Action.AUDIT)
        if body.active is not None:
            agent.active = body.active
            if not body.active:
                tokens.revoke_agent(session, agent.id)
        if body.role is not None:
            agent.role = body.role.value
        if body.display_name is not None:
            agent.display_name = body.display_name
        stamp(session, agent)
        for authority_id in set(agent.authority_ids) & principal.authority_ids:
            audit.record(session, principal, "update", "agents", agent.id, authority_id,
                         body.model_dump(exclude_none=True, mode="json"))
        session.flush()
        return AgentRow.model_validate(agent)
