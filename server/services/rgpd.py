"""RGPD on the server: the access trail written from the PCs, and the erasure of a citizen.

What erasure keeps, and why (the rule every PC applies too, through the pulled rows):
- the **requests** stay, detached from the citizen: they are the commune's administrative
  record (CRPA decisions, registration numbers, dates, statistics, public archives under the
  Code du patrimoine L211-1 ff.); their subject, description, form fields and the citizen's
  messages lose every trace of the identity (names, e-mail, phone, address, SIRET, RNA are
  replaced by « [effacé] »), and the submitter's IP goes;
- the **commune's own documents** stay (the reply letters sent, the signed PDF and the
  bordereau of the parapheur: decisions the commune must be able to show); every other file of
  the citizen's requests (the pièces justificatives they sent) is deleted, with a tombstone;
- **phone calls** stay as counts (motive scrubbed, caller « [effacé] », number removed);
- the **audit log** stays whole (who read what and when is what the CNIL asks for; it holds
  ids, never the identity itself), and the erasure itself is one more entry.
"""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from server import audit
from server.access import Action, Principal, authorize, get_scoped
from server.db.database import Database
from server.db.models import (
    Attachment,
    Blob,
    Citizen,
    Message,
    ParapheurFolder,
    PhoneCall,
    Request,
    Tombstone,
)
from server.problems import ProblemError
from server.services.common import Change, stamp, tombstone
from server.services.runtime import Runtime
from sync.protocol.wire import AuditReadArgs, CitizenEraseArgs, Entity

WHAT = "Cet usager"
ERASED = "[effacé]"
#: Form-field keys that hold identity whatever their value looks like.
IDENTITY_KEYS = re.compile(
    r"(nom|prenom|prénom|name|mail|courriel|tel|phone|adresse|address|naissance|birth|siret|"
    r"rna|iban|identit)", re.IGNORECASE,
)


@dataclass
class Erasure:
    """What an erasure did, for the audit entry, the REST answer and the purge report."""

    citizen_id: uuid.UUID
    requests: int = 0
    phone_calls: int = 0
    messages: int = 0
    attachments_deleted: int = 0
    attachments_kept: int = 0
    #: Contents no longer referenced in this authority (their file may go from the disk).
    released_blobs: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "requests": self.requests, "phone_calls": self.phone_calls,
            "messages": self.messages, "attachments_deleted": self.attachments_deleted,
            "attachments_kept": self.attachments_kept,
        }


# --- the access trail -----------------------------------------------------------------------
def record_read(
    session: Session, principal: Principal, args: AuditReadArgs, base_version: int | None
) -> Change:
    """A read done on a PC (perhaps offline, hours ago) joins the server's trail: the server's
    instant in ``at`` (ordering), the PC's in ``detail.read_at`` (what the agent did when)."""
    citizen = session.get(Citizen, args.citizen_id)
    if citizen is None:
        # Erased meanwhile: the read still happened and is still owed to the trail, within the
        # commune of the request the PC names, or of the citizen's tombstone.
        request = session.get(Request, args.request_id) if args.request_id else None
        authority_id = request.authority_id if request is not None else None
        if authority_id is None:  # the citizen's tombstone still says whose they were
            authority_id = session.execute(select(Tombstone.authority_id).where(
                Tombstone.entity == Entity.CITIZENS.value,
                Tombstone.row_id == args.citizen_id).limit(1)).scalar()
        if authority_id is None or authority_id not in principal.authority_ids:
            raise ProblemError(404, f"{WHAT} est introuvable ou ne relève pas de vos "
                                    "collectivités.")
    else:
        citizen = get_scoped(session, Citizen, args.citizen_id, principal, WHAT)
        authority_id = citizen.authority_id
    authorize(principal, Action.READ, authority_id)
    detail: dict[str, Any] = {"via": args.what.value, "read_at": args.at.isoformat(),
                              "from": "desktop"}
    if args.attachment_id:
        detail["attachment_id"] = str(args.attachment_id)
    audit.record(session, principal, "read", "citizens", args.citizen_id, authority_id,
                 detail, citizen_id=args.citizen_id, request_id=args.request_id)
    return Change(Entity.CITIZENS, citizen)


# --- erasure --------------------------------------------------------------------------------
def identity_terms(citizen: Citizen) -> list[str]:
    """The strings that identify the citizen, longest first (« Jean Dupont » before
    « Dupont »); names of fewer than 3 letters would scrub ordinary words and are left."""
    terms: set[str] = set()
    for value in (citizen.email, citizen.phone, citizen.siret, citizen.rna_number,
                  citizen.postal_address, citizen.organisation_name):
        if value and len(value.strip()) >= 3:
            terms.add(value.strip())
    first, last = (citizen.first_name or "").strip(), (citizen.last_name or "").strip()
    if first and last:
        terms.update({f"{first} {last}", f"{last} {first}"})
    for name in (first, last):
        if len(name) >= 3:
            terms.add(name)
    if citizen.phone:
        digits = re.sub(r"\D", "", citizen.phone)
        if len(digits) >= 6:
            terms.add(digits)
    return sorted(terms, key=len, reverse=True)


