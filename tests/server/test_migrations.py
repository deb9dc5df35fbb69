"""Migrations and the command line: the schema Alembic builds is the one the models describe."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI

from server.config import normalise_database_url
from server.db.models import Base

ROOT = Path(__file__).resolve().parents[2]


def test_no_drift_between_models_and_migrations(app: FastAPI) -> None:
    with app.state.db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_cli_migrate_and_idempotent_init(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    for args in (["migrate"], ["init"], ["seed"]):
        done = subprocess.run([sys.executable, "-m", "server", *args, "--database-url", url,
                               "--data-dir", str(tmp_path)], cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    assert "secretaire" in done.stdout
    bad = subprocess.run([sys.executable, "-m", "server", "bogus"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0


def test_postgres_url_uses_psycopg3() -> None:
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x") == "sqlite:///x"
