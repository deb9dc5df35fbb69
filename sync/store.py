"""What the sync engine needs from the local database, and nothing more.

``sync/`` never imports the desktop: the desktop implements this Protocol over its own schema
(``desktop/store/sync_store.py``), and tests may implement it in memory. Every method that
writes is one local transaction, so a kill at any instant leaves the store consistent: a page
and the cursor that follows it commit together, an answer and the removal of the mutations it
answers commit together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sync.protocol.wire import Entity, MutationResult, PullResponse, Row

#: Keys of the sync state.
CLIENT_ID = "client_id"
CURSOR = "cursor"
EPOCH = "epoch"
AGENT_ID = "agent_id"
SERVER_URL = "server_url"
LAST_SYNC_AT = "last_sync_at"
RESYNC = "resync"


@dataclass(frozen=True)
class OutboxEntry:
    """A mutation waiting to be sent, as written by the optimistic local change."""

    mutation_id: int
    name: str
    args: dict[str, Any]
    base_version: int
    entity: str = ""
    row_id: str = ""
    fields: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Answered:
    """One mutation and the server's answer to it."""

    entry: OutboxEntry
    result: MutationResult


class LocalStore(Protocol):
    def get_state(self, key: str) -> str | None: ...

    def set_state(self, values: dict[str, str]) -> None:
        """Writes several keys in one transaction."""

    def pending(self, limit: int) -> list[OutboxEntry]:
        """The oldest mutations still to send, in mutation id order (rejected ones excluded)."""

    def pending_count(self) -> int: ...

    def record_answers(self, answers: Sequence[Answered], restored: Sequence[Row] = ()) -> None:
        """In one transaction: applied and conflicting mutations leave the queue, rejected ones
        stay visible with their reason, conflicts are stored and the server's row applied;
        ``restored`` (server rows of requests) replace optimistic changes that did not happen."""

    def apply_page(self, page: PullResponse) -> int:
        """In one transaction: the page's rows and tombstones, then its cursor and epoch.
        Returns how many requests were new to this PC (for the notification)."""

    def apply_rows(self, entity: Entity, rows: Sequence[Row]) -> None:
        """Server rows fetched outside a pull (a refused mutation is undone this way)."""

    def start_resync(self, epoch: str) -> None:
        """The server was recreated: forget the cursor, keep the outbox, re-pull everything."""

    def reserve_mutation_ids(self, last_seen_by_server: int) -> None:
        """The next mutation id will be above ``last_seen_by_server``."""

    def synced_counts(self) -> dict[Entity, int]:
        """Rows received from the server and not deleted, per entity it keeps."""
