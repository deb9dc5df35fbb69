"""Opaque access and refresh tokens, stored as SHA-256 so they can be revoked and never leak."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.db.models import Agent, Token
from server.db.types import utcnow

ACCESS = "access"
REFRESH = "refresh"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    access_ttl: int
    refresh_ttl: int


def issue(
    session: Session,
    agent_id: uuid.UUID,
    access_ttl: int,
    refresh_ttl: int,
    family: uuid.UUID | None = None,
) -> IssuedTokens:
    """A new pair in one family; revoking the family ends the whole login session."""
    family = family or uuid.uuid4()
    now = utcnow()
    access = secrets.token_urlsafe(32)
    refresh = secrets.token_urlsafe(32)
    session.add_all(
        [
            Token(
                agent_id=agent_id,
                kind=ACCESS,
                token_hash=hash_token(access),
                family=family,
                created_at=now,
                expires_at=now + timedelta(seconds=access_ttl),
            ),
            Token(
                agent_id=agent_id,
                kind=REFRESH,
                token_hash=hash_token(refresh),
                family=family,
                created_at=now,
                expires_at=now + timedelta(seconds=refresh_ttl),
            ),
        ]
    )
    return IssuedTokens(access, refresh, access_ttl, refresh_ttl)


def find_valid(session: Session, token: str, kind: str) -> tuple[Token, Agent] | None:
    row = session.execute(
        select(Token, Agent)
        .join(Agent, Agent.id == Token.agent_id)
        .where(Token.token_hash == hash_token(token), Token.kind == kind)
    ).first()
    if row is None:
        return None
    tok, agent = row
    if tok.revoked_at is not None or tok.expires_at <= utcnow() or not agent.active:
        return None
    return tok, agent


def revoke_family(session: Session, family: uuid.UUID) -> None:
    session.execute(
        update(Token)
        .where(Token.family == family, Token.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def revoke_agent(session: Session, agent_id: uuid.UUID) -> None:
    session.execute(
        update(Token)
        .where(Token.agent_id == agent_id, Token.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
