"""The built-in parapheur: circuit of visa then signature, rejection, PDFs, roles."""

from __future__ import annotations

import uuid
from typing import Any

import pymupdf

from tests.server.conftest import World
from tests.server.helpers import new_request, pdf_bytes, upload


def make_folder(world: World, steps: list[dict[str, Any]], request_id: str | None = None
                ) -> dict[str, Any]:
    main = upload(world.client, world.a, pdf_bytes("Arrêté municipal"), "arrete.pdf",
                  request_id).json()
    annex = upload(world.client, world.a, pdf_bytes("Plan"), "plan.pdf", request_id).json()
    response = world.client.post("/api/v1/parapheur/folders", headers=world.a.headers(), json={
        "authority_id": str(world.a.authority_id), "request_id": request_id,
        "title": "Arrêté d'occupation du domaine public", "main_attachment_id": main["id"],
        "annex_ids": [annex["id"]], "steps": steps})
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_visa_then_signature(world: World) -> None:
    client = world.client
    official, admin = str(world.a.agent_ids["official"]), str(world.a.agent_ids["admin"])
    req = new_request(client, world.a)
    path = f"/api/v1/requests/{req['id']}/status"
    client.post(path, json={"status": "drafting"}, headers=world.a.headers())
    folder = make_folder(world, [{"kind": "visa", "official_id": admin},
                                 {"kind": "signature", "official_id": official}], req["id"])
    assert folder["state"] == "draft"
    fid = folder["id"]
    sent = client.post(f"/api/v1/parapheur/folders/{fid}/submit", headers=world.a.headers())
    assert sent.json()["state"] == "pending"
    assert client.get(f"/api/v1/requests/{req['id']}",
                      headers=world.a.headers()).json()["status"] == "at_parapheur"
    # Not their step yet: the official must wait for the visa.
    early = client.post(f"/api/v1/parapheur/folders/{fid}/decision", json={"action": "sign"},
                        headers=world.a.headers("official"))
    assert early.status_code == 403
    clerk = client.post(f"/api/v1/parapheur/folders/{fid}/decision", json={"action": "visa"},
                        headers=world.a.headers())
    assert clerk.status_code == 403
    visa = client.post(f"/api/v1/parapheur/folders/{fid}/decision",
                       json={"action": "visa", "comment": "Vu, bon pour signature"},
                       headers=world.a.headers("admin"))
    assert visa.json()["state"] == "visaed"
    note = client.post(f"/api/v1/parapheur/folders/{fid}/annotations",
                       json={"text": "Vérifier la date", "page": 1},
                       headers=world.a.headers("official"))
    assert note.status_code == 201
    mine = client.get("/api/v1/parapheur/folders", params={"mine": True},
                      headers=world.a.headers("official")).json()
    assert [f["id"] for f in mine["items"]] == [fid]
    signed = client.post(f"/api/v1/parapheur/folders/{fid}/decision", json={"action": "sign"},
                         headers=world.a.headers("official"))
    assert signed.json()["state"] == "signed" and signed.json()["signed_sha256"]
    pdf = client.get(f"/api/v1/parapheur/folders/{fid}/signed", headers=world.a.headers())
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = pymupdf.open(stream=pdf.content, filetype="pdf")[-1].get_text()
    assert "Signé électroniquement par Élu A" in text and "Arrêté municipal" in text
    slip = client.get(f"/api/v1/parapheur/folders/{fid}/bordereau", headers=world.a.headers())
    slip_text = pymupdf.open(stream=slip.content, filetype="pdf")[0].get_text()
    assert "Bordereau" in slip_text and "Vu, bon pour signature" in slip_text
    assert "Vérifier la date" in slip_text
    # An official may not delete; a signed folder cannot be deleted at all.
    assert client.delete(f"/api/v1/parapheur/folders/{fid}",
                         headers=world.a.headers("official")).status_code == 403
    assert client.delete(f"/api/v1/parapheur/folders/{fid}",
                         headers=world.a.headers()).status_code == 409


def test_rejection_sends_back_to_drafting(world: World) -> None:
    client = world.client
    official = str(world.a.agent_ids["official"])
    req = new_request(client, world.a)
    client.post(f"/api/v1/requests/{req['id']}/status", json={"status": "drafting"},
                headers=world.a.headers())
    folder = make_folder(world, [{"kind": "signature", "official_id": official}], req["id"])
    fid = folder["id"]
    client.post(f"/api/v1/parapheur/folders/{fid}/submit", headers=world.a.headers())
    wrong = client.post(f"/api/v1/parapheur/folders/{fid}/decision", json={"action": "visa"},
                        headers=world.a.headers("official"))
    assert wrong.status_code == 409
    rejected = client.post(f"/api/v1/parapheur/folders/{fid}/decision",
                           json={"action": "reject", "comment": "Erreur de date"},
                           headers=world.a.headers("official"))
    assert rejected.json()["state"] == "rejected"
    assert client.get(f"/api/v1/requests/{req['id']}",
                      headers=world.a.headers()).json()["status"] == "drafting"
    assert client.get(f"/api/v1/parapheur/folders/{fid}/signed",
                      headers=world.a.headers()).status_code == 409


def test_steps_must_name_officials_of_the_authority(world: World) -> None:
    for official in (world.a.agent_ids["clerk"], world.b.agent_ids["clerk"], uuid.uuid4()):
        main = upload(world.client, world.a, pdf_bytes(), "a.pdf").json()
        response = world.client.post("/api/v1/parapheur/folders", headers=world.a.headers(),
                                     json={"authority_id": str(world.a.authority_id),
                                           "title": "x", "main_attachment_id": main["id"],
                                           "steps": [{"kind": "visa",
                                                      "official_id": str(official)}]})
        assert response.status_code == 422
