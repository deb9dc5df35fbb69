"""Opening the local database and bringing its schema up to date.

One SQLite file per installation, in WAL mode so the sync worker (its own connection, its own
thread) can write while the window reads. Migrations are numbered SQL files applied forward
only; the applied version is SQLite's ``user_version``.
"""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import platformdirs

from desktop.domain.legal_time import parse_stored, stored
from desktop.domain.phone import phone_key
from desktop.domain.text import fold, identity_key

APP_NAME = "bannette"
DATABASE_ENV = "BANNETTE_DATABASE"
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class StoreError(Exception):
    """A problem with the local database a person can act on (message in French)."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def default_database_path() -> Path:
    """Where the database lives unless told otherwise: the user's data folder."""
    override = os.environ.get(DATABASE_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "bannette.sqlite3"


def database_file(conn: sqlite3.Connection) -> Path | None:
    """The file behind ``conn``; None for a database in memory."""
    row = conn.execute("PRAGMA database_list").fetchone()
    return Path(row[2]) if row and row[2] else None


def load_migrations() -> list[Migration]:
    folder = resources.files("desktop.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    expected = list(range(1, len(found) + 1))
    if [m.version for m in found] != expected:
        raise StoreError(
            "Les migrations de la base locale ne se suivent pas : installation abîmée."
        )
    return found


def latest_version() -> int:
    return len(load_migrations())


def connect(
    path: Path | str, *, migrate: bool = True, target: int | None = None
) -> sqlite3.Connection:
    """Open (creating if needed) the database with the pragmas every connection must have.

    ``target`` stops migrations at a given version; tests use it to build old databases.
    """
    if str(path) != ":memory:":
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(unusable_folder_message(Path(path), exc)) from exc
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=True, timeout=10.0)
    except sqlite3.Error as exc:
        raise StoreError(f"Impossible d'ouvrir la base locale « {path} » : {exc}") from exc
    try:
        _set_pragmas(conn)
    except sqlite3.Error as exc:
        conn.close()
        raise StoreError(unusable_folder_message(Path(str(path)), exc)) from exc
    if migrate:
        try:
            apply_migrations(conn, target=target)
        except sqlite3.Error as exc:  # reading the version, ANALYZE: a full disk, an I/O error
            conn.close()
            raise StoreError(unusable_folder_message(Path(str(path)), exc)) from exc
        except BaseException:
            conn.close()  # on Windows an open handle would keep the file locked
            raise
    return conn


def unusable_folder_message(path: Path, exc: Exception) -> str:
    """A read-only folder, a full disk: what the secrétaire (or her IT support) can fix."""
    reason = getattr(exc, "strerror", None) or str(exc)
    return (
        f"Impossible d'ouvrir la base locale « {path} » ({reason}). Vérifiez que le dossier "
        f"« {path.parent} » n'est pas en lecture seule et que le disque n'est pas plein, "
        "puis relancez Bannette."
    )


def _set_pragmas(conn: sqlite3.Connection) -> None:
    conn.row_factory = sqlite3.Row
    # The same folding as the search, for sorting texts the way a French reader expects.
    conn.create_function("fold", 1, fold, deterministic=True)
    # Migration 0007 rewrites the naive local times of older stores as UTC instants.
    conn.create_function("utc_instant", 1, _utc_instant, deterministic=True)
    # Migration citizen_file: duplicate keys kept by triggers.
    conn.create_function("phone_key", 1, phone_key, deterministic=True)
    conn.create_function("identity_key", 3, identity_key, deterministic=True)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    # NORMAL is durable across application crashes in WAL mode; only a power cut can lose the
    # last transactions, never corrupt the file.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA cache_size = -32000")
    conn.execute("PRAGMA temp_store = MEMORY")


def _utc_instant(value: str | None) -> str | None:
    return stored(parse_stored(value)) if value else value


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def apply_migrations(conn: sqlite3.Connection, target: int | None = None) -> int:
    """Apply the missing migrations, each in its own transaction. Returns the final version."""
    migrations = load_migrations()
    newest = migrations[-1].version if migrations else 0
    target = newest if target is None else target
    current = schema_version(conn)
    if current > newest:
        raise StoreError(
            f"La base locale (version {current}) a été créée par une version plus récente du "
            f"logiciel (qui connaît la version {newest}). Mettez le logiciel à jour."
        )
    applied = False
    for migration in migrations:
        if current < migration.version <= target:
            try:
                with transaction(conn):
                    _execute_script(conn, migration.sql)
                    conn.execute(f"PRAGMA user_version = {migration.version}")
            except sqlite3.Error as exc:
                raise StoreError(
                    f"La mise à jour de la base locale a échoué (étape {migration.name}) : {exc}. "
                    "La base est restée dans son état précédent ; rien n'est perdu."
                ) from exc
            current = migration.version
            applied = True
    if applied:
        # New indexes without statistics mislead the query planner (a fresh index looks more
        # selective than it is): refresh them once per upgrade, well under a second at 100k.
        conn.execute("ANALYZE")
    return current


def _execute_script(conn: sqlite3.Connection, script: str) -> None:
    """Run a migration statement by statement inside the caller's transaction.

    ``executescript`` would COMMIT first, breaking the all-or-nothing promise of a migration.
    """
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            if statement.strip():
                conn.execute(statement)
            statement = ""
    # A last statement without its ';' still runs (it may follow comment lines, which used to
    # make it skipped silently); a tail of comments alone is a no-op for SQLite.
    if statement.strip():
        conn.execute(statement)


class transaction:  # noqa: N801 - used like a keyword: ``with transaction(conn):``
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception.

    IMMEDIATE takes the write lock up front so two writers fail fast instead of deadlocking
    halfway through.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self._conn.execute("BEGIN IMMEDIATE")
        return self._conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self._conn.execute("COMMIT")
        else:
            self._conn.execute("ROLLBACK")
