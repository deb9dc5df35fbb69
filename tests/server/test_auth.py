"""Authentication: login, policy, refresh rotation, revocation, expiry, rate limiting."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from server.auth.passwords import policy_problems
from server.db.models import Token
from server.db.types import utcnow
from tests.server.conftest import PASSWORD, World


def test_password_policy() -> None:
    assert policy_problems("Abcdef1!") == []
    assert "un caractère spécial" in policy_problems("Abcdefg1")
    assert "une majuscule" in policy_problems("abcdef1!")
    assert "une minuscule" in policy_problems("ABCDEF1!")
    assert "un chiffre" in policy_problems("Abcdefg!")
    assert "au moins 8 caractères" in policy_problems("Ab1!")


def test_login_me_logout(world: World) -> None:
    client = world.client
    me = client.get("/api/v1/auth/me", headers=world.a.headers())
    assert me.status_code == 200
    assert me.json()["authority_ids"] == [str(world.a.authority_id)]
    assert "password_hash" not in me.text
    out = client.post("/api/v1/auth/logout", headers=world.a.headers())
    assert out.status_code == 200
    again = client.get("/api/v1/auth/me", headers=world.a.headers())
    assert again.status_code == 401
    assert again.headers["content-type"].startswith("application/problem+json")
    assert "reconnectez" in again.json()["detail"]


def test_wrong_password_and_unknown_login(world: World) -> None:
    me = world.client.get("/api/v1/auth/me", headers=world.a.headers()).json()
    bad = world.client.post("/api/v1/auth/login", json={"login": me["login"], "password": "x"})
    assert bad.status_code == 401
    assert bad.json()["detail"] == "Identifiant ou mot de passe incorrect."
    unknown = world.client.post("/api/v1/auth/login", json={"login": "nobody", "password": "x"})
    assert unknown.status_code == 401


def test_login_rate_limited(world: World) -> None:
    me = world.client.get("/api/v1/auth/me", headers=world.a.headers("admin")).json()
    for _ in range(5):
        world.client.post("/api/v1/auth/login", json={"login": me["login"], "password": "no"})
    limited = world.client.post(
        "/api/v1/auth/login", json={"login": me["login"], "password": PASSWORD}
    )
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0


def test_refresh_rotation_and_reuse_detection(world: World) -> None:
    client = world.client
    me = client.get("/api/v1/auth/me", headers=world.a.headers()).json()
    pair = client.post("/api/v1/auth/login", json={"login": me["login"], "password": PASSWORD})
    refresh_token = pair.json()["refresh_token"]
    rotated = client.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})
    assert rotated.status_code == 200
    new_access = rotated.json()["access_token"]
    assert client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {new_access}"}
    ).status_code == 200
    # The old access token of the family is revoked by the rotation.
    old_access = pair.json()["access_token"]
    assert client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {old_access}"}
    ).status_code == 401
    # Reusing the old refresh token kills the whole family, the new pair too.
    reuse = client.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})
    assert reuse.status_code == 401
    assert client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {new_access}"}
    ).status_code == 401


def test_expired_token(world: World) -> None:
    with world.db.write() as session:
        session.execute(update(Token).values(expires_at=utcnow() - timedelta(seconds=1)).where(
            Token.agent_id == world.a.agent_ids["official"]))
    response = world.client.get("/api/v1/auth/me", headers=world.a.headers("official"))
    assert response.status_code == 401


def test_garbage_tokens(world: World) -> None:
    for header in ("Bearer nope", "Bearer " + "x" * 5000, "Basic abc", ""):
        response = world.client.get("/api/v1/requests", headers={"Authorization": header})
        assert response.status_code == 401, header


def test_password_change_enforces_policy_and_revokes(world: World) -> None:
    client = world.client
    weak = client.post("/api/v1/auth/password", headers=world.a.headers("admin"),
                       json={"current_password": PASSWORD, "new_password": "faible"})
    assert weak.status_code == 422
    assert "majuscule" in weak.json()["detail"]
    ok = client.post("/api/v1/auth/password", headers=world.a.headers("admin"),
                     json={"current_password": PASSWORD, "new_password": "Nouveau-Mdp-9"})
    assert ok.status_code == 200
    assert client.get("/api/v1/auth/me", headers=world.a.headers("admin")).status_code == 401


def test_admin_manages_agents(world: World) -> None:
    client = world.client
    body = {"login": f"nouvelle-{world.a.authority_id.hex[:8]}", "display_name": "Nouvelle",
            "role": "clerk", "password": "faible", "authority_ids": [str(world.a.authority_id)]}
    weak = client.post("/api/v1/agents", json=body, headers=world.a.headers("admin"))
    assert weak.status_code == 422
    body["password"] = "Robuste-2026!"
    assert client.post("/api/v1/agents", json=body,
                       headers=world.a.headers()).status_code == 403  # a clerk
    created = client.post("/api/v1/agents", json=body, headers=world.a.headers("admin"))
    assert created.status_code == 201
    token = client.post("/api/v1/auth/login",
                        json={"login": body["login"], "password": body["password"]}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    off = client.patch(f"/api/v1/agents/{created.json()['id']}", json={"active": False},
                       headers=world.a.headers("admin"))
    assert off.json()["active"] is False
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
