"""The HTTP client's rules, on a scripted transport (no network)."""

from __future__ import annotations

import ast
import json
import random
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from sync import errors
from sync.client import ApiClient, RetryPolicy

AGENT = {"id": str(uuid4()), "version": 1, "login": "secretaire", "display_name": "Claire",
         "role": "clerk", "active": True, "authority_ids": []}


def pair(n: int) -> dict[str, object]:
    return {"access_token": f"a{n}", "refresh_token": f"r{n}", "expires_in": 900,
            "refresh_expires_in": 3600, "agent": AGENT}


META = {"protocol": 1, "epoch": "e", "max_version": 3, "counts": {},
        "server_time": "2026-11-23T10:00:00Z"}


def client_for(handler, sleeps: list[float] | None = None) -> ApiClient:  # type: ignore[no-untyped-def]
    return ApiClient(
        "http://127.0.0.1:1", transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=4, base_delay=0.1, max_delay=1.0),
        sleep=(sleeps.append if sleeps is not None else (lambda _s: None)),
        rng=random.Random(1),
    )


def test_retry_after_is_honoured_then_success() -> None:
    calls: list[int] = []
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) < 3:
            return httpx.Response(429, headers={"Retry-After": "2"}, json={"detail": "Patientez."})
        return httpx.Response(200, json=META)

    assert client_for(handler, sleeps).meta().epoch == "e"
    assert sleeps == [2.0, 2.0]


def test_backoff_grows_with_jitter_on_5xx() -> None:
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"detail": "Maintenance."})

    with pytest.raises(errors.ServerError, match="code 503.*Maintenance"):
        client_for(handler, sleeps).meta()
    assert len(sleeps) == 3
    assert all(0 <= s <= 0.1 * 2**i for i, s in enumerate(sleeps, start=1))


def test_expired_access_token_is_refreshed_once() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth/refresh"):
            assert json.loads(request.content)["refresh_token"] == "r1"
            return httpx.Response(200, json=pair(2))
        if request.url.path.endswith("/auth/login"):
            return httpx.Response(200, json=pair(1))
        seen.append(request.headers["Authorization"])
        if request.headers["Authorization"] == "Bearer a1":
            return httpx.Response(401, json={"detail": "Jeton expiré."})
        return httpx.Response(200, json=META)

    client = client_for(handler)
    client.login("secretaire", "x")
    assert client.meta().epoch == "e"
    assert seen == ["Bearer a1", "Bearer a2"]


def test_revoked_session_asks_to_log_in_again() -> None:
    kept: list[object] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth/login"):
            return httpx.Response(200, json=pair(1))
        return httpx.Response(401, json={"detail": "Session expirée."})

    client = ApiClient("http://127.0.0.1:1", transport=httpx.MockTransport(handler),
                       on_tokens=kept.append)
    client.login("secretaire", "x")
    with pytest.raises(errors.SessionExpiredError, match="reconnectez-vous"):
        client.meta()
    assert client.tokens is None and kept[-1] is None


def test_forbidden_is_access_denied() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"detail": "Ce poste est enregistré pour un autre agent."})

    with pytest.raises(errors.AccessDeniedError, match="Accès refusé : Ce poste"):
        client_for(handler).meta()


def test_tls_verification_is_on() -> None:
    client = ApiClient("https://127.0.0.1:1")
    transport = client._http._transport  # noqa: SLF001 - the point is the real transport
    pool = transport._pool  # type: ignore[attr-defined]  # noqa: SLF001
    assert pool._ssl_context.verify_mode.name == "CERT_REQUIRED"  # noqa: SLF001
    client.close()


def test_sync_package_imports_nothing_of_desktop_or_qt() -> None:
    root = Path(__file__).resolve().parents[2] / "sync"
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(("desktop", "PySide6", "server")), (path, name)


def test_wrong_password_says_so() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"detail": "Identifiant ou mot de passe incorrect."})

    with pytest.raises(errors.SessionExpiredError) as caught:
        client_for(handler).login("secretaire", "faux")
    assert caught.value.message == "Identifiant ou mot de passe incorrect."
