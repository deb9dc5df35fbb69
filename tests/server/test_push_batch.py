"""A push batch commits once: one transaction for the batch, one savepoint per mutation, each
mutation keeping its own result and its idempotency."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select

from server import audit
from server.db.models import MutationLog
from server.problems import ProblemError
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


#: Polled by the app's background workers (mail sender, parapheur), whatever the test does.
BACKGROUND_TABLES = ("MAIL_OUTBOX", "PARAPHEUR")


@contextmanager
def statements(world: World) -> Iterator[list[str]]:
    """Every SQL statement sent to the database meanwhile (upper-cased)."""
    seen: list[str] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        text = statement.lstrip().upper()
        if not any(table in text for table in BACKGROUND_TABLES):
            seen.append(text)

    event.listen(world.db.engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(world.db.engine, "before_cursor_execute", on_execute)


def _creations(world: World, client_id: str, count: int, first: int = 1) -> list[dict[str, Any]]:
    return [mutation(client_id, first + n, "request.create", create_args(world.a))
            for n in range(count)]


def _numbers(world: World) -> list[int]:
    rows, _, _ = pull_all(world, world.a)
    return sorted(int(r["number"].split("-")[1]) for r in rows["requests"])


def test_statements_of_a_batch_of_creations_do_not_grow_with_it(world: World) -> None:
    """No savepoint, no existence query, no counter read or write per creation: the rows of a
    batch are written together (a push of 100 cost 100 flushes and about 12 statements each)."""
    client_id = str(uuid.uuid4())
    push(world, world.a, client_id, _creations(world, client_id, 1))  # connections warm
    with statements(world) as small:
        push(world, world.a, client_id, _creations(world, client_id, 4, first=2))
    with statements(world) as large:
        push(world, world.a, client_id, _creations(world, client_id, 60, first=6))
    assert not [s for s in large if s.startswith(("SAVEPOINT", "RELEASE"))]
    selects = [[s[:90] for s in seen if s.startswith("SELECT")] for seen in (small, large)]
    assert len(selects[1]) == len(selects[0]), selects
    counter = [s for s in large if "RECEIPT_COUNTERS" in s and not s.startswith("SELECT")]
    assert len(counter) == 1  # written back once for the batch
    # INSERTs go in batches (executemany): a handful, not one per row.
    assert sum(s.startswith("INSERT") for s in large) <= 10
    assert _numbers(world) == list(range(1, 66))


def test_a_creation_refused_in_the_batch_leaves_no_gap_nor_trace(world: World) -> None:
    client_id = str(uuid.uuid4())
    batch = _creations(world, client_id, 6)
    batch[2]["args"]["id"] = batch[1]["args"]["id"]  # the same id twice in one batch
    batch[4]["args"]["procedure_id"] = str(uuid.uuid4())  # unknown procedure
    response = push(world, world.a, client_id, batch)
    outcomes = [r.result for r in response.results]
    assert outcomes == ["applied", "applied", "rejected", "applied", "rejected", "applied"]
    assert response.results[2].reason == "Cet identifiant est déjà utilisé."
    assert "démarche" in (response.results[4].reason or "")
    assert _numbers(world) == [1, 2, 3, 4]


def _audit_fails_for(monkeypatch: pytest.MonkeyPatch, row_id: str, error: Exception) -> None:
    """The audit entry of one row raises ``error``: the creation has already numbered and
    written its row when it happens."""
    doomed, original = uuid.UUID(row_id), audit.record

    def record(session: Any, principal: Any, action: str, entity: str, entity_id: Any,
               *args: Any, **kwargs: Any) -> None:
        if entity_id == doomed:
            raise error
        original(session, principal, action, entity, entity_id, *args, **kwargs)

    monkeypatch.setattr(audit, "record", record)


def test_a_surprise_replays_the_batch_with_savepoints(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """An error that is not a refusal, after the row was numbered and written: without a
    savepoint it cannot be undone alone, so the batch is run again with one savepoint per
    mutation. The failing mutation is rejected, its number given back: no gap."""
    client_id = str(uuid.uuid4())
    batch = _creations(world, client_id, 5)
    _audit_fails_for(monkeypatch, batch[2]["args"]["id"], RuntimeError("panne simulée"))
    with statements(world) as seen, counting_commits(world) as commits:
        response = push(world, world.a, client_id, batch)
    assert [r.result for r in response.results] == ["applied", "applied", "rejected",
                                                    "applied", "applied"]
    assert response.results[2].reason == (
        "Erreur interne du serveur : la modification n'a pas été appliquée.")
    assert commits[0] == 1 and any(s.startswith("SAVEPOINT") for s in seen)
    assert _numbers(world) == [1, 2, 3, 4]
    with world.db.read() as session:
        logged = session.execute(select(MutationLog.result).where(
            MutationLog.client_id == uuid.UUID(client_id)).order_by(MutationLog.mutation_id))
        assert list(logged.scalars()) == ["applied", "applied", "rejected", "applied", "applied"]


def test_a_refusal_after_a_write_replays_the_batch(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A handler of ``CHECKED_BEFORE_WRITING`` that refuses after writing breaks its promise:
    this is noticed (versions or numbers taken, rows added) and the batch replayed with
    savepoints, so the refusal leaves nothing behind."""
    client_id = str(uuid.uuid4())
    batch = _creations(world, client_id, 3)
    doomed = batch[1]["args"]["id"]
    _audit_fails_for(monkeypatch, doomed, ProblemError(409, "Refus tardif."))
    response = push(world, world.a, client_id, batch)
    assert [r.result for r in response.results] == ["applied", "rejected", "applied"]
    assert response.results[1].reason == "Refus tardif."
    rows, _, _ = pull_all(world, world.a)
    assert doomed not in {r["id"] for r in rows["requests"]}
    assert _numbers(world) == [1, 2]


def test_a_resent_batch_is_answered_from_the_log_in_one_query(world: World) -> None:
    """A batch resent after a lost answer is all replays: its answers are read at once, and an
    id repeated inside one batch gets the answer its first occurrence got."""
    client_id = str(uuid.uuid4())
    batch = _creations(world, client_id, 30)
    batch[10]["args"]["authority_id"] = str(world.b.authority_id)  # refused: foreign
    first = push(world, world.a, client_id, batch)
    with statements(world) as seen:
        again = push(world, world.a, client_id, batch)
    assert [(r.result, r.reason) for r in again.results] == [
        (r.result, r.reason) for r in first.results]
    assert all(r.replayed for r in again.results)
    assert sum("MUTATION_LOG" in s for s in seen) == 1
    repeated = [*_creations(world, client_id, 1, first=31), mutation(
        client_id, 31, "request.create", create_args(world.a))]
    answer = push(world, world.a, client_id, repeated)
    assert [(r.result, r.replayed) for r in answer.results] == [("applied", False),
                                                                ("applied", True)]
    assert len(_numbers(world)) == 30
