"""The reply flow through the real push (SQLite and PostgreSQL): to the parapheur, the
officials' decisions (offline, from two PCs), the signed PDF back as attachments, the
rejection, the opinions, and the reply by post or e-mail (a real SMTP server on loopback)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import pymupdf
import pytest

from server.connectors import parapheur as registry
from server.connectors.parapheur.base import (
    Document,
    OutgoingFolder,
    ParapheurConnector,
    RemoteStatus,
)
from server.db.models import MailOutbox, ParapheurFolder
from server.mail import settings as mail_settings
from server.mail.sender import RetryPolicy
from server.services import parapheur_flow as flow
from sync.protocol.wire import FolderState
from tests.server.conftest import Tenant, World
from tests.server.helpers import mutation, new_request, pdf_bytes, png_bytes, upload
from tests.server.smtp import Recorder, smtp_server
from tests.server.test_sync import pull_all, push


class Pc:
    """One desktop install of one agent: its own client id and mutation counter."""

    def __init__(self, world: World, tenant: Tenant, who: str) -> None:
        self.world, self.tenant, self.who = world, tenant, who
        self.client_id = str(uuid.uuid4())
        self.next_id = 1

    def push(self, name: str, args: dict[str, Any]) -> Any:
        result = push(self.world, self.tenant, self.client_id,
                      [mutation(self.client_id, self.next_id, name, args)], self.who)
        self.next_id += 1
        return result.results[0]


def get(world: World, path: str, who: str = "clerk") -> dict[str, Any]:
    response = world.client.get(f"/api/v1/{path}", headers=world.a.headers(who))
    assert response.status_code == 200, response.text
    return dict(response.json())


def events_of(world: World, request_id: str) -> list[dict[str, Any]]:
    rows, _, _ = pull_all(world, world.a)
    return [e for e in rows["events"] if e["request_id"] == request_id]


def wait_for(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
def smtp(world: World) -> Iterator[Recorder]:
    """A real SMTP server on loopback, configured as commune A's outgoing mail."""
    mailer = world.app.state.mailer
    saved = mailer.policy
    mailer.policy = RetryPolicy(delays=(0.2, 0.2), timeout=2.0)
    with smtp_server() as (recorder, port):
        with world.db.write() as session:
            mail_settings.configure(session, world.a.authority_id,
                                    from_address="mairie@commune-a.example.fr",
                                    from_name="Mairie de Commune A", host="127.0.0.1",
                                    port=port, security="none")
        yield recorder
    mailer.policy = saved


def reply_pdf(world: World, request_id: str, text: str = "Votre demande est accordée.") -> str:
    response = upload(world.client, world.a, pdf_bytes(text), "reponse.pdf", request_id)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def send_args(world: World, request_id: str, main_id: str,
              steps: list[tuple[str, str]], **extra: Any) -> dict[str, Any]:
    return {"folder_id": str(uuid.uuid4()), "authority_id": str(world.a.authority_id),
            "request_id": request_id, "title": "Réponse à la demande",
            "main_attachment_id": main_id,
            "steps": [{"kind": k, "official_id": str(world.a.agent_ids[w])} for k, w in steps],
            **extra}


