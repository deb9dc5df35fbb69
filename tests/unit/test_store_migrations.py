"""Migrations: from every earlier version to the latest, atomically, never backwards.

The versions come from ``load_migrations()``, so a new ``0003_*.sql`` is covered without
touching this file. Data is written with the columns of version 1 (``tests.factories``); a
migration that changes those tables must keep such rows valid, which is the point.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from desktop.store import database
from desktop.store.database import (
    Migration,
    StoreError,
    connect,
    latest_version,
    load_migrations,
    schema_version,
)
from tests.factories import add_world, check_search_index, integrity_check, search

VERSIONS = list(range(0, len(load_migrations()) + 1))


def test_migrations_are_numbered_from_one_without_gaps() -> None:
    migrations = load_migrations()
    assert migrations, "no migration found: package data missing?"
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert latest_version() == migrations[-1].version
    for m in migrations:
        assert m.name.startswith(f"{m.version:04d}_") and m.name.endswith(".sql")
        assert m.sql.strip()


@pytest.mark.parametrize("version", VERSIONS)
def test_connect_stops_at_the_target_version(tmp_path: Path, version: int) -> None:
    conn = connect(tmp_path / "db.sqlite3", target=version)
    assert schema_version(conn) == version
    conn.close()


@pytest.mark.parametrize("version", VERSIONS)
def test_migrate_from_every_version(tmp_path: Path, version: int) -> None:
    path = tmp_path / "old.sqlite3"
    old = connect(path, target=version)
    world = add_world(old) if version >= 1 else None
    old.close()

    conn = connect(path)
    assert schema_version(conn) == latest_version()
    integrity_check(conn)
    check_search_index(conn)
    if world is None:  # nothing existed yet: data written after the migrations
        world = add_world(conn)
        check_search_index(conn)
    # The request written at the old version is found, accents and case folded.
    assert search(conn, "noel") == {world["request"]}
    assert search(conn, "ÉCOLE jules") == {world["request"]}
    assert search(conn, "eloise") == {world["request"]}  # its citizen
    assert search(conn, "justificatif") == {world["request"]}  # its attachment
    assert search(conn, "2026-000123") == {world["request"]}
    counts = {
        table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        for table in (
            "authority",
            "agent",
            "procedure",
            "citizen",
            "request",
            "attachment",
            "event",
        )
    }
    assert counts == dict.fromkeys(counts, 1)
    conn.close()


def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    conn = connect(path)
    add_world(conn)
    schema = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    conn.close()
    conn = connect(path)
    assert conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall() == (
        schema
    )
    assert database.apply_migrations(conn) == latest_version()
    conn.close()


def test_a_fresh_database_has_the_same_schema_as_a_migrated_one(tmp_path: Path) -> None:
    """Step by step or all at once, the result is the same schema."""
    stepwise = tmp_path / "stepwise.sqlite3"
    for version in VERSIONS:
        connect(stepwise, target=version).close()
    fresh = connect(tmp_path / "fresh.sqlite3")
    by_steps = connect(stepwise)
    query = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
    assert by_steps.execute(query).fetchall() == fresh.execute(query).fetchall()


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    conn = connect(path)
    conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    conn.close()
    with pytest.raises(StoreError) as caught:
        connect(path)
    message = str(caught.value)
    assert "plus récente" in message and "Mettez le logiciel à jour" in message
    # Nothing was changed by the refusal.
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == latest_version() + 1
    raw.close()


def _with_extra(monkeypatch: pytest.MonkeyPatch, sql: str) -> int:
    """Make the software know one more migration; returns its version."""
    real = load_migrations()
    version = len(real) + 1
    extra = Migration(version, f"{version:04d}_extra.sql", sql)
    monkeypatch.setattr(database, "load_migrations", lambda: [*real, extra])
    return version


@pytest.mark.parametrize("start", [0, latest_version()])
def test_a_failing_migration_leaves_the_previous_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, start: int
) -> None:
    path = tmp_path / "db.sqlite3"
    conn = connect(path, target=start)
    if start:
        add_world(conn)
    conn.close()
    _with_extra(
        monkeypatch,
        """
        CREATE TABLE half_done (a INTEGER);
        INSERT INTO half_done VALUES (1);
        UPDATE request SET subject = 'changed by a broken migration';
        ALTER TABLE request ADD COLUMN half INTEGER;
        INSERT INTO no_such_table VALUES (1);
        """,
    )
    with pytest.raises(StoreError, match="no_such_table"):
        connect(path)
    monkeypatch.undo()

    conn = connect(path)  # the real software still opens it
    assert schema_version(conn) == latest_version()  # earlier migrations were kept
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "half_done" not in tables
    columns = {r[1] for r in conn.execute("PRAGMA table_info(request)")}
    assert "half" not in columns
    assert "changed by a broken migration" not in {
        r[0] for r in conn.execute("SELECT subject FROM request")
    }
    integrity_check(conn)
    check_search_index(conn)
    conn.close()


def test_a_migration_applies_every_statement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Comments, triggers and a last statement without ';' are all run."""
    version = _with_extra(
        monkeypatch,
        """-- a comment; with a semicolon
        CREATE TABLE extra_a (a TEXT DEFAULT 'x;y');  -- trailing comment
        CREATE TRIGGER extra_t AFTER INSERT ON extra_a BEGIN
            INSERT INTO extra_b VALUES (new.a);
        END;
        CREATE TABLE extra_b (b TEXT);
        -- the last statement has no semicolon
        CREATE TABLE extra_c (c TEXT)""",
    )
    conn = connect(tmp_path / "db.sqlite3")
    assert schema_version(conn) == version
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert {"extra_a", "extra_b", "extra_c", "extra_t"} <= tables
    conn.execute("INSERT INTO extra_a DEFAULT VALUES")
    assert [tuple(r) for r in conn.execute("SELECT b FROM extra_b")] == [("x;y",)]


