"""Citizens (usagers): identity checks by kind, field-level merge, RGPD deletion."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import audit
from server.access import Action, Principal, authorize, check_authority, get_scoped, id_taken
from server.db.models import Citizen, PhoneCall, Request
from server.db.types import utcnow
from server.problems import ProblemError
from server.services.common import Change, jsonable, same_value, stamp, tombstone
from sync.protocol.identifiers import rna_is_valid, siret_is_valid
from sync.protocol.vocabulary import CitizenKind
from sync.protocol.wire import (
    CitizenDeleteArgs,
    CitizenFields,
    CitizenMergeArgs,
    CitizenUpsertArgs,
    Entity,
)

WHAT = "Cet usager"


def identity_problems(fields: CitizenFields, *, strict: bool) -> list[str]:
    """What is missing or wrong in an identity, in French. ``strict`` is the public portal's
    rule (full identity required); the back office accepts a partial one (a phone caller)."""
    problems: list[str] = []
    if fields.kind is CitizenKind.PERSON:
        if not fields.last_name:
            problems.append("le nom est obligatoire")
        if strict:
            if not fields.first_name:
                problems.append("le prénom est obligatoire")
            if not fields.postal_address:
                problems.append("l'adresse postale est obligatoire")
            if not fields.email or "@" not in fields.email:
                problems.append("une adresse électronique valide est obligatoire")
    elif fields.kind is CitizenKind.ASSOCIATION:
        if strict and not fields.rna_number:
            problems.append("le numéro RNA est obligatoire (W suivi de 9 chiffres)")
        if not fields.organisation_name:
            problems.append("le nom de l'association est obligatoire")
    elif fields.kind is CitizenKind.COMPANY:
        if strict and not fields.siret:
            problems.append("le SIRET est obligatoire")
        if not fields.organisation_name and strict:
            problems.append("la raison sociale est obligatoire")
    if fields.siret and not siret_is_valid(fields.siret):
        problems.append("le SIRET est invalide (clé de contrôle incorrecte)")
    if fields.rna_number and not rna_is_valid(fields.rna_number):
        problems.append("le numéro RNA est invalide")
    if strict and fields.kind is not CitizenKind.PERSON and (
        not fields.email or "@" not in fields.email
    ):
        problems.append("une adresse électronique valide est obligatoire")
    return problems


def check_identity(fields: CitizenFields, *, strict: bool) -> None:
    problems = identity_problems(fields, strict=strict)
    if problems:
        raise ProblemError(422, "Identité incomplète : " + "; ".join(problems) + ".")


def create_row(
    session: Session, principal: Principal | None, citizen_id: uuid.UUID,
    authority_id: uuid.UUID, fields: CitizenFields, *, ip: str | None = None,
) -> Citizen:
    now = utcnow()
    row = Citizen(
        id=citizen_id, authority_id=authority_id, created_at=now, updated_at=now,
        **{k: jsonable(v) for k, v in fields.model_dump().items()},
    )
    session.add(stamp(session, row))
    audit.record(session, principal, "create", "citizens", row.id, authority_id, ip=ip)
    return row


def upsert(
    session: Session, principal: Principal, args: CitizenUpsertArgs, base_version: int | None
) -> Change:
    check_authority(principal, args.authority_id)
    authorize(principal, Action.WRITE, args.authority_id)
    check_identity(args.fields, strict=False)
    existing = session.get(Citizen, args.id)
    if existing is None:
        return Change(
            Entity.CITIZENS, create_row(session, principal, args.id, args.authority_id, args.fields)
        )
    if existing.authority_id != args.authority_id or existing.authority_id not in (
        principal.authority_ids
    ):
        raise id_taken()  # the same answer as any taken id: B's ids cannot be probed
    stale = base_version is None or existing.version > base_version
    if existing.merged_into_id is not None:
        # Edited on a PC that had not heard of the merge yet: the edit goes to the survivor,
        # field by field against what that PC saw (a field it saw differently is a conflict).
        survivor = session.get(Citizen, resolve_merged(session, existing.id))
        assert survivor is not None
        existing, stale = survivor, True
    conflicts: list[str] = []
    changed: list[str] = []
    new_values: dict[str, Any] = {
        k: jsonable(v) for k, v in args.fields.model_dump(exclude_unset=True).items()
    }
    for name, new in new_values.items():
        current = getattr(existing, name)
        if stale and name in args.previous and not same_value(current, args.previous[name]):
            if current != new:
                conflicts.append(name)
            continue
        if current != new:
            setattr(existing, name, new)
            changed.append(name)
    if changed:
        stamp(session, existing)
        audit.record(session, principal, "update", "citizens", existing.id,
                     existing.authority_id, {"fields": sorted(changed)})
    return Change(Entity.CITIZENS, existing, conflicts)


def delete(
    session: Session, principal: Principal, args: CitizenDeleteArgs, base_version: int | None
) -> Change:
    """Right to erasure: the identity goes, requests and calls stay but lose the link."""
    row = get_scoped(session, Citizen, args.citizen_id, principal, WHAT)
    authorize(principal, Action.DELETE, row.authority_id)
    linked_models: tuple[Any, ...] = (Request, PhoneCall)
    # The records merged into this one are the same person's identity: erased with it.
    for absorbed in session.execute(
        select(Citizen).where(Citizen.merged_into_id == row.id)
    ).scalars():
        tombstone(session, Entity.CITIZENS, absorbed.id, absorbed.authority_id, principal)
        session.delete(absorbed)
    session.flush()
    for model in linked_models:
        for linked in session.execute(select(model).where(model.citizen_id == row.id)).scalars():
            linked.citizen_id = None
            stamp(session, linked)
    tombstone(session, Entity.CITIZENS, row.id, row.authority_id, principal)
    audit.record(session, principal, "delete", "citizens", row.id, row.authority_id)
    session.delete(row)
    return Change(Entity.CITIZENS, row)


# ----------------------------------------------------------------------------------- merge

#: How many merges may chain (A into B, B into C…) before a resolution gives up: merges
#: re-point earlier tombstones to the new survivor, so a chain longer than one is a bug.
_MAX_CHAIN = 8
#: The identity fields, named as on the wire, in the order the user chooses them.
IDENTITY_FIELDS: tuple[str, ...] = tuple(CitizenFields.model_fields)


def resolve_merged(session: Session, citizen_id: uuid.UUID | None) -> uuid.UUID | None:
    """The citizen that now stands for ``citizen_id``: itself, or the survivor it was merged
    into (what a PC that queued a change before hearing of the merge still names)."""
    for _ in range(_MAX_CHAIN):
        if citizen_id is None:
            return None
        row = session.get(Citizen, citizen_id)
        if row is None or row.merged_into_id is None:
            return citizen_id
        citizen_id = row.merged_into_id
    return citizen_id


def _edited_fields(row: Citizen, base: int, previous: dict[str, Any]) -> list[str]:
    """The fields of ``row`` changed since the client's base: those whose value differs from
    what it saw. A row that moved on with every field as the client saw it (its own edit,
    queued before the merge) is no conflict; without ``previous``, any newer version is."""
    if row.version <= base:
        return []
    if not previous:
        return ["version"]
    return [
        name
        for name in IDENTITY_FIELDS
        if name in previous and not same_value(getattr(row, name), previous[name])
    ]


def merge(
    session: Session, principal: Principal, args: CitizenMergeArgs, base_version: int | None
) -> Change:
    """Two records of one citizen become one, atomically with the audit trail.

    The survivor takes the identity chosen field by field; every request and call of the
    absorbed citizen moves to it (each re-versioned, so every PC pulls the move); the
    absorbed row stays as a tombstone pointing to the survivor. When either was edited since
    the PC read it, nothing is merged: ``conflict`` names the fields changed meanwhile."""
    if args.survivor_id == args.absorbed_id:
        raise ProblemError(422, "Un usager ne peut pas être fusionné avec lui-même.")
    survivor = get_scoped(session, Citizen, args.survivor_id, principal, WHAT, for_update=True)
    absorbed = get_scoped(session, Citizen, args.absorbed_id, principal, WHAT, for_update=True)
    if survivor.authority_id != absorbed.authority_id:
        raise ProblemError(
            422, "Deux usagers de communes différentes ne peuvent pas être fusionnés : "
            "chaque commune garde sa propre fiche.",
        )
    authorize(principal, Action.WRITE, survivor.authority_id)
    if survivor.merged_into_id is not None or absorbed.merged_into_id is not None:
        raise ProblemError(
            409, "L'un de ces usagers a déjà été fusionné avec un autre : rien n'a été fait. "
            "Actualisez la fiche puis refaites la fusion si besoin.",
        )
    check_identity(args.fields, strict=False)
    edited_survivor = _edited_fields(survivor, args.survivor_base_version,
                                     args.survivor_previous)
    edited_absorbed = _edited_fields(absorbed, args.absorbed_base_version,
                                     args.absorbed_previous)
    if edited_survivor or edited_absorbed:
        row, fields = (survivor, edited_survivor) if edited_survivor else (
            absorbed, edited_absorbed)
        names = ", ".join(sorted(set(edited_survivor) | set(edited_absorbed)))
        return Change(
            Entity.CITIZENS, row, sorted(set(fields)),
            reason="Fusion non faite : une des deux fiches a été modifiée entre-temps sur un "
            f"autre poste ({names}). Rien n'est perdu : vérifiez les fiches puis refaites "
            "la fusion.",
        )
    before = {name: jsonable(getattr(survivor, name)) for name in IDENTITY_FIELDS}
    for name, value in args.fields.model_dump().items():
        setattr(survivor, name, jsonable(value))
    stamp(session, survivor)
    moved: dict[str, int] = {}
    linked_models: tuple[Any, ...] = (Request, PhoneCall)
    for model in linked_models:
        rows = session.execute(
            select(model).where(model.citizen_id == absorbed.id)
        ).scalars().all()
        for linked in rows:
            linked.citizen_id = survivor.id
            stamp(session, linked)
        moved[model.__tablename__] = len(rows)
    # Earlier tombstones of the absorbed one now point straight to the survivor.
    for earlier in session.execute(
        select(Citizen).where(Citizen.merged_into_id == absorbed.id)
    ).scalars():
        earlier.merged_into_id = survivor.id
        stamp(session, earlier)
    absorbed.merged_into_id = survivor.id
    stamp(session, absorbed)
    changed = sorted(n for n in IDENTITY_FIELDS if before[n] != jsonable(getattr(survivor, n)))
    audit.record(session, principal, "merge", "citizens", survivor.id, survivor.authority_id,
                 {"absorbed_id": str(absorbed.id), "fields": changed, **moved})
    audit.record(session, principal, "merged_into", "citizens", absorbed.id,
                 absorbed.authority_id, {"survivor_id": str(survivor.id)})
    return Change(Entity.CITIZENS, survivor)
