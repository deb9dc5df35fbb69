"""RGPD on the server: reads from the PCs in the audit trail, the trail append-only, erasure,
and the 36-month retention purge (approved, one transaction per citizen, resumable)."""

from __future__ import annotations

import os
import time
import uuid
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from server.access import Principal
from server.api.rgpd import NO_AUDIT
from server.db.models import AuditEntry, Citizen, RetentionItem
from server.services import retention
from sync.protocol.vocabulary import Role
from tests.server.conftest import World
from tests.server.helpers import mutation, new_citizen, new_request, pdf_bytes, upload
from tests.server.test_sync import pull_all, push

FAR = date.today().replace(day=1)
#: An « as of » day 40 months ahead: everything the test creates today is 36 months idle then.
LATER = retention.months_before(FAR, -40)


def audit(world: World, who: str = "admin", **params: Any) -> Any:
    return world.client.get("/api/v1/audit", headers=world.a.headers(who), params=params)


def read_args(citizen_id: str, **extra: Any) -> dict[str, Any]:
    return {"citizen_id": citizen_id, "what": "citizen_file",
            "at": "2026-11-30T08:15:00+00:00", **extra}


def test_a_read_on_a_pc_reaches_the_trail(world: World) -> None:
    citizen = new_citizen(world.client, world.a)
    request = new_request(world.client, world.a, citizen_id=citizen["id"])
    client_id = str(uuid.uuid4())
    answer = push(world, world.a, client_id, [
        mutation(client_id, 1, "audit.read", read_args(citizen["id"])),
        mutation(client_id, 2, "audit.read", read_args(
            citizen["id"], what="request_detail", request_id=request["id"])),
    ])
    assert [r.result for r in answer.results] == ["applied", "applied"]
    found = audit(world, citizen_id=citizen["id"], action="read")
    assert found.status_code == 200, found.text
    reads = [e for e in found.json()["items"] if e["detail"].get("from") == "desktop"]
    assert len(reads) == 2
    assert {e["detail"]["via"] for e in reads} == {"citizen_file", "request_detail"}
    assert all(e["agent_id"] == str(world.a.agent_ids["clerk"]) for e in reads)
    assert reads[0]["detail"]["read_at"].startswith("2026-11-30T08:15")
    by_request = audit(world, request_id=request["id"], action="read").json()
    assert by_request["total"] == 1
    # Another commune's agent cannot leave a read on A's citizen (nor learn it exists).
    other = str(uuid.uuid4())
    refused = push(world, world.b, other, [mutation(other, 1, "audit.read",
                                                    read_args(citizen["id"]))])
    assert refused.results[0].result == "rejected"
    assert "introuvable" in (refused.results[0].reason or "")


def test_only_admins_read_the_trail_and_filters_work(world: World) -> None:
    citizen = new_citizen(world.client, world.a)
    new_request(world.client, world.a, citizen_id=citizen["id"])
    for who in ("clerk", "official"):
        denied = audit(world, who)
        assert denied.status_code == 403
        assert denied.json()["detail"] == NO_AUDIT
    inverted = audit(world, since="2026-12-02", until="2026-12-01")
    assert inverted.status_code == 422
    assert "inversée" in inverted.json()["detail"]
    created = audit(world, citizen_id=citizen["id"], action="create").json()
    assert created["total"] == 1
    assert created["items"][0]["agent_id"] == str(world.a.agent_ids["clerk"])
    by_agent = audit(world, agent_id=str(world.a.agent_ids["clerk"]), limit=1).json()
    assert by_agent["total"] >= 2 and len(by_agent["items"]) == 1
    tomorrow = date.fromordinal(date.today().toordinal() + 1).isoformat()
    assert audit(world, since=tomorrow).json()["total"] == 0
    # Another commune's trail: 404, as if it did not exist.
    assert audit(world, authority_id=str(world.b.authority_id)).status_code == 404


def test_the_trail_cannot_be_edited_nor_deleted(world: World) -> None:
    new_citizen(world.client, world.a)
    for method in ("DELETE", "PUT", "PATCH"):
        answer = world.client.request(method, "/api/v1/audit", headers=world.a.headers("admin"))
        assert answer.status_code == 405
    client_id = str(uuid.uuid4())
    envelope = world.client.post(
        "/api/v1/sync/push", headers=world.a.headers("admin"),
        json={"client_id": client_id, "mutations": [
            mutation(client_id, 1, "audit.delete", {"id": str(uuid.uuid4())})]})
    assert envelope.status_code == 422
    # Even behind the API's back, the database refuses it.
    with world.db.read() as session:
        entry_id = session.execute(select(AuditEntry.id).where(
            AuditEntry.authority_id == world.a.authority_id).limit(1)).scalar_one()
    for statement in ("UPDATE audit_log SET action = 'x' WHERE id = :id",
                      "DELETE FROM audit_log WHERE id = :id"):
        with pytest.raises(DBAPIError, match="ajout seul"), world.db.write() as session:
            session.execute(text(statement), {"id": entry_id.hex if world.db.dialect == "sqlite"
                                              else entry_id})


