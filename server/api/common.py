"""Small helpers shared by the routers: running a service in a write transaction, pages."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from server.access import Principal
from server.db.database import Database
from server.problems import ProblemError
from server.services.common import Change
from sync.protocol.wire import ROW_MODELS, Row

R = TypeVar("R", bound=BaseModel)


class Page(BaseModel, Generic[R]):
    items: list[R]
    total: int
    limit: int
    offset: int


class Deleted(BaseModel):
    id: uuid.UUID
    deleted: bool = True


LIMIT_QUERY = Field(default=100, ge=1, le=1000)


def run_change(
    db: Database,
    principal: Principal,
    service: Callable[[Session, Principal, Any, int | None], Change],
    args: Any,
    base_version: int | None = None,
) -> Row:
    """Runs a domain service for a REST call: a clash with another edit is a 409 problem."""
    with db.write() as session:
        change = service(session, principal, args, base_version)
        if change.is_conflict:
            session.rollback()
            raise ProblemError(
                409,
                "La fiche a été modifiée entre-temps : rechargez-la avant de recommencer ("
                + ", ".join(change.conflicting_fields) + ").",
            )
        session.flush()
        return ROW_MODELS[change.entity].model_validate(change.row)


def paginate(
    session: Session, stmt: Select[Any], row_model: type[R], limit: int, offset: int
) -> Page[R]:
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(stmt.limit(limit).offset(offset)).scalars().all()
    return Page[row_model](  # type: ignore[valid-type]
        items=[row_model.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )
