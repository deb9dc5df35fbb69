"""Cross-authority access, driven by the published OpenAPI: every operation is tried by agents
of authority A against the data of authority B, and must answer 404 (or 403), never the data.

A new endpoint cannot escape: an operation this file does not know makes the test fail.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from server.access import ID_TAKEN, Principal
from server.db.models import ParapheurFolder, Service
from server.db.types import utcnow
from server.services import retention
from server.services.common import stamp
from sync.protocol.vocabulary import Role
from tests.server.conftest import World
from tests.server.helpers import mutation, new_citizen, new_request, pdf_bytes, upload

PUBLIC = {
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    ("GET", "/health"),
    ("GET", "/api/v1/meta"),  # protocol and oldest accepted desktop, asked before login
    ("GET", "/api/v1/public/authorities/{authority_id}/procedures"),
    ("POST", "/api/v1/public/authorities/{authority_id}/submissions"),
}
#: Operations that only ever act on the caller themself: checked for leaks, not for 404.
SELF_ONLY = {
    ("GET", "/api/v1/auth/me"),
    ("GET", "/api/v1/authorities"),
    ("GET", "/api/v1/sync/meta"),
}
#: Acting on oneself only, and would end the session of the test: covered by other tests
#: (test_auth for these two, test_push_against_foreign_rows_is_rejected for push).
NOT_CALLED = {
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/auth/password"),
    ("POST", "/api/v1/sync/push"),
}


@dataclass
class Foreign:
    """Ids of authority B's rows."""

    ids: dict[str, str]


def _file(name: str = "x.pdf") -> dict[str, Any]:
    return {"file": (name, io.BytesIO(pdf_bytes()), "application/pdf")}


BODIES: dict[tuple[str, str], Callable[[Foreign], dict[str, Any]]] = {
    ("POST", "/api/v1/requests"): lambda f: {"json": {
        "id": str(uuid.uuid4()), "authority_id": f.ids["authority_id"], "channel": "paper",
        "subject": "x"}},
    ("PATCH", "/api/v1/requests/{request_id}"): lambda f: {"json": {"fields": {"subject": "x"}}},
    ("POST", "/api/v1/requests/{request_id}/status"): lambda f: {"json": {
        "status": "acknowledged"}},
    ("POST", "/api/v1/requests/{request_id}/missing-documents"): lambda f: {"json": {
        "documents": ["x"]}},
    ("POST", "/api/v1/requests/{request_id}/acknowledge"): lambda f: {"json": {"mode": "post"}},
    ("POST", "/api/v1/requests/{request_id}/assign"): lambda f: {"json": {"assignee_id": None}},
    ("POST", "/api/v1/requests/{request_id}/notes"): lambda f: {"json": {"text": "x"}},
    ("POST", "/api/v1/requests/{request_id}/messages"): lambda f: {"json": {
        "direction": "outbound", "channel": "email"}},
    ("POST", "/api/v1/citizens"): lambda f: {"json": {
        "authority_id": f.ids["authority_id"], "fields": {"kind": "person", "last_name": "X"}}},
    ("PUT", "/api/v1/citizens/{citizen_id}"): lambda f: {"json": {
        "fields": {"kind": "person", "last_name": "X"}}},
    ("POST", "/api/v1/procedures"): lambda f: {"json": {
        "authority_id": f.ids["authority_id"], "code": "x", "title": "x"}},
    ("POST", "/api/v1/phone-calls"): lambda f: {"json": {
        "id": str(uuid.uuid4()), "authority_id": f.ids["authority_id"], "caller_name": "X"}},
    ("POST", "/api/v1/blobs"): lambda f: {"data": {"authority_id": f.ids["authority_id"]},
                                          "files": _file()},
    ("POST", "/api/v1/attachments"): lambda f: {"data": {"authority_id": f.ids["authority_id"]},
                                                "files": _file()},
    ("POST", "/api/v1/sync/pull"): lambda f: {"json": {"authority_ids": [f.ids["authority_id"]]}},
    ("POST", "/api/v1/parapheur/folders"): lambda f: {"json": {
        "authority_id": f.ids["authority_id"], "title": "x",
        "main_attachment_id": f.ids["attachment_id"],
        "steps": [{"kind": "visa", "official_id": f.ids["agent_id"]}]}},
    ("POST", "/api/v1/parapheur/folders/{folder_id}/decision"): lambda f: {"json": {
        "action": "visa"}},
    ("POST", "/api/v1/parapheur/folders/{folder_id}/annotations"): lambda f: {"json": {
        "text": "x"}},
    ("POST", "/api/v1/agents"): lambda f: {"json": {
        "login": "intrus", "display_name": "x", "role": "clerk", "password": "Abcdef-12",
        "authority_ids": [f.ids["authority_id"]]}},
    ("PATCH", "/api/v1/agents/{agent_id}"): lambda f: {"json": {"active": False}},
    ("POST", "/api/v1/services"): lambda f: {"json": {
        "authority_id": f.ids["authority_id"], "name": "Intrus"}},
    ("PATCH", "/api/v1/services/{service_id}"): lambda f: {"json": {"name": "Intrus"}},
    ("POST", "/api/v1/citizens/{citizen_id}/erase"): lambda f: {"json": {"reason": "x"}},
    ("POST", "/api/v1/authorities/{authority_id}/retention"): lambda f: {"json": {}},
    ("PUT", "/api/v1/authorities/{authority_id}/parapheur-settings"): lambda f: {"json": {
        "connector": "builtin", "config": {}}},
    ("PUT", "/api/v1/authorities/{authority_id}/mailbox"): lambda f: {"json": {
        "host": "imap.example.fr", "username": "mairie"}},
}


