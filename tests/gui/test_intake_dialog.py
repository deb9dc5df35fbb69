"""« Nouvelle demande » in the real main window over the demo database (offscreen).

Everything is typed as the secrétaire types it: Ctrl+N, the mnemonics, accented names through
``type_text`` (QTest.keyClicks aborts on non-ASCII characters), Ctrl+Entrée to save.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMenu, QToolBar, QWidget

from desktop.domain.legal_time import to_local
from desktop.domain.text import fold
from desktop.views.intake_dialog import IntakeDialog
from desktop.views.main_window import MainWindow
from tests.conftest import TODAY
from tests.gui.conftest import ARTIFACTS, type_text

pytestmark = pytest.mark.gui

CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier


def open_dialog(qtbot, window: MainWindow) -> IntakeDialog:
    """Ctrl+N in the bannette, as the secrétaire does it."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_N, CTRL)
    dialog = window.findChild(IntakeDialog, "intake-dialog")
    assert dialog is not None
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
    return dialog


def choose(combo, text: str) -> None:  # type: ignore[no-untyped-def]
    index = combo.findText(text)
    assert index >= 0, text
    combo.setCurrentIndex(index)


def mnemonic(qtbot, dialog: IntakeDialog, key: Qt.Key) -> QWidget | None:
    """Alt+letter, then the widget that has the focus."""
    qtbot.keyClick(QApplication.focusWidget() or dialog, key, ALT)
    return QApplication.focusWidget()


