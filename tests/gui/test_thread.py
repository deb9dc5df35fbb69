"""« Échanges avec l'usager » in the real main window: an incoming message marks the request
in the bannette until it is shown, « Écrire à l'usager » queues an e-mail shown at once as
« en attente d'envoi », bad input is refused in French with nothing typed lost, and a citizen
without an address is offered the other means."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pymupdf
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from desktop.models.inbox_model import UNREAD_TIP
from desktop.store.database import StoreError
from desktop.store.messages import write_to_citizen
from desktop.store.requests import reference_of
from desktop.store.sync_store import SqliteSyncStore
from desktop.views.main_window import MainWindow
from desktop.views.thread.section import ANCHOR
from desktop.views.thread.write_dialog import NO_ADDRESS, WriteDialog
from sync.protocol.vocabulary import Channel
from sync.protocol.wire import Entity, MessageDirection, MessageRow
from tests.gui.conftest import ARTIFACTS, type_text


def _shared_request(conn: sqlite3.Connection, email: str) -> int:
    """A demo request made one the server knows (version > 0), its citizen with ``email``."""
    pk, citizen = conn.execute(
        "SELECT pk, citizen_pk FROM request WHERE deleted = 0 AND status = 'received' "
        "ORDER BY received_at DESC LIMIT 1").fetchone()
    conn.execute("UPDATE request SET version = 9 WHERE pk = ?", (pk,))
    conn.execute("UPDATE citizen SET email = ? WHERE pk = ?", (email, citizen))
    return int(pk)


def _incoming(conn: sqlite3.Connection, pk: int) -> None:
    request_id, authority_id = conn.execute(
        "SELECT r.id, a.id FROM request r JOIN authority a ON a.pk = r.authority_pk "
        "WHERE r.pk = ?", (pk,)).fetchone()
    SqliteSyncStore(conn).apply_rows(Entity.MESSAGES, [MessageRow(
        id=uuid.uuid4(), version=30, authority_id=authority_id, request_id=request_id,
        direction=MessageDirection.INBOUND, channel=Channel.EMAIL,
        subject="Re: Votre demande", body="Bonjour,\nje vous envoie l'attestation demain.\nÉlise",
        at=datetime(2026, 11, 23, 8, 5, tzinfo=UTC),
    )])


def _pdf(path: Path) -> Path:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Plan")
    doc.save(path)
    return path


def _bold(window: MainWindow, pk: int) -> bool:
    row = window.model.row_of(pk)
    assert row is not None
    font = window.model.index(row, 0).data(Qt.ItemDataRole.FontRole)
    return font is not None and font.bold()


def test_thread_incoming_read_and_an_email_queued(
    make_window: Callable[..., MainWindow], demo_db: sqlite3.Connection, tmp_path: Path, qtbot,
    qtmodeltester,
) -> None:
    pk = _shared_request(demo_db, "elise.roy@example.fr")
    _incoming(demo_db, pk)
    window = make_window()
    assert _bold(window, pk)
    qtmodeltester.check(window.model)
    row = window.model.row_of(pk)
    assert window.model.index(row, 0).data(Qt.ItemDataRole.ToolTipRole) == UNREAD_TIP
    window.select_request(pk)
    html = window.detail.toHtml()
    assert "Échanges avec l'usager (1 — 1 nouveau)" in window.detail.toPlainText()
    assert "je vous envoie l'attestation demain" in window.detail.toPlainText()
    assert "23/11/2026 à 09:05" in window.detail.toPlainText()  # the commune's clock
    assert html
    assert not _bold(window, pk)  # shown: read

    plan = _pdf(tmp_path / "plan-cadastral.pdf")
    window.exchanges.choose = lambda _parent: plan
    window.findChild(type(window.exchanges.action), "action-write-citizen").trigger()
    dialog = window.exchanges.dialog
    assert isinstance(dialog, WriteDialog)
    assert dialog.subject.text() == f"Votre demande n° {reference_of(demo_db, pk)}"
    assert dialog.to.text() == "elise.roy@example.fr" and dialog.channel is Channel.EMAIL
    type_text(dialog.body, "Bonjour Élise, merci : le dossier est complet.")
    dialog.add_file()
    # A broken address: said in French, the dialog stays with everything typed.
    dialog.to.setText("elise.roy@example")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.isVisible() and "invalide" in dialog.error.text()
    assert dialog.body.toPlainText().startswith("Bonjour Élise")
    assert dialog.files == [plan]
    dialog.to.setText("elise.roy@example.fr")
    dialog.grab().save(str(ARTIFACTS / "thread-write.png"))
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert not dialog.isVisible()

    text = window.detail.toPlainText()
    assert "Échanges avec l'usager (2)" in text
    assert "Courriel à elise.roy@example.fr : en attente d'envoi" in text
    assert "plan-cadastral.pdf" in text and "Bonjour Élise" in text
    [(name, args)] = demo_db.execute(
        "SELECT name, args FROM sync_outbox WHERE name = 'message.add'").fetchall()
    assert "elise.roy@example.fr" in args
    ARTIFACTS.mkdir(exist_ok=True)
    window.resize(1500, 900)
    window.splitter.setSizes([700, 800])
    qtbot.wait(10)
    window.detail.scrollToAnchor(ANCHOR)
    window.grab().save(str(ARTIFACTS / "thread.png"))


def test_a_citizen_without_address_is_offered_other_means(
    make_window: Callable[..., MainWindow], demo_db: sqlite3.Connection,
) -> None:
    pk = _shared_request(demo_db, "")
    window = make_window()
    window.select_request(pk)
    assert "n'a pas d'adresse électronique" in window.detail.toPlainText()
    window.exchanges.write()
    dialog = window.exchanges.dialog
    assert dialog is not None
    assert dialog.channel is Channel.PAPER and not dialog.to.isEnabled()
    assert dialog.hint.text() == NO_ADDRESS
    ARTIFACTS.mkdir(exist_ok=True)
    dialog.grab().save(str(ARTIFACTS / "thread-no-address.png"))
    type_text(dialog.body, "Courrier envoyé avec le récépissé.")
    dialog.save()
    assert not dialog.isVisible()
    text = window.detail.toPlainText()
    assert "Envoyé à l'usager" in text and "Courrier" in text
    assert "en attente d'envoi" not in text


def test_email_for_a_request_the_server_does_not_know_is_refused(
    demo_db: sqlite3.Connection,
) -> None:
    pk = demo_db.execute("SELECT pk FROM request WHERE version = 0 LIMIT 1").fetchone()[0]
    from desktop.store.messages import NO_SERVER, Outgoing

    try:
        write_to_citizen(demo_db, pk, Outgoing("Objet", "Texte", Channel.EMAIL, "a@b.fr"),
                         agent_id=None)
    except StoreError as exc:
        assert str(exc) == NO_SERVER
    else:  # pragma: no cover
        raise AssertionError("un courriel est parti d'une demande locale")


def test_messages_arriving_with_a_sync_are_said(
    make_window: Callable[..., MainWindow], demo_db: sqlite3.Connection,
) -> None:
    pk = _shared_request(demo_db, "elise.roy@example.fr")
    window = make_window()
    _incoming(demo_db, pk)
    window.data_arrived()  # what the sync does after a pull
    assert window.statusBar().currentMessage().startswith("1 nouveau message d'usager")
    assert _bold(window, pk)


def test_the_write_link_works_in_the_request_s_own_window(
    make_window: Callable[..., MainWindow], demo_db: sqlite3.Connection,
) -> None:
    from PySide6.QtCore import QUrl

    from desktop.views.thread.section import write_url

    pk = _shared_request(demo_db, "elise.roy@example.fr")
    window = make_window()
    window.select_request(pk)
    row = window.model.row_of(pk)
    assert row is not None
    own = window.open_detail_dialog(row)
    assert own is not None and "Échanges avec l'usager" in own.pane.toPlainText()
    own.pane.anchorClicked.emit(QUrl(write_url(pk)))  # what a click on the link does
    dialog = window.exchanges.dialog
    assert dialog is not None and dialog.isVisible() and dialog.to.text() == "elise.roy@example.fr"
    dialog.reject()
    own.close()