def test_parapheur_circuit_then_reply_by_email(world: World, smtp: Recorder) -> None:
    clerk, admin_pc, official_pc = Pc(world, world.a, "clerk"), Pc(world, world.a, "admin"), \
        Pc(world, world.a, "official")
    req = new_request(world.client, world.a)
    main_id = reply_pdf(world, req["id"])
    annex = upload(world.client, world.a, png_bytes(), "plan.png", req["id"]).json()
    args = send_args(world, req["id"], main_id, [("visa", "admin"), ("signature", "official")],
                     annex_ids=[annex["id"]], public_annotation="Urgent : fête du village",
                     private_annotation="Le maire connaît le demandeur",
                     wished_date="2026-12-15")
    sent = clerk.push("parapheur.send", args)
    assert sent.result == "applied", sent.reason
    request = get(world, f"requests/{req['id']}")
    assert request["status"] == "at_parapheur"
    moves = [(e["data"]["from"], e["data"]["to"]) for e in events_of(world, req["id"])
             if e["kind"] == "status_changed"]
    assert moves == [("received", "drafting"), ("drafting", "at_parapheur")]
    folder = get(world, f"parapheur/folders/{args['folder_id']}")
    assert folder["state"] == "pending" and folder["connector"] == "builtin"
    assert folder["sending"] == "sent" and folder["wished_date"] == "2026-12-15"
    assert folder["private_annotation"] == "Le maire connaît le demandeur"
    assert [a["text"] for a in folder["annotations"]] == ["Urgent : fête du village"]
    # The official cannot sign before the visa: their step does not wait yet.
    early = official_pc.push("parapheur.decide", {"folder_id": args["folder_id"],
                                                  "position": 2, "action": "sign"})
    assert early.result == "conflict" and early.server_row["state"] == "pending"
    visa = admin_pc.push("parapheur.decide", {"folder_id": args["folder_id"], "position": 1,
                                              "action": "visa", "comment": "Bon pour signature"})
    assert visa.result == "applied", visa.reason
    signed = official_pc.push("parapheur.decide", {"folder_id": args["folder_id"],
                                                   "position": 2, "action": "sign"})
    assert signed.result == "applied", signed.reason
    folder = get(world, f"parapheur/folders/{args['folder_id']}")
    assert folder["state"] == "signed"
    rows, _, _ = pull_all(world, world.a)
    attachments = {a["id"]: a for a in rows["attachments"] if a["request_id"] == req["id"]}
    signed_att = attachments[folder["signed_attachment_id"]]
    slip = attachments[folder["bordereau_attachment_id"]]
    assert signed_att["filename"] == "reponse-signe.pdf"
    assert slip["filename"] == "bordereau-reponse.pdf"
    content = world.client.get(f"/api/v1/attachments/{slip['id']}/content",
                               headers=world.a.headers()).content
    slip_text = pymupdf.open(stream=content, filetype="pdf")[0].get_text()
    assert "Urgent : fête du village" in slip_text and "Bon pour signature" in slip_text
    assert "connaît le demandeur" not in slip_text  # the private annotation stays private
    decisions = [e["data"] for e in events_of(world, req["id"])
                 if e["kind"] == "parapheur_decision"]
    assert [(d["position"], d["action"]) for d in decisions] == [(1, "visa"), (2, "sign")]

    # The signed reply leaves by e-mail through the real SMTP server on loopback.
    message_id = str(uuid.uuid4())
    reply = clerk.push("reply.send", {
        "id": message_id, "request_id": req["id"], "attachment_id": signed_att["id"],
        "mode": "email", "outcome": "accepted", "to_email": "sophie.durand@example.fr",
        "body": "Madame,\nveuillez trouver ci-joint la réponse de la mairie."})
    assert reply.result == "applied", reply.reason
    request = get(world, f"requests/{req['id']}")
    assert request["status"] == "answered" and request["outcome"] == "accepted"
    wait_for(lambda: get(world, f"messages/{message_id}")["delivery"] == "sent")
    message = get(world, f"messages/{message_id}")
    assert message["smtp_response"].startswith("250 OK queued as BANNETTE")
    assert message["delivered_at"] and message["to_email"] == "sophie.durand@example.fr"
    assert message["attachment_ids"] == [signed_att["id"]]
    [received] = smtp.received
    assert received["Message-ID"] == message["smtp_message_id"]
    assert received["Subject"] == (f"Réponse à votre demande n° {request['number']} — "
                                   f"{request['subject']}")
    assert smtp.envelopes == [("mairie@commune-a.example.fr", ["sophie.durand@example.fr"])]
    [pdf] = list(received.iter_attachments())
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == "reponse-signe.pdf"
    text = pymupdf.open(stream=pdf.get_content(), filetype="pdf")[-1].get_text()
    assert "Votre demande est accordée." in text and "Signé électroniquement par Élu A" in text
    kinds = [e["kind"] for e in events_of(world, req["id"])]
    assert kinds[-3:] == ["outcome_set", "status_changed", "reply_sent"]
    # The answer stopped the clock: the PC's implicit decision is refused now.
    late = clerk.push("request.implicit_decision", {
        "request_id": req["id"], "outcome": "implicit_rejection", "arose_on": "2026-11-30"})
    assert late.result == "conflict" and late.server_row["outcome"] == "accepted"


