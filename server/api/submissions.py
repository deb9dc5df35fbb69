"""The citizen submission endpoint (public portal, service-public.fr).

No agent token: the caller is a citizen. The receipt (number, date and time from the server
clock) is returned at once (CRPA L112-11); the submitter's IP and time are recorded; repeated
submissions from one address are throttled (the CGU's "envois abusifs").
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile, status
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server import audit
from server.api.deps import BlobsDep, DbDep, SettingsDep, client_ip
from server.blobs import StoredBlob, safe_filename
from server.db.models import Attachment, Authority, Procedure
from server.db.types import utcnow
from server.french import long_date_time
from server.problems import ProblemError, problem_responses
from server.ratelimit import SharedLimiter
from server.services import attachments as attachment_service
from server.services import citizens as citizen_service
from server.services import requests as request_service
from sync.protocol.files import MAX_FILES_PER_REQUEST
from sync.protocol.vocabulary import Channel, SilenceRule
from sync.protocol.wire import (
    AttachmentLinkArgs,
    RegistrationReceipt,
    RequestCreateArgs,
    SubmissionPayload,
)

router = APIRouter(prefix="/public", tags=["portail usagers"])
#: Files and bytes of one anonymous submission (each file stays within the 5 MB of the CGU).
MAX_FILES = MAX_FILES_PER_REQUEST
MAX_SUBMISSION_BYTES = 25 * 1024 * 1024


_TOO_LARGE = (
    f"La demande et ses pièces jointes dépassent {MAX_SUBMISSION_BYTES // (1024 * 1024)} Mo au "
    "total (5 Mo par fichier)."
)


class PublicProcedure(BaseModel):
    code: str
    title: str
    silence_rule: SilenceRule


@router.get(
    "/authorities/{authority_id}/procedures", response_model=list[PublicProcedure],
    responses=problem_responses(404, 422),
)
def public_procedures(authority_id: uuid.UUID, db: DbDep) -> list[PublicProcedure]:
    with db.read() as session:
        if session.get(Authority, authority_id) is None:
            raise ProblemError(404, "Cette collectivité est introuvable.")
        rows = session.execute(
            select(Procedure)
            .where(Procedure.authority_id == authority_id, Procedure.active.is_(True))
            .order_by(Procedure.title)
        ).scalars()
        return [PublicProcedure(code=r.code, title=r.title,
                                silence_rule=SilenceRule(r.silence_rule)) for r in rows]


def _anonymous_bytes_today(session: Session, authority_id: uuid.UUID) -> int:
    """Bytes of the files the portal attached for this commune in the last 24 hours."""
    since = utcnow() - timedelta(days=1)
    total = session.execute(
        select(func.coalesce(func.sum(Attachment.size), 0)).where(
            Attachment.authority_id == authority_id, Attachment.created_by.is_(None),
            Attachment.created_at >= since,
        )
    ).scalar_one()
    return int(total)


def _check_quota(session: Session, authority_id: uuid.UUID, size: int, quota: int) -> None:
    """The commune's daily volume of anonymous files (429 beyond, with a French reason)."""
    if size and _anonymous_bytes_today(session, authority_id) + size > quota:
        raise ProblemError(
            429,
            "La collectivité a reçu aujourd'hui le volume maximal de pièces jointes par le "
            "portail. Réessayez demain ou déposez vos pièces en mairie.",
            headers={"Retry-After": "3600"},
        )


