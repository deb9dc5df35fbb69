"""Attaching a file on this PC, online or not.

The file is checked (5 MB, PDF/JPG/PNG by content) and copied into the content-addressed cache
first; then, in one transaction, the local attachment row, the upload to do and the
``attachment.link`` mutation are written. The sync uploads the bytes before it pushes the
mutation, so the server never hears of a file it does not have.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from pathlib import Path

from desktop.store.database import StoreError, transaction
from desktop.store.ids import iso, new_id
from desktop.store.outbox import enqueue, server_may_know
from desktop.store.sync_store import blob_path
from sync.protocol.files import attachment_problem, sha256_hex, sniff
from sync.protocol.wire import MutationName


def add_attachment(
    conn: sqlite3.Connection, request_pk: int, source: Path, filename: str | None = None
) -> str:
    """Attaches ``source`` to the request; returns the new attachment's id."""
    name = filename or source.name
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise StoreError(f"Impossible de lire le fichier « {name} » : {exc}") from exc
    problem = attachment_problem(data, name)
    if problem:
        raise StoreError(problem)
    digest = sha256_hex(data)
    target = blob_path(conn, digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".tmp")
        partial.write_bytes(data)
        os.replace(partial, target)
    attachment_id = new_id()
    with transaction(conn):
        row = conn.execute(
            "SELECT r.id, a.id, r.version FROM request r "
            "JOIN authority a ON a.pk = r.authority_pk WHERE r.pk = ? AND r.deleted = 0",
            (request_pk,),
        ).fetchone()
        if row is None:
            raise StoreError("Cette demande n'existe plus dans la base locale.")
        request_id, authority_id, version = row
        conn.execute(
            "INSERT INTO attachment (id, request_pk, filename, media_type, size, sha256) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (attachment_id, request_pk, name, sniff(data), len(data), digest),
        )
        if not server_may_know(conn, request_id, version):
            return attachment_id
        conn.execute(
            "INSERT OR IGNORE INTO sync_upload (sha256, authority_id, filename, created_at) "
            "VALUES (?, ?, ?, ?)",
            (digest, authority_id, name, iso(datetime.now())),
        )
        enqueue(
            conn, MutationName.ATTACHMENT_LINK,
            {"id": attachment_id, "authority_id": authority_id, "request_id": request_id,
             "sha256": digest, "filename": name},
            0,
        )
    return attachment_id
