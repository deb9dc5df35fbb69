"""The sync contract: idempotent push, per-mutation results, paginated pull, meta."""

from __future__ import annotations

import uuid
from typing import Any

from sync.protocol.wire import PullResponse, PushResponse
from tests.server.conftest import Tenant, World
from tests.server.helpers import mutation, new_request


def push(world: World, tenant: Tenant, client_id: str, mutations: list[dict[str, Any]],
         who: str = "clerk") -> PushResponse:
    response = world.client.post("/api/v1/sync/push", headers=tenant.headers(who),
                                 json={"client_id": client_id, "mutations": mutations})
    assert response.status_code == 200, response.text
    return PushResponse.model_validate(response.json())


def pull_all(world: World, tenant: Tenant, cursor: int = 0, limit: int = 500,
             who: str = "clerk") -> tuple[dict[str, list[Any]], int, int]:
    rows: dict[str, list[Any]] = {}
    pages = 0
    while True:
        response = world.client.post("/api/v1/sync/pull", headers=tenant.headers(who),
                                     json={"cursor": cursor, "limit": limit})
        assert response.status_code == 200, response.text
        page = PullResponse.model_validate(response.json())
        pages += 1
        for name, value in page.model_dump(mode="json").items():
            if isinstance(value, list):
                rows.setdefault(name, []).extend(value)
        assert page.cursor >= cursor
        cursor = page.cursor
        if not page.has_more:
            return rows, cursor, pages


def create_args(tenant: Tenant, **extra: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "authority_id": str(tenant.authority_id),
            "channel": "phone", "subject": "Appel pour une benne", **extra}


def test_push_applies_once_and_replay_is_answered(world: World) -> None:
    client_id = str(uuid.uuid4())
    args = create_args(world.a)
    batch = [
        mutation(client_id, 1, "request.create", args),
        mutation(client_id, 2, "request.acknowledge", {"request_id": args["id"]}),
        mutation(client_id, 3, "request.set_status",
                 {"request_id": args["id"], "from_status": "received", "status": "closed"}),
    ]
    first = push(world, world.a, client_id, batch)
    assert [r.result for r in first.results] == ["applied", "applied", "conflict"]
    assert first.results[2].server_row is not None
    assert first.results[2].server_row["status"] == "acknowledged"
    assert first.last_mutation_id == 3
    rows, _, _ = pull_all(world, world.a)
    events_before = len(rows["events"])
    # The same push again: answered from the log, nothing applied twice.
    second = push(world, world.a, client_id, batch)
    assert all(r.replayed for r in second.results)
    assert [r.result for r in second.results] == ["applied", "applied", "conflict"]
    rows, _, _ = pull_all(world, world.a)
    assert len(rows["events"]) == events_before
    assert len([r for r in rows["requests"] if r["id"] == args["id"]]) == 1


def test_out_of_order_and_gaps(world: World) -> None:
    client_id = str(uuid.uuid4())
    a1, a2 = create_args(world.a), create_args(world.a)
    push(world, world.a, client_id, [mutation(client_id, 10, "request.create", a1)])
    late = push(world, world.a, client_id, [mutation(client_id, 5, "request.create", a2)])
    assert late.results[0].result == "rejected" and late.results[0].replayed
    assert "hors séquence" in (late.results[0].reason or "")
    gap = push(world, world.a, client_id, [mutation(client_id, 42, "request.create", a2)])
    assert gap.results[0].result == "applied" and gap.last_mutation_id == 42


def test_rejection_does_not_block_queue(world: World) -> None:
    client_id = str(uuid.uuid4())
    good = create_args(world.a)
    foreign = create_args(world.b)
    response = push(world, world.a, client_id, [
        mutation(client_id, 1, "request.create", foreign),
        mutation(client_id, 2, "request.create", {"subject": 3}),
        mutation(client_id, 3, "request.create", good),
    ])
    assert [r.result for r in response.results] == ["rejected", "rejected", "applied"]
    assert "introuvable" in (response.results[0].reason or "")
    assert "invalides" in (response.results[1].reason or "")


