"""The parapheur connector interface, modelled on Pastell's ``SignatureConnecteur``.

A connector carries one folder (main PDF, annexes, circuit, annotations, wished date) into a
parapheur and brings back what happened to it. The server's own rows stay the truth the
desktops pull (``ParapheurFolder``); a connector only talks to its parapheur:

- ``send`` deposits the folder and returns the parapheur's id for it (``remote_id``);
- ``status`` reads its history and last state: is it final, signed, rejected, and why;
- ``signed_document`` and ``bordereau`` fetch the PDFs once the circuit is over;
- ``archive`` deletes or archives the folder in the parapheur after the retrieval.

``in_transaction`` says whether the connector may run inside the push transaction: the
built-in parapheur lives in the same database (no network), an external one must not be
called there (a slow or unreachable parapheur would hold the write lock): its folders are
queued (``sending = "queued"``) and a poller sends and follows them outside any transaction,
then records the results through ``server.services.parapheur_flow`` (``record_signed``,
``record_rejected``), which are the same for every connector.

Errors: ``ConnectorError`` with a French ``reason`` (shown on the folder as ``last_error``)
and ``retryable`` (unreachable, timeout, 5xx: try again later with backoff; a garbage or
refused answer is not retryable).
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar

from sync.protocol.wire import FolderState, StepKind


class ConnectorError(Exception):
    def __init__(self, reason: str, *, retryable: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


@dataclass(frozen=True)
class Document:
    filename: str
    content: bytes
    content_type: str = "application/pdf"


@dataclass(frozen=True)
class CircuitStep:
    kind: StepKind
    official_id: uuid.UUID
    #: For external parapheurs that know people by login or e-mail, not by our ids.
    official_login: str = ""
    official_name: str = ""
    official_email: str | None = None


@dataclass(frozen=True)
class OutgoingFolder:
    """Everything a parapheur needs to open the folder."""

    folder_id: uuid.UUID
    authority_id: uuid.UUID
    title: str
    main_document: Document
    annexes: list[Document] = field(default_factory=list)
    steps: list[CircuitStep] = field(default_factory=list)
    public_annotation: str = ""
    private_annotation: str = ""
    wished_date: date | None = None
    #: Free metadata (e.g. the request number), passed on where the parapheur has room.
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    #: What happened, in the parapheur's words translated to French for the history.
    label: str
    actor: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class RemoteStatus:
    """The last state of a folder in its parapheur, with its history (oldest first)."""

    state: FolderState
    history: list[HistoryEntry] = field(default_factory=list)
    rejection_reason: str | None = None

    @property
    def is_final(self) -> bool:
        return self.state in (FolderState.SIGNED, FolderState.REJECTED)

    @property
    def is_signed(self) -> bool:
        return self.state is FolderState.SIGNED

    @property
    def is_rejected(self) -> bool:
        return self.state is FolderState.REJECTED

    @property
    def last(self) -> HistoryEntry | None:
        return self.history[-1] if self.history else None


class ParapheurConnector(ABC):
    """One parapheur back-end. Instances are made per use by ``server.connectors.parapheur
    .open_connector`` with the commune's configuration."""

    #: The name stored per commune (``ParapheurSettings.connector``) and on each folder.
    name: ClassVar[str]
    #: True only for a parapheur living in the server's own database (see module doc).
    in_transaction: ClassVar[bool] = False

    @abstractmethod
    def send(self, folder: OutgoingFolder) -> str:
        """Deposits the folder and starts its circuit; returns the parapheur's id for it."""

    @abstractmethod
    def status(self, remote_id: str) -> RemoteStatus:
        """History and last state of the folder."""

    @abstractmethod
    def signed_document(self, remote_id: str) -> Document:
        """The signed main document (only once ``status(...).is_signed``)."""

    @abstractmethod
    def bordereau(self, remote_id: str) -> Document | None:
        """The circuit's slip, when the parapheur makes one."""

    @abstractmethod
    def archive(self, remote_id: str) -> None:
        """Deletes or archives the folder in the parapheur once its results are kept here."""
