"""Property-based tests of the whole API from its OpenAPI: no 5xx, and every response (status,
content type, headers, body) matches the published schema. Bounded to stay within a minute."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from server.app import create_app
from server.auth.passwords import Passwords
from server.seed import SeedAgent, SeedAuthority, seed
from sync.protocol.vocabulary import Role
from tests.server.conftest import PASSWORD, login, make_settings

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
_TMP = Path(tempfile.mkdtemp(prefix="bannette-schemathesis-"))
# Built at import because schemathesis parametrises at collection time (one test per operation).
APP = create_app(make_settings(_TMP, f"sqlite:///{_TMP / 'st.sqlite3'}",
                               login_max_failures=10_000, submission_max_per_window=10_000))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
atexit.register(shutil.rmtree, _TMP, True)  # also when the test is deselected


@pytest.fixture(scope="module")
def token() -> Iterator[str]:
    seed(APP.state.db, Passwords(1, 1024, 1),
         authorities=[SeedAuthority("Commune fuzz", "99001", "10")],
         agents=[SeedAgent("fuzz", "Agent fuzz", Role.ADMIN, PASSWORD, ["99001"])])
    with TestClient(APP) as client:
        yield login(client, "fuzz")
    APP.state.db.dispose()


@pytest.mark.slow
@schema.exclude(path_regex=r"/auth/(logout|password)$").parametrize()
@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: schemathesis.Case, token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
