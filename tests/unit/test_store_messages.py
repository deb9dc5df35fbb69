"""The request's thread in the store: writing to the citizen (queued, attachments checked),
messages given by other means, incoming messages pulled and marked read, the bannette's mark.
Real SQLite store; each write is checked for the exact mutations it queues."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pymupdf
import pytest

from desktop.store.database import StoreError
from desktop.store.inbox import InboxRepository
from desktop.store.messages import (
    NO_SERVER,
    Outgoing,
    mark_read,
    recipient,
    thread,
    unread_count,
    write_to_citizen,
)
from desktop.store.sync_store import SqliteSyncStore
from sync.protocol.vocabulary import Channel
from sync.protocol.wire import (
    MUTATION_ARGS,
    Entity,
    MessageDirection,
    MessageRow,
    MutationName,
)
from tests.conftest import migration_version
from tests.factories import add_agent, add_authority, add_citizen, add_procedure, add_request

#: 10:15 in Paris (UTC+1 in November).
NOW = datetime(2026, 11, 23, 9, 15, tzinfo=UTC)


def make_pdf(path: Path) -> Path:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Plan cadastral")
    doc.save(path)
    return path


@pytest.fixture
def world(empty_db: sqlite3.Connection) -> dict[str, object]:
    conn = empty_db
    authority = add_authority(conn)
    agent_pk, agent = add_agent(conn, "smartin")
    procedure = add_procedure(conn)
    citizen = add_citizen(conn, authority)
    conn.execute("UPDATE citizen SET email = 'camille@example.org' WHERE pk = ?", (citizen,))
    request = add_request(conn, authority, citizen, procedure)
    conn.execute("UPDATE request SET version = 7 WHERE pk = ?", (request,))  # server knows it
    conn.commit()
    return {"conn": conn, "request": request, "agent": agent, "citizen": citizen}


def _outbox(conn: sqlite3.Connection) -> list[tuple[str, dict[str, object]]]:
    return [(r[0], json.loads(r[1])) for r in conn.execute(
        "SELECT name, args FROM sync_outbox ORDER BY mutation_id")]


def test_an_email_is_queued_with_its_file_and_shown_waiting(world: dict, tmp_path: Path) -> None:
    conn, request = world["conn"], world["request"]
    who = recipient(conn, request)
    assert who.email == "camille@example.org" and who.shared
    assert who.subject == f"Votre demande n° {who.number}"
    plan = make_pdf(tmp_path / "plan.pdf")
    message_id = write_to_citizen(
        conn, request, Outgoing(who.subject, "Bonjour,\nvoici le plan.", Channel.EMAIL,
                                who.email, (plan,)),
        agent_id=world["agent"], now=NOW)
    [message] = thread(conn, request)
    assert message.id == message_id and not message.incoming
    assert message.state == "en attente d'envoi"
    assert message.agent is not None and message.at.hour == 10  # the commune's clock
    assert len(message.attachment_ids) == 1
    (link, link_args), (add, add_args) = _outbox(conn)
    assert (link, add) == (MutationName.ATTACHMENT_LINK, MutationName.MESSAGE_ADD)
    assert add_args["attachment_ids"] == [link_args["id"]]
    assert add_args["to_email"] == "camille@example.org" and add_args["direction"] == "outbound"
    MUTATION_ARGS[MutationName.MESSAGE_ADD].model_validate(add_args)


@pytest.mark.parametrize(("outgoing", "expected"), [
    (Outgoing("Objet", "Texte", Channel.EMAIL, ""), "Indiquez l'adresse électronique"),
    (Outgoing("Objet", "Texte", Channel.EMAIL, "camille@@example"), "invalide"),
    (Outgoing("Objet", "Texte", Channel.EMAIL, "a@b.fr\r\nBcc: x@y.fr"), "invalide"),
    (Outgoing("", "Texte", Channel.EMAIL, "a@b.fr"), "L'objet du message est obligatoire"),
    (Outgoing("x" * 201, "Texte", Channel.EMAIL, "a@b.fr"), "200 au plus"),
    (Outgoing("Objet", "  ", Channel.PAPER), "Le message est vide"),
    (Outgoing("Objet", "Texte", Channel.WEB), "Choisissez comment"),
])
def test_bad_messages_are_refused_in_french_and_nothing_is_written(
    world: dict, outgoing: Outgoing, expected: str,
) -> None:
    conn, request = world["conn"], world["request"]
    with pytest.raises(StoreError, match=expected):
        write_to_citizen(conn, request, outgoing, agent_id=None, now=NOW)
    assert thread(conn, request) == [] and _outbox(conn) == []


def test_a_disguised_file_refuses_the_whole_message(world: dict, tmp_path: Path) -> None:
    conn, request = world["conn"], world["request"]
    fake = tmp_path / "facture.pdf"
    fake.write_bytes(b"MZ\x90\x00 programme")
    good = make_pdf(tmp_path / "plan.pdf")
    with pytest.raises(StoreError, match="n'est pas un PDF, un JPG ou un PNG"):
        write_to_citizen(conn, request, Outgoing("Objet", "Texte", Channel.EMAIL,
                                                 "a@b.fr", (good, fake)),
                         agent_id=None, now=NOW)
    assert thread(conn, request) == [] and _outbox(conn) == []
    assert conn.execute("SELECT COUNT(*) FROM attachment").fetchone()[0] == 0


def test_other_means_are_recorded_and_local_requests_send_no_email(world: dict) -> None:
    conn, request = world["conn"], world["request"]
    write_to_citizen(conn, request, Outgoing("Rappel", "Appelée pour le plan.", Channel.PHONE),
                     agent_id=None, now=NOW)
    [message] = thread(conn, request)
    assert message.channel is Channel.PHONE and message.state == "" and message.to_email is None
    [(name, args)] = _outbox(conn)
    assert name == MutationName.MESSAGE_ADD and args["to_email"] is None
    conn.execute("UPDATE request SET version = 0 WHERE pk = ?", (request,))
    conn.execute("DELETE FROM sync_outbox")
    conn.commit()
    with pytest.raises(StoreError) as refused:
        write_to_citizen(conn, request, Outgoing("Objet", "Texte", Channel.EMAIL, "a@b.fr"),
                         agent_id=None, now=NOW)
    assert str(refused.value) == NO_SERVER
    assert len(thread(conn, request)) == 1


def _pulled(conn: sqlite3.Connection, request: int, *, version: int, **fields: object) -> None:
    request_id = conn.execute("SELECT id FROM request WHERE pk = ?", (request,)).fetchone()[0]
    authority_id = conn.execute("SELECT id FROM authority").fetchone()[0]
    row = MessageRow(**{
        "id": uuid.uuid4(), "version": version, "authority_id": authority_id,
        "request_id": request_id, "direction": MessageDirection.INBOUND,
        "channel": Channel.EMAIL, "subject": "Re: Votre demande", "body": "Merci, voici.",
        "at": NOW, **fields,
    })
    SqliteSyncStore(conn).apply_rows(Entity.MESSAGES, [row])


def test_an_incoming_message_marks_the_request_until_read(world: dict) -> None:
    conn, request = world["conn"], world["request"]
    repo = InboxRepository(conn)
    assert not repo.rows([request])[request].unread
    _pulled(conn, request, version=20)
    [message] = thread(conn, request)
    assert message.incoming and message.unread and message.body == "Merci, voici."
    assert repo.rows([request])[request].unread and unread_count(conn, request) == 1
    assert mark_read(conn, request, NOW)
    assert not repo.rows([request])[request].unread and not thread(conn, request)[0].unread
    assert not mark_read(conn, request, NOW)


def test_the_proof_of_sending_lands_on_the_queued_row(world: dict) -> None:
    conn, request = world["conn"], world["request"]
    message_id = write_to_citizen(
        conn, request, Outgoing("Objet", "Texte", Channel.EMAIL, "camille@example.org"),
        agent_id=None, now=NOW)
    _pulled(conn, request, version=21, id=uuid.UUID(message_id),
            direction=MessageDirection.OUTBOUND, subject="Objet", body="Texte",
            to_email="camille@example.org", delivery="sent",
            delivered_at=datetime(2026, 11, 23, 9, 20, tzinfo=UTC), smtp_response="250 OK")
    [message] = thread(conn, request)
    assert message.state == "envoyé le 23/11/2026 à 10:20"
    _pulled(conn, request, version=22, id=uuid.UUID(message_id),
            direction=MessageDirection.OUTBOUND, delivery="failed",
            failure="Courriel non remis à camille@example.org : boîte pleine.")
    assert thread(conn, request)[0].state.startswith("échec : Courriel non remis")


def test_the_migration_keeps_older_incoming_messages_read(tmp_path: Path) -> None:
    from desktop.store.database import apply_migrations, connect

    conn = connect(tmp_path / "old.sqlite3", target=migration_version("mail_thread") - 1)
    authority = add_authority(conn)
    citizen = add_citizen(conn, authority)
    request = add_request(conn, authority, citizen, add_procedure(conn))
    conn.execute("INSERT INTO message (id, request_pk, direction, channel, at) "
                 "VALUES ('m1', ?, 'inbound', 'email', '2026-11-20T08:00:00+00:00')", (request,))
    conn.commit()
    apply_migrations(conn)
    assert unread_count(conn, request) == 0


def test_a_message_the_server_refuses_says_so_in_the_thread(world: dict) -> None:
    from sync.protocol.wire import MutationOutcome, MutationResult
    from sync.store import Answered

    conn, request = world["conn"], world["request"]
    write_to_citizen(conn, request, Outgoing("Objet", "Texte", Channel.EMAIL, "a@b.fr"),
                     agent_id=None, now=NOW)
    store = SqliteSyncStore(conn)
    [entry] = store.pending(10)
    store.record_answers([Answered(entry, MutationResult(
        mutation_id=entry.mutation_id, result=MutationOutcome.REJECTED,
        reason="L'envoi des courriels n'est pas configuré pour cette commune."))])
    [message] = thread(conn, request)
    assert message.delivery == "failed"
    assert message.state == ("échec : refusé par le serveur : L'envoi des courriels n'est pas "
                             "configuré pour cette commune.")
