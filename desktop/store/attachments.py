"""Attaching a file on this PC, online or not.

The file is checked (5 MB, PDF/JPG/PNG by content) and copied into the content-addressed cache
first; then, in one transaction, the local attachment row, the upload to do and the
``attachment.link`` mutation are written. The sync uploads the bytes before it pushes the
mutation, so the server never hears of a file it does not have.

The detail pane lists a request's attachments with what this PC holds of each
(``request_attachments``), and a cached file opens through a copy that bears its real name
(``opened_copy``): the cache keeps it under its hash, without the extension an OS needs.
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import platformdirs

from desktop.domain.legal_time import utc_now
from desktop.domain.workflow import DomainEvent
from desktop.store.database import APP_NAME, StoreError, transaction
from desktop.store.ids import iso, new_id
from desktop.store.outbox import enqueue, server_may_know
from desktop.store.requests import REQUEST_GONE, insert_event
from desktop.store.sync_store import blob_path
from sync.protocol.files import EXTENSIONS as FILE_EXTENSIONS
from sync.protocol.files import attachment_problem, sha256_hex, sniff
from sync.protocol.vocabulary import EventKind
from sync.protocol.wire import MutationName


def keep_blob(conn: sqlite3.Connection, data: bytes) -> str:
    """Puts ``data`` in the content-addressed cache (once: same bytes, same file); returns its
    SHA-256. Written beside and renamed, so a reader never sees half a file."""
    digest = sha256_hex(data)
    target = blob_path(conn, digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".tmp")
        partial.write_bytes(data)
        os.replace(partial, target)
    return digest


def read_checked(source: Path, name: str) -> bytes:
    """The file's bytes, once they pass the attachment rules (5 MB, PDF/JPG/PNG by content);
    otherwise ``StoreError`` with the reason in French."""
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise StoreError(f"Impossible de lire le fichier « {name} » : {exc}") from exc
    return checked(data, name)


def checked(data: bytes, name: str) -> bytes:
    """``data`` when it passes the attachment rules; ``StoreError`` (French) otherwise."""
    problem = attachment_problem(data, name)
    if problem:
        raise StoreError(problem)
    return data


def add_attachment(
    conn: sqlite3.Connection, request_pk: int, source: Path, filename: str | None = None,
    *, agent_id: str | None = None, now: datetime | None = None,
) -> str:
    """Attaches ``source`` to the request; returns the new attachment's id. The history says
    who joined it and when (the server's own record of it takes this one's place)."""
    name = filename or source.name
    data = read_checked(source, name)
    with transaction(conn):
        return attach_checked(conn, request_pk, name, data, agent_id=agent_id, now=now)


def add_attachment_data(
    conn: sqlite3.Connection, request_pk: int, data: bytes, name: str,
    *, agent_id: str | None = None, now: datetime | None = None,
) -> str:
    """Attaches bytes already read (a dropped file checked beforehand, images joined into one
    PDF in memory) under ``name``; same checks and same rows as :func:`add_attachment`."""
    checked(data, name)
    with transaction(conn):
        return attach_checked(conn, request_pk, name, data, agent_id=agent_id, now=now)


def attach_checked(
    conn: sqlite3.Connection, request_pk: int, name: str, data: bytes, *,
    agent_id: str | None = None, now: datetime | None = None,
) -> str:
    """``add_attachment`` inside the caller's transaction, for bytes already checked (a mail's
    attachments, the files of a message): the attachment row, its history line and, for a
    request the server knows, the upload and ``attachment.link``. Returns the id."""
    digest = keep_blob(conn, data)
    attachment_id = new_id()
    row = conn.execute(
        "SELECT r.id, a.id, r.version FROM request r "
        "JOIN authority a ON a.pk = r.authority_pk WHERE r.pk = ? AND r.deleted = 0",
        (request_pk,),
    ).fetchone()
    if row is None:
        raise StoreError(REQUEST_GONE)
    request_id, authority_id, version = row
    conn.execute(
        "INSERT INTO attachment (id, request_pk, filename, media_type, size, sha256) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (attachment_id, request_pk, name, sniff(data), len(data), digest),
    )
    insert_event(conn, request_pk, DomainEvent(
        EventKind.ATTACHMENT_ADDED, now or utc_now(), agent_id,
        {"attachment_id": attachment_id, "filename": name},
    ))
    if not server_may_know(conn, request_id, version):
        return attachment_id
    conn.execute(
        "INSERT OR IGNORE INTO sync_upload (sha256, authority_id, filename, created_at) "
        "VALUES (?, ?, ?, ?)",
        (digest, authority_id, name, iso(utc_now())),
    )
    enqueue(
        conn, MutationName.ATTACHMENT_LINK,
        {"id": attachment_id, "authority_id": authority_id, "request_id": request_id,
         "sha256": digest, "filename": name},
        0,
    )
    return attachment_id


@dataclass(frozen=True)
class AttachedCopy:
    """The same file (same SHA-256) already joined to the request: its name and when."""

    filename: str
    added_at: datetime | None


def same_file_attached(
    conn: sqlite3.Connection, request_pk: int, source: Path
) -> AttachedCopy | None:
    """Whether these bytes are already joined to the request (whatever their name), so the
    secrétaire is asked before joining them twice. None when the file cannot be read: the
    attaching itself says why."""
    try:
        data = source.read_bytes()
    except OSError:
        return None
    return same_data_attached(conn, request_pk, data)


def same_data_attached(
    conn: sqlite3.Connection, request_pk: int, data: bytes
) -> AttachedCopy | None:
    """Whether these bytes are already joined to the request, under whatever name."""
    digest = sha256_hex(data)
    row = conn.execute(
        "SELECT a.id, a.filename FROM attachment a "
        "WHERE a.request_pk = ? AND a.sha256 = ? AND a.deleted = 0 ORDER BY a.pk LIMIT 1",
        (request_pk, digest),
    ).fetchone()
    if row is None:
        return None
    added = conn.execute(
        "SELECT MIN(at) FROM event WHERE request_pk = ? AND kind = ? "
        "AND json_extract(detail, '$.attachment_id') = ?",
        (request_pk, EventKind.ATTACHMENT_ADDED.value, row[0]),
    ).fetchone()[0]
    return AttachedCopy(str(row[1]), datetime.fromisoformat(added) if added else None)


def remove_attachment(
    conn: sqlite3.Connection, attachment_id: str, *, agent_id: str | None,
    now: datetime | None = None,
) -> LocalAttachment:
    """Takes a file joined by mistake off its request; returns what was removed.

    Applied here at once, kept in the history (who, when, which file) and, when the server
    knows of the attachment or will (its link is queued), queued as ``attachment.unlink``: the
    server then removes it for every PC and records the same event."""
    with transaction(conn):
        attachment = find_attachment(conn, attachment_id)
        if attachment is None:
            raise StoreError("Cette pièce jointe a déjà été retirée de la demande.")
        version = int(conn.execute(
            "SELECT version FROM attachment WHERE id = ?", (attachment_id,)
        ).fetchone()[0])
        conn.execute("UPDATE attachment SET deleted = 1 WHERE id = ?", (attachment_id,))
        insert_event(conn, attachment.request_pk, DomainEvent(
            EventKind.ATTACHMENT_REMOVED, now or utc_now(), agent_id,
            {"attachment_id": attachment_id, "filename": attachment.filename},
        ))
        linked = conn.execute(
            "SELECT 1 FROM sync_outbox WHERE row_id = ? AND name = ? AND state != 'rejected'",
            (attachment_id, MutationName.ATTACHMENT_LINK.value),
        ).fetchone()
        if version > 0 or linked is not None:
            enqueue(conn, MutationName.ATTACHMENT_UNLINK, {"attachment_id": attachment_id},
                    version)
    return attachment


@dataclass(frozen=True)
class LocalAttachment:
    """An attachment as this PC knows it: its metadata and where its bytes are."""

    id: str
    request_pk: int
    filename: str
    media_type: str
    size: int
    sha256: str
    #: The file is in the local cache: it opens without the network.
    cached: bool
    #: Added here, its bytes not yet received by the server.
    upload_pending: bool
    #: The server holds it (it came from there, or its link was confirmed): it can be fetched.
    on_server: bool = True


_SELECT_ATTACHMENTS = """
    SELECT a.id, a.request_pk, a.filename, a.media_type, a.size, a.sha256,
           EXISTS (SELECT 1 FROM sync_upload u WHERE u.sha256 = a.sha256
                   AND u.authority_id = au.id AND u.state = 'pending') AS upload_pending,
           a.version > 0 AS on_server
    FROM attachment a
    JOIN request r ON r.pk = a.request_pk
    JOIN authority au ON au.pk = r.authority_pk
    WHERE a.deleted = 0 AND {where}
    ORDER BY a.pk
