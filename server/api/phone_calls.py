"""Phone calls logged in seconds by the phone intake."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, status
from sqlalchemy import select

from server.access import get_scoped, scope
from server.api.common import Page, paginate, run_change
from server.api.deps import DbDep, PrincipalDep
from server.db.models import PhoneCall
from server.problems import problem_responses
from server.services import messages as service
from sync.protocol.wire import PhoneCallAddArgs, PhoneCallRow

router = APIRouter(tags=["appels"])
ERRORS = problem_responses(401, 403, 404, 409, 422)


@router.get("/phone-calls", response_model=Page[PhoneCallRow], responses=ERRORS)
def list_calls(
    principal: PrincipalDep,
    db: DbDep,
    authority_id: uuid.UUID | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10**9),
) -> Page[PhoneCallRow]:
    authorities = scope(principal, [authority_id] if authority_id else None)
    with db.read() as session:
        stmt = (
            select(PhoneCall)
            .where(PhoneCall.authority_id.in_(authorities))
            .order_by(PhoneCall.called_at.desc(), PhoneCall.id)
        )
        return paginate(session, stmt, PhoneCallRow, limit, offset)


@router.post(
    "/phone-calls", response_model=PhoneCallRow, status_code=status.HTTP_201_CREATED,
    responses=ERRORS,
)
def add_call(body: PhoneCallAddArgs, principal: PrincipalDep, db: DbDep) -> PhoneCallRow:
    row = run_change(db, principal, service.add_phone_call, body)
    return PhoneCallRow.model_validate(row.model_dump())


@router.get("/phone-calls/{phone_call_id}", response_model=PhoneCallRow, responses=ERRORS)
def get_call(phone_call_id: uuid.UUID, principal: PrincipalDep, db: DbDep) -> PhoneCallRow:
    with db.read() as session:
        return PhoneCallRow.model_validate(
            get_scoped(session, PhoneCall, phone_call_id, principal, "Cet appel")
        )
