"""An agent as one viewer may see them: only the memberships within the viewer's authorities.

Another commune's id never leaves the server through an agent's row (it would let A learn that
B exists and who works there), and the role shown is the one held where the viewer can see it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

from server.db.models import Agent
from sync.protocol.vocabulary import Role
from sync.protocol.wire import AgentRow

#: Used to summarise several roles into the single ``role`` older clients read.
_RANK = {Role.OFFICIAL: 0, Role.CLERK: 1, Role.ADMIN: 2}


def summary_role(roles: Iterable[Role]) -> Role | None:
    """The most privileged of ``roles`` (admin, then clerk, then official)."""
    ranked = sorted(roles, key=_RANK.__getitem__)
    return ranked[-1] if ranked else None


def agent_row(
    agent: Agent, viewer_scope: Iterable[uuid.UUID] | None = None, *, for_admin: bool = False
) -> AgentRow:
    """``viewer_scope`` None means the agent themself (login, /auth/me): every membership.
    ``for_admin``: an administrator's listing, with the last login and the password state."""
    roles: Mapping[uuid.UUID, str] = agent.roles
    visible = sorted(roles if viewer_scope is None else set(roles) & set(viewer_scope))
    shown = {a: Role(roles[a]) for a in visible}
    role = summary_role(shown.values()) or Role(agent.role)
    return AgentRow(
        id=agent.id, version=agent.version, login=agent.login, display_name=agent.display_name,
        email=agent.email, role=role, active=agent.active, authority_ids=visible, roles=shown,
        last_login_at=agent.last_login_at if for_admin else None,
        must_change_password=agent.must_change_password if for_admin else None,
    )
