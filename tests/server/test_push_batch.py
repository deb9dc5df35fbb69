"""A push batch commits once: one transaction for the batch, one savepoint per mutation, each
mutation keeping its own result and its idempotency."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from tests.server.conftest import World
from tests.server.helpers import mutation
from tests.server.test_sync import create_args, pull_all, push


@contextmanager
def counting_commits(world: World) -> Iterator[list[int]]:
    commits = [0]

    def on_commit(_conn: Any) -> None:
        commits[0] += 1

    event.listen(world.db.engine, "commit", on_commit)
    try:
        yield commits
    finally:
        event.remove(world.db.engine, "commit", on_commit)


def test_batch_of_100_commits_once_with_a_rejection_inside(world: World) -> None:
    client_id = str(uuid.uuid4())
    creations = [create_args(world.a) for _ in range(100)]
    batch = [mutation(client_id, n + 1, "request.create", args)
             for n, args in enumerate(creations)]
    batch[49] = mutation(client_id, 50, "request.create", create_args(world.b))  # foreign
    with counting_commits(world) as commits:
        response = push(world, world.a, client_id, batch)
    assert commits[0] == 1
    outcomes = [r.result for r in response.results]
    assert outcomes[49] == "rejected" and outcomes.count("applied") == 99
    assert response.last_mutation_id == 100
    rows, _, _ = pull_all(world, world.a)
    ids = {r["id"] for r in rows["requests"]}
    assert sum(1 for n, a in enumerate(creations) if a["id"] in ids and n != 49) == 99
    numbers = sorted(r["number"] for r in rows["requests"])
    assert len(set(numbers)) == len(numbers)
    # Replayed: same answers from the log, nothing applied twice.
    again = push(world, world.a, client_id, batch)
    assert [r.result for r in again.results] == outcomes and all(r.replayed for r in again.results)
    rows, _, _ = pull_all(world, world.a)
    assert len(rows["requests"]) == len(ids)


def test_a_batch_takes_its_versions_in_memory(world: World) -> None:
    """The writer lock is held for the whole batch: versions are handed out in memory and the
    counter written once at commit, not one UPDATE (and one flush) per row of every mutation
    after the first savepoint, which made a push of 100 mutations cost over a second."""
    client_id = str(uuid.uuid4())
    batch = [mutation(client_id, n + 1, "request.create", create_args(world.a))
             for n in range(30)]
    counter_writes = [0]

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE SYNC_STATE"):
            counter_writes[0] += 1

    event.listen(world.db.engine, "before_cursor_execute", on_execute)
    try:
        response = push(world, world.a, client_id, batch)
    finally:
        event.remove(world.db.engine, "before_cursor_execute", on_execute)
    assert [r.result for r in response.results] == ["applied"] * 30
    assert counter_writes[0] <= 2  # the lock taken, the counter written back
    rows, _, _ = pull_all(world, world.a)
    versions = [r["version"] for r in rows["requests"]]
    assert len(set(versions)) == len(versions)
    assert max(versions) <= response.version
