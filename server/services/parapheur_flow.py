"""The reply's trip through the parapheur, the same for every connector.

``parapheur.send`` checks the folder (main PDF and annexes are the request's attachments, the
circuit names the commune's officials), moves the request to ``at_parapheur`` (through
``drafting`` when it was not there yet) and hands the folder to the commune's connector: the
built-in one at once, an external one later (``sending = "queued"``, a poller sends it).
``parapheur.decide`` is the built-in parapheur's visa, signature or rejection, possibly decided
offline: the ``position`` the official saw must still be the waiting one, otherwise the answer
is a conflict with the server's folder and nothing is decided twice.

When the circuit ends, ``record_results`` / ``record_rejected`` (also the poller's entry points)
turn the signed PDF and the bordereau into attachments of the request, or put the request
back in drafting with the official's comment.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import audit
from server.access import Action, Principal, authorize, check_authority, id_taken
from server.blobs import BlobStore, safe_filename
from server.connectors.parapheur import BUILTIN, chosen_connector, open_connector
from server.connectors.parapheur.base import CircuitStep, Document, OutgoingFolder
from server.db.models import Agent, Attachment, ParapheurFolder, Request
from server.db.types import utcnow
from server.problems import ProblemError
from server.services import parapheur
from server.services import requests as request_service
from server.services.common import Change, add_event, stamp
from server.services.runtime import Runtime
from sync.protocol.vocabulary import EventKind, Status
from sync.protocol.wire import (
    Entity,
    FolderState,
    ParapheurDecideArgs,
    ParapheurSendArgs,
    StepState,
)

#: Statuses from which a reply may go to the parapheur (earlier ones pass through drafting).
_SENDABLE = (Status.RECEIVED, Status.ACKNOWLEDGED, Status.AWAITING_DOCUMENTS, Status.DRAFTING)
_ACTION_LABELS = {"visa": "visé", "sign": "signé", "reject": "rejeté"}


def request_attachment(session: Session, request: Request, attachment_id: uuid.UUID,
                       *, pdf_only: bool, what: str = "Cette pièce") -> Attachment:
    """An attachment of this very request (a PDF when ``pdf_only``), or a French refusal."""
    row = session.get(Attachment, attachment_id)
    if row is None or row.request_id != request.id:
        raise ProblemError(404, f"{what} n'est pas une pièce jointe de la demande "
                                f"{request.number}.")
    if pdf_only and row.content_type != "application/pdf":
        raise ProblemError(415, f"{what} doit être un PDF.")
    return row


def open_folder(session: Session, request_id: uuid.UUID) -> ParapheurFolder | None:
    """The request's folder still waiting for a decision, if any."""
    folders = session.execute(
        select(ParapheurFolder).where(ParapheurFolder.request_id == request_id)
    ).scalars()
    for folder in folders:
        if folder.state in (FolderState.DRAFT.value, FolderState.PENDING.value) or (
            folder.state == FolderState.VISAED.value and parapheur._current_step(folder)
        ):
            return folder
    return None


def outgoing_folder(session: Session, blobs: BlobStore, folder: ParapheurFolder
                    ) -> OutgoingFolder:
    """What a connector receives: the documents' bytes and the circuit with names."""
    def document(attachment_id: uuid.UUID) -> Document:
        row = session.get(Attachment, attachment_id)
        if row is None:
            raise ProblemError(409, "Une pièce du dossier a disparu.")
        return Document(row.filename, blobs.read(row.sha256), row.content_type)

    steps = []
    for step in folder.steps:
        agent = session.get(Agent, uuid.UUID(step["official_id"]))
        steps.append(CircuitStep(
            kind=step["kind"], official_id=uuid.UUID(step["official_id"]),
            official_login=agent.login if agent else "",
            official_name=agent.display_name if agent else "",
            official_email=agent.email if agent else None))
    request = session.get(Request, folder.request_id) if folder.request_id else None
    return OutgoingFolder(
        folder_id=folder.id, authority_id=folder.authority_id, title=folder.title,
        main_document=document(folder.main_attachment_id),
        annexes=[document(uuid.UUID(str(a))) for a in folder.annex_ids], steps=steps,
        public_annotation=folder.public_annotation,
        private_annotation=folder.private_annotation, wished_date=folder.wished_date,
        metadata={"numero": request.number} if request else {},
    )


