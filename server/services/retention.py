"""The 36-month retention (seed CGU: « En l'absence de connexion de l'usager à son compte pendant
une durée de trente-six mois, celui-ci est fermé et l'ensemble de son contenu détruit »).

Each month a commune's admin gets the list of citizens with no activity for 36 months (no
request received or changed, no message, no call, no edit of the file) and no request still
open; they approve it (recorded and audited); then the purge erases them one by one
(``rgpd.erase_citizen``), **one transaction per citizen**: a crash leaves every citizen either
whole or erased, and the next purge resumes with the ones still ``pending``. Every PC applies
the same erasure at its next pull (tombstones and re-versioned requests).
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from server import audit, faults
from server.access import Action, Principal, authorize, check_authority
from server.db.database import Database
from server.db.models import Citizen, Message, PhoneCall, Request, RetentionItem, RetentionRun
from server.db.types import utcnow
from server.problems import ProblemError, not_found
from server.services.rgpd import erase_citizen, forget_files
from server.services.runtime import Runtime
from sync.protocol.vocabulary import Status

RETENTION_MONTHS = 36
#: Requests whose instruction is over: a citizen with another one is never on the list.
FINISHED = (Status.ANSWERED.value, Status.CLOSED.value)
#: Fault hook: pause (for a kill -9) after the N-th citizen purged (see server.faults).
IN_PURGE_ENV = "BANNETTE_SERVER_PAUSE_IN_PURGE"
WHAT = "Cette liste de conservation"


def months_before(day: date, months: int) -> date:
    """Same day ``months`` earlier, clamped to the month's end (29 Feb → 28 Feb)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _latest(*values: datetime | None) -> datetime | None:
    present = [v if v.tzinfo else v.replace(tzinfo=UTC) for v in values if v is not None]
    return max(present) if present else None


def last_activities(session: Session, authority_id: uuid.UUID) -> dict[uuid.UUID, Any]:
    """Per citizen of the authority: (last activity, number of requests, open requests)."""
    facts: dict[uuid.UUID, list[Any]] = {}
    for cid, created, updated in session.execute(select(
            Citizen.id, Citizen.created_at, Citizen.updated_at).where(
            Citizen.authority_id == authority_id)):
        facts[cid] = [_latest(created, updated), 0, 0]
    open_case = func.sum(case((Request.status.not_in(FINISHED), 1), else_=0))
    for rid, latest, received, count, still_open in session.execute(select(
            Request.citizen_id, func.max(Request.updated_at), func.max(Request.received_at),
            func.count(), open_case).where(
            Request.authority_id == authority_id, Request.citizen_id.is_not(None)).group_by(
            Request.citizen_id)):
        if rid in facts:
            facts[rid][0] = _latest(facts[rid][0], latest, received)
            facts[rid][1], facts[rid][2] = int(count), int(still_open or 0)
    for pid, latest in session.execute(select(
            PhoneCall.citizen_id, func.max(PhoneCall.called_at)).where(
            PhoneCall.authority_id == authority_id, PhoneCall.citizen_id.is_not(None)).group_by(
            PhoneCall.citizen_id)):
        if pid in facts:
            facts[pid][0] = _latest(facts[pid][0], latest)
    for mid, latest in session.execute(select(
            Request.citizen_id, func.max(Message.at)).join(
            Message, Message.request_id == Request.id).where(
            Request.authority_id == authority_id, Request.citizen_id.is_not(None)).group_by(
            Request.citizen_id)):
        if mid in facts:
            facts[mid][0] = _latest(facts[mid][0], latest)
    return {cid: tuple(v) for cid, v in facts.items()}


def _cutoff_instant(cutoff: date) -> datetime:
    return datetime.combine(cutoff, time(0, 0), tzinfo=UTC)


def due_for_purge(session: Session, authority_id: uuid.UUID, as_of: date
                  ) -> list[tuple[uuid.UUID, datetime, int]]:
    """Citizens idle since before ``as_of`` minus 36 months, with no open request."""
    limit = _cutoff_instant(months_before(as_of, RETENTION_MONTHS))
    due = [(cid, last, count) for cid, (last, count, still_open)
           in last_activities(session, authority_id).items()
           if last is not None and last < limit and still_open == 0]
    return sorted(due, key=lambda item: (item[1], str(item[0])))


