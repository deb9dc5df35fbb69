"""Issue 9, items 1, 3, 4, 5: dates typed into the real dialogs, and what the store then holds.

The dialogs' day is injected (the suite's TODAY, Monday 23 November 2026, or another fixed
day): nothing here reads the PC clock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from desktop.domain.due import DueKind
from desktop.store import legal
from desktop.store.legal import DeadlineSection
from desktop.views.date_entry import DateEntry
from desktop.views.main_window import MainWindow
from desktop.views.missing_documents_dialog import DocumentsReceivedDialog, MissingDocumentsDialog
from tests.conftest import TODAY
from tests.gui.conftest import ARTIFACTS, type_text
from tests.gui.test_intake_dialog import choose, open_dialog

pytestmark = pytest.mark.gui

#: 2026-000071 of Sarrebourg (57), service-public.fr, received Friday 2 October 2026: its
#: acknowledgement was due on Friday 16 October (10 working days), never sent in the demo.
LATE_PK = 197
#: 2026-000068 of Rambervillers (88), « Signalement voirie » (no silence rule), acknowledged.
ROADWORKS_PK = 215


def double_click_and_type(qtbot, entry: DateEntry, text: str) -> None:
    """As the secrétaire does it: double-click the day of the date, type, leave the field."""
    entry.edit.setFocus(Qt.FocusReason.MouseFocusReason)
    day = QPoint(8, entry.edit.height() // 2)
    qtbot.mouseDClick(entry.edit, Qt.MouseButton.LeftButton, pos=day)
    qtbot.keyClicks(entry.edit, text)
    qtbot.keyClick(entry.edit, Qt.Key.Key_Tab)


def fill_the_rest(dialog) -> None:  # type: ignore[no-untyped-def]
    choose(dialog.authority, "Mairie de Rambervillers")
    choose(dialog.procedure, "Réservation de salle communale")
    type_text(dialog.subject, "Réservation de la salle des fêtes")
    dialog.new_radio.setChecked(True)
    type_text(dialog.last_name, "Noël")


def stored_receipt(conn: sqlite3.Connection, pk: int) -> datetime:
    return legal.legal_facts(conn, pk).received_at


# --------------------------------------------------------------------------- item 1: intake


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("20/11", (date(2026, 11, 20), None)),  # the field's time of day is kept
        ("20/11/26", (date(2026, 11, 20), None)),
        ("15/11/2026 10:00", (date(2026, 11, 15), (10, 0))),  # was 01/11/2026 01:00
        ("15/11/2026 9:30", (date(2026, 11, 15), (9, 30))),
        ("15/11/2026 09h30", (date(2026, 11, 15), (9, 30))),
    ],
)
def test_a_typed_receipt_date_is_the_saved_one(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection,
    typed: str, expected: tuple[date, tuple[int, int] | None],
) -> None:
    dialog = open_dialog(qtbot, window)
    shown = dialog.received.value()
    assert isinstance(shown, datetime) and shown.date() == TODAY
    fill_the_rest(dialog)
    double_click_and_type(qtbot, dialog.received, typed)
    day, clock = expected
    hour, minute = clock or (shown.hour, shown.minute)
    assert dialog.received.value() == datetime(day.year, day.month, day.day, hour, minute)
    # What will be saved is written out in full and in words under the field.
    assert dialog.received.edit.text() == f"{day:%d/%m/%Y} {hour:02d}:{minute:02d}"
    assert dialog.received.message.text().startswith(
        {15: "dimanche 15 novembre 2026", 20: "vendredi 20 novembre 2026"}[day.day]
    )
    assert dialog.save_button.isEnabled()
    dialog.save()
    pk = dialog.registered_pk
    assert pk is not None
    saved = stored_receipt(demo_db, pk)
    assert (saved.date(), saved.hour, saved.minute) == (day, hour, minute)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("28/11", "La date de réception ne peut pas être dans le futur. Au plus tard le "
                  "23 novembre 2026"),
        ("24/11/2026 00:00", "ne peut pas être dans le futur"),
        ("31/11/2026", "Le 31 novembre 2026 n'existe pas."),
        ("15/11/2025", "remonte à plus d'un an"),
        ("15/13", "Mois impossible : 13"),
    ],
)
def test_a_wrong_receipt_date_is_refused_next_to_the_field(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection, typed: str, message: str
) -> None:
    requests_before = demo_db.execute("SELECT COUNT(*) FROM request").fetchone()[0]
    dialog = open_dialog(qtbot, window)
    fill_the_rest(dialog)
    double_click_and_type(qtbot, dialog.received, typed)
    assert dialog.received.value() is None
    assert message in dialog.received.message.text()
    assert dialog.received.message.isVisible()
    assert not dialog.save_button.isEnabled()
    assert "une date de réception valide" in dialog.save_button.toolTip()
    if typed == "28/11":
        ARTIFACTS.mkdir(exist_ok=True)
        label = dialog.received.message
        # The form makes room for the wrapped message (after a posted layout request): not cut.
        qtbot.waitUntil(lambda: label.height() >= label.heightForWidth(label.width()), timeout=2000)
        assert dialog.grab().save(str(ARTIFACTS / "intake_dialog_future_date.png"))
    qtbot.keyClick(dialog.subject, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dialog.registered_pk is None and dialog.isVisible()
    assert message in dialog.error.text()
    assert QApplication.focusWidget() is dialog.received.edit
    assert demo_db.execute("SELECT COUNT(*) FROM request").fetchone()[0] == requests_before


def test_tab_into_the_field_selects_the_date_so_typing_replaces_it(
    qtbot, window: MainWindow
) -> None:
    dialog = open_dialog(qtbot, window)
    dialog.channel.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.keyClick(dialog.channel, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.received.edit
    qtbot.waitUntil(lambda: dialog.received.edit.selectedText() == dialog.received.edit.text())
    qtbot.keyClicks(dialog.received.edit, "20/11/2026 8h05")
    assert dialog.received.value() == datetime(2026, 11, 20, 8, 5)


# A popup raises itself and grabs the keyboard; the offscreen platform cannot and says so.
@pytest.mark.qt_log_ignore(
    "This plugin does not support raise", "This plugin does not support grabbing the keyboard"
)
def test_the_calendar_picks_a_day_from_the_keyboard(qtbot, window: MainWindow) -> None:
    dialog = open_dialog(qtbot, window)
    before = dialog.received.value()
    assert isinstance(before, datetime)
    dialog.received.edit.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(dialog.received.edit, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    calendar = dialog.received.calendar
    assert calendar is not None and dialog.received.popup is not None
    qtbot.waitUntil(dialog.received.popup.isVisible, timeout=2000)
    assert calendar.selectedDate().toPython() == TODAY
    assert calendar.maximumDate().toPython() == TODAY  # no future day to pick
    grid = QApplication.focusWidget()
    assert grid is not None and calendar.isAncestorOf(grid)  # the month's grid takes the keys
    qtbot.keyClick(grid, Qt.Key.Key_Left)  # the day before
    qtbot.keyClick(grid, Qt.Key.Key_Return)
    assert not dialog.received.popup.isVisible()
    assert dialog.received.value() == before - timedelta(days=1)


# --------------------------------------------------------------------------- item 5


def missing_dialog(qtbot, today: date, department: str) -> MissingDocumentsDialog:
    dialog = MissingDocumentsDialog("2026-000001", ("Pièce d'identité",), today,
                                    department=department)
    qtbot.addWidget(dialog)
    dialog.required.item(0).setCheckState(Qt.CheckState.Checked)
    return dialog


@pytest.mark.parametrize(
    ("today", "department", "expected"),
    [
        # One month after 1 December is Friday 1 January 2027: the next working day.
        (date(2026, 12, 1), "88", date(2027, 1, 4)),
        # 26 March 2027 is Good Friday in Moselle only, then Easter Monday everywhere.
        (date(2027, 2, 26), "57", date(2027, 3, 30)),
        (date(2027, 2, 26), "88", date(2027, 3, 26)),
        (TODAY, "67", date(2026, 12, 23)),
    ],
)
def test_the_default_deadline_is_a_working_day(
    qtbot, today: date, department: str, expected: date
) -> None:
    dialog = missing_dialog(qtbot, today, department)
    assert dialog.delay.currentText() == "1 mois"
    assert dialog.chosen_deadline() == expected
    assert dialog.deadline.warning() is None
    assert f"{expected.year}" in dialog.preview.toPlainText()
    assert "vendredi 1er janvier 2027" not in dialog.preview.toPlainText()


def test_a_typed_deadline_on_a_holiday_is_allowed_with_a_warning(qtbot) -> None:
    dialog = missing_dialog(qtbot, date(2026, 12, 1), "88")
    dialog.deadline.edit.setFocus()
    double_click_and_type(qtbot, dialog.deadline, "01/01/2027")
    assert dialog.chosen_deadline() == date(2027, 1, 1)
    assert dialog.delay.currentText() == "Autre date"
    assert dialog.deadline.message.text() == (
        "Le vendredi 1er janvier 2027 est férié (Jour de l'an) : prochain jour ouvré le "
        "lundi 4 janvier 2027."
    )
    assert dialog.ok_button.isEnabled()  # a warning, not a refusal
    ARTIFACTS.mkdir(exist_ok=True)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.grab().save(str(ARTIFACTS / "missing_documents_holiday.png"))
    double_click_and_type(qtbot, dialog.deadline, "26/12/2026")
    assert "samedi 26 décembre 2026 n'est pas un jour ouvré" in dialog.deadline.message.text()
    double_click_and_type(qtbot, dialog.deadline, "4/1/27")
    assert dialog.deadline.message.text() == "lundi 4 janvier 2027"
    # Accents typed as key events (QTest.keyClicks aborts on them).
    dialog.deadline.edit.selectAll()
    type_text(dialog.deadline.edit, "1er févr. 2027")
    assert dialog.chosen_deadline() == date(2027, 2, 1)
    assert dialog.deadline.message.text() == "lundi 1er février 2027"
    double_click_and_type(qtbot, dialog.deadline, "1/12")
    assert dialog.chosen_deadline() is None and not dialog.ok_button.isEnabled()
    assert "postérieure à aujourd'hui" in dialog.error.text()


def test_documents_received_on_a_typed_day(qtbot) -> None:
    asked = TODAY - timedelta(days=10)
    dialog = DocumentsReceivedDialog("2026-000001", asked, ["RIB"], TODAY)
    qtbot.addWidget(dialog)
    assert dialog.chosen_date() == TODAY
    for typed, message in (("24/11", "ne peut pas être dans le futur"),
                           ("10/11", "avant d'avoir été demandées")):
        double_click_and_type(qtbot, dialog.received_on, typed)
        assert message in dialog.received_on.message.text()
        assert not dialog.ok_button.isEnabled()
        dialog.accept()
        assert dialog.result() != dialog.DialogCode.Accepted
    double_click_and_type(qtbot, dialog.received_on, "20/11")
    assert dialog.ok_button.isEnabled()
    dialog.accept()
    assert dialog.chosen_date() == date(2026, 11, 20)


# --------------------------------------------------------------------------- items 3 and 4


def test_a_late_acknowledgement_is_shown_late(
    qtbot, make_window: Callable[..., MainWindow], demo_db: sqlite3.Connection
) -> None:
    facts = legal.legal_facts(demo_db, LATE_PK)
    assert facts.legal_dates(TODAY).acknowledgement_due == date(2026, 10, 16)
    legal.record_acknowledgement(demo_db, LATE_PK, at=datetime(2026, 11, 23, 9, 0), agent_id=None)
    window = make_window()
    window.select_request(LATE_PK)
    qtbot.waitUntil(lambda: window.detail.shown_pk == LATE_PK, timeout=2000)
    text = window.detail.toPlainText()
    # 17 October - 23 November in Moselle: five weeks, less 11 November.
    assert ("Accusé de réception\n16 octobre 2026 ⚠ envoyé le 23 novembre 2026, "
            "en retard de 25 jours ouvrés\n10 jours ouvrés") in text
    assert "23 novembre 2026 à 09:00 — en retard de 25 jours ouvrés (délai légal)" in text
    assert "✓ envoyé le 23 novembre" not in text
    ARTIFACTS.mkdir(exist_ok=True)
    assert window.detail.grab().save(str(ARTIFACTS / "detail_late_acknowledgement.png"))
    html = window.detail.toHtml()
    due = html.index("16 octobre 2026")
    cell = html[due - 80:html.index("10 jours ouvrés", due)]
    assert "#0f5132" not in cell and "#842029" in cell  # red, nothing green


def test_an_acknowledged_request_without_silence_rule_still_awaits_its_answer(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    row = demo_db.execute(
        "SELECT due_kind, due_date FROM request WHERE pk = ?", (ROADWORKS_PK,)
    ).fetchone()
    assert tuple(row) == (DueKind.ANSWER_TARGET, "2026-10-18")  # received 11 Oct + 7 days
    window.select_request(ROADWORKS_PK)
    qtbot.waitUntil(lambda: window.detail.shown_pk == ROADWORKS_PK, timeout=2000)
    text = window.detail.toPlainText()
    assert "Aucune échéance" not in text
    assert "Réponse attendue : objectif interne de la mairie le 18 octobre 2026" in text
    window.deadlines_view.refresh(TODAY)
    assert ROADWORKS_PK in window.deadlines_view.entry_pks(DeadlineSection.OVERDUE)
