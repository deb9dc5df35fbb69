"""The reply flow in the store: versions, the parapheur, decisions, the reply, opinions.

Each step is checked for its local effect AND for the exact mutation it queues (the contract of
``sync/protocol/wire.py``), on the real SQLite store."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime
from pathlib import Path

import pymupdf
import pytest

from desktop.domain.workflow import TransitionError
from desktop.store.attachments import add_attachment
from desktop.store.database import StoreError
from desktop.store.replies import (
    PROVISIONAL_REFUSAL,
    add_reply_version,
    ask_opinion,
    decide,
    folder_statuses,
    folders_waiting_for,
    give_opinion,
    officials,
    opinions_asked_of,
    reply_versions,
    request_folder,
    send_reply,
    send_to_parapheur,
    unnotified_rejections,
)
from desktop.store.requests import refresh_due
from desktop.store.sync_store import SqliteSyncStore
from sync.protocol.vocabulary import Outcome, Status
from sync.protocol.wire import (
    MUTATION_ARGS,
    Entity,
    FolderState,
    MutationName,
    ParapheurFolderRow,
    PullResponse,
    ReplyMode,
    StepKind,
)
from tests.factories import add_agent, add_authority, add_citizen, add_procedure, add_request

AT = datetime(2026, 11, 23, 9, 15)


def make_pdf(path: Path, text: str = "Réponse", pages: int = 1) -> Path:
    doc = pymupdf.open()
    for n in range(pages):
        page = doc.new_page()
        page.insert_text((72, 72), f"{text} p{n + 1}")
    doc.save(path)
    return path


@pytest.fixture
def world(empty_db: sqlite3.Connection, tmp_path: Path) -> dict[str, object]:
    conn = empty_db
    authority = add_authority(conn)
    clerk_pk, clerk = add_agent(conn, "smartin")
    maire_pk, maire = add_agent(conn, "maire", role="official")
    adjoint_pk, adjoint = add_agent(conn, "adjoint", role="official")
    for pk in (clerk_pk, maire_pk, adjoint_pk):
        conn.execute("INSERT INTO agent_authority VALUES (?, ?)", (pk, authority))
    procedure = add_procedure(conn)
    citizen = add_citizen(conn, authority)
    conn.execute("UPDATE citizen SET email = 'camille@example.org' WHERE pk = ?", (citizen,))
    request = add_request(conn, authority, citizen, procedure, status="drafting",
                          acknowledged_at="2026-11-17T10:00:00")
    # A request the server knows (version > 0): its changes are queued.
    conn.execute("UPDATE request SET version = 7 WHERE pk = ?", (request,))
    refresh_due(conn, request)
    pdf = add_attachment(conn, request, make_pdf(tmp_path / "reponse.pdf"))
    annex = add_attachment(conn, request, make_pdf(tmp_path / "plan.pdf", "Plan"))
    return {"conn": conn, "request": request, "clerk": clerk, "maire": maire,
            "adjoint": adjoint, "pdf": pdf, "annex": annex, "authority": authority}


def queued(conn: sqlite3.Connection, name: MutationName) -> list[dict[str, object]]:
    rows = conn.execute(
        "SELECT args, base_version FROM sync_outbox WHERE name = ? ORDER BY mutation_id",
        (name.value,),
    ).fetchall()
    for args, _base in rows:  # what the server will validate
        MUTATION_ARGS[name].model_validate(json.loads(args))
    return [json.loads(r[0]) | {"_base": r[1]} for r in rows]


def status_of(conn: sqlite3.Connection, pk: int) -> tuple[str, str | None, str | None]:
    row = conn.execute("SELECT status, outcome, due_date FROM request WHERE pk = ?",
                       (pk,)).fetchone()
    return row[0], row[1], row[2]


def test_officials_come_from_the_agents_with_role_official(world: dict) -> None:
    names = [o.name for o in officials(world["conn"], world["authority"])]
    assert names == ["Adjoint", "Maire"]


def test_send_to_parapheur_applies_locally_and_queues_the_exact_mutation(world: dict) -> None:
    conn = world["conn"]
    folder_id = send_to_parapheur(
        conn, world["request"], main_attachment_id=world["pdf"], annex_ids=[world["annex"]],
        steps=[(StepKind.VISA, world["adjoint"]), (StepKind.SIGNATURE, world["maire"])],
        public_annotation="Pour signature", private_annotation="Urgent",
        wished_date=date(2026, 11, 30), agent_id=world["clerk"], at=AT,
    )
    assert status_of(conn, world["request"])[0] == Status.AT_PARAPHEUR
    folder = request_folder(conn, world["request"])
    assert folder is not None and folder.id == folder_id
    assert folder.status_text == "en attente d'envoi"
    assert folder_statuses(conn, [world["request"]]) == {world["request"]: "en attente d'envoi"}
    [args] = queued(conn, MutationName.PARAPHEUR_SEND)
    request_id = conn.execute("SELECT id FROM request WHERE pk = ?",
                              (world["request"],)).fetchone()[0]
    authority_id = conn.execute("SELECT id FROM authority").fetchone()[0]
    assert args == {
        "folder_id": folder_id, "authority_id": authority_id, "request_id": request_id,
        "title": "Réponse à la demande 2026-000123 — Inscription à l'école",
        "main_attachment_id": world["pdf"], "annex_ids": [world["annex"]],
        "steps": [{"kind": "visa", "official_id": world["adjoint"]},
                  {"kind": "signature", "official_id": world["maire"]}],
        "public_annotation": "Pour signature", "private_annotation": "Urgent",
        "wished_date": "2026-11-30", "_base": 7,
    }
    # The visa comes first: the maire has nothing waiting yet, the adjoint has.
    assert [f.id for f in folders_waiting_for(conn, world["adjoint"])] == [folder_id]
    assert folders_waiting_for(conn, world["maire"]) == []


def test_a_circuit_must_end_with_a_signature_and_start_from_a_draft(world: dict) -> None:
    conn = world["conn"]
    with pytest.raises(StoreError, match="signature"):
        send_to_parapheur(conn, world["request"], main_attachment_id=world["pdf"],
                          steps=[(StepKind.VISA, world["adjoint"])], agent_id=None, at=AT)
    conn.execute("UPDATE request SET status = 'closed' WHERE pk = ?", (world["request"],))
    with pytest.raises(TransitionError, match="Close"):
        send_to_parapheur(conn, world["request"], main_attachment_id=world["pdf"],
                          steps=[(StepKind.SIGNATURE, world["maire"])], agent_id=None, at=AT)
    assert queued(conn, MutationName.PARAPHEUR_SEND) == []
    # From « Accusée » it goes through « Réponse en rédaction », as on the server.
    conn.execute("UPDATE request SET status = 'acknowledged' WHERE pk = ?", (world["request"],))
    send_to_parapheur(conn, world["request"], main_attachment_id=world["pdf"],
                      steps=[(StepKind.SIGNATURE, world["maire"])], agent_id=None, at=AT)
    moves = [json.loads(r[0]) for r in conn.execute(
        "SELECT detail FROM event WHERE kind = 'status_changed' ORDER BY pk")]
    assert moves == [{"from": "acknowledged", "to": "drafting"},
                     {"from": "drafting", "to": "at_parapheur"}]


def _sent(world: dict) -> str:
    return send_to_parapheur(
        world["conn"], world["request"], main_attachment_id=world["pdf"],
        steps=[(StepKind.VISA, world["adjoint"]), (StepKind.SIGNATURE, world["maire"])],
        agent_id=world["clerk"], at=AT,
    )


def test_decisions_in_order_queue_their_step_positions(world: dict) -> None:
    conn = world["conn"]
    folder_id = _sent(world)
    folder = decide(conn, folder_id, position=1, action="visa", agent_id=world["adjoint"], at=AT)
    assert folder.state == FolderState.VISAED
    assert [f.id for f in folders_waiting_for(conn, world["maire"])] == [folder_id]
    folder = decide(conn, folder_id, position=2, action="sign", agent_id=world["maire"], at=AT)
    assert folder.state == FolderState.SIGNED
    assert [(a["position"], a["action"]) for a in queued(conn, MutationName.PARAPHEUR_DECIDE)] \
        == [(1, "visa"), (2, "sign")]
    # Decided twice (another window, or a PC that had not synced): refused, nothing doubled.
    with pytest.raises(StoreError, match="déjà été traité"):
        decide(conn, folder_id, position=2, action="sign", agent_id=world["maire"], at=AT)
    assert len(queued(conn, MutationName.PARAPHEUR_DECIDE)) == 2


def test_a_rejection_needs_its_comment_and_returns_the_draft(world: dict) -> None:
    conn = world["conn"]
    folder_id = _sent(world)
    with pytest.raises(StoreError, match="motivé"):
        decide(conn, folder_id, position=1, action="reject", comment="  ",
               agent_id=world["adjoint"], at=AT)
    assert queued(conn, MutationName.PARAPHEUR_DECIDE) == []
    folder = decide(conn, folder_id, position=1, action="reject", comment="Revoir le motif",
                    agent_id=world["adjoint"], at=AT)
    assert folder.state == FolderState.REJECTED
    assert status_of(conn, world["request"])[0] == Status.DRAFTING
    [args] = queued(conn, MutationName.PARAPHEUR_DECIDE)
    assert args == {"folder_id": folder_id, "position": 1, "action": "reject",
                    "comment": "Revoir le motif", "_base": 0}


def test_a_pulled_folder_updates_the_local_one_and_a_rejection_is_notified_once(
    world: dict,
) -> None:
    conn = world["conn"]
    folder_id = _sent(world)
    folder = request_folder(conn, world["request"])
    assert folder is not None
    authority_id = conn.execute("SELECT id FROM authority").fetchone()[0]
    request_id = conn.execute("SELECT id FROM request").fetchone()[0]
    row = ParapheurFolderRow.model_validate({
        "id": folder_id, "version": 40, "authority_id": authority_id, "request_id": request_id,
        "title": folder.title, "state": "rejected", "main_attachment_id": world["pdf"],
        "steps": [{"position": 1, "kind": "visa", "official_id": world["adjoint"],
                   "state": "rejected", "comment": "Motif à revoir"},
                  {"position": 2, "kind": "signature", "official_id": world["maire"]}],
        "created_at": "2026-11-23T08:15:00Z", "updated_at": "2026-11-23T09:00:00Z",
        "sending": "sent",
    })
    SqliteSyncStore(conn).apply_rows(Entity.PARAPHEUR_FOLDERS, [row])
    folder = request_folder(conn, world["request"])
    assert folder is not None and folder.status_text == "rejeté : Motif à revoir"
    assert [f.id for f in unnotified_rejections(conn)] == [folder_id]
    assert unnotified_rejections(conn) == []
    assert PullResponse.model_fields["parapheur_folders"]  # the pull carries them


def test_the_reply_answers_the_request_stops_the_clock_and_queues_reply_send(
    world: dict,
) -> None:
    conn = world["conn"]
    assert status_of(conn, world["request"])[2] is not None  # a due date runs
    message_id = send_reply(
        conn, world["request"], mode=ReplyMode.POST, outcome=Outcome.NO_FOLLOW_UP,
        attachment_id=world["pdf"], sent_on=date(2026, 11, 23), agent_id=world["clerk"], at=AT,
    )
    assert status_of(conn, world["request"]) == ("answered", "no_follow_up", None)
    [args] = queued(conn, MutationName.REPLY_SEND)
    request_id = conn.execute("SELECT id FROM request").fetchone()[0]
    assert args == {"id": message_id, "request_id": request_id, "attachment_id": world["pdf"],
                    "mode": "post", "outcome": "no_follow_up", "to_email": None,
                    "subject": "", "body": "", "sent_on": "2026-11-23", "_base": 7}
    kinds = [r[0] for r in conn.execute("SELECT kind FROM event ORDER BY pk")]
    assert kinds[-3:] == ["status_changed", "outcome_set", "reply_sent"]


def test_no_letter_leaves_with_a_provisional_number(world: dict) -> None:
    conn = world["conn"]
    conn.execute("UPDATE request SET number = 'P-2026-0004' WHERE pk = ?", (world["request"],))
    for mode in (ReplyMode.POST, ReplyMode.EMAIL):
        with pytest.raises(StoreError) as refused:
            send_reply(conn, world["request"], mode=mode, outcome=Outcome.ACCEPTED,
                       attachment_id=world["pdf"], to_email="camille@example.org",
                       agent_id=None, at=AT)
        assert str(refused.value) == PROVISIONAL_REFUSAL
    assert status_of(conn, world["request"])[0] == "drafting"
    assert queued(conn, MutationName.REPLY_SEND) == []


def test_an_email_reply_needs_the_address(world: dict) -> None:
    with pytest.raises(StoreError, match="adresse"):
        send_reply(world["conn"], world["request"], mode=ReplyMode.EMAIL,
                   outcome=Outcome.ACCEPTED, attachment_id=world["pdf"], agent_id=None, at=AT)


def test_versions_are_numbered_and_identical_saves_are_one(world: dict, tmp_path: Path) -> None:
    conn = world["conn"]
    conn.execute("UPDATE request SET status = 'acknowledged' WHERE pk = ?", (world["request"],))
    draft = tmp_path / "brouillon.docx"
    draft.write_bytes(b"PK first state")
    first = add_reply_version(conn, world["request"], draft, template="accord.docx",
                              agent_id=world["clerk"], at=AT)
    assert first is not None and first.number == 1 and first.agent == "Smartin"
    assert status_of(conn, world["request"])[0] == "drafting"  # the reply is being drafted
    assert add_reply_version(conn, world["request"], draft, agent_id=None, at=AT) is None
    draft.write_bytes(b"PK second state")
    second = add_reply_version(conn, world["request"], draft, agent_id=None, at=AT)
    assert second is not None and second.number == 2 and second.template == "accord.docx"
    versions = reply_versions(conn, world["request"])
    assert [v.number for v in versions] == [2, 1]
    assert versions[1].docx_path.read_bytes() == b"PK first state"  # kept, re-openable


def test_opinions_asked_and_given(world: dict) -> None:
    conn = world["conn"]
    with pytest.raises(StoreError, match="élu"):
        ask_opinion(conn, world["request"], world["clerk"], agent_id=None, at=AT)
    ask_id = ask_opinion(conn, world["request"], world["maire"], "D'accord pour refuser ?",
                         agent_id=world["clerk"], at=AT)
    [asked] = opinions_asked_of(conn, world["maire"])
    assert (asked.ask_id, asked.question) == (ask_id, "D'accord pour refuser ?")
    assert opinions_asked_of(conn, world["adjoint"]) == []
    give_opinion(conn, world["request"], ask_id, "unfavorable", "Non", agent_id=world["maire"],
                 at=AT)
    assert opinions_asked_of(conn, world["maire"]) == []
    [ask] = queued(conn, MutationName.REQUEST_ASK_OPINION)
    [given] = queued(conn, MutationName.REQUEST_GIVE_OPINION)
    assert (ask["id"], ask["official_id"]) == (ask_id, world["maire"])
    assert (given["ask_id"], given["opinion"], given["comment"]) == (ask_id, "unfavorable", "Non")


def test_the_proof_of_sending_comes_with_the_pull(world: dict) -> None:
    from desktop.store.replies import reply_delivery
    from sync.protocol.wire import MessageRow

    conn = world["conn"]
    request_id, authority_id = conn.execute(
        "SELECT r.id, a.id FROM request r JOIN authority a ON a.pk = r.authority_pk").fetchone()
    assert reply_delivery(conn, world["request"]) is None
    base = {"id": "6f1c1d2e-0000-4000-8000-000000000001", "authority_id": authority_id,
            "request_id": request_id, "direction": "outbound", "channel": "email",
            "subject": "Réponse", "body": "Ci-joint.", "at": "2026-11-23T09:20:00Z",
            "to_email": "camille@example.org"}
    store = SqliteSyncStore(conn)
    store.apply_rows(Entity.MESSAGES, [MessageRow.model_validate(
        {**base, "version": 50, "delivery": "sent", "delivered_at": "2026-11-23T09:21:00Z",
         "smtp_message_id": "<abc@mairie>", "smtp_response": "250 2.0.0 Ok: queued"})])
    delivery = reply_delivery(conn, world["request"])
    assert delivery is not None
    assert delivery.text == ("courriel remis à camille@example.org le 23/11/2026 à 10:21 "
                             "(réponse du serveur : 250 2.0.0 Ok: queued)")
    store.apply_rows(Entity.MESSAGES, [MessageRow.model_validate(
        {**base, "version": 51, "delivery": "failed",
         "failure": "550 5.1.1 Adresse inconnue"})])
    delivery = reply_delivery(conn, world["request"])
    assert delivery is not None
    assert delivery.text == ("courriel NON remis à camille@example.org : "
                             "550 5.1.1 Adresse inconnue")


def test_the_reply_waits_for_the_parapheur_and_may_be_posted_after_an_email(
    world: dict,
) -> None:
    conn = world["conn"]
    folder_id = _sent(world)
    with pytest.raises(TransitionError, match="attend encore au parapheur"):
        send_reply(conn, world["request"], mode=ReplyMode.POST, outcome=Outcome.ACCEPTED,
                   attachment_id=world["pdf"], agent_id=None, at=AT)
    decide(conn, folder_id, position=1, action="visa", agent_id=world["adjoint"], at=AT)
    decide(conn, folder_id, position=2, action="sign", agent_id=world["maire"], at=AT)
    send_reply(conn, world["request"], mode=ReplyMode.EMAIL, outcome=Outcome.ACCEPTED,
               attachment_id=world["pdf"], to_email="camille@example.org", agent_id=None, at=AT)
    # The e-mail bounced: the same decision leaves again by post; another one would not.
    with pytest.raises(TransitionError, match="même décision"):
        send_reply(conn, world["request"], mode=ReplyMode.POST, outcome=Outcome.REJECTED,
                   attachment_id=world["pdf"], agent_id=None, at=AT)
    send_reply(conn, world["request"], mode=ReplyMode.POST, outcome=Outcome.ACCEPTED,
               attachment_id=world["pdf"], sent_on=date(2026, 11, 24), agent_id=None, at=AT)
    assert status_of(conn, world["request"])[:2] == ("answered", "accepted")
    assert [a["mode"] for a in queued(conn, MutationName.REPLY_SEND)] == ["email", "post"]
    conn.execute("UPDATE request SET status = 'closed' WHERE pk = ?", (world["request"],))
    with pytest.raises(TransitionError, match="close"):
        send_reply(conn, world["request"], mode=ReplyMode.POST, outcome=Outcome.ACCEPTED,
                   attachment_id=world["pdf"], agent_id=None, at=AT)


def test_a_version_written_over_a_locked_draft_is_refused_in_french(
    world: dict, tmp_path: Path
) -> None:
    from desktop.store.replies import restore_version

    conn = world["conn"]
    draft = tmp_path / "brouillon.docx"
    draft.write_bytes(b"PK v1")
    version = add_reply_version(conn, world["request"], draft, agent_id=None, at=AT)
    assert version is not None
    locked = tmp_path / "verrou"
    locked.mkdir()
    (locked / "brouillon.docx").mkdir()  # os.replace cannot put a file there, like a lock
    with pytest.raises(StoreError, match="ouvert dans Word"):
        restore_version(conn, version, locked / "brouillon.docx")
    assert not (locked / "brouillon.docx.tmp").exists()
