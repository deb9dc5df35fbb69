"""Property: a client that applies pulls (rows and tombstones) incrementally, interleaved with
random pushes, ends with exactly the server's rows — the core promise of the sync contract."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.protocol.vocabulary import Status
from sync.protocol.wire import Entity
from tests.server.conftest import World
from tests.server.helpers import mutation

OPS = st.lists(
    st.tuples(
        st.sampled_from(["create", "status", "edit", "message", "delete", "citizen",
                         "forget_citizen", "pull"]),
        st.integers(min_value=0, max_value=50),
        st.sampled_from(list(Status)),
    ),
    min_size=5, max_size=30,
)


class Replica:
    """What a client stores: rows by entity and id, and the cursor."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, dict[str, Any]]] = {e.value: {} for e in Entity}
        self.cursor = 0

    def pull(self, world: World) -> None:
        while True:
            page = world.client.post("/api/v1/sync/pull", headers=world.a.headers(),
                                     json={"cursor": self.cursor, "limit": 13}).json()
            for entity in Entity:
                for row in page[entity.value]:
                    self.rows[entity.value][row["id"]] = row
            for tomb in page["tombstones"]:
                self.rows[tomb["entity"]].pop(tomb["id"], None)
            self.cursor = page["cursor"]
            if not page["has_more"]:
                return


@pytest.mark.slow
def test_incremental_pull_converges(world: World) -> None:
    @settings(max_examples=15, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(OPS)
    def run(ops: list[tuple[str, int, Status]]) -> None:
        authority = str(world.a.authority_id)
        client_id = str(uuid.uuid4())
        replica = Replica()
        replica.pull(world)
        requests: list[str] = []
        citizens: list[str] = []
        mutation_id = 0
        for op, pick, status in ops:
            mutation_id += 1
            name: str
            args: dict[str, Any]
            if op == "pull":
                replica.pull(world)
                continue
            if op == "citizen" or (op == "forget_citizen" and not citizens):
                citizens.append(str(uuid.uuid4()))
                name, args = "citizen.upsert", {"id": citizens[-1], "authority_id": authority,
                                               "fields": {"kind": "person", "last_name": "X"}}
            elif op == "forget_citizen":
                name, args = "citizen.delete", {"citizen_id": citizens.pop(pick % len(citizens))}
            elif op == "create" or not requests:
                requests.append(str(uuid.uuid4()))
                citizen = citizens[pick % len(citizens)] if citizens else None
                name, args = "request.create", {"id": requests[-1], "authority_id": authority,
                                                "channel": "phone", "subject": f"n°{pick}",
                                                "citizen_id": citizen}
            else:
                target = requests[pick % len(requests)]
                if op == "status":
                    current = replica.rows["requests"].get(target, {}).get("status", "received")
                    name, args = "request.set_status", {"request_id": target,
                                                        "from_status": current,
                                                        "status": status.value}
                elif op == "edit":
                    name, args = "request.update_fields", {"request_id": target,
                                                           "fields": {"description": str(pick)}}
                elif op == "message":
                    name, args = "message.add", {"id": str(uuid.uuid4()), "request_id": target,
                                                 "direction": "inbound", "channel": "phone"}
                else:
                    name, args = "request.delete", {"request_id": target}
                    requests.remove(target)
            response = world.client.post(
                "/api/v1/sync/push", headers=world.a.headers(),
                json={"client_id": client_id,
                      "mutations": [mutation(client_id, mutation_id, name, args)]})
            assert response.status_code == 200, response.text
            assert response.json()["results"][0]["result"] in ("applied", "rejected", "conflict")
        replica.pull(world)
        fresh = Replica()
        fresh.pull(world)
        assert replica.rows == fresh.rows
        meta = world.client.get("/api/v1/sync/meta", headers=world.a.headers()).json()
        for entity in Entity:
            assert len(replica.rows[entity.value]) == meta["counts"][entity.value], entity

    run()


DECISION_REPORTS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=2),  # which PC reports
        st.sampled_from(["implicit_decision", "express_answer", "replay"]),
    ),
    min_size=1, max_size=12,
)


@pytest.mark.slow
def test_implicit_decision_reports_merge_to_one_outcome(world: World) -> None:
    """Whatever order several PCs report the same implicit decision in, replays included,
    with a closing « sans suite » possibly racing them: the history holds one ``outcome_set``
    per outcome actually taken (never the same one twice), the request the last of them, and
    a PC is told of a conflict only when the server holds a different outcome."""
    from datetime import date

    @settings(max_examples=20, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(DECISION_REPORTS)
    def run(reports: list[tuple[int, str]]) -> None:
        creator = str(uuid.uuid4())
        request_id = str(uuid.uuid4())
        args = {"id": request_id, "authority_id": str(world.a.authority_id),
                "channel": "paper", "subject": "Permis de végétaliser"}
        world.client.post("/api/v1/sync/push", headers=world.a.headers(), json={
            "client_id": creator, "mutations": [mutation(creator, 1, "request.create", args)]})
        pcs = [str(uuid.uuid4()) for _ in range(3)]
        next_id = [1, 1, 1]
        answered = False
        for pc, kind in reports:
            if kind == "express_answer":
                name, margs = "request.set_status", {
                    "request_id": request_id, "from_status": "received", "status": "closed",
                    "outcome": "no_follow_up"}
            else:
                name, margs = "request.implicit_decision", {
                    "request_id": request_id, "outcome": "implicit_acceptance",
                    "arose_on": str(date.today())}
            mutation_id = next_id[pc] - 1 if kind == "replay" and next_id[pc] > 1 else next_id[pc]
            body = {"client_id": pcs[pc],
                    "mutations": [mutation(pcs[pc], mutation_id, name, margs)]}
            response = world.client.post("/api/v1/sync/push", headers=world.a.headers(), json=body)
            assert response.status_code == 200, response.text
            result = response.json()["results"][0]
            if result.get("replayed"):
                continue
            next_id[pc] = mutation_id + 1
            if name == "request.set_status":
                assert result["result"] in ("applied", "conflict", "rejected")
                answered = answered or result["result"] == "applied"
                continue
            server_outcome = result.get("server_row", {}) or {}
            if result["result"] == "conflict":
                assert server_outcome.get("outcome") == "no_follow_up"
            else:
                assert result["result"] == "applied", result
        row = world.client.get(f"/api/v1/requests/{request_id}", headers=world.a.headers()).json()
        events = world.client.get(f"/api/v1/requests/{request_id}/events",
                                  headers=world.a.headers()).json()
        taken = [e["data"]["outcome"] for e in events if e["kind"] == "outcome_set"]
        # Reported three times or once, the tacit acceptance is written once; a closing
        # « sans suite » that came after it is a second, different entry, never a lost one.
        assert taken.count("implicit_acceptance") <= 1
        assert all(a != b for a, b in zip(taken, taken[1:], strict=False))
        assert row["outcome"] == (taken[-1] if taken else None)
        assert answered == (row["outcome"] == "no_follow_up")

    run()
