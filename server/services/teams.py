"""Services (teams) of a commune: created, renamed, retired and staffed by its administrators.

One ``service.save`` carries the whole state (name, active, members): a service changes
rarely and from one administrator's screen, so the last save wins; each save is one new
version that every PC of the commune pulls."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import audit
from server.access import Action, Principal, authorize, check_authority, id_taken
from server.db.models import Agent, AgentAuthority, Service
from server.problems import ProblemError
from server.services.common import Change, stamp
from sync.protocol.wire import Entity, ServiceSaveArgs

WHAT = "Ce service"


def save(
    session: Session, principal: Principal, args: ServiceSaveArgs, base_version: int | None
) -> Change:
    check_authority(principal, args.authority_id)
    authorize(principal, Action.MANAGE_SERVICES, args.authority_id)
    row = session.get(Service, args.id)
    if row is None and base_version:
        # The client says it edits a service the server has never held: not a creation.
        raise ProblemError(404, f"{WHAT} est introuvable dans cette collectivité.")
    if row is not None and row.authority_id != args.authority_id:
        if row.authority_id in principal.authority_ids:
            raise ProblemError(422, "Un service ne change pas de collectivité.")
        raise id_taken()
    name = " ".join(args.name.split())
    clash = session.execute(
        select(Service.id).where(
            Service.authority_id == args.authority_id, Service.active.is_(True),
            Service.id != args.id,
        ).where(Service.name == name)
    ).first()
    if clash is not None and args.active:
        raise ProblemError(409, f"Un service « {name} » existe déjà dans cette collectivité.")
    members = list(dict.fromkeys(args.member_ids))
    _check_members(session, members, args.authority_id)
    if row is None:
        row = Service(id=args.id, authority_id=args.authority_id)
        session.add(row)
        action = "create"
    else:
        action = "update"
    row.name = name
    row.active = args.active
    row.member_ids = [str(m) for m in members]
    stamp(session, row)
    audit.record(session, principal, action, "services", row.id, row.authority_id,
                 {"name": name, "active": args.active, "members": len(members)})
    return Change(Entity.SERVICES, row)


def _check_members(session: Session, members: list[uuid.UUID], authority_id: uuid.UUID) -> None:
    """Members are active agents of the commune; anyone else is named in the refusal only
    by count (another commune's agents are not to be probed)."""
    if not members:
        return
    rows = session.execute(
        select(Agent.id, Agent.active, Agent.display_name)
        .join(AgentAuthority, AgentAuthority.agent_id == Agent.id)
        .where(AgentAuthority.authority_id == authority_id, Agent.id.in_(members))
    ).all()
    known = {r[0]: r for r in rows}
    strangers = [m for m in members if m not in known]
    if strangers:
        raise ProblemError(404, "Un des membres est introuvable dans cette collectivité.")
    left = sorted(r[2] for r in rows if not r[1])
    if left:
        raise ProblemError(
            422, f"{', '.join(left)} a quitté la collectivité (compte désactivé) : "
                 "un agent désactivé ne peut pas être membre d'un service.")
