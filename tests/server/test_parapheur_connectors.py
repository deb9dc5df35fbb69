"""The external parapheurs end to end (SQLite and PostgreSQL): a commune set to i-Parapheur or
Xparaph, the desktop's ``parapheur.send`` through the real push, the poller (driven by
``run_once`` with its own clock) depositing into a fake parapheur on loopback, the fake's
officials deciding, and the signed PDF and bordereau coming back as attachments the desktops
pull. Also: rejection with its reason, garbage answers, an unreachable parapheur (queued, then
retried with backoff), an expired token, a folder stuck for days, and two server processes."""

from __future__ import annotations

import threading
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pymupdf
import pytest

from server.__main__ import main
from server.auth.passwords import Passwords
from server.connectors import parapheur as registry
from server.connectors.parapheur.base import (
    CircuitStep,
    ConnectorError,
    Document,
    OutgoingFolder,
)
from server.connectors.parapheur.iparapheur import IparapheurConnector
from server.connectors.parapheur.poller import ParapheurPoller, PollPolicy
from server.connectors.parapheur.xparaph import XparaphConnector, envelope
from server.db.database import Database
from server.db.migrate import upgrade
from server.db.models import Agent, ParapheurFolder, ParapheurSettings
from server.seed import SeedAgent, SeedAuthority, seed
from sync.protocol.vocabulary import Role
from sync.protocol.wire import FolderState, StepKind
from tests.server.conftest import PASSWORD, World
from tests.server.fakes import free_port, serve
from tests.server.fakes.iparapheur import FakeIparapheur
from tests.server.fakes.xparaph import FakeXparaph
from tests.server.helpers import pdf_bytes, upload
from tests.server.test_reply_flow import Pc, events_of, get, reply_pdf, send_args, wait_for
from tests.server.test_sync import pull_all

POLICY = PollPolicy(follow_every=300, first_delay=60, max_delay=3600, stuck_after_days=7,
                    lease=600)


@pytest.fixture
def poller(world: World) -> ParapheurPoller:
    """The test's own poller (the app's thread is off in the tests, see conftest)."""
    return ParapheurPoller(world.db, world.app.state.blobs, POLICY)


@pytest.fixture
def ipar() -> Iterator[tuple[FakeIparapheur, str]]:
    fake = FakeIparapheur()
    with serve(fake.app) as url:
        yield fake, url


@pytest.fixture
def xpar(world: World) -> Iterator[tuple[FakeXparaph, str]]:
    fake = FakeXparaph(signataires={login_of(world, "official"): "Élu A"},
                       viseurs={login_of(world, "admin"): "Admin A"})
    with serve(fake.app) as url:
        yield fake, f"{url}/ws-parapheur"


def login_of(world: World, who: str) -> str:
    with world.db.read() as session:
        agent = session.get(Agent, world.a.agent_ids[who])
        assert agent is not None
        return agent.login


def configure(world: World, connector: str, **config: Any) -> None:
    with world.db.write() as session:
        registry.choose(session, world.a.authority_id, connector, config)


def iparapheur_config(url: str, **extra: Any) -> dict[str, Any]:
    return {"url": url, "login": "depot", "password": "secret", "tenant": "tenant-1",
            "desk": "desk-1", "type": "Courrier", "subtype": "Signature maire",
            "timeout": 5, **extra}


def xparaph_config(url: str, **extra: Any) -> dict[str, Any]:
    return {"url": url, "siret": "21100999900017", "login": "secretaire",
            "logingen": "generique", "password": "secret", "docutype": "COURRIER",
            "docustype": "SIGNATURE", "timeout": 5, **extra}


def send(world: World, *, annex: bool = False) -> tuple[dict[str, Any], str]:
    """The clerk's desktop pushes ``parapheur.send``; returns (request, folder id)."""
    clerk = Pc(world, world.a, "clerk")
    req = world.client.post("/api/v1/requests", headers=world.a.headers(), json={
        "id": str(uuid.uuid4()), "authority_id": str(world.a.authority_id),
        "channel": "paper", "subject": "Demande d'autorisation de voirie"}).json()
    extra: dict[str, Any] = {"public_annotation": "Réponse favorable proposée",
                             "private_annotation": "Voir avec le maire",
                             "wished_date": "2026-12-15"}
    if annex:
        annex_row = upload(world.client, world.a, pdf_bytes("Plan annexé"), "plan.pdf", req["id"])
        extra["annex_ids"] = [annex_row.json()["id"]]
    args = send_args(world, req["id"], reply_pdf(world, req["id"], "Autorisation accordée."),
                     [("visa", "admin"), ("signature", "official")], **extra)
    assert clerk.push("parapheur.send", args).result == "applied"
    return req, args["folder_id"]


