"""Attachments and blobs: upload once (content-addressed), download with Range support."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Header, UploadFile, status
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel

from server import faults, pdf_sandbox
from server.access import Action, authorize, check_authority, get_scoped
from server.api.common import Deleted, run_change
from server.api.deps import BlobsDep, DbDep, PrincipalDep
from server.blobs import parse_range, safe_filename
from server.db.models import Attachment, Blob
from server.problems import ProblemError, problem_responses
from server.services import attachments as service
from sync.protocol.files import sniff
from sync.protocol.vocabulary import MAX_ATTACHMENT_BYTES
from sync.protocol.wire import AttachmentLinkArgs, AttachmentRow, AttachmentUnlinkArgs

router = APIRouter(tags=["pièces jointes"])
ERRORS = problem_responses(401, 403, 404, 409, 413, 415, 422)
WHAT = "Cette pièce jointe"


class BlobInfo(BaseModel):
    sha256: str
    size: int
    content_type: str


def read_upload(upload: UploadFile) -> bytes:
    """Reads at most the limit plus one byte: enough to refuse, never the whole of a huge file."""
    data = upload.file.read(MAX_ATTACHMENT_BYTES + 1)
    if len(data) > MAX_ATTACHMENT_BYTES:
        name = safe_filename(upload.filename)
        raise ProblemError(413, f"Le fichier « {name} » dépasse la taille maximale de 5 Mo.")
    if sniff(data) == "application/pdf":
        # Opened in a limited subprocess: a PDF the parapheur could not process is refused now.
        try:
            pdf_sandbox.check(data)
        except pdf_sandbox.PdfRefused as exc:
            name = safe_filename(upload.filename)
            raise ProblemError(415, f"Le fichier « {name} » est refusé : {exc}.") from exc
    return data


@router.post("/blobs", response_model=BlobInfo, status_code=status.HTTP_201_CREATED,
             responses=ERRORS)
def upload_blob(
    authority_id: Annotated[uuid.UUID, Form()],
    file: Annotated[UploadFile, File()],
    principal: PrincipalDep,
    db: DbDep,
    blobs: BlobsDep,
) -> BlobInfo:
    """Step 1 of the sync of an attachment; step 2 is the ``attachment.link`` mutation."""
    check_authority(principal, authority_id)
    data = read_upload(file)
    authorize(principal, Action.WRITE, authority_id)
    with db.write() as session:
        blob = service.store_blob(session, blobs, authority_id, data,
                                  safe_filename(file.filename))
        faults.pause(faults.IN_UPLOAD_ENV, "file written, row not committed")
        return BlobInfo(sha256=blob.sha256, size=blob.size, content_type=blob.content_type)


@router.get("/blobs/{sha256}", response_model=BlobInfo, responses=ERRORS)
def blob_info(
    sha256: Annotated[str, PathParam(pattern=r"^[0-9a-f]{64}$")],
    authority_id: uuid.UUID,
    principal: PrincipalDep,
    db: DbDep,
) -> BlobInfo:
    """Lets a client skip an upload the server already has (for this authority only)."""
    check_authority(principal, authority_id)
    with db.read() as session:
        blob = session.get(Blob, (sha256.lower(), authority_id))
        if blob is None:
            raise ProblemError(404, "Ce fichier n'a pas encore été envoyé.")
        return BlobInfo(sha256=blob.sha256, size=blob.size, content_type=blob.content_type)


@router.post("/attachments", response_model=AttachmentRow, status_code=status.HTTP_201_CREATED,
             responses=ERRORS)
def upload_attachment(
    authority_id: Annotated[uuid.UUID, Form()],
    file: Annotated[UploadFile, File()],
    principal: PrincipalDep,
    db: DbDep,
    blobs: BlobsDep,
    request_id: Annotated[uuid.UUID | None, Form()] = None,
    id: Annotated[uuid.UUID | None, Form()] = None,  # noqa: A002 - the wire name
) -> AttachmentRow:
    """Upload and link in one call (for simple clients)."""
    check_authority(principal, authority_id)
    data = read_upload(file)
    authorize(principal, Action.WRITE, authority_id)
    filename = safe_filename(file.filename)
    with db.write() as session:
        blob = service.store_blob(session, blobs, authority_id, data, filename)
        args = AttachmentLinkArgs(
            id=id or uuid.uuid4(), authority_id=authority_id, request_id=request_id,
            sha256=blob.sha256, filename=filename,
        )
        change = service.link(session, principal, args, None)
        session.flush()
        return AttachmentRow.model_validate(change.row)


@router.get("/attachments/{attachment_id}", response_model=AttachmentRow, responses=ERRORS)
def get_attachment(attachment_id: uuid.UUID, principal: PrincipalDep, db: DbDep) -> AttachmentRow:
    with db.read() as session:
        return AttachmentRow.model_validate(
            get_scoped(session, Attachment, attachment_id, principal, WHAT)
        )


@router.get(
    "/attachments/{attachment_id}/content",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {"schema": {"type": "string",
                                                                 "format": "binary"}}},
              "description": "Le fichier"},
        206: {"content": {"application/octet-stream": {"schema": {"type": "string",
                                                                 "format": "binary"}}},
              "description": "Une partie du fichier"},
        **problem_responses(401, 404, 416, 422),
    },
)
def download_attachment(
    attachment_id: uuid.UUID,
    principal: PrincipalDep,
    db: DbDep,
    blobs: BlobsDep,
    range_: Annotated[str | None, Header(alias="Range")] = None,
) -> Response:
    with db.read() as session:
        row = get_scoped(session, Attachment, attachment_id, principal, WHAT)
    size = blobs.size(row.sha256)
    bounds = parse_range(range_, size)
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": f'"{row.sha256}"',
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.filename)}",
        "X-Content-Type-Options": "nosniff",
    }
    if bounds is None:
        return Response(blobs.read(row.sha256), media_type=row.content_type, headers=headers)
    start, end = bounds
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Response(blobs.read(row.sha256, start, end), status_code=206,
                    media_type=row.content_type, headers=headers)


@router.delete("/attachments/{attachment_id}", response_model=Deleted, responses=ERRORS)
def delete_attachment(attachment_id: uuid.UUID, principal: PrincipalDep, db: DbDep) -> Deleted:
    run_change(db, principal, service.unlink, AttachmentUnlinkArgs(attachment_id=attachment_id))
    return Deleted(id=attachment_id)
