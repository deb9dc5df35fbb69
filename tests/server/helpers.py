"""Small builders for test payloads."""

from __future__ import annotations

import io
import itertools
import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.server.conftest import Tenant

_mutation_ids = itertools.count(1)


def new_request(
    client: TestClient, tenant: Tenant, *, channel: str = "paper", who: str = "clerk",
    **extra: Any,
) -> dict[str, Any]:
    body = {
        "id": str(uuid.uuid4()),
        "authority_id": str(tenant.authority_id),
        "channel": channel,
        "subject": "Demande de copie d'acte de naissance",
        "description": "Reçue par courrier.",
        **extra,
    }
    response = client.post("/api/v1/requests", json=body, headers=tenant.headers(who))
    assert response.status_code == 201, response.text
    return dict(response.json())


def new_citizen(client: TestClient, tenant: Tenant) -> dict[str, Any]:
    body = {
        "authority_id": str(tenant.authority_id),
        "fields": {"kind": "person", "last_name": "Durand", "first_name": "Sophie",
                   "email": "sophie.durand@example.fr", "phone": "06 12 34 56 78",
                   "postal_address": "3 rue des Lilas, 10100 Romilly"},
    }
    response = client.post("/api/v1/citizens", json=body, headers=tenant.headers())
    assert response.status_code == 201, response.text
    return dict(response.json())


def mutation(
    client_id: str, mutation_id: int, name: str, args: dict[str, Any], base_version: int = 0
) -> dict[str, Any]:
    return {"client_id": client_id, "mutation_id": mutation_id, "base_version": base_version,
            "name": name, "args": args}


def pdf_bytes(text: str = "Pièce justificative") -> bytes:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), text)
    data: bytes = doc.tobytes()
    doc.close()
    return data


def png_bytes() -> bytes:
    import pymupdf

    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 4, 4), False)
    pix.clear_with(200)
    data: bytes = pix.tobytes("png")
    return data


def upload(client: TestClient, tenant: Tenant, data: bytes, filename: str,
           request_id: str | None = None) -> Any:
    form = {"authority_id": str(tenant.authority_id)}
    if request_id:
        form["request_id"] = request_id
    return client.post(
        "/api/v1/attachments", data=form,
        files={"file": (filename, io.BytesIO(data), "application/octet-stream")},
        headers=tenant.headers(),
    )