def count(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


@pytest.fixture
def intake_window(window: MainWindow) -> MainWindow:
    return window  # the main window installs the action itself


def test_the_action_opens_the_dialog_with_ctrl_n(qtbot, window: MainWindow) -> None:
    action = window.new_request_action
    assert action.objectName() == "action-new-request"
    assert action.text() == "&Nouvelle demande…"
    assert action.shortcut().toString() == "Ctrl+N"
    menu = window.findChild(QMenu, "menu-request")
    toolbar = window.findChild(QToolBar, "request-toolbar")
    assert menu.actions()[0] is action and menu.actions()[1] is window.phone_call_action
    assert menu.actions()[2].isSeparator()
    assert toolbar.actions()[0] is action

    dialog = open_dialog(qtbot, window)
    assert dialog.isVisible() and dialog.isModal()
    assert dialog.windowTitle() == "Nouvelle demande"
    assert dialog.channel.currentText() == "Courrier"
    assert [dialog.channel.itemText(i) for i in range(dialog.channel.count())] == [
        "Courrier", "Téléphone", "Guichet", "Courriel"]
    assert dialog.received.edit.placeholderText() == "jj/mm/aaaa hh:mm"
    received = dialog.received.value()
    assert received is not None and received.date() == TODAY  # the window's (injected) day
    assert dialog.received.problem() is None
    # The window's clock (Paris wall time here), never the PC's.
    assert timedelta(0) <= to_local(window.now()) - received < timedelta(minutes=2)
    assert not dialog.save_button.isEnabled()
    assert QApplication.focusWidget() is dialog.authority

    with qtbot.waitSignal(dialog.rejected, timeout=2000):
        qtbot.keyClick(dialog.authority, Qt.Key.Key_Escape)  # Échap abandons, nothing written
    assert dialog.registered_pk is None


def test_new_citizen_with_accents_is_registered_and_shown(
    qtbot, intake_window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    window = intake_window
    requests_before = count(demo_db, "request")
    dialog = open_dialog(qtbot, window)
    choose(dialog.authority, "Mairie de Rambervillers")
    assert mnemonic(qtbot, dialog, Qt.Key.Key_D) is dialog.procedure
    choose(dialog.procedure, "Réservation de salle communale")
    assert mnemonic(qtbot, dialog, Qt.Key.Key_O) is dialog.subject
    type_text(dialog.subject, "Réservation de la salle des fêtes")
    assert mnemonic(qtbot, dialog, Qt.Key.Key_I) is dialog.body
    type_text(dialog.body, "Pour le repas des aînés, le samedi 12 décembre.")
    assert not dialog.save_button.isEnabled()  # no citizen yet

    mnemonic(qtbot, dialog, Qt.Key.Key_V)  # « Nouvel usager » (a button's mnemonic clicks it)
    qtbot.waitUntil(dialog.new_radio.isChecked, timeout=2000)
    assert dialog.kind.currentText() == "Particulier"
    assert mnemonic(qtbot, dialog, Qt.Key.Key_M) is dialog.last_name
    type_text(dialog.last_name, "Noël")
    assert mnemonic(qtbot, dialog, Qt.Key.Key_P) is dialog.first_name
    type_text(dialog.first_name, "Éloïse")
    for field, text in ((dialog.email, "eloise.noel@example.fr"),
                        (dialog.phone, "03 29 41 22 10"),
                        (dialog.address, "3 rue des Lilas"),
                        (dialog.postcode, "88700"),
                        (dialog.city, "Rambervillers")):
        type_text(field, text)
    assert dialog.save_button.isEnabled()

    ARTIFACTS.mkdir(exist_ok=True)
    assert dialog.grab().save(str(ARTIFACTS / "intake_dialog.png"))

    with qtbot.waitSignal(window.request_actions.requestChanged, timeout=2000) as changed:
        qtbot.keyClick(dialog.body, Qt.Key.Key_Return, CTRL)  # Ctrl+Entrée, even in the text
    pk = dialog.registered_pk
    assert pk is not None and changed.args == [pk]

    assert count(demo_db, "request") == requests_before + 1
    number, citizen, body = demo_db.execute(
        # The reference shown: the commune's INSEE code before its number.
        "SELECT a.insee_code || '-' || r.number, c.display_name, r.body FROM request r "
        "JOIN citizen c ON c.pk = r.citizen_pk JOIN authority a ON a.pk = r.authority_pk "
        "WHERE r.pk = ?", (pk,)
    ).fetchone()
    assert citizen == "NOËL Éloïse"
    assert body == "Pour le repas des aînés, le samedi 12 décembre."
    # The bannette shows it, selected, with its detail; the status bar says its number.
    assert window.selected_pk() == pk
    assert window.detail.shown_pk == pk
    text = window.detail.toPlainText()
    for shown in (f"{number} — Réservation de la salle des fêtes", "Courrier", "NOËL", "Éloïse",
                  "eloise.noel@example.fr", "Pour le repas des aînés", "Demande enregistrée"):
        assert shown in text, shown
    assert window.statusBar().currentMessage() == f"Demande {number} enregistrée."
    assert window.model.total == requests_before + 1
    window.filters.search.setText("eloise noel")
    qtbot.waitUntil(lambda: window.model.matching == 1, timeout=2000)
    assert window.model.pk_at(0) == pk


def test_an_existing_citizen_is_chosen_from_the_search_list(
    qtbot, intake_window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    window = intake_window
    citizen_pk, name, authority = demo_db.execute(
        "SELECT c.pk, c.display_name, a.name FROM citizen c "
        "JOIN authority a ON a.pk = c.authority_pk "
        "WHERE c.kind = 'person' AND a.name = 'Mairie de Bitche' ORDER BY c.pk LIMIT 1"
    ).fetchone()
    citizens_before = count(demo_db, "citizen")
    dialog = open_dialog(qtbot, window)
    choose(dialog.authority, authority)
    choose(dialog.procedure, "Concession funéraire")
    choose(dialog.channel, "Guichet")
    assert mnemonic(qtbot, dialog, Qt.Key.Key_H) is dialog.search
    type_text(dialog.search, fold(name).split()[0])  # the surname, without its accents
    qtbot.waitUntil(lambda: dialog.matches.count() > 0, timeout=2000)
    pks = [dialog.matches.item(i).data(Qt.ItemDataRole.UserRole).pk
           for i in range(dialog.matches.count())]
    assert citizen_pk in pks
    while dialog.chosen_match() is None or dialog.chosen_match().pk != citizen_pk:
        qtbot.keyClick(dialog.search, Qt.Key.Key_Down)
    assert dialog.chosen.text() == f"Usager choisi : {name}"
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)  # takes the citizen, does not save
    assert dialog.isVisible() and QApplication.focusWidget() is dialog.subject
    type_text(dialog.subject, "Renouvellement de concession")
    assert dialog.save_button.isEnabled()
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.keyClick(dialog.subject, Qt.Key.Key_Return, CTRL)

    pk = dialog.registered_pk
    row = demo_db.execute(
        "SELECT citizen_pk, channel, subject FROM request WHERE pk = ?", (pk,)).fetchone()
    assert tuple(row) == (citizen_pk, "counter", "Renouvellement de concession")
    assert count(demo_db, "citizen") == citizens_before
    assert window.selected_pk() == pk


def test_an_invalid_entry_keeps_the_dialog_open_with_the_french_error(
    qtbot, intake_window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    window = intake_window
    before = count(demo_db, "request"), count(demo_db, "citizen")
    dialog = open_dialog(qtbot, window)
    choose(dialog.procedure, "Signalement voirie")
    type_text(dialog.subject, "Nid-de-poule rue de l'Église")
    dialog.new_radio.click()
    choose(dialog.kind, "Entreprise")
    assert not dialog.last_name.isVisible() and dialog.organisation.isVisible()
    assert dialog.siret.isVisible() and not dialog.rna.isVisible()
    type_text(dialog.organisation, "Boulangerie Érard")
    type_text(dialog.siret, "732 829 320 00075")  # a wrong check digit
    type_text(dialog.email, "contact@")
    dialog.save_button.click()

    assert dialog.isVisible() and dialog.registered_pk is None
    assert dialog.error.isVisible()
    assert dialog.error.text().splitlines() == [
        "L'adresse électronique « contact@ » n'est pas valide.",
        "Le SIRET « 73282932000075 » est invalide (clé de contrôle incorrecte).",
    ]
    # Nothing typed is lost, nothing is written.
    assert dialog.subject.text() == "Nid-de-poule rue de l'Église"
    assert dialog.organisation.text() == "Boulangerie Érard"
    assert (count(demo_db, "request"), count(demo_db, "citizen")) == before

    dialog.siret.clear()
    type_text(dialog.siret, "732 829 320 00074")
    dialog.email.clear()
    type_text(dialog.email, "contact@boulangerie-erard.fr")
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        dialog.save_button.click()
    assert count(demo_db, "request") == before[0] + 1
    saved = demo_db.execute(
        "SELECT c.display_name, c.siret FROM request r JOIN citizen c ON c.pk = r.citizen_pk "
        "WHERE r.pk = ?", (dialog.registered_pk,)).fetchone()
    assert tuple(saved) == ("Boulangerie Érard", "73282932000074")


def test_save_waits_for_the_minimum_and_says_what_is_missing(
    qtbot, intake_window: MainWindow
) -> None:
    dialog = open_dialog(qtbot, intake_window)
    assert "la démarche" in dialog.save_button.toolTip()
    choose(dialog.procedure, "Inscription scolaire")
    type_text(dialog.subject, "Inscription en CP")
    assert dialog.save_button.toolTip() == "À renseigner : l'usager."
    qtbot.keyClick(dialog.subject, Qt.Key.Key_Return, CTRL)  # refused, and said
    assert dialog.isVisible()
    assert dialog.error.text() == "À renseigner avant d'enregistrer : l'usager."
    type_text(dialog.search, "zzzzqx")
    assert dialog.matches.count() == 0
    assert "Aucun usager trouvé" in dialog.chosen.text()
    dialog.search.clear()
    type_text(dialog.search, "Lefèvre")
    dialog.new_radio.click()  # what was searched for is the name to create
    assert dialog.last_name.text() == "Lefèvre"
    assert dialog.save_button.isEnabled()
    # Another commune: its own démarches, the choice starts again.
    choose(dialog.authority, "Mairie de Bitche")
    assert dialog.procedure.currentIndex() == -1
    assert not dialog.save_button.isEnabled()


def test_a_request_of_a_shared_commune_gets_a_provisional_number(
    qtbot, intake_window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    """Rambervillers and one of its démarches as if they came from the server: the request
    waits for its number, and its creation waits in the outbox."""
    authority = demo_db.execute(
        "SELECT pk FROM authority WHERE name = 'Mairie de Rambervillers'").fetchone()[0]
    demo_db.execute("UPDATE authority SET version = 3 WHERE pk = ?", (authority,))
    demo_db.execute("UPDATE procedure SET authority_pk = ?, version = 4 "
                    "WHERE name = 'Signalement voirie'", (authority,))
    dialog = open_dialog(qtbot, intake_window)
    choose(dialog.authority, "Mairie de Rambervillers")
    assert [dialog.procedure.itemText(i) for i in range(dialog.procedure.count())] == [
        "Signalement voirie"]
    assert dialog.procedure.currentText() == "Signalement voirie"  # the only one: chosen
    choose(dialog.channel, "Téléphone")
    type_text(dialog.subject, "Lampadaire éteint rue Carnot")
    dialog.new_radio.click()
    type_text(dialog.last_name, "Gérard")
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.keyClick(dialog.subject, Qt.Key.Key_Enter, CTRL)  # the keypad's Entrée too
    assert intake_window.statusBar().currentMessage() == "Demande 88367-P-2026-0001 enregistrée."
    queued = [r[0] for r in demo_db.execute(
        "SELECT name FROM sync_outbox WHERE name != 'audit.read' ORDER BY mutation_id")]
    assert queued == ["citizen.upsert", "request.create"]