def _citizen_with_files(world: World) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    citizen = new_citizen(world.client, world.a)
    request = new_request(
        world.client, world.a, citizen_id=citizen["id"],
        subject="Permis de Sophie Durand",
        description="Mme Sophie Durand (sophie.durand@example.fr, 06.12.34.56.78) demande.",
        form_fields={"nom": "Durand", "surface": 42, "commentaire": "voir Durand"},
    )
    attachment = upload(world.client, world.a, pdf_bytes(), "justificatif.pdf", request["id"])
    assert attachment.status_code == 201, attachment.text
    return citizen, request, attachment.json()


def test_erasure_is_admin_only_keeps_requests_anonymous_and_the_audit(world: World) -> None:
    citizen, request, attachment = _citizen_with_files(world)
    sha = attachment["sha256"]
    stored = world.app.state.runtime.blobs.root / sha[:2] / sha[2:4] / sha
    an_hour_ago = time.time() - 3600
    os.utime(stored, (an_hour_ago, an_hour_ago))  # not a file arriving right now
    client_id = str(uuid.uuid4())
    args = {"citizen_id": citizen["id"], "reason": "Demande de l'usager du 30/11/2026"}
    clerk = push(world, world.a, client_id, [mutation(client_id, 1, "citizen.erase", args)])
    assert clerk.results[0].result == "rejected"
    assert clerk.results[0].reason == (
        "Seul un administrateur de la commune peut effacer les données d'un usager.")
    assert stored.is_file()  # refused: nothing deleted
    admin_client = str(uuid.uuid4())
    done = push(world, world.a, admin_client, [mutation(admin_client, 1, "citizen.erase", args)],
                who="admin")
    assert done.results[0].result == "applied", done.results[0].reason
    assert not stored.exists()  # the pièce justificative left the server's disk too
    rows, _, _ = pull_all(world, world.a)
    assert citizen["id"] not in {c["id"] for c in rows["citizens"]}
    tombs = {(t["entity"], t["id"]) for t in rows["tombstones"]}
    assert ("citizens", citizen["id"]) in tombs and ("attachments", attachment["id"]) in tombs
    kept = next(r for r in rows["requests"] if r["id"] == request["id"])
    assert kept["citizen_id"] is None
    assert "Durand" not in kept["subject"] + kept["description"]
    assert "sophie.durand@example.fr" not in kept["description"]
    assert "56.78" not in kept["description"]
    assert kept["form_fields"] == {"nom": "[effacé]", "surface": 42,
                                   "commentaire": "voir [effacé]"}
    trail = audit(world, citizen_id=citizen["id"]).json()["items"]
    assert {"create", "erase"} <= {e["action"] for e in trail}
    erased = next(e for e in trail if e["action"] == "erase")
    assert erased["detail"]["attachments_deleted"] == 1 and erased["detail"]["requests"] == 1
    again = push(world, world.a, admin_client,
                 [mutation(admin_client, 2, "citizen.erase", args)], who="admin")
    assert again.results[0].result == "rejected"
    # A read done offline before the erasure, sent after it: still owed to the trail.
    late = push(world, world.a, client_id, [mutation(client_id, 2, "audit.read",
                                                     read_args(citizen["id"]))])
    assert late.results[0].result == "applied", late.results[0].reason
    assert audit(world, citizen_id=citizen["id"], action="read").json()["total"] == 1


def _close(world: World, request_id: str) -> None:
    answer = world.client.post(f"/api/v1/requests/{request_id}/status",
                               json={"status": "closed"}, headers=world.a.headers())
    assert answer.status_code == 200, answer.text


def _admin(world: World) -> Principal:
    return Principal(agent_id=world.a.agent_ids["admin"], login="admin", role=Role.ADMIN,
                     authority_ids=frozenset({world.a.authority_id}))


def _retention_world(world: World) -> tuple[list[str], str]:
    """Two idle citizens (one with a closed request) and one with an open request."""
    idle = [new_citizen(world.client, world.a)["id"] for _ in range(2)]
    _close(world, new_request(world.client, world.a, citizen_id=idle[0])["id"])
    busy = new_citizen(world.client, world.a)["id"]
    new_request(world.client, world.a, citizen_id=busy)
    return idle, busy


