"""Fixtures: the app on SQLite and on a real PostgreSQL, and a two-authority world per test.

Every API test takes ``client`` and so runs on both backends. Each test builds its own
authorities (unique INSEE codes), so tests share one database per backend without seeing each
other's data — which is exactly the tenancy the server promises.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from server.app import create_app
from server.auth.passwords import Passwords
from server.config import Settings
from server.db.database import Database
from server.seed import SeedAgent, SeedAuthority, seed
from sync.protocol.vocabulary import Role
from tests.server.pg_cluster import ClusterUnavailable, create_database, throwaway_cluster

PASSWORD = "Motdepasse-1!"
FAST_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_cost_kib": 1024, "argon2_parallelism": 1}
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
_codes = itertools.count(10000 + (os.getpid() * 37) % 50000)


@pytest.fixture(scope="session")
def postgres_server_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """An existing server (BANNETTE_TEST_POSTGRES_URL) or a throwaway cluster."""
    existing = os.environ.get("BANNETTE_TEST_POSTGRES_URL")
    if existing:
        yield existing
        return
    try:
        with throwaway_cluster() as url:
            yield url
    except ClusterUnavailable as exc:
        message = f"*** POSTGRESQL INDISPONIBLE : tests PostgreSQL ignorés — {exc} ***"
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("")
            reporter.write_line(message, red=True, bold=True)
        pytest.skip(message)


def make_settings(tmp: Path, database_url: str, **overrides: Any) -> Settings:
    # Tests drive the parapheur and mailbox pollers themselves (run_once with their own clock).
    values: dict[str, Any] = dict(FAST_ARGON2, parapheur_poller=False, mailbox_poller=False)
    values.update(overrides)
    return Settings(data_dir=tmp, database_url=database_url, **values)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.sqlite3'}"
    server_url = request.getfixturevalue("postgres_server_url")
    return create_database(server_url, f"bannette_test_{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    settings = make_settings(tmp_path_factory.mktemp("data"), database_url)
    application = create_app(settings)
    yield application
    application.state.db.dispose()


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@dataclass
class Tenant:
    authority_id: uuid.UUID
    tokens: dict[str, str] = field(default_factory=dict)
    agent_ids: dict[str, uuid.UUID] = field(default_factory=dict)

    def headers(self, who: str = "clerk") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@dataclass
class World:
    a: Tenant
    b: Tenant
    client: TestClient
    app: FastAPI

    @property
    def db(self) -> Database:
        db: Database = self.app.state.db
        return db


def login(client: TestClient, login_name: str, password: str = PASSWORD) -> str:
    response = client.post("/api/v1/auth/login", json={"login": login_name, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture
def world(client: TestClient, app: FastAPI) -> World:
    """Two authorities, A (clerk, official, admin) and B (clerk), logged in."""
    app.state.submission_limiter.reset("testclient")
    suffix = uuid.uuid4().hex[:8]
    code_a, code_b = f"{next(_codes) % 100000:05d}", f"{next(_codes) % 100000:05d}"
    agents = [
        SeedAgent(f"clerk-a-{suffix}", "Clerc A", Role.CLERK, PASSWORD, [code_a]),
        SeedAgent(f"official-a-{suffix}", "Élu A", Role.OFFICIAL, PASSWORD, [code_a]),
        SeedAgent(f"admin-a-{suffix}", "Admin A", Role.ADMIN, PASSWORD, [code_a]),
        SeedAgent(f"clerk-b-{suffix}", "Clerc B", Role.CLERK, PASSWORD, [code_b]),
    ]
    ids = seed(
        app.state.db,
        Passwords(1, 1024, 1),
        authorities=[
            SeedAuthority(f"Commune A {suffix}", code_a, "10"),
            SeedAuthority(f"Commune B {suffix}", code_b, "57"),
        ],
        agents=agents,
    )
    a, b = Tenant(ids[code_a]), Tenant(ids[code_b])
    for tenant, role, agent in (
        (a, "clerk", agents[0]), (a, "official", agents[1]), (a, "admin", agents[2]),
        (b, "clerk", agents[3]),
    ):
        tenant.tokens[role] = login(client, agent.login)
        tenant.agent_ids[role] = ids[agent.login]
    return World(a=a, b=b, client=client, app=app)
