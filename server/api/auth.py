"""Login, token refresh (rotation), logout (revocation), password change."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from server import audit
from server.api.deps import DbDep, PrincipalDep, SettingsDep, client_ip
from server.auth import tokens
from server.auth.passwords import Passwords, PasswordsBusy, policy_message
from server.db.models import Agent, Token
from server.db.types import utcnow
from server.problems import ProblemError, problem_responses
from server.ratelimit import SharedLimiter
from server.services.agent_rows import agent_row
from sync.protocol.wire import AgentRow, LoginRequest, RefreshRequest, TokenPair

router = APIRouter(prefix="/auth", tags=["authentification"])


def get_passwords(request: Request) -> Passwords:
    passwords: Passwords = request.app.state.passwords
    return passwords


def get_limiter(request: Request) -> SharedLimiter:
    limiter: SharedLimiter = request.app.state.login_limiter
    return limiter


PasswordsDep = Annotated[Passwords, Depends(get_passwords)]
LimiterDep = Annotated[SharedLimiter, Depends(get_limiter)]


def _too_many(wait: int) -> ProblemError:
    return ProblemError(
        429,
        f"Trop de tentatives de connexion. Réessayez dans {wait} secondes.",
        headers={"Retry-After": str(wait)},
    )


def _pair(issued: tokens.IssuedTokens, agent: Agent) -> TokenPair:
    return TokenPair(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.access_ttl,
        refresh_expires_in=issued.refresh_ttl,
        agent=agent_row(agent),
        must_change_password=agent.must_change_password,
    )


@router.post("/login", response_model=TokenPair, responses=problem_responses(401, 422, 429, 503))
def login(
    body: LoginRequest,
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    passwords: PasswordsDep,
    limiter: LimiterDep,
) -> TokenPair:
    """Attempts are counted BEFORE the password is hashed, per login (5 in 5 minutes, from any
    address) and per client address (50): a burst gets 429 with ``Retry-After`` without costing
    a hash. A right password clears its login's count and gives its address's attempt back.
    Hashes are bounded per process (``hash_concurrency``); none free in time → 503."""
    key = body.login.casefold()
    ip_key = client_ip(request) or "?"
    ip_limiter: SharedLimiter = request.app.state.login_ip_limiter
    wait = limiter.retry_after(key) or ip_limiter.retry_after(ip_key)
    if wait:
        raise _too_many(wait)
    _, wait = limiter.reserve(key)
    ip_hit, ip_wait = ip_limiter.reserve(ip_key)
    if wait or ip_wait:
        raise _too_many(max(wait, ip_wait))
    with db.read() as session:
        agent = session.execute(select(Agent).where(Agent.login == body.login)).scalar_one_or_none()
        stored = agent.password_hash if agent is not None and agent.active else None
    try:
        valid = passwords.verify(stored, body.password, wait=settings.hash_wait_seconds)
    except PasswordsBusy as exc:
        raise ProblemError(503, "Le serveur traite beaucoup de connexions : réessayez dans un "
                                "instant.", headers={"Retry-After": "2"}) from exc
    if not valid or agent is None:
        with db.write() as session:
            audit.record(session, None, "login_failed", "agents", None, None,
                         {"login": body.login[:100]}, ip=client_ip(request))
        raise ProblemError(401, "Identifiant ou mot de passe incorrect.")
    limiter.reset(key)
    ip_limiter.release(ip_hit)
    with db.write() as session:
        agent = session.get(Agent, agent.id)
        assert agent is not None
        if passwords.needs_rehash(agent.password_hash):
            agent.password_hash = passwords.hash(body.password)
        agent.last_login_at = utcnow()
        issued = tokens.issue(
            session, agent.id, settings.access_token_ttl_seconds,
            settings.refresh_token_ttl_seconds,
        )
        audit.record(session, None, "login", "agents", agent.id, None, ip=client_ip(request))
        return _pair(issued, agent)


@router.post("/refresh", response_model=TokenPair, responses=problem_responses(401, 422))
def refresh(body: RefreshRequest, db: DbDep, settings: SettingsDep) -> TokenPair:
    """Rotates the pair. A refresh token used twice means it leaked: the whole family dies."""
    with db.write() as session:
        tok = session.execute(
            select(Token).where(
                Token.token_hash == tokens.hash_token(body.refresh_token),
                Token.kind == tokens.REFRESH,
            )
        ).scalar_one_or_none()
        if tok is None:
            raise ProblemError(401, "Jeton de renouvellement invalide : reconnectez-vous.")
        agent = session.get(Agent, tok.agent_id)
        if tok.revoked_at is not None:
            tokens.revoke_family(session, tok.family)
            session.commit()
            raise ProblemError(401, "Jeton de renouvellement déjà utilisé : reconnectez-vous.")
        if tok.expires_at <= utcnow() or agent is None or not agent.active:
            raise ProblemError(401, "Session expirée : reconnectez-vous.")
        tokens.revoke_family(session, tok.family)
        issued = tokens.issue(
            session, agent.id, settings.access_token_ttl_seconds,
            settings.refresh_token_ttl_seconds, family=tok.family,
        )
        return _pair(issued, agent)


class LogoutResponse(BaseModel):
    revoked: bool = True


@router.post("/logout", response_model=LogoutResponse, responses=problem_responses(401))
def logout(request: Request, principal: PrincipalDep, db: DbDep) -> LogoutResponse:
    with db.write() as session:
        tokens.revoke_family(session, request.state.token_family)
        audit.record(session, principal, "logout", "agents", principal.agent_id, None)
    return LogoutResponse()


@router.get("/me", response_model=AgentRow, responses=problem_responses(401))
def me(principal: PrincipalDep, db: DbDep) -> AgentRow:
    with db.read() as session:
        agent = session.get(Agent, principal.agent_id)
        assert agent is not None
        return agent_row(agent)


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=200)


@router.post("/password", response_model=LogoutResponse, responses=problem_responses(401, 422))
def change_password(
    body: PasswordChange, principal: PrincipalDep, db: DbDep, passwords: PasswordsDep
) -> LogoutResponse:
    """Changing the password revokes every session of the agent, including this one."""
    refusal = policy_message(body.new_password)
    if refusal:
        raise ProblemError(422, refusal)
    with db.write() as session:
        agent = session.get(Agent, principal.agent_id)
        assert agent is not None
        if not passwords.verify(agent.password_hash, body.current_password):
            raise ProblemError(401, "Mot de passe actuel incorrect.")
        if passwords.verify(agent.password_hash, body.new_password):
            raise ProblemError(422, "Le nouveau mot de passe doit être différent de l'actuel.")
        agent.password_hash = passwords.hash(body.new_password)
        agent.must_change_password = False
        tokens.revoke_agent(session, agent.id)
        audit.record(session, principal, "password_changed", "agents", agent.id, None)
    return LogoutResponse()
