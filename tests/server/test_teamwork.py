"""Services (teams), assignment with a reason, notes and field edits, on both backends.

Tenancy (another commune's agent or service is « introuvable »), the agent who left (refused
with the reason), roles (only an admin of the commune manages its services)."""

from __future__ import annotations

import uuid
from typing import Any

from server.db.models import Agent
from server.services.common import stamp
from server.services.requests import AGENT_LEFT
from tests.server.conftest import World
from tests.server.helpers import mutation, new_request
from tests.server.test_sync import pull_all, push


def _service(world: World, name: str = "Urbanisme", members: list[str] | None = None,
             who: str = "admin") -> Any:
    return world.client.post("/api/v1/services", headers=world.a.headers(who), json={
        "authority_id": str(world.a.authority_id), "name": name,
        "member_ids": members if members is not None else [str(world.a.agent_ids["clerk"])]})


def test_admin_manages_services_clerk_and_other_commune_cannot(world: World) -> None:
    created = _service(world)
    assert created.status_code == 201, created.text
    service = created.json()
    assert service["member_ids"] == [str(world.a.agent_ids["clerk"])]
    # A clerk may list them, not create nor change them (the role is the commune's).
    refused = _service(world, "État civil", who="clerk")
    assert refused.status_code == 403
    assert "administrateur" in refused.json()["detail"]
    listed = world.client.get("/api/v1/services", headers=world.a.headers())
    assert [s["name"] for s in listed.json()["items"]] == ["Urbanisme"]
    # Rename, then retire.
    renamed = world.client.patch(f"/api/v1/services/{service['id']}", json={"name": "Urba"},
                                 headers=world.a.headers("admin"))
    assert renamed.status_code == 200 and renamed.json()["name"] == "Urba"
    assert renamed.json()["version"] > service["version"]
    # Commune B neither sees nor touches it.
    assert world.client.get("/api/v1/services", headers=world.b.headers()).json()["items"] == []
    foreign = world.client.patch(f"/api/v1/services/{service['id']}", json={"name": "x"},
                                 headers=world.b.headers())
    assert foreign.status_code == 404
    # A member from commune B is « introuvable ».
    stranger = _service(world, "Voirie", [str(world.b.agent_ids["clerk"])])
    assert stranger.status_code == 404
    duplicate = _service(world, "Urba")
    assert duplicate.status_code == 409 and "existe déjà" in duplicate.json()["detail"]
    retired = world.client.patch(f"/api/v1/services/{service['id']}", json={"active": False},
                                 headers=world.a.headers("admin"))
    assert retired.json()["active"] is False


def test_assignment_to_agent_or_service_with_reason_pulled(world: World) -> None:
    service = _service(world).json()
    request = new_request(world.client, world.a)
    client_id = str(uuid.uuid4())
    answer = push(world, world.a, client_id, [mutation(client_id, 1, "request.assign", {
        "request_id": request["id"], "assignee_id": str(world.a.agent_ids["admin"]),
        "service_id": service["id"], "reason": "Dossier d'urbanisme, à suivre"},
        request["version"])])
    assert answer.results[0].result == "applied", answer.results[0]
    rows, _cursor, _pages = pull_all(world, world.a)
    pulled = next(r for r in rows["requests"] if r["id"] == request["id"])
    assert pulled["assignee_id"] == str(world.a.agent_ids["admin"])
    assert pulled["assignee_service_id"] == service["id"]
    assert [s["id"] for s in rows["services"]] == [service["id"]]
    event = next(e for e in rows["events"] if e["kind"] == "assigned")
    assert event["data"] == {"assignee_id": str(world.a.agent_ids["admin"]),
                             "service_id": service["id"],
                             "reason": "Dossier d'urbanisme, à suivre"}
    # Commune B pulls no service of A.
    rows_b, _cursor, _pages = pull_all(world, world.b)
    assert rows_b["services"] == []


