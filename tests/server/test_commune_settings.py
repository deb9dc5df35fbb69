"""Server side of « Administration »: the commune's settings and procedures catalogue as
mutations (admins only, merged field by field), and the password that must be changed."""

from __future__ import annotations

import uuid
from typing import Any

from tests.server.conftest import PASSWORD, World
from tests.server.helpers import mutation


def _push(world: World, who: str, *mutations: dict[str, Any]) -> list[dict[str, Any]]:
    client_id = mutations[0]["client_id"]
    response = world.client.post("/api/v1/sync/push", headers=world.a.headers(who),
                                 json={"client_id": client_id, "mutations": list(mutations)})
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


def _authority(world: World) -> dict[str, Any]:
    response = world.client.get(f"/api/v1/authorities/{world.a.authority_id}",
                                headers=world.a.headers("admin"))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_admin_updates_settings_and_a_clerk_is_refused(world: World) -> None:
    before = _authority(world)
    args = {"authority_id": str(world.a.authority_id), "fields": {
        "mayor_name": "Mme Hélène Schmitt", "administrative_court": "tribunal administratif de "
        "Châlons-en-Champagne", "internal_target_days": 5, "service_email": "mairie@a.fr",
        "deputies": [{"name": "Paul Weber", "title": "1er adjoint", "delegations": ["*"]}]}}
    refused = _push(world, "clerk", mutation(str(uuid.uuid4()), 1, "authority.update", args,
                                              before["version"]))
    assert refused[0]["result"] == "rejected"
    assert "administrateur" in refused[0]["reason"]
    applied = _push(world, "admin", mutation(str(uuid.uuid4()), 1, "authority.update", args,
                                              before["version"]))
    assert applied[0]["result"] == "applied", applied
    after = _authority(world)
    assert after["version"] > before["version"]
    assert after["letterhead"]["mayor_name"] == "Mme Hélène Schmitt"
    assert after["internal_target_days"] == 5
    assert after["deputies"][0]["title"] == "1er adjoint"
    assert after["service_email"] == "mairie@a.fr"


def test_two_pcs_edit_settings_same_field_conflicts_other_field_merges(world: World) -> None:
    base = _authority(world)
    aid = str(world.a.authority_id)
    first = _push(world, "admin", mutation(str(uuid.uuid4()), 1, "authority.update", {
        "authority_id": aid, "fields": {"mayor_name": "M. Premier"},
        "previous": {"mayor_name": ""}}, base["version"]))
    assert first[0]["result"] == "applied"
    second = _push(world, "admin", mutation(str(uuid.uuid4()), 1, "authority.update", {
        "authority_id": aid, "fields": {"mayor_name": "M. Second", "service_phone": "03 25 11"},
        "previous": {"mayor_name": "", "service_phone": None}}, base["version"]))
    assert second[0]["result"] == "conflict"
    assert second[0]["conflicting_fields"] == ["mayor_name"]
    assert second[0]["server_row"]["letterhead"]["mayor_name"] == "M. Premier"
    assert second[0]["server_row"]["service_phone"] == "03 25 11"


def test_bad_settings_are_refused_in_french(world: World) -> None:
    base = _authority(world)
    results = _push(world, "admin", mutation(str(uuid.uuid4()), 1, "authority.update", {
        "authority_id": str(world.a.authority_id),
        "fields": {"service_email": "a@b@c", "internal_target_days": 0}}, base["version"]))
    assert results[0]["result"] == "rejected"
    assert results[0]["reason"].startswith("Données de la modification invalides")
    assert _authority(world)["version"] == base["version"]


def _procedure(world: World, procedure_id: str) -> dict[str, Any]:
    response = world.client.get(f"/api/v1/procedures/{procedure_id}",
                                headers=world.a.headers("clerk"))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_procedure_created_edited_on_two_pcs_and_retired(world: World) -> None:
    pid, aid = str(uuid.uuid4()), str(world.a.authority_id)
    pc_a, pc_b = str(uuid.uuid4()), str(uuid.uuid4())
    created = _push(world, "admin", mutation(pc_a, 1, "procedure.upsert", {
        "id": pid, "authority_id": aid, "fields": {
            "code": "occupation-terrasse", "title": "Occupation d'une terrasse",
            "silence_rule": "reject", "period_value": 2, "period_unit": "months",
            "required_documents": ["Plan de la terrasse", "Attestation d'assurance"]}}))
    assert created[0]["result"] == "applied", created
    row = _procedure(world, pid)
    assert row["required_documents"] == ["Plan de la terrasse", "Attestation d'assurance"]
    base = row["version"]
    # PC A changes the period; PC B, from the same base, the period too and the title.
    a = _push(world, "admin", mutation(pc_a, 2, "procedure.upsert", {
        "id": pid, "authority_id": aid, "fields": {"period_value": 1},
        "previous": {"period_value": 2}}, base))
    assert a[0]["result"] == "applied"
    b = _push(world, "admin", mutation(pc_b, 1, "procedure.upsert", {
        "id": pid, "authority_id": aid,
        "fields": {"period_value": 3, "title": "Terrasse de café"},
        "previous": {"period_value": 2, "title": "Occupation d'une terrasse"}}, base))
    assert b[0]["result"] == "conflict"
    assert b[0]["conflicting_fields"] == ["period_value"]
    row = _procedure(world, pid)
    assert (row["period_value"], row["title"]) == (1, "Terrasse de café")
    retired = _push(world, "admin", mutation(pc_a, 3, "procedure.retire",
                                             {"procedure_id": pid}, row["version"]))
    assert retired[0]["result"] == "applied"
    assert _procedure(world, pid)["active"] is False
    clerk = _push(world, "clerk", mutation(str(uuid.uuid4()), 1, "procedure.retire",
                                           {"procedure_id": pid, "active": True}))
    assert clerk[0]["result"] == "rejected"


