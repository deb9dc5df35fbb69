"""RGPD for administrators: the audit trail (read only, filtered, paged), the erasure of a
citizen, and the monthly 36-month retention lists (propose, approve, purge, report).

The audit log is append-only: this router only reads it, no route or mutation edits or deletes
an entry, and the database itself refuses UPDATE and DELETE on it (server revision 0010_rgpd).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select

from server.access import Action, Principal, authorize, check_authority, get_scoped
from server.api.deps import DbDep, PrincipalDep, RuntimeDep
from server.db.models import AuditEntry, Citizen, RetentionItem, RetentionRun
from server.db.types import utcnow
from server.problems import ProblemError, forbidden, problem_responses
from server.services import retention
from server.services.rgpd import WHAT, erase_citizen, forget_files
from sync.protocol.wire import (
    AuditEntryRow,
    AuditPage,
    ErasureReport,
    RetentionItemRow,
    RetentionRunRow,
)

router = APIRouter(tags=["RGPD"])
ERRORS = problem_responses(401, 403, 404, 409, 422)
NO_AUDIT = "Seul un administrateur peut consulter le journal d'audit."


def _audited_authorities(principal: Principal, authority_id: uuid.UUID | None) -> list[uuid.UUID]:
    """The communes whose trail this agent may read: the one asked (if they administer it), or
    every commune they administer."""
    if authority_id is not None:
        check_authority(principal, authority_id)
        authorize(principal, Action.AUDIT, authority_id)
        return [authority_id]
    mine = sorted(principal.admin_of())
    if not mine:
        raise forbidden(NO_AUDIT)
    return mine


@router.get("/audit", response_model=AuditPage, responses=ERRORS)
def audit_trail(
    principal: PrincipalDep,
    db: DbDep,
    authority_id: uuid.UUID | None = None,
    agent_id: uuid.UUID | None = None,
    citizen_id: uuid.UUID | None = None,
    request_id: uuid.UUID | None = None,
    action: Annotated[str | None, Query(max_length=40)] = None,
    since: Annotated[date | None, Query(description="Premier jour inclus (UTC)")] = None,
    until: Annotated[date | None, Query(description="Dernier jour inclus (UTC)")] = None,
    limit: int = Query(200, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10**9),
) -> AuditPage:
    """Every change and every read of personal data, newest first. ``citizen_id`` also finds
    the reads of the citizen's requests; ``action=read`` is the access trail of a file."""
    if since and until and since > until:
        raise ProblemError(422, "La période est inversée : le premier jour est après le dernier.")
    stmt: Select[Any] = select(AuditEntry).where(
        AuditEntry.authority_id.in_(_audited_authorities(principal, authority_id)))
    if agent_id is not None:
        stmt = stmt.where(AuditEntry.agent_id == agent_id)
    # Every entry about a citizen or a request names it in its own indexed column (written by
    # ``server.audit``, filled for older entries by revision 0010_rgpd): no OR on entity_id.
    if citizen_id is not None:
        stmt = stmt.where(AuditEntry.citizen_id == citizen_id)
    if request_id is not None:
        stmt = stmt.where(AuditEntry.request_id == request_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= datetime.combine(since, time(0), tzinfo=UTC))
    if until is not None:
        stmt = stmt.where(AuditEntry.at < datetime.combine(until + timedelta(days=1), time(0),
                                                           tzinfo=UTC))
    with db.read() as session:
        total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        rows = session.execute(stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                               .limit(limit).offset(offset)).scalars().all()
        return AuditPage(items=[AuditEntryRow.model_validate(r) for r in rows],
                         total=int(total), limit=limit, offset=offset)


class EraseBody(BaseModel):
    model_config = {"extra": "forbid"}
    reason: str = Field(default="", max_length=500)