def test_decision_from_two_pcs_signs_once(world: World) -> None:
    clerk = Pc(world, world.a, "clerk")
    laptop, office = Pc(world, world.a, "official"), Pc(world, world.a, "official")
    req = new_request(world.client, world.a)
    args = send_args(world, req["id"], reply_pdf(world, req["id"]), [("signature", "official")])
    assert clerk.push("parapheur.send", args).result == "applied"
    decide = {"folder_id": args["folder_id"], "position": 1, "action": "sign"}
    first = laptop.push("parapheur.decide", decide)
    second = office.push("parapheur.decide", {**decide, "action": "reject",
                                              "comment": "Pas d'accord"})
    assert first.result == "applied"
    assert second.result == "conflict" and second.entity == "parapheur_folders"
    assert second.server_row["state"] == "signed" and "déjà signé" in second.reason
    again = office.push("parapheur.decide", decide)
    assert again.result == "conflict"
    folder = get(world, f"parapheur/folders/{args['folder_id']}")
    assert [s["state"] for s in folder["steps"]] == ["done"]
    rows, _, _ = pull_all(world, world.a)
    signed = [a for a in rows["attachments"] if a["request_id"] == req["id"]
              and a["filename"].endswith("-signe.pdf")]
    assert len(signed) == 1
    assert len([e for e in events_of(world, req["id"])
                if e["kind"] == "parapheur_decision"]) == 1
    assert get(world, f"requests/{req['id']}")["status"] == "at_parapheur"
    status = builtin_status(world, args["folder_id"])
    assert status.is_final and status.is_signed and not status.is_rejected
    assert [h.label for h in status.history] == ["Déposé", "Signé"]


def builtin_status(world: World, folder_id: str) -> RemoteStatus:
    """The built-in parapheur seen through the connector interface."""
    with world.db.read() as session:
        connector = registry.open_connector(session, world.app.state.blobs,
                                            world.a.authority_id, registry.BUILTIN)
        status = connector.status(folder_id)
        if status.is_signed:
            assert connector.signed_document(folder_id).content.startswith(b"%PDF")
        return status


def test_rejection_puts_the_draft_back(world: World) -> None:
    clerk, official = Pc(world, world.a, "clerk"), Pc(world, world.a, "official")
    req = new_request(world.client, world.a)
    main_id = reply_pdf(world, req["id"])
    args = send_args(world, req["id"], main_id, [("signature", "official")])
    assert clerk.push("parapheur.send", args).result == "applied"
    # A reply cannot leave while the folder waits.
    early = clerk.push("reply.send", {"id": str(uuid.uuid4()), "request_id": req["id"],
                                      "attachment_id": main_id, "mode": "post",
                                      "outcome": "accepted"})
    assert early.result == "rejected" and "parapheur" in early.reason
    rejected = official.push("parapheur.decide", {
        "folder_id": args["folder_id"], "position": 1, "action": "reject",
        "comment": "La date de l'arrêté est fausse"})
    assert rejected.result == "applied", rejected.reason
    assert get(world, f"requests/{req['id']}")["status"] == "drafting"
    folder = get(world, f"parapheur/folders/{args['folder_id']}")
    assert folder["state"] == "rejected" and folder["signed_attachment_id"] is None
    [decision] = [e for e in events_of(world, req["id"]) if e["kind"] == "parapheur_decision"]
    assert decision["data"]["comment"] == "La date de l'arrêté est fausse"
    assert decision["data"]["action"] == "reject"
    status = builtin_status(world, args["folder_id"])
    assert status.is_rejected and status.rejection_reason == "La date de l'arrêté est fausse"
    # The corrected draft goes again.
    again = send_args(world, req["id"], reply_pdf(world, req["id"], "Version corrigée"),
                      [("signature", "official")])
    assert clerk.push("parapheur.send", again).result == "applied"
    assert get(world, f"requests/{req['id']}")["status"] == "at_parapheur"


def test_parapheur_send_refusals(world: World) -> None:
    clerk, official = Pc(world, world.a, "clerk"), Pc(world, world.a, "official")
    req = new_request(world.client, world.a)
    other = new_request(world.client, world.a)
    pdf_id = reply_pdf(world, req["id"])
    png = upload(world.client, world.a, png_bytes(), "scan.png", req["id"]).json()["id"]
    elsewhere = reply_pdf(world, other["id"])
    cases = [
        (send_args(world, req["id"], png, [("signature", "official")]), "PDF"),
        (send_args(world, req["id"], elsewhere, [("signature", "official")]),
         "pas une pièce jointe"),
        (send_args(world, req["id"], pdf_id, [("signature", "clerk")]), "élu"),
    ]
    for args, words in cases:
        result = clerk.push("parapheur.send", args)
        assert result.result == "rejected" and words in result.reason, result.reason
    assert official.push("parapheur.send", send_args(
        world, req["id"], pdf_id, [("signature", "official")])).result == "rejected"
    assert get(world, f"requests/{req['id']}")["status"] == "received"
    ok = send_args(world, req["id"], pdf_id, [("signature", "official")])
    assert clerk.push("parapheur.send", ok).result == "applied"
    twice = clerk.push("parapheur.send", {**ok, "folder_id": str(uuid.uuid4())})
    assert twice.result == "rejected" and "déjà au parapheur" in twice.reason


