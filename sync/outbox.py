"""Turning outbox entries into push batches, and answers back into what the store records.

The queue is strictly ordered by mutation id (the server's idempotence relies on ids growing
per client); a batch is a prefix of what is pending, never a selection.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sync.protocol.wire import (
    MAX_PUSH_BATCH,
    MAX_PUSH_BODY_BYTES,
    Mutation,
    MutationName,
    MutationOutcome,
    MutationResult,
    PushRequest,
)
from sync.store import Answered, OutboxEntry

#: Bytes of mutations in one push: half the server's body limit, so a batch is never refused
#: as a whole (the server once answered 413 and the desktop resent the same batch forever).
PUSH_BYTE_BUDGET = MAX_PUSH_BODY_BYTES // 2
#: JSON around the mutations (client id, brackets): generous.
_ENVELOPE_BYTES = 200


def mutation_size(entry: OutboxEntry, client_id: UUID) -> int:
    """Bytes this mutation takes in a push body (plus the separating comma)."""
    return len(to_mutation(entry, client_id).model_dump_json().encode("utf-8")) + 1


def split_by_bytes(
    entries: Sequence[OutboxEntry], client_id: UUID, budget: int = PUSH_BYTE_BUDGET
) -> tuple[list[OutboxEntry], OutboxEntry | None]:
    """The longest prefix of ``entries`` that fits in ``budget`` bytes, and — when the very
    first entry alone does not fit — that entry, which no push can ever carry: the caller
    refuses it locally so the queue behind it moves on."""
    batch: list[OutboxEntry] = []
    used = _ENVELOPE_BYTES
    for entry in entries:
        size = mutation_size(entry, client_id)
        if used + size > budget:
            if not batch:
                return [], entry
            break
        batch.append(entry)
        used += size
    return batch, None


def refused_locally(entry: OutboxEntry) -> Answered:
    """The answer a mutation too large to send gets on this PC, in the server's words' style:
    it stays visible with its reason, like a refusal by the server."""
    return Answered(entry, MutationResult(
        mutation_id=entry.mutation_id, result=MutationOutcome.REJECTED,
        reason="Modification trop volumineuse pour être envoyée au serveur : elle n'a pas été "
        "transmise. Raccourcissez les textes ou les champs saisis, puis recommencez.",
    ))


def to_mutation(entry: OutboxEntry, client_id: UUID) -> Mutation:
    return Mutation(
        client_id=client_id,
        mutation_id=entry.mutation_id,
        base_version=entry.base_version,
        name=MutationName(entry.name),
        args=entry.args,
    )


def push_request(entries: Sequence[OutboxEntry], client_id: UUID) -> PushRequest:
    if len(entries) > MAX_PUSH_BATCH:
        raise ValueError("batch larger than the protocol allows")
    return PushRequest(client_id=client_id, mutations=[to_mutation(e, client_id) for e in entries])


def match_answers(
    entries: Sequence[OutboxEntry], results: Sequence[MutationResult]
) -> list[Answered]:
    """Pairs each sent entry with its result. An entry the server did not answer (it never
    should) stays pending: it will simply be sent again."""
    by_id = {r.mutation_id: r for r in results}
    return [Answered(e, by_id[e.mutation_id]) for e in entries if e.mutation_id in by_id]


def intended_value(entry: OutboxEntry, field: str) -> Any:
    """What this mutation wanted ``field`` (a wire field name) to become: the "local value"
    kept in the conflicts table when the server's value wins."""
    args = entry.args
    name = entry.name
    if name == MutationName.REQUEST_SET_STATUS and field == "status":
        return args.get("status")
    if name == MutationName.REQUEST_SET_STATUS and field == "outcome":
        return args.get("outcome")
    if name == MutationName.REQUEST_ACKNOWLEDGE:
        return {"status": "acknowledged"}.get(field)
    if name == MutationName.REQUEST_ASSIGN and field == "assignee_id":
        return args.get("assignee_id")
    if name in (MutationName.REQUEST_UPDATE_FIELDS, MutationName.CITIZEN_UPSERT,
                MutationName.CITIZEN_MERGE, MutationName.AUTHORITY_UPDATE,
                MutationName.PROCEDURE_UPSERT):
        fields = args.get("fields") or {}
        return fields.get(field)
    return args.get(field)
