"""E-mail intake against a REAL IMAP server (Dovecot started by the fixture, TLS with its own
certificate) and the real API on SQLite and PostgreSQL: every new mail becomes a request (or a
message in the thread it answers), is flagged and filed away, never deleted, never registered
twice; bad mail and bad mailboxes give clear French outcomes and lose nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from server.app import create_app
from server.auth.passwords import Passwords
from server.db.database import Database
from server.db.models import (
    Attachment,
    Citizen,
    Event,
    MailboxSettings,
    MailOutbox,
    Message,
    Request,
)
from server.mail import intake_poller, mailbox
from server.mail import settings as mail_settings
from server.mail.intake_poller import IntakePolicy, MailboxPoller, PassReport
from server.seed import SeedAgent, SeedAuthority, seed
from server.services.common import stamp
from sync.protocol.inbound_mail import parse_eml
from sync.protocol.vocabulary import Role
from tests.mail_samples import EXE, ZIP, build_mail
from tests.server.conftest import PASSWORD, World, _codes, make_settings
from tests.server.helpers import new_request, pdf_bytes, png_bytes
from tests.server.imap_server import ImapServer, ImapUnavailable, throwaway_imap
from tests.server.test_sync import pull_all


@pytest.fixture(scope="module")
def imap(request: pytest.FixtureRequest) -> Iterator[ImapServer]:
    try:
        with throwaway_imap() as server:
            yield server
    except ImapUnavailable as exc:
        pytest.skip(f"*** DOVECOT INDISPONIBLE : tests IMAP ignorés — {exc} ***")


class Box:
    """One test's mailbox: its own folders on the shared server, its commune's settings."""

    def __init__(self, world: World, imap: ImapServer) -> None:
        self.world, self.imap = world, imap
        tag = uuid.uuid4().hex[:8]
        self.folder, self.move_to = f"in-{tag}", f"Enregistrés-{tag}"
        with imap.connect() as conn:
            assert conn.create(self.folder)[0] == "OK"
        self.configure()
        self.poller = MailboxPoller(
            world.db, world.app.state.blobs, IntakePolicy(timeout=10), ssl_context=imap.context
        )

    def configure(self, **overrides: Any) -> None:
        values: dict[str, Any] = dict(
            host=self.imap.host, port=self.imap.tls_port, security="tls",
            username=self.imap.user, password=self.imap.password, folder=self.folder,
            move_to=self.move_to,
        )  # fmt: skip
        values.update(overrides)
        with self.world.db.write() as session:
            mailbox.configure(session, self.world.a.authority_id, **values)

    def append(self, raw: bytes) -> None:
        self.imap.append(raw, self.folder)

    def poll(self) -> PassReport:
        [report] = [
            r for r in self.poller.run_once() if r.authority_id == self.world.a.authority_id
        ]
        return report

    def inbox(self) -> list[tuple[str, bytes]]:
        return self.imap.messages(self.folder)

    def filed(self) -> list[tuple[str, bytes]]:
        return self.imap.messages(_imap_name(self.move_to))

    def status(self) -> MailboxSettings:
        with self.world.db.read() as session:
            row = session.get(MailboxSettings, self.world.a.authority_id)
            assert row is not None
            return row


def _imap_name(name: str) -> str:
    return intake_poller.imap_folder(name)


@pytest.fixture
def box(world: World, imap: ImapServer) -> Iterator[Box]:
    made = Box(world, imap)
    yield made
    with world.db.write() as session:  # the shared server database: leave no mailbox behind
        row = session.get(MailboxSettings, world.a.authority_id)
        if row is not None:
            session.delete(row)


#: The message the tests vary (a new Message-ID each time).
mail = partial(
    build_mail,
    subject="Demande de permis de végétaliser",
    text="Bonjour,\nje souhaite végétaliser mon trottoir.\nCordialement",
)


def _request(world: World, request_id: uuid.UUID | None) -> Request:
    with world.db.read() as session:
        row = session.get(Request, request_id)
        assert row is not None
        return row


def _refusals(world: World, request_id: uuid.UUID) -> list[dict[str, Any]]:
    with world.db.read() as session:
        return [
            e.data
            for e in session.execute(
                select(Event).where(Event.request_id == request_id,
                                    Event.kind == "attachment_refused")
            ).scalars()
        ]  # fmt: skip


def _attachments(world: World, request_id: uuid.UUID) -> list[str]:
    with world.db.read() as session:
        return sorted(
            a.filename
            for a in session.execute(
                select(Attachment).where(Attachment.request_id == request_id)
            ).scalars()
        )


def _requests_count(world: World) -> int:
    with world.db.read() as session:
        return len(
            session.execute(
                select(Request.id).where(Request.authority_id == world.a.authority_id)
            ).all()
        )


def test_new_mail_becomes_a_request_filed_away_and_never_twice(world: World, box: Box) -> None:
    pdf, png = pdf_bytes("Plan du trottoir"), png_bytes()
    box.append(mail(files=(("plan.pdf", pdf, "application/pdf"),
                           ("photo.png", png, "image/png"),
                           ("facture.pdf", EXE, "application/pdf"),
                           ("pieces.zip", ZIP, "application/zip"))))  # fmt: skip
    report = box.poll()
    assert report.error is None
    [result] = report.results
    assert result.outcome == "request"
    request = _request(world, result.request_id)
    assert request.channel == "email"
    assert request.subject == "Demande de permis de végétaliser"
    assert request.description == "Bonjour,\nje souhaite végétaliser mon trottoir.\nCordialement"
    assert request.received_at == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    assert request.number == result.number and request.version > 0
    with world.db.read() as session:
        citizen = session.get(Citizen, request.citizen_id)
        assert citizen is not None
        assert (citizen.last_name, citizen.email) == ("Élodie Martin", "elodie.martin@example.fr")
    assert _attachments(world, request.id) == ["photo.png", "plan.pdf"]
    refused = {r["filename"]: r["reason"] for r in _refusals(world, request.id)}
    assert set(refused) == {"facture.pdf", "pieces.zip"}
    assert "n'est pas un PDF, un JPG ou un PNG" in refused["facture.pdf"]
    # Flagged read and moved; the copy in the « rangement » folder is the whole original.
    assert box.inbox() == []
    [(flags, raw)] = box.filed()
    assert "\\Seen" in flags and "\\Deleted" not in flags
    kept = parse_eml(raw)
    assert [a.name for a in kept.attachments][:1] == ["plan.pdf"]
    assert kept.attachments[0].content == pdf and len(kept.attachments) == 4
    # A second pass registers nothing; the PCs pull the request, its citizen, files, events.
    assert box.poll().results == []
    assert _requests_count(world) == 1
    rows, _, _ = pull_all(world, world.a)
    [pulled] = [r for r in rows["requests"] if r["id"] == str(request.id)]
    assert pulled["channel"] == "email"
    assert any(c["email"] == "elodie.martin@example.fr" for c in rows["citizens"])
    assert len([a for a in rows["attachments"] if a["request_id"] == str(request.id)]) == 2
    assert any(e["kind"] == "attachment_refused" for e in rows["events"])


def test_a_known_sender_is_not_created_again(world: World, box: Box) -> None:
    box.append(mail(subject="Première"))
    box.append(mail(subject="Seconde", sender="ELODIE.MARTIN@EXAMPLE.FR"))
    results = box.poll().results
    citizens = {_request(world, r.request_id).citizen_id for r in results}
    assert len(results) == 2 and len(citizens) == 1


def test_without_message_id_the_hash_deduplicates_even_after_a_crash(
    world: World, box: Box
) -> None:
    raw = mail(message_id=None, subject="Sans identifiant")
    box.append(raw)
    [first] = box.poll().results
    assert first.outcome == "request"
    # The poller died after the commit, before the flag: the same mail is still unseen there.
    box.append(raw)
    report = box.poll()
    assert [r.outcome for r in report.results] == ["duplicate"]
    assert _requests_count(world) == 1
    assert box.inbox() == [] and len(box.filed()) == 2


def test_a_reply_to_our_message_lands_in_its_thread(world: World, box: Box) -> None:
    created = new_request(world.client, world.a, channel="email")
    request_id = uuid.UUID(created["id"])
    sent_id = f"<{uuid.uuid4().hex}@mairie.example.fr>"
    with world.db.write() as session:
        session.add(stamp(session, Message(
            id=uuid.uuid4(), authority_id=world.a.authority_id, request_id=request_id,
            direction="outbound", channel="email", subject="Pièce manquante", body="…",
            to_email="elodie.martin@example.fr", delivery="sent", smtp_message_id=sent_id,
        )))  # fmt: skip
    before = _requests_count(world)
    box.append(mail(subject="Re: Pièce manquante", text="Voici le justificatif.",
                    in_reply_to=sent_id,
                    files=(("justificatif.pdf", pdf_bytes(), "application/pdf"),)))  # fmt: skip
    [result] = box.poll().results
    assert result.outcome == "reply" and result.request_id == request_id
    assert _requests_count(world) == before
    with world.db.read() as session:
        message = session.get(Message, result.message_row_id)
        assert message is not None
        assert (message.direction, message.channel, message.body) == (
            "inbound", "email", "Voici le justificatif."
        )  # fmt: skip
        assert len(message.attachment_ids) == 1
    assert _attachments(world, request_id) == ["justificatif.pdf"]
    rows, _, _ = pull_all(world, world.a)
    assert any(m["id"] == str(result.message_row_id) for m in rows["messages"])


def test_bad_mail_gives_clear_french_outcomes_and_loses_nothing(world: World, box: Box) -> None:
    broken_charset = (
        b"From: =?x-unknown?Q?Jos=E9?= <jose@example.fr>\r\n"
        b"Subject: =?x-broken?Q?caf=E9_cr=E8me?=\r\n"
        b"Message-ID: <broken-" + uuid.uuid4().hex.encode() + b"@example.fr>\r\n"
        b"Content-Type: text/plain; charset=x-nonsense\r\n\r\nCaf\xe9.\r\n"
    )
    bomb = "<div>" * 100_000 + "&eacute;x " * 300_000 + "<script>" + "a" * 500_000
    many = tuple((f"scan-{i:02d}.png", png_bytes(), "image/png") for i in range(30))
    box.append(mail(sender=None, subject="Sans expéditeur"))
    box.append(broken_charset)
    box.append(mail(text=None, html=bomb, subject="Bombe HTML"))
    box.append(mail(files=many, subject="Trente pièces"))
    report = box.poll()
    assert report.error is None
    by_subject = {_request(world, r.request_id).subject: r for r in report.results}
    assert set(by_subject) == {"Sans expéditeur", "café crème", "Bombe HTML", "Trente pièces"}
    assert _request(world, by_subject["Sans expéditeur"].request_id).citizen_id is None
    assert _request(world, by_subject["café crème"].request_id).description == "Café."
    bomb_text = _request(world, by_subject["Bombe HTML"].request_id).description
    assert bomb_text.startswith("éx éx") and "Texte tronqué" in bomb_text
    thirty = by_subject["Trente pièces"].request_id
    assert thirty is not None
    assert len(_attachments(world, thirty)) == 10
    refused = _refusals(world, thirty)
    assert len(refused) == 20
    assert all("Au plus 10 pièces jointes par demande" in r["reason"] for r in refused)
    assert box.inbox() == [] and len(box.filed()) == 4


def test_an_unreadable_mail_still_reaches_the_bannette(
    world: World, box: Box, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A tiny size bound stands in for a 40 MB mail: only its headers are fetched.
    monkeypatch.setattr(intake_poller, "MAX_MAIL_BYTES", 1000)
    box.append(mail(subject="Gros envoi", files=(("plan.pdf", pdf_bytes(), "application/pdf"),)))
    [result] = box.poll().results
    assert result.outcome == "unreadable"
    request = _request(world, result.request_id)
    assert request.subject == "Courriel illisible : Gros envoi"
    assert "trop volumineux" in request.description
    assert box.move_to in request.description
    assert request.citizen_id is not None
    [(flags, raw)] = box.filed()
    assert b"plan.pdf" in raw  # the original, whole, kept in the mailbox
    assert box.poll().results == []


def test_starttls_and_plain_loopback(world: World, box: Box) -> None:
    box.configure(port=box.imap.plain_port, security="starttls")
    box.append(mail(subject="Par STARTTLS"))
    assert [r.outcome for r in box.poll().results] == ["request"]
    box.configure(port=box.imap.plain_port, security="none")
    box.append(mail(subject="En clair sur 127.0.0.1"))
    assert [r.outcome for r in box.poll().results] == ["request"]


def test_wrong_password_then_fixed_loses_nothing(world: World, box: Box) -> None:
    box.configure(password="mauvais")
    box.append(mail(subject="En attente"))
    report = box.poll()
    assert report.results == []
    assert report.error is not None and "mot de passe refusé" in report.error
    status = box.status()
    assert status.failures == 1 and status.last_error == report.error
    assert status.next_poll_at is not None
    shown = world.client.get(  # what the administrator sees
        f"/api/v1/authorities/{world.a.authority_id}/mailbox", headers=world.a.headers("admin")
    ).json()
    assert shown["last_error"] == report.error and shown["failures"] == 1
    assert "mauvais" not in str(shown)
    # Not retried before its delay has passed.
    assert all(r.authority_id != world.a.authority_id for r in box.poller.run_once())
    [(flags, _)] = box.inbox()
    assert "\\Seen" not in flags
    # The administrator fixes the password through the API: retried at once, registered.
    response = world.client.put(
        f"/api/v1/authorities/{world.a.authority_id}/mailbox",
        headers=world.a.headers("admin"),
        json={"host": box.imap.host, "port": box.imap.tls_port, "security": "tls",
              "username": box.imap.user, "password": box.imap.password,
              "folder": box.folder, "move_to": box.move_to},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["last_error"] is None
    assert [r.outcome for r in box.poll().results] == ["request"]
    assert box.status().failures == 0


def test_server_down_and_untrusted_certificate(world: World, box: Box) -> None:
    from tests.server.pg_cluster import free_port

    box.configure(port=free_port())
    report = box.poll()
    assert report.error is not None and "refuse la connexion" in report.error
    box.configure()
    untrusted = MailboxPoller(world.db, world.app.state.blobs, IntakePolicy(timeout=10))
    [report] = [r for r in untrusted.run_once() if r.authority_id == world.a.authority_id]
    assert report.error is not None and "certificat" in report.error
    box.configure(folder="dossier-inexistant")
    assert "introuvable" in (box.poll().error or "")


def test_mailbox_settings_api(world: World) -> None:
    url = f"/api/v1/authorities/{world.a.authority_id}/mailbox"
    body = {"host": "imap.example.fr", "username": "mairie@example.fr", "password": "s3cret"}
    assert world.client.put(url, headers=world.a.headers("clerk"), json=body).status_code == 403
    assert world.client.get(url, headers=world.b.headers()).status_code == 404
    assert world.client.get(url, headers=world.a.headers("admin")).status_code == 404
    response = world.client.put(url, headers=world.a.headers("admin"), json=body)
    assert response.status_code == 200, response.text
    shown = response.json()
    assert shown["has_password"] is True and "password" not in shown
    assert "s3cret" not in response.text
    assert shown["security"] == "tls" and shown["port"] == 993
    # Without a password the stored one is kept.
    kept = world.client.put(url, headers=world.a.headers("admin"),
                            json={**body, "password": None, "move_to": "Classés"})  # fmt: skip
    assert kept.status_code == 200 and kept.json()["has_password"] is True
    with world.db.read() as session:
        row = session.get(MailboxSettings, world.a.authority_id)
        assert row is not None and row.password == "s3cret" and row.move_to == "Classés"
    plain = world.client.put(
        url, headers=world.a.headers("admin"), json={**body, "security": "none"}
    )
    assert plain.status_code == 422
    assert "sans chiffrement" in plain.json()["detail"]
    same = world.client.put(url, headers=world.a.headers("admin"),
                            json={**body, "move_to": "INBOX"})  # fmt: skip
    assert same.status_code == 422 and "différent" in same.json()["detail"]
    assert world.client.post(url + "/poll", headers=world.a.headers("admin")).status_code == 202
    with world.db.write() as session:
        row = session.get(MailboxSettings, world.a.authority_id)
        session.delete(row)


def test_the_app_runs_the_poller_with_its_settings(
    imap: ImapServer, tmp_path: Path, database_url: str
) -> None:
    """The poller thread starts and stops with the app, trusts the CA of BANNETTE_MAILBOX_CA_FILE
    and registers what arrives, without anyone calling it."""
    settings = make_settings(
        tmp_path, database_url, mailbox_poller=True, mailbox_poll_seconds=0.2,
        mailbox_ca_file=imap.cert,
    )  # fmt: skip
    app = create_app(settings)
    tag = uuid.uuid4().hex[:8]
    with imap.connect() as conn:
        assert conn.create(f"in-{tag}")[0] == "OK"
    imap.append(mail(subject="Arrivé tout seul"), f"in-{tag}")
    code = f"{next(_codes) % 100000:05d}"
    ids = seed(
        app.state.db,
        Passwords(1, 1024, 1),
        authorities=[SeedAuthority(f"Commune {tag}", code, "10")],
        agents=[SeedAgent(f"clerk-{tag}", "Clerc", Role.CLERK, PASSWORD, [code])],
    )
    authority_id = ids[code]
    with app.state.db.write() as session:
        mailbox.configure(
            session, authority_id, host=imap.host, port=imap.tls_port, username=imap.user,
            password=imap.password, folder=f"in-{tag}", move_to=f"done-{tag}",
        )  # fmt: skip
    with TestClient(app):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with app.state.db.read() as session:
                found = session.execute(
                    select(Request).where(Request.authority_id == authority_id)
                ).scalar_one_or_none()
            if found is not None:
                break
            time.sleep(0.1)
    assert found is not None and found.subject == "Arrivé tout seul"
    assert app.state.mailbox_poller.thread._thread is None  # stopped with the app
    with app.state.db.write() as session:  # the shared database: leave no mailbox behind
        session.delete(session.get(MailboxSettings, authority_id))
    app.state.db.dispose()


def test_the_registration_receipt_is_mailed_back_and_its_answer_threads(
    world: World, box: Box
) -> None:
    with world.db.write() as session:
        mail_settings.configure(
            session, world.a.authority_id, from_address="mairie@a.example.fr", transport="file"
        )
    box.append(mail(subject="Demande de badge"))
    robot = mail(subject="Réponse automatique : absent").replace(
        b"Subject:", b"Auto-Submitted: auto-replied\r\nSubject:", 1
    )
    box.append(robot)
    first, second = box.poll().results
    with world.db.read() as session:
        receipts = {
            m.request_id: m
            for m in session.execute(
                select(Message).where(Message.authority_id == world.a.authority_id,
                                      Message.direction == "outbound")
            ).scalars()
        }  # fmt: skip
        assert set(receipts) == {first.request_id}  # never to a robot
        receipt = receipts[first.request_id]
        assert receipt.to_email == "elodie.martin@example.fr"
        assert first.number and first.number in receipt.subject
        assert "ne vaut pas accusé de réception" in receipt.body
        outbox = session.execute(
            select(MailOutbox).where(MailOutbox.message_id == receipt.id)
        ).scalar_one()
        assert outbox.state == "queued"
    # The citizen answers the receipt: the answer joins the request, no new request.
    box.append(mail(subject="Re: Accusé", text="Voici mon adresse.", in_reply_to=outbox.header_id))
    [answer] = box.poll().results
    assert (answer.outcome, answer.request_id) == ("reply", first.request_id)


def test_without_move_the_mail_is_copied_and_left_read(
    world: World, box: Box, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = intake_poller.MailboxSession.__init__

    def without_move(self: intake_poller.MailboxSession, *args: Any) -> None:
        opened(self, *args)
        self.capabilities.discard("MOVE")  # an old server: COPY only

    monkeypatch.setattr(intake_poller.MailboxSession, "__init__", without_move)
    box.append(mail(subject="Serveur ancien"))
    assert [r.outcome for r in box.poll().results] == ["request"]
    [(flags, _)] = box.inbox()  # never deleted: the original stays, read
    assert "\\Seen" in flags and "\\Deleted" not in flags
    assert len(box.filed()) == 1
    assert box.poll().results == []


def test_one_server_process_at_a_time_per_mailbox(world: World, box: Box) -> None:
    other = MailboxPoller(world.db, world.app.state.blobs, ssl_context=box.imap.context)
    now = datetime.now(UTC)

    def claims(poller: MailboxPoller) -> list[uuid.UUID]:
        taken: set[uuid.UUID] = set()
        while (config := poller.claim(now, taken)) is not None:
            taken.add(config.authority_id)
        return sorted(taken)

    mine = claims(box.poller)
    assert world.a.authority_id in mine
    assert world.a.authority_id not in claims(other)  # leased by the first process
    with world.db.write() as session:  # give the leases back
        for authority_id in mine:
            row = session.get(MailboxSettings, authority_id)
            if row is not None:
                row.locked_until = None


def test_the_command_line_sets_the_mailbox(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    root = Path(__file__).resolve().parents[2]
    base = [sys.executable, "-m", "server"]
    common = ["--database-url", url, "--data-dir", str(tmp_path)]
    done = subprocess.run([*base, "init", *common], cwd=root, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    configure = [*base, "configure", *common, "--authority", "10999", "--imap-host",
                 "imap.example.fr", "--imap-login", "mairie@example.fr", "--imap-move-to",
                 "Enregistrés"]  # fmt: skip
    env = {**os.environ, "BANNETTE_IMAP_PASSWORD": "s3cret"}
    done = subprocess.run(configure, cwd=root, capture_output=True, text=True, timeout=120,
                          env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "relevée par le serveur" in done.stdout
    refused = subprocess.run([*configure, "--imap-security", "none"], cwd=root,
                             capture_output=True, text=True, timeout=120, env=env)  # fmt: skip
    assert refused.returncode == 2 and "sans chiffrement" in refused.stderr
    db = Database(url)
    try:
        with db.read() as session:
            [row] = session.execute(select(MailboxSettings)).scalars().all()
            assert (row.host, row.password, row.move_to, row.security) == (
                "imap.example.fr", "s3cret", "Enregistrés", "tls"
            )  # fmt: skip
    finally:
        db.dispose()
