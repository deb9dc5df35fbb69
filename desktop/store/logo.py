"""The commune's logo in the local store: checked when chosen, kept in the content-addressed
file cache like an attachment's file, read back for the letterhead. Knows nothing of Qt.

The authority row holds only its SHA-256 (``logo_sha256``); the file travels as a blob
(uploaded before ``authority.update``, fetched by the sync on the other PCs).
"""

from __future__ import annotations

import sqlite3

from desktop.store.attachments import keep_blob
from desktop.store.database import StoreError
from desktop.store.sync_store import blob_path
from sync.protocol.files import logo_problem

#: The name the logo's file is uploaded under (the server checks it matches the content).
LOGO_UPLOAD_NAME = {"image/png": "logo.png", "image/jpeg": "logo.jpg"}


def keep_logo(conn: sqlite3.Connection, data: bytes, filename: str) -> str:
    """Checks an image chosen as the commune's logo and puts it in the local file cache;
    returns its SHA-256 for ``CommuneSettings.logo_sha256``. ``StoreError`` (French) when it
    is not a PNG or JPEG by its content or is too large: nothing is kept then."""
    problem = logo_problem(data, filename)
    if problem:
        raise StoreError(problem)
    return keep_blob(conn, data)


def logo_bytes(conn: sqlite3.Connection, sha256: str) -> bytes | None:
    """The logo's image from the cache; None without a logo or while it is not fetched yet
    (a letter then goes without it rather than waiting)."""
    if not sha256:
        return None
    try:
        return blob_path(conn, sha256).read_bytes()
    except OSError:
        return None


