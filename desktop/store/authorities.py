"""Local settings of an authority on this PC (not synced): its templates folder.

The templates folder is a path of this computer, meaningless on another PC, so it lives in a
local column of ``authority`` that the sync's upsert never touches (migration templates_folder).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .database import StoreError, transaction


def templates_folder(conn: sqlite3.Connection, authority_pk: int) -> Path | None:
    """The commune's own templates folder, or None when it has none (shipped templates only)."""
    row = conn.execute(
        "SELECT templates_folder FROM authority WHERE pk = ?", (authority_pk,)
    ).fetchone()
    if row is None:
        raise StoreError("Cette collectivité n'existe pas (ou plus) dans la base locale.")
    return Path(row[0]) if row[0] else None


def set_templates_folder(conn: sqlite3.Connection, authority_pk: int, folder: Path | None) -> None:
    """Set (or with None, clear) the commune's templates folder."""
    value = str(Path(folder)) if folder is not None else ""
    with transaction(conn):
        changed = conn.execute(
            "UPDATE authority SET templates_folder = ? WHERE pk = ?", (value, authority_pk)
        ).rowcount
    if not changed:
        raise StoreError("Cette collectivité n'existe pas (ou plus) dans la base locale.")
