"""Pull: rows changed since a cursor, scoped to the agent's authorities, in version order.

The page is bounded by the version read at the start (``high``): versions commit in order (see
``SyncState``), so every row up to ``high`` is visible and nothing below the cursor can appear
later. Each table is read with the same bounds and the pages are merged by version.
"""

from __future__ import annotations

import heapq
import logging
import uuid
from typing import Any

from pydantic_core import PydanticSerializationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.db.models import (
    Agent,
    AgentAuthority,
    Attachment,
    Authority,
    Citizen,
    Event,
    Message,
    ParapheurFolder,
    PhoneCall,
    Procedure,
    Request,
    Service,
    SyncState,
    Tombstone,
)
from server.services.agent_rows import agent_row
from sync.protocol.wire import ROW_MODELS, Entity, PullResponse
from sync.protocol.wire import Tombstone as WireTombstone

log = logging.getLogger(__name__)

SCOPED_MODELS: dict[Entity, Any] = {
    Entity.PROCEDURES: Procedure,
    Entity.CITIZENS: Citizen,
    Entity.REQUESTS: Request,
    Entity.EVENTS: Event,
    Entity.MESSAGES: Message,
    Entity.ATTACHMENTS: Attachment,
    Entity.PHONE_CALLS: PhoneCall,
    Entity.PARAPHEUR_FOLDERS: ParapheurFolder,
    Entity.SERVICES: Service,
}


def _wire_columns(entity: Entity) -> list[Any]:
    """The table columns the wire row carries, and only those (no IP, no creator)."""
    table = SCOPED_MODELS[entity].__table__
    return [table.c[name] for name in ROW_MODELS[entity].model_fields if name in table.c]


def _query(entity: Entity, scope: list[uuid.UUID], low: int, high: int, limit: int) -> Any:
    """ORM objects for the two small tables that need relationships, plain rows (much cheaper
    for pages of thousands) for the authority-scoped ones."""
    stmt: Any
    column: Any
    if entity is Entity.AUTHORITIES:
        stmt = select(Authority).where(Authority.id.in_(scope))
        column = Authority.version
    elif entity is Entity.AGENTS:
        members = select(AgentAuthority.agent_id).where(AgentAuthority.authority_id.in_(scope))
        stmt = select(Agent).where(Agent.id.in_(members))
        column = Agent.version
    else:
        model = SCOPED_MODELS[entity]
        stmt = select(*_wire_columns(entity)).where(model.authority_id.in_(scope))
        column = model.version
    return stmt.where(column > low, column <= high).order_by(column).limit(limit)


def pull(
    session: Session, scope: list[uuid.UUID], cursor: int, limit: int
) -> tuple[PullResponse, list[Any]]:
    """Returns the page and the citizen rows it contains (for the audit trail)."""
    high, epoch = session.execute(select(SyncState.version, SyncState.epoch)).one()
    candidates: list[tuple[int, Entity, Any]] = []
    if scope and cursor < high:
        for entity in Entity:
            result = session.execute(_query(entity, scope, cursor, high, limit + 1))
            if entity in SCOPED_MODELS:
                for mapping in result.mappings():
                    candidates.append((mapping["version"], entity, dict(mapping)))
            else:
                for row in result.scalars():
                    candidates.append((row.version, entity, row))
        tomb_stmt = (
            select(Tombstone)
            .where(Tombstone.authority_id.in_(scope), Tombstone.version > cursor,
                   Tombstone.version <= high)
            .order_by(Tombstone.version)
            .limit(limit + 1)
        )
        for tomb in session.execute(tomb_stmt).scalars():
            candidates.append((tomb.version, Entity.AUTHORITIES, tomb))
    page = heapq.nsmallest(limit + 1, candidates, key=lambda c: c[0])
    has_more = len(page) > limit
    page = page[:limit]
    buckets: dict[str, list[Any]] = {entity.value: [] for entity in Entity}
    tombstones: list[WireTombstone] = []
    citizens: list[Any] = []
    for _version, entity, row in page:
        if isinstance(row, Tombstone):
            tombstones.append(
                WireTombstone(entity=Entity(row.entity), id=row.row_id, version=row.version)
            )
            continue
        if entity is Entity.AGENTS:
            buckets[entity.value].append(agent_row(row, scope))
            continue
        buckets[entity.value].append(ROW_MODELS[entity].model_validate(row))
        if entity is Entity.CITIZENS:
            citizens.append(buckets[entity.value][-1])
    next_cursor = page[-1][0] if has_more else max(high, cursor)
    response = PullResponse(
        epoch=epoch, cursor=next_cursor, has_more=has_more, tombstones=tombstones, **buckets
    )
    return response, citizens


def encode(page: PullResponse) -> str:
    """The page as JSON. Rows are already checked one by one when built (see ``Row``); should
    one still fail to encode, it is logged with its id and left out rather than failing the
    page, and so the sync of a whole commune."""
    try:
        return page.model_dump_json()
    except (ValueError, RecursionError, PydanticSerializationError):
        log.exception("pull page could not be encoded: rows checked one by one")
    for entity in Entity:
        kept = []
        for row in getattr(page, entity.value):
            try:
                row.model_dump_json()
            except (ValueError, RecursionError, PydanticSerializationError):
                log.error("row %s of %s cannot be encoded: left out of the pull page",
                          row.id, entity.value)
                continue
            kept.append(row)
        setattr(page, entity.value, kept)
    return page.model_dump_json()


def counts(session: Session, scope: list[uuid.UUID]) -> dict[Entity, int]:
    result: dict[Entity, int] = {}
    for entity in Entity:
        if entity is Entity.AUTHORITIES:
            stmt = select(func.count()).select_from(Authority).where(Authority.id.in_(scope))
        elif entity is Entity.AGENTS:
            stmt = select(func.count(func.distinct(AgentAuthority.agent_id))).where(
                AgentAuthority.authority_id.in_(scope)
            )
        else:
            model = SCOPED_MODELS[entity]
            stmt = select(func.count()).select_from(model).where(model.authority_id.in_(scope))
        result[entity] = int(session.execute(stmt).scalar_one())
    return result
