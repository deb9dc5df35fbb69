"""Audit trail: every read of a citizen's personal data and every change (agent, time, IP).

Written in the same transaction as the change, so a change without its audit entry cannot exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from server.access import Principal
from server.db.models import AuditEntry
from server.db.types import utcnow


def record(
    session: Session,
    principal: Principal | None,
    action: str,
    entity: str,
    entity_id: uuid.UUID | None,
    authority_id: uuid.UUID | None,
    detail: dict[str, Any] | None = None,
    *,
    ip: str | None = None,
    citizen_id: uuid.UUID | None = None,
    request_id: uuid.UUID | None = None,
) -> None:
    """``citizen_id`` / ``request_id`` default to ``entity_id`` for entries about a citizen or a
    request, so the trail of one of them is a simple indexed filter."""
    session.add(
        AuditEntry(
            id=uuid.uuid4(),
            at=utcnow(),
            agent_id=principal.agent_id if principal else None,
            ip=principal.ip if principal else ip,
            action=action,
            entity=entity,
            entity_id=entity_id,
            authority_id=authority_id,
            detail=detail or {},
            citizen_id=citizen_id or (entity_id if entity == "citizens" else None),
            request_id=request_id or (entity_id if entity == "requests" else None),
        )
    )


def record_citizen_reads(
    session: Session, principal: Principal, rows: Iterable[Any], how: str,
    query: str | None = None,
) -> None:
    """A meaningful trail of reads: one entry for the opening of one citizen's file (its id in
    ``entity_id``), and one entry per list query or pull page (per commune) that names the
    citizens it showed in ``detail.ids`` — not one entry per row, which buried a page of 124
    citizens under 124 entries."""
    by_authority: dict[Any, list[str]] = {}
    for row in rows:
        by_authority.setdefault(row.authority_id, []).append(str(row.id))
    now = utcnow()
    for authority_id, ids in by_authority.items():
        detail: dict[str, Any] = {"via": how}
        if how in ("detail", "export") and len(ids) == 1:
            entity_id: uuid.UUID | None = uuid.UUID(ids[0])
        else:
            entity_id = None
            detail.update(count=len(ids), ids=ids)
            if query:
                detail["query"] = query
        session.add(AuditEntry(
            id=uuid.uuid4(), at=now, agent_id=principal.agent_id, ip=principal.ip,
            action="read", entity="citizens", entity_id=entity_id,
            authority_id=authority_id, detail=detail, citizen_id=entity_id,
        ))
