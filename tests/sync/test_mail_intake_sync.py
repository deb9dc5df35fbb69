"""A mail reaches the PCs: the real server process reads a real Dovecot mailbox (TLS trusted
through BANNETTE_MAILBOX_CA_FILE), registers the mail, and a desktop store pulls the request,
its accepted file and the refused one with its French reason."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.store.database import connect
from sync.protocol.files import attachment_problem
from tests.mail_samples import EXE, build_mail
from tests.server.helpers import pdf_bytes
from tests.server.imap_server import ImapServer, ImapUnavailable, throwaway_imap
from tests.sync.conftest import ROOT, ServerProcess, _env, local_db, sync_in_process


@pytest.fixture(scope="module")
def imap() -> Iterator[ImapServer]:
    try:
        with throwaway_imap() as server:
            yield server
    except ImapUnavailable as exc:
        pytest.skip(f"*** DOVECOT INDISPONIBLE : tests IMAP ignorés — {exc} ***")


def test_a_mail_in_the_mailbox_reaches_the_pc(
    imap: ImapServer, server_template: Path, tmp_path: Path
) -> None:
    from tests.sync.conftest import fresh_server

    tag = uuid.uuid4().hex[:8]
    with imap.connect() as conn:
        assert conn.create(f"in-{tag}")[0] == "OK"
    imap.append(
        build_mail(subject="Demande de raccordement",
                   files=(("plan.pdf", pdf_bytes("Plan"), "application/pdf"),
                          ("facture.pdf", EXE, "application/pdf"))),
        f"in-{tag}",
    )  # fmt: skip
    server: ServerProcess = fresh_server(server_template, tmp_path / "server")
    configured = subprocess.run(
        [sys.executable, "-m", "server", "configure", "--authority", "10999",
         "--imap-host", imap.host, "--imap-port", str(imap.tls_port), "--imap-login", imap.user,
         "--imap-folder", f"in-{tag}", "--imap-move-to", f"done-{tag}"],
        env=_env(BANNETTE_DATA_DIR=str(server.data), BANNETTE_IMAP_PASSWORD=imap.password),
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert configured.returncode == 0, configured.stderr
    server.start(BANNETTE_MAILBOX_CA_FILE=str(imap.cert))
    try:
        deadline = time.monotonic() + 60
        rows: list[tuple[object, ...]] = []
        while not rows and time.monotonic() < deadline:
            rows = server.query("SELECT number FROM requests WHERE subject = ?",
                                "Demande de raccordement")  # fmt: skip
            time.sleep(0.2)
        assert rows, server.query("SELECT last_error FROM mailbox_settings")
        db = local_db(tmp_path / "pc.sqlite3")
        report = sync_in_process(server.url, db)
        assert report.new_requests >= 1
    finally:
        server.stop()
    conn = connect(db)
    try:
        request = conn.execute(
            "SELECT pk, channel, number FROM request WHERE subject = ?",
            ("Demande de raccordement",),
        ).fetchone()
        assert request["channel"] == "email" and request["number"] == rows[0][0]
        names = [r[0] for r in conn.execute(
            "SELECT filename FROM attachment WHERE request_pk = ?", (request["pk"],))]  # fmt: skip
        assert names == ["plan.pdf"]
        [detail] = [json.loads(r[0]) for r in conn.execute(
            "SELECT detail FROM event WHERE request_pk = ? AND kind = 'attachment_refused'",
            (request["pk"],))]  # fmt: skip
        assert detail["filename"] == "facture.pdf"
        assert detail["reason"] == attachment_problem(EXE, "facture.pdf")
    finally:
        conn.close()
    assert [flags for flags, _ in imap.messages(f"done-{tag}")] and imap.messages(f"in-{tag}") == []