def test_reply_by_post_and_no_follow_up(world: World) -> None:
    clerk = Pc(world, world.a, "clerk")
    req = new_request(world.client, world.a, received_at="2026-11-20T09:30:00+01:00")
    letter = reply_pdf(world, req["id"], "Votre demande est classée sans suite.")
    message_id = str(uuid.uuid4())
    result = clerk.push("reply.send", {"id": message_id, "request_id": req["id"],
                                       "attachment_id": letter, "mode": "post",
                                       "outcome": "no_follow_up", "sent_on": "2026-11-23"})
    assert result.result == "applied", result.reason
    request = get(world, f"requests/{req['id']}")
    assert request["status"] == "answered" and request["outcome"] == "no_follow_up"
    message = get(world, f"messages/{message_id}")
    assert message["delivery"] == "posted" and message["channel"] == "paper"
    assert message["delivered_at"].startswith("2026-11-23")
    assert req["number"] in message["subject"]
    [sent] = [e for e in events_of(world, req["id"]) if e["kind"] == "reply_sent"]
    assert sent["data"]["sent_on"] == "2026-11-23" and sent["data"]["mode"] == "post"
    # Another answer with a different outcome is a conflict; the same one may be re-sent.
    other = clerk.push("reply.send", {"id": str(uuid.uuid4()), "request_id": req["id"],
                                      "attachment_id": letter, "mode": "post",
                                      "outcome": "accepted"})
    assert other.result == "conflict" and other.server_row["outcome"] == "no_follow_up"


def test_reply_refusals(world: World) -> None:
    clerk = Pc(world, world.a, "clerk")
    req = new_request(world.client, world.a)
    provisional = reply_pdf(world, req["id"], "Demande n° P-2026-0007 : accordée")
    bad_number = clerk.push("reply.send", {
        "id": str(uuid.uuid4()), "request_id": req["id"], "attachment_id": provisional,
        "mode": "post", "outcome": "accepted"})
    assert bad_number.result == "rejected"
    assert "P-2026-0007" in bad_number.reason and req["number"] in bad_number.reason
    letter = reply_pdf(world, req["id"], f"Demande n° {req['number']} : accordée")
    for address in ("sophie.durand@example.fr\r\nBcc: pirate@example.com",
                    "sophie@@example.fr", "sophie@localhost", "a b@example.fr",
                    "sophie@example.fr, autre@example.fr"):
        refused = clerk.push("reply.send", {
            "id": str(uuid.uuid4()), "request_id": req["id"], "attachment_id": letter,
            "mode": "email", "outcome": "accepted", "to_email": address})
        assert refused.result == "rejected" and "invalide" in refused.reason, address
    # Commune A has no outgoing-mail settings in this test: nothing would ever leave.
    unconfigured = clerk.push("reply.send", {
        "id": str(uuid.uuid4()), "request_id": req["id"], "attachment_id": letter,
        "mode": "email", "outcome": "accepted", "to_email": "sophie.durand@example.fr"})
    assert unconfigured.result == "rejected" and "pas configuré" in unconfigured.reason
    assert get(world, f"requests/{req['id']}")["status"] == "received"


def test_opinions(world: World) -> None:
    clerk, official, admin = (Pc(world, world.a, w) for w in ("clerk", "official", "admin"))
    req = new_request(world.client, world.a)
    ask_id = str(uuid.uuid4())
    asked = clerk.push("request.ask_opinion", {
        "id": ask_id, "request_id": req["id"], "official_id": str(world.a.agent_ids["official"]),
        "question": "Accorde-t-on la buvette ?"})
    assert asked.result == "applied", asked.reason
    assert clerk.push("request.ask_opinion", {
        "id": str(uuid.uuid4()), "request_id": req["id"],
        "official_id": str(world.a.agent_ids["clerk"])}).result == "rejected"
    assert official.push("request.ask_opinion", {
        "id": str(uuid.uuid4()), "request_id": req["id"],
        "official_id": str(world.a.agent_ids["admin"])}).result == "rejected"
    give = {"id": str(uuid.uuid4()), "request_id": req["id"], "ask_id": ask_id,
            "opinion": "favorable", "comment": "Oui, comme chaque année."}
    not_theirs = admin.push("request.give_opinion", give)
    assert not_theirs.result == "rejected" and "autre élu" in not_theirs.reason
    assert official.push("request.give_opinion", give).result == "applied"
    twice = official.push("request.give_opinion", {**give, "id": str(uuid.uuid4())})
    assert twice.result == "rejected"
    events = {e["kind"]: e["data"] for e in events_of(world, req["id"])}
    assert events["opinion_requested"] == {
        "official_id": str(world.a.agent_ids["official"]), "ask_id": ask_id,
        "question": "Accorde-t-on la buvette ?"}
    assert events["opinion_given"] == {
        "official_id": str(world.a.agent_ids["official"]), "ask_id": ask_id,
        "opinion": "favorable", "comment": "Oui, comme chaque année."}