def test_duplicate_code_and_incomplete_creation_refused(world: World) -> None:
    aid = str(world.a.authority_id)
    pc = str(uuid.uuid4())
    first = _push(world, "admin", mutation(pc, 1, "procedure.upsert", {
        "id": str(uuid.uuid4()), "authority_id": aid,
        "fields": {"code": "fete-locale", "title": "Fête locale"}}))
    assert first[0]["result"] == "applied"
    again = _push(world, "admin", mutation(pc, 2, "procedure.upsert", {
        "id": str(uuid.uuid4()), "authority_id": aid,
        "fields": {"code": "fete-locale", "title": "Autre"}}))
    assert again[0]["result"] == "rejected" and "fete-locale" in again[0]["reason"]
    incomplete = _push(world, "admin", mutation(pc, 3, "procedure.upsert", {
        "id": str(uuid.uuid4()), "authority_id": aid, "fields": {"title": "Sans code"}}))
    assert incomplete[0]["result"] == "rejected" and "code" in incomplete[0]["reason"]


def test_must_change_password_is_enforced_until_changed(world: World) -> None:
    from server.db.models import Agent

    with world.db.write() as session:
        agent = session.get(Agent, world.a.agent_ids["clerk"])
        assert agent is not None
        agent.must_change_password = True
        login_name = agent.login
    answer = world.client.post("/api/v1/auth/login",
                               json={"login": login_name, "password": PASSWORD})
    assert answer.status_code == 200 and answer.json()["must_change_password"] is True
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    blocked = world.client.post("/api/v1/sync/pull", headers=headers, json={"cursor": 0})
    assert blocked.status_code == 403
    assert blocked.headers["content-type"].startswith("application/problem+json")
    assert "changer votre mot de passe" in blocked.json()["detail"]
    assert blocked.json()["type"] == "urn:bannette:must-change-password"
    assert world.client.get("/api/v1/auth/me", headers=headers).status_code == 200
    weak = world.client.post("/api/v1/auth/password", headers=headers,
                             json={"current_password": PASSWORD, "new_password": "Azerty123!"})
    assert weak.status_code == 422 and "plus utilisés" in weak.json()["detail"]
    changed = world.client.post("/api/v1/auth/password", headers=headers, json={
        "current_password": PASSWORD, "new_password": "Glycine-Lavoir-48?"})
    assert changed.status_code == 200, changed.text
    again = world.client.post("/api/v1/auth/login",
                              json={"login": login_name, "password": "Glycine-Lavoir-48?"})
    fresh = {"Authorization": f"Bearer {again.json()['access_token']}"}
    assert world.client.post("/api/v1/sync/pull", headers=fresh,
                             json={"cursor": 0}).status_code == 200


def test_admin_lists_last_login_and_resets_a_password_shown_once(world: World) -> None:
    listing = world.client.get(f"/api/v1/authorities/{world.a.authority_id}/agents",
                               headers=world.a.headers("admin"))
    assert listing.status_code == 200
    clerk = next(r for r in listing.json() if r["id"] == str(world.a.agent_ids["clerk"]))
    assert clerk["last_login_at"] is not None and clerk["must_change_password"] is False
    as_clerk = world.client.get(f"/api/v1/authorities/{world.a.authority_id}/agents",
                                headers=world.a.headers("clerk")).json()
    assert all(r["last_login_at"] is None for r in as_clerk)
    url = f"/api/v1/agents/{world.a.agent_ids['clerk']}/password-reset"
    refused = world.client.post(url, headers=world.a.headers("official"))
    assert refused.status_code == 403 and "administrateur" in refused.json()["detail"]
    foreign = world.client.post(f"/api/v1/agents/{world.b.agent_ids['clerk']}/password-reset",
                                headers=world.a.headers("admin"))
    assert foreign.status_code == 404
    reset = world.client.post(url, headers=world.a.headers("admin"))
    assert reset.status_code == 200, reset.text
    temporary = reset.json()["temporary_password"]
    # The old session is revoked; the new password works and must be changed.
    assert world.client.post("/api/v1/sync/pull", headers=world.a.headers("clerk"),
                             json={"cursor": 0}).status_code == 401
    login_name = next(r["login"] for r in listing.json() if r["id"] == clerk["id"])
    again = world.client.post("/api/v1/auth/login",
                              json={"login": login_name, "password": temporary})
    assert again.status_code == 200 and again.json()["must_change_password"] is True


