"""A mail registered as a request (``desktop.services.mail_intake``) and the command for
scripts (``python -m desktop import-mail``, in a subprocess) on the real demo store: the
citizen found or created, the files checked by content, the bad mails refused in French with
nothing half-registered, the same mail never registered twice."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from io import BytesIO
from pathlib import Path

import pymupdf
import pytest

from desktop.services.mail_intake import (
    UNKNOWN_SENDER,
    MailIntakeError,
    read_mail,
    register_mail,
)
from desktop.store.database import connect
from sync.protocol.files import MAX_FILES_PER_REQUEST

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
SENT = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


def pdf_bytes(text: str = "Plan") -> bytes:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), text)
    return bytes(doc.tobytes())


def zip_bytes() -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "x")
    return buffer.getvalue()


def eml(
    *, sender: str | None = "Élise Roy <elise.roy@example.fr>", subject: str = "Demande de "
    "branchement d'eau", text: str = "Bonjour,\nje souhaite un branchement.",
    message_id: str | None = "<mail-1@example.fr>",
    files: tuple[tuple[str, bytes, str], ...] = (),
) -> bytes:
    msg = EmailMessage()
    msg["Subject"] = subject
    if sender:
        msg["From"] = sender
    msg["To"] = "mairie@rambervillers.fr"
    if message_id:
        msg["Message-ID"] = message_id
    msg["Date"] = format_datetime(SENT)
    msg.set_content(text)
    for name, data, media in files:
        maintype, _, subtype = media.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def _authority(conn: sqlite3.Connection) -> tuple[int, str]:
    pk, insee = conn.execute(
        "SELECT pk, insee_code FROM authority ORDER BY name LIMIT 1").fetchone()
    return int(pk), str(insee)


def _procedure(conn: sqlite3.Connection, authority_pk: int) -> int:
    from desktop.store.intake import procedures_for

    return int(procedures_for(conn, authority_pk)[0].key)


def test_a_mail_becomes_a_request_with_its_files(demo_db: sqlite3.Connection) -> None:
    authority, _insee = _authority(demo_db)
    raw = eml(files=(("plan.pdf", pdf_bytes(), "application/pdf"),
                     ("facture.pdf", b"MZ\x90\x00 programme", "application/pdf"),
                     ("archive.zip", zip_bytes(), "application/zip")))
    draft = read_mail(demo_db, authority, "demande.eml", raw, now=NOW)
    assert draft.citizen is None and draft.new_citizen is not None
    assert (draft.new_citizen.last_name, draft.new_citizen.first_name) == ("Roy", "Élise")
    assert draft.received_at == SENT and draft.existing is None
    assert [(f.name, f.accepted) for f in draft.files] == [
        ("plan.pdf", True), ("facture.pdf", False), ("archive.zip", False)]
    assert "n'est pas un PDF, un JPG ou un PNG" in (draft.files[1].reason or "")
    done = register_mail(demo_db, draft, draft.entry(authority, _procedure(demo_db, authority)),
                         agent_id=None, now=NOW)
    channel, subject, body, received = demo_db.execute(
        "SELECT channel, subject, body, received_at FROM request WHERE pk = ?",
        (done.request_pk,)).fetchone()
    assert (channel, subject) == ("email", "Demande de branchement d'eau")
    assert body.startswith("Bonjour") and received.startswith("2026-11-23T08:30")
    assert [r[0] for r in demo_db.execute(
        "SELECT filename FROM attachment WHERE request_pk = ? AND deleted = 0",
        (done.request_pk,))] == ["plan.pdf"]
    refused = [json.loads(r[0])["filename"] for r in demo_db.execute(
        "SELECT detail FROM event WHERE request_pk = ? AND kind = 'attachment_refused'",
        (done.request_pk,))]
    assert refused == ["facture.pdf", "archive.zip"]

    # The same mail again: said, with the number it has, and not registered twice.
    again = read_mail(demo_db, authority, "demande.eml", raw, now=NOW)
    assert again.existing == done
    again_citizen = again.citizen
    assert again_citizen is not None and again_citizen.email == "elise.roy@example.fr"
    count = demo_db.execute("SELECT COUNT(*) FROM request").fetchone()[0]
    with pytest.raises(MailIntakeError, match=f"déjà enregistré : demande n° {done.number}"):
        register_mail(demo_db, again, again.entry(authority, _procedure(demo_db, authority)),
                      agent_id=None, now=NOW)
    assert demo_db.execute("SELECT COUNT(*) FROM request").fetchone()[0] == count


def test_the_sender_is_found_by_address(demo_db: sqlite3.Connection) -> None:
    authority, _ = _authority(demo_db)
    pk, email = demo_db.execute(
        "SELECT pk, email FROM citizen WHERE authority_pk = ? AND email != '' LIMIT 1",
        (authority,)).fetchone()
    draft = read_mail(demo_db, authority, "x.eml", eml(sender=f"Quelqu'un <{email.upper()}>"),
                      now=NOW)
    assert draft.citizen is not None and draft.citizen.pk == pk and draft.new_citizen is None


def test_too_many_files_are_listed_not_lost(demo_db: sqlite3.Connection) -> None:
    authority, _ = _authority(demo_db)
    files = tuple((f"page-{n:02d}.pdf", pdf_bytes(f"p{n}"), "application/pdf")
                  for n in range(30))
    draft = read_mail(demo_db, authority, "scan.eml", eml(files=files), now=NOW)
    assert len(draft.accepted) == MAX_FILES_PER_REQUEST
    assert len(draft.refused) == 30 - MAX_FILES_PER_REQUEST
    assert "reste dans le courriel « scan.eml »" in (draft.refused[0].reason or "")


def test_no_sender_and_unreadable_mails_are_said(demo_db: sqlite3.Connection) -> None:
    authority, _ = _authority(demo_db)
    draft = read_mail(demo_db, authority, "anonyme.eml", eml(sender=None), now=NOW)
    with pytest.raises(MailIntakeError, match=UNKNOWN_SENDER):
        draft.entry(authority, _procedure(demo_db, authority))
    with pytest.raises(MailIntakeError):
        read_mail(demo_db, authority, "photo.eml", pdf_bytes(), now=NOW)


def test_a_failure_inside_leaves_nothing(demo_db: sqlite3.Connection) -> None:
    """The Message-ID row is written last: when it fails, the request, the citizen and the
    files written before it in the same transaction go too."""
    authority, _ = _authority(demo_db)
    draft = read_mail(demo_db, authority, "a.eml",
                      eml(files=(("plan.pdf", pdf_bytes(), "application/pdf"),)), now=NOW)
    before = [demo_db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("request", "citizen", "attachment", "event")]
    demo_db.execute("CREATE TRIGGER refuse BEFORE INSERT ON mail_registration "
                    "BEGIN SELECT RAISE(ABORT, 'disque plein'); END")
    with pytest.raises(Exception, match="disque plein"):
        register_mail(demo_db, draft, draft.entry(authority, _procedure(demo_db, authority)),
                      agent_id=None, now=NOW)
    assert before == [demo_db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                      for t in ("request", "citizen", "attachment", "event")]


def run_import(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop", "import-mail", *args, "--database", str(db)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen"},
    )


def test_the_command_registers_each_mail_once(demo_db_path: Path, tmp_path: Path) -> None:
    conn = connect(demo_db_path)
    _pk, insee = _authority(conn)
    conn.close()
    first = tmp_path / "branchement.eml"
    first.write_bytes(eml(files=(("plan.pdf", pdf_bytes(), "application/pdf"),
                                 ("virus.pdf.exe", b"MZ\x90\x00", "application/octet-stream"))))
    second = tmp_path / "sans-id.eml"
    second.write_bytes(eml(sender="DUPONT Jean <jean.dupont@example.fr>", message_id=None,
                           subject="Salle des fêtes"))
    broken = tmp_path / "casse.eml"
    broken.write_bytes(b"\x00\x01 pas un courriel")

    result = run_import(demo_db_path, str(first), str(broken), str(second),
                        "--commune", insee)
    assert result.returncode == 1
    assert "casse.eml :" in result.stderr and "Traceback" not in result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["objet"] for line in lines] == ["Demande de branchement d'eau",
                                                 "Salle des fêtes"]
    assert lines[0]["usager"] == "ROY Élise" and lines[0]["courriel"] == "elise.roy@example.fr"
    assert lines[0]["pieces"][0] == {"nom": "plan.pdf", "acceptee": True, "motif": None}
    assert lines[0]["pieces"][1]["acceptee"] is False and lines[0]["pieces"][1]["motif"]
    assert lines[1]["usager"] == "DUPONT Jean"
    assert set(lines[0]) == {"numero", "usager", "courriel", "objet", "pieces"}

    again = run_import(demo_db_path, str(first), "--commune", insee)
    assert again.returncode == 0
    [line] = [json.loads(text) for text in again.stdout.splitlines()]
    assert line["deja_enregistre"] is True and line["numero"] == lines[0]["numero"]
    assert "déjà enregistré" in again.stderr
    conn = connect(demo_db_path)
    assert conn.execute("SELECT COUNT(*) FROM request WHERE subject = ?",
                        ("Demande de branchement d'eau",)).fetchone()[0] == 1
    conn.close()


def test_the_command_says_what_is_wrong_with_its_line(demo_db_path: Path,
                                                      tmp_path: Path) -> None:
    mail = tmp_path / "a.eml"
    mail.write_bytes(eml())
    wrong = run_import(demo_db_path, str(mail), "--commune", "00000")
    assert wrong.returncode == 2 and "Aucune commune de code INSEE « 00000 »" in wrong.stderr
    missing = run_import(tmp_path / "absente.sqlite3", str(mail), "--commune", "88367")
    assert missing.returncode == 2 and "n'existe pas" in missing.stderr
    absent = run_import(demo_db_path, str(tmp_path / "absent.eml"), "--commune", "88367")
    assert absent.returncode == 1 and "Impossible de lire le fichier « absent.eml »" in \
        absent.stderr


def test_html_only_broken_charset_and_html_bomb_still_register(
    demo_db: sqlite3.Connection,
) -> None:
    """The issue's bad mails: each becomes a readable request, nothing raised."""
    authority, _ = _authority(demo_db)
    procedure = _procedure(demo_db, authority)
    html = EmailMessage()
    html["From"] = "Marc Petit <marc.petit@example.fr>"
    html["Subject"] = "=?x-inconnu?B?w4l0YXQgY2l2aWw=?="  # a charset nobody knows
    html["Message-ID"] = "<html-only@example.fr>"
    html.set_content("<p>Bonjour,<br>je demande un <b>acte de naissance</b>.</p>"
                     + "<div>" * 50_000, subtype="html")
    draft = read_mail(demo_db, authority, "html.eml", html.as_bytes(), now=NOW)
    assert "acte de naissance" in draft.body and "<b>" not in draft.body
    assert draft.subject  # replaced characters, never an exception
    assert draft.received_at == NOW  # no Date header: the present
    done = register_mail(demo_db, draft, draft.entry(authority, procedure), agent_id=None,
                         now=NOW)
    assert done.number
