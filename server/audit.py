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
) -> None:
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
        )
    )


def record_citizen_reads(
    session: Session, principal: Principal, rows: Iterable[Any], how: str
) -> None:
    """One entry per citizen whose personal data left the server, so a citizen's request "who
    saw my data?" can be answered row by row."""
    now = utcnow()
    session.add_all(
        AuditEntry(
            id=uuid.uuid4(),
            at=now,
            agent_id=principal.agent_id,
            ip=principal.ip,
            action="read",
            entity="citizens",
            entity_id=row.id,
            authority_id=row.authority_id,
            detail={"via": how},
        )
        for row in rows
    )
