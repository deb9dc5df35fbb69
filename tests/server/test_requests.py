"""Requests, citizens, procedures, events: the life cycle enforced server-side."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from sync.protocol.vocabulary import ALLOWED_TRANSITIONS, Status
from tests.server.conftest import World
from tests.server.helpers import new_citizen, new_request


def test_intake_numbering_and_events(world: World) -> None:
    client = world.client
    received = datetime.now(UTC) - timedelta(days=3)
    first = new_request(client, world.a, received_at=received.isoformat())
    second = new_request(client, world.a, channel="web")
    year = datetime.now(UTC).year
    assert first["number"].startswith(f"{received.year}-")
    assert second["number"] == f"{year}-{int(first['number'][-6:]) + 1:06d}" or (
        received.year != year
    )
    assert first["status"] == "received"
    # Paper: the agent's date; web: the server's clock, whatever the client says.
    assert datetime.fromisoformat(first["received_at"]) == received
    events = client.get(f"/api/v1/requests/{second['id']}/events", headers=world.a.headers())
    kinds = [e["kind"] for e in events.json()]
    assert kinds == ["created", "registration_receipt_sent"]
    # Numbers are per authority: B starts again at 1.
    other = new_request(client, world.b)
    assert other["number"].endswith("000001")


def test_future_paper_date_refused(world: World) -> None:
    body = {"id": str(uuid.uuid4()), "authority_id": str(world.a.authority_id),
            "channel": "paper", "subject": "x",
            "received_at": (datetime.now(UTC) + timedelta(days=2)).isoformat()}
    response = world.client.post("/api/v1/requests", json=body, headers=world.a.headers())
    assert response.status_code == 422
    assert "futur" in response.json()["detail"]


def test_life_cycle_follows_allowed_transitions(world: World) -> None:
    client, headers = world.client, world.a.headers()
    req = new_request(client, world.a)
    path = f"/api/v1/requests/{req['id']}/status"
    bad = client.post(path, json={"status": "answered", "outcome": "accepted"}, headers=headers)
    assert bad.status_code == 409
    assert "Impossible de passer" in bad.json()["detail"]
    ack = client.post(f"/api/v1/requests/{req['id']}/acknowledge", headers=headers)
    assert ack.status_code == 200 and ack.json()["acknowledged_at"]
    again = client.post(f"/api/v1/requests/{req['id']}/acknowledge", headers=headers)
    assert again.status_code == 409
    docs = client.post(f"/api/v1/requests/{req['id']}/missing-documents",
                       json={"documents": ["Justificatif de domicile"]}, headers=headers)
    assert docs.json()["status"] == "awaiting_documents"
    assert docs.json()["missing_documents"] == ["Justificatif de domicile"]
    for target in ("drafting", "at_parapheur"):
        response = client.post(path, json={"status": target}, headers=headers)
        assert response.status_code == 200, response.text
    no_outcome = client.post(path, json={"status": "answered"}, headers=headers)
    assert no_outcome.status_code == 422
    answered = client.post(path, json={"status": "answered", "outcome": "accepted"},
                           headers=headers)
    assert answered.json()["outcome"] == "accepted"
    closed = client.post(path, json={"status": "closed"}, headers=headers)
    assert closed.json()["status"] == "closed"
    stuck = client.post(path, json={"status": "drafting"}, headers=headers)
    assert stuck.status_code == 409
    kinds = [e["kind"] for e in client.get(f"/api/v1/requests/{req['id']}/events",
                                           headers=headers).json()]
    assert "missing_documents_received" in kinds and "outcome_set" in kinds


def test_stale_from_status_is_conflict(world: World) -> None:
    req = new_request(world.client, world.a)
    world.client.post(f"/api/v1/requests/{req['id']}/acknowledge", headers=world.a.headers())
    response = world.client.post(
        f"/api/v1/requests/{req['id']}/status",
        json={"status": "drafting", "from_status": "received"}, headers=world.a.headers(),
    )
    assert response.status_code == 409


def test_official_cannot_delete_or_reassign(world: World) -> None:
    client = world.client
    req = new_request(client, world.a)
    official = world.a.headers("official")
    assert client.get(f"/api/v1/requests/{req['id']}", headers=official).status_code == 200
    delete = client.delete(f"/api/v1/requests/{req['id']}", headers=official)
    assert delete.status_code == 403
    assert "supprimer" in delete.json()["detail"]
    assign = client.post(f"/api/v1/requests/{req['id']}/assign",
                         json={"assignee_id": str(world.a.agent_ids["clerk"])}, headers=official)
    assert assign.status_code == 403
    note = client.post(f"/api/v1/requests/{req['id']}/notes", json={"text": "Vu."},
                       headers=official)
    assert note.status_code == 201


def test_assign_only_to_members(world: World) -> None:
    client, headers = world.client, world.a.headers()
    req = new_request(client, world.a)
    ok = client.post(f"/api/v1/requests/{req['id']}/assign",
                     json={"assignee_id": str(world.a.agent_ids["official"])}, headers=headers)
    assert ok.json()["assignee_id"] == str(world.a.agent_ids["official"])
    outsider = client.post(f"/api/v1/requests/{req['id']}/assign",
                           json={"assignee_id": str(world.b.agent_ids["clerk"])},
                           headers=headers)
    assert outsider.status_code == 404


def test_update_fields_merge_and_conflict(world: World) -> None:
    client, headers = world.client, world.a.headers()
    req = new_request(client, world.a)
    path = f"/api/v1/requests/{req['id']}"
    ok = client.patch(path, json={"fields": {"subject": "Nouvel objet"},
                                  "previous": {"subject": req["subject"]}}, headers=headers)
    assert ok.status_code == 200 and ok.json()["subject"] == "Nouvel objet"
    clash = client.patch(path, json={"fields": {"subject": "Autre"},
                                     "previous": {"subject": req["subject"]}}, headers=headers)
    assert clash.status_code == 409
    unknown = client.patch(path, json={"fields": {"status": "closed"}}, headers=headers)
    assert unknown.status_code == 422
    bad_type = client.patch(path, json={"fields": {"subject": 12}}, headers=headers)
    assert bad_type.status_code == 422


def test_citizens_and_delete(world: World) -> None:
    client, headers = world.client, world.a.headers()
    citizen = new_citizen(client, world.a)
    req = new_request(client, world.a, citizen_id=citizen["id"])
    found = client.get("/api/v1/citizens", params={"q": "durand"}, headers=headers).json()
    assert [c["id"] for c in found["items"]] == [citizen["id"]]
    export = client.get(f"/api/v1/citizens/{citizen['id']}/export", headers=headers).json()
    assert export["requests"][0]["id"] == req["id"]
    bad_siret = client.post("/api/v1/citizens", headers=headers, json={
        "authority_id": str(world.a.authority_id),
        "fields": {"kind": "company", "organisation_name": "SARL", "siret": "12345678901234"}})
    assert bad_siret.status_code == 422 and "SIRET" in bad_siret.json()["detail"]
    assert client.delete(f"/api/v1/citizens/{citizen['id']}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/requests/{req['id']}", headers=headers).json()["citizen_id"] is None
    assert client.get(f"/api/v1/citizens/{citizen['id']}", headers=headers).status_code == 404


def test_audit_trail_records_reads(world: World) -> None:
    client = world.client
    citizen = new_citizen(client, world.a)
    client.get(f"/api/v1/citizens/{citizen['id']}", headers=world.a.headers())
    log = client.get(f"/api/v1/authorities/{world.a.authority_id}/audit",
                     params={"entity_id": citizen["id"]}, headers=world.a.headers("admin"))
    assert log.status_code == 200
    actions = [(e["action"], e["agent_id"]) for e in log.json()["items"]]
    assert ("read", str(world.a.agent_ids["clerk"])) in actions
    assert ("create", str(world.a.agent_ids["clerk"])) in actions
    assert all(e["ip"] for e in log.json()["items"])
    denied = client.get(f"/api/v1/authorities/{world.a.authority_id}/audit",
                        headers=world.a.headers())
    assert denied.status_code == 403


def test_procedures(world: World) -> None:
    client, headers = world.client, world.a.headers()
    listed = client.get("/api/v1/procedures", headers=headers).json()
    assert listed["total"] == 6
    created = client.post("/api/v1/procedures", headers=headers, json={
        "authority_id": str(world.a.authority_id), "code": "permis-de-louer",
        "title": "Permis de louer", "silence_rule": "reject", "period_value": 1,
        "period_unit": "months"})
    assert created.status_code == 201
    duplicate = client.post("/api/v1/procedures", headers=headers, json={
        "authority_id": str(world.a.authority_id), "code": "permis-de-louer", "title": "x"})
    assert duplicate.status_code == 409
    assert client.post("/api/v1/procedures", headers=world.a.headers("official"), json={
        "authority_id": str(world.a.authority_id), "code": "autre", "title": "x"}
    ).status_code == 403


def test_malformed_json_and_wrong_types(world: World) -> None:
    client, headers = world.client, world.a.headers()
    broken = client.post("/api/v1/requests", content=b'{"id": ', headers={
        **headers, "content-type": "application/json"})
    assert broken.status_code == 422
    assert broken.headers["content-type"].startswith("application/problem+json")
    assert broken.json()["detail"].startswith("Les données envoyées")
    wrong = client.post("/api/v1/requests", headers=headers, json={
        "id": "pas-un-uuid", "authority_id": 3, "channel": "pigeon", "subject": ["x"]})
    assert wrong.status_code == 422
    names = {p["name"] for p in wrong.json()["invalid-params"]}
    assert {"id", "authority_id", "channel", "subject"} <= names
    assert client.get("/api/v1/requests/not-a-uuid", headers=headers).status_code == 422


#: How to bring a fresh request to each status through the API.
PATHS: dict[Status, list[dict[str, str]]] = {
    Status.RECEIVED: [],
    Status.ACKNOWLEDGED: [{"status": "acknowledged"}],
    Status.AWAITING_DOCUMENTS: [{"status": "awaiting_documents"}],
    Status.DRAFTING: [{"status": "drafting"}],
    Status.AT_PARAPHEUR: [{"status": "drafting"}, {"status": "at_parapheur"}],
    Status.ANSWERED: [{"status": "drafting"}, {"status": "answered", "outcome": "accepted"}],
    Status.CLOSED: [{"status": "closed"}],
}


@pytest.mark.parametrize("current", list(Status))
def test_server_enforces_the_shared_transition_table(world: World, current: Status) -> None:
    """Every (current, target) pair: accepted exactly when ALLOWED_TRANSITIONS says so."""
    client, headers = world.client, world.a.headers()
    for target in Status:
        req = new_request(client, world.a)
        path = f"/api/v1/requests/{req['id']}/status"
        for step in PATHS[current]:
            assert client.post(path, json=step, headers=headers).status_code == 200
        body = {"status": target.value}
        if target is Status.ANSWERED:
            body["outcome"] = "rejected"
        response = client.post(path, json=body, headers=headers)
        expected = target in ALLOWED_TRANSITIONS[current]
        assert (response.status_code == 200) == expected, (current, target, response.text)
        if not expected:
            assert response.status_code == 409


def test_closing_outcomes(world: World) -> None:
    client, headers = world.client, world.a.headers()
    for outcome, expected in (("accepted", 422), ("implicit_acceptance", 200),
                              ("no_follow_up", 200)):
        req = new_request(client, world.a)
        response = client.post(f"/api/v1/requests/{req['id']}/status", headers=headers,
                               json={"status": "closed", "outcome": outcome})
        assert response.status_code == expected, (outcome, response.text)


def test_acknowledgement_dated_by_the_day_the_agent_sent_it(world: World) -> None:
    """« Marquer comme envoyé »: a past day dates the acknowledgement that day (11:00 UTC, the
    same day in every French zone); a future day is refused and changes nothing."""
    from sync.protocol.wire import day_instant

    client, headers = world.client, world.a.headers()
    req = new_request(client, world.a)
    path = f"/api/v1/requests/{req['id']}/acknowledge"
    future = (datetime.now(UTC) + timedelta(days=3)).date()
    refused = client.post(path, json={"sent_on": future.isoformat()}, headers=headers)
    assert refused.status_code == 422 and "futur" in refused.json()["detail"]
    sent_on = (datetime.now(UTC) - timedelta(days=2)).date()
    ack = client.post(path, json={"sent_on": sent_on.isoformat(), "mode": "hand"},
                      headers=headers)
    assert ack.status_code == 200, ack.text
    assert ack.json()["status"] == "acknowledged"
    assert datetime.fromisoformat(ack.json()["acknowledged_at"]) == day_instant(sent_on)
    events = client.get(f"/api/v1/requests/{req['id']}/events", headers=headers).json()
    [sent] = [e for e in events if e["kind"] == "acknowledgement_sent"]
    assert sent["data"] == {"sent_on": sent_on.isoformat(), "mode": "hand"}