def propose(db: Database, principal: Principal, authority_id: uuid.UUID, as_of: date
            ) -> uuid.UUID:
    """This month's list (one per commune and day: asked again, the same list comes back)."""
    check_authority(principal, authority_id)
    authorize(principal, Action.ERASE, authority_id)
    with db.write() as session:
        existing = session.execute(select(RetentionRun.id).where(
            RetentionRun.authority_id == authority_id, RetentionRun.as_of == as_of)).scalar()
        if existing is not None:
            return uuid.UUID(str(existing))
        run = RetentionRun(
            id=uuid.uuid4(), authority_id=authority_id, as_of=as_of,
            cutoff=months_before(as_of, RETENTION_MONTHS), state="proposed",
            created_by=principal.agent_id, report={},
        )
        session.add(run)
        session.flush()
        due = due_for_purge(session, authority_id, as_of)
        for cid, last, count in due:
            session.add(RetentionItem(run_id=run.id, citizen_id=cid, last_activity=last,
                                      requests=count, state="pending"))
        audit.record(session, principal, "retention_list", "retention_runs", run.id,
                     authority_id, {"as_of": as_of.isoformat(), "count": len(due)})
        return run.id


def load_run(session: Session, principal: Principal, run_id: uuid.UUID) -> RetentionRun:
    run = session.get(RetentionRun, run_id)
    if run is None or run.authority_id not in principal.authority_ids:
        raise not_found(WHAT)
    authorize(principal, Action.ERASE, run.authority_id)
    return run


def approve(db: Database, principal: Principal, run_id: uuid.UUID) -> None:
    with db.write() as session:
        run = load_run(session, principal, run_id)
        if run.state != "proposed":
            raise ProblemError(409, "Cette liste a déjà été approuvée.")
        run.state = "approved"
        run.approved_by = principal.agent_id
        run.approved_at = utcnow()
        count = session.execute(select(func.count()).where(
            RetentionItem.run_id == run.id)).scalar_one()
        audit.record(session, principal, "retention_approve", "retention_runs", run.id,
                     run.authority_id, {"as_of": run.as_of.isoformat(), "count": int(count)})


def purge(
    db: Database, principal: Principal, run_id: uuid.UUID, *,
    after_each: Callable[[int], None] | None = None, runtime: Runtime | None = None,
) -> dict[str, Any]:
    """Erases the approved list's citizens still pending, each in its own transaction, and
    returns the report. Called again after a crash, it goes on where it stopped.
    ``after_each(n)`` runs after the n-th citizen committed (tests simulate a crash there)."""
    with db.write() as session:
        run = load_run(session, principal, run_id)
        if run.state == "proposed":
            raise ProblemError(409, "Cette liste doit être approuvée par un administrateur "
                                    "avant la purge.")
        if run.state == "approved":
            run.state = "purging"
            audit.record(session, principal, "retention_purge_start", "retention_runs",
                         run.id, run.authority_id)
        pending = list(session.execute(select(RetentionItem.citizen_id).where(
            RetentionItem.run_id == run.id, RetentionItem.state == "pending").order_by(
            RetentionItem.last_activity, RetentionItem.citizen_id)).scalars())
        authority_id, as_of = run.authority_id, run.as_of
    limit = _cutoff_instant(months_before(as_of, RETENTION_MONTHS))
    for done, citizen_id in enumerate(pending, start=1):
        released: list[str] = []
        with db.write() as session:
            item = session.get(RetentionItem, (run_id, citizen_id))
            if item is None or item.state != "pending":
                continue  # another process purged it meanwhile
            citizen = session.get(Citizen, citizen_id)
            facts = last_activities(session, authority_id).get(citizen_id)
            if citizen is None:
                item.state = "gone"  # erased by hand meanwhile: nothing left to purge
            elif facts is None or facts[0] >= limit or facts[2] > 0:
                item.state = "kept"  # came back (a new request, a call): not purged
            else:
                released = erase_citizen(session, principal, citizen,
                                         via="retention").released_blobs
                item.state = "purged"
            item.done_at = utcnow()
        if runtime is not None and released:
            forget_files(db, runtime, released)
        faults.pause(IN_PURGE_ENV, f"purged {done}")
        if after_each is not None:
            after_each(done)
    with db.write() as session:
        run = load_run(session, principal, run_id)
        counts: dict[str, int] = {}
        for state, count in session.execute(select(RetentionItem.state, func.count()).where(
                RetentionItem.run_id == run.id).group_by(RetentionItem.state)):
            counts[str(state)] = int(count)
        if run.state != "done":
            run.state = "done"
            run.finished_at = utcnow()
            run.report = {"counts": counts, "finished_at": run.finished_at.isoformat()}
            audit.record(session, principal, "retention_purge_done", "retention_runs", run.id,
                         run.authority_id, {"counts": counts})
        return dict(run.report)
