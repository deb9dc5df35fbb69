"""The built-in parapheur behind the connector interface: the folder row *is* its storage, the
circuit is decided by the commune's officials through ``parapheur.decide`` (or the REST
decision route), and the signed PDF and bordereau are made by ``server.services.parapheur``.
It runs inside the caller's transaction (no network), so its results are recorded at once."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from sqlalchemy.orm import Session

from server.blobs import BlobStore
from server.connectors.parapheur.base import (
    ConnectorError,
    Document,
    HistoryEntry,
    OutgoingFolder,
    ParapheurConnector,
    RemoteStatus,
)
from server.db.models import ParapheurFolder
from sync.protocol.wire import FolderState, StepState

_ACTION = {("visa", "done"): "Visé", ("signature", "done"): "Signé",
           ("visa", "rejected"): "Rejeté", ("signature", "rejected"): "Rejeté"}


class BuiltinConnector(ParapheurConnector):
    name: ClassVar[str] = "builtin"
    in_transaction: ClassVar[bool] = True

    def __init__(self, session: Session, blobs: BlobStore) -> None:
        self.session = session
        self.blobs = blobs

    def _folder(self, remote_id: str) -> ParapheurFolder:
        folder = self.session.get(ParapheurFolder, uuid.UUID(remote_id))
        if folder is None:
            raise ConnectorError("Ce dossier n'existe plus dans le parapheur.", retryable=False)
        return folder

    def send(self, folder: OutgoingFolder) -> str:
        """The row already holds the folder: sending starts its circuit."""
        row = self._folder(str(folder.folder_id))
        if row.state == FolderState.DRAFT.value:
            row.state = FolderState.PENDING.value
        return str(row.id)

    def status(self, remote_id: str) -> RemoteStatus:
        row = self._folder(remote_id)
        history = [HistoryEntry(row.created_at, "Déposé")]
        reason = None
        for step in row.steps:
            if step["state"] == StepState.WAITING.value or not step["acted_at"]:
                continue
            history.append(HistoryEntry(
                datetime.fromisoformat(step["acted_at"]),
                _ACTION.get((step["kind"], step["state"]), step["state"]),
                step["official_id"], step.get("comment")))
            if step["state"] == StepState.REJECTED.value:
                reason = step.get("comment")
        return RemoteStatus(FolderState(row.state), history, reason)

    def signed_document(self, remote_id: str) -> Document:
        row = self._folder(remote_id)
        if row.signed_sha256 is None:
            raise ConnectorError("Ce dossier n'est pas encore signé.", retryable=False)
        return Document(f"{row.title}-signe.pdf", self.blobs.read(row.signed_sha256))

    def bordereau(self, remote_id: str) -> Document | None:
        row = self._folder(remote_id)
        if row.bordereau_sha256 is None:
            return None
        return Document(f"bordereau-{row.title}.pdf", self.blobs.read(row.bordereau_sha256))

    def archive(self, remote_id: str) -> None:
        """Nothing to delete: the built-in folder is the row the desktops show, and it stays
        as the archive of the circuit."""
        self._folder(remote_id)
