"""Attachments, blobs and the citizen submission endpoint, including hostile input."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Any

from fastapi.testclient import TestClient

from sync.protocol.vocabulary import MAX_ATTACHMENT_BYTES
from tests.server.conftest import World
from tests.server.helpers import mutation, new_request, pdf_bytes, png_bytes, upload


def test_upload_download_and_range(world: World) -> None:
    client = world.client
    req = new_request(client, world.a)
    data = pdf_bytes()
    response = upload(client, world.a, data, "justificatif.pdf", req["id"])
    assert response.status_code == 201, response.text
    row = response.json()
    assert row["content_type"] == "application/pdf" and row["size"] == len(data)
    path = f"/api/v1/attachments/{row['id']}/content"
    whole = client.get(path, headers=world.a.headers())
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["accept-ranges"] == "bytes"
    part = client.get(path, headers={**world.a.headers(), "Range": "bytes=5-14"})
    assert part.status_code == 206 and part.content == data[5:15]
    assert part.headers["content-range"] == f"bytes 5-14/{len(data)}"
    tail = client.get(path, headers={**world.a.headers(), "Range": "bytes=-10"})
    assert tail.content == data[-10:]
    bad = client.get(path, headers={**world.a.headers(), "Range": f"bytes={len(data)}-"})
    assert bad.status_code == 416
    listed = client.get(f"/api/v1/requests/{req['id']}/attachments", headers=world.a.headers())
    assert [a["id"] for a in listed.json()] == [row["id"]]


def test_disguised_files_refused(world: World) -> None:
    client = world.client
    exe = b"MZ\x90\x00" + b"\x00" * 200
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("virus.txt", "x")
    for content, name in ((exe, "facture.pdf"), (buffer.getvalue(), "scan.pdf"),
                          (b"<html>", "photo.jpg"), (png_bytes(), "photo.pdf")):
        response = upload(client, world.a, content, name)
        assert response.status_code == 415, name
        assert response.headers["content-type"].startswith("application/problem+json")
    assert upload(client, world.a, png_bytes(), "photo.png").status_code == 201


def test_oversized_refused(world: World) -> None:
    big = b"%PDF-1.4\n" + b"0" * MAX_ATTACHMENT_BYTES
    response = upload(world.client, world.a, big, "gros.pdf")
    assert response.status_code == 413
    assert "5 Mo" in response.json()["detail"]
    huge = b"%PDF-1.4\n" + b"0" * (6 * MAX_ATTACHMENT_BYTES)
    assert upload(world.client, world.a, huge, "enorme.pdf").status_code == 413


def test_path_tricks_in_names(world: World) -> None:
    for name in ("../../etc/passwd.pdf", "..\\..\\windows\\system32.pdf", "/etc/../x.pdf"):
        response = upload(world.client, world.a, pdf_bytes(), name)
        assert response.status_code == 201, response.text
        stored = response.json()["filename"]
        assert "/" not in stored and "\\" not in stored and not stored.startswith(".")
    weird = upload(world.client, world.a, pdf_bytes(), "../../etc/passwd")
    assert weird.status_code == 201 and weird.json()["filename"] == "passwd"


def test_blob_then_link_mutation_and_dedup(world: World) -> None:
    client = world.client
    data = pdf_bytes("dédoublonnage")
    form = {"authority_id": str(world.a.authority_id)}
    files = {"file": ("a.pdf", io.BytesIO(data), "application/pdf")}
    first = client.post("/api/v1/blobs", data=form, files=files, headers=world.a.headers())
    sha = first.json()["sha256"]
    again = client.post("/api/v1/blobs", data=form, files={"file": ("b.pdf", io.BytesIO(data))},
                        headers=world.a.headers())
    assert again.json()["sha256"] == sha
    have = client.get(f"/api/v1/blobs/{sha}", params={"authority_id": str(world.a.authority_id)},
                      headers=world.a.headers())
    assert have.status_code == 200
    # Another authority cannot learn that this content exists.
    other = client.get(f"/api/v1/blobs/{sha}", params={"authority_id": str(world.b.authority_id)},
                       headers=world.b.headers())
    assert other.status_code == 404
    req = new_request(client, world.a)
    client_id = str(uuid.uuid4())
    attachment_id = str(uuid.uuid4())
    push = client.post("/api/v1/sync/push", headers=world.a.headers(), json={
        "client_id": client_id, "mutations": [
            mutation(client_id, 1, "attachment.link", {
                "id": attachment_id, "authority_id": str(world.a.authority_id),
                "request_id": req["id"], "sha256": sha, "filename": "../acte.pdf"}),
            mutation(client_id, 2, "attachment.link", {
                "id": str(uuid.uuid4()), "authority_id": str(world.a.authority_id),
                "sha256": "0" * 64, "filename": "absent.pdf"}),
        ]})
    results = push.json()["results"]
    assert [r["result"] for r in results] == ["applied", "rejected"]
    row = client.get(f"/api/v1/attachments/{attachment_id}", headers=world.a.headers()).json()
    assert row["filename"] == "acte.pdf"


def submission(client: TestClient, authority_id: Any, payload: dict[str, Any],
               files: list[tuple[str, bytes]] = ()) -> Any:  # type: ignore[assignment]
    return client.post(
        f"/api/v1/public/authorities/{authority_id}/submissions",
        data={"payload": json.dumps(payload)},
        files=[("files", (name, io.BytesIO(content), "application/pdf"))
               for name, content in files] or None,
    )


PERSON = {"kind": "person", "last_name": "Lefèvre", "first_name": "Anne",
          "email": "anne.lefevre@example.fr", "postal_address": "5 rue Haute, 10100 Romilly"}


def test_submission_receipt(world: World) -> None:
    payload = {"subject": "Demande d'occupation du domaine public", "description": "Benne",
               "procedure_code": "occupation-domaine", "citizen": PERSON,
               "form_fields": {"adresse_travaux": "12 rue des Tilleuls", "jours": 3}}
    response = submission(world.client, world.a.authority_id, payload,
                          [("plan.pdf", pdf_bytes()), ("photo.png", png_bytes())])
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["number"].endswith("000001")
    assert "enregistrée" in receipt["message"] and receipt["attachments"] == [
        "plan.pdf", "photo.png"]
    req = world.client.get(f"/api/v1/requests/{receipt['request_id']}",
                           headers=world.a.headers()).json()
    assert req["channel"] == "web" and req["form_fields"]["jours"] == 3
    assert req["received_at"] == receipt["received_at"]
    log = world.client.get(f"/api/v1/authorities/{world.a.authority_id}/audit",
                           params={"entity_id": receipt["request_id"]},
                           headers=world.a.headers("admin")).json()
    assert any(e["action"] == "submission" and e["ip"] for e in log["items"])


def test_submission_identity_checks(world: World) -> None:
    cases = [
        ({"kind": "company", "organisation_name": "SARL Dupont", "siret": "73282932000075",
          "email": "contact@dupont.example.fr"}, 422),  # bad Luhn key
        ({"kind": "company", "organisation_name": "SARL Dupont", "siret": "73282932000074",
          "email": "contact@dupont.example.fr"}, 201),
        ({"kind": "company", "organisation_name": "La Poste", "siret": "35600000012346",
          "email": "bureau@laposte.example.fr"}, 201),  # La Poste: digits sum to 5k
        ({"kind": "association", "organisation_name": "Amicale", "rna_number": "W12345678",
          "email": "amicale@example.fr"}, 422),
        ({"kind": "association", "organisation_name": "Amicale", "rna_number": "W123456789",
          "email": "amicale@example.fr"}, 201),
        ({"kind": "person", "last_name": "Sans-Prénom"}, 422),
    ]
    for citizen, expected in cases:
        response = submission(world.client, world.a.authority_id,
                              {"subject": "Demande", "citizen": citizen})
        assert response.status_code == expected, (citizen, response.text)


def test_submission_bad_input(world: World) -> None:
    client = world.client
    disguised = submission(client, world.a.authority_id,
                           {"subject": "x", "citizen": PERSON}, [("cv.pdf", b"MZ\x90\x00")])
    assert disguised.status_code == 415
    not_json = client.post(f"/api/v1/public/authorities/{world.a.authority_id}/submissions",
                           data={"payload": "{pas du json"})
    assert not_json.status_code == 422
    unknown = submission(client, uuid.uuid4(), {"subject": "x", "citizen": PERSON})
    assert unknown.status_code == 404
    no_procedure = submission(client, world.a.authority_id,
                              {"subject": "x", "citizen": PERSON, "procedure_code": "inconnue"})
    assert no_procedure.status_code == 422


def test_submission_throttled_per_ip(app: Any, world: World) -> None:
    with TestClient(app, client=("203.0.113.7", 4000)) as abusive:
        statuses = [
            submission(abusive, world.a.authority_id, {"subject": "Spam", "citizen": PERSON})
            .status_code for _ in range(12)
        ]
        assert statuses[:10] == [201] * 10
        assert statuses[10] == 429
        last = submission(abusive, world.a.authority_id, {"subject": "Spam", "citizen": PERSON})
        assert int(last.headers["Retry-After"]) > 0
    with TestClient(app, client=("203.0.113.8", 4000)) as other:
        ok = submission(other, world.a.authority_id, {"subject": "Légitime", "citizen": PERSON})
        assert ok.status_code == 201


def test_chunked_oversized_body_refused(world: World) -> None:
    """No Content-Length: the body is counted as it streams and cut at the limit."""

    def stream() -> Any:
        yield b'{"cursor": 0, "padding": "'
        for _ in range(20):
            yield b"x" * (1024 * 1024)
        yield b'"}'

    response = world.client.post(
        "/api/v1/sync/pull", content=stream(),
        headers={**world.a.headers(), "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["detail"].startswith("Le corps de la requête dépasse")