def row(world: World, folder_id: str) -> ParapheurFolder:
    with world.db.read() as session:
        folder = session.get(ParapheurFolder, uuid.UUID(folder_id))
        assert folder is not None
        return folder


def pulled(world: World, folder_id: str) -> dict[str, Any]:
    rows, _, _ = pull_all(world, world.a)
    return next(f for f in rows["parapheur_folders"] if f["id"] == folder_id)


def pdf_text(world: World, attachment_id: str) -> str:
    response = world.client.get(f"/api/v1/attachments/{attachment_id}/content",
                                headers=world.a.headers())
    assert response.status_code == 200
    with pymupdf.open(stream=response.content, filetype="pdf") as doc:
        return "".join(page.get_text() for page in doc)


def start(world: World, folder_id: str) -> datetime:
    """The poller's clock starts when the push queued the folder."""
    due = row(world, folder_id).next_poll_at
    assert due is not None
    return due


# ---------------------------------------------------------------------------- i-Parapheur
def test_iparapheur_signed_path(world: World, poller: ParapheurPoller,
                                ipar: tuple[FakeIparapheur, str]) -> None:
    fake, url = ipar
    configure(world, "iparapheur", **iparapheur_config(url))
    req, folder_id = send(world, annex=True)
    assert pulled(world, folder_id)["sending"] == "queued"
    assert fake.folders == {}  # never called inside the push
    now = start(world, folder_id)

    poller.run_once(now)
    [remote] = fake.folders.values()
    assert row(world, folder_id).remote_id == remote.id
    assert (remote.name, remote.type, remote.subtype) == (
        "Réponse à la demande", "Courrier", "Signature maire")
    assert [(name, main) for name, _, main in remote.files] == [("reponse.pdf", True),
                                                                ("plan.pdf", False)]
    assert remote.properties["numero"] == get(world, f"requests/{req['id']}")["number"]
    assert remote.annotations["privateAnnotation"] == "Voir avec le maire"
    assert remote.due_date == "2026-12-15"
    folder = pulled(world, folder_id)
    assert (folder["sending"], folder["state"], folder["last_error"]) == ("sent", "pending", None)

    fake.act(remote.id, "VISA", user="Secrétaire générale")
    poller.run_once(now + timedelta(minutes=2))  # not due yet: nothing read
    assert pulled(world, folder_id)["state"] == "pending"
    poller.run_once(now + timedelta(minutes=6))
    assert pulled(world, folder_id)["state"] == "visaed"

    fake.act(remote.id, "SIGNATURE", user="Maire")
    poller.run_once(now + timedelta(minutes=12))
    folder = pulled(world, folder_id)
    assert folder["state"] == "signed" and folder["stuck"] is False
    assert "Signé par Maire dans i-Parapheur" in pdf_text(world, folder["signed_attachment_id"])
    assert "Bordereau i-Parapheur" in pdf_text(world, folder["bordereau_attachment_id"])
    names = {a["filename"] for a in pull_all(world, world.a)[0]["attachments"]
             if a["request_id"] == req["id"]}
    assert {"reponse-signe.pdf", "bordereau-reponse.pdf"} <= names
    assert remote.deleted  # deleted in i-Parapheur once retrieved
    [decision] = [e for e in events_of(world, req["id"]) if e["kind"] == "parapheur_decision"]
    assert decision["data"]["action"] == "sign" and decision["data"]["actor"] == "Maire"
    assert row(world, folder_id).next_poll_at is None  # no longer followed


def test_iparapheur_rejection_gives_the_draft_back(world: World, poller: ParapheurPoller,
                                                   ipar: tuple[FakeIparapheur, str]) -> None:
    fake, url = ipar
    configure(world, "iparapheur", **iparapheur_config(url))
    req, folder_id = send(world)
    now = start(world, folder_id)
    poller.run_once(now)
    [remote] = fake.folders.values()
    fake.act(remote.id, "REJECT", user="Maire", note="Le montant de la redevance est faux")
    poller.run_once(now + timedelta(minutes=10))
    folder = pulled(world, folder_id)
    assert folder["state"] == "rejected" and folder["signed_attachment_id"] is None
    assert get(world, f"requests/{req['id']}")["status"] == "drafting"
    [decision] = [e for e in events_of(world, req["id"]) if e["kind"] == "parapheur_decision"]
    assert decision["data"]["comment"] == "Le montant de la redevance est faux"
    assert remote.deleted