def test_outbox_row_is_written_with_the_message(world: World, smtp: Recorder) -> None:
    """message.add of an outbound e-mail with an address goes through the same sender."""
    clerk = Pc(world, world.a, "clerk")
    req = new_request(world.client, world.a)
    message_id = str(uuid.uuid4())
    result = clerk.push("message.add", {
        "id": message_id, "request_id": req["id"], "direction": "outbound",
        "channel": "email", "subject": "Pièces manquantes",
        "body": "Merci d'envoyer le justificatif de domicile.",
        "to_email": "Sophie.Durand@Example.FR"})
    assert result.result == "applied", result.reason
    wait_for(lambda: get(world, f"messages/{message_id}")["delivery"] == "sent")
    assert get(world, f"messages/{message_id}")["to_email"] == "Sophie.Durand@example.fr"
    [received] = smtp.received
    assert received["Subject"] == "Pièces manquantes"
    assert "justificatif de domicile" in received.get_body().get_content()
    with world.db.read() as session:
        rows = session.query(MailOutbox).filter_by(message_id=uuid.UUID(message_id)).all()
        assert [(r.state, r.attempts) for r in rows] == [("sent", 1)]
        assert session.query(ParapheurFolder).filter_by(request_id=uuid.UUID(req["id"])
                                                        ).count() == 0


def test_official_offline_decisions_apply_in_order(world: World) -> None:
    """An élu's laptop queued a visa then a signature (two steps of theirs) while offline:
    the one push applies both, in order."""
    clerk, laptop = Pc(world, world.a, "clerk"), Pc(world, world.a, "official")
    req = new_request(world.client, world.a, channel="web")
    assert clerk.push("request.acknowledge", {"request_id": req["id"]}).result == "applied"
    args = send_args(world, req["id"], reply_pdf(world, req["id"]),
                     [("visa", "official"), ("signature", "official")])
    assert clerk.push("parapheur.send", args).result == "applied"
    batch = [mutation(laptop.client_id, 1, "parapheur.decide",
                      {"folder_id": args["folder_id"], "position": 1, "action": "visa"}),
             mutation(laptop.client_id, 2, "parapheur.decide",
                      {"folder_id": args["folder_id"], "position": 2, "action": "sign"})]
    results = push(world, world.a, laptop.client_id, batch, "official").results
    assert [r.result for r in results] == ["applied", "applied"]
    folder = get(world, f"parapheur/folders/{args['folder_id']}")
    assert folder["state"] == "signed" and folder["signed_attachment_id"]
    moves = [(e["data"]["from"], e["data"]["to"]) for e in events_of(world, req["id"])
             if e["kind"] == "status_changed"]
    assert moves == [("received", "acknowledged"), ("acknowledged", "drafting"),
                     ("drafting", "at_parapheur")]


class FakeExternal(ParapheurConnector):
    """A stand-in for an external parapheur (i-Parapheur, Xparaph): only what the flow needs."""

    name = "fake-external"
    deposited: ClassVar[list[OutgoingFolder]] = []
    outcome: ClassVar[RemoteStatus] = RemoteStatus(FolderState.SIGNED)

    def send(self, folder: OutgoingFolder) -> str:
        self.deposited.append(folder)
        return f"remote-{len(self.deposited)}"

    def status(self, remote_id: str) -> RemoteStatus:
        return self.outcome

    def signed_document(self, remote_id: str) -> Document:
        return Document("signe.pdf", pdf_bytes("Signé dans le parapheur externe"))

    def bordereau(self, remote_id: str) -> Document | None:
        return Document("bordereau.pdf", pdf_bytes("Bordereau externe"))

    def archive(self, remote_id: str) -> None:
        pass


