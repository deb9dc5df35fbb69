"""An administrator's changes to the commune: its settings (``authority.update``) and its
procedures catalogue (``procedure.upsert``, ``procedure.retire``).

Both are edited offline on a PC and pushed like any other change. They merge field by field,
as ``citizen.upsert`` does: two PCs editing different fields both win; the same field changed
on both is a conflict whose server value wins, the PC keeping its own for the admin to choose.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import audit
from server.access import Action, Principal, authorize, check_authority, get_scoped, id_taken
from server.db.models import Authority, Blob, Procedure
from server.problems import ProblemError
from server.services.common import Change, jsonable, same_value, stamp
from server.services.requests import check_assignable_service
from sync.protocol.files import LOGO_TOO_LARGE, LOGO_TYPES, MAX_LOGO_BYTES
from sync.protocol.wire import (
    LETTERHEAD_FIELDS,
    AuthorityUpdateArgs,
    Entity,
    ProcedureRetireArgs,
    ProcedureUpsertArgs,
)

PROCEDURE = "Cette démarche"


def _merge(
    current_of: Callable[[str], Any],
    write: Callable[[str, Any], None],
    new_values: dict[str, Any],
    previous: dict[str, Any],
    stale: bool,
) -> tuple[list[str], list[str]]:
    """Applies ``new_values`` field by field; returns (changed, conflicting) field names.

    A field is a conflict when the row moved on since the PC's base and the value the PC saw
    (``previous``) is no longer the server's, unless both sides wrote the same value."""
    changed: list[str] = []
    conflicts: list[str] = []
    for name, new in new_values.items():
        current = current_of(name)
        if stale and name in previous and not same_value(current, previous[name]):
            if jsonable(current) != new:
                conflicts.append(name)
            continue
        if jsonable(current) != new:
            write(name, new)
            changed.append(name)
    return changed, conflicts


def update_authority(
    session: Session, principal: Principal, args: AuthorityUpdateArgs, base_version: int | None
) -> Change:
    check_authority(principal, args.authority_id)
    authorize(principal, Action.ADMINISTER, args.authority_id)
    row = session.get(Authority, args.authority_id, with_for_update=True)
    if row is None:  # pragma: no cover - the principal's authorities exist
        raise ProblemError(404, "Cette collectivité est introuvable.")
    letterhead = dict(row.letterhead or {})

    def current(name: str) -> Any:
        if name in LETTERHEAD_FIELDS:
            return letterhead.get(name, "")
        if name == "logo_sha256":
            return row.logo_sha256 or ""  # the wire's "" is the column's NULL
        return getattr(row, name)

    def write(name: str, value: Any) -> None:
        if name in LETTERHEAD_FIELDS:
            letterhead[name] = value
        elif name == "logo_sha256":
            row.logo_sha256 = value or None
        else:
            setattr(row, name, value)

    new_values = args.fields.model_dump(mode="json", exclude_none=True)
    if new_values.get("logo_sha256"):
        _check_logo(session, row.id, new_values["logo_sha256"])
    stale = base_version is None or row.version > base_version
    changed, conflicts = _merge(current, write, new_values, args.previous, stale)
    if changed:
        row.letterhead = letterhead  # a new dict: the JSON column sees the change
        stamp(session, row)
        audit.record(session, principal, "update", "authorities", row.id, row.id,
                     {"fields": sorted(changed)})
    return Change(Entity.AUTHORITIES, row, conflicts)


def _check_logo(session: Session, authority_id: Any, sha256: str) -> None:
    """A logo is a PNG or JPEG blob this authority uploaded (the PC sends the file before the
    mutation, as for an attachment), within the logo's size limit."""
    blob = session.get(Blob, (sha256, authority_id))
    if blob is None:
        raise ProblemError(422, "Le fichier du logo n'a pas été reçu par le serveur : "
                                "la synchronisation le renverra.")
    if blob.content_type not in LOGO_TYPES:
        raise ProblemError(422, "Le logo doit être une image PNG ou JPEG.")
    if blob.size > MAX_LOGO_BYTES:
        raise ProblemError(422, LOGO_TOO_LARGE)


def upsert_procedure(
    session: Session, principal: Principal, args: ProcedureUpsertArgs, base_version: int | None
) -> Change:
    check_authority(principal, args.authority_id)
    authorize(principal, Action.ADMINISTER, args.authority_id)
    new_values = args.fields.model_dump(mode="json", exclude_none=True)
    code = new_values.get("code")
    if code is not None:
        clash = session.execute(
            select(Procedure.id).where(
                Procedure.authority_id == args.authority_id, Procedure.code == code,
                Procedure.id != args.id,
            )
        ).first()
        if clash is not None:
            raise ProblemError(409, f"Une autre démarche de la commune a déjà le code « {code} ».")
    if new_values.get("default_service_id"):
        check_assignable_service(session, uuid.UUID(new_values["default_service_id"]),
                                 args.authority_id)
    row = session.get(Procedure, args.id, with_for_update=True)
    if row is None:
        return Change(Entity.PROCEDURES, _create_procedure(session, principal, args, new_values))
    if row.authority_id != args.authority_id or row.authority_id not in principal.authority_ids:
        raise id_taken()  # the same answer as any taken id: another commune's ids stay hidden
    stale = base_version is None or row.version > base_version
    changed, conflicts = _merge(
        lambda name: _procedure_value(row, name), lambda name, value: _set_procedure(
            row, name, value), new_values, args.previous, stale,
    )
    if changed:
        stamp(session, row)
        audit.record(session, principal, "update", "procedures", row.id, row.authority_id,
                     {"fields": sorted(changed)})
    return Change(Entity.PROCEDURES, row, conflicts)


def _procedure_value(row: Procedure, name: str) -> Any:
    if name == "default_service_id":  # the wire's "" is the column's NULL
        return str(row.default_service_id) if row.default_service_id else ""
    return getattr(row, name)


def _set_procedure(row: Procedure, name: str, value: Any) -> None:
    if name == "default_service_id":
        row.default_service_id = uuid.UUID(value) if value else None
    else:
        setattr(row, name, value)


def _create_procedure(
    session: Session, principal: Principal, args: ProcedureUpsertArgs, values: dict[str, Any]
) -> Procedure:
    if not values.get("code") or not values.get("title"):
        raise ProblemError(422, "Une nouvelle démarche doit avoir un code et un intitulé.")
    row = Procedure(
        id=args.id, authority_id=args.authority_id, code=values["code"], title=values["title"],
        silence_rule=values.get("silence_rule") or "accept",
        period_value=values.get("period_value") or 2,
        period_unit=values.get("period_unit") or "months",
        required_documents=values.get("required_documents") or [],
        reply_templates=values.get("reply_templates") or [],
        default_service_id=uuid.UUID(values["default_service_id"])
        if values.get("default_service_id") else None,
        active=True,
    )
    session.add(stamp(session, row))
    audit.record(session, principal, "create", "procedures", row.id, row.authority_id)
    return row


def retire_procedure(
    session: Session, principal: Principal, args: ProcedureRetireArgs, base_version: int | None
) -> Change:
    """Never a deletion: requests keep their procedure; a retired one is only not offered."""
    row = get_scoped(session, Procedure, args.procedure_id, principal, PROCEDURE,
                     for_update=True)
    authorize(principal, Action.ADMINISTER, row.authority_id)
    if row.active != args.active:
        row.active = args.active
        stamp(session, row)
        audit.record(session, principal, "retire" if not args.active else "restore",
                     "procedures", row.id, row.authority_id)
    return Change(Entity.PROCEDURES, row)