def test_iparapheur_expired_token_is_fetched_again(world: World, poller: ParapheurPoller,
                                                   ipar: tuple[FakeIparapheur, str]) -> None:
    fake, url = ipar
    configure(world, "iparapheur", **iparapheur_config(url, realm="api"))
    _, folder_id = send(world)
    now = start(world, folder_id)
    poller.run_once(now)
    grants = fake.grants
    fake.expire_tokens()  # Keycloak's token ran out between two polls
    [remote] = fake.folders.values()
    fake.act(remote.id, "VISA")
    poller.run_once(now + timedelta(minutes=10))
    assert fake.grants == grants + 1
    folder = pulled(world, folder_id)
    assert (folder["state"], folder["last_error"]) == ("visaed", None)


def test_iparapheur_unreachable_is_retried_with_backoff(world: World, poller: ParapheurPoller,
                                                        ipar: tuple[FakeIparapheur, str]
                                                        ) -> None:
    fake, url = ipar
    configure(world, "iparapheur", **iparapheur_config(f"http://127.0.0.1:{free_port()}"))
    req, folder_id = send(world)
    now = start(world, folder_id)
    poller.run_once(now)
    folder = pulled(world, folder_id)
    assert folder["sending"] == "queued"
    assert "injoignable" in folder["last_error"] and "Nouvel essai" in folder["last_error"]
    assert row(world, folder_id).next_poll_at == now + timedelta(seconds=60)
    poller.run_once(now + timedelta(seconds=61))
    assert row(world, folder_id).next_poll_at == now + timedelta(seconds=61 + 120)
    assert get(world, f"requests/{req['id']}")["status"] == "at_parapheur"

    configure(world, "iparapheur", **iparapheur_config(url))  # the parapheur is back
    poller.run_once(now + timedelta(seconds=90))  # still waiting for its turn
    assert fake.folders == {}
    poller.run_once(now + timedelta(seconds=200))
    folder = pulled(world, folder_id)
    assert (folder["sending"], folder["state"], folder["last_error"]) == ("sent", "pending", None)
    assert len(fake.folders) == 1 and row(world, folder_id).poll_failures == 0


def test_iparapheur_garbage(world: World, poller: ParapheurPoller,
                            ipar: tuple[FakeIparapheur, str]) -> None:
    """Garbage at the deposit: the sending fails and the draft goes back to the clerk; garbage
    while following: the error is shown and the folder is read again later."""
    fake, url = ipar
    configure(world, "iparapheur", **iparapheur_config(url))
    req, folder_id = send(world)
    now = start(world, folder_id)
    fake.garbage = True
    poller.run_once(now)
    folder = pulled(world, folder_id)
    assert folder["sending"] == "failed"
    assert folder["last_error"].startswith("Envoi au parapheur refusé : L'i-Parapheur a donné "
                                           "une réponse illisible")
    assert get(world, f"requests/{req['id']}")["status"] == "drafting"

    fake.garbage = False
    req, folder_id = send(world)
    now = start(world, folder_id)
    poller.run_once(now)
    fake.garbage = True
    poller.run_once(now + timedelta(minutes=10))
    folder = pulled(world, folder_id)
    assert folder["sending"] == "sent" and "illisible" in folder["last_error"]
    fake.garbage = False
    [remote] = [f for f in fake.folders.values() if f.id == row(world, folder_id).remote_id]
    fake.act(remote.id, "VISA")
    poller.run_once(now + timedelta(minutes=12))
    assert pulled(world, folder_id)["last_error"] is None


def test_iparapheur_refused_credentials(world: World, poller: ParapheurPoller,
                                        ipar: tuple[FakeIparapheur, str]) -> None:
    _, url = ipar
    configure(world, "iparapheur", **iparapheur_config(url, password="faux"))
    _, folder_id = send(world)
    poller.run_once(start(world, folder_id))
    folder = pulled(world, folder_id)
    assert folder["sending"] == "failed"
    assert "refusé l'identifiant ou le mot de passe" in folder["last_error"]


def test_incomplete_settings_are_named(world: World, poller: ParapheurPoller) -> None:
    configure(world, "iparapheur", url="http://127.0.0.1:9")
    _, folder_id = send(world)
    poller.run_once(start(world, folder_id))
    assert pulled(world, folder_id)["last_error"] == (
        "Envoi au parapheur refusé : Réglage de l'i-Parapheur incomplet : login, password, "
        "tenant, desk, type, subtype (python -m server configure).")