@pytest.fixture
def foreign(world: World) -> Foreign:
    """A request of B with everything hanging off it."""
    client, b = world.client, world.b
    citizen = new_citizen(client, b)
    req = new_request(client, b, citizen_id=citizen["id"])
    message = client.post(f"/api/v1/requests/{req['id']}/messages", headers=b.headers(),
                          json={"direction": "inbound", "channel": "email"}).json()
    note = client.post(f"/api/v1/requests/{req['id']}/notes", headers=b.headers(),
                       json={"text": "Note confidentielle"}).json()
    attachment = upload(client, b, pdf_bytes("B"), "b.pdf", req["id"]).json()
    call = client.post("/api/v1/phone-calls", headers=b.headers(), json={
        "id": str(uuid.uuid4()), "authority_id": str(b.authority_id), "caller_name": "Y"}).json()
    procedure = client.get("/api/v1/procedures", headers=b.headers()).json()["items"][0]
    folder_id = uuid.uuid4()
    with world.db.write() as session:
        session.add(stamp(session, ParapheurFolder(
            id=folder_id, authority_id=b.authority_id, request_id=uuid.UUID(req["id"]),
            title="Dossier B", state="pending", main_attachment_id=uuid.UUID(attachment["id"]),
            annex_ids=[], annotations=[], created_at=utcnow(), updated_at=utcnow(),
            steps=[{"position": 1, "kind": "visa", "official_id": str(b.agent_ids["clerk"]),
                    "state": "waiting", "acted_at": None, "comment": None}],
        )))
    service_id = uuid.uuid4()
    with world.db.write() as session:
        session.add(stamp(session, Service(id=service_id, authority_id=b.authority_id,
                                           name="Service de B", member_ids=[])))
    b_admin = Principal(agent_id=b.agent_ids["clerk"], login="b", role=Role.ADMIN,
                        authority_ids=frozenset({b.authority_id}))
    run_id = retention.propose(world.db, b_admin, b.authority_id, date(2030, 1, 1))
    return Foreign({
        "service_id": str(service_id),
        "run_id": str(run_id),
        "authority_id": str(b.authority_id), "request_id": req["id"],
        "citizen_id": citizen["id"], "message_id": message["id"], "event_id": note["id"],
        "attachment_id": attachment["id"], "phone_call_id": call["id"],
        "procedure_id": procedure["id"], "folder_id": str(folder_id),
        "sha256": attachment["sha256"], "agent_id": str(b.agent_ids["clerk"]),
    })


