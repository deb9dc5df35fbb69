"""Shared fixtures. Qt-free ones live here; the GUI ones are added by tests/gui/conftest.py."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil  # noqa: E402
import sqlite3  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from desktop.demo.generator import generate  # noqa: E402
from desktop.store.database import connect  # noqa: E402

#: The reference day of the demo data: every date-dependent assertion uses it, never the clock.
TODAY = date(2026, 11, 23)
DEMO_REQUESTS = 500
DEMO_SEED = 2026


@pytest.fixture
def empty_db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """A fresh database migrated to the latest version."""
    conn = connect(tmp_path / "empty.sqlite3")
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def demo_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 500-request demo database, generated once per session into a single file."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    conn = connect(path)
    generate(conn, requests=DEMO_REQUESTS, seed=DEMO_SEED, today=TODAY)
    # Fold the WAL into the main file so copying that one file copies everything.
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


@pytest.fixture
def demo_db_path(demo_db_template: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database file, free for the test to change."""
    path = tmp_path / "demo.sqlite3"
    shutil.copyfile(demo_db_template, path)
    return path


@pytest.fixture
def demo_db(demo_db_path: Path) -> Iterator[sqlite3.Connection]:
    """A connection to a private copy of the demo database."""
    conn = connect(demo_db_path)
    yield conn
    conn.close()


def migration_version(stem: str) -> int:
    """The number of the local-store migration named ``NNNN_<stem>.sql``.

    Tests that build a store just before a migration ask for it by name, so that renumbering
    migrations when branches meet does not silently point them at another one."""
    from desktop.store.database import load_migrations

    (version,) = [m.version for m in load_migrations() if m.name == f"{m.version:04d}_{stem}.sql"]
    return version
