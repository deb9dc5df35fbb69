"""Roles belong to (agent, authority): an administrator of A never gains power over B.

The attack these tests replay: an admin of A promotes a secrétaire who also works for B, who
then reads B's audit log and creates an admin in B; the same admin of A disables the global
administrator. B's audit log must show every change that touched B.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from server.auth.passwords import Passwords
from server.db.models import Agent, AgentAuthority, AuditEntry
from server.services.common import stamp
from tests.server.conftest import PASSWORD, World, login


def _shared_agent(world: World, roles: dict[uuid.UUID, str]) -> tuple[uuid.UUID, str]:
    """An agent of both A and B with the given role in each; returns (id, token)."""
    name = f"partage-{uuid.uuid4().hex[:8]}"
    with world.db.write() as session:
        agent = Agent(id=uuid.uuid4(), login=name, display_name="Agent partagé",
                      role="clerk", active=True,
                      password_hash=Passwords(1, 1024, 1).hash(PASSWORD))
        agent.memberships = [AgentAuthority(authority_id=a, role=r) for a, r in roles.items()]
        session.add(stamp(session, agent))
        agent_id = agent.id
    return agent_id, login(world.client, name)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _audit(world: World, authority_id: uuid.UUID, entity_id: uuid.UUID) -> list[dict[str, Any]]:
    with world.db.read() as session:
        rows = session.execute(select(AuditEntry).where(
            AuditEntry.authority_id == authority_id, AuditEntry.entity_id == entity_id,
            AuditEntry.entity == "agents", AuditEntry.action == "update")).scalars()
        return [dict(r.detail) for r in rows]


def test_admin_of_a_cannot_make_an_agent_admin_of_b(world: World) -> None:
    a, b, client = world.a.authority_id, world.b.authority_id, world.client
    agent_id, token = _shared_agent(world, {a: "clerk", b: "clerk"})
    promoted = client.patch(f"/api/v1/agents/{agent_id}", json={"role": "admin"},
                            headers=world.a.headers("admin"))
    assert promoted.status_code == 200, promoted.text
    # Admin in A (where the promoter is admin), still a clerk in B.
    assert client.get(f"/api/v1/authorities/{a}/audit",
                      headers=_bearer(token)).status_code == 200
    assert client.get(f"/api/v1/authorities/{b}/audit",
                      headers=_bearer(token)).status_code == 403
    create_in_b = client.post("/api/v1/agents", headers=_bearer(token), json={
        "login": f"intrus-{uuid.uuid4().hex[:6]}", "display_name": "Intrus", "role": "admin",
        "password": "Robuste-2026!x", "authority_ids": [str(b)]})
    assert create_in_b.status_code == 403
    # Asking explicitly for B is refused too.
    explicit = client.patch(f"/api/v1/agents/{agent_id}",
                            json={"role": "admin", "authority_id": str(b)},
                            headers=world.a.headers("admin"))
    assert explicit.status_code == 403
    assert "n'administrez pas" in explicit.json()["detail"]
    # The role change is in A's audit log.
    assert {"role": "admin", "previous_role": "clerk"} in _audit(world, a, agent_id)


def test_admin_of_a_cannot_disable_an_agent_who_also_belongs_to_b(world: World) -> None:
    a, b, client = world.a.authority_id, world.b.authority_id, world.client
    global_admin, token = _shared_agent(world, {a: "admin", b: "admin"})
    for body in ({"active": False}, {"display_name": "Renommé"}):
        refused = client.patch(f"/api/v1/agents/{global_admin}", json=body,
                               headers=world.a.headers("admin"))
        assert refused.status_code == 403, refused.text
    assert client.get("/api/v1/auth/me", headers=_bearer(token)).status_code == 200
    # The global administrator may disable an agent of A and B, audited in both.
    shared, _ = _shared_agent(world, {a: "clerk", b: "clerk"})
    off = client.patch(f"/api/v1/agents/{shared}", json={"active": False},
                       headers=_bearer(token))
    assert off.status_code == 200 and off.json()["active"] is False
    assert _audit(world, a, shared) == [{"active": False}]
    assert _audit(world, b, shared) == [{"active": False}]


def test_role_per_authority_on_the_wire_and_in_decisions(world: World) -> None:
    a, b, client = world.a.authority_id, world.b.authority_id, world.client
    agent_id, token = _shared_agent(world, {a: "official", b: "clerk"})
    me = client.get("/api/v1/auth/me", headers=_bearer(token)).json()
    assert me["roles"] == {str(a): "official", str(b): "clerk"}
    # A's admin sees only A's membership: B's id never leaves the server.
    rows = client.get(f"/api/v1/authorities/{a}/agents", headers=world.a.headers("admin")).json()
    row = next(r for r in rows if r["id"] == str(agent_id))
    assert row["authority_ids"] == [str(a)] and row["roles"] == {str(a): "official"}
    assert row["role"] == "official"
    # A clerk in B may configure B's procedures but, official in A, not A's.
    def procedure(authority: uuid.UUID) -> int:
        return client.post("/api/v1/procedures", headers=_bearer(token), json={
            "id": str(uuid.uuid4()), "authority_id": str(authority),
            "code": f"p-{uuid.uuid4().hex[:6]}", "title": "Démarche", "silence_rule": "accept",
            "period_value": 2, "period_unit": "months"}).status_code
    assert procedure(b) == 201
    assert procedure(a) == 403


def test_pull_does_not_list_other_communes_of_an_agent(world: World) -> None:
    a, b = world.a.authority_id, world.b.authority_id
    agent_id, _ = _shared_agent(world, {a: "clerk", b: "clerk"})
    with world.db.read() as session:
        version = session.get(Agent, agent_id).version  # type: ignore[union-attr]
    page = world.client.post("/api/v1/sync/pull", json={"cursor": version - 1, "limit": 10},
                             headers=world.a.headers("admin")).json()
    row = next(r for r in page["agents"] if r["id"] == str(agent_id))
    assert row["authority_ids"] == [str(a)]
    assert str(b) not in str(page["agents"])
