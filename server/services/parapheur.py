"""The built-in parapheur: a folder (main PDF + annexes) goes through a circuit of visas and
signatures by named officials; each decision is recorded, the final one produces the signed
document and the bordereau."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from server import audit
from server.access import Action, Principal, authorize, check_authority, get_scoped, id_taken
from server.blobs import BlobStore
from server.db.models import Agent, AgentAuthority, Attachment, Authority, Blob, ParapheurFolder
from server.db.models import Request as RequestModel
from server.db.types import utcnow
from server.problems import ProblemError
from server.services.common import add_event, stamp, tombstone
from server.services.parapheur_pdf import StepLine, bordereau, stamp_signature
from sync.protocol.vocabulary import EventKind, Role, Status, can_transition
from sync.protocol.wire import Entity, FolderState, StepKind, StepState

WHAT = "Ce dossier de parapheur"
FOLDER_STATE_LABELS = {
    FolderState.DRAFT: "brouillon", FolderState.PENDING: "en cours",
    FolderState.VISAED: "visé", FolderState.SIGNED: "signé", FolderState.REJECTED: "rejeté",
}


class StepSpec(BaseModel):
    kind: StepKind
    official_id: uuid.UUID


class FolderCreate(BaseModel):
    model_config = {"extra": "forbid"}
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    authority_id: uuid.UUID
    request_id: uuid.UUID | None = None
    title: str = Field(min_length=1, max_length=200)
    main_attachment_id: uuid.UUID
    annex_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    steps: list[StepSpec] = Field(min_length=1, max_length=10)


class Decision(BaseModel):
    model_config = {"extra": "forbid"}
    action: str = Field(pattern="^(visa|sign|reject)$")
    comment: str | None = Field(default=None, max_length=2000)


#: Annotations one folder may hold: enough for a real circuit, and a bounded row.
MAX_ANNOTATIONS = 50


class AnnotationCreate(BaseModel):
    model_config = {"extra": "forbid"}
    text: str = Field(min_length=1, max_length=2000)
    page: int | None = Field(default=None, ge=1, le=10000)


def _attachment(session: Session, authority_id: uuid.UUID, attachment_id: uuid.UUID,
                pdf_only: bool) -> Attachment:
    row = session.get(Attachment, attachment_id)
    if row is None or row.authority_id != authority_id:
        raise ProblemError(404, "Cette pièce est introuvable dans cette collectivité.")
    if pdf_only and row.content_type != "application/pdf":
        raise ProblemError(415, "Le document principal d'un parapheur doit être un PDF.")
    return row


def check_official(session: Session, authority_id: uuid.UUID, agent_id: uuid.UUID,
                   refusal: str = "Chaque étape doit désigner un élu de la collectivité.") -> Agent:
    """The active official (or administrator) of the commune, or 422: only they may visa,
    sign or give an opinion."""
    member = session.execute(
        select(Agent)
        .join(AgentAuthority, AgentAuthority.agent_id == Agent.id)
        .where(Agent.id == agent_id, AgentAuthority.authority_id == authority_id,
               AgentAuthority.role.in_([Role.OFFICIAL.value, Role.ADMIN.value]),
               Agent.active.is_(True))
    ).scalar_one_or_none()
    if member is None:
        raise ProblemError(422, refusal)
    return member


def create(session: Session, principal: Principal, body: FolderCreate) -> ParapheurFolder:
    check_authority(principal, body.authority_id)
    authorize(principal, Action.SEND_TO_PARAPHEUR, body.authority_id)
    if session.get(ParapheurFolder, body.id) is not None:
        raise id_taken()
    if body.request_id is not None:
        linked = session.get(RequestModel, body.request_id)
        if linked is None or linked.authority_id != body.authority_id:
            raise ProblemError(404, "Cette demande est introuvable dans cette collectivité.")
    _attachment(session, body.authority_id, body.main_attachment_id, pdf_only=True)
    for annex in body.annex_ids:
        _attachment(session, body.authority_id, annex, pdf_only=False)
    for step in body.steps:
        check_official(session, body.authority_id, step.official_id)
    now = utcnow()
    folder = ParapheurFolder(
        id=body.id, authority_id=body.authority_id, request_id=body.request_id,
        title=body.title, state=FolderState.DRAFT.value,
        main_attachment_id=body.main_attachment_id,
        annex_ids=[str(a) for a in body.annex_ids],
        steps=[{"position": n + 1, "kind": s.kind.value, "official_id": str(s.official_id),
                "state": StepState.WAITING.value, "acted_at": None, "comment": None}
               for n, s in enumerate(body.steps)],
        annotations=[], created_by=principal.agent_id, created_at=now, updated_at=now,
    )
    session.add(stamp(session, folder))
    audit.record(session, principal, "create", "parapheur_folders", folder.id,
                 folder.authority_id)
    return folder


def load(session: Session, principal: Principal, folder_id: uuid.UUID) -> ParapheurFolder:
    return get_scoped(session, ParapheurFolder, folder_id, principal, WHAT)


def _move_request(session: Session, principal: Principal, folder: ParapheurFolder,
                  target: Status) -> None:
    if folder.request_id is None:
        return
    request = session.get(RequestModel, folder.request_id)
    if request is None or not can_transition(Status(request.status), target):
        return
    add_event(session, request.authority_id, request.id, EventKind.STATUS_CHANGED, principal,
              {"from": request.status, "to": target.value, "parapheur_folder": str(folder.id)})
    request.status = target.value
    stamp(session, request)


def submit(session: Session, principal: Principal, folder_id: uuid.UUID) -> ParapheurFolder:
    folder = load(session, principal, folder_id)
    authorize(principal, Action.SEND_TO_PARAPHEUR, folder.authority_id)
    if folder.state != FolderState.DRAFT.value:
        raise ProblemError(409, "Seul un dossier en brouillon peut être envoyé au parapheur.")
    folder.state = FolderState.PENDING.value
    _move_request(session, principal, folder, Status.AT_PARAPHEUR)
    stamp(session, folder)
    audit.record(session, principal, "submit", "parapheur_folders", folder.id,
                 folder.authority_id)
    return folder


def _current_step(folder: ParapheurFolder) -> dict[str, Any] | None:
    for step in folder.steps:
        if step["state"] == StepState.WAITING.value:
            return dict(step)
    return None


def decide(session: Session, principal: Principal, blobs: BlobStore, folder_id: uuid.UUID,
           decision: Decision) -> ParapheurFolder:
    folder = load(session, principal, folder_id)
    authorize(principal, Action.DECIDE, folder.authority_id)
    if folder.state not in (FolderState.PENDING.value, FolderState.VISAED.value):
        raise ProblemError(409, "Ce dossier n'attend pas de décision.")
    step = _current_step(folder)
    if step is None:
        raise ProblemError(409, "Ce dossier n'attend pas de décision.")
    if step["official_id"] != str(principal.agent_id):
        raise ProblemError(403, "Cette étape est attribuée à un autre élu.")
    expected = "visa" if step["kind"] == StepKind.VISA.value else "sign"
    if decision.action not in (expected, "reject"):
        raise ProblemError(
            409, "Cette étape attend un visa." if expected == "visa"
            else "Cette étape attend une signature.",
        )
    now = utcnow()
    step["acted_at"] = now.isoformat()
    step["comment"] = decision.comment
    step["state"] = (StepState.REJECTED if decision.action == "reject" else StepState.DONE).value
    folder.steps = [step if s["position"] == step["position"] else s for s in folder.steps]
    if decision.action == "reject":
        folder.state = FolderState.REJECTED.value
        _move_request(session, principal, folder, Status.DRAFTING)
    elif _current_step(folder) is not None:
        folder.state = FolderState.VISAED.value if decision.action == "visa" else (
            FolderState.PENDING.value)
    else:
        signed = any(s["kind"] == StepKind.SIGNATURE.value for s in folder.steps)
        folder.state = (FolderState.SIGNED if signed else FolderState.VISAED).value
    if decision.action == "sign":
        folder.signed_sha256 = _store_signed(session, blobs, folder, principal, now)
    if folder.state in (FolderState.SIGNED.value, FolderState.REJECTED.value) or (
        _current_step(folder) is None
    ):
        folder.bordereau_sha256 = _store(session, blobs, folder.authority_id,
                                         bordereau_pdf(session, folder))
    stamp(session, folder)
    audit.record(session, principal, decision.action, "parapheur_folders", folder.id,
                 folder.authority_id, {"comment": decision.comment})
    return folder


def _store(session: Session, blobs: BlobStore, authority_id: uuid.UUID, data: bytes) -> str:
    digest = blobs.put(data)
    if session.get(Blob, (digest, authority_id)) is None:
        session.add(Blob(sha256=digest, authority_id=authority_id, size=len(data),
                         content_type="application/pdf", created_at=utcnow()))
    return digest


def _names(session: Session, ids: list[str]) -> dict[str, str]:
    rows = session.execute(
        select(Agent.id, Agent.display_name).where(Agent.id.in_([uuid.UUID(i) for i in ids]))
    ).all()
    return {str(r[0]): r[1] for r in rows}


def _store_signed(session: Session, blobs: BlobStore, folder: ParapheurFolder,
                  signer: Principal, now: datetime) -> str:
    main = session.get(Attachment, folder.main_attachment_id)
    authority = session.get(Authority, folder.authority_id)
    if main is None or authority is None:
        raise ProblemError(409, "Le document principal du dossier a disparu.")
    names = _names(session, [s["official_id"] for s in folder.steps])
    visas = [names.get(s["official_id"], "?") for s in folder.steps
             if s["kind"] == StepKind.VISA.value and s["state"] == StepState.DONE.value]
    signed = stamp_signature(blobs.read(main.sha256), names.get(str(signer.agent_id), "?"), now,
                             authority.name, visas)
    return _store(session, blobs, folder.authority_id, signed)


def bordereau_pdf(session: Session, folder: ParapheurFolder) -> bytes:
    authority = session.get(Authority, folder.authority_id)
    names = _names(session, [s["official_id"] for s in folder.steps]
                   + [a["agent_id"] for a in folder.annotations])
    steps = [
        StepLine(s["position"], s["kind"], names.get(s["official_id"], "?"), s["state"],
                 datetime.fromisoformat(s["acted_at"]) if s["acted_at"] else None, s["comment"])
        for s in folder.steps
    ]
    notes = [(names.get(a["agent_id"], "?"), datetime.fromisoformat(a["at"]), a["text"])
             for a in folder.annotations]
    return bordereau(folder.title, authority.name if authority else "", FOLDER_STATE_LABELS[
        FolderState(folder.state)], folder.created_at, steps, notes)


def annotate(session: Session, principal: Principal, folder_id: uuid.UUID,
             body: AnnotationCreate) -> ParapheurFolder:
    folder = load(session, principal, folder_id)
    authorize(principal, Action.WRITE, folder.authority_id)
    if len(folder.annotations) >= MAX_ANNOTATIONS:
        raise ProblemError(
            422, f"Ce dossier compte déjà {MAX_ANNOTATIONS} annotations : c'est le maximum.")
    folder.annotations = [*folder.annotations, {
        "id": str(uuid.uuid4()), "agent_id": str(principal.agent_id),
        "at": utcnow().isoformat(), "page": body.page, "text": body.text,
    }]
    stamp(session, folder)
    audit.record(session, principal, "annotate", "parapheur_folders", folder.id,
                 folder.authority_id)
    return folder


def delete(session: Session, principal: Principal, folder_id: uuid.UUID) -> None:
    folder = load(session, principal, folder_id)
    authorize(principal, Action.DELETE, folder.authority_id)
    if folder.state == FolderState.SIGNED.value:
        raise ProblemError(409, "Un dossier signé ne peut pas être supprimé.")
    tombstone(session, Entity.PARAPHEUR_FOLDERS, folder.id, folder.authority_id, principal)
    audit.record(session, principal, "delete", "parapheur_folders", folder.id,
                 folder.authority_id)
    session.delete(folder)