"""


def _local(conn: sqlite3.Connection, row: sqlite3.Row | tuple[object, ...]) -> LocalAttachment:
    attachment_id, request_pk, filename, media_type, size, digest, pending, shared = tuple(row)
    return LocalAttachment(
        str(attachment_id), int(request_pk), str(filename), str(media_type), int(size),
        str(digest), blob_path(conn, str(digest)).is_file(), bool(pending), bool(shared),
    )


def request_attachments(conn: sqlite3.Connection, request_pk: int) -> list[LocalAttachment]:
    """The request's attachments in the order they came, each with its local state."""
    rows = conn.execute(_SELECT_ATTACHMENTS.format(where="a.request_pk = ?"), (request_pk,))
    return [_local(conn, row) for row in rows.fetchall()]


def find_attachment(conn: sqlite3.Connection, attachment_id: str) -> LocalAttachment | None:
    row = conn.execute(_SELECT_ATTACHMENTS.format(where="a.id = ?"), (attachment_id,)).fetchone()
    return _local(conn, row) if row is not None else None


# --- opening a cached file -------------------------------------------------------------------
#: The extension an OS needs to pick the right application, per media type.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    media_type: tuple(ext for ext, kind in FILE_EXTENSIONS.items() if kind == media_type)
    for media_type in dict.fromkeys(FILE_EXTENSIONS.values())
}
_NOT_IN_NAMES = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{prefix}{n}" for prefix in ("COM", "LPT") for n in range(1, 10)
}
#: Room left for the folder in front of the name (Windows paths stop at 260 characters).
MAX_STEM = 100
DEFAULT_STEM = "piece-jointe"