def test_assignment_to_agent_who_left_or_stranger_is_refused(world: World) -> None:
    request = new_request(world.client, world.a)
    with world.db.write() as session:
        official = session.get(Agent, world.a.agent_ids["official"])
        assert official is not None
        official.active = False
        stamp(session, official)
    client_id = str(uuid.uuid4())
    answer = push(world, world.a, client_id, [
        mutation(client_id, 1, "request.assign", {
            "request_id": request["id"], "assignee_id": str(world.a.agent_ids["official"])}),
        mutation(client_id, 2, "request.assign", {
            "request_id": request["id"], "assignee_id": str(world.b.agent_ids["clerk"])}),
        mutation(client_id, 3, "request.assign", {
            "request_id": request["id"], "assignee_id": None,
            "service_id": str(uuid.uuid4())}),
    ])
    assert [r.result for r in answer.results] == ["rejected"] * 3
    assert answer.results[0].reason == AGENT_LEFT
    assert "introuvable dans cette collectivité" in (answer.results[1].reason or "")
    assert "service est introuvable" in (answer.results[2].reason or "")
    row = world.client.get(f"/api/v1/requests/{request['id']}", headers=world.a.headers())
    assert row.json()["assignee_id"] is None  # nothing half-applied


def test_official_cannot_assign_nor_manage_services(world: World) -> None:
    request = new_request(world.client, world.a)
    refused = world.client.post(f"/api/v1/requests/{request['id']}/assign",
                                json={"assignee_id": str(world.a.agent_ids["clerk"])},
                                headers=world.a.headers("official"))
    assert refused.status_code == 403
    assert _service(world, who="official").status_code == 403


def test_field_edit_records_old_and_new_values(world: World) -> None:
    request = new_request(world.client, world.a)
    client_id = str(uuid.uuid4())
    answer = push(world, world.a, client_id, [mutation(client_id, 1, "request.update_fields", {
        "request_id": request["id"], "fields": {"subject": "Copie intégrale"},
        "previous": {"subject": request["subject"]}}, request["version"])])
    assert answer.results[0].result == "applied"
    rows, _cursor, _pages = pull_all(world, world.a)
    event = next(e for e in rows["events"]
                 if e["kind"] == "field_changed" and e["request_id"] == request["id"])
    assert event["data"]["changes"] == {"subject": [request["subject"], "Copie intégrale"]}


def test_service_save_by_push_from_an_admin(world: World) -> None:
    client_id = str(uuid.uuid4())
    service_id = str(uuid.uuid4())
    args = {"id": service_id, "authority_id": str(world.a.authority_id), "name": "Accueil",
            "member_ids": [str(world.a.agent_ids["clerk"]), str(world.a.agent_ids["admin"])]}
    answer = push(world, world.a, client_id, [mutation(client_id, 1, "service.save", args)],
                  who="admin")
    assert answer.results[0].result == "applied", answer.results[0]
    clerk_client = str(uuid.uuid4())
    refused = push(world, world.a, clerk_client,
                   [mutation(clerk_client, 1, "service.save", {**args, "name": "Pirate"})])
    assert refused.results[0].result == "rejected"


def test_concurrent_reassignment_is_a_conflict(world: World) -> None:
    """Two PCs assign the same request from the same base: the second, which saw nobody
    assigned, gets a conflict with the server's row instead of overwriting."""
    service = _service(world).json()
    request = new_request(world.client, world.a)
    client_id = str(uuid.uuid4())
    first = mutation(client_id, 1, "request.assign", {
        "request_id": request["id"], "assignee_id": str(world.a.agent_ids["clerk"])},
        request["version"])
    second = mutation(client_id, 2, "request.assign", {
        "request_id": request["id"], "assignee_id": None, "service_id": service["id"],
        "previous_assignee_id": None, "previous_service_id": None}, request["version"])
    answer = push(world, world.a, client_id, [first, second])
    assert [r.result for r in answer.results] == ["applied", "conflict"]
    assert answer.results[1].conflicting_fields == ["assignee_id"]
    assert answer.results[1].server_row is not None
    assert answer.results[1].server_row["assignee_id"] == str(world.a.agent_ids["clerk"])
