"""Attachments in the main window, against the real server on loopback: « Télécharger » with
its progress off the GUI thread, the file kept and opened offline afterwards, failures that
leave no half file behind, and a file joined offline that reaches the server with the line."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QElapsedTimer, Qt, QTimer, QUrl
from PySide6.QtWidgets import QMenu, QMessageBox, QPushButton

from desktop.store.attachments import request_attachments
from desktop.store.database import connect
from desktop.store.sync_store import blob_dir, blob_path
from desktop.syncing.worker import NOT_LOGGED_IN_FOR_DOWNLOAD, SyncController
from desktop.views.attachments_ui import AttachmentsUi, install_attachments
from desktop.views.detail_pane import DetailPane, attachment_url
from desktop.views.main_window import MainWindow
from desktop.views.sync_ui import SyncUi
from sync.protocol.vocabulary import MAX_ATTACHMENT_BYTES
from tests.gui.conftest import ARTIFACTS
from tests.gui.test_attachments_pane import click_link
from tests.server.helpers import pdf_bytes, png_bytes
from tests.sync.conftest import CLERK, ServerProcess, local_db
from tests.sync.test_sync_ui import synced_window  # noqa: F401 - the fixture
from tests.sync.test_worker_gui import MemoryVault

pytestmark = pytest.mark.gui

ATTESTATION = "Attestation d'hébergement.pdf"
PLAN = "Plan cadastral.png"


# --- what the tests need around the window -------------------------------------------------
def sized_pdf(size: int, text: str = "Pièce justificative") -> bytes:
    """A real PDF padded after its end to ``size`` bytes (readers ignore trailing bytes)."""
    head = pdf_bytes(text) + b"\n%"
    return head + os.urandom(max(0, size - len(head)))


def submit_with_files(
    server: ServerProcess, subject: str, files: list[tuple[str, bytes, str]]
) -> str:
    """A citizen's web form with attachments, as the public portal receives it: the
    attachments exist on the server only. Returns the request's id."""
    payload = {"subject": subject, "description": "Déposée avec ses pièces.",
               "citizen": {"kind": "person", "last_name": "Garnier", "first_name": "Zoé",
                           "email": "zoe.garnier@example.fr",
                           "postal_address": "4 place de l'Église, 88700 Rambervillers"}}
    response = httpx.post(
        f"{server.url}/api/v1/public/authorities/{server.authority_ids()[0]}/submissions",
        data={"payload": json.dumps(payload)},
        files=[("files", file) for file in files], timeout=30,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["request_id"])


class SlowLine:
    """A TCP relay in front of the server: a poor line (bytes per second towards the PC)
    that can be cut and restored, the way a mairie's ADSL behaves."""

    def __init__(self, target_port: int, rate: int) -> None:
        self.rate = rate
        self.target_port = target_port
        self.up = True
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, 0), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, self.rate),
                             daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, rate: int) -> None:
        try:
            while chunk := source.recv(8192):
                sink.sendall(chunk)
                if rate:
                    time.sleep(len(chunk) / rate)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                end.close()

    def cut(self) -> None:
        self.up = False
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def restore(self, rate: int = 0) -> None:
        self.rate = rate
        self.up = True

    def close(self) -> None:
        self.cut()
        self._listener.close()


@dataclass
class Bench:
    window: MainWindow
    controller: SyncController
    sync: SyncUi
    ui: AttachmentsUi
    opened: list[Path] = field(default_factory=list)
    chosen: list[Path | None] = field(default_factory=list)

    @property
    def pane(self) -> DetailPane:
        return self.window.detail

    @property
    def conn(self):  # type: ignore[no-untyped-def]
        return self.window._repo.connection  # noqa: SLF001

    def login(self, qtbot, url: str) -> None:  # type: ignore[no-untyped-def]
        with qtbot.waitSignal(self.controller.synced, timeout=60_000):
            self.controller.login(url, *CLERK)

    def show(self, request_id: str) -> int:
        pk = int(self.conn.execute("SELECT pk FROM request WHERE id = ?",
                                   (request_id,)).fetchone()[0])
        self.window.select_request(pk)
        assert self.pane.shown_pk == pk
        return pk

    def attachment_id(self, pk: int, filename: str) -> str:
        return next(a.id for a in request_attachments(self.conn, pk) if a.filename == filename)

    def sha(self, attachment_id: str) -> str:
        return str(self.conn.execute("SELECT sha256 FROM attachment WHERE id = ?",
                                     (attachment_id,)).fetchone()[0])