def test_retention_list_approval_and_a_crash_mid_purge(world: World) -> None:
    idle, busy = _retention_world(world)
    base = f"/api/v1/authorities/{world.a.authority_id}/retention"
    denied = world.client.post(base, json={"as_of": LATER.isoformat()},
                               headers=world.a.headers("clerk"))
    assert denied.status_code == 403
    proposed = world.client.post(base, json={"as_of": LATER.isoformat()},
                                 headers=world.a.headers("admin"))
    assert proposed.status_code == 200, proposed.text
    run = proposed.json()
    assert {i["citizen_id"] for i in run["items"]} == set(idle)
    assert all(i["display_name"] == "DURAND Sophie" for i in run["items"])
    assert run["cutoff"] == retention.months_before(LATER, 36).isoformat()
    # Asked twice the same day: the same list.
    same = world.client.post(base, json={"as_of": LATER.isoformat()},
                             headers=world.a.headers("admin")).json()
    assert same["id"] == run["id"]
    early = world.client.post(f"/api/v1/retention/{run['id']}/purge",
                              headers=world.a.headers("admin"))
    assert early.status_code == 409
    assert "approuvée" in early.json()["detail"]
    approved = world.client.post(f"/api/v1/retention/{run['id']}/approve",
                                 headers=world.a.headers("admin"))
    assert approved.json()["state"] == "approved"
    assert approved.json()["approved_by"] == str(world.a.agent_ids["admin"])

    class Crash(Exception):
        pass

    def crash(done: int) -> None:
        raise Crash(done)

    with pytest.raises(Crash):
        retention.purge(world.db, _admin(world), uuid.UUID(run["id"]), after_each=crash)
    with world.db.read() as session:
        states = dict(session.execute(select(RetentionItem.citizen_id, RetentionItem.state)
                                      .where(RetentionItem.run_id == uuid.UUID(run["id"]))).all())
        present = set(session.execute(select(Citizen.id).where(
            Citizen.id.in_([uuid.UUID(c) for c in idle]))).scalars())
    # Exactly one citizen purged, the other untouched: never half of one.
    assert sorted(states.values()) == ["pending", "purged"]
    assert {uuid.UUID(str(k)) for k, v in states.items() if v == "pending"} == present
    resumed = world.client.post(f"/api/v1/retention/{run['id']}/purge",
                                headers=world.a.headers("admin"))
    assert resumed.status_code == 200, resumed.text
    report = resumed.json()
    assert report["state"] == "done"
    assert report["report"]["counts"] == {"purged": 2}
    rows, _, _ = pull_all(world, world.a)
    assert {c["id"] for c in rows["citizens"]} & set(idle) == set()
    assert busy in {c["id"] for c in rows["citizens"]}
    actions = [e["action"] for e in audit(world, action="retention_approve").json()["items"]]
    assert actions == ["retention_approve"]
    runs = world.client.get(base, headers=world.a.headers("admin")).json()
    assert runs[0]["report"]["counts"] == {"purged": 2}


def test_a_citizen_active_again_is_kept(world: World) -> None:
    idle, _ = _retention_world(world)
    run_id = retention.propose(world.db, _admin(world), world.a.authority_id, LATER)
    retention.approve(world.db, _admin(world), run_id)
    new_request(world.client, world.a, citizen_id=idle[1])  # came back before the purge
    report = retention.purge(world.db, _admin(world), run_id)
    assert report["counts"] == {"kept": 1, "purged": 1}
    assert datetime.fromisoformat(report["finished_at"]).tzinfo is not None



def test_erasure_by_rest_answers_the_counts(world: World) -> None:
    citizen, request, attachment = _citizen_with_files(world)
    url = f"/api/v1/citizens/{citizen['id']}/erase"
    denied = world.client.post(url, json={"reason": "x"}, headers=world.a.headers("clerk"))
    assert denied.status_code == 403
    assert denied.json()["detail"] == (
        "Seul un administrateur de la commune peut effacer les données d'un usager.")
    done = world.client.post(url, json={"reason": "Courrier du 30/11/2026"},
                             headers=world.a.headers("admin"))
    assert done.status_code == 200, done.text
    assert done.json() | {"citizen_id": None} == {
        "citizen_id": None, "requests": 1, "phone_calls": 0, "messages": 0,
        "attachments_deleted": 1, "attachments_kept": 0}
    gone = world.client.get(f"/api/v1/citizens/{citizen['id']}", headers=world.a.headers())
    assert gone.status_code == 404
    kept = world.client.get(f"/api/v1/requests/{request['id']}", headers=world.a.headers())
    assert kept.status_code == 200 and kept.json()["citizen_id"] is None
    assert world.client.get(f"/api/v1/attachments/{attachment['id']}/content",
                            headers=world.a.headers()).status_code == 404