# ---------------------------------------------------------------------------- Xparaph
def test_xparaph_signed_path(world: World, poller: ParapheurPoller,
                             xpar: tuple[FakeXparaph, str]) -> None:
    fake, url = xpar
    configure(world, "xparaph", **xparaph_config(url))
    req, folder_id = send(world)
    now = start(world, folder_id)
    poller.run_once(now)
    assert fake.calls == ["XPRF_Initialisation_Deposer", "XPRF_Deposer", "XPRF_AvancementDepot"]
    [depot] = fake.depots.values()
    assert depot.objet == "Réponse à la demande" and depot.content.startswith(b"%PDF")
    assert [(s["typeEtape"], s.get("login")) for s in depot.steps[1:]] == [
        ("VISA", login_of(world, "admin")), ("SIGN", login_of(world, "official"))]
    assert row(world, folder_id).remote_id == depot.id
    assert pulled(world, folder_id)["state"] == "pending"

    fake.act(depot.id, "OK")
    poller.run_once(now + timedelta(minutes=6))
    assert pulled(world, folder_id)["state"] == "visaed"
    fake.act(depot.id, "OK")
    poller.run_once(now + timedelta(minutes=12))
    folder = pulled(world, folder_id)
    assert folder["state"] == "signed"
    assert "dans Xparaph" in pdf_text(world, folder["signed_attachment_id"])
    slip = pdf_text(world, folder["bordereau_attachment_id"])
    assert f"dépôt Xparaph n° {depot.id}" in slip and "Signature" in slip
    assert get(world, f"requests/{req['id']}")["status"] == "at_parapheur"


def test_xparaph_rejection(world: World, poller: ParapheurPoller,
                           xpar: tuple[FakeXparaph, str]) -> None:
    fake, url = xpar
    configure(world, "xparaph", **xparaph_config(url))
    req, folder_id = send(world)
    now = start(world, folder_id)
    poller.run_once(now)
    [depot] = fake.depots.values()
    fake.act(depot.id, "KO", "Il manque la date de l'arrêté")
    poller.run_once(now + timedelta(minutes=6))
    assert pulled(world, folder_id)["state"] == "rejected"
    assert get(world, f"requests/{req['id']}")["status"] == "drafting"
    [decision] = [e for e in events_of(world, req["id"]) if e["kind"] == "parapheur_decision"]
    assert decision["data"]["comment"] == "Il manque la date de l'arrêté"


def test_xparaph_circuit_refused_and_garbage(world: World, poller: ParapheurPoller,
                                             xpar: tuple[FakeXparaph, str]) -> None:
    fake, url = xpar
    fake.signataires.clear()  # the élu may not sign in this scenario
    configure(world, "xparaph", **xparaph_config(url))
    _, folder_id = send(world)
    now = start(world, folder_id)
    poller.run_once(now)
    folder = pulled(world, folder_id)
    assert folder["sending"] == "failed" and fake.depots == {}
    assert "Élu A n'est pas autorisé(e) à signer dans le scénario Xparaph" in folder["last_error"]

    fake.signataires[login_of(world, "official")] = "Élu A"
    fake.garbage = True
    _, folder_id = send(world)
    poller.run_once(start(world, folder_id))
    assert "Le parapheur Xparaph a donné une réponse illisible" in pulled(
        world, folder_id)["last_error"]


def test_xparaph_fault_on_bad_credentials(world: World, poller: ParapheurPoller,
                                          xpar: tuple[FakeXparaph, str]) -> None:
    _, url = xpar
    configure(world, "xparaph", **xparaph_config(url, password="faux"))
    _, folder_id = send(world)
    poller.run_once(start(world, folder_id))
    assert "Authentification refusée" in pulled(world, folder_id)["last_error"]


# ---------------------------------------------------------------------------- poller
def test_stuck_folder_is_flagged_then_cleared(world: World, poller: ParapheurPoller,
                                              ipar: tuple[FakeIparapheur, str]) -> None:
    fake, url = ipar
    configure(world, "iparapheur", **iparapheur_config(url))
    _, folder_id = send(world)
    now = start(world, folder_id)
    poller.run_once(now)
    poller.run_once(now + timedelta(days=6))
    assert pulled(world, folder_id)["stuck"] is False
    poller.run_once(now + timedelta(days=7, minutes=1))
    assert pulled(world, folder_id)["stuck"] is True
    [remote] = fake.folders.values()
    fake.act(remote.id, "VISA")
    poller.run_once(now + timedelta(days=8))
    folder = pulled(world, folder_id)
    assert (folder["stuck"], folder["state"]) == (False, "visaed")


