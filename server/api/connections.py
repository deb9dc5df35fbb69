"""A commune's parapheur connection, for its administrators (« Administration › Commune ›
Connexions (serveur) »). Stored on the server only: the credentials never reach a PC, and
the answer never carries the password back (``password_set`` says whether one is kept)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from server import audit
from server.access import Action, authorize, check_authority
from server.api.deps import DbDep, PrincipalDep
from server.connectors import parapheur
from server.db.models import ParapheurSettings
from server.problems import ProblemError, problem_responses

router = APIRouter(tags=["collectivités"])
ERRORS = problem_responses(401, 403, 404, 422)
#: Keys whose value is never sent back to a client.
SECRET_KEYS = frozenset({"password"})

ConfigValue = Annotated[str, StringConstraints(max_length=500)]


class ParapheurConnection(BaseModel):
    """What the screen shows: the connector, its settings without secrets, the choices."""

    connector: str
    config: dict[str, str] = Field(default_factory=dict)
    password_set: bool = False
    connectors: list[str] = Field(default_factory=list)


class ParapheurConnectionUpdate(BaseModel):
    """``config`` replaces the settings; a ``password`` left out or empty keeps the one
    stored (the screen never had it)."""

    model_config = ConfigDict(extra="forbid")
    connector: Annotated[str, StringConstraints(min_length=1, max_length=30)]
    config: dict[Annotated[str, StringConstraints(max_length=50)], ConfigValue] = Field(
        default_factory=dict, max_length=30
    )


def _shown(row: ParapheurSettings | None) -> ParapheurConnection:
    config = dict(row.config) if row is not None else {}
    return ParapheurConnection(
        connector=row.connector if row is not None else parapheur.BUILTIN,
        config={k: str(v) for k, v in config.items() if k not in SECRET_KEYS},
        password_set=bool(config.get("password")),
        connectors=parapheur.known_connectors(),
    )


@router.get("/authorities/{authority_id}/parapheur-settings",
            response_model=ParapheurConnection, responses=ERRORS)
def get_parapheur_settings(authority_id: uuid.UUID, principal: PrincipalDep,
                           db: DbDep) -> ParapheurConnection:
    check_authority(principal, authority_id)
    authorize(principal, Action.ADMINISTER, authority_id)
    with db.read() as session:
        return _shown(session.get(ParapheurSettings, authority_id))


@router.put("/authorities/{authority_id}/parapheur-settings",
            response_model=ParapheurConnection, responses=ERRORS)
def put_parapheur_settings(authority_id: uuid.UUID, body: ParapheurConnectionUpdate,
                           principal: PrincipalDep, db: DbDep) -> ParapheurConnection:
    check_authority(principal, authority_id)
    authorize(principal, Action.ADMINISTER, authority_id)
    if body.connector not in parapheur.known_connectors():
        raise ProblemError(422, f"Parapheur inconnu : « {body.connector} ». Choix possibles : "
                                + ", ".join(parapheur.known_connectors()) + ".")
    with db.write() as session:
        existing = session.get(ParapheurSettings, authority_id)
        config = {k: v.strip() for k, v in body.config.items()}
        if not config.get("password") and existing is not None:
            kept = existing.config.get("password")
            if kept:
                config["password"] = kept
        row = parapheur.choose(session, authority_id, body.connector, config)
        audit.record(session, principal, "update", "parapheur_settings", None, authority_id,
                     {"connector": body.connector, "keys": sorted(config)})
        session.flush()
        return _shown(row)
