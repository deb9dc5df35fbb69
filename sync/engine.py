"""One sync: meta (epoch check), push the outbox, pull the changes.

Order matters: pushing first means the pull brings back the server's version of our own
changes, so the bannette ends in the server's state. Every step is safe to interrupt:

* a push whose answer is lost is sent again; the server answers the already-applied mutations
  from its log (``replayed``) instead of applying them twice;
* a pull page and its cursor are committed together, so an interrupted pull resumes at the
  last committed page;
* a changed epoch (the server database was recreated) restarts the pull from zero without
  touching the outbox.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sync import errors, faults
from sync.client import ApiClient
from sync.outbox import (
    PUSH_BYTE_BUDGET,
    match_answers,
    push_request,
    refused_locally,
    split_by_bytes,
)
from sync.protocol.wire import (
    DEFAULT_PULL_LIMIT,
    MAX_PUSH_BATCH,
    PROTOCOL_VERSION,
    AgentRow,
    Entity,
    MutationOutcome,
    PullRequest,
    PullResponse,
    RequestRow,
)
from sync.store import (
    AGENT_ID,
    CLIENT_ID,
    CURSOR,
    EPOCH,
    LAST_SYNC_AT,
    Answered,
    LocalStore,
)
from sync.transfers import BlobStore, fetch_logos, upload_pending

log = logging.getLogger(__name__)

#: ``progress(phase, done, total)``: phase is "push" or "pull"; totals are estimates for a bar.
Progress = Callable[[str, int, int], None]


@dataclass
class SyncReport:
    pushed: int = 0
    applied: int = 0
    rejected: int = 0
    conflicts: int = 0
    pages: int = 0
    pulled_rows: int = 0
    #: Requests that reached this PC for the first time.
    new_requests: int = 0
    uploaded: int = 0
    #: The pull started from nothing (first sync of this PC, or a re-bootstrap): everything
    #: is "new", which is not news worth a notification.
    initial: bool = False
    rebootstrapped: bool = False
    pending: int = 0
    finished_at: datetime | None = None
    rejections: list[str] = field(default_factory=list)


class SyncEngine:
    def __init__(
        self,
        store: LocalStore,
        client: ApiClient,
        *,
        page_limit: int = DEFAULT_PULL_LIMIT,
        push_batch: int = MAX_PUSH_BATCH,
        push_bytes: int = PUSH_BYTE_BUDGET,
        progress: Progress | None = None,
        blobs: BlobStore | None = None,
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.client = client
        self.page_limit = page_limit
        self.push_batch = min(push_batch, MAX_PUSH_BATCH)
        self.push_bytes = push_bytes
        self.progress = progress

    # --- identity -------------------------------------------------------------------------
    def client_id(self) -> uuid.UUID:
        """Generated once per local database; the server keys idempotence on it."""
        value = self.store.get_state(CLIENT_ID)
        if value:
            return uuid.UUID(value)
        new = uuid.uuid4()
        self.store.set_state({CLIENT_ID: str(new)})
        return new

    def bind_agent(self, agent: AgentRow) -> None:
        """Called after login. Another agent on this database must not send the previous
        agent's pending work under their own name, nor inherit their sync scope."""
        previous = self.store.get_state(AGENT_ID)
        if previous == str(agent.id):
            return
        if previous and self.store.pending_count():
            raise errors.AccessDeniedError(
                "Des modifications faites sur ce poste par un autre agent attendent encore "
                "l'envoi : reconnectez-vous avec son compte pour les envoyer d'abord."
            )
        values = {AGENT_ID: str(agent.id)}
        if previous:
            values[CLIENT_ID] = str(uuid.uuid4())
            self.store.start_resync(self.store.get_state(EPOCH) or "")
        self.store.set_state(values)

    # --- the sync -------------------------------------------------------------------------
    def sync_once(self) -> SyncReport:
        report = SyncReport()
        client_id = self.client_id()
        meta = self.client.meta(client_id)
        if meta.protocol != PROTOCOL_VERSION:
            raise errors.ProtocolMismatchError(
                f"Le serveur utilise la version {meta.protocol} du protocole de synchronisation "
                f"et ce poste la version {PROTOCOL_VERSION} : mettez le logiciel à jour."
            )
        known_epoch = self.store.get_state(EPOCH)
        if known_epoch and known_epoch != meta.epoch:
            log.warning("server epoch changed (%s -> %s): re-bootstrap", known_epoch, meta.epoch)
            self.store.start_resync(meta.epoch)
            report.rebootstrapped = True
        elif meta.last_mutation_id:
            # A local database restored from a backup would number its next mutations from
            # where the backup stood: the server, which saw those numbers already, would
            # take them for replays. New mutations are numbered above what it saw.
            self.store.reserve_mutation_ids(meta.last_mutation_id)
        if self.blobs is not None:
            # Files first: the attachment.link mutations in the outbox need them on the server.
            report.uploaded = upload_pending(self.client, self.blobs)
        self._push(client_id, report)
        self._pull(meta.max_version, report)
        if self.blobs is not None:
            fetch_logos(self.client, self.blobs)  # a logo set on another PC, for the letters
        if not report.rebootstrapped and self._counts_disagree():
            # Same epoch, cursor at the top, and yet different counts: something was lost
            # locally (restored backup, manual edit). A full re-pull repairs it.
            log.warning("counts differ from the server's: re-bootstrap")
            self.store.start_resync(self.store.get_state(EPOCH) or meta.epoch)
            report.rebootstrapped = True
            self._pull(meta.max_version, report)
        report.finished_at = datetime.now(UTC)
        report.pending = self.store.pending_count()
        self.store.set_state({LAST_SYNC_AT: report.finished_at.isoformat(timespec="seconds")})
        return report

    def _push(self, client_id: uuid.UUID, report: SyncReport) -> None:
        total = self.store.pending_count()
        done = 0
        if self.progress:
            self.progress("push", 0, total)
        while True:
            batch, too_large = split_by_bytes(
                self.store.pending(self.push_batch), client_id, self.push_bytes)
            if too_large is not None:
                # No push can carry it: refused here, so the queue behind it is not blocked.
                refused = [refused_locally(too_large)]
                self.store.record_answers(refused, self._rows_to_restore(refused))
                report.pushed += 1
                report.rejected += 1
                report.rejections.append(refused[0].result.reason or "")
                done += 1
                continue
            if not batch:
                return
            faults.pause("before_push")
            response = self.client.push(push_request(batch, client_id))
            faults.pause("after_push_answer")
            answers = match_answers(batch, response.results)
            if not answers:
                raise errors.bad_response("l'envoi n'a reçu aucune réponse par modification")
            # Fetched before anything is recorded: if the line drops here, the batch is simply
            # sent again next time and answered from the server's log.
            refreshed = self._rows_to_restore(answers)
            self.store.record_answers(answers, refreshed)
            for answer in answers:
                report.pushed += 1
                outcome = answer.result.result
                if outcome is MutationOutcome.APPLIED:
                    report.applied += 1
                elif outcome is MutationOutcome.CONFLICT:
                    report.conflicts += len(answer.result.conflicting_fields) or 1
                else:
                    report.rejected += 1
                    report.rejections.append(answer.result.reason or "")
            done += len(answers)
            if self.progress:
                self.progress("push", done, max(total, done))

    def _rows_to_restore(self, answers: list[Answered]) -> list[RequestRow]:
        """The server's rows where an optimistic local change did not happen there: a refused
        mutation, or a conflict answered from the log without the server's row. The server did
        not change these rows, so no pull would ever bring them back."""
        wanted: list[str] = []
        for answer in answers:
            result, entry = answer.result, answer.entry
            undone = result.result is MutationOutcome.REJECTED or (
                result.result is MutationOutcome.CONFLICT and result.server_row is None
            )
            is_request = entry.entity == Entity.REQUESTS.value and bool(entry.row_id)
            if undone and is_request and entry.row_id not in wanted:
                wanted.append(entry.row_id)
        rows = []
        for row_id in wanted:
            row = self.client.get_request(row_id)
            if row is not None:
                rows.append(row)
        return rows

    def _pull(self, max_version: int, report: SyncReport) -> None:
        """Pages are applied in order, each in its own local transaction; the next page is
        fetched on a helper thread while the current one is written (network and SQLite
        overlap instead of adding up). Only this thread touches the local store."""
        cursor = int(self.store.get_state(CURSOR) or 0)
        start = cursor
        report.initial = report.initial or cursor == 0
        fetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bannette-pull")
        try:
            upcoming = fetcher.submit(self._fetch, cursor)
            while True:
                page = upcoming.result()
                known_epoch = self.store.get_state(EPOCH)
                if known_epoch and known_epoch != page.epoch:
                    # Recreated between meta and this page: start over with the new epoch.
                    self.store.start_resync(page.epoch)
                    report.rebootstrapped = True
                    cursor = start = 0
                    upcoming = fetcher.submit(self._fetch, 0)
                    continue
                if page.has_more:
                    upcoming = fetcher.submit(self._fetch, page.cursor)
                report.new_requests += self.store.apply_page(page)
                report.pages += 1
                report.pulled_rows += _row_count(page)
                cursor = page.cursor
                if self.progress:
                    span = max(max_version - start, 1)
                    self.progress("pull", min(cursor - start, span), span)
                if not page.has_more:
                    return
                faults.pause("between_pull_pages")
        finally:
            fetcher.shutdown(wait=False, cancel_futures=True)

    def _fetch(self, cursor: int) -> PullResponse:
        return self.client.pull(PullRequest(cursor=cursor, limit=self.page_limit))

    def _counts_disagree(self) -> bool:
        meta = self.client.meta(self.client_id())
        if meta.max_version != int(self.store.get_state(CURSOR) or 0):
            return False  # the server moved on meanwhile: no fair comparison possible
        local = self.store.synced_counts()
        return any(meta.counts.get(entity, 0) != count for entity, count in local.items())


def _row_count(page: PullResponse) -> int:
    total = sum(len(getattr(page, entity.value)) for entity in Entity)
    return total + len(page.tombstones)