@router.post(
    "/authorities/{authority_id}/submissions",
    response_model=RegistrationReceipt,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404, 413, 415, 422, 429),
)
def submit(
    authority_id: uuid.UUID,
    request: Request,
    db: DbDep,
    blobs: BlobsDep,
    settings: SettingsDep,
    payload: Annotated[str, Form(description="La demande, en JSON (SubmissionPayload)")],
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> RegistrationReceipt:
    ip = client_ip(request)
    limiter: SharedLimiter = request.app.state.submission_limiter
    # Counted before the work, committed, then checked: parallel envois cannot all slip in.
    wait = limiter.retry_after(ip or "?") or limiter.reserve(ip or "?")[1]
    if wait:
        raise ProblemError(
            429,
            "Trop de demandes envoyées depuis cette adresse. "
            f"Réessayez dans {max(1, wait // 60)} minute(s).",
            headers={"Retry-After": str(wait)},
        )
    try:
        decoded = json.loads(payload)
    except (ValueError, RecursionError) as exc:
        # ValueError: bad JSON, or a number of thousands of digits; RecursionError: nesting
        # deeper than the parser's stack.
        raise ProblemError(
            422, "Le champ « payload » n'est pas du JSON valide ou est trop imbriqué."
        ) from exc
    data = SubmissionPayload.model_validate(decoded)
    citizen_service.check_identity(data.citizen, strict=True)
    uploads = files or []
    if len(uploads) > MAX_FILES:
        raise ProblemError(422, f"Au plus {MAX_FILES} pièces jointes par demande.")
    declared = sum(upload.size or 0 for upload in uploads)
    if declared > MAX_SUBMISSION_BYTES:
        raise ProblemError(413, _TOO_LARGE)
    with db.read() as session:  # refused before a byte is written to the blob store
        if session.get(Authority, authority_id) is None:
            raise ProblemError(404, "Cette collectivité est introuvable.")
        _check_quota(session, authority_id, declared, settings.anonymous_bytes_per_day)
    stored: list[tuple[str, StoredBlob]] = []
    for upload in uploads:
        name = safe_filename(upload.filename)
        stored.append((name, blobs.put_stream(upload.file, name)))
    total = sum(blob.size for _name, blob in stored)
    if total > MAX_SUBMISSION_BYTES:
        raise ProblemError(413, _TOO_LARGE)
    with db.write() as session:
        authority = session.get(Authority, authority_id)
        if authority is None:
            raise ProblemError(404, "Cette collectivité est introuvable.")
        _check_quota(session, authority_id, total, settings.anonymous_bytes_per_day)
        procedure_id = None
        if data.procedure_code:
            procedure_id = session.execute(
                select(Procedure.id).where(
                    Procedure.authority_id == authority_id,
                    Procedure.code == data.procedure_code,
                    Procedure.active.is_(True),
                )
            ).scalar_one_or_none()
            if procedure_id is None:
                raise ProblemError(422, "Cette démarche n'est pas proposée par la collectivité.")
        citizen = citizen_service.create_row(session, None, uuid.uuid4(), authority_id,
                                             data.citizen, ip=ip)
        row = request_service.create(
            session, None,
            RequestCreateArgs(
                id=uuid.uuid4(), authority_id=authority_id, channel=Channel(data.channel),
                subject=data.subject, description=data.description, procedure_id=procedure_id,
                citizen_id=citizen.id, form_fields=data.form_fields,
            ),
            submitter_ip=ip, authority_checked=True,
        )
        names = []
        for name, stored_blob in stored:
            blob = attachment_service.record_blob(session, authority_id, stored_blob)
            attachment_service.link(session, None, AttachmentLinkArgs(
                id=uuid.uuid4(), authority_id=authority_id, request_id=row.id,
                sha256=blob.sha256, filename=name), None)
            names.append(name)
        audit.record(session, None, "submission", "requests", row.id, authority_id,
                     {"attachments": len(names)}, ip=ip)
        return RegistrationReceipt(
            request_id=row.id, number=row.number, received_at=row.received_at,
            authority_name=authority.name, channel=Channel(row.channel), attachments=names,
            message=(
                f"Votre demande a bien été enregistrée par {authority.name} sous le numéro "
                f"{row.number}, le {long_date_time(row.received_at)}. Cet accusé "
                "d'enregistrement ne vaut pas accusé de réception."
            ),
        )