def test_client_id_bound_to_agent(world: World) -> None:
    client_id = str(uuid.uuid4())
    push(world, world.a, client_id, [mutation(client_id, 1, "request.create",
                                              create_args(world.a))])
    stolen = world.client.post("/api/v1/sync/push", headers=world.b.headers(), json={
        "client_id": client_id,
        "mutations": [mutation(client_id, 2, "request.create", create_args(world.b))]})
    assert stolen.status_code == 403


def test_mixed_client_ids_refused(world: World) -> None:
    response = world.client.post("/api/v1/sync/push", headers=world.a.headers(), json={
        "client_id": str(uuid.uuid4()),
        "mutations": [mutation(str(uuid.uuid4()), 1, "request.acknowledge",
                               {"request_id": str(uuid.uuid4())})]})
    assert response.status_code == 422


def test_field_level_merge(world: World) -> None:
    client_id = str(uuid.uuid4())
    req = new_request(world.client, world.a)
    base = req["version"]
    # Someone else changes the subject on the server.
    world.client.patch(f"/api/v1/requests/{req['id']}", headers=world.a.headers("admin"),
                       json={"fields": {"subject": "Objet du serveur"}})
    result = push(world, world.a, client_id, [mutation(
        client_id, 1, "request.update_fields",
        {"request_id": req["id"], "fields": {"subject": "Objet local", "description": "Local"},
         "previous": {"subject": req["subject"], "description": req["description"]}},
        base_version=base,
    )]).results[0]
    assert result.result == "conflict"
    assert result.conflicting_fields == ["subject"]
    assert result.server_row is not None
    assert result.server_row["subject"] == "Objet du serveur"
    assert result.server_row["description"] == "Local"  # the other field merged


def test_pull_pages_scope_and_tombstones(world: World) -> None:
    client_id = str(uuid.uuid4())
    ids = []
    mutations = []
    for n in range(25):
        args = create_args(world.a, subject=f"Demande {n}")
        ids.append(args["id"])
        mutations.append(mutation(client_id, n + 1, "request.create", args))
    push(world, world.a, client_id, mutations)
    new_request(world.client, world.b)
    rows, cursor, pages = pull_all(world, world.a, limit=7)
    assert pages > 5
    got = [r["id"] for r in rows["requests"]]
    assert set(ids) <= set(got) and len(got) == len(set(got))
    assert {r["authority_id"] for r in rows["requests"]} == {str(world.a.authority_id)}
    assert [a["id"] for a in rows["authorities"]] == [str(world.a.authority_id)]
    versions = [r["version"] for name in rows for r in rows[name] if "version" in r]
    assert len(versions) == len(set(versions))
    # Nothing new: an empty page at the same cursor.
    again, cursor2, _ = pull_all(world, world.a, cursor=cursor)
    assert cursor2 == cursor and not any(again.values())
    # Deletion leaves tombstones (request and its events).
    push(world, world.a, client_id, [mutation(client_id, 100, "request.delete",
                                              {"request_id": ids[0]})])
    delta, _, _ = pull_all(world, world.a, cursor=cursor)
    entities = {(t["entity"], t["id"]) for t in delta["tombstones"]}
    assert ("requests", ids[0]) in entities
    assert any(e == "events" for e, _ in entities)


def test_pull_foreign_scope_is_404(world: World) -> None:
    response = world.client.post("/api/v1/sync/pull", headers=world.a.headers(), json={
        "cursor": 0, "authority_ids": [str(world.b.authority_id)]})
    assert response.status_code == 404


def test_meta(world: World) -> None:
    client_id = str(uuid.uuid4())
    push(world, world.a, client_id, [mutation(client_id, 1, "request.create",
                                              create_args(world.a))])
    meta = world.client.get("/api/v1/sync/meta", params={"client_id": client_id},
                            headers=world.a.headers()).json()
    assert meta["counts"]["requests"] == 1
    assert meta["counts"]["procedures"] == 6
    assert meta["counts"]["agents"] == 3
    assert meta["last_mutation_id"] == 1
    assert meta["epoch"] and meta["max_version"] > 0


