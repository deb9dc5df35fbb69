"""The built-in parapheur (élu mode): folders, circuit decisions, annotations, PDFs."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import Response
from sqlalchemy import select

from server.access import scope
from server.api.common import Deleted, Page, paginate
from server.api.deps import BlobsDep, DbDep, PrincipalDep
from server.db.models import ParapheurFolder
from server.problems import ProblemError, problem_responses
from server.services import parapheur as service
from server.services import parapheur_flow as flow
from sync.protocol.wire import FolderState, ParapheurFolderRow

router = APIRouter(prefix="/parapheur", tags=["parapheur"])
ERRORS = problem_responses(401, 403, 404, 409, 415, 422)
PDF_RESPONSES = {
    200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
          "description": "Le PDF"},
    **problem_responses(401, 404, 409, 422),
}


@router.get("/folders", response_model=Page[ParapheurFolderRow], responses=ERRORS)
def list_folders(
    principal: PrincipalDep,
    db: DbDep,
    authority_id: uuid.UUID | None = None,
    state: FolderState | None = None,
    mine: Annotated[bool, Query(description="Seulement ceux qui attendent ma décision")] = False,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10**9),
) -> Page[ParapheurFolderRow]:
    authorities = scope(principal, [authority_id] if authority_id else None)
    with db.read() as session:
        stmt = select(ParapheurFolder).where(ParapheurFolder.authority_id.in_(authorities))
        if state is not None:
            stmt = stmt.where(ParapheurFolder.state == state.value)
        page = paginate(session, stmt.order_by(ParapheurFolder.created_at.desc(),
                                               ParapheurFolder.id),
                        ParapheurFolderRow, limit, offset)
    if mine:
        page.items = [
            f for f in page.items
            if f.state in (FolderState.PENDING, FolderState.VISAED) and next(
                (s.official_id for s in f.steps if s.state == "waiting"), None
            ) == principal.agent_id
        ]
    return page


@router.post("/folders", response_model=ParapheurFolderRow,
             status_code=status.HTTP_201_CREATED, responses=ERRORS)
def create_folder(
    body: service.FolderCreate, principal: PrincipalDep, db: DbDep
) -> ParapheurFolderRow:
    with db.write() as session:
        folder = service.create(session, principal, body)
        session.flush()
        return ParapheurFolderRow.model_validate(folder)


@router.get("/folders/{folder_id}", response_model=ParapheurFolderRow, responses=ERRORS)
def get_folder(folder_id: uuid.UUID, principal: PrincipalDep, db: DbDep) -> ParapheurFolderRow:
    with db.read() as session:
        return ParapheurFolderRow.model_validate(service.load(session, principal, folder_id))


@router.post("/folders/{folder_id}/submit", response_model=ParapheurFolderRow, responses=ERRORS)
def submit_folder(
    folder_id: uuid.UUID, principal: PrincipalDep, db: DbDep
) -> ParapheurFolderRow:
    with db.write() as session:
        return ParapheurFolderRow.model_validate(service.submit(session, principal, folder_id))


@router.post("/folders/{folder_id}/decision", response_model=ParapheurFolderRow,
             responses=ERRORS)
def decide(
    folder_id: uuid.UUID, body: service.Decision, principal: PrincipalDep, db: DbDep,
    blobs: BlobsDep,
) -> ParapheurFolderRow:
    """``visa``, ``sign`` or ``reject`` by the official of the current step."""
    with db.write() as session:
        folder = flow.decide(session, principal, blobs, folder_id, body)
        return ParapheurFolderRow.model_validate(folder)


@router.post("/folders/{folder_id}/annotations", response_model=ParapheurFolderRow,
             status_code=status.HTTP_201_CREATED, responses=ERRORS)
def annotate(
    folder_id: uuid.UUID, body: service.AnnotationCreate, principal: PrincipalDep, db: DbDep
) -> ParapheurFolderRow:
    with db.write() as session:
        return ParapheurFolderRow.model_validate(
            service.annotate(session, principal, folder_id, body)
        )


@router.get("/folders/{folder_id}/signed", response_class=Response, responses=PDF_RESPONSES)
def signed_document(
    folder_id: uuid.UUID, principal: PrincipalDep, db: DbDep, blobs: BlobsDep
) -> Response:
    with db.read() as session:
        folder = service.load(session, principal, folder_id)
    if folder.signed_sha256 is None:
        raise ProblemError(409, "Ce dossier n'est pas encore signé.")
    return Response(blobs.read(folder.signed_sha256), media_type="application/pdf")


@router.get("/folders/{folder_id}/bordereau", response_class=Response, responses=PDF_RESPONSES)
def bordereau(
    folder_id: uuid.UUID, principal: PrincipalDep, db: DbDep, blobs: BlobsDep
) -> Response:
    """The final bordereau once the circuit ends; before that, the history so far."""
    with db.read() as session:
        folder = service.load(session, principal, folder_id)
        if folder.bordereau_sha256 is not None:
            return Response(blobs.read(folder.bordereau_sha256), media_type="application/pdf")
        return Response(service.bordereau_pdf(session, folder), media_type="application/pdf")


@router.delete("/folders/{folder_id}", response_model=Deleted, responses=ERRORS)
def delete_folder(folder_id: uuid.UUID, principal: PrincipalDep, db: DbDep) -> Deleted:
    with db.write() as session:
        service.delete(session, principal, folder_id)
    return Deleted(id=folder_id)