def operations(world: World) -> list[tuple[str, str, dict[str, Any]]]:
    spec = world.app.openapi()
    return [
        (method.upper(), path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


@pytest.mark.parametrize("who", ["admin", "clerk", "official"])
def test_every_operation_refuses_foreign_data(world: World, foreign: Foreign, who: str) -> None:
    client = world.client
    checked = 0
    for method, path, op in operations(world):
        key = (method, path)
        if key in PUBLIC:
            continue
        anonymous = client.request(method, path.replace("{", "").replace("}", ""))
        assert anonymous.status_code in (401, 422), (key, anonymous.status_code)
        if key in NOT_CALLED:
            continue
        url = path
        for name in re.findall(r"{(\w+)}", path):
            assert name in foreign.ids, f"{key}: paramètre {name} inconnu du test de cloisonnement"
            url = url.replace("{" + name + "}", foreign.ids[name])
        params = {
            p["name"]: foreign.ids["authority_id"]
            for p in op.get("parameters", []) if p["in"] == "query" and p["name"] == "authority_id"
        }
        kwargs: dict[str, Any] = {}
        if "requestBody" in op:
            assert key in BODIES, f"{key}: ajoutez un corps valide au test de cloisonnement"
            kwargs = BODIES[key](foreign)
        response = client.request(method, url, params=params, headers=world.a.headers(who),
                                  **kwargs)
        if key in SELF_ONLY:
            assert response.status_code < 500, key
            for secret in ("request_id", "citizen_id", "authority_id"):
                assert foreign.ids[secret] not in response.text, key
            continue
        if params or "{" in path or "authority_id" in str(kwargs):
            expected = {404} if who == "admin" else {403, 404}
            assert response.status_code in expected, (key, who, response.status_code,
                                                      response.text)
        else:
            assert response.status_code < 500, key
            assert foreign.ids["authority_id"] not in response.text, key
            assert foreign.ids["request_id"] not in response.text, key
        checked += 1
    assert checked > 30


def test_push_against_foreign_rows_is_rejected(world: World, foreign: Foreign) -> None:
    client_id = str(uuid.uuid4())
    own = new_request(world.client, world.a)
    f = foreign.ids
    batch = [
        mutation(client_id, 1, "request.set_status",
                 {"request_id": f["request_id"], "from_status": "received", "status": "closed"}),
        mutation(client_id, 2, "request.acknowledge", {"request_id": f["request_id"]}),
        mutation(client_id, 3, "request.update_fields",
                 {"request_id": f["request_id"], "fields": {"subject": "piraté"}}),
        mutation(client_id, 4, "request.delete", {"request_id": f["request_id"]}),
        mutation(client_id, 5, "message.add", {"id": str(uuid.uuid4()),
                 "request_id": f["request_id"], "direction": "outbound", "channel": "email"}),
        mutation(client_id, 6, "citizen.upsert", {"id": f["citizen_id"],
                 "authority_id": world.a.authority_id.hex,
                 "fields": {"kind": "person", "last_name": "X"}}),
        mutation(client_id, 7, "citizen.delete", {"citizen_id": f["citizen_id"]}),
        mutation(client_id, 8, "attachment.unlink", {"attachment_id": f["attachment_id"]}),
        mutation(client_id, 9, "attachment.link", {
            "id": str(uuid.uuid4()), "authority_id": str(world.a.authority_id),
            "sha256": f["sha256"], "filename": "vol.pdf"}),
        mutation(client_id, 10, "request.add_note", {"id": str(uuid.uuid4()),
                 "request_id": f["request_id"], "text": "x"}),
        mutation(client_id, 11, "phone_call.add", {"id": str(uuid.uuid4()),
                 "authority_id": str(world.a.authority_id), "caller_name": "X",
                 "citizen_id": f["citizen_id"]}),
        # B's service taken over from A, and A's request given to B's agent and service.
        mutation(client_id, 12, "service.save", {"id": f["service_id"],
                 "authority_id": str(world.a.authority_id), "name": "Pris"}),
        mutation(client_id, 13, "request.assign", {"request_id": own["id"],
                 "assignee_id": f["agent_id"]}),
        mutation(client_id, 14, "request.assign", {"request_id": own["id"],
                 "assignee_id": None, "service_id": f["service_id"]}),
        mutation(client_id, 15, "audit.read", {"citizen_id": f["citizen_id"],
                 "what": "citizen_file", "at": "2026-11-30T10:00:00Z"}),
        mutation(client_id, 16, "citizen.erase", {"citizen_id": f["citizen_id"]}),
    ]
    response = world.client.post("/api/v1/sync/push", headers=world.a.headers("admin"),
                                 json={"client_id": client_id, "mutations": batch})
    results = response.json()["results"]
    assert [r["result"] for r in results] == ["rejected"] * len(batch), results
    # A foreign id reused for a creation or an upsert gets the generic « identifiant déjà
    # utilisé », the same answer as an id taken in the agent's own commune.
    assert all("introuvable" in r["reason"] or "pas encore été envoyé" in r["reason"]
               or r["reason"] == ID_TAKEN for r in results), results
    assert world.client.get(f"/api/v1/requests/{f['request_id']}",
                            headers=world.b.headers()).json()["subject"] != "piraté"
