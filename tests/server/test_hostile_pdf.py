"""Hostile PDFs: a deflate bomb and a fake « %PDF- » file are refused at upload, and one that
got in before the check gives a clear French error at signature, the folder unchanged, while
the server keeps answering other requests (real uvicorn on loopback)."""

from __future__ import annotations

import socket
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pymupdf
import pytest
import uvicorn
from sqlalchemy import update

from server.db.models import Attachment, Blob
from server.db.types import utcnow
from tests.server.conftest import World
from tests.server.helpers import pdf_bytes, upload
from tests.server.test_parapheur import make_folder

FAKE_PDF = b"%PDF-1.7\n" + b"ceci n'est pas un PDF\n" * 50


def _zeros_deflated(megabytes: int) -> bytes:
    """A zlib stream of ``megabytes`` MiB of zeros, built from one compressed 16 MiB block
    repeated (a full flush resets the compressor, so every block compresses the same)."""
    chunk = bytes(16 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush(zlib.Z_FINISH)
    adler = 1
    for _ in range(megabytes // 16):
        adler = zlib.adler32(chunk, adler)
    return b"\x78\xda" + block * (megabytes // 16) + end + adler.to_bytes(4, "big")


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A one-page PDF whose page content is 1 GiB of zeros, about 1 MB compressed."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), "Arrêté municipal")
    xref = doc.get_new_xref()
    doc.update_object(xref, "<<>>")
    doc.update_stream(xref, _zeros_deflated(1024), new=True, compress=False)
    doc.xref_set_key(xref, "Filter", "/FlateDecode")
    doc.xref_set_key(page.xref, "Contents", f"[{page.get_contents()[0]} 0 R {xref} 0 R]")
    data: bytes = doc.tobytes(garbage=0, deflate=False)
    doc.close()
    assert len(data) < 2_000_000
    return data


def _encrypted() -> bytes:
    doc = pymupdf.open(stream=pdf_bytes(), filetype="pdf")
    data: bytes = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="o", user_pw="u")
    return data


def test_hostile_pdfs_are_refused_at_upload(world: World, bomb: bytes) -> None:
    for data, reason in ((bomb, "démesurées"), (FAKE_PDF, "pas un PDF lisible"),
                         (_encrypted(), "mot de passe")):
        started = time.monotonic()
        refused = upload(world.client, world.a, data, "arrete.pdf")
        assert refused.status_code == 415, refused.text
        assert reason in refused.json()["detail"]
        assert "« arrete.pdf »" in refused.json()["detail"]
        assert time.monotonic() - started < 20
    assert upload(world.client, world.a, pdf_bytes(), "bon.pdf").status_code == 201


def _smuggle(world: World, folder: dict[str, Any], data: bytes) -> None:
    """Points the folder's main document at ``data``, as a file stored before the check."""
    digest = world.app.state.blobs.put(data)
    with world.db.write() as session:
        if session.get(Blob, (digest, world.a.authority_id)) is None:
            session.add(Blob(sha256=digest, authority_id=world.a.authority_id, size=len(data),
                             content_type="application/pdf", created_at=utcnow()))
        session.execute(update(Attachment).where(
            Attachment.id == uuid.UUID(folder["main_attachment_id"])).values(sha256=digest))


def _pending_folder(world: World, data: bytes) -> str:
    official = str(world.a.agent_ids["official"])
    folder = make_folder(world, [{"kind": "signature", "official_id": official}])
    _smuggle(world, folder, data)
    fid = str(folder["id"])
    sent = world.client.post(f"/api/v1/parapheur/folders/{fid}/submit",
                             headers=world.a.headers())
    assert sent.json()["state"] == "pending"
    return fid


def test_fake_pdf_at_signature_is_a_clear_error_and_folder_unchanged(world: World) -> None:
    fid = _pending_folder(world, FAKE_PDF)
    signed = world.client.post(f"/api/v1/parapheur/folders/{fid}/decision",
                               json={"action": "sign"}, headers=world.a.headers("official"))
    assert signed.status_code == 422, signed.text
    assert signed.json()["detail"].startswith("Le document principal ne peut pas être signé")
    folder = world.client.get(f"/api/v1/parapheur/folders/{fid}",
                              headers=world.a.headers()).json()
    assert folder["state"] == "pending" and folder["signed_sha256"] is None
    assert folder["steps"][0]["state"] == "waiting"


@pytest.fixture
def live_url(world: World) -> Iterator[str]:
    """The same app behind a real uvicorn on loopback, in a thread of this process: PDF work
    done in the server process would hold it (and its GIL) exactly as in production."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(world.app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)


def test_signing_a_bomb_does_not_freeze_the_server(world: World, bomb: bytes,
                                                   live_url: str) -> None:
    fid = _pending_folder(world, bomb)
    answer: dict[str, Any] = {}

    def sign() -> None:
        with httpx.Client(base_url=live_url, timeout=120) as http:
            answer["response"] = http.post(f"/api/v1/parapheur/folders/{fid}/decision",
                                           json={"action": "sign"},
                                           headers=world.a.headers("official"))

    signer = threading.Thread(target=sign)
    started = time.monotonic()
    signer.start()
    latencies: list[float] = []
    with httpx.Client(base_url=live_url, timeout=120) as http:
        while signer.is_alive() or len(latencies) < 3:
            before = time.monotonic()
            assert http.get("/health").status_code == 200
            latencies.append(time.monotonic() - before)
            time.sleep(0.05)
    signer.join()
    assert max(latencies) < 2.0, latencies
    assert time.monotonic() - started < 30
    response = answer["response"]
    assert response.status_code == 422, response.text
    assert "démesurées" in response.json()["detail"]
    folder = world.client.get(f"/api/v1/parapheur/folders/{fid}",
                              headers=world.a.headers()).json()
    assert folder["state"] == "pending" and folder["signed_sha256"] is None
