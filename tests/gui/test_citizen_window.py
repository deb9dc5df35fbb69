"""The « Usager » window in the real main window over the demo database (offscreen): the
citizen's requests from two communes, newest first; an edit refused in French with nothing
lost; the duplicate banner and a merge; the look-up over every commune (Ctrl+Maj+H); a
double-click that shows the request in the bannette. Screenshot: test-artifacts/citizen.png."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton

from desktop.store.intake import NewCitizen, NewRequest, procedures_for, register_request
from desktop.store.phone_calls import NewCall, log_call
from desktop.views.citizen.citizen_window import CitizenWindow
from desktop.views.citizen.finder import CitizenFinder
from desktop.views.citizen.merge_dialog import MergeDialog
from desktop.views.intake_dialog import IntakeDialog
from desktop.views.main_window import MainWindow
from desktop.views.phone_call_dialog import PhoneCallDialog
from sync.protocol.vocabulary import Channel
from tests.conftest import TODAY
from tests.gui.conftest import ARTIFACTS, type_text

pytestmark = pytest.mark.gui

ZOE = NewCitizen(
    last_name="Quéméner",
    first_name="Zoé",
    email="zoe.lefevre@example.fr",
    phone="03 29 41 22 10",
    address="12 rue de l'Église",
    postcode="88700",
    city="Rambervillers",
)


def _register(
    window: MainWindow,
    authority: int,
    subject: str,
    days_ago: int,
    citizen: NewCitizen | None = None,
    citizen_pk: int | None = None,
) -> int:
    conn = window._repo.connection  # noqa: SLF001
    received = datetime(TODAY.year, TODAY.month, TODAY.day, 9, 30) - timedelta(days=days_ago)
    return register_request(
        conn,
        NewRequest(
            authority_pk=authority,
            procedure_pk=int(procedures_for(conn, authority)[0].key),
            channel=Channel.PAPER,
            received_at=received,
            subject=subject,
            new_citizen=citizen,
            citizen_pk=citizen_pk,
        ),
        agent_id=None,
        now=datetime(TODAY.year, TODAY.month, TODAY.day, 15, 0),
    )


@pytest.fixture
def zoe(window: MainWindow) -> dict[str, int]:
    """Zoé Quéméner has a request in two communes (one record in each)."""
    communes = [int(c.key) for c in window._repo.authorities()]  # noqa: SLF001
    first = _register(window, communes[0], "Inscription à la cantine", 3, ZOE)
    second = _register(window, communes[1], "Réservation de la salle des fêtes", 1, ZOE)
    window.model.reload(data_changed=True)
    conn = window._repo.connection  # noqa: SLF001
    citizen = conn.execute("SELECT citizen_pk FROM request WHERE pk = ?", (first,)).fetchone()[0]
    log_call(
        conn,
        NewCall(
            authority_pk=communes[0],
            caller_name="Mme Quéméner",
            phone_number="03 29 41 22 10",
            motive="Horaires de la cantine",
            duration_seconds=200,
            called_at=datetime(TODAY.year, TODAY.month, TODAY.day, 9, 5),
            citizen_pk=citizen,
            request_pk=first,
        ),
        agent_id=None,
        now=datetime(TODAY.year, TODAY.month, TODAY.day, 15),
    )
    return {
        "first": first,
        "second": second,
        "citizen": int(citizen),
        "commune_a": communes[0],
        "commune_b": communes[1],
    }


def _open_from_selection(qtbot, window: MainWindow, request_pk: int) -> CitizenWindow:
    window.select_request(request_pk)
    window.findChild(QAction, "action-citizen-file").trigger()
    shown = window.citizens.windows.get(window.citizens.service.of_request(request_pk) or 0)
    assert shown is not None
    qtbot.waitExposed(shown)
    return shown


def test_the_file_shows_requests_from_two_communes_newest_first(
    qtbot, window: MainWindow, zoe: dict[str, int]
) -> None:
    shown = _open_from_selection(qtbot, window, zoe["first"])
    assert shown.windowTitle() == "Usager — QUÉMÉNER Zoé"
    table = shown.requests
    assert table.rowCount() == 2
    communes = [table.item(r, 1).text() for r in range(2)]
    assert len(set(communes)) == 2  # both communes
    assert [table.item(r, 3).text() for r in range(2)] == [
        "Réservation de la salle des fêtes",
        "Inscription à la cantine",
    ]  # newest first
    received = TODAY - timedelta(days=1)
    assert table.item(0, 2).text() == f"{received:%d/%m/%Y}"
    assert "Aussi connu dans" in shown.header.text()
    assert shown.tabs.tabText(0) == "&Demandes (2)"
    assert shown.tabs.tabText(1) == "&Appels (1)"
    assert shown.calls.item(0, 0).text() == f"{TODAY:%d/%m/%Y} à 09:05"
    assert shown.calls.item(0, 4).text() == "3\u00a0min 20\u00a0s"
    assert shown.form.email.text() == "zoe.lefevre@example.fr"
    # Each request by its reference: the commune's INSEE code before its own number.
    assert all(re.fullmatch(r"\d{5}-2026-\d{6}", table.item(r, 0).text()) for r in range(2))
    # The RGPD access trail is the last tab (who read this file, and when).
    assert shown.tabs.tabText(shown.tabs.count() - 1) == "Consultations"
    # The extension point another workspace uses.
    extra = QLabel("Journal des accès")
    index = shown.add_tab("Autre", extra)
    assert shown.tabs.widget(index) is extra

    shown.resize(1180, 560)
    ARTIFACTS.mkdir(exist_ok=True)
    assert shown.grab().save(str(ARTIFACTS / "citizen.png"))

    # Double-click on the older request: the bannette shows it.
    qtbot.mouseDClick(
        table.viewport(),
        Qt.MouseButton.LeftButton,
        pos=table.visualItemRect(table.item(1, 0)).center(),
    )
    assert window.selected_pk() == zoe["first"]


def test_a_bad_edit_is_refused_in_french_and_nothing_is_lost(
    qtbot, window: MainWindow, zoe: dict[str, int]
) -> None:
    shown = window.citizens.open_citizen(zoe["citizen"])
    assert shown is not None
    conn = window._repo.connection  # noqa: SLF001
    before = tuple(conn.execute("SELECT * FROM citizen WHERE pk = ?", (zoe["citizen"],)).fetchone())
    shown.form.email.clear()
    type_text(shown.form.email, "zoé@")
    shown.form.phone.clear()
    type_text(shown.form.phone, "03 29 41")
    assert shown.save_button.isEnabled()
    shown.save_button.click()
    assert shown.error.isVisible()
    assert "L'adresse électronique « zoé@ » n'est pas valide." in shown.error.text()
    assert "Le numéro de téléphone « 03 29 41 » n'est pas valide" in shown.error.text()
    assert shown.form.email.text() == "zoé@"  # what was typed stays
    assert (
        tuple(conn.execute("SELECT * FROM citizen WHERE pk = ?", (zoe["citizen"],)).fetchone())
        == before
    )
    # Corrected: saved, and the bannette's citizen column follows a renamed citizen.
    shown.form.email.setText("zoe@example.fr")
    shown.form.phone.setText("+33 6 12 34 56 78")
    shown.form.last_name.clear()
    type_text(shown.form.last_name, "Quéméner-Martin")
    shown.activateWindow()
    qtbot.waitUntil(shown.isActiveWindow)
    qtbot.keyClick(shown.form.last_name, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert not shown.error.isVisible()
    assert conn.execute(
        "SELECT email, phone, display_name FROM citizen WHERE pk = ?", (zoe["citizen"],)
    ).fetchone()[:] == ("zoe@example.fr", "+33 6 12 34 56 78", "QUÉMÉNER-MARTIN Zoé")
    assert shown.windowTitle() == "Usager — QUÉMÉNER-MARTIN Zoé"


def test_a_duplicate_is_flagged_and_merged(qtbot, window: MainWindow, zoe: dict[str, int]) -> None:
    # A second record of Zoé in commune A, typed with another case and without accents.
    twin = _register(
        window,
        zoe["commune_a"],
        "Carte de stationnement",
        0,
        NewCitizen(last_name="QUEMENER", first_name="zoe", phone="+33 3 29 41 22 10"),
    )
    conn = window._repo.connection  # noqa: SLF001
    twin_citizen = conn.execute("SELECT citizen_pk FROM request WHERE pk = ?", (twin,)).fetchone()[
        0
    ]
    shown = window.citizens.open_citizen(zoe["citizen"])
    assert shown is not None
    assert shown.banner.isVisible()
    assert "Cet usager existe peut-être déjà" in shown.banner.text.text()
    assert "même téléphone" in shown.banner.text.text()
    shown.banner.findChild(QPushButton, "duplicate-merge").click()
    dialog = shown.findChild(MergeDialog)
    assert dialog is not None
    assert "ses demandes (1)" in dialog.summary.text()
    dialog.choose("first_name", "survivor")
    ARTIFACTS.mkdir(exist_ok=True)
    assert dialog.grab().save(str(ARTIFACTS / "citizen-merge.png"))
    dialog.findChild(QPushButton, "merge-ok").click()
    assert dialog.merged_pk == zoe["citizen"]
    # One record now, with every request; the banner is gone; the twin is a tombstone.
    assert shown.requests.rowCount() == 3
    assert not shown.banner.isVisible()
    assert conn.execute(
        "SELECT deleted, merged_into_pk FROM citizen WHERE pk = ?", (twin_citizen,)
    ).fetchone()[:] == (1, zoe["citizen"])
    # Opening the absorbed record opens the survivor.
    assert window.citizens.open_citizen(twin_citizen) is shown


def test_lookup_over_every_commune_opens_the_file(
    qtbot, window: MainWindow, zoe: dict[str, int]
) -> None:
    qtbot.keyClick(
        window,
        Qt.Key.Key_H,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    finder = window.citizens.finder
    assert isinstance(finder, CitizenFinder)
    search = finder.findChild(QLineEdit, "finder-search")
    type_text(search, "quémé")
    assert finder.results.count() == 2  # one record in each commune
    assert "QUÉMÉNER Zoé —" in finder.results.item(0).text()
    finder.results.clear()
    search.clear()
    type_text(search, "03 29 41 22")
    assert finder.results.count() == 2
    qtbot.keyClick(search, Qt.Key.Key_Return)
    assert any(w.isVisible() for w in window.citizens.windows.values())
    QApplication.processEvents()


def test_the_detail_pane_opens_the_file(qtbot, window: MainWindow, zoe: dict[str, int]) -> None:
    window.select_request(zoe["second"])
    assert "ouvrir la fiche" in window.detail.toHtml()
    window.detail.citizenRequested.emit(zoe["second"])
    opened = window.citizens.windows
    assert any(
        w.story and w.story.citizen.authority_pk == zoe["commune_b"] for w in opened.values()
    )


def test_the_intake_flags_a_duplicate_and_takes_the_existing_citizen(
    qtbot, window: MainWindow, zoe: dict[str, int]
) -> None:
    window.new_request_action.trigger()
    dialog = window.findChild(IntakeDialog)
    assert dialog is not None and dialog.duplicates is not None
    dialog.authority.setCurrentIndex(dialog.authority.findData(zoe["commune_a"]))
    dialog.new_radio.setChecked(True)
    type_text(dialog.last_name, "Autre")
    assert not dialog.duplicates.isVisible()
    type_text(dialog.email, "ZOE.lefevre@example.fr")  # the case differs: the same address
    assert dialog.duplicates.isVisible()
    assert "Cet usager existe peut-être déjà" in dialog.duplicates.text.text()
    assert "même courriel" in dialog.duplicates.text.text()
    dialog.duplicates.findChild(QPushButton, "duplicate-merge").click()
    assert dialog.existing_radio.isChecked()
    chosen = dialog.chosen_match()
    assert chosen is not None and chosen.pk == zoe["citizen"]
    dialog.reject()


def test_the_phone_call_flags_a_known_number_and_opens_the_file(
    qtbot, window: MainWindow, zoe: dict[str, int]
) -> None:
    window.phone_call_action.trigger()
    dialog = window.findChild(PhoneCallDialog)
    assert dialog is not None and dialog.duplicates is not None
    dialog.authority.setCurrentIndex(dialog.authority.findData(zoe["commune_a"]))
    type_text(dialog.caller, "Mme Quéméner")
    type_text(dialog.number, "+33 3 29 41 22 10")
    assert dialog.duplicates.isVisible()
    assert "même téléphone" in dialog.duplicates.text.text()
    dialog.duplicates.findChild(QPushButton, "duplicate-open").click()
    assert zoe["citizen"] in window.citizens.windows
    dialog.reject()