@router.post("/citizens/{citizen_id}/erase", response_model=ErasureReport, responses=ERRORS)
def erase(citizen_id: uuid.UUID, body: EraseBody, principal: PrincipalDep, db: DbDep,
          runtime: RuntimeDep) -> ErasureReport:
    """Right to erasure (admin): see ``server.services.rgpd`` for what is kept and why."""
    with db.write() as session:
        citizen = get_scoped(session, Citizen, citizen_id, principal, WHAT)
        authorize(principal, Action.ERASE, citizen.authority_id)
        done = erase_citizen(session, principal, citizen, via="rest", reason=body.reason)
    forget_files(db, runtime, done.released_blobs)
    return ErasureReport(citizen_id=citizen_id, **done.counts())


# --- 36-month retention ---------------------------------------------------------------------
class ProposeBody(BaseModel):
    model_config = {"extra": "forbid"}
    as_of: date | None = Field(default=None, description="Jour de calcul (aujourd'hui par défaut)")


def _run_row(db: DbDep, principal: Principal, run_id: uuid.UUID) -> RetentionRunRow:
    with db.read() as session:
        run = retention.load_run(session, principal, run_id)
        items = session.execute(
            select(RetentionItem, Citizen)
            .outerjoin(Citizen, Citizen.id == RetentionItem.citizen_id)
            .where(RetentionItem.run_id == run.id)
            .order_by(RetentionItem.last_activity, RetentionItem.citizen_id)).all()
        row = RetentionRunRow.model_validate(run)
        row.items = [
            RetentionItemRow(
                citizen_id=item.citizen_id, last_activity=item.last_activity,
                requests=item.requests, state=item.state,  # type: ignore[arg-type]
                display_name=_display(citizen),
            ) for item, citizen in items
        ]
        return row


def _display(citizen: Citizen | None) -> str | None:
    if citizen is None:
        return None
    if citizen.organisation_name:
        return citizen.organisation_name
    return " ".join(p for p in ((citizen.last_name or "").upper(), citizen.first_name or "") if p)


@router.post("/authorities/{authority_id}/retention", response_model=RetentionRunRow,
             responses=ERRORS)
def propose(authority_id: uuid.UUID, body: ProposeBody, principal: PrincipalDep, db: DbDep
            ) -> RetentionRunRow:
    """This month's list « à purger » (computed once per day asked; asked again, the same)."""
    as_of = body.as_of or utcnow().date()
    return _run_row(db, principal, retention.propose(db, principal, authority_id, as_of))


@router.get("/authorities/{authority_id}/retention", response_model=list[RetentionRunRow],
            responses=ERRORS)
def list_runs(authority_id: uuid.UUID, principal: PrincipalDep, db: DbDep
              ) -> list[RetentionRunRow]:
    """The lists of the commune, newest first, with their reports (items not included)."""
    check_authority(principal, authority_id)
    authorize(principal, Action.ERASE, authority_id)
    with db.read() as session:
        runs = session.execute(select(RetentionRun).where(
            RetentionRun.authority_id == authority_id).order_by(
            RetentionRun.as_of.desc())).scalars()
        return [RetentionRunRow.model_validate(r) for r in runs]


@router.get("/retention/{run_id}", response_model=RetentionRunRow, responses=ERRORS)
def get_run(run_id: uuid.UUID, principal: PrincipalDep, db: DbDep) -> RetentionRunRow:
    return _run_row(db, principal, run_id)


@router.post("/retention/{run_id}/approve", response_model=RetentionRunRow, responses=ERRORS)
def approve(run_id: uuid.UUID, principal: PrincipalDep, db: DbDep) -> RetentionRunRow:
    retention.approve(db, principal, run_id)
    return _run_row(db, principal, run_id)


@router.post("/retention/{run_id}/purge", response_model=RetentionRunRow, responses=ERRORS)
def purge(run_id: uuid.UUID, principal: PrincipalDep, db: DbDep, runtime: RuntimeDep
          ) -> RetentionRunRow:
    """Purges the approved list (resumes an interrupted purge); the report is in the answer."""
    retention.purge(db, principal, run_id, runtime=runtime)
    return _run_row(db, principal, run_id)
