"""FastAPI dependencies: the database, the settings, the blob store and the current agent."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from server.access import Principal
from server.auth import tokens
from server.blobs import BlobStore
from server.config import Settings
from server.db.database import Database
from server.problems import ProblemError
from server.services.runtime import Runtime
from sync.protocol.vocabulary import Role
from sync.protocol.wire import MUST_CHANGE_PASSWORD_TYPE

_bearer = HTTPBearer(auto_error=False, description="Jeton d'accès obtenu par /api/v1/auth/login")


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_blobs(request: Request) -> BlobStore:
    store: BlobStore = request.app.state.blobs
    return store


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


#: What an agent who must change their password may still call (suffixes of the path).
PASSWORD_CHANGE_PATHS = ("/auth/password", "/auth/logout", "/auth/me")
MUST_CHANGE_PASSWORD = (
    "Vous devez changer votre mot de passe (mot de passe initial ou choisi par un "
    "administrateur) avant de continuer."
)


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, detail, headers={"WWW-Authenticate": "Bearer"})


def get_principal(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("Identifiez-vous pour accéder à ce service.")
    token = credentials.credentials
    if len(token) > 200:
        raise _unauthorized("Jeton d'accès invalide.")
    with db.read() as session:
        found = tokens.find_valid(session, token, tokens.ACCESS)
        if found is None:
            raise _unauthorized("Session expirée ou révoquée : reconnectez-vous.")
        tok, agent = found
        if agent.must_change_password and not request.url.path.endswith(PASSWORD_CHANGE_PATHS):
            # Enforced, not only reported: nothing syncs before the password is the agent's own.
            raise ProblemError(403, MUST_CHANGE_PASSWORD, type_=MUST_CHANGE_PASSWORD_TYPE)
        principal = Principal(
            agent_id=agent.id,
            login=agent.login,
            role=Role(agent.role),
            authority_ids=frozenset(agent.authority_ids),
            ip=client_ip(request),
            roles={a: Role(r) for a, r in agent.roles.items()},
        )
    request.state.token_family = tok.family
    return principal


DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
BlobsDep = Annotated[BlobStore, Depends(get_blobs)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