@pytest.fixture
def bench(synced_window, tmp_path: Path) -> Bench:  # type: ignore[no-untyped-def]  # noqa: F811
    """The real main window with the sync (tests/sync/test_sync_ui.py) and the attachments."""
    window, controller, sync = synced_window
    opened: list[Path] = []
    chosen: list[Path | None] = []

    def open_url(url: QUrl) -> bool:
        opened.append(Path(url.toLocalFile()))
        return True

    ui = install_attachments(window, controller, open_url=open_url,
                             choose=lambda _parent: chosen.pop(0),
                             folder=tmp_path / "cache" / "ouverts")
    return Bench(window, controller, sync, ui, opened, chosen)


# --- the tests -----------------------------------------------------------------------------
def test_download_with_progress_then_open_offline(
    qtbot, bench: Bench, server: ServerProcess  # type: ignore[no-untyped-def]
) -> None:
    attestation = sized_pdf(1_500_000, "Attestation d'hébergement")
    request_id = submit_with_files(server, "Inscription à la cantine scolaire", [
        (ATTESTATION, attestation, "application/pdf"), (PLAN, png_bytes(), "image/png"),
    ])
    bench.login(qtbot, server.url)
    pk = bench.show(request_id)
    text = bench.pane.toPlainText()
    assert "Pièces jointes (2)" in text
    assert text.count("Télécharger") == 2 and "disponible hors ligne" not in text
    attachment_id = bench.attachment_id(pk, ATTESTATION)
    sha = bench.sha(attachment_id)
    assert sha == hashlib.sha256(attestation).hexdigest()

    progress: list[tuple[int, int]] = []
    bench.controller.downloadProgress.connect(
        lambda _id, done, total: progress.append((done, total)))
    with qtbot.waitSignal(bench.controller.downloaded, timeout=30_000) as done:
        click_link(qtbot, bench.pane, attachment_url(attachment_id))
        dialog = bench.ui.downloads[attachment_id]
        assert dialog.isVisible() and "Attestation d'hébergement.pdf" in dialog.labelText()
    assert done.args[0] == attachment_id
    assert len(progress) > 3
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)
    assert progress[-1] == (len(attestation), len(attestation))
    assert not bench.ui.downloads and not dialog.isVisible()
    cached = blob_path(bench.conn, sha)
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == sha
    assert not cached.with_name(cached.name + ".part").exists()
    # Opened through a copy that bears its real name: the OS knows it is a PDF.
    assert [p.name for p in bench.opened] == [ATTESTATION]
    assert bench.opened[0].read_bytes() == attestation
    text = bench.pane.toPlainText()
    assert "Ouvrir · disponible hors ligne" in text and text.count("Télécharger") == 1

    server.stop()  # the line is down: the kept copy opens all the same, without the network
    click_link(qtbot, bench.pane, attachment_url(attachment_id))
    assert [p.name for p in bench.opened] == [ATTESTATION, ATTESTATION]
    assert not bench.ui.downloads and bench.ui.message is None


def test_failed_downloads_say_why_and_leave_no_file(
    qtbot, bench: Bench, server: ServerProcess  # type: ignore[no-untyped-def]
) -> None:
    data = sized_pdf(300_000, "Devis")
    request_id = submit_with_files(server, "Location de la salle des fêtes",
                                   [("Devis signé.pdf", data, "application/pdf")])
    bench.login(qtbot, server.url)
    attachment_id = bench.attachment_id(bench.show(request_id), "Devis signé.pdf")
    cached = blob_path(bench.conn, bench.sha(attachment_id))
    part = cached.with_name(cached.name + ".part")

    # The server's copy was damaged on its disk: what arrives does not match the hash.
    (stored,) = (server.data / "blobs").rglob(bench.sha(attachment_id))
    stored.write_bytes(data[:-10] + b"0123456789")
    with qtbot.waitSignal(bench.controller.downloadFailed, timeout=30_000) as failed:
        click_link(qtbot, bench.pane, attachment_url(attachment_id))
    assert "ne correspond pas à son empreinte" in failed.args[1]
    assert not cached.exists() and not part.exists()
    assert bench.ui.message is not None
    assert bench.ui.message.text().startswith("La pièce « Devis signé.pdf » n'a pas pu")

    server.stop()
    with qtbot.waitSignal(bench.controller.downloadFailed, timeout=30_000) as failed:
        click_link(qtbot, bench.pane, attachment_url(attachment_id))
    assert failed.args[1].startswith("Hors ligne : le serveur 127.0.0.1")
    assert "reprendra là où il s'est arrêté" in failed.args[1]
    assert "modifications restent en attente" not in failed.args[1]
    assert bench.ui.message.isVisible() and "Hors ligne" in bench.ui.message.text()
    assert not cached.exists() and not bench.opened and not bench.ui.downloads
    assert "Télécharger" in bench.pane.toPlainText()


