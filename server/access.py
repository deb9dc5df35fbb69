"""Tenancy and role checks, in ONE place.

Every router and every sync mutation goes through these functions:
- an agent only sees the data of their authorities; anything else is answered 404, exactly as if
  it did not exist, so ids of other authorities cannot even be probed;
- what a role may do is one table (``PERMISSIONS``); a refused action is a 403 with a reason;
- a role belongs to a membership (agent, authority): an administrator of commune A is not one
  of commune B, even when the same agent belongs to both. ``authorize`` with an authority checks
  the role there; without one it requires the action in EVERY authority of the agent (the safe
  reading when the caller does not yet know which authority the action touches).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from server.problems import ProblemError, forbidden, not_found
from sync.protocol.vocabulary import Role
from sync.protocol.wire import SERVICES_ADMIN_ONLY


class Action(StrEnum):
    READ = "read"
    WRITE = "write"  # register, edit, change status, add messages, notes, calls, attachments
    DELETE = "delete"
    REASSIGN = "reassign"
    DECIDE = "decide"  # visa, sign or reject in the parapheur
    SEND_TO_PARAPHEUR = "send_to_parapheur"
    CONFIGURE = "configure"  # procedures and authority settings
    AUDIT = "audit"
    #: The commune's mailbox credentials (administrators only, like the audit trail).
    MANAGE_MAILBOX = "manage_mailbox"
    MANAGE_SERVICES = "manage_services"  # create, rename, retire a service, set its members
    ERASE = "erase"  # RGPD erasure and the retention purge: administrators only
    ADMINISTER = "administer"  # the commune's settings and its procedures catalogue (admins)


PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.CLERK: frozenset(
        {
            Action.READ,
            Action.WRITE,
            Action.DELETE,
            Action.REASSIGN,
            Action.SEND_TO_PARAPHEUR,
            Action.CONFIGURE,
        }
    ),
    # An élu reads, annotates and decides in the parapheur; never deletes nor reassigns.
    Role.OFFICIAL: frozenset({Action.READ, Action.WRITE, Action.DECIDE}),
    Role.ADMIN: frozenset(Action),
}

_REFUSALS: dict[Action, str] = {
    Action.WRITE: "Votre rôle ne permet pas de modifier ces données.",
    Action.DELETE: "Votre rôle ne permet pas de supprimer des données.",
    Action.REASSIGN: "Votre rôle ne permet pas d'attribuer ou de réattribuer une demande.",
    Action.DECIDE: "Seuls les élus désignés peuvent viser ou signer au parapheur.",
    Action.SEND_TO_PARAPHEUR: "Votre rôle ne permet pas d'envoyer un dossier au parapheur.",
    Action.CONFIGURE: "Votre rôle ne permet pas de configurer les démarches.",
    Action.AUDIT: "Seul un administrateur peut consulter le journal d'audit.",
    Action.READ: "Votre rôle ne permet pas de consulter ces données.",
    Action.MANAGE_MAILBOX: "Seul un administrateur peut régler la boîte aux lettres de la commune.",
    Action.MANAGE_SERVICES: SERVICES_ADMIN_ONLY,
    Action.ERASE: "Seul un administrateur de la commune peut effacer les données d'un usager.",
    Action.ADMINISTER: "Seul un administrateur de la commune peut modifier ses paramètres "
    "et son catalogue de démarches.",
}


@dataclass(frozen=True)
class Principal:
    """The authenticated agent of a call, with the client's IP for the audit trail."""

    agent_id: uuid.UUID
    login: str
    role: Role
    authority_ids: frozenset[uuid.UUID]
    ip: str | None = None
    #: Role per authority; an authority missing here falls back to ``role`` (tests, tools).
    roles: Mapping[uuid.UUID, Role] = field(default_factory=dict)

    def role_in(self, authority_id: uuid.UUID) -> Role | None:
        if authority_id not in self.authority_ids:
            return None
        return self.roles.get(authority_id, self.role)

    def admin_of(self) -> frozenset[uuid.UUID]:
        """The authorities this agent administers."""
        return frozenset(a for a in self.authority_ids if self.role_in(a) is Role.ADMIN)


def can(principal: Principal, action: Action, authority_id: uuid.UUID | None = None) -> bool:
    if authority_id is not None:
        role = principal.role_in(authority_id)
        return role is not None and action in PERMISSIONS[role]
    if not principal.authority_ids:
        return action in PERMISSIONS[principal.role]
    return all(can(principal, action, a) for a in principal.authority_ids)


def authorize(
    principal: Principal, action: Action, authority_id: uuid.UUID | None = None
) -> None:
    """403 unless the agent's role allows ``action`` in ``authority_id`` (or, without one, in
    every authority of the agent)."""
    if not can(principal, action, authority_id):
        raise forbidden(_REFUSALS[action])


def check_authority(
    principal: Principal, authority_id: uuid.UUID | None, what: str = "Cette collectivité"
) -> uuid.UUID:
    if authority_id is None or authority_id not in principal.authority_ids:
        raise not_found(what)
    return authority_id


def scope(principal: Principal, requested: Iterable[uuid.UUID] | None = None) -> list[uuid.UUID]:
    """The authorities a listing covers: all of the agent's, or the requested subset of them.
    Asking for one outside the agent's set is a 404, not a silently empty list."""
    if requested is None:
        return sorted(principal.authority_ids)
    wanted = list(dict.fromkeys(requested))
    for authority_id in wanted:
        check_authority(principal, authority_id)
    return wanted


M = TypeVar("M")


def get_scoped(
    session: Session,
    model: type[M],
    row_id: uuid.UUID | None,
    principal: Principal,
    what: str,
    *,
    for_update: bool = False,
) -> M:
    """Loads a row of an authority-scoped table, or 404 when absent or out of scope."""
    if row_id is None:
        raise not_found(what)
    row = session.get(model, row_id, with_for_update=for_update or None)
    authority_id: Any = getattr(row, "authority_id", None)
    if row is None or authority_id not in principal.authority_ids:
        raise not_found(what)
    return row


def require_same_authority(row_authority: uuid.UUID, other: Any, what: str) -> None:
    """A link between rows of two authorities is refused as if the target did not exist."""
    if other is not None and getattr(other, "authority_id", None) != row_authority:
        raise ProblemError(404, f"{what} est introuvable dans cette collectivité.")


ID_TAKEN = "Cet identifiant est déjà utilisé."


def id_taken() -> ProblemError:
    """Creating a row with an id that exists ANYWHERE, in this authority or another: the same
    409 and the same words, never where nor whose, so another commune's ids cannot be probed
    (ids are random UUIDs chosen by the clients)."""
    return ProblemError(409, ID_TAKEN)
