"""The real server process (``python -m server``) on a free loopback port, hit over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server.pg_cluster import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("server-data")
    env = {**os.environ, "BANNETTE_DATA_DIR": str(data), "PYTHONPATH": str(ROOT)}
    init = subprocess.run([sys.executable, "-m", "server", "init", "--demo", "--keep-passwords"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stderr
    port = free_port()
    env["BANNETTE_SERVER_PORT"] = str(port)
    process = subprocess.Popen([sys.executable, "-m", "server", "--host", "127.0.0.1",
                                "--log-level", "warning"], env=env, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read() if process.stdout else ""
                pytest.fail(f"le serveur n'a pas démarré : {output}")
            time.sleep(0.2)
        assert (data / "server.sqlite3").exists()
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_real_server_round_trip(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as http:
        assert http.get("/openapi.json").json()["info"]["title"].startswith("bannette")
        tokens = http.post("/api/v1/auth/login",
                           json={"login": "secretaire", "password": "Secretaire-2026!"}).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        authorities = http.get("/api/v1/authorities", headers=headers).json()
        assert len(authorities) == 2
        inbox = http.get("/api/v1/requests", headers=headers).json()
        assert inbox["total"] == 80
        client_id = str(uuid.uuid4())
        request_id = str(uuid.uuid4())
        push = http.post("/api/v1/sync/push", headers=headers, json={
            "client_id": client_id, "mutations": [{
                "client_id": client_id, "mutation_id": 1, "base_version": 0,
                "name": "request.create", "args": {
                    "id": request_id, "authority_id": authorities[0]["id"],
                    "channel": "counter", "subject": "Demande au guichet"}}]})
        assert push.json()["results"][0]["result"] == "applied"
        pulled = http.post("/api/v1/sync/pull", headers=headers,
                           json={"cursor": push.json()["version"] - 5}).json()
        assert request_id in {r["id"] for r in pulled["requests"]}
        receipt = http.post(
            f"/api/v1/public/authorities/{authorities[0]['id']}/submissions",
            data={"payload": '{"subject": "Test", "citizen": {"kind": "person", '
                  '"last_name": "Roux", "first_name": "Léa", "email": "lea@example.fr", '
                  '"postal_address": "1 rue Basse"}}'},
        )
        assert receipt.status_code == 201, receipt.text
        assert receipt.json()["number"].count("-") == 1
