"""Procedures (démarches) of an authority, with their implicit-decision rule."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select

from server import audit
from server.access import Action, authorize, check_authority, get_scoped, scope
from server.api.common import Page, paginate
from server.api.deps import DbDep, PrincipalDep
from server.db.models import Procedure
from server.problems import ProblemError, problem_responses
from server.services.common import stamp
from sync.protocol.vocabulary import PeriodUnit, SilenceRule
from sync.protocol.wire import ProcedureRow

router = APIRouter(tags=["démarches"])


class ProcedureCreate(BaseModel):
    model_config = {"extra": "forbid"}
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    authority_id: uuid.UUID
    code: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$")]
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    silence_rule: SilenceRule = SilenceRule.ACCEPT
    period_value: int = Field(default=2, ge=1, le=365)
    period_unit: PeriodUnit = PeriodUnit.MONTHS
    active: bool = True


@router.get(
    "/procedures", response_model=Page[ProcedureRow], responses=problem_responses(401, 404, 422)
)
def list_procedures(
    principal: PrincipalDep,
    db: DbDep,
    authority_id: uuid.UUID | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10**9),
) -> Page[ProcedureRow]:
    authorities = scope(principal, [authority_id] if authority_id else None)
    with db.read() as session:
        stmt = (
            select(Procedure)
            .where(Procedure.authority_id.in_(authorities))
            .order_by(Procedure.title, Procedure.id)
        )
        return paginate(session, stmt, ProcedureRow, limit, offset)


@router.post(
    "/procedures", response_model=ProcedureRow, status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def create_procedure(body: ProcedureCreate, principal: PrincipalDep, db: DbDep) -> ProcedureRow:
    check_authority(principal, body.authority_id)
    authorize(principal, Action.CONFIGURE, body.authority_id)
    with db.write() as session:
        clash = session.execute(
            select(Procedure.id).where(
                (Procedure.id == body.id)
                | ((Procedure.authority_id == body.authority_id) & (Procedure.code == body.code))
            )
        ).first()
        if clash is not None:
            raise ProblemError(409, "Une démarche avec ce code ou cet identifiant existe déjà.")
        row = Procedure(**body.model_dump())
        session.add(stamp(session, row))
        audit.record(session, principal, "create", "procedures", row.id, row.authority_id)
        session.flush()
        return ProcedureRow.model_validate(row)


@router.get(
    "/procedures/{procedure_id}", response_model=ProcedureRow,
    responses=problem_responses(401, 404, 422),
)
def get_procedure(procedure_id: uuid.UUID, principal: PrincipalDep, db: DbDep) -> ProcedureRow:
    with db.read() as session:
        return ProcedureRow.model_validate(
            get_scoped(session, Procedure, procedure_id, principal, "Cette démarche")
        )