def test_progress_before_the_first_reading_counts(world: World, poller: ParapheurPoller,
                                                  ipar: tuple[FakeIparapheur, str]) -> None:
    """The folder's look in the parapheur is taken right after the deposit: a visa given
    before the next reading is progress, and the folder is not stuck a day later."""
    fake, url = ipar
    configure(world, "iparapheur", **iparapheur_config(url))
    _, folder_id = send(world)
    now = start(world, folder_id)
    poller.run_once(now)
    [remote] = fake.folders.values()
    fake.act(remote.id, "VISA")
    poller.run_once(now + timedelta(days=6))
    poller.run_once(now + timedelta(days=7, minutes=1))
    assert pulled(world, folder_id)["stuck"] is False
    poller.run_once(now + timedelta(days=13, minutes=2))
    assert pulled(world, folder_id)["stuck"] is True


def test_two_server_processes_never_take_the_same_folder(world: World, poller: ParapheurPoller,
                                                         ipar: tuple[FakeIparapheur, str]
                                                         ) -> None:
    fake, url = ipar
    configure(world, "iparapheur", **iparapheur_config(url))
    _, folder_id = send(world)
    now = start(world, folder_id)
    other = ParapheurPoller(world.db, world.app.state.blobs, POLICY)
    job = poller.claim(now)  # the first process took it and died before talking
    while job is not None and str(job.folder_id) != folder_id:
        job = poller.claim(now, {job.folder_id})
    assert job is not None
    other.run_once(now + timedelta(seconds=30))
    assert fake.folders == {} and row(world, folder_id).sending == "queued"
    other.run_once(now + timedelta(seconds=601))  # the lease ran out
    assert len(fake.folders) == 1 and row(world, folder_id).sending == "sent"
    assert row(world, folder_id).locked_until is None


def test_a_pass_with_nothing_due_leaves_the_writers_alone(world: World,
                                                          poller: ParapheurPoller) -> None:
    """The thread looks every minute: when nothing is due it must not queue behind (or hold
    up) the pushes for the writers' lock."""
    done = threading.Event()
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    with world.db.write():  # a push in progress holds the writers' lock
        threading.Thread(target=lambda: (poller.run_once(long_ago), done.set()),
                         daemon=True).start()
        finished = done.wait(5)
    assert finished
    done.wait(30)


def test_app_poller_sends_at_once_after_the_push(world: World,
                                                 ipar: tuple[FakeIparapheur, str]) -> None:
    """The thread started with the app is woken by the push that queued the folder."""
    fake, url = ipar
    configure(world, "iparapheur", **iparapheur_config(url))
    thread = world.app.state.poller
    thread.poll_seconds = 3600  # only the push's wake-up can make it look now
    thread.start()
    try:
        thread.run_once()  # whatever other tests left due is out of the way
        _, folder_id = send(world)
        wait_for(lambda: row(world, folder_id).sending == "sent")
    finally:
        thread.stop()
    assert len(fake.folders) == 1


# ---------------------------------------------------------------------------- command line
def test_configure_command_sets_the_connector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    db = Database(url)
    try:
        upgrade(db.engine)
        seed(db, Passwords(1, 1024, 1), authorities=[SeedAuthority("Saint-Rémy", "10998", "10")],
             agents=[SeedAgent("secretaire-cli", "Secrétaire", Role.CLERK, PASSWORD, ["10998"])])
    finally:
        db.dispose()
    base = ["configure", "--database-url", url, "--data-dir", str(tmp_path),
            "--authority", "10998"]
    monkeypatch.setenv("BANNETTE_PARAPHEUR_PASSWORD", "Secret-ip-1")
    assert main([*base, "--parapheur", "iparapheur",
                 "--parapheur-option", "url=https://parapheur.example.fr",
                 "--parapheur-option", "login=depot-mairie", "--parapheur-option", "tenant=t1",
                 "--parapheur-option", "desk=d1", "--parapheur-option", "type=Courrier",
                 "--parapheur-option", "subtype=Signature maire"]) == 0
    assert "Parapheur de Saint-Rémy : iparapheur." in capsys.readouterr().out
    assert main([*base, "--parapheur", "iparapheur", "--parapheur-option", "password=x"]) == 2
    assert "BANNETTE_PARAPHEUR_PASSWORD" in capsys.readouterr().err
    assert main([*base, "--parapheur", "iparapheur", "--parapheur-option", "url"]) == 2
    assert main([*base, "--parapheur", "docusign"]) == 2
    assert "connecteur de parapheur inconnu : docusign" in capsys.readouterr().err
    db = Database(url)
    try:
        with db.read() as session:
            [settings] = session.query(ParapheurSettings).all()
    finally:
        db.dispose()
    assert settings.connector == "iparapheur"
    assert settings.config == {"url": "https://parapheur.example.fr", "login": "depot-mairie",
                               "tenant": "t1", "desk": "d1", "type": "Courrier",
                               "subtype": "Signature maire", "password": "Secret-ip-1"}


