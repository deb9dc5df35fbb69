"""« Appel téléphonique » in the real main window over the demo database (offscreen).

Typed as the agent types it: Ctrl+Maj+N, accented names through ``type_text`` (QTest.keyClicks
aborts on non-ASCII characters), Ctrl+Entrée to save, Échap to give up.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu, QToolBar, QWidget

from desktop.store.inbox import Choice
from desktop.store.phone_calls import CallView, calls_for_request
from desktop.views.detail_pane import calls_html
from desktop.views.intake_dialog import IntakeDialog
from desktop.views.main_window import MainWindow
from desktop.views.phone_call_dialog import (
    CallServices,
    PhoneCallDialog,
    install_phone_calls,
    phone_calls_of,
)
from tests.conftest import TODAY
from tests.gui.conftest import ARTIFACTS, type_text

pytestmark = pytest.mark.gui

CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
NBSP = "\u00a0"


@pytest.fixture
def phone_window(window: MainWindow) -> MainWindow:
    install_phone_calls(window)  # a no-op once the main window installs it itself
    return window


def open_dialog(qtbot, window: MainWindow) -> PhoneCallDialog:
    """Ctrl+Maj+N in the bannette, as the agent does it."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_N, CTRL_SHIFT)
    dialog = window.findChild(PhoneCallDialog, "phone-call-dialog")
    assert dialog is not None
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
    return dialog


def type_lines(qtbot, widget: QWidget, text: str) -> None:
    """``type_text``, with Entrée between the lines as typed in a multi-line field."""
    for index, line in enumerate(text.split("\n")):
        if index:
            qtbot.keyClick(widget, Qt.Key.Key_Return)
        type_text(widget, line)


