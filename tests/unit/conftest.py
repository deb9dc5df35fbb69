"""Fixtures of the store's unit tests: the two worlds of ``test_store_intake`` (a database that
never met a server, and one whose commune came from a pull), shared by the intake and the
citizen's file tests."""

from __future__ import annotations

import sqlite3

import pytest

from tests.unit.test_store_intake import Local, Shared


@pytest.fixture
def local(empty_db: sqlite3.Connection) -> Local:
    return Local(empty_db)


@pytest.fixture
def shared(empty_db: sqlite3.Connection) -> Shared:
    return Shared(empty_db)
