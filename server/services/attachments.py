"""Attachments: blobs owned per authority, linked to requests by client-generated ids."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from server import audit
from server.access import Action, Principal, authorize, check_authority, get_scoped, id_taken
from server.blobs import BlobStore, StoredBlob, check_content, safe_filename
from server.db.models import Attachment, Blob, Request
from server.db.types import utcnow
from server.problems import ProblemError
from server.services.common import Change, add_event, stamp, tombstone
from sync.protocol.files import name_problem
from sync.protocol.vocabulary import EventKind
from sync.protocol.wire import AttachmentLinkArgs, AttachmentUnlinkArgs, Entity

WHAT = "Cette pièce jointe"


def store_blob(
    session: Session, store: BlobStore, authority_id: uuid.UUID, data: bytes, filename: str
) -> Blob:
    """Checks and stores the content once; records that this authority may use it."""
    content_type = check_content(data, filename)
    digest = store.put(data)
    return record_blob(session, authority_id, StoredBlob(digest, len(data), content_type))


def record_blob(session: Session, authority_id: uuid.UUID, stored: StoredBlob) -> Blob:
    """Records that this authority may use a blob already checked and written."""
    blob = session.get(Blob, (stored.sha256, authority_id))
    if blob is None:
        blob = Blob(sha256=stored.sha256, authority_id=authority_id, size=stored.size,
                    content_type=stored.content_type, created_at=utcnow())
        session.add(blob)
        session.flush()
    return blob


def link(
    session: Session, principal: Principal | None, args: AttachmentLinkArgs,
    base_version: int | None,
) -> Change:
    if principal is not None:
        check_authority(principal, args.authority_id)
        authorize(principal, Action.WRITE, args.authority_id)
    blob = session.get(Blob, (args.sha256, args.authority_id))
    if blob is None:
        raise ProblemError(404, "Le fichier n'a pas encore été envoyé au serveur.")
    if session.get(Attachment, args.id) is not None:
        raise id_taken()
    request = None
    if args.request_id is not None:
        request = session.get(Request, args.request_id)
        if request is None or request.authority_id != args.authority_id:
            raise ProblemError(404, "Cette demande est introuvable dans cette collectivité.")
    filename = safe_filename(args.filename)
    problem = name_problem(filename, blob.content_type)
    if problem is not None:
        # The name is checked again here: the upload only saw the name it was sent with.
        raise ProblemError(415, problem)
    row = Attachment(
        id=args.id, authority_id=args.authority_id, request_id=args.request_id,
        sha256=blob.sha256, filename=filename,
        content_type=blob.content_type, size=blob.size, created_at=utcnow(),
        created_by=principal.agent_id if principal else None,
    )
    session.add(stamp(session, row))
    if request is not None:
        add_event(session, request.authority_id, request.id, EventKind.ATTACHMENT_ADDED,
                  principal, {"attachment_id": str(row.id), "filename": row.filename})
    audit.record(session, principal, "create", "attachments", row.id, row.authority_id)
    return Change(Entity.ATTACHMENTS, row)


def unlink(
    session: Session, principal: Principal, args: AttachmentUnlinkArgs, base_version: int | None
) -> Change:
    row = get_scoped(session, Attachment, args.attachment_id, principal, WHAT)
    authorize(principal, Action.DELETE, row.authority_id)
    if row.request_id is not None:
        # The history keeps who took which file off the request, and when.
        add_event(session, row.authority_id, row.request_id, EventKind.ATTACHMENT_REMOVED,
                  principal, {"attachment_id": str(row.id), "filename": row.filename})
    tombstone(session, Entity.ATTACHMENTS, row.id, row.authority_id, principal)
    audit.record(session, principal, "delete", "attachments", row.id, row.authority_id)
    session.delete(row)
    return Change(Entity.ATTACHMENTS, row)
