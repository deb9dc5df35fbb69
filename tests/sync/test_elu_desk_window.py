"""The élu's desk in the real window against the real server on loopback: the folder waiting
for the maire arrives with the pull, its PDF is downloaded through the window's sync (never
seen on this PC before) and shown page by page; the signature is queued and leaves with F5.

The folder is made with the built-in parapheur's own API (what a secrétaire's ``parapheur.send``
does once the server handles it), so this runs before the mail branch is merged.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QSettings

from desktop.store.database import connect
from desktop.store.inbox import InboxRepository
from desktop.syncing.worker import SyncController
from desktop.views.main_window import MainWindow
from tests.conftest import TODAY
from tests.server.helpers import pdf_bytes
from tests.sync.conftest import ServerProcess, local_db, sync_in_process
from tests.sync.test_worker_gui import MemoryVault

pytestmark = pytest.mark.gui
MAIRE = ("maire", "Maire-Signe-2026!")


def folder_for_the_maire(server: ServerProcess) -> str:
    """A citizen's request with its reply PDF, in the built-in parapheur for the maire."""
    authority = server.authority_ids()[0]
    payload = {"subject": "Autorisation de buvette", "description": "Fête du village.",
               "citizen": {"kind": "person", "last_name": "Roux", "first_name": "Léa",
                           "email": "lea.roux@example.fr",
                           "postal_address": "1 rue Basse, 10100 Saint-Rémy-sur-Aube"}}
    response = httpx.post(
        f"{server.url}/api/v1/public/authorities/{authority}/submissions",
        data={"payload": json.dumps(payload)},
        files=[("files", ("reponse.pdf", pdf_bytes("Réponse : accord"), "application/pdf"))],
        timeout=30,
    )
    assert response.status_code == 201, response.text
    request_id = response.json()["request_id"]
    [(attachment,)] = server.query("SELECT id FROM attachments WHERE filename = 'reponse.pdf'")
    [(maire,)] = server.query("SELECT id FROM agents WHERE login = 'maire'")
    headers = {"Authorization": f"Bearer {server.token()}"}
    created = httpx.post(f"{server.url}/api/v1/parapheur/folders", headers=headers, json={
        "authority_id": authority, "request_id": request_id, "title": "Réponse — buvette",
        "main_attachment_id": str(uuid.UUID(str(attachment))),
        "steps": [{"kind": "signature", "official_id": str(uuid.UUID(str(maire)))}],
    }, timeout=10)
    assert created.status_code in (200, 201), created.text
    folder_id = created.json()["id"]
    submitted = httpx.post(f"{server.url}/api/v1/parapheur/folders/{folder_id}/submit",
                           headers=headers, timeout=10)
    assert submitted.status_code == 200, submitted.text
    return str(folder_id)


def sign_through_the_window(qtbot, server: ServerProcess, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    """The maire's PC: the folder on the desk, its PDF downloaded and shown, « Signer », F5.
    Returns the folder's state on the server afterwards."""
    folder_id = folder_for_the_maire(server)
    db = local_db(tmp_path / "maire.sqlite3")
    sync_in_process(server.url, db, MAIRE)  # this PC knows its élu: it opens on the desk
    conn = connect(db)
    settings = QSettings(str(tmp_path / "bannette.ini"), QSettings.Format.IniFormat)
    window = MainWindow(InboxRepository(conn), settings, today=lambda: TODAY)
    controller = SyncController(db, conn, vault=MemoryVault(), parent=window)
    qtbot.addWidget(window)
    try:
        window.show()
        qtbot.waitExposed(window)
        desk = window.official_desk
        assert desk is not None and window.tabs.currentWidget() is desk
        assert desk.folders.count() == 1
        assert desk.current_folder().id == folder_id
        with (qtbot.waitSignal(controller.downloaded, timeout=60_000),
              qtbot.waitSignal(controller.synced, timeout=60_000)):
            controller.login(server.url, *MAIRE)
        qtbot.waitUntil(lambda: desk.viewer.page_count == 1, timeout=10_000)
        assert desk.sign_button.isVisible()
        assert desk.decide("sign")
        assert desk.folders.count() == 0
        with qtbot.waitSignal(controller.synced, timeout=60_000):
            controller.sync_now()
        assert conn.execute("SELECT COUNT(*) FROM sync_outbox WHERE state = 'pending'"
                            ).fetchone()[0] == 0  # the signature left
        [(state,)] = server.query("SELECT state FROM parapheur_folders")
        return str(state)
    finally:
        controller.stop()
        conn.close()


def test_the_desk_downloads_and_shows_the_pdf_and_sends_the_signature(
    qtbot, server: ServerProcess, tmp_path: Path,
) -> None:
    sign_through_the_window(qtbot, server, tmp_path)


def test_the_signature_reaches_the_server(qtbot, server: ServerProcess, tmp_path: Path) -> None:
    assert sign_through_the_window(qtbot, server, tmp_path) == "signed"