def count(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def select_a_request(window: MainWindow, conn: sqlite3.Connection) -> tuple[int, str, str]:
    """A request of Bitche (not the first commune of the list) selected in the bannette."""
    pk, number, authority = conn.execute(
        "SELECT r.pk, a.insee_code || '-' || r.number, a.name FROM request r "
        "JOIN authority a ON a.pk = r.authority_pk "
        "WHERE a.name = 'Mairie de Bitche' ORDER BY r.received_at DESC LIMIT 1"
    ).fetchone()
    window.select_request(pk)
    assert window.selected_pk() == pk
    return pk, number, authority


def logged(conn: sqlite3.Connection) -> sqlite3.Row:
    return conn.execute("SELECT * FROM phone_call ORDER BY pk DESC LIMIT 1").fetchone()


# --------------------------------------------------------------------------- the action


def test_ctrl_shift_n_opens_the_dialog_on_the_selected_request(
    qtbot, phone_window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    window = phone_window
    action = window.findChild(QAction, "action-phone-call")
    assert install_phone_calls(window) is action  # installing twice adds nothing
    assert action.text() == "Appe&l téléphonique…"
    assert action.shortcut().toString() == "Ctrl+Shift+N"
    shortcuts = [a.shortcut().toString() for a in window.findChildren(QAction)]
    assert shortcuts.count("Ctrl+Shift+N") == 1
    for container in (window.findChild(QMenu, "menu-request"),
                      window.findChild(QToolBar, "request-toolbar")):
        actions = container.actions()
        assert actions[0] is window.new_request_action and actions[1] is action
        assert actions[2].isSeparator()

    pk, number, authority = select_a_request(window, demo_db)
    before = count(demo_db, "phone_call")
    dialog = open_dialog(qtbot, window)
    assert dialog.isModal() and dialog.windowTitle() == "Appel téléphonique"
    assert dialog.authority.currentText() == authority
    assert dialog.link.isVisible() and dialog.link.isChecked()
    assert dialog.link.text() == f"&Rattacher à la demande {number}"
    assert QApplication.focusWidget() is dialog.caller
    assert dialog.counting and dialog.duration.displayFormat() == "mm:ss"
    # Another commune: the request cannot go with the call.
    dialog.authority.setCurrentIndex(dialog.authority.findText("Mairie de Rambervillers"))
    assert not dialog.link.isEnabled() and dialog.linked_request() is None
    assert "autre commune" in dialog.link.toolTip()
    dialog.authority.setCurrentIndex(dialog.authority.findText(authority))
    assert dialog.linked_request() is not None and dialog.linked_request().pk == pk

    with qtbot.waitSignal(dialog.rejected, timeout=2000):
        qtbot.keyClick(dialog.caller, Qt.Key.Key_Escape)  # Échap: nothing written
    assert count(demo_db, "phone_call") == before


def test_the_chronometer_runs_from_the_opening(qtbot, phone_window: MainWindow) -> None:
    dialog = open_dialog(qtbot, phone_window)
    assert dialog.seconds() == 0
    assert dialog.chrono_state.text().startswith("Chronomètre en marche — appel commencé à ")
    qtbot.waitUntil(lambda: dialog.seconds() >= 1, timeout=3000)  # its own timer, each second
    assert dialog.duration.text().startswith("00:0")
    # The agent corrects it: what she types is the duration, the count stops.
    qtbot.keyClick(dialog.caller, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)  # « &Durée »
    assert QApplication.focusWidget() is dialog.duration
    qtbot.keyClicks(dialog.duration, "03:20")
    assert not dialog.counting
    assert dialog.seconds() == 200
    assert dialog.chrono_state.text().startswith("Arrêté — ")
    dialog.timer.timeout.emit()
    assert dialog.seconds() == 200
    dialog.reject()


def test_the_chronometer_can_be_stopped_resumed_and_goes_past_an_hour(qtbot) -> None:
    """Driven by a clock of the test's own, through the dialog's timer."""
    now = [1000.0]
    dialog = PhoneCallDialog(
        [Choice(1, "Mairie de Rambervillers")],
        CallServices(find=lambda a, t: [], check=lambda c: [], log=lambda c: 1,
                     request_link=lambda pk: None, open_intake=lambda p: None,  # type: ignore[arg-type, return-value]
                     now=lambda: datetime(2026, 11, 23, 14, 5), clock=lambda: now[0]),
    )
    qtbot.addWidget(dialog)
    assert not dialog.link.isVisible() and dialog.linked_request() is None
    now[0] += 65.4
    dialog.timer.timeout.emit()
    assert dialog.duration.text() == "01:05"
    dialog.chrono_button.click()  # « Arrêter »
    assert not dialog.counting and dialog.chrono_button.text() == "Re&prendre"
    now[0] += 600
    dialog.timer.timeout.emit()
    assert dialog.seconds() == 65
    dialog.chrono_button.click()  # « Reprendre » from where it stopped
    now[0] += 3600
    dialog.timer.timeout.emit()
    assert dialog.seconds() == 3665
    assert (dialog.duration.displayFormat(), dialog.duration.text()) == ("H:mm:ss", "1:01:05")
    assert dialog.chrono_state.text() == "Chronomètre en marche — appel commencé à 14 h 05"
    now[0] += 10 * 24 * 3600
    dialog.timer.timeout.emit()
    assert dialog.seconds() == 24 * 3600 - 1


# --------------------------------------------------------------------------- logging


def test_a_call_about_the_selected_request_is_logged_and_attached(
    qtbot, phone_window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    window = phone_window
    pk, number, _authority = select_a_request(window, demo_db)
    dialog = open_dialog(qtbot, window)
    type_text(dialog.caller, "Éloïse Noël")
    type_text(dialog.number, "03 87 96 00 13")
    type_lines(qtbot, dialog.motive, "Demande où en est son dossier.\nRappeler après 17 h.")
    qtbot.waitUntil(lambda: dialog.seconds() >= 1, timeout=3000)

    ARTIFACTS.mkdir(exist_ok=True)
    assert dialog.grab().save(str(ARTIFACTS / "phone_call_dialog.png"))

    with qtbot.waitSignal(window.request_actions.requestChanged, timeout=2000) as changed:
        qtbot.keyClick(dialog.motive, Qt.Key.Key_Return, CTRL)  # Ctrl+Entrée, even in the text
    assert changed.args == [pk]
    assert not dialog.isVisible()
    row = logged(demo_db)
    assert (row["request_pk"], row["citizen_pk"]) == (pk, None)
    assert (row["caller_name"], row["phone_number"]) == ("Éloïse Noël", "03 87 96 00 13")
    assert row["motive"] == "Demande où en est son dossier.\nRappeler après 17 h."
    assert row["duration_seconds"] >= 1
    called_at = datetime.fromisoformat(row["called_at"])
    assert called_at.date() == TODAY  # the window's clock, never the PC's
    assert timedelta(0) <= window.now() - called_at < timedelta(minutes=2)
    agent = demo_db.execute("SELECT a.display_name FROM agent a JOIN setting s "
                            "ON s.value = a.id WHERE s.key = 'current_agent'").fetchone()
    if agent is not None:
        assert calls_for_request(demo_db, pk)[0].agent == agent[0]
    assert window.statusBar().currentMessage() == "Appel d'Éloïse Noël enregistré."
    assert count(demo_db, "sync_outbox") == 0  # the demonstration's communes are local
    html = calls_html(calls_for_request(demo_db, pk))
    assert "Appels téléphoniques (1)" in html and "Éloïse Noël" in html
    assert number and "Rappeler après 17 h." in html


def a_citizen(conn: sqlite3.Connection) -> tuple[int, str, str]:
    """A person of Rambervillers with a phone number: (pk, display name, phone)."""
    return conn.execute(
        "SELECT c.pk, c.display_name, c.phone FROM citizen c "
        "JOIN authority a ON a.pk = c.authority_pk WHERE a.name = 'Mairie de Rambervillers' "
        "AND c.kind = 'person' AND c.phone != '' ORDER BY c.pk LIMIT 1"
    ).fetchone()


def choose_citizen(qtbot, dialog: PhoneCallDialog, citizen_pk: int, name: str) -> None:
    """Alt+U, the surname, ↓ until the citizen is chosen."""
    qtbot.keyClick(dialog.caller, Qt.Key.Key_U, Qt.KeyboardModifier.AltModifier)
    assert QApplication.focusWidget() is dialog.search
    type_text(dialog.search, name.split()[0])
    qtbot.waitUntil(lambda: dialog.matches.count() > 0, timeout=2000)
    while dialog.chosen_match() is None or dialog.chosen_match().pk != citizen_pk:
        qtbot.keyClick(dialog.search, Qt.Key.Key_Down)


def test_an_existing_citizen_fills_the_name_and_number(
    qtbot, phone_window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    window = phone_window
    citizen_pk, name, phone = a_citizen(demo_db)
    dialog = start_call(qtbot, window)
    choose_citizen(qtbot, dialog, citizen_pk, name)
    assert (dialog.caller.text(), dialog.number.text()) == (name, phone)
    assert dialog.chosen.text() == f"Usager choisi : {name}"
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)  # takes the citizen, does not save
    assert dialog.isVisible() and QApplication.focusWidget() is dialog.motive
    type_text(dialog.motive, "Horaires d'ouverture")
    calls = phone_calls_of(window)
    assert calls is not None
    with qtbot.waitSignal(calls.localChanged, timeout=2000):
        qtbot.keyClick(dialog.motive, Qt.Key.Key_Return, CTRL)
    row = logged(demo_db)
    assert (row["citizen_pk"], row["request_pk"], row["caller_name"]) == (citizen_pk, None, name)


def test_a_refused_call_keeps_the_dialog_open_with_the_error(
    qtbot, phone_window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    before = count(demo_db, "phone_call")
    dialog = open_dialog(qtbot, phone_window)
    type_text(dialog.motive, "Bruit la nuit rue de l'Église")
    dialog.save_button.click()
    assert dialog.isVisible() and dialog.error.isVisible()
    assert dialog.error.text() == "Le nom de l'appelant est obligatoire."
    assert "842029" in dialog.error.styleSheet()  # in red
    dialog.request_button.click()  # nor can it become a request without a caller
    assert dialog.intake is None and dialog.isEnabled()
    assert dialog.motive.toPlainText() == "Bruit la nuit rue de l'Église"
    assert count(demo_db, "phone_call") == before
    type_text(dialog.caller, "Léa Roux")
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        dialog.save_button.click()
    assert count(demo_db, "phone_call") == before + 1


# --------------------------------------------------------------------------- to a request


def start_call(qtbot, window: MainWindow) -> PhoneCallDialog:
    window.table.clearSelection()
    dialog = open_dialog(qtbot, window)
    dialog.authority.setCurrentIndex(dialog.authority.findText("Mairie de Rambervillers"))
    return dialog


def make_request_from_call(
    qtbot, window: MainWindow, dialog: PhoneCallDialog | None = None
) -> tuple[PhoneCallDialog, IntakeDialog]:
    if dialog is None:
        dialog = start_call(qtbot, window)
        type_text(dialog.caller, "Madame Éloïse NOËL")
        type_text(dialog.number, "06 12 34 56 78")
    type_lines(qtbot, dialog.motive, "Réservation de la salle des fêtes\nPour le repas des aînés.")
    # « Enre&gistrer et créer une demande… » (a button's mnemonic clicks it a moment later)
    qtbot.keyClick(dialog.caller, Qt.Key.Key_G, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: dialog.intake is not None, timeout=2000)
    intake = dialog.intake
    assert isinstance(intake, IntakeDialog)
    qtbot.waitExposed(intake)
    assert not dialog.isEnabled() and not dialog.counting  # the call waits, its length fixed
    return dialog, intake


def test_a_call_becomes_a_request_and_is_attached_to_it(
    qtbot, phone_window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    window = phone_window
    requests_before = count(demo_db, "request")
    dialog, intake = make_request_from_call(qtbot, window)
    # « Nouvelle demande », filled from the call.
    assert intake.authority.currentText() == "Mairie de Rambervillers"
    assert intake.channel.currentText() == "Téléphone"
    assert intake.subject.text() == "Réservation de la salle des fêtes"
    assert intake.body.toPlainText() == "Pour le repas des aînés."
    assert intake.received.value() == dialog.called_at.replace(second=0, microsecond=0)
    assert intake.new_radio.isChecked()
    assert (intake.last_name.text(), intake.first_name.text(), intake.phone.text()) == (
        "NOËL", "Éloïse", "06 12 34 56 78")
    qtbot.waitUntil(intake.isActiveWindow, timeout=2000)
    assert QApplication.focusWidget() is intake.procedure  # the one thing left to choose
    intake.procedure.setCurrentIndex(intake.procedure.findText("Réservation de salle communale"))
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.keyClick(intake.subject, Qt.Key.Key_Return, CTRL)

    assert dialog.created_request is not None
    request_pk = dialog.created_request.pk
    assert dialog.logged_request is dialog.created_request
    assert count(demo_db, "request") == requests_before + 1
    row = logged(demo_db)
    citizen = demo_db.execute(
        "SELECT citizen_pk, channel, a.insee_code || '-' || number AS number FROM request r "
        "JOIN authority a ON a.pk = r.authority_pk WHERE r.pk = ?", (request_pk,)).fetchone()
    assert (row["request_pk"], row["citizen_pk"]) == (request_pk, citizen["citizen_pk"])
    assert citizen["channel"] == "phone"
    assert window.selected_pk() == request_pk
    assert window.statusBar().currentMessage() == (
        f"Appel de Madame Éloïse NOËL enregistré. Demande {citizen['number']} enregistrée.")
    assert [c.pk for c in calls_for_request(demo_db, request_pk)] == [row["pk"]]


def test_a_request_registered_in_another_commune_takes_the_call_with_it(
    qtbot, phone_window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    dialog, intake = make_request_from_call(qtbot, phone_window)
    intake.authority.setCurrentIndex(intake.authority.findText("Mairie de Bitche"))
    intake.procedure.setCurrentIndex(0)
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        intake.save_button.click()
    row = logged(demo_db)
    authority = demo_db.execute(
        "SELECT a.name FROM phone_call p JOIN authority a ON a.pk = p.authority_pk "
        "WHERE p.pk = ?", (row["pk"],)).fetchone()[0]
    assert authority == "Mairie de Bitche"
    assert dialog.created_request is not None and row["request_pk"] == dialog.created_request.pk


def test_a_cancelled_request_still_logs_the_call(
    qtbot, phone_window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    window = phone_window
    requests_before, calls_before = count(demo_db, "request"), count(demo_db, "phone_call")
    dialog, intake = make_request_from_call(qtbot, window)
    calls = phone_calls_of(window)
    assert calls is not None
    with qtbot.waitSignal(calls.localChanged, timeout=2000):
        qtbot.keyClick(intake.subject, Qt.Key.Key_Escape)
    assert count(demo_db, "request") == requests_before
    assert count(demo_db, "phone_call") == calls_before + 1
    row = logged(demo_db)
    assert (row["caller_name"], row["request_pk"]) == ("Madame Éloïse NOËL", None)
    assert row["motive"] == "Réservation de la salle des fêtes\nPour le repas des aînés."
    assert window.statusBar().currentMessage() == "Appel de Madame Éloïse NOËL enregistré."


def test_a_request_for_the_chosen_citizen(
    qtbot, phone_window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    citizen_pk, name, _phone = a_citizen(demo_db)
    citizens_before = count(demo_db, "citizen")
    dialog = start_call(qtbot, phone_window)
    choose_citizen(qtbot, dialog, citizen_pk, name)
    dialog, intake = make_request_from_call(qtbot, phone_window, dialog)
    assert intake.existing_radio.isChecked()
    chosen = intake.chosen_match()
    assert chosen is not None and chosen.pk == citizen_pk
    intake.procedure.setCurrentIndex(intake.procedure.findText("Réservation de salle communale"))
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        intake.save_button.click()
    row = logged(demo_db)
    assert row["citizen_pk"] == citizen_pk and row["request_pk"] is not None
    request_citizen = demo_db.execute(
        "SELECT citizen_pk FROM request WHERE pk = ?", (row["request_pk"],)).fetchone()[0]
    assert request_citizen == citizen_pk
    assert count(demo_db, "citizen") == citizens_before


def test_a_request_from_a_call_finds_the_caller_on_file(
    qtbot, phone_window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    """Issue 9 item 9: the caller typed as said on the phone (« Madame Prénom NOM ») is the
    commune's citizen of that name: the request is theirs, no second citizen is created."""
    citizen_pk, name, phone = a_citizen(demo_db)
    last, first = name.split(" ", 1)
    citizens_before = count(demo_db, "citizen")
    dialog = start_call(qtbot, phone_window)
    type_text(dialog.caller, f"Madame {first} {last}")
    type_text(dialog.number, phone)
    dialog, intake = make_request_from_call(qtbot, phone_window, dialog)
    assert intake.existing_radio.isChecked()
    chosen = intake.chosen_match()
    assert chosen is not None and chosen.pk == citizen_pk
    intake.procedure.setCurrentIndex(intake.procedure.findText("Réservation de salle communale"))
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        intake.save_button.click()
    row = logged(demo_db)
    request_citizen = demo_db.execute(
        "SELECT citizen_pk FROM request WHERE pk = ?", (row["request_pk"],)).fetchone()[0]
    assert (request_citizen, row["citizen_pk"]) == (citizen_pk, citizen_pk)
    assert count(demo_db, "citizen") == citizens_before


def test_a_caller_of_another_number_is_not_taken_for_the_citizen(
    qtbot, phone_window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    """Same name, another number: maybe someone else; the caller is offered as new."""
    _pk, name, _phone = a_citizen(demo_db)
    last, first = name.split(" ", 1)
    dialog = start_call(qtbot, phone_window)
    type_text(dialog.caller, f"{first} {last}")
    type_text(dialog.number, "01 02 03 04 05")
    dialog, intake = make_request_from_call(qtbot, phone_window, dialog)
    assert intake.new_radio.isChecked() and intake.chosen_match() is None
    intake.reject()


# --------------------------------------------------------------------------- in the detail


def test_calls_html_lists_the_calls_in_french() -> None:
    call = CallView(
        pk=1, caller_name="Éloïse <Noël>", phone_number="03 29 41 22 10",
        motive="Salle des fêtes\nle 12 décembre", duration_seconds=200,
        called_at=datetime(2026, 11, 23, 14, 5), agent="Sophie Martin",
        authority="Mairie de Rambervillers", request_pk=3, request_number="2026-000042",
    )
    html = calls_html([call, CallView(**{**call.__dict__, "pk": 2, "phone_number": "",
                                         "motive": "", "agent": "", "duration_seconds": 45,
                                         "called_at": call.called_at + timedelta(days=1)})])
    assert html.startswith("<h3>Appels téléphoniques (2)</h3>")
    assert "23/11/2026 à 14:05" in html and "24/11/2026 à 14:05" in html
    assert f"3{NBSP}min 20{NBSP}s" in html and f"45{NBSP}s" in html
    assert "Éloïse &lt;Noël&gt;" in html and "<Noël>" not in html
    assert "Salle des fêtes<br>le 12 décembre" in html
    assert "— Sophie Martin" in html
    assert calls_html([]) == (
        "<h3>Appels téléphoniques (0)</h3><p class='muted'>Aucun appel téléphonique.</p>")

