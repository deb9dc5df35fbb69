"""The thread between two PCs and the real server on loopback, with a real SMTP server.

PC A writes to the citizen (with a PDF) while its commune's outgoing mail goes to an aiosmtpd
server on 127.0.0.1: the server sends it after the push, the proof of sending (time, SMTP
answer) comes back to PC A's row and reaches PC B, whose thread shows the same message with
its file. An incoming message created on the server reaches PC A's thread, unread.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pymupdf
import pytest

from desktop.store.database import connect
from desktop.store.inbox import InboxRepository
from desktop.store.messages import Outgoing, recipient, thread, write_to_citizen
from sync.client import ApiClient
from sync.protocol.vocabulary import Channel
from sync.protocol.wire import Mutation, MutationName, PushRequest
from tests.server.smtp import Recorder, smtp_server
from tests.sync.conftest import (
    CLERK,
    FAST_RETRY,
    ROOT,
    ServerProcess,
    _env,
    fresh_server,
    local_db,
    sync_in_process,
)

SUBJECT = "Autorisation de clôture"
#: How long the background sender may take before the test gives up (not a timing check).
PATIENCE = 60.0


@pytest.fixture
def mail_server(server_template: Path, tmp_path: Path) -> Iterator[tuple[ServerProcess,
                                                                         Recorder]]:
    """The server with commune 10999's outgoing mail on a real SMTP server on loopback."""
    proc = fresh_server(server_template, tmp_path / "server")
    with smtp_server() as (recorder, port):
        configured = subprocess.run(
            [sys.executable, "-m", "server", "configure", "--authority", "10999",
             "--mail-from", "mairie@saint-remy.example.fr",
             "--mail-from-name", "Mairie de Saint-Rémy", "--smtp-host", "127.0.0.1",
             "--smtp-port", str(port), "--smtp-security", "none"],
            env=_env(BANNETTE_DATA_DIR=str(proc.data)), cwd=ROOT, capture_output=True,
            text=True, timeout=120,
        )
        assert configured.returncode == 0, configured.stderr
        proc.start()
        try:
            yield proc, recorder
        finally:
            proc.stop()


def _pdf(path: Path) -> Path:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Plan de la clôture")
    doc.save(path)
    return path


def _wait(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} : rien après {PATIENCE} s")
        time.sleep(0.2)


def test_a_message_out_is_sent_and_its_proof_reaches_both_pcs(
    mail_server: tuple[ServerProcess, Recorder], tmp_path: Path,
) -> None:
    server, recorder = mail_server
    authority = server.authority_ids()[0]  # 10999
    server.submit(authority, SUBJECT)
    pc_a = local_db(tmp_path / "pc-a.sqlite3")
    sync_in_process(server.url, pc_a)
    conn = connect(pc_a)
    pk = conn.execute("SELECT pk FROM request WHERE subject = ?", (SUBJECT,)).fetchone()[0]
    who = recipient(conn, pk)
    assert who.email == "lea.roux@example.fr" and who.shared
    message_id = write_to_citizen(
        conn, pk, Outgoing(who.subject, "Bonjour,\nvotre dossier est complet.", Channel.EMAIL,
                           who.email, (_pdf(tmp_path / "plan.pdf"),)),
        agent_id=None)
    assert thread(conn, pk)[0].state == "en attente d'envoi"
    conn.close()

    report = sync_in_process(server.url, pc_a)
    assert not report.rejected, report
    _wait(lambda: recorder.received, "le courriel n'est pas arrivé au serveur SMTP")
    [mail] = recorder.received
    assert mail["To"] == "lea.roux@example.fr"
    # The server's number, as a reference (« 10999-2026-000041 »), never the provisional one.
    assert mail["Subject"].startswith("Votre demande n° 10999-2026-")
    assert [p.get_filename() for p in mail.iter_attachments()] == ["plan.pdf"]

    def sent_on_a() -> bool:
        sync_in_process(server.url, pc_a)
        check = connect(pc_a)
        try:
            return thread(check, pk)[0].delivery == "sent"
        finally:
            check.close()

    _wait(sent_on_a, "la preuve d'envoi n'est pas revenue au poste A")
    conn = connect(pc_a)
    [message] = thread(conn, pk)
    assert message.id == message_id and message.state.startswith("envoyé le ")
    conn.close()

    pc_b = local_db(tmp_path / "pc-b.sqlite3")
    sync_in_process(server.url, pc_b)
    other = connect(pc_b)
    pk_b = other.execute("SELECT pk FROM request WHERE subject = ?", (SUBJECT,)).fetchone()[0]
    [seen] = thread(other, pk_b)
    assert (seen.id, seen.delivery, seen.body) == (
        message_id, "sent", "Bonjour,\nvotre dossier est complet.")
    assert seen.to_email == "lea.roux@example.fr" and seen.agent == "Claire Martin"
    [attachment] = seen.attachment_ids
    assert other.execute("SELECT filename FROM attachment WHERE id = ?",
                         (attachment,)).fetchone()[0] == "plan.pdf"
    other.close()