def test_slow_download_keeps_the_window_alive_and_resumes_after_a_cut(
    qtbot, bench: Bench, server: ServerProcess  # type: ignore[no-untyped-def]
) -> None:
    data = sized_pdf(1_200_000, "Permis de construire")
    request_id = submit_with_files(server, "Permis de construire — pièces",
                                   [("Plans.pdf", data, "application/pdf")])
    line = SlowLine(server.port, rate=400_000)  # about three seconds for the file
    try:
        bench.login(qtbot, line.url)
        attachment_id = bench.attachment_id(bench.show(request_id), "Plans.pdf")
        cached = blob_path(bench.conn, bench.sha(attachment_id))
        part = cached.with_name(cached.name + ".part")
        gaps: list[float] = []
        clock = QElapsedTimer()
        clock.start()
        last = [clock.elapsed()]

        def tick() -> None:
            gaps.append(clock.elapsed() - last[0])
            last[0] = clock.elapsed()

        timer = QTimer()
        timer.timeout.connect(tick)
        timer.start(10)
        progress: list[int] = []
        bench.controller.downloadProgress.connect(lambda _id, done, _total: progress.append(done))
        with qtbot.waitSignal(bench.controller.downloadFailed, timeout=30_000) as failed:
            click_link(qtbot, bench.pane, attachment_url(attachment_id))
            qtbot.waitUntil(lambda: bool(progress) and progress[-1] > len(data) // 3,
                            timeout=20_000)
            dialog = bench.ui.downloads[attachment_id]
            assert 0 < dialog.value() < dialog.maximum() == len(data)
            line.cut()
        timer.stop()
        # The download ran on the sync thread: the GUI loop kept turning all along.
        assert clock.elapsed() > 800 and max(gaps) < 250, f"stalled {max(gaps)} ms"
        assert failed.args[1].startswith("Hors ligne")
        assert not cached.exists() and 0 < part.stat().st_size < len(data)
        kept = part.stat().st_size

        line.restore()
        progress.clear()
        with qtbot.waitSignal(bench.controller.downloaded, timeout=30_000):
            click_link(qtbot, bench.pane, attachment_url(attachment_id))
        assert progress[0] > kept  # resumed where the cut stopped it, not from zero
        assert cached.read_bytes() == data and not part.exists()
        assert [p.name for p in bench.opened] == ["Plans.pdf"]
    finally:
        line.close()


def test_cancel_keeps_what_arrived(qtbot, bench: Bench, server: ServerProcess) -> None:  # type: ignore[no-untyped-def]
    data = sized_pdf(1_200_000, "Acte")
    request_id = submit_with_files(server, "Copie d'acte", [("Acte.pdf", data, "application/pdf")])
    line = SlowLine(server.port, rate=300_000)
    try:
        bench.login(qtbot, line.url)
        attachment_id = bench.attachment_id(bench.show(request_id), "Acte.pdf")
        cached = blob_path(bench.conn, bench.sha(attachment_id))
        progress: list[int] = []
        bench.controller.downloadProgress.connect(lambda _id, done, _total: progress.append(done))
        with qtbot.waitSignal(bench.controller.downloadFailed, timeout=30_000):
            click_link(qtbot, bench.pane, attachment_url(attachment_id))
            qtbot.waitUntil(lambda: bool(progress), timeout=20_000)
            cancel = bench.ui.downloads[attachment_id].findChild(QPushButton)
            assert cancel.text() == "Annuler"
            qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
            assert not bench.ui.downloads
        assert bench.ui.message is None and not bench.opened and not cached.exists()
        assert cached.with_name(cached.name + ".part").stat().st_size > 0
    finally:
        line.close()


