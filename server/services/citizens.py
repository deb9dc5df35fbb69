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
from sync.protocol.wire import CitizenDeleteArgs, CitizenFields, CitizenUpsertArgs, Entity

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
    conflicts: list[str] = []
    changed: list[str] = []
    stale = base_version is None or existing.version > base_version
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
    for model in linked_models:
        for linked in session.execute(select(model).where(model.citizen_id == row.id)).scalars():
            linked.citizen_id = None
            stamp(session, linked)
    tombstone(session, Entity.CITIZENS, row.id, row.authority_id, principal)
    audit.record(session, principal, "delete", "citizens", row.id, row.authority_id)
    session.delete(row)
    return Change(Entity.CITIZENS, row)
