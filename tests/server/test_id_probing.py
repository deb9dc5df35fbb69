"""Another commune's ids cannot be probed: creating with an id taken in B answers exactly as
with an id taken in A (409 « Cet identifiant est déjà utilisé. »), never with B's data."""

from __future__ import annotations

import uuid

from server.access import ID_TAKEN
from tests.server.conftest import World
from tests.server.helpers import mutation, new_citizen, new_request


def test_taken_ids_answer_the_same_whatever_their_commune(world: World) -> None:
    client = world.client
    mine, theirs = new_request(client, world.a), new_request(client, world.b)
    answers = []
    for taken in (mine["id"], theirs["id"]):
        response = client.post("/api/v1/requests", headers=world.a.headers(), json={
            "id": taken, "authority_id": str(world.a.authority_id), "channel": "paper",
            "subject": "Sonde", "description": "."})
        answers.append((response.status_code, response.json()["detail"]))
        assert theirs["subject"] not in response.text and str(world.b.authority_id) not in (
            response.text)
    assert answers == [(409, ID_TAKEN), (409, ID_TAKEN)]


def test_citizen_upsert_with_a_foreign_id_is_the_generic_answer(world: World) -> None:
    mine, theirs = new_citizen(world.client, world.a), new_citizen(world.client, world.b)
    client_id = str(uuid.uuid4())
    fields = {"kind": "person", "last_name": "Sonde"}
    batch = [mutation(client_id, 1, "citizen.upsert", {
        "id": theirs["id"], "authority_id": str(world.a.authority_id), "fields": fields})]
    response = world.client.post("/api/v1/sync/push", headers=world.a.headers(),
                                 json={"client_id": client_id, "mutations": batch}).json()
    assert response["results"][0]["result"] == "rejected"
    assert response["results"][0]["reason"] == ID_TAKEN
    assert "Durand" not in str(response) and mine["id"] != theirs["id"]