def test_file_joined_offline_reaches_the_server(
    qtbot, bench: Bench, server: ServerProcess, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    request_id = submit_with_files(server, "Demande de subvention — association", [
        (ATTESTATION, sized_pdf(200_000, "Statuts"), "application/pdf"),
        (PLAN, png_bytes(), "image/png"),
    ])
    bench.login(qtbot, server.url)
    pk = bench.show(request_id)
    with qtbot.waitSignal(bench.controller.downloaded, timeout=30_000):
        click_link(qtbot, bench.pane, attachment_url(bench.attachment_id(pk, ATTESTATION)))
    server.stop()
    assert bench.ui.attach_action.isEnabled()
    assert bench.ui.attach_action.shortcut().toString() == "Ctrl+Shift+J"
    menu = bench.window.findChild(QMenu, "menu-request")
    assert bench.ui.attach_action in menu.actions()
    assert bench.ui.attach_action in bench.window.request_toolbar.actions()

    def footprint() -> tuple[int, ...]:
        files = sum(1 for p in blob_dir(bench.conn).rglob("*") if p.is_file())
        return tuple(int(bench.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
                     for table in ("attachment", "sync_upload", "sync_outbox")) + (files,)

    before = footprint()
    too_big = tmp_path / "Scan complet.pdf"
    too_big.write_bytes(sized_pdf(6 * 1024 * 1024))
    disguised = tmp_path / "facture.pdf"
    disguised.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00" + os.urandom(4000))  # a Windows .exe
    for refused, why in ((too_big, "dépasse la taille maximale de 5 Mo"),
                         (disguised, "n'est pas un PDF, un JPG ou un PNG")):
        bench.chosen.append(refused)
        qtbot.keyClick(bench.window, Qt.Key.Key_J,
                       Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        assert bench.ui.message is not None and why in bench.ui.message.text()
        assert footprint() == before
        bench.ui.message.button(QMessageBox.StandardButton.Close).click()
    assert too_big.stat().st_size > MAX_ATTACHMENT_BYTES

    joined = tmp_path / "Justificatif de domicile.pdf"
    content = sized_pdf(120_000, "Justificatif de domicile")
    joined.write_bytes(content)
    bench.chosen.append(joined)
    waiting = bench.controller.status.pending
    bench.ui.attach_action.trigger()
    row = bench.conn.execute("SELECT id, sha256 FROM attachment WHERE request_pk = ? "
                             "AND filename = ?", (pk, joined.name)).fetchone()
    assert row is not None and row[1] == hashlib.sha256(content).hexdigest()
    assert bench.conn.execute("SELECT state FROM sync_upload WHERE sha256 = ?",
                              (row[1],)).fetchone()[0] == "pending"
    assert bench.conn.execute("SELECT COUNT(*) FROM sync_outbox WHERE name = 'attachment.link' "
                              "AND row_id = ? AND state = 'pending'", (row[0],)).fetchone()[0] == 1
    assert bench.controller.status.pending == waiting + 1  # the status line counts it at once
    assert f"{waiting + 1} modification" in bench.sync.status_label.text()
    text = bench.pane.toPlainText()
    assert "Pièces jointes (3)" in text and "en attente d'envoi au serveur" in text
    bench.window.resize(1400, 820)
    bench.window.splitter.setSizes([760, 640])
    bench.pane.verticalScrollBar().setValue(bench.pane.verticalScrollBar().maximum())
    qtbot.wait(50)
    ARTIFACTS.mkdir(exist_ok=True)
    assert bench.window.grab().save(str(ARTIFACTS / "attachments_pane.png"))
    click_link(qtbot, bench.pane, attachment_url(row[0]))  # opens offline, from the cache
    assert bench.opened[-1].name == joined.name

    qtbot.waitUntil(lambda: not bench.controller.running, timeout=30_000)
    server.start()
    with qtbot.waitSignal(bench.controller.synced, timeout=60_000) as synced:
        bench.sync.sync_action.trigger()
    assert synced.args[0].uploaded == 1
    on_server = server.query("SELECT request_id, sha256, filename FROM attachments WHERE id = ?",
                             row[0].replace("-", ""))
    assert on_server and on_server[0][0].replace("-", "") == request_id.replace("-", "")
    assert on_server[0][1:] == (row[1], joined.name)
    assert (server.data / "blobs" / row[1][:2] / row[1][2:4] / row[1]).read_bytes() == content
    assert "en attente d'envoi" not in bench.pane.toPlainText()


def test_download_asks_to_log_in_first(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = local_db(tmp_path / "poste.sqlite3")
    conn = connect(db)
    controller = SyncController(db, conn, vault=MemoryVault())
    with qtbot.waitSignal(controller.downloadFailed, timeout=10_000) as failed:
        controller.download("0b7e4c1a-0000-4000-8000-000000000001", "0" * 64)
    assert failed.args == ["0b7e4c1a-0000-4000-8000-000000000001", NOT_LOGGED_IN_FOR_DOWNLOAD]
    controller.stop()
    conn.close()