def send(session: Session, principal: Principal, args: ParapheurSendArgs,
         base_version: int | None, runtime: Runtime) -> Change:
    check_authority(principal, args.authority_id)
    authorize(principal, Action.SEND_TO_PARAPHEUR, args.authority_id)
    request = request_service.load(session, principal, args.request_id)
    if request.authority_id != args.authority_id:
        raise ProblemError(404, "Cette demande est introuvable dans cette collectivité.")
    if session.get(ParapheurFolder, args.folder_id) is not None:
        raise id_taken()
    request_attachment(session, request, args.main_attachment_id, pdf_only=True,
                       what="Le document principal")
    for annex in args.annex_ids:
        request_attachment(session, request, annex, pdf_only=False, what="Une annexe")
    for step in args.steps:
        parapheur.check_official(session, request.authority_id, step.official_id)
    status = Status(request.status)
    if status is Status.AT_PARAPHEUR:
        raise ProblemError(409, "Cette demande est déjà au parapheur : attendez la décision "
                                "(ou le rejet) du dossier en cours.")
    if status not in _SENDABLE:
        raise ProblemError(409, "Une demande déjà répondue ou close ne part plus au parapheur.")
    if status is not Status.DRAFTING:
        request_service.transition(session, principal, request, Status.DRAFTING)
    request_service.transition(session, principal, request, Status.AT_PARAPHEUR)
    stamp(session, request)
    now = utcnow()
    connector_name = chosen_connector(session, request.authority_id)
    annotations = []
    if args.public_annotation.strip():
        annotations.append({"id": str(uuid.uuid4()), "agent_id": str(principal.agent_id),
                            "at": now.isoformat(), "page": None,
                            "text": args.public_annotation.strip()})
    folder = ParapheurFolder(
        id=args.folder_id, authority_id=request.authority_id, request_id=request.id,
        title=args.title, state=FolderState.DRAFT.value,
        main_attachment_id=args.main_attachment_id,
        annex_ids=[str(a) for a in args.annex_ids],
        steps=[{"position": n + 1, "kind": s.kind.value, "official_id": str(s.official_id),
                "state": StepState.WAITING.value, "acted_at": None, "comment": None}
               for n, s in enumerate(args.steps)],
        annotations=annotations, created_by=principal.agent_id, created_at=now,
        updated_at=now, connector=connector_name,
        public_annotation=args.public_annotation.strip(),
        private_annotation=args.private_annotation.strip(), wished_date=args.wished_date,
        sending="queued", next_poll_at=now, poll_failures=0, stuck=False,
    )
    session.add(stamp(session, folder))  # one version for the folder as this push leaves it
    session.flush()
    connector = open_connector(session, runtime.blobs, request.authority_id, connector_name)
    if connector.in_transaction:
        folder.remote_id = connector.send(outgoing_folder(session, runtime.blobs, folder))
        folder.sending, folder.next_poll_at = "sent", None
    add_event(session, request.authority_id, request.id, EventKind.SENT_TO_PARAPHEUR, principal,
              {"folder_id": str(folder.id), "title": folder.title, "connector": connector_name,
               "steps": [{"kind": s.kind.value, "official_id": str(s.official_id)}
                         for s in args.steps],
               "wished_date": args.wished_date.isoformat() if args.wished_date else None,
               "public_annotation": folder.public_annotation})
    audit.record(session, principal, "send", "parapheur_folders", folder.id,
                 folder.authority_id, {"connector": connector_name})
    return Change(Entity.PARAPHEUR_FOLDERS, folder)


def decide_mutation(session: Session, principal: Principal, args: ParapheurDecideArgs,
                    base_version: int | None, runtime: Runtime) -> Change:
    """``parapheur.decide`` from the push: the position seen must still wait, else conflict."""
    folder = parapheur.load(session, principal, args.folder_id)
    authorize(principal, Action.DECIDE, folder.authority_id)
    if folder.connector != BUILTIN:
        raise ProblemError(409, "Ce dossier suit le circuit d'un parapheur externe : la "
                                "décision se prend dans ce parapheur.")
    step = parapheur._current_step(folder)
    waiting = folder.state in (FolderState.PENDING.value, FolderState.VISAED.value)
    if not waiting or step is None or step["position"] != args.position:
        done = next((s for s in folder.steps if s["position"] == args.position), None)
        already = (f"déjà {_step_state(done)}" if done and done["state"] != "waiting"
                   else "plus à cette étape")
        return Change(
            Entity.PARAPHEUR_FOLDERS, folder, ["steps"],
            reason=f"Le dossier « {folder.title} » est {already} (décision prise depuis un "
                   "autre poste) : votre décision n'a pas été appliquée, rien n'a été "
                   "signé deux fois.",
        )
    decided = decide(session, principal, runtime.blobs, folder.id,
                     parapheur.Decision(action=args.action, comment=args.comment))
    return Change(Entity.PARAPHEUR_FOLDERS, decided)


