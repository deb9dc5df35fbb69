"""Files arriving by hand (dropped on the window) or from the copier: which may be attached.

A drop brings any mix: scans, a folder, an e-mail, a 40 MB video. Each file is read once and
judged by the very rule of the file dialog and the server (``sync.protocol.files``: PDF, JPG or
PNG by content, 5 MB), so the secrétaire sees at once, in French, what was refused and why,
and what is accepted is held in memory: the bytes checked are the bytes attached, even if the
copier rewrites the file meanwhile. Qt-free, so it is tested without a display.

E-mails (``.eml``, ``.msg``) are not attachments to check but messages to register: they are
set apart in ``Incoming.mails`` for the mail intake to take (``desktop.views.scans.drop``
hands them to the handler registered for them).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from desktop.store.attachments import add_attachment_data, same_data_attached
from desktop.store.database import StoreError
from sync.protocol.files import attachment_problem
from sync.protocol.vocabulary import MAX_ATTACHMENT_BYTES

#: At most this many files in one drop: the web portal's own limit per request (the server's
#: ``MAX_FILES``); a larger drop is nearly always a whole folder dropped by mistake.
MAX_FILES_PER_DROP = 10
#: Messages, handed to the mail intake rather than attached.
MAIL_EXTENSIONS = frozenset({".eml", ".msg"})
#: Scans a copier writes that are not attachments by themselves but join into a PDF.
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff"})


@dataclass(frozen=True)
class ReadyFile:
    """A file that passed the checks, with the very bytes that were checked."""

    name: str
    data: bytes
    source: Path | None = None


@dataclass(frozen=True)
class RefusedFile:
    name: str
    reason: str


@dataclass
class Incoming:
    """What a drop brought, sorted."""

    accepted: list[ReadyFile] = field(default_factory=list)
    refused: list[RefusedFile] = field(default_factory=list)
    #: E-mails, left to the mail intake.
    mails: list[Path] = field(default_factory=list)

    def refusals_text(self) -> str:
        """One line per refused file, for a message box."""
        return "\n".join(f"• {item.reason}" for item in self.refused)


def read_checked(path: Path, name: str | None = None) -> ReadyFile | RefusedFile:
    """Reads ``path`` once and checks it; the refusal names the file and says why, in French."""
    name = name or path.name
    try:
        if path.is_dir():
            return RefusedFile(name, f"« {name} » est un dossier : déposez les fichiers "
                                     "qu'il contient.")
        if path.stat().st_size > MAX_ATTACHMENT_BYTES:  # not read into memory for nothing
            return RefusedFile(name, f"Le fichier « {name} » dépasse la taille maximale de 5 Mo.")
        data = path.read_bytes()
    except FileNotFoundError:
        return RefusedFile(name, f"Le fichier « {name} » n'existe plus.")
    except OSError as exc:
        return RefusedFile(name, f"Le fichier « {name} » ne peut pas être lu "
                                 f"({exc.strerror or exc}).")
    problem = attachment_problem(data, name)
    if problem:
        return RefusedFile(name, problem)
    return ReadyFile(name, data, path)


def sort_incoming(paths: Iterable[Path]) -> Incoming:
    """Reads and checks every dropped file; mails are set apart, unread."""
    incoming = Incoming()
    files: list[Path] = []
    for path in paths:
        if path.suffix.lower() in MAIL_EXTENSIONS:
            incoming.mails.append(path)
        else:
            files.append(path)
    if len(files) > MAX_FILES_PER_DROP:
        incoming.refused.append(RefusedFile(
            "", f"{len(files)} fichiers déposés d'un coup : {MAX_FILES_PER_DROP} au plus à la "
                "fois. Aucun n'a été joint ; déposez-les en plusieurs fois."))
        return incoming
    for path in files:
        checked = read_checked(path)
        if isinstance(checked, ReadyFile):
            incoming.accepted.append(checked)
        else:
            incoming.refused.append(checked)
    return incoming


@dataclass
class AttachReport:
    """What became of files joined to a request at once."""

    joined: list[str] = field(default_factory=list)
    #: Already on the request (same bytes): not joined a second time.
    twins: list[str] = field(default_factory=list)
    refused: list[RefusedFile] = field(default_factory=list)

    def summary(self) -> str:
        """The status-bar sentence."""
        parts = []
        if self.joined:
            names = ", ".join(f"« {name} »" for name in self.joined)
            parts.append(f"{len(self.joined)} fichier{'s' if len(self.joined) > 1 else ''} "
                         f"joint{'s' if len(self.joined) > 1 else ''} : {names}")
        if self.twins:
            parts.append(f"déjà joint{'s' if len(self.twins) > 1 else ''}, non "
                         f"repris : {', '.join(self.twins)}")
        if self.refused:
            parts.append(f"{len(self.refused)} refusé{'s' if len(self.refused) > 1 else ''}")
        return (" ; ".join(parts) or "Aucun fichier joint") + "."


def attach_files(
    conn: sqlite3.Connection, request_pk: int, files: Iterable[ReadyFile], *,
    agent_id: str | None, now: datetime | None = None,
) -> AttachReport:
    """Joins each checked file to the request, each whole or not at all (its own
    transaction); a file already on the request is not joined twice."""
    report = AttachReport()
    for ready in files:
        if same_data_attached(conn, request_pk, ready.data) is not None:
            report.twins.append(ready.name)
            continue
        try:
            add_attachment_data(conn, request_pk, ready.data, ready.name, agent_id=agent_id,
                                now=now)
        except StoreError as exc:
            report.refused.append(RefusedFile(ready.name, str(exc)))
        else:
            report.joined.append(ready.name)
    return report
