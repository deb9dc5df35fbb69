"""Concurrent writers and a puller: versions stay unique and a pull never steps over a row."""

from __future__ import annotations

import threading
import uuid

from server.access import Principal
from server.services import pull as pull_service
from server.services import push as push_service
from sync.protocol.vocabulary import Role
from sync.protocol.wire import Mutation, MutationName, PushRequest
from tests.server.conftest import World


def test_concurrent_pushes_and_pull(world: World) -> None:
    db = world.db
    principal = Principal(world.a.agent_ids["clerk"], "clerk", Role.CLERK,
                          frozenset({world.a.authority_id}), "127.0.0.1")
    created: list[str] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def writer() -> None:
        client_id = uuid.uuid4()
        try:
            for n in range(1, 16):
                request_id = uuid.uuid4()
                created.append(str(request_id))
                result = push_service.push(db, principal, PushRequest(
                    client_id=client_id, mutations=[Mutation(
                        client_id=client_id, mutation_id=n, base_version=0,
                        name=MutationName.REQUEST_CREATE,
                        args={"id": str(request_id), "authority_id": str(world.a.authority_id),
                              "channel": "phone", "subject": f"Appel {n}"})]))
                assert result.results[0].result == "applied", result.results[0].reason
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    seen: set[str] = set()
    versions: list[int] = []

    def puller() -> None:
        cursor = 0
        try:
            while True:
                finished = done.is_set()
                with db.read() as session:
                    page, _ = pull_service.pull(session, [world.a.authority_id], cursor, 7)
                seen.update(str(r.id) for r in page.requests)
                versions.extend(r.version for r in page.requests)
                cursor = page.cursor
                if finished and not page.has_more:
                    return
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    writers = [threading.Thread(target=writer) for _ in range(4)]
    reader = threading.Thread(target=puller)
    reader.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    reader.join()
    assert not errors, errors
    assert set(created) <= seen
    assert len(versions) == len(set(versions))
