"""Helpers every service uses: versions, tombstones, rows on the wire, conflicts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session

from server.access import Principal
from server.db.models import Event, Tombstone
from server.db.session import next_versions
from server.db.types import utcnow
from sync.protocol.vocabulary import EventKind
from sync.protocol.wire import ROW_MODELS, Entity


def stamp(session: Session, row: Any) -> Any:
    """Gives the row the next global version (call once per changed row)."""
    row.version = next_versions(session)
    if hasattr(row, "updated_at"):
        row.updated_at = utcnow()
    return row


def to_wire(entity: Entity, row: Any) -> dict[str, Any]:
    return ROW_MODELS[entity].model_validate(row).model_dump(mode="json")


def tombstone(
    session: Session, entity: Entity, row_id: uuid.UUID, authority_id: uuid.UUID,
    principal: Principal | None,
) -> None:
    session.add(
        Tombstone(
            id=uuid.uuid4(),
            version=next_versions(session),
            authority_id=authority_id,
            entity=entity.value,
            row_id=row_id,
            deleted_by=principal.agent_id if principal else None,
        )
    )


def add_event(
    session: Session,
    authority_id: uuid.UUID,
    request_id: uuid.UUID,
    kind: EventKind,
    principal: Principal | None,
    data: dict[str, Any] | None = None,
    event_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> Event:
    event = Event(
        id=event_id or uuid.uuid4(),
        version=next_versions(session),
        authority_id=authority_id,
        request_id=request_id,
        kind=kind.value,
        at=at or utcnow(),
        agent_id=principal.agent_id if principal else None,
        data=data or {},
    )
    session.add(event)
    return event


def jsonable(value: Any) -> Any:
    """Comparable, JSON-safe form of a column value (for conflict detection and event data)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def same_value(current: Any, seen: Any) -> bool:
    """Whether a value the client saw (JSON from the wire) is the server's current value.
    Datetimes and UUIDs are compared as values, so ``Z`` and ``+00:00`` or upper-case hex do
    not make a false conflict."""
    current = jsonable(current)
    if current == seen:
        return True
    if isinstance(seen, str) and isinstance(current, str):
        for parse in (uuid.UUID, datetime.fromisoformat):
            try:
                return bool(parse(seen) == parse(current))
            except ValueError:
                continue
    return False


@dataclass
class Change:
    """What a service did: the row it changed and the fields that clashed with another edit."""

    entity: Entity
    row: Any
    conflicting_fields: list[str] = field(default_factory=list)
    #: A conflict's explanation when the generic one (« modifiée entre-temps ») says too little.
    reason: str | None = None

    @property
    def is_conflict(self) -> bool:
        return bool(self.conflicting_fields)