def test_all_mutations(world: World) -> None:
    client_id = str(uuid.uuid4())
    citizen_id, call_id, message_id, note_id = (str(uuid.uuid4()) for _ in range(4))
    req = create_args(world.a)
    batch = [
        mutation(client_id, 1, "citizen.upsert", {
            "id": citizen_id, "authority_id": str(world.a.authority_id),
            "fields": {"kind": "association", "organisation_name": "Comité des fêtes",
                       "rna_number": "W103000123"}}),
        mutation(client_id, 2, "request.create", {**req, "citizen_id": citizen_id}),
        mutation(client_id, 3, "request.assign", {
            "request_id": req["id"], "assignee_id": str(world.a.agent_ids["official"])}),
        mutation(client_id, 4, "request.request_documents", {
            "request_id": req["id"], "documents": ["Statuts de l'association"]}),
        mutation(client_id, 5, "message.add", {
            "id": message_id, "request_id": req["id"], "direction": "outbound",
            "channel": "email", "subject": "Pièces manquantes", "body": "Merci d'envoyer…"}),
        mutation(client_id, 6, "phone_call.add", {
            "id": call_id, "authority_id": str(world.a.authority_id), "caller_name": "M. Petit",
            "motive": "Suivi", "duration_seconds": 95, "citizen_id": citizen_id,
            "request_id": req["id"]}),
        mutation(client_id, 7, "request.add_note", {
            "id": note_id, "request_id": req["id"], "text": "Rappeler jeudi."}),
        mutation(client_id, 8, "request.update_fields", {
            "request_id": req["id"], "fields": {"description": "Précisions"}}),
        mutation(client_id, 9, "citizen.delete", {"citizen_id": citizen_id}),
        mutation(client_id, 10, "nope.unknown", {}),
    ]
    response = world.client.post("/api/v1/sync/push", headers=world.a.headers(),
                                 json={"client_id": client_id, "mutations": batch})
    assert response.status_code == 422  # unknown mutation name: the batch is malformed
    batch.pop()
    results = push(world, world.a, client_id, batch).results
    assert [r.result for r in results] == ["applied"] * 9, [r.reason for r in results]
    rows, _, _ = pull_all(world, world.a)
    assert any(m["id"] == message_id for m in rows["messages"])
    assert any(c["id"] == call_id and c["citizen_id"] is None for c in rows["phone_calls"])
    assert any(t["id"] == citizen_id for t in rows["tombstones"])


def test_official_mutations_refused_with_reason(world: World) -> None:
    client_id = str(uuid.uuid4())
    req = new_request(world.client, world.a)
    results = push(world, world.a, client_id, [
        mutation(client_id, 1, "request.delete", {"request_id": req["id"]}),
        mutation(client_id, 2, "request.assign", {"request_id": req["id"], "assignee_id": None}),
    ], who="official").results
    assert [r.result for r in results] == ["rejected", "rejected"]
    assert "supprimer" in (results[0].reason or "")


def test_previous_values_compared_as_values(world: World) -> None:
    """``Z`` versus ``+00:00`` is the same instant: no false conflict."""
    req = new_request(world.client, world.a, received_at="2026-01-05T09:30:00+00:00")
    world.client.patch(f"/api/v1/requests/{req['id']}", headers=world.a.headers("admin"),
                       json={"fields": {"subject": "Changé ailleurs"}})
    client_id = str(uuid.uuid4())
    result = push(world, world.a, client_id, [mutation(
        client_id, 1, "request.update_fields",
        {"request_id": req["id"].upper(),
         "fields": {"received_at": "2026-01-04T08:00:00Z"},
         "previous": {"received_at": "2026-01-05T09:30:00Z"}},
        base_version=req["version"],
    )]).results[0]
    assert result.result == "applied", result.reason