@pytest.fixture
def external(world: World) -> Iterator[None]:
    registry.register(FakeExternal.name, lambda config: FakeExternal())
    with world.db.write() as session:
        registry.choose(session, world.a.authority_id, FakeExternal.name, {"url": "x"})
    yield
    registry._FACTORIES.pop(FakeExternal.name)


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "rejected"])
def test_external_connector_is_queued_then_recorded(world: World, external: None,
                                                    signed: bool) -> None:
    """An external parapheur is never called inside the push: the folder waits « queued »
    for the poller, which then records the results through the same flow functions."""
    clerk, official = Pc(world, world.a, "clerk"), Pc(world, world.a, "official")
    req = new_request(world.client, world.a)
    args = send_args(world, req["id"], reply_pdf(world, req["id"]), [("signature", "official")],
                     private_annotation="Pour le maire seulement")
    FakeExternal.deposited.clear()
    assert clerk.push("parapheur.send", args).result == "applied"
    folder = get(world, f"parapheur/folders/{args['folder_id']}")
    assert (folder["connector"], folder["sending"], folder["state"]) == (
        "fake-external", "queued", "draft")
    assert FakeExternal.deposited == []
    assert get(world, f"requests/{req['id']}")["status"] == "at_parapheur"
    refused = official.push("parapheur.decide", {"folder_id": args["folder_id"],
                                                 "position": 1, "action": "sign"})
    assert refused.result == "rejected" and "parapheur externe" in refused.reason
    # What the poller does, outside any push.
    FakeExternal.outcome = RemoteStatus(FolderState.SIGNED) if signed else RemoteStatus(
        FolderState.REJECTED, rejection_reason="Montant erroné")
    blobs = world.app.state.blobs
    with world.db.write() as session:
        row = session.get(ParapheurFolder, uuid.UUID(args["folder_id"]))
        connector = registry.open_connector(session, blobs, row.authority_id, row.connector)
        outgoing = flow.outgoing_folder(session, blobs, row)
        assert outgoing.private_annotation == "Pour le maire seulement"
        assert outgoing.main_document.content.startswith(b"%PDF")
        assert outgoing.steps[0].official_name == "Élu A"
        row.remote_id, row.sending = connector.send(outgoing), "sent"
        status = connector.status(row.remote_id)
        if status.is_signed:
            flow.record_results(session, blobs, row, None,
                                connector.signed_document(row.remote_id),
                                connector.bordereau(row.remote_id))
        else:
            assert status.is_rejected and status.is_final
            flow.record_rejected(session, row, None, status.rejection_reason or "")
    folder = get(world, f"parapheur/folders/{args['folder_id']}")
    request = get(world, f"requests/{req['id']}")
    if signed:
        assert folder["signed_attachment_id"] and folder["bordereau_attachment_id"]
        assert folder["state"] == "signed" and request["status"] == "at_parapheur"
    else:
        assert folder["state"] == "rejected" and request["status"] == "drafting"
        [decision] = [e for e in events_of(world, req["id"])
                      if e["kind"] == "parapheur_decision"]
        assert decision["data"]["comment"] == "Montant erroné"


def test_another_commune_cannot_touch_the_reply_flow(world: World) -> None:
    clerk = Pc(world, world.a, "clerk")
    intruder = Pc(world, world.b, "clerk")
    req = new_request(world.client, world.a)
    main_id = reply_pdf(world, req["id"])
    args = send_args(world, req["id"], main_id, [("signature", "official")])
    assert clerk.push("parapheur.send", args).result == "applied"
    attempts = [
        ("parapheur.send", {**args, "folder_id": str(uuid.uuid4()),
                            "authority_id": str(world.b.authority_id)}),
        ("parapheur.decide", {"folder_id": args["folder_id"], "position": 1,
                              "action": "reject", "comment": "Non"}),
        ("reply.send", {"id": str(uuid.uuid4()), "request_id": req["id"],
                        "attachment_id": main_id, "mode": "post", "outcome": "accepted"}),
        ("request.ask_opinion", {"id": str(uuid.uuid4()), "request_id": req["id"],
                                 "official_id": str(world.a.agent_ids["official"])}),
    ]
    for name, payload in attempts:
        result = intruder.push(name, payload)
        assert result.result == "rejected", name
        assert any(w in result.reason for w in ("introuvable", "rôle", "élus")), result.reason
    assert get(world, f"parapheur/folders/{args['folder_id']}")["state"] == "pending"