def test_an_incoming_message_reaches_the_thread_unread(
    server: ServerProcess, tmp_path: Path,
) -> None:
    authority = server.authority_ids()[0]
    server.submit(authority, SUBJECT)
    pc_a = local_db(tmp_path / "pc-a.sqlite3")
    sync_in_process(server.url, pc_a)
    conn = connect(pc_a)
    pk, request_id = conn.execute(
        "SELECT pk, id FROM request WHERE subject = ?", (SUBJECT,)).fetchone()
    conn.close()

    # The server records the citizen's answer (what its IMAP intake does for a reply).
    client = ApiClient(server.url, retry=FAST_RETRY, timeout=10)
    try:
        client.login(*CLERK)
        client_id = uuid.uuid4()
        answer = client.push(PushRequest(client_id=client_id, mutations=[Mutation(
            client_id=client_id, mutation_id=1, base_version=0,
            name=MutationName.MESSAGE_ADD,
            args={"id": str(uuid.uuid4()), "request_id": request_id, "direction": "inbound",
                  "channel": "email", "subject": "Re: Votre demande",
                  "body": "Merci, je passe en mairie jeudi."},
        )]))
    finally:
        client.close()
    assert answer.results[0].result == "applied", answer

    sync_in_process(server.url, pc_a)
    conn = connect(pc_a)
    [message] = thread(conn, pk)
    assert message.incoming and message.unread
    assert message.body == "Merci, je passe en mairie jeudi."
    assert InboxRepository(conn).rows([pk])[pk].unread
    conn.close()


def test_an_imported_mail_reaches_the_server_with_its_file(
    server: ServerProcess, tmp_path: Path,
) -> None:
    """``import-mail`` on a PC whose commune the server knows: a provisional number, then the
    request, its new citizen and its accepted file on the server after the sync."""
    from tests.unit.test_mail_intake import eml, pdf_bytes

    pc = local_db(tmp_path / "pc.sqlite3")
    sync_in_process(server.url, pc)
    mail = tmp_path / "cloture.eml"
    mail.write_bytes(eml(sender="Marc Petit <marc.petit@example.fr>", subject=SUBJECT,
                         files=(("plan.pdf", pdf_bytes(), "application/pdf"),
                                ("setup.exe", b"MZ\x90\x00", "application/octet-stream"))))
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "import-mail", str(mail), "--database", str(pc),
         "--commune", "10999"],
        env=_env(), cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    [line] = [json.loads(text) for text in result.stdout.splitlines()]
    assert line["numero"].startswith("10999-P-2026-") and line["usager"] == "PETIT Marc"
    assert [p["acceptee"] for p in line["pieces"]] == [True, False]

    report = sync_in_process(server.url, pc)
    assert not report.rejected, report
    [(channel, number)] = server.query(
        "SELECT channel, number FROM requests WHERE subject = ?", SUBJECT)
    assert channel == "email" and number.startswith("2026-")
    assert server.query("SELECT filename FROM attachments WHERE filename = 'plan.pdf'")
    assert server.query("SELECT 1 FROM citizens WHERE email = 'marc.petit@example.fr'")
    conn = connect(pc)
    assert conn.execute("SELECT number FROM request WHERE subject = ?",
                        (SUBJECT,)).fetchone()[0] == number  # the server's number came back
    conn.close()