def _step_state(step: dict[str, object]) -> str:
    if step["state"] == StepState.REJECTED.value:
        return "rejeté"
    return "visé" if step["kind"] == "visa" else "signé"


def decide(session: Session, principal: Principal, blobs: BlobStore, folder_id: uuid.UUID,
           decision: parapheur.Decision) -> ParapheurFolder:
    """A decision of the built-in parapheur (push or REST) with its consequences: the event on
    the request, and at the end of the circuit the signed PDF and bordereau attached."""
    before = parapheur.load(session, principal, folder_id)
    step = parapheur._current_step(before)
    folder = parapheur.decide(session, principal, blobs, folder_id, decision)
    if folder.request_id is not None and step is not None:
        add_event(session, folder.authority_id, folder.request_id, EventKind.PARAPHEUR_DECISION,
                  principal, {"folder_id": str(folder.id), "position": step["position"],
                              "action": decision.action, "comment": decision.comment,
                              "official_id": str(principal.agent_id), "state": folder.state})
    circuit_over = parapheur._current_step(folder) is None
    if folder.state == FolderState.SIGNED.value or (
        circuit_over and folder.state != FolderState.REJECTED.value
    ):
        connector = open_connector(session, blobs, folder.authority_id, BUILTIN)
        remote = str(folder.id)
        signed = connector.signed_document(remote) if folder.signed_sha256 else None
        record_results(session, blobs, folder, principal, signed, connector.bordereau(remote))
    elif folder.state == FolderState.REJECTED.value:
        record_rejected(session, folder, principal, decision.comment or "", event=False)
    return folder


def record_results(session: Session, blobs: BlobStore, folder: ParapheurFolder,
                   principal: Principal | None, signed: Document | None,
                   bordereau: Document | None) -> None:
    """The circuit is over: the signed PDF and the bordereau become attachments of the request
    (pulled by every desktop) and the folder points to them. Safe to call twice."""
    main = session.get(Attachment, folder.main_attachment_id)
    stem = (main.filename.rsplit(".", 1)[0] if main else folder.title)[:200]
    request = session.get(Request, folder.request_id) if folder.request_id else None
    if signed is not None:
        folder.state = FolderState.SIGNED.value
    if signed is not None and folder.signed_attachment_id is None:
        folder.signed_sha256 = parapheur._store(session, blobs, folder.authority_id,
                                                signed.content)
        if request is not None:
            folder.signed_attachment_id = _attach(
                session, request, folder.signed_sha256, f"{stem}-signe.pdf",
                len(signed.content), principal).id
    if bordereau is not None and folder.bordereau_attachment_id is None:
        folder.bordereau_sha256 = parapheur._store(session, blobs, folder.authority_id,
                                                   bordereau.content)
        if request is not None:
            folder.bordereau_attachment_id = _attach(
                session, request, folder.bordereau_sha256, f"bordereau-{stem}.pdf",
                len(bordereau.content), principal).id
    stamp(session, folder)


def record_rejected(session: Session, folder: ParapheurFolder, principal: Principal | None,
                    reason: str, *, event: bool = True) -> None:
    """The folder was rejected: the draft goes back to the clerk with the reason."""
    folder.state = FolderState.REJECTED.value
    request = session.get(Request, folder.request_id) if folder.request_id else None
    if request is not None:
        if request.status == Status.AT_PARAPHEUR.value:
            request_service.transition(session, principal, request, Status.DRAFTING)
            stamp(session, request)
        if event:
            add_event(session, folder.authority_id, request.id, EventKind.PARAPHEUR_DECISION,
                      principal, {"folder_id": str(folder.id), "action": "reject",
                                  "comment": reason, "state": folder.state})
    stamp(session, folder)


def _attach(session: Session, request: Request, sha256: str, filename: str, size: int,
            principal: Principal | None) -> Attachment:
    row = Attachment(
        id=uuid.uuid4(), authority_id=request.authority_id, request_id=request.id,
        sha256=sha256, filename=safe_filename(filename), content_type="application/pdf",
        size=size, created_at=utcnow(), created_by=principal.agent_id if principal else None,
    )
    session.add(stamp(session, row))
    add_event(session, request.authority_id, request.id, EventKind.ATTACHMENT_ADDED, principal,
              {"attachment_id": str(row.id), "filename": row.filename})
    return row