def test_migrations_out_of_sequence_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class Entry:
        def __init__(self, name: str) -> None:
            self.name = name

        def read_text(self, encoding: str) -> str:
            return "SELECT 1;"

    class Folder:
        def __truediv__(self, other: str) -> Folder:
            return self

        def iterdir(self) -> list[Entry]:
            return [Entry("0001_core.sql"), Entry("0003_gap.sql"), Entry("README.txt")]

    monkeypatch.setattr(database.resources, "files", lambda package: Folder())
    with pytest.raises(StoreError, match="ne se suivent pas"):
        load_migrations()


# --------------------------------------------------------------------------- connections


@pytest.mark.parametrize("migrate", [True, False])
def test_every_connection_has_wal_and_foreign_keys(tmp_path: Path, migrate: bool) -> None:
    path = tmp_path / "db.sqlite3"
    connect(path).close()
    for _ in range(2):  # the first and any later connection to the same file
        conn = connect(path, migrate=migrate)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0
        conn.close()


def test_foreign_keys_are_enforced(empty_db: sqlite3.Connection) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        empty_db.execute(
            "INSERT INTO citizen (id, authority_pk, kind, display_name, sort_key) "
            "VALUES ('x', 999, 'person', 'X', 'x')"
        )


def test_connect_creates_the_folder(tmp_path: Path) -> None:
    conn = connect(tmp_path / "a" / "b" / "db.sqlite3")
    assert schema_version(conn) == latest_version()
    conn.close()


def test_default_path_can_be_overridden(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(database.DATABASE_ENV, str(tmp_path / "elsewhere.sqlite3"))
    assert database.default_database_path() == tmp_path / "elsewhere.sqlite3"
    monkeypatch.delenv(database.DATABASE_ENV)
    assert database.default_database_path().name == "bannette.sqlite3"


def test_transaction_commits_or_rolls_back(empty_db: sqlite3.Connection) -> None:
    with database.transaction(empty_db):
        empty_db.execute("INSERT INTO setting VALUES ('a', '1')")
    with pytest.raises(RuntimeError), database.transaction(empty_db):
        empty_db.execute("INSERT INTO setting VALUES ('b', '2')")
        raise RuntimeError("boom")
    assert [tuple(r) for r in empty_db.execute("SELECT key FROM setting")] == [("a",)]
    assert not empty_db.in_transaction
