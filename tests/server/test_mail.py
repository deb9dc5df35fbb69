"""Outgoing mail against real SMTP servers on loopback: a refusal (5xx), a deferral (4xx)
then acceptance, a server that never answers (timeout), a send interrupted by a crash; and the
strict address checks. Nothing is ever lost: the message row keeps the state and the reason."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from server.db.database import Database
from server.db.models import MailOutbox, MailSettings
from server.db.types import utcnow
from server.mail import sender
from server.mail import settings as mail_settings
from server.mail.addresses import AddressError, check_address
from server.mail.compose import build
from server.mail.sender import RetryPolicy
from tests.server.conftest import World
from tests.server.helpers import new_request
from tests.server.smtp import Recorder, silent_server, smtp_server
from tests.server.test_migrations import ROOT
from tests.server.test_reply_flow import Pc, events_of, get, reply_pdf, wait_for


@pytest.fixture
def fast_retries(world: World) -> Iterator[None]:
    mailer = world.app.state.mailer
    saved = mailer.policy
    mailer.policy = RetryPolicy(delays=(0.1, 0.1), timeout=3.0)
    yield
    mailer.policy = saved


def point_mail_to(world: World, port: int) -> None:
    with world.db.write() as session:
        mail_settings.configure(session, world.a.authority_id,
                                from_address="mairie@commune-a.example.fr", host="127.0.0.1",
                                port=port, security="none")


def send_reply(world: World, to: str = "usager@example.fr") -> tuple[str, str]:
    req = new_request(world.client, world.a)
    letter = reply_pdf(world, req["id"])
    message_id = str(uuid.uuid4())
    result = Pc(world, world.a, "clerk").push("reply.send", {
        "id": message_id, "request_id": req["id"], "attachment_id": letter, "mode": "email",
        "outcome": "rejected", "to_email": to})
    assert result.result == "applied", result.reason
    return req["id"], message_id


def delivery(world: World, message_id: str) -> str:
    return str(get(world, f"messages/{message_id}")["delivery"])


def attempts(world: World, message_id: str) -> int:
    with world.db.read() as session:
        row = session.query(MailOutbox).filter_by(message_id=uuid.UUID(message_id)).one()
        return row.attempts


def test_refusal_fails_at_once_with_the_reason(world: World, fast_retries: None) -> None:
    with smtp_server() as (recorder, port):
        recorder.rcpt_answers = ["550 5.1.1 Mailbox unknown"]
        point_mail_to(world, port)
        request_id, message_id = send_reply(world, "inconnu@example.fr")
        wait_for(lambda: delivery(world, message_id) == "failed")
    message = get(world, f"messages/{message_id}")
    assert "550 5.1.1 Mailbox unknown" in message["failure"]
    assert "refusé" in message["failure"] and "inconnu@example.fr" in message["failure"]
    assert message["smtp_message_id"] is None and recorder.received == []
    assert attempts(world, message_id) == 1  # a refusal is final: no retry
    [event] = [e for e in events_of(world, request_id) if e["kind"] == "delivery_failed"]
    assert event["data"]["reason"] == message["failure"]
    # The answer itself stands: the request stays answered, the failure is visible on it.
    assert get(world, f"requests/{request_id}")["status"] == "answered"


def test_deferral_is_retried_until_accepted(world: World, fast_retries: None) -> None:
    with smtp_server() as (recorder, port):
        recorder.data_answers = ["451 4.3.0 Try again later"]
        point_mail_to(world, port)
        request_id, message_id = send_reply(world)
        wait_for(lambda: delivery(world, message_id) == "sent")
    message = get(world, f"messages/{message_id}")
    assert message["smtp_response"] == "250 OK queued as BANNETTE0001"
    assert message["failure"] is None and recorder.data_calls >= 2
    assert attempts(world, message_id) >= 2
    assert len(recorder.received) == 1
    assert recorder.received[0]["Message-ID"] == message["smtp_message_id"]
    assert not [e for e in events_of(world, request_id) if e["kind"] == "delivery_failed"]


def test_timeout_is_retried_then_failed_and_nothing_lost(world: World,
                                                         fast_retries: None) -> None:
    world.app.state.mailer.policy = RetryPolicy(delays=(0.1, 0.1), timeout=0.5)
    with silent_server() as port:
        point_mail_to(world, port)
        request_id, message_id = send_reply(world)
        wait_for(lambda: delivery(world, message_id) == "failed")
    message = get(world, f"messages/{message_id}")
    assert "n'a pas répondu à temps" in message["failure"]
    assert "après 3 tentatives" in message["failure"]
    assert attempts(world, message_id) == 3
    assert [e["kind"] for e in events_of(world, request_id)].count("delivery_failed") == 1
    # The commune fixes its settings; the same message (same Message-ID) leaves.
    world.app.state.mailer.policy = RetryPolicy(delays=(0.1, 0.1), timeout=3.0)
    with smtp_server() as (recorder, port):
        point_mail_to(world, port)
        assert sender.retry(world.db, uuid.UUID(message_id))
        world.app.state.mailer.wake()
        wait_for(lambda: delivery(world, message_id) == "sent")
    [received] = recorder.received
    assert received["Message-ID"] == get(world, f"messages/{message_id}")["smtp_message_id"]
    assert [p.get_filename() for p in received.iter_attachments()] == ["reponse.pdf"]


def test_a_send_cut_by_a_crash_is_taken_again(world: World, fast_retries: None) -> None:
    with smtp_server() as (recorder, port):
        point_mail_to(world, port)
        recorder.rcpt_answers = ["421 4.7.0 Closing"]  # first attempt deferred
        _, message_id = send_reply(world)
        wait_for(lambda: attempts(world, message_id) >= 1)
        with world.db.write() as session:  # as if the server died while sending
            row = session.query(MailOutbox).filter_by(message_id=uuid.UUID(message_id)).one()
            row.state = "sending"
            row.updated_at = utcnow() - timedelta(hours=1)
        world.app.state.mailer.wake()
        wait_for(lambda: delivery(world, message_id) == "sent")
    assert len(recorder.received) == 1


@pytest.mark.parametrize("address", [
    "sophie@example.fr\r\nBcc: x@example.com", "sophie@example.fr\nX: y", "sophie",
    "sophie@", "@example.fr", "a@b@example.fr", "sophie@example", "sophie@exa mple.fr",
    "sophie@-example.fr", "sophie..durand@example.fr", "<sophie@example.fr>",
    "sophie@example.fr,x@example.fr", "Sophie <sophie@example.fr>", "",
])
def test_bad_addresses_are_refused(address: str) -> None:
    with pytest.raises(AddressError):
        check_address(address)


def test_good_addresses_are_normalised() -> None:
    assert check_address(" Sophie.Durand+mairie@Example.FR ") == \
        "Sophie.Durand+mairie@example.fr"
    punycode = "mairie-de-bouxières.fr".encode("idna").decode("ascii")
    assert punycode.startswith("xn--")
    assert check_address("contact@mairie-de-bouxières.fr") == f"contact@{punycode}"


def test_subject_cannot_inject_headers() -> None:
    config = mail_settings.MailConfig("smtp", "h", 25, "none", None, None,
                                      "mairie@example.fr", "Mairie\r\nBcc: x@y.fr")
    message = build(config, to="usager@example.fr", subject="Réponse\r\nBcc: pirate@x.fr",
                    body="Bonjour", message_id="<a@example.fr>", date=utcnow(),
                    attachments=[])
    raw = message.as_bytes()
    assert b"\r\nBcc:" not in raw
    assert message["Subject"] == "Réponse Bcc: pirate@x.fr"


def test_recorder_smoke(world: World) -> None:
    """The loopback server fixture really is a server (guards the other tests)."""
    with smtp_server() as (recorder, port):
        import smtplib

        with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
            client.sendmail("a@example.fr", ["b@example.fr"], b"Subject: x\r\n\r\nbody\r\n")
    assert isinstance(recorder, Recorder) and len(recorder.received) == 1


def test_demo_file_transport_keeps_the_mail(world: World) -> None:
    """The demonstration server writes what it would send as .eml files."""
    with world.db.write() as session:
        mail_settings.configure(session, world.a.authority_id, transport="file",
                                from_address="mairie@commune-a.example.fr")
    _, message_id = send_reply(world, "demo@example.fr")
    wait_for(lambda: delivery(world, message_id) == "sent")
    message = get(world, f"messages/{message_id}")
    drop = world.app.state.settings.mail_drop_dir
    [eml] = [p for p in drop.glob("*.eml") if message["smtp_response"].count(p.name)]
    assert message["smtp_message_id"].encode() in eml.read_bytes()


def test_cli_configures_mail_and_demo_seeds_file_transport(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    base = [sys.executable, "-m", "server", "--database-url", url, "--data-dir", str(tmp_path)]
    done = subprocess.run([*base[:3], "init", *base[3:], "--demo"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "courriels-envoyes" in done.stdout
    configure = subprocess.run(
        [*base[:3], "configure", *base[3:], "--authority", "57999",
         "--mail-from", "accueil@bouxieres.example.fr", "--smtp-host", "smtp.example.fr",
         "--smtp-login", "accueil"], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "BANNETTE_SMTP_PASSWORD": "Secret-smtp-1"})
    assert configure.returncode == 0, configure.stderr
    bad = subprocess.run([*base[:3], "configure", *base[3:], "--authority", "57999",
                          "--mail-from", "pas une adresse", "--smtp-host", "smtp.example.fr"],
                         cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 2 and "invalide" in bad.stderr
    db = Database(url)
    try:
        with db.read() as session:
            rows = {r.from_address: r for r in session.query(MailSettings)}
    finally:
        db.dispose()
    assert rows["mairie@saint-remy.example.fr"].transport == "file"
    smtp = rows["accueil@bouxieres.example.fr"]
    assert (smtp.transport, smtp.host, smtp.port, smtp.security) == (
        "smtp", "smtp.example.fr", 587, "starttls")
    assert (smtp.username, smtp.password) == ("accueil", "Secret-smtp-1")