def opened_copies_dir() -> Path:
    """Per-user cache folder of the named copies handed to other applications."""
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)) / "ouverts"


def open_name(filename: str, media_type: str) -> str:
    """A file name any OS accepts, ending with the extension of the real content.

    The name comes from a citizen's upload or another PC: it may hold a path, characters
    Windows forbids, a reserved device name, or an extension that lies about the content
    (an OS opens by extension, so ``scan.pdf`` holding a PNG would open in the wrong viewer).
    """
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = _NOT_IN_NAMES.sub("_", name).strip().strip(".").strip()
    stem, suffix = os.path.splitext(name)
    wanted = EXTENSIONS.get(media_type, ())
    if wanted and suffix.lower() not in wanted:
        if suffix.lower() not in FILE_EXTENSIONS:
            stem = name  # "compte rendu.v2" keeps its whole name, the extension is added
        suffix = wanted[0]
    stem = stem.strip(" .")[:MAX_STEM].rstrip(" .") or DEFAULT_STEM
    if stem.upper() in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    return stem + suffix


def opened_copy(conn: sqlite3.Connection, attachment: LocalAttachment, folder: Path) -> Path | None:
    """A copy of the cached file named as the user knows it, under ``folder``; None when the
    cache does not hold the file (or holds damaged bytes, which a download replaces).

    The copy is read-only: what the secrétaire changes in it would never reach the request,
    and the viewer says so instead of letting her believe it was saved.
    """
    blob = blob_path(conn, attachment.sha256)
    try:
        data = blob.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"Impossible de lire la copie locale de « {attachment.filename} » : "
                         f"{exc}") from exc
    if sha256_hex(data) != attachment.sha256:
        return None
    target = folder / attachment.sha256[:8] / open_name(attachment.filename, attachment.media_type)
    try:
        if not (target.is_file() and target.read_bytes() == data):
            _write_read_only(target, data)
    except OSError as exc:
        raise StoreError(f"Impossible de préparer « {target.name} » pour l'ouvrir : {exc}") from exc
    return target


def _write_read_only(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".tmp")
    if partial.exists():  # left read-only by an interrupted copy
        partial.chmod(stat.S_IREAD | stat.S_IWRITE)
    partial.write_bytes(data)
    partial.chmod(stat.S_IREAD)
    if target.exists():
        target.chmod(stat.S_IREAD | stat.S_IWRITE)  # Windows will not replace a read-only file
    os.replace(partial, target)