def test_the_logo_is_an_uploaded_image_of_the_commune_and_any_pc_can_fetch_it(
    world: World,
) -> None:
    from tests.logo_images import logo_image

    aid = str(world.a.authority_id)
    admin = world.a.headers("admin")
    logo = logo_image()

    def set_logo(sha256: str) -> dict[str, Any]:
        version = _authority(world)["version"]
        return _push(world, "admin", mutation(str(uuid.uuid4()), 1, "authority.update", {
            "authority_id": aid, "fields": {"logo_sha256": sha256}}, version))[0]

    # Not uploaded first: refused in French, nothing changed.
    missing = set_logo("ab" * 32)
    assert missing["result"] == "rejected" and "n'a pas été reçu" in missing["reason"]
    assert _authority(world)["logo_sha256"] is None
    # A PDF blob of the commune is no logo.
    pdf = world.client.post("/api/v1/blobs", headers=admin, data={"authority_id": aid},
                            files={"file": ("lettre.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})
    if pdf.status_code == 201:
        refused = set_logo(pdf.json()["sha256"])
        assert refused["result"] == "rejected" and "PNG ou JPEG" in refused["reason"]
    uploaded = world.client.post("/api/v1/blobs", headers=admin, data={"authority_id": aid},
                                 files={"file": ("logo.png", logo, "application/octet-stream")})
    assert uploaded.status_code == 201, uploaded.text
    sha256 = uploaded.json()["sha256"]
    assert set_logo(sha256)["result"] == "applied"
    assert _authority(world)["logo_sha256"] == sha256
    fetched = world.client.get(f"/api/v1/authorities/{aid}/logo",
                               headers=world.a.headers("clerk"))
    assert fetched.status_code == 200 and fetched.content == logo
    assert fetched.headers["content-type"] == "image/png"
    # Another commune's agents see neither the logo nor that it exists.
    other = world.client.get(f"/api/v1/authorities/{aid}/logo", headers=world.b.headers("clerk"))
    assert other.status_code in (403, 404)
    # « Retirer »: "" on the wire, no logo any more.
    assert set_logo("")["result"] == "applied"
    assert _authority(world)["logo_sha256"] is None
    gone = world.client.get(f"/api/v1/authorities/{aid}/logo", headers=admin)
    assert gone.status_code == 404 and "pas de logo" in gone.json()["detail"]


def test_a_procedures_default_service_takes_its_new_requests(world: World) -> None:
    from tests.server.helpers import new_request
    from tests.server.test_teamwork import _service

    admin = world.a.headers("admin")
    aid = str(world.a.authority_id)
    service = _service(world, "État civil").json()
    procedure_id = str(uuid.uuid4())
    base = {"id": procedure_id, "authority_id": aid}
    # A service the commune does not have cannot be the default.
    refused = _push(world, "admin", mutation(str(uuid.uuid4()), 1, "procedure.upsert", {
        **base, "fields": {"code": "acte-naissance", "title": "Acte de naissance",
                           "default_service_id": str(uuid.uuid4())}}))
    assert refused[0]["result"] == "rejected" and "introuvable" in refused[0]["reason"]
    created = _push(world, "admin", mutation(str(uuid.uuid4()), 1, "procedure.upsert", {
        **base, "fields": {"code": "acte-naissance", "title": "Acte de naissance",
                           "default_service_id": service["id"]}}))
    assert created[0]["result"] == "applied", created
    # Created by a PC (REST or push), by the mail intake or the portal: the same rule.
    request = new_request(world.client, world.a, procedure_id=procedure_id)
    assert request["assignee_service_id"] == service["id"]
    events = world.client.get(f"/api/v1/requests/{request['id']}/events", headers=admin)
    assert events.status_code == 200, events.text
    [assigned] = [e for e in events.json() if e["kind"] == "assigned"]
    assert assigned["data"] == {"assignee_id": None, "service_id": service["id"], "reason": "",
                                "by_default": True}
    # Without a default service (""), or once the service is retired: nobody.
    world.client.patch(f"/api/v1/services/{service['id']}", json={"active": False},
                       headers=admin)
    assert new_request(world.client, world.a, procedure_id=procedure_id)[
        "assignee_service_id"] is None
    cleared = _push(world, "admin", mutation(str(uuid.uuid4()), 1, "procedure.upsert", {
        **base, "fields": {"default_service_id": ""}}, 10**9))
    assert cleared[0]["result"] == "applied", cleared
