"""Citizens (usagers). Every read of their personal data is written to the audit trail."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import or_, select

from server import audit
from server.access import get_scoped, id_taken, scope
from server.api.common import Deleted, Page, paginate, run_change
from server.api.deps import DbDep, PrincipalDep
from server.db.models import Citizen, PhoneCall, Request
from server.problems import problem_responses
from server.services import citizens as service
from sync.protocol.wire import (
    CitizenDeleteArgs,
    CitizenFields,
    CitizenRow,
    CitizenUpsertArgs,
    PhoneCallRow,
    RequestRow,
)

router = APIRouter(tags=["usagers"])
ERRORS = problem_responses(401, 403, 404, 409, 422)


@router.get("/citizens", response_model=Page[CitizenRow], responses=ERRORS)
def list_citizens(
    principal: PrincipalDep,
    db: DbDep,
    authority_id: uuid.UUID | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10**9),
) -> Page[CitizenRow]:
    """Search by name, organisation, e-mail or phone (the phone-intake lookup)."""
    authorities = scope(principal, [authority_id] if authority_id else None)
    with db.write() as session:
        # Merged citizens are tombstones of their survivor: not offered in a search.
        stmt = select(Citizen).where(
            Citizen.authority_id.in_(authorities), Citizen.merged_into_id.is_(None)
        )
        if q:
            like = f"%{q.lower()}%"
            stmt = stmt.where(
                or_(
                    *(
                        column.ilike(like)
                        for column in (
                            Citizen.last_name, Citizen.first_name, Citizen.organisation_name,
                            Citizen.email, Citizen.phone,
                        )
                    )
                )
            )
        page = paginate(session, stmt.order_by(Citizen.last_name, Citizen.id), CitizenRow,
                        limit, offset)
        audit.record_citizen_reads(session, principal, page.items, "list", query=q)
        return page


class CitizenCreate(BaseModel):
    model_config = {"extra": "forbid"}
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    authority_id: uuid.UUID
    fields: CitizenFields


@router.post(
    "/citizens", response_model=CitizenRow, status_code=status.HTTP_201_CREATED,
    responses=ERRORS,
)
def create_citizen(body: CitizenCreate, principal: PrincipalDep, db: DbDep) -> CitizenRow:
    with db.read() as session:
        if session.get(Citizen, body.id) is not None:
            raise id_taken()
    args = CitizenUpsertArgs(id=body.id, authority_id=body.authority_id, fields=body.fields)
    row = run_change(db, principal, service.upsert, args)
    return CitizenRow.model_validate(row.model_dump())


@router.get("/citizens/{citizen_id}", response_model=CitizenRow, responses=ERRORS)
def get_citizen(citizen_id: uuid.UUID, principal: PrincipalDep, db: DbDep) -> CitizenRow:
    with db.write() as session:
        row = get_scoped(session, Citizen, citizen_id, principal, service.WHAT)
        audit.record_citizen_reads(session, principal, [row], "detail")
        return CitizenRow.model_validate(row)


class CitizenUpdate(BaseModel):
    model_config = {"extra": "forbid"}
    fields: CitizenFields
    previous: dict[str, str | None] = Field(default_factory=dict)


@router.put("/citizens/{citizen_id}", response_model=CitizenRow, responses=ERRORS)
def update_citizen(
    citizen_id: uuid.UUID, body: CitizenUpdate, principal: PrincipalDep, db: DbDep
) -> CitizenRow:
    with db.read() as session:
        existing = get_scoped(session, Citizen, citizen_id, principal, service.WHAT)
        authority_id = existing.authority_id
    args = CitizenUpsertArgs(id=citizen_id, authority_id=authority_id, fields=body.fields,
                             previous=body.previous)
    row = run_change(db, principal, service.upsert, args)
    return CitizenRow.model_validate(row.model_dump())


@router.delete("/citizens/{citizen_id}", response_model=Deleted, responses=ERRORS)
def delete_citizen(citizen_id: uuid.UUID, principal: PrincipalDep, db: DbDep) -> Deleted:
    """Right to erasure (RGPD): the identity is deleted; requests stay, anonymous."""
    run_change(db, principal, service.delete, CitizenDeleteArgs(citizen_id=citizen_id))
    return Deleted(id=citizen_id)


class CitizenExport(BaseModel):
    citizen: CitizenRow
    requests: list[RequestRow]
    phone_calls: list[PhoneCallRow]
    note: str = "Données détenues sur l'usager (droit d'accès, RGPD art. 15)."


@router.get("/citizens/{citizen_id}/export", response_model=CitizenExport, responses=ERRORS)
def export_citizen(citizen_id: uuid.UUID, principal: PrincipalDep, db: DbDep) -> CitizenExport:
    """What is held on a citizen, for a right-of-access request."""
    with db.write() as session:
        row = get_scoped(session, Citizen, citizen_id, principal, service.WHAT)
        audit.record_citizen_reads(session, principal, [row], "export")
        requests = session.execute(select(Request).where(Request.citizen_id == row.id)).scalars()
        calls = session.execute(select(PhoneCall).where(PhoneCall.citizen_id == row.id)).scalars()
        return CitizenExport(
            citizen=CitizenRow.model_validate(row),
            requests=[RequestRow.model_validate(r) for r in requests],
            phone_calls=[PhoneCallRow.model_validate(c) for c in calls],
        )
