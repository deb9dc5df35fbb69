"""Attachments travel beside the mutations: uploaded once (content-addressed by SHA-256),
downloaded on demand with HTTP Range so a cut line resumes where it stopped, verified by
their hash before anyone opens them, and kept in the local cache for offline use.

The limit (5 MB, PDF/JPG/PNG by content) is checked before anything is sent: a file the
server would refuse never costs the line its bytes.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from sync import errors, faults
from sync.protocol.files import attachment_problem, sha256_hex

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # the window imports this module at start-up; httpx loads with the sync
    from sync.client import ApiClient


@dataclass(frozen=True)
class Upload:
    sha256: str
    authority_id: str
    filename: str


@runtime_checkable
class BlobStore(Protocol):
    def blob_path(self, sha256: str) -> Path:
        """Where the cache keeps (or will keep) this content."""

    def attachment_sha256(self, attachment_id: str) -> str | None:
        """The content hash of a known attachment, None if this PC never heard of it."""

    def pending_uploads(self) -> list[Upload]: ...

    def upload_done(self, upload: Upload, reason: str | None = None) -> None:
        """``reason`` set: the server (or the local check) refused it for good."""


def upload_pending(client: ApiClient, blobs: BlobStore) -> int:
    """Sends every waiting file; a transient failure stops here (the queue order is kept:
    the mutations that link these files are pushed only afterwards). Returns files sent."""
    sent = 0
    for upload in blobs.pending_uploads():
        path = blobs.blob_path(upload.sha256)
        try:
            data = path.read_bytes()
        except OSError:
            blobs.upload_done(upload, f"Le fichier « {upload.filename} » a disparu du poste.")
            continue
        problem = attachment_problem(data, upload.filename)
        if problem is None and sha256_hex(data) != upload.sha256:
            problem = f"Le fichier « {upload.filename} » a été altéré sur le poste."
        if problem is not None:
            blobs.upload_done(upload, problem)
            continue
        if not client.blob_exists(upload.sha256, upload.authority_id):
            try:
                client.upload_blob(upload.authority_id, upload.filename, data)
            except errors.RequestRefusedError as exc:  # 413, 415, 422: never accepted as is
                blobs.upload_done(upload, exc.detail or exc.message)
                continue
            sent += 1
        blobs.upload_done(upload)
    return sent


def fetch_logos(client: ApiClient, blobs: BlobStore) -> int:
    """Brings the communes' logos the letterhead needs into the cache (after a pull: a logo
    set on another PC). A store without ``missing_logos`` has none to fetch. A logo that
    fails to arrive is tried again at the next sync; letters meanwhile go without it."""
    missing = getattr(blobs, "missing_logos", None)
    if missing is None:
        return 0
    fetched = 0
    for authority_id, sha256 in missing():
        try:
            data = client.download_logo(authority_id)
        except (errors.RequestRefusedError, errors.AccessDeniedError) as exc:
            log.warning("logo of %s not fetched: %s", authority_id, exc)
            continue
        if sha256_hex(data) != sha256:
            continue  # changed meanwhile: the next pull brings the new digest
        target = blobs.blob_path(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        part.write_bytes(data)
        os.replace(part, target)
        fetched += 1
    return fetched


def cached(blobs: BlobStore, sha256: str) -> Path | None:
    """The cached file when it is there and whole (its hash checked), else None."""
    target = blobs.blob_path(sha256)
    if target.exists() and _digest(target) == sha256:
        return target
    return None


def download(
    client: ApiClient,
    blobs: BlobStore,
    attachment_id: str,
    sha256: str,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """The attachment's file in the cache, fetched (or resumed) if needed."""
    target = cached(blobs, sha256)
    if target is not None:
        return target
    target = blobs.blob_path(sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    start = part.stat().st_size if part.exists() else 0
    with open(part, "ab") as handle:

        def write(chunk: bytes) -> None:
            first = handle.tell() == start
            handle.write(chunk)
            if first:  # the fault-injection tests strike here, with bytes on disk
                handle.flush()
                faults.pause("mid_download")

        resumed, _total = client.download(attachment_id, start, write, progress)
        if not resumed and start:
            # The server ignored the Range: it sent everything again from byte 0.
            handle.flush()
    if not resumed and start:
        _drop_prefix(part, start)
    if _digest(part) != sha256:
        part.unlink(missing_ok=True)
        raise errors.bad_response(
            "le fichier reçu ne correspond pas à son empreinte ; il sera téléchargé à nouveau"
        )
    os.replace(part, target)
    return target


def _drop_prefix(path: Path, size: int) -> None:
    data = path.read_bytes()
    path.write_bytes(data[size:])


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()