# ---------------------------------------------------------------------------- connectors alone
def outgoing(title: str = "Arrêté de voirie") -> OutgoingFolder:
    return OutgoingFolder(
        folder_id=uuid.uuid4(), authority_id=uuid.uuid4(), title=title,
        main_document=Document("arrete.pdf", pdf_bytes("Arrêté")),
        steps=[CircuitStep(StepKind.SIGNATURE, uuid.uuid4(), "maire", "Le maire")])


def test_iparapheur_server_errors_are_retryable_refusals_are_not(
        ipar: tuple[FakeIparapheur, str]) -> None:
    fake, url = ipar
    connector = IparapheurConnector(iparapheur_config(url))
    remote_id = connector.send(outgoing())
    fake.fail_with = 503
    with pytest.raises(ConnectorError) as unwell:
        connector.status(remote_id)
    assert unwell.value.retryable
    assert unwell.value.reason == ("L'i-Parapheur est en difficulté (la lecture de "
                                   "l'historique : erreur 503 : Service indisponible).")
    fake.fail_with = None
    with pytest.raises(ConnectorError) as missing:
        connector.status("dossier-inconnu")
    assert not missing.value.retryable and "erreur 404" in missing.value.reason
    fake.refuse_tokens = True  # a fresh token refused too: no endless loop of grants
    grants = fake.grants
    with pytest.raises(ConnectorError) as refused:
        connector.status(remote_id)
    assert not refused.value.retryable and fake.grants == grants + 1


def test_iparapheur_deposit_refused_by_the_typology(ipar: tuple[FakeIparapheur, str]) -> None:
    fake, url = ipar
    with pytest.raises(ConnectorError) as refused:
        IparapheurConnector(iparapheur_config(url, subtype="Inconnu")).send(outgoing())
    assert not refused.value.retryable and "Unknown type/subtype" in refused.value.reason
    assert fake.folders == {}


def test_xparaph_unreachable_and_garbage_while_following(xpar: tuple[FakeXparaph, str],
                                                         world: World) -> None:
    fake, url = xpar
    with pytest.raises(ConnectorError) as down:
        XparaphConnector(xparaph_config(f"http://127.0.0.1:{free_port()}/ws")).status("1000")
    assert down.value.retryable and "injoignable" in down.value.reason
    connector = XparaphConnector(xparaph_config(url))
    folder = outgoing()
    step = CircuitStep(StepKind.SIGNATURE, uuid.uuid4(), login_of(world, "official"), "Élu A")
    depot_id = connector.send(replace(folder, steps=[step]))
    assert XparaphConnector(xparaph_config(url)).status(depot_id).state is FolderState.PENDING
    fake.garbage = True
    with pytest.raises(ConnectorError) as garbage:
        XparaphConnector(xparaph_config(url)).status(depot_id)
    assert not garbage.value.retryable
    assert garbage.value.reason == ("Le parapheur Xparaph a donné une réponse illisible "
                                    "(XPRF_AvancementDepot).")


def test_xparaph_envelope_is_rpc_encoded_in_urn_parafwsdl() -> None:
    body = envelope("XPRF_getFiles", [("siret", "1"), ("depotid", "42"), ("taille", 3),
                                      ("contenu", b"abc")])
    root = ET.fromstring(body)
    call = root.find("{http://schemas.xmlsoap.org/soap/envelope/}Body/{urn:parafwsdl}XPRF_getFiles")
    assert call is not None
    params = call.find("params")
    assert params is not None
    assert params.get("{http://www.w3.org/2001/XMLSchema-instance}type") == (
        "urn:XPRF_getFiles_Param")
    assert [(c.tag, c.text) for c in params] == [("siret", "1"), ("depotid", "42"),
                                                 ("taille", "3"), ("contenu", "YWJj")]