def scrub(text: str, terms: list[str]) -> str:
    """``text`` without any of ``terms`` (case- and spacing-insensitive for phone numbers)."""
    for term in terms:
        if term.isdigit():
            pattern = r"[\s.\-]?".join(re.escape(d) for d in term)
        else:
            pattern = re.escape(term)
        text = re.sub(pattern, ERASED, text, flags=re.IGNORECASE)
    return text


def scrub_json(value: Any, terms: list[str], key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: scrub_json(v, terms, k) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_json(v, terms, key) for v in value]
    if isinstance(value, str):
        return ERASED if key and IDENTITY_KEYS.search(key) and value else scrub(value, terms)
    return value


def _kept_attachments(session: Session, request_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """The commune's own documents: reply letters sent, signed PDFs and bordereaux."""
    kept: set[uuid.UUID] = set()
    for message in session.execute(select(Message).where(
            Message.request_id.in_(request_ids), Message.direction == "outbound")).scalars():
        kept.update(uuid.UUID(str(a)) for a in message.attachment_ids or [])
    for folder in session.execute(select(ParapheurFolder).where(
            ParapheurFolder.request_id.in_(request_ids))).scalars():
        kept.update(a for a in (folder.signed_attachment_id, folder.bordereau_attachment_id)
                    if a is not None)
    return kept


def erase_citizen(
    session: Session, principal: Principal | None, citizen: Citizen, *, via: str,
    reason: str = "",
) -> Erasure:
    """Erases one citizen in the caller's transaction (all of it or nothing)."""
    result = Erasure(citizen.id)
    terms = identity_terms(citizen)
    authority_id = citizen.authority_id
    requests = list(session.execute(
        select(Request).where(Request.citizen_id == citizen.id)).scalars())
    request_ids = [r.id for r in requests]
    for request in requests:
        request.citizen_id = None
        request.subject = scrub(request.subject, terms)[:200]
        request.description = scrub(request.description or "", terms)
        request.form_fields = scrub_json(request.form_fields or {}, terms)
        request.submitter_ip = None
        stamp(session, request)
        result.requests += 1
    if request_ids:
        for message in session.execute(
                select(Message).where(Message.request_id.in_(request_ids))).scalars():
            message.subject = scrub(message.subject or "", terms)[:200]
            message.body = scrub(message.body or "", terms)
            message.to_email = None
            stamp(session, message)
            result.messages += 1
        kept = _kept_attachments(session, request_ids)
        for attachment in list(session.execute(
                select(Attachment).where(Attachment.request_id.in_(request_ids))).scalars()):
            if attachment.id in kept:
                result.attachments_kept += 1
                continue
            tombstone(session, Entity.ATTACHMENTS, attachment.id, authority_id, principal)
            sha256 = attachment.sha256
            session.delete(attachment)
            session.flush()
            result.attachments_deleted += 1
            still_used = session.execute(select(Attachment.id).where(
                Attachment.authority_id == authority_id, Attachment.sha256 == sha256,
            ).limit(1)).first()
            if still_used is None:
                session.execute(delete(Blob).where(Blob.authority_id == authority_id,
                                                   Blob.sha256 == sha256))
                result.released_blobs.append(sha256)
    linked = [PhoneCall.citizen_id == citizen.id]
    if request_ids:
        linked.append(PhoneCall.request_id.in_(request_ids))
    for call in session.execute(select(PhoneCall).where(or_(*linked))).scalars():
        call.citizen_id = None
        call.caller_name = ERASED
        call.phone_number = None
        call.motive = scrub(call.motive or "", terms)
        stamp(session, call)
        result.phone_calls += 1
    tombstone(session, Entity.CITIZENS, citizen.id, authority_id, principal)
    detail: dict[str, Any] = {"via": via, **result.counts()}
    if reason:
        detail["reason"] = reason[:500]
    audit.record(session, principal, "erase", "citizens", citizen.id, authority_id, detail)
    session.delete(citizen)
    session.flush()
    return result


def erase(
    session: Session, principal: Principal, args: CitizenEraseArgs, base_version: int | None,
    runtime: Runtime,
) -> Change:
    """The ``citizen.erase`` mutation: administrators of the citizen's commune only. The files
    it leaves unreferenced go once the batch committed (``forget_files``)."""
    citizen = get_scoped(session, Citizen, args.citizen_id, principal, WHAT)
    authorize(principal, Action.ERASE, citizen.authority_id)
    done = erase_citizen(session, principal, citizen, via="mutation", reason=args.reason)
    runtime.released_blobs.extend(done.released_blobs)
    return Change(Entity.CITIZENS, citizen)


_FORGET_LOCK = threading.Lock()


def forget_files(db: Database, runtime: Runtime, shas: list[str] | None = None) -> int:
    """Removes from the disk the contents no authority references any more (checked again in
    the database now: a rejected or rolled-back erasure left its rows, so its files stay)."""
    with _FORGET_LOCK:
        wanted = set(shas or ()) | set(runtime.released_blobs)
        runtime.released_blobs.clear()
    if not wanted:
        return 0
    with db.read() as session:
        still = set(session.execute(select(Blob.sha256).where(
            Blob.sha256.in_(sorted(wanted)))).scalars())
    discard = getattr(runtime.blobs, "discard", None)
    if discard is None:
        return 0
    return sum(1 for sha in sorted(wanted - still) if discard(sha))
