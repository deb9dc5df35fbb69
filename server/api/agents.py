"""Agent administration by an administrator, within their own authorities."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

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
from server.problems import ProblemError, forbidden, problem_responses
from server.services.agent_rows import agent_row, summary_role
from server.services.common import stamp
from sync.protocol.passwords import temporary_password
from sync.protocol.vocabulary import Role
from sync.protocol.wire import AgentRow, TemporaryPassword

router = APIRouter(tags=["agents"])
ERRORS = problem_responses(401, 403, 404, 409, 422)


class AgentCreate(BaseModel):
    model_config = {"extra": "forbid"}
    login: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{1,99}$")]
    display_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    #: The role in every authority of ``authority_ids`` unless ``roles`` says otherwise.
    role: Role
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    authority_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)
    roles: dict[uuid.UUID, Role] | None = Field(default=None, max_length=100)


class AgentUpdate(BaseModel):
    """``role`` changes the role in the memberships the administrator administers (or only in
    ``authority_id``); ``roles`` sets it per authority. ``active`` and ``display_name`` concern
    the whole agent: only an administrator of EVERY authority of the agent may change them."""

    model_config = {"extra": "forbid"}
    active: bool | None = None
    role: Role | None = None
    authority_id: uuid.UUID | None = None
    roles: dict[uuid.UUID, Role] | None = Field(default=None, max_length=100)
    display_name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


_NOT_YOURS = ("Cet agent relève aussi d'une collectivité que vous n'administrez pas : seul "
              "son rôle dans vos collectivités peut être modifié.")
_ADMIN_ONLY = "Seul un administrateur de la collectivité peut gérer ses agents."


def _load(session: Session, principal: Principal, agent_id: uuid.UUID) -> Agent:
    agent = session.get(Agent, agent_id)
    # An agent is visible only when they share an authority with the administrator.
    if agent is None or not set(agent.authority_ids) & principal.authority_ids:
        raise ProblemError(404, "Cet agent est introuvable ou ne relève pas de vos collectivités.")
    return agent


def _summarise(agent: Agent) -> None:
    """Keeps the legacy ``agents.role`` column as the summary of the memberships' roles."""
    role = summary_role(Role(m.role) for m in agent.memberships)
    if role is not None:
        agent.role = role.value


@router.post("/agents", response_model=AgentRow, status_code=status.HTTP_201_CREATED,
             responses=ERRORS)
def create_agent(body: AgentCreate, request: Request, principal: PrincipalDep,
                 db: DbDep) -> AgentRow:
    for authority_id in body.authority_ids:
        check_authority(principal, authority_id)
        authorize(principal, Action.AUDIT, authority_id)  # administrators of each one only
    roles = {a: (body.roles or {}).get(a, body.role) for a in set(body.authority_ids)}
    if body.roles and set(body.roles) - set(roles):
        raise ProblemError(422, "Un rôle est donné pour une collectivité absente de la liste.")
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
        agent.memberships = [AgentAuthority(authority_id=a, role=r.value)
                             for a, r in roles.items()]
        _summarise(agent)
        session.add(stamp(session, agent))
        for authority_id, role in roles.items():
            audit.record(session, principal, "create", "agents", agent.id, authority_id,
                         {"role": role.value})
        session.flush()
        return agent_row(agent, principal.authority_ids)


@router.patch("/agents/{agent_id}", response_model=AgentRow, responses=ERRORS)
def update_agent(agent_id: uuid.UUID, body: AgentUpdate, principal: PrincipalDep,
                 db: DbDep) -> AgentRow:
    """Deactivating an agent revokes all their sessions at once. Every change is written to
    the audit log of each authority it touches."""
    with db.write() as session:
        agent = _load(session, principal, agent_id)
        administered = principal.admin_of()
        memberships = {m.authority_id: m for m in agent.memberships}
        if not administered & set(memberships):
            raise forbidden(_ADMIN_ONLY)
        wanted: dict[uuid.UUID, Role] = dict(body.roles or {})
        if body.role is not None:
            targets = ([body.authority_id] if body.authority_id is not None
                       else sorted(administered & set(memberships)))
            wanted.update({a: body.role for a in targets})
        for authority_id in wanted:
            if authority_id not in memberships:
                raise ProblemError(404, "Cet agent ne relève pas de cette collectivité.")
            if authority_id not in administered:
                raise forbidden(_NOT_YOURS)
        whole_agent = body.active is not None or body.display_name is not None
        if whole_agent and not set(memberships) <= administered:
            raise forbidden(_NOT_YOURS)
        touched: dict[uuid.UUID, dict[str, Any]] = {}
        for authority_id, role in wanted.items():
            before = memberships[authority_id].role
            if before != role.value:
                memberships[authority_id].role = role.value
                touched[authority_id] = {"role": role.value, "previous_role": before}
        _summarise(agent)
        changes = {k: v for k, v in (("active", body.active),
                                     ("display_name", body.display_name)) if v is not None}
        if body.active is not None:
            agent.active = body.active
            if not body.active:
                tokens.revoke_agent(session, agent.id)
        if body.display_name is not None:
            agent.display_name = body.display_name
        if changes:
            for authority_id in memberships:  # all administered, checked above
                touched.setdefault(authority_id, {}).update(changes)
        stamp(session, agent)
        for authority_id, detail in touched.items():
            audit.record(session, principal, "update", "agents", agent.id, authority_id, detail)
        session.flush()
        return agent_row(agent, principal.authority_ids)


@router.post("/agents/{agent_id}/password-reset", response_model=TemporaryPassword,
             responses=ERRORS)
def reset_password(agent_id: uuid.UUID, request: Request, principal: PrincipalDep,
                   db: DbDep) -> TemporaryPassword:
    """A new temporary password, returned once: every session of the agent is revoked and the
    agent must choose their own at the next login. Only an administrator of every authority
    of the agent may do it (a password is the whole agent's)."""
    passwords: Passwords = request.app.state.passwords
    password = temporary_password()
    with db.write() as session:
        agent = _load(session, principal, agent_id)
        memberships = set(agent.authority_ids)
        administered = principal.admin_of()
        if not administered & memberships:
            raise forbidden(_ADMIN_ONLY)
        if not memberships <= administered:
            raise forbidden(_NOT_YOURS)
        agent.password_hash = passwords.hash(password)
        agent.must_change_password = True
        tokens.revoke_agent(session, agent.id)
        for authority_id in memberships:
            audit.record(session, principal, "password_reset", "agents", agent.id,
                         authority_id)
    return TemporaryPassword(agent_id=agent_id, temporary_password=password)
