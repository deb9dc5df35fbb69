"""The whole reply circuit between two PCs and the real server on loopback.

A secrétaire's PC drafts the reply PDF, sends it to the parapheur; the maire's PC (another
database, another login) receives the folder, signs it (offline first: the decision waits in
its outbox); the signed PDF comes back to the secrétaire's PC through the pull, and the reply
leaves by e-mail, closing the request. The rejection path sends the draft back with its comment.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pymupdf

from desktop.store.attachments import add_attachment
from desktop.store.database import connect
from desktop.store.replies import (
    decide,
    folders_waiting_for,
    request_folder,
    send_reply,
    send_to_parapheur,
)
from desktop.store.requests import set_status
from sync.protocol.vocabulary import Outcome, Status
from sync.protocol.wire import ReplyMode, StepKind
from tests.sync.conftest import CLERK, ServerProcess, local_db, sync_in_process

MAIRE = ("maire", "Maire-Signe-2026!")
AT = datetime(2026, 11, 23, 10, 0)


def _pdf(path: Path) -> Path:
    document = pymupdf.open()
    document.new_page().insert_text((72, 100), "Réponse : accord", fontsize=18)
    document.save(path)
    return path


def _clerk_sends(server: ServerProcess, tmp_path: Path) -> tuple[Path, int, str, str]:
    """The secrétaire's PC: a citizen's request, drafted, its PDF sent to the maire."""
    authority = server.authority_ids()[0]  # 10999: the maire's commune
    server.submit(authority, "Autorisation de buvette")
    clerk_db = local_db(tmp_path / "secretaire.sqlite3")
    sync_in_process(server.url, clerk_db)
    conn = connect(clerk_db)
    pk = conn.execute("SELECT pk FROM request WHERE subject = 'Autorisation de buvette'"
                      ).fetchone()[0]
    maire = conn.execute("SELECT id FROM agent WHERE login = 'maire'").fetchone()[0]
    set_status(conn, pk, Status.DRAFTING, agent_id=None, at=AT)
    pdf = add_attachment(conn, pk, _pdf(tmp_path / "reponse.pdf"), "reponse.pdf")
    folder_id = send_to_parapheur(conn, pk, main_attachment_id=pdf,
                                  steps=[(StepKind.SIGNATURE, maire)], agent_id=None, at=AT)
    conn.close()
    report = sync_in_process(server.url, clerk_db)
    assert not report.rejected, report
    return clerk_db, pk, folder_id, maire


def _status(db: Path, pk: int) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("SELECT status FROM request WHERE pk = ?", (pk,)).fetchone()[0])
    finally:
        conn.close()


def test_draft_parapheur_offline_signature_and_email(server: ServerProcess,
                                                     tmp_path: Path) -> None:
    clerk_db, pk, folder_id, maire = _clerk_sends(server, tmp_path)
    assert _status(clerk_db, pk) == Status.AT_PARAPHEUR

    elu_db = local_db(tmp_path / "maire.sqlite3")
    sync_in_process(server.url, elu_db, MAIRE)
    elu = connect(elu_db)
    [folder] = folders_waiting_for(elu, maire)
    assert folder.id == folder_id and folder.status_text == "envoyé"
    # Signed at home without the line: applied here, queued.
    decide(elu, folder_id, position=1, action="sign", agent_id=maire, at=AT)
    assert folders_waiting_for(elu, maire) == []
    elu.close()
    sync_in_process(server.url, elu_db, MAIRE)  # back online: the signature leaves

    sync_in_process(server.url, clerk_db)
    conn = connect(clerk_db)
    folder = request_folder(conn, pk)
    assert folder is not None and folder.status_text == "signé"
    assert folder.signed_attachment_id is not None
    signed = conn.execute("SELECT filename FROM attachment WHERE id = ?",
                          (folder.signed_attachment_id,)).fetchone()
    assert signed is not None  # the signed PDF came back attached to the request
    send_reply(conn, pk, mode=ReplyMode.EMAIL, outcome=Outcome.ACCEPTED,
               attachment_id=folder.signed_attachment_id, to_email="lea.roux@example.fr",
               subject="Réponse", body="Ci-joint.", agent_id=None, at=AT)
    conn.close()
    report = sync_in_process(server.url, clerk_db)
    assert not report.rejected, report
    request_id = sqlite3.connect(clerk_db).execute(
        "SELECT id FROM request WHERE pk = ?", (pk,)).fetchone()[0]
    [(status, outcome)] = server.query(
        "SELECT status, outcome FROM requests WHERE replace(id, '-', '') = ?",
        request_id.replace("-", ""))
    assert (status, outcome) == ("answered", "accepted")


def test_rejection_returns_the_draft_with_its_comment(server: ServerProcess,
                                                      tmp_path: Path) -> None:
    clerk_db, pk, folder_id, maire = _clerk_sends(server, tmp_path)
    elu_db = local_db(tmp_path / "maire.sqlite3")
    sync_in_process(server.url, elu_db, MAIRE)
    elu = connect(elu_db)
    decide(elu, folder_id, position=1, action="reject", comment="Préciser les horaires",
           agent_id=maire, at=AT)
    elu.close()
    sync_in_process(server.url, elu_db, MAIRE)
    sync_in_process(server.url, clerk_db)
    conn = connect(clerk_db)
    folder = request_folder(conn, pk)
    assert folder is not None and folder.status_text == "rejeté : Préciser les horaires"
    assert _status(clerk_db, pk) == Status.DRAFTING
    conn.close()


def test_the_clerk_side_alone_reaches_the_server(server: ServerProcess, tmp_path: Path) -> None:
    """What works before the merge: the draft's PDF is uploaded and linked, the request moves
    to drafting on the server; the folder itself waits for the server's handler."""
    authority = server.authority_ids()[0]
    server.submit(authority, "Autorisation de buvette")
    clerk_db = local_db(tmp_path / "secretaire.sqlite3")
    sync_in_process(server.url, clerk_db, CLERK)
    conn = connect(clerk_db)
    pk = conn.execute("SELECT pk FROM request WHERE subject = 'Autorisation de buvette'"
                      ).fetchone()[0]
    set_status(conn, pk, Status.DRAFTING, agent_id=None, at=AT)
    add_attachment(conn, pk, _pdf(tmp_path / "reponse.pdf"), "reponse_v1.pdf")
    conn.close()
    report = sync_in_process(server.url, clerk_db)
    assert not report.rejected, report
    assert server.query("SELECT filename FROM attachments WHERE filename = 'reponse_v1.pdf'")
