"""Content-addressed blob store (SHA-256) behind a small interface, so an S3-compatible store
can replace the disk one without touching the routers.

Also the content checks of the seed CGU: PDF, JPG, PNG only, recognised by their magic bytes
(never by the name), 5 MB each.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol

from server.problems import ProblemError
from sync.protocol.files import attachment_problem, head_problem, sha256_hex, sniff
from sync.protocol.vocabulary import MAX_ATTACHMENT_BYTES

_SHA = re.compile(r"^[0-9a-f]{64}$")


def check_content(data: bytes, filename: str) -> str:
    """Returns the content type, or raises 413/415 with the reason in French: the same rule
    and the same words as the desktop, which refuses the file before it is ever sent."""
    problem = attachment_problem(data, filename)
    if problem is not None:
        raise ProblemError(413 if len(data) > MAX_ATTACHMENT_BYTES else 415, problem)
    return str(sniff(data))


def safe_filename(name: str | None) -> str:
    """Keeps only the last path component, without control characters or leading dots, so a
    name like ``../../etc/passwd`` can never name anything but itself."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").split("/")[-1]
    name = "".join(c for c in name if c.isprintable() and c not in '<>:"|?*')
    name = name.strip().lstrip(".").strip()
    if not name:
        return "piece-jointe"
    stem, dot, ext = name.rpartition(".")
    if dot and len(ext) <= 10:
        return stem[: 250 - len(ext)] + "." + ext
    return name[:255]


#: Bytes read at a time when a file is streamed to the store.
CHUNK = 64 * 1024


class StoredBlob(NamedTuple):
    sha256: str
    size: int
    content_type: str


class BlobStore(Protocol):
    def put(self, data: bytes) -> str: ...

    def put_stream(self, source: BinaryIO, filename: str) -> StoredBlob:
        """Checks and stores a file read chunk by chunk (never whole in memory); raises
        ProblemError 413/415 with the same words as ``check_content``."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def size(self, sha256: str) -> int: ...

    def read(self, sha256: str, start: int = 0, end: int | None = None) -> bytes:
        """Bytes ``start`` to ``end`` inclusive (whole blob when ``end`` is None)."""
        ...


class DiskBlobStore:
    """Blobs under ``root/ab/cd/<sha256>``; written to a temp file then renamed (atomic)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, sha256: str) -> Path:
        if not _SHA.match(sha256):
            raise ValueError("not a sha256")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        digest = sha256_hex(data)
        path = self._path(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def put_stream(self, source: BinaryIO, filename: str) -> StoredBlob:
        incoming = self.root / ".incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=incoming, prefix=".upload-")
        digest = hashlib.sha256()
        size = 0
        head = b""
        try:
            with os.fdopen(fd, "wb") as handle:
                while chunk := source.read(CHUNK):
                    if not head:
                        head = chunk[:16]
                    size += len(chunk)
                    if size > MAX_ATTACHMENT_BYTES:
                        break
                    digest.update(chunk)
                    handle.write(chunk)
                problem = head_problem(head, size, filename)
                if problem is not None:
                    raise ProblemError(413 if size > MAX_ATTACHMENT_BYTES else 415, problem)
                handle.flush()
                os.fsync(handle.fileno())
            sha = digest.hexdigest()
            path = self._path(sha)
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return StoredBlob(sha, size, str(sniff(head)))

    def exists(self, sha256: str) -> bool:
        return bool(_SHA.match(sha256)) and self._path(sha256).is_file()

    def size(self, sha256: str) -> int:
        return self._path(sha256).stat().st_size

    def discard(self, sha256: str, *, older_than_s: float = 60.0) -> bool:
        """Removes a content no authority references any more (RGPD erasure). A file written
        in the last minute is left: the same content may be arriving again right now."""
        import time

        path = self._path(sha256)
        try:
            if time.time() - path.stat().st_mtime < older_than_s:
                return False
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def read(self, sha256: str, start: int = 0, end: int | None = None) -> bytes:
        with self._path(sha256).open("rb") as handle:
            handle.seek(start)
            if end is None:
                return handle.read()
            return handle.read(end - start + 1)


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Parses a single ``bytes=`` range; None means the whole file, ProblemError(416) if bad."""
    if not header:
        return None
    # At most 18 digits: a longer position is past any file (and Python refuses to convert
    # numbers of thousands of digits).
    match = re.fullmatch(r"\s*bytes=(\d{0,18})-(\d{0,18})\s*", header)
    if not match or (not match.group(1) and not match.group(2)):
        raise ProblemError(
            416, "Plage d'octets invalide.", headers={"Content-Range": f"bytes */{size}"}
        )
    first, last = match.group(1), match.group(2)
    if first:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    else:
        start = max(size - int(last), 0)
        end = size - 1
    if start >= size or start > end:
        raise ProblemError(
            416, "Plage d'octets hors du fichier.", headers={"Content-Range": f"bytes */{size}"}
        )
    return start, end
