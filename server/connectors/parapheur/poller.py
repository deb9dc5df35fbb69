"""The poller: sends the folders queued for an external parapheur and follows them to the end.

One pass (``run_once``) takes each due folder in turn: it claims it in a short write
transaction (a lease, ``locked_until``: another server process leaves the folder alone until
then, and a crash mid-way only delays it), talks to the parapheur with no transaction open,
then records what it learnt in a second short transaction, through ``parapheur_flow`` for the
final states (signed PDF and bordereau attached to the request, or the draft back to the clerk
with the reason). The folder row is stamped only when something the desktops show changed
(state, ``sending``, ``last_error``, ``stuck``), so following a folder does not churn the pull.

A retryable failure (unreachable, timeout, 5xx) sets ``last_error`` in French and waits longer
each time (``PollPolicy``); a refused deposit (bad settings, circuit refused, garbage answer)
marks the sending ``failed`` and gives the request back to the clerk; a folder that has not
moved for ``stuck_after_days`` is flagged ``stuck``. ``start`` runs the passes on a daemon
thread like the mail sender; tests call ``run_once(now=…)`` with their own clock.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from server.background import WakeableThread
from server.blobs import BlobStore
from server.connectors.parapheur import BUILTIN, open_connector
from server.connectors.parapheur.base import (
    ConnectorError,
    Document,
    OutgoingFolder,
    ParapheurConnector,
    RemoteStatus,
)
from server.db.database import Database
from server.db.models import ParapheurFolder, Request
from server.db.types import utcnow
from server.services import parapheur_flow as flow
from server.services import requests as request_service
from server.services.common import add_event, stamp
from sync.protocol.vocabulary import EventKind, Status
from sync.protocol.wire import FolderState

log = logging.getLogger(__name__)
QUEUED, SENT, FAILED = "queued", "sent", "failed"
_OPEN = (FolderState.DRAFT.value, FolderState.PENDING.value, FolderState.VISAED.value)


@dataclass(frozen=True)
class PollPolicy:
    #: Seconds between two readings of a folder that is going well.
    follow_every: float = 300.0
    #: Wait after the first failure, doubled at each further one, up to ``max_delay``.
    first_delay: float = 60.0
    max_delay: float = 6 * 3600.0
    #: A folder with no progress for this long is flagged ``stuck``.
    stuck_after_days: float = 7.0
    #: How long a claim keeps other server processes off the folder.
    lease: float = 600.0

    def backoff(self, failures: int) -> float:
        return float(min(self.first_delay * 2 ** max(failures - 1, 0), self.max_delay))


@dataclass
class _Job:
    folder_id: uuid.UUID
    connector: ParapheurConnector
    remote_id: str | None
    outgoing: OutgoingFolder | None


@dataclass
class _Outcome:
    remote_id: str | None = None
    status: RemoteStatus | None = None
    signed: Document | None = None
    bordereau: Document | None = None
    error: ConnectorError | None = None
    deposited: bool = False


class ParapheurPoller:
    def __init__(self, db: Database, blobs: BlobStore, policy: PollPolicy | None = None,
                 poll_seconds: float = 60.0,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.blobs = blobs
        self.policy = policy or PollPolicy()
        self.clock = clock
        self._worker = WakeableThread("parapheur-poller", self._pass, poll_seconds)

    # ------------------------------------------------------------------ thread
    def start(self) -> None:
        self._worker.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._worker.stop(timeout)

    def wake(self) -> None:
        """A folder was queued: send it now rather than at the next poll."""
        self._worker.wake()

    @property
    def poll_seconds(self) -> float:
        return self._worker.interval

    @poll_seconds.setter
    def poll_seconds(self, value: float) -> None:
        self._worker.interval = value

    def _pass(self) -> None:
        self.run_once()

    # ------------------------------------------------------------------ one pass
    def run_once(self, now: datetime | None = None) -> int:
        """Handles every folder due at ``now`` once; returns how many were handled."""
        now = now or self.clock()
        seen: set[uuid.UUID] = set()
        while not self._worker.stopping:
            job = self.claim(now, seen)
            if job is None:
                break
            seen.add(job.folder_id)
            self._record(job, self._talk(job), now)
        return len(seen)

    def claim(self, now: datetime, skip: set[uuid.UUID] | None = None) -> _Job | None:
        """Takes the lease on the next due folder and gathers what the parapheur needs."""
        query = (select(ParapheurFolder)
                 .where(ParapheurFolder.connector != BUILTIN,
                        ParapheurFolder.sending.in_((QUEUED, SENT)),
                        ParapheurFolder.state.in_(_OPEN),
                        ParapheurFolder.next_poll_at <= now,
                        or_(ParapheurFolder.locked_until.is_(None),
                            ParapheurFolder.locked_until <= now))
                 .order_by(ParapheurFolder.next_poll_at).limit(1))
        if skip:
            query = query.where(and_(ParapheurFolder.id.not_in(skip)))
        with self.db.read() as session:  # nothing due: the writers' lock is not taken
            if session.execute(query.with_only_columns(ParapheurFolder.id)).first() is None:
                return None
        with self.db.write() as session:
            folder = session.execute(query).scalar_one_or_none()
            if folder is None:
                return None
            folder.locked_until = now + timedelta(seconds=self.policy.lease)
            try:
                connector = open_connector(session, self.blobs, folder.authority_id,
                                           folder.connector)
                outgoing = (flow.outgoing_folder(session, self.blobs, folder)
                            if folder.sending == QUEUED else None)
            except ConnectorError as exc:
                return _Job(folder.id, _Broken(exc), folder.remote_id, None)
            except Exception as exc:  # a missing blob, a deleted attachment: kept, retried
                log.exception("parapheur folder %s could not be prepared", folder.id)
                return _Job(folder.id, _Broken(ConnectorError(
                    f"Le dossier n'a pas pu être préparé ({exc}).")), folder.remote_id, None)
            return _Job(folder.id, connector, folder.remote_id, outgoing)

    def _talk(self, job: _Job) -> _Outcome:
        """Everything said to the parapheur, with no database transaction open."""
        outcome = _Outcome(remote_id=job.remote_id)
        try:
            if job.outgoing is not None or job.remote_id is None:
                if job.outgoing is None:
                    raise ConnectorError("Ce dossier n'a pas d'identifiant dans le parapheur.",
                                         retryable=False)
                outcome.remote_id = job.connector.send(job.outgoing)
                outcome.deposited = True
                try:  # how the folder looks there now: later readings are compared with it
                    outcome.status = job.connector.status(outcome.remote_id)
                except ConnectorError:
                    outcome.status = None
                return outcome
            outcome.status = job.connector.status(job.remote_id)
            if outcome.status.is_signed:
                outcome.signed = job.connector.signed_document(job.remote_id)
                outcome.bordereau = job.connector.bordereau(job.remote_id)
        except ConnectorError as exc:
            outcome.error = exc
        except Exception as exc:  # a bug must not stop the other folders
            log.exception("parapheur folder %s: connector failed", job.folder_id)
            outcome.error = ConnectorError(f"erreur interne du serveur ({exc}).")
        return outcome

    def _record(self, job: _Job, outcome: _Outcome, now: datetime) -> None:
        final = False
        with self.db.write() as session:
            folder = session.get(ParapheurFolder, job.folder_id)
            if folder is None:
                return
            folder.locked_until = None
            shown = (folder.state, folder.sending, folder.last_error, folder.stuck)
            if outcome.error is not None:
                self._failed(session, folder, outcome.error, now)
            elif outcome.deposited:
                folder.remote_id, folder.sending = outcome.remote_id, SENT
                folder.state = FolderState.PENDING.value
                folder.progressed_at = now
                folder.remote_seen = _seen(outcome.status) if outcome.status else None
                self._healthy(folder, now)
            else:
                final = self._followed(session, folder, outcome, now)
            if not final and (now - (folder.progressed_at or folder.created_at)
                              > timedelta(days=self.policy.stuck_after_days)):
                folder.stuck = True
            if (folder.state, folder.sending, folder.last_error, folder.stuck) != shown:
                stamp(session, folder)
        if final and job.remote_id:
            try:
                job.connector.archive(job.remote_id)
            except ConnectorError as exc:  # the results are kept here: only worth a log line
                log.warning("parapheur folder %s not archived: %s", job.folder_id, exc.reason)

    def _healthy(self, folder: ParapheurFolder, now: datetime) -> None:
        folder.last_error, folder.poll_failures = None, 0
        folder.next_poll_at = now + timedelta(seconds=self.policy.follow_every)

    def _followed(self, session: Session, folder: ParapheurFolder, outcome: _Outcome,
                  now: datetime) -> bool:
        """Records a reading of the folder; True when its circuit is over."""
        status = outcome.status
        assert status is not None
        self._healthy(folder, now)
        seen = _seen(status)
        # Compared as seen, not by date: the parapheur's clock is not ours.
        if folder.remote_seen is not None and seen != folder.remote_seen:
            folder.progressed_at, folder.stuck = now, False
        folder.remote_seen = seen
        if status.is_signed:
            flow.record_results(session, self.blobs, folder, None, outcome.signed,
                                outcome.bordereau)
            if folder.request_id is not None:
                add_event(session, folder.authority_id, folder.request_id,
                          EventKind.PARAPHEUR_DECISION, None,
                          {"folder_id": str(folder.id), "action": "sign",
                           "state": folder.state, "connector": folder.connector,
                           "actor": status.last.actor if status.last else None})
        elif status.is_rejected:
            flow.record_rejected(session, folder, None, status.rejection_reason or "")
        else:
            folder.state = status.state.value
            return False
        folder.next_poll_at, folder.stuck = None, False
        return True

    def _failed(self, session: Session, folder: ParapheurFolder, error: ConnectorError,
                now: datetime) -> None:
        if folder.sending == QUEUED and not error.retryable:
            folder.sending, folder.next_poll_at = FAILED, None
            folder.last_error = f"Envoi au parapheur refusé : {error.reason}"
            request = session.get(Request, folder.request_id) if folder.request_id else None
            if request is not None and request.status == Status.AT_PARAPHEUR.value:
                request_service.transition(session, None, request, Status.DRAFTING)
                stamp(session, request)
            return
        folder.poll_failures += 1
        delay = self.policy.backoff(folder.poll_failures)
        folder.next_poll_at = now + timedelta(seconds=delay)
        waiting = "Envoi en attente" if folder.sending == QUEUED else "Suivi interrompu"
        folder.last_error = (f"{waiting} : {error.reason} Nouvel essai automatique "
                             f"(tentative {folder.poll_failures}).")


def _seen(status: RemoteStatus) -> str:
    """The folder's state and history in its parapheur, summed up to notice any progress."""
    last = status.last.at.isoformat() if status.last else ""
    return f"{status.state.value}|{len(status.history)}|{last}"[:200]


class _Broken(ParapheurConnector):
    """Stands for a connector that could not be opened (settings missing): every call fails
    with the reason, so the folder is recorded like any other failure."""

    name = "broken"

    def __init__(self, error: ConnectorError) -> None:
        self.error = error

    def send(self, folder: OutgoingFolder) -> str:
        raise self.error

    def status(self, remote_id: str) -> RemoteStatus:
        raise self.error

    def signed_document(self, remote_id: str) -> Document:
        raise self.error

    def bordereau(self, remote_id: str) -> Document | None:
        raise self.error

    def archive(self, remote_id: str) -> None:
        raise self.error