def test_legal_mutations_carry_the_agents_days(world: World) -> None:
    """Late acknowledgement, documents asked and received on the days the agent gives, and the
    implicit decision each PC computes: what a PC offline for a week sends afterwards."""
    from datetime import date, timedelta

    client_id = str(uuid.uuid4())
    late, docs, silent, closed = (create_args(world.a) for _ in range(4))
    today = date.today()
    results = push(world, world.a, client_id, [
        mutation(client_id, 1, "request.create", late),
        mutation(client_id, 2, "request.set_status",
                 {"request_id": late["id"], "from_status": "received", "status": "drafting"}),
        mutation(client_id, 3, "request.acknowledge", {"request_id": late["id"]}),
        mutation(client_id, 4, "request.create", docs),
        mutation(client_id, 5, "request.request_documents", {
            "request_id": docs["id"], "documents": ["Plan"], "asked_on": str(today),
            "deadline": str(today + timedelta(days=30))}),
        mutation(client_id, 6, "request.documents_received",
                 {"request_id": docs["id"], "received_on": str(today + timedelta(days=5))}),
        mutation(client_id, 7, "request.documents_received",
                 {"request_id": docs["id"], "received_on": str(today)}),
        mutation(client_id, 8, "request.documents_received",  # nothing awaited any more
                 {"request_id": docs["id"], "received_on": str(today)}),
        mutation(client_id, 9, "request.create", silent),
        mutation(client_id, 10, "request.implicit_decision", {
            "request_id": silent["id"], "outcome": "implicit_acceptance",
            "arose_on": str(today)}),
        mutation(client_id, 11, "request.implicit_decision", {  # the other PC, same finding
            "request_id": silent["id"], "outcome": "implicit_acceptance",
            "arose_on": str(today)}),
        mutation(client_id, 12, "request.implicit_decision", {
            "request_id": silent["id"], "outcome": "implicit_rejection",
            "arose_on": str(today)}),
        mutation(client_id, 13, "request.create", closed),
        mutation(client_id, 14, "request.set_status", {
            "request_id": closed["id"], "from_status": "received", "status": "closed",
            "outcome": "no_follow_up"}),
        mutation(client_id, 15, "request.acknowledge", {"request_id": closed["id"]}),
        mutation(client_id, 16, "request.implicit_decision", {
            "request_id": closed["id"], "outcome": "implicit_rejection",
            "arose_on": str(today)}),
        mutation(client_id, 17, "request.implicit_decision", {
            "request_id": docs["id"], "outcome": "accepted", "arose_on": str(today)}),
    ]).results
    assert [r.result for r in results] == [
        "applied", "applied", "applied",
        "applied", "applied", "rejected", "applied", "rejected",
        "applied", "applied", "applied", "conflict",
        "applied", "applied", "rejected", "conflict",
        "rejected",
    ], [r.reason for r in results]
    assert "déjà traitée" in (results[14].reason or "")
    assert "futur" in (results[5].reason or "")
    assert "Aucune pièce manquante" in (results[7].reason or "")
    assert results[11].conflicting_fields == ["outcome"]
    rows, _, _ = pull_all(world, world.a)
    requests = {r["id"]: r for r in rows["requests"]}
    assert requests[late["id"]]["status"] == "drafting"
    assert requests[late["id"]]["acknowledged_at"] is not None
    assert requests[docs["id"]]["status"] == "acknowledged"
    assert requests[silent["id"]]["outcome"] == "implicit_acceptance"
    events = [e for e in rows["events"] if e["request_id"] in (docs["id"], silent["id"])]
    by_kind = {e["kind"]: e["data"] for e in events}
    assert by_kind["missing_documents_requested"]["deadline"] == str(today + timedelta(days=30))
    assert by_kind["missing_documents_requested"]["asked_on"] == str(today)
    assert by_kind["missing_documents_received"]["received_on"] == str(today)
    assert by_kind["outcome_set"] == {"outcome": "implicit_acceptance", "implicit": True,
                                      "arose_on": str(today)}
    assert sum(e["kind"] == "outcome_set" for e in events) == 1
