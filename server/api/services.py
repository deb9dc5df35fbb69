"""Services (teams) of a commune over REST: listed by its agents, managed by its admins.

The same rules as the ``service.save`` mutation (one service function for both doors)."""

from __future__ import annotations

import uuid
from typing import Annotated, cast

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select

from server.access import get_scoped, scope
from server.api.common import Page, paginate, run_change
from server.api.deps import DbDep, PrincipalDep
from server.db.models import Service
from server.problems import problem_responses
from server.services import teams
from sync.protocol.wire import ServiceRow, ServiceSaveArgs

router = APIRouter(tags=["services"])
ERRORS = problem_responses(401, 403, 404, 409, 422)


class ServiceCreate(BaseModel):
    model_config = {"extra": "forbid"}
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    authority_id: uuid.UUID
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    member_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)


class ServiceChange(BaseModel):
    """Only what is given changes (rename, retire with ``active`` false, set the members)."""

    model_config = {"extra": "forbid"}
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    active: bool | None = None
    member_ids: list[uuid.UUID] | None = Field(default=None, max_length=500)


@router.get("/services", response_model=Page[ServiceRow], responses=ERRORS)
def list_services(
    principal: PrincipalDep,
    db: DbDep,
    authority_id: uuid.UUID | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10**9),
) -> Page[ServiceRow]:
    authorities = scope(principal, [authority_id] if authority_id else None)
    with db.read() as session:
        stmt = (select(Service).where(Service.authority_id.in_(authorities))
                .order_by(Service.name, Service.id))
        return paginate(session, stmt, ServiceRow, limit, offset)


@router.post("/services", response_model=ServiceRow, status_code=status.HTTP_201_CREATED,
             responses=ERRORS)
def create_service(body: ServiceCreate, principal: PrincipalDep, db: DbDep) -> ServiceRow:
    args = ServiceSaveArgs(id=body.id, authority_id=body.authority_id, name=body.name,
                           member_ids=body.member_ids)
    return cast(ServiceRow, run_change(db, principal, teams.save, args, 0))


@router.patch("/services/{service_id}", response_model=ServiceRow, responses=ERRORS)
def change_service(
    service_id: uuid.UUID, body: ServiceChange, principal: PrincipalDep, db: DbDep
) -> ServiceRow:
    with db.read() as session:
        row = get_scoped(session, Service, service_id, principal, teams.WHAT)
        args = ServiceSaveArgs(
            id=row.id, authority_id=row.authority_id,
            name=body.name if body.name is not None else row.name,
            active=body.active if body.active is not None else row.active,
            member_ids=(body.member_ids if body.member_ids is not None
                        else [uuid.UUID(str(m)) for m in row.member_ids]),
        )
        version = row.version
    return cast(ServiceRow, run_change(db, principal, teams.save, args, version))
