"""``citizen.merge`` on the server: every request and call moves to the survivor, the absorbed
citizen becomes a tombstone pointing to it, the audit says who merged what; a citizen edited
meanwhile is a ``conflict`` where nothing is merged; another commune's citizen cannot be
merged (nor probed); a PC that still names the absorbed citizen lands on the survivor."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from server.db.models import AuditEntry
from sync.protocol.wire import MutationResult
from tests.server.conftest import Tenant, World
from tests.server.helpers import mutation
from tests.server.test_sync import create_args, pull_all, push

DURAND = {
    "kind": "person",
    "last_name": "Durand",
    "first_name": "Sophie",
    "email": "sophie.durand@example.fr",
    "phone": "06 12 34 56 78",
    "postal_address": "3 rue des Lilas, 10100 Romilly",
}
DURAND_BIS = {
    "kind": "person",
    "last_name": "DURAND",
    "first_name": "Sophie",
    "email": "s.durand@example.fr",
    "phone": "+33 6 12 34 56 78",
    "postal_address": "3, rue des Lilas, 10100 Romilly",
}


def _upsert(
    client_id: str,
    n: int,
    tenant: Tenant,
    citizen_id: str,
    fields: dict[str, Any],
    base: int = 0,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return mutation(
        client_id,
        n,
        "citizen.upsert",
        {
            "id": citizen_id,
            "authority_id": str(tenant.authority_id),
            "fields": fields,
            "previous": previous or {},
        },
        base,
    )


def _two_citizens_with_history(world: World, client_id: str) -> dict[str, Any]:
    """Two records of Sophie Durand in commune A; the second has a request and a call."""
    survivor, absorbed, call_id = (str(uuid.uuid4()) for _ in range(3))
    req = create_args(world.a, citizen_id=absorbed)
    results = push(
        world,
        world.a,
        client_id,
        [
            _upsert(client_id, 1, world.a, survivor, DURAND),
            _upsert(client_id, 2, world.a, absorbed, DURAND_BIS),
            mutation(client_id, 3, "request.create", req),
            mutation(
                client_id,
                4,
                "phone_call.add",
                {
                    "id": call_id,
                    "authority_id": str(world.a.authority_id),
                    "caller_name": "Mme Durand",
                    "citizen_id": absorbed,
                    "request_id": req["id"],
                },
            ),
        ],
    ).results
    assert [r.result for r in results] == ["applied"] * 4, [r.reason for r in results]
    rows, cursor, _ = pull_all(world, world.a)
    versions = {c["id"]: c["version"] for c in rows["citizens"]}
    return {
        "survivor": survivor,
        "absorbed": absorbed,
        "request": req["id"],
        "call": call_id,
        "versions": versions,
        "cursor": cursor,
    }


def _push_one(world: World, tenant: Tenant, client_id: str, one: dict[str, Any]) -> MutationResult:
    return push(world, tenant, client_id, [one]).results[0]


def _merge_args(world_ids: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "survivor_id": world_ids["survivor"],
        "absorbed_id": world_ids["absorbed"],
        "fields": fields,
        "survivor_base_version": world_ids["versions"][world_ids["survivor"]],
        "absorbed_base_version": world_ids["versions"][world_ids["absorbed"]],
        "survivor_previous": DURAND,
        "absorbed_previous": DURAND_BIS,
    }


def test_merge_moves_everything_and_leaves_a_tombstone(world: World) -> None:
    client_id = str(uuid.uuid4())
    ids = _two_citizens_with_history(world, client_id)
    chosen = {**DURAND, "email": DURAND_BIS["email"]}  # field by field: the newer e-mail
    results = push(
        world,
        world.a,
        client_id,
        [
            mutation(
                client_id,
                5,
                "citizen.merge",
                _merge_args(ids, chosen),
                ids["versions"][ids["survivor"]],
            ),
        ],
    ).results
    assert results[0].result == "applied", results[0].reason

    rows, _, _ = pull_all(world, world.a, cursor=ids["cursor"])
    citizens = {c["id"]: c for c in rows["citizens"]}
    assert citizens[ids["survivor"]]["email"] == "s.durand@example.fr"
    assert citizens[ids["survivor"]]["merged_into_id"] is None
    assert citizens[ids["absorbed"]]["merged_into_id"] == ids["survivor"]
    assert [r["citizen_id"] for r in rows["requests"] if r["id"] == ids["request"]] == [
        ids["survivor"]
    ]
    assert [c["citizen_id"] for c in rows["phone_calls"] if c["id"] == ids["call"]] == [
        ids["survivor"]
    ]
    # The survivor comes before its tombstone: a PC never parks the tombstone for long.
    assert citizens[ids["survivor"]]["version"] < citizens[ids["absorbed"]]["version"]

    with world.db.read() as session:
        audit = (
            session.execute(
                select(AuditEntry).where(
                    AuditEntry.entity_id == uuid.UUID(ids["survivor"]), AuditEntry.action == "merge"
                )
            )
            .scalars()
            .one()
        )
        assert audit.agent_id == world.a.agent_ids["clerk"]
        assert audit.detail["absorbed_id"] == ids["absorbed"]
        assert audit.detail["requests"] == 1 and audit.detail["phone_calls"] == 1

    # A PC that had not heard of the merge: its new request and its edit reach the survivor.
    late = create_args(world.a, citizen_id=ids["absorbed"])
    results = push(
        world,
        world.a,
        client_id,
        [
            mutation(client_id, 6, "request.create", late),
            _upsert(
                client_id,
                7,
                world.a,
                ids["absorbed"],
                {**DURAND_BIS, "phone": "0612345679"},
                base=ids["versions"][ids["absorbed"]],
                previous=DURAND_BIS,
            ),
        ],
    ).results
    assert results[0].result == "applied", results[0].reason
    # phone: the PC saw DURAND_BIS's value, the survivor kept another one: a conflict, with
    # the survivor's row, and the other fields (identical) untouched.
    assert results[1].result == "conflict"
    assert "phone" in results[1].conflicting_fields
    assert results[1].server_row is not None
    assert results[1].server_row["id"] == ids["survivor"]
    rows, _, _ = pull_all(world, world.a, cursor=ids["cursor"])
    assert [r["citizen_id"] for r in rows["requests"] if r["id"] == late["id"]] == [ids["survivor"]]

    # Merging a tombstone again is refused with a reason, nothing moves.
    again = _push_one(
        world, world.a, client_id, mutation(client_id, 8, "citizen.merge", _merge_args(ids, chosen))
    )
    assert again.result == "rejected"
    assert "déjà été fusionné" in (again.reason or "")


def test_merge_after_an_edit_on_another_pc_is_a_conflict_and_nothing_moves(
    world: World,
) -> None:
    pc1, pc2 = str(uuid.uuid4()), str(uuid.uuid4())
    ids = _two_citizens_with_history(world, pc1)
    # PC 2 corrects the absorbed citizen's phone number meanwhile.
    edited = push(
        world,
        world.a,
        pc2,
        [
            _upsert(
                pc2,
                1,
                world.a,
                ids["absorbed"],
                {**DURAND_BIS, "phone": "06 99 88 77 66"},
                base=ids["versions"][ids["absorbed"]],
                previous=DURAND_BIS,
            ),
        ],
    ).results[0]
    assert edited.result == "applied", edited.reason
    result = _push_one(
        world, world.a, pc1, mutation(pc1, 5, "citizen.merge", _merge_args(ids, DURAND))
    )
    assert result.result == "conflict"
    assert result.conflicting_fields == ["phone"]
    assert "Fusion non faite" in (result.reason or "")
    assert result.server_row is not None and result.server_row["phone"] == "06 99 88 77 66"
    rows, _, _ = pull_all(world, world.a, cursor=ids["cursor"])
    citizens = {c["id"]: c for c in rows["citizens"]}
    assert citizens[ids["absorbed"]]["merged_into_id"] is None
    assert not any(r["id"] == ids["request"] for r in rows["requests"])  # not moved


def test_cannot_merge_across_a_foreign_commune(world: World) -> None:
    client_a, client_b = str(uuid.uuid4()), str(uuid.uuid4())
    ids = _two_citizens_with_history(world, client_a)
    foreign = str(uuid.uuid4())
    assert (
        push(world, world.b, client_b, [_upsert(client_b, 1, world.b, foreign, DURAND_BIS)])
        .results[0]
        .result
        == "applied"
    )
    # A's clerk cannot absorb B's citizen, nor B's clerk A's: « introuvable », as if absent.
    args = {**_merge_args(ids, DURAND), "absorbed_id": foreign}
    refused = push(
        world, world.a, client_a, [mutation(client_a, 5, "citizen.merge", args)]
    ).results[0]
    assert refused.result == "rejected"
    assert "introuvable" in (refused.reason or "")
    args = {**_merge_args(ids, DURAND), "survivor_id": foreign}
    refused = push(
        world, world.b, client_b, [mutation(client_b, 2, "citizen.merge", args)]
    ).results[0]
    assert refused.result == "rejected"
    assert "introuvable" in (refused.reason or "")
    rows, _, _ = pull_all(world, world.a, cursor=ids["cursor"])
    assert rows.get("citizens", []) == []  # nothing changed in A


def test_merge_refuses_itself_and_an_invalid_identity(world: World) -> None:
    client_id = str(uuid.uuid4())
    ids = _two_citizens_with_history(world, client_id)
    same = {**_merge_args(ids, DURAND), "absorbed_id": ids["survivor"]}
    nameless = _merge_args(ids, {**DURAND, "last_name": None})
    results = push(
        world,
        world.a,
        client_id,
        [
            mutation(client_id, 5, "citizen.merge", same),
            mutation(client_id, 6, "citizen.merge", nameless),
        ],
    ).results
    assert [r.result for r in results] == ["rejected", "rejected"]
    assert "lui-même" in (results[0].reason or "")
    assert "le nom est obligatoire" in (results[1].reason or "")


def test_erasing_a_survivor_erases_what_was_merged_into_it(world: World) -> None:
    client_id = str(uuid.uuid4())
    ids = _two_citizens_with_history(world, client_id)
    results = push(
        world,
        world.a,
        client_id,
        [
            mutation(client_id, 5, "citizen.merge", _merge_args(ids, DURAND)),
            mutation(client_id, 6, "citizen.delete", {"citizen_id": ids["survivor"]}),
        ],
    ).results
    assert [r.result for r in results] == ["applied", "applied"], [r.reason for r in results]
    rows, _, _ = pull_all(world, world.a, cursor=ids["cursor"])
    gone = {t["id"] for t in rows["tombstones"]}
    assert {ids["survivor"], ids["absorbed"]} <= gone


def test_an_edit_queued_before_the_merge_on_the_same_pc_is_no_conflict(world: World) -> None:
    """The PC corrected the survivor, then merged, before its sync: the merge's base is older
    than the server's row once the correction applied, but every field is as the PC saw it."""
    client_id = str(uuid.uuid4())
    ids = _two_citizens_with_history(world, client_id)
    corrected = {**DURAND, "phone": "03 25 24 00 00"}
    args = {**_merge_args(ids, corrected), "survivor_previous": corrected}
    results = push(
        world,
        world.a,
        client_id,
        [
            _upsert(
                client_id,
                5,
                world.a,
                ids["survivor"],
                corrected,
                base=ids["versions"][ids["survivor"]],
                previous=DURAND,
            ),
            mutation(client_id, 6, "citizen.merge", args, ids["versions"][ids["survivor"]]),
        ],
    ).results
    assert [r.result for r in results] == ["applied", "applied"], [r.reason for r in results]
