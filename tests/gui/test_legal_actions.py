"""Issue 5 in the product: legal dates, letters, missing documents, deadlines, implicit decisions.

Driven through the real widgets on the demo database (reference day TODAY = Monday 23 November
2026). Letters are produced for real (.docx); only the tests marked ``libreoffice`` convert
them to PDF, because each conversion takes a second or two. The others use a converter that
reports LibreOffice missing, which is also how the app behaves on a PC without it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import docx
import pymupdf
import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QPushButton, QRadioButton

from desktop.app import fill_demo_letterheads
from desktop.documents.pdf import LibreOfficeConverter, find_soffice
from desktop.domain import deadlines
from desktop.domain.french import format_date_fr
from desktop.domain.legal_time import stored
from desktop.domain.workflow import TransitionError
from desktop.services.letters import LetterService, RequestAction
from desktop.services.tasks import TaskRunner
from desktop.store import legal
from desktop.store.inbox import Column
from desktop.store.legal import DeadlineSection
from desktop.store.requests import refresh_due
from desktop.views.main_window import MainWindow
from desktop.views.mark_sent_dialog import MarkSentDialog
from desktop.views.missing_documents_dialog import DocumentsReceivedDialog, MissingDocumentsDialog
from desktop.views.notifier import LAST_DAY_KEY
from sync.protocol.vocabulary import EventKind, Outcome, Status
from tests.conftest import TODAY
from tests.gui.conftest import ARTIFACTS, type_text

# Demo requests (seed 2026, 500 requests, TODAY), each hand-checked:
#: 2026-000178, Rambervillers (88), paper, « Inscription scolaire » (SVA, 2 months), received
#: Monday 23 November 2026: accepted by silence on 24 January 2027 (23 Jan + 1 day).
SVA_PK = 499
#: 2026-000175, Rambervillers (88), service-public.fr, « Occupation du domaine public » (SVR,
#: 2 months), received 23 November 2026: rejected by silence on 24 January 2027; legal
#: acknowledgement limit: 10 working days = Monday 7 December 2026.
SVR_PK = 494
#: 2026-000172, Rambervillers (88), counter, « Inscription scolaire » (SVA, 2 months), received
#: Saturday 21 November 2026: internal target 28 November, implicit decision 22 January 2027,
#: moved to 24 January 2027 when the documents asked today arrive today.
MISSING_PK = 487


class NoPdf(LibreOfficeConverter):
    """What a PC without LibreOffice (nor Word) gives: the conversion is unavailable."""

    def __init__(self) -> None:
        super().__init__(executable=None)
        self.executable = None


LegalWindow = Callable[..., MainWindow]


@pytest.fixture
def opened() -> list[QUrl]:
    return []


@pytest.fixture
def legal_window(
    make_window: Callable[..., MainWindow],
    demo_db: sqlite3.Connection,
    documents_folder: Path,
    opened: list[QUrl],
) -> LegalWindow:
    """A window whose tasks run inline and whose PDF converter is absent, unless told."""

    fill_demo_letterheads(demo_db)  # what `--demo` does: signatories and courts

    def make(
        *, converter: object = None, synchronous: bool = True, **letters: object
    ) -> MainWindow:
        service = LetterService(
            demo_db,
            documents_root=documents_folder,
            converter=converter or NoPdf(),  # type: ignore[arg-type]
            **letters,  # type: ignore[arg-type]
        )
        return make_window(
            letters=service,
            tasks=TaskRunner(synchronous=synchronous),
            open_url=opened.append,
        )

    return make


def press(qtbot, window: MainWindow, key: Qt.Key, *, shift: bool = False) -> None:
    """A keyboard shortcut as the secrétaire types it, in the active window."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    modifiers = Qt.KeyboardModifier.ControlModifier
    if shift:
        modifiers |= Qt.KeyboardModifier.ShiftModifier
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, key, modifiers)


def select(qtbot, window: MainWindow, pk: int) -> None:
    window.select_request(pk)
    qtbot.waitUntil(lambda: window.detail.shown_pk == pk, timeout=2000)


def request_row(conn: sqlite3.Connection, pk: int) -> sqlite3.Row:
    return conn.execute("SELECT * FROM request WHERE pk = ?", (pk,)).fetchone()


def event_kinds(conn: sqlite3.Connection, pk: int) -> list[str]:
    return [
        k for (k,) in conn.execute("SELECT kind FROM event WHERE request_pk = ? ORDER BY pk", (pk,))
    ]


def cell(window: MainWindow, pk: int, column: Column) -> str:
    row = window.model.row_of(pk)
    assert row is not None
    return str(window.model.index(row, column).data())


def enabled(window: MainWindow) -> set[RequestAction]:
    return {a for a, q in window.request_actions.actions.items() if q.isEnabled()}


def send_letter(window: MainWindow) -> None:
    """« Marquer comme envoyé… » as the dialog offers it: the latest letter, today, by post."""
    window.request_actions.actions[RequestAction.MARK_SENT].trigger()
    dialog = window.request_actions.dialog
    assert isinstance(dialog, MarkSentDialog) and dialog.ok_button.isEnabled()
    dialog.ok_button.click()


def click_button(box: QMessageBox, name: str) -> None:
    button = box.findChild(QPushButton, name)
    assert button is not None, f"no button {name!r} in {box.text()!r}"
    button.click()


def pdf_text(path: Path) -> str:
    with pymupdf.open(path) as document:
        text = "\n".join(page.get_text() for page in document)
    return " ".join(text.split())


def docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [c.text for c in row.cells]
    return " ".join(" ".join(parts).split())


# --------------------------------------------------------------------------- legal dates


def test_detail_pane_shows_the_four_legal_dates(qtbot, legal_window: LegalWindow) -> None:
    window = legal_window()
    select(qtbot, window, SVR_PK)
    text = window.detail.toPlainText()
    assert "Délais légaux" in text
    assert (
        "Accusé d'enregistrement\n24 novembre 2026 ✓ envoyé le 23 novembre 2026\n"
        "1 jour ouvré, art. R112-11-1" in text
    )
    assert "Accusé de réception\n7 décembre 2026\n10 jours ouvrés, art. R112-11-1 CRPA" in text
    assert "Décision implicite\n24 janvier 2027 — rejet tacite\nsilence de 2 mois" in text
    assert "Objectif interne\n30 novembre 2026\n7 jours calendaires après la réception" in text

    select(qtbot, window, 490)  # awaiting documents asked on 21 November
    text = window.detail.toPlainText()
    assert "Suspendu — pièces manquantes demandées le " in text
    assert "Pas d'accusé d'enregistrement : demande non électronique" in text


def test_actions_follow_the_status_rules(
    qtbot, legal_window: LegalWindow, demo_db: sqlite3.Connection
) -> None:
    window = legal_window()
    assert not enabled(window), "nothing selected, nothing to do"
    select(qtbot, window, SVA_PK)  # paper, received
    assert enabled(window) == {RequestAction.ACKNOWLEDGEMENT, RequestAction.MISSING_DOCUMENTS}
    tip = window.request_actions.actions[RequestAction.REGISTRATION_RECEIPT].toolTip()
    assert "demandes électroniques" in tip
    select(qtbot, window, 490)  # acknowledged, then documents asked on 21 November
    assert enabled(window) == {RequestAction.DOCUMENTS_RECEIVED}
    closed = demo_db.execute("SELECT pk FROM request WHERE status = 'closed' LIMIT 1").fetchone()[0]
    select(qtbot, window, closed)
    assert not enabled(window)
    # The menu and the toolbar carry the same actions, with their shortcuts, after the
    # ones that do not depend on the selected request (« Nouvelle demande »…), before the
    # reply's (« Rédiger une réponse… », issue 10), then the team's (« Attribuer… », issue 12).
    legal = list(window.request_actions.actions.values())
    replies = list(window.replies.actions.values())
    team = [window.teamwork.actions[k] for k in ("assign", "notes", "edit")]
    menu = next(m for m in window.menuBar().actions() if m.text() == "&Demande").menu()
    in_menu = [a for a in menu.actions() if not a.isSeparator()]
    assert in_menu[-len(legal) - len(replies) - len(team):] == legal + replies + team
    assert window.new_request_action in in_menu
    in_toolbar = [a for a in window.request_toolbar.actions() if not a.isSeparator()]
    assert in_toolbar[-len(legal) - len(replies) + 1:] == legal + replies[:-1]
    shortcut = window.request_actions.actions[RequestAction.ACKNOWLEDGEMENT].shortcut()
    assert shortcut.toString() == "Ctrl+Shift+A"


# --------------------------------------------------------------------------- letters


def test_acknowledgement_without_libreoffice_keeps_the_word_file(
    qtbot, legal_window: LegalWindow, demo_db: sqlite3.Connection, opened: list[QUrl]
) -> None:
    """Issue 9: producing the acknowledgement is not sending it. A Word-only letter can be
    produced again and converted later; « Marquer comme envoyé… » records the sending, and only
    then does the request count as acknowledged."""
    window = legal_window()
    select(qtbot, window, SVA_PK)
    assert cell(window, SVA_PK, Column.DUE) == "30 nov. 2026 (AR)"
    events_before = event_kinds(demo_db, SVA_PK)
    window.table.setFocus()
    press(qtbot, window, Qt.Key.Key_A, shift=True)

    # Produced, not sent: the request still awaits its acknowledgement.
    row = request_row(demo_db, SVA_PK)
    assert row["status"] == Status.RECEIVED and row["acknowledged_at"] is None
    assert row["due_kind"] == "internal_target" and row["due_date"] == "2026-11-30"
    assert event_kinds(demo_db, SVA_PK)[len(events_before):] == [EventKind.LETTER_PRODUCED]
    [letter] = window.letters.letters(SVA_PK)
    assert (letter.kind, letter.edition, letter.docx, letter.pdf, letter.sent_on) == (
        "accuse_reception", 1, "88367-2026-000178_accuse_reception.docx", None, None)
    assert letter.produced_at.date() == date(2026, 11, 23)
    assert cell(window, SVA_PK, Column.STATUS) == "Reçue"
    pane = window.detail.toPlainText()
    assert "produit le 23 novembre 2026, pas encore envoyé" in pane
    assert "Word seulement" in pane
    assert {RequestAction.ACKNOWLEDGEMENT, RequestAction.MARK_SENT,
            RequestAction.CONVERT_PDF} <= enabled(window)

    folder = window.letters.documents_root / "Mairie de Rambervillers" / "2026-000178"
    word = folder / "88367-2026-000178_accuse_reception.docx"
    assert word.is_file() and not (folder / "88367-2026-000178_accuse_reception.pdf").exists()
    text = docx_text(word)
    assert "reçue le 23 novembre 2026" in text
    assert "réputée acceptée le 24 janvier 2027" in text

    box = window.request_actions.message
    assert box is not None and box.isVisible()
    assert "le PDF n'a pas pu être créé" in box.text()
    assert "Installez LibreOffice" in box.text()
    assert "Marquer comme envoyé" in box.text()
    click_button(box, "open-document")
    assert opened == [QUrl.fromLocalFile(str(word))]

    # « Convertir en PDF » stays offered, and says plainly there is no converter.
    failures: list[str] = []
    window.request_actions.actionFailed.connect(failures.append)
    window.request_actions.actions[RequestAction.CONVERT_PDF].trigger()
    assert len(failures) == 1 and "Aucun logiciel de conversion en PDF" in failures[0]
    assert RequestAction.CONVERT_PDF in enabled(window)

    # Produced again: a second edition beside the first, which is kept.
    first = word.read_bytes()
    window.request_actions.actions[RequestAction.ACKNOWLEDGEMENT].trigger()
    second = folder / "88367-2026-000178_accuse_reception_v2.docx"
    assert second.is_file() and word.read_bytes() == first
    assert [x.edition for x in window.letters.letters(SVA_PK)] == [1, 2]
    assert request_row(demo_db, SVA_PK)["acknowledged_at"] is None

    # Marked as sent by e-mail, today in the commune (the date cannot be in the future).
    window.request_actions.actions[RequestAction.MARK_SENT].trigger()
    dialog = window.request_actions.dialog
    assert isinstance(dialog, MarkSentDialog) and dialog.isVisible()
    assert dialog.chosen_letter().edition == 2
    assert dialog.chosen_date() == date(2026, 11, 23)
    dialog.sent_on.set_value(date(2026, 11, 24))
    assert dialog.chosen_date() is None and not dialog.ok_button.isEnabled(), (
        "tomorrow is refused with its message")
    assert "futur" in (dialog.problem() or "")
    dialog.sent_on.set_value(date(2026, 11, 23))
    assert dialog.chosen_date() == date(2026, 11, 23)
    dialog.findChild(QRadioButton, "mode-email").setChecked(True)
    dialog.ok_button.click()

    row = request_row(demo_db, SVA_PK)
    assert row["status"] == Status.ACKNOWLEDGED
    assert row["acknowledged_at"].startswith("2026-11-23T")
    assert row["due_kind"] == "implicit_acceptance" and row["due_date"] == "2027-01-24"
    assert event_kinds(demo_db, SVA_PK)[-2:] == [
        EventKind.ACKNOWLEDGEMENT_SENT, EventKind.STATUS_CHANGED]
    detail = json.loads(
        demo_db.execute(
            "SELECT detail FROM event WHERE request_pk = ? AND kind = 'acknowledgement_sent'",
            (SVA_PK,),
        ).fetchone()[0]
    )
    assert detail == {"files": ["88367-2026-000178_accuse_reception_v2.docx"],
                      "sent_on": "2026-11-23", "mode": "email"}
    assert cell(window, SVA_PK, Column.STATUS) == "Accusée"
    assert cell(window, SVA_PK, Column.DUE) == "24 janv. 2027 (SVA)"
    pane = window.detail.toPlainText()
    assert "Accusé de réception envoyé le 23 novembre 2026 (courriel)" in pane
    assert "envoyé le 23 novembre 2026 par courriel" in pane
    assert "remplacé par la version 2" in pane
    assert RequestAction.ACKNOWLEDGEMENT not in enabled(window)
    assert RequestAction.MARK_SENT not in enabled(window)
    assert RequestAction.CONVERT_PDF in enabled(window), "the sent edition is still Word only"
    window.detail.resize(560, 1000)
    ARTIFACTS.mkdir(exist_ok=True)
    window.detail.grab().save(str(ARTIFACTS / "detail-letter-produced-and-sent.png"))


@pytest.mark.libreoffice
def test_a_word_only_letter_is_converted_later(
    qtbot, legal_window: LegalWindow, demo_db: sqlite3.Connection
) -> None:
    window = legal_window()
    select(qtbot, window, SVA_PK)
    window.request_actions.actions[RequestAction.ACKNOWLEDGEMENT].trigger()
    [letter] = window.letters.letters(SVA_PK)
    assert letter.pdf is None
    window.letters.converter = LibreOfficeConverter()  # LibreOffice installed meanwhile
    with qtbot.waitSignal(window.request_actions.pdfConverted, timeout=120_000):
        window.request_actions.actions[RequestAction.CONVERT_PDF].trigger()
    [letter] = window.letters.letters(SVA_PK)
    folder = window.letters.documents_root / "Mairie de Rambervillers" / "2026-000178"
    assert letter.pdf == "88367-2026-000178_accuse_reception.pdf"
    assert "reçue le 23 novembre 2026" in pdf_text(folder / letter.pdf)
    assert RequestAction.CONVERT_PDF not in enabled(window)
    assert "Word et PDF" in window.detail.toPlainText()


def test_a_rendering_failure_records_nothing(
    qtbot,
    legal_window: LegalWindow,
    demo_db: sqlite3.Connection,
    tmp_path: Path,
) -> None:
    templates = tmp_path / "templates"
    (templates / "Mairie de Rambervillers").mkdir(parents=True)
    # A mairie's own template saved in the wrong format: not a Word document.
    (templates / "Mairie de Rambervillers" / "accuse_reception.docx").write_text("pas un docx")
    window = legal_window(template_root=templates)
    before = (tuple(request_row(demo_db, SVA_PK)), event_kinds(demo_db, SVA_PK))
    select(qtbot, window, SVA_PK)
    failures: list[str] = []
    window.request_actions.actionFailed.connect(failures.append)
    window.request_actions.actions[RequestAction.ACKNOWLEDGEMENT].trigger()

    assert (tuple(request_row(demo_db, SVA_PK)), event_kinds(demo_db, SVA_PK)) == before
    assert len(failures) == 1
    assert "rien n'a été enregistré" in failures[0]
    assert "n'est pas un document Word (.docx) valide" in failures[0]
    box = window.request_actions.message
    assert box is not None and box.isVisible() and box.icon() == QMessageBox.Icon.Warning
    assert cell(window, SVA_PK, Column.STATUS) == "Reçue"
    assert RequestAction.ACKNOWLEDGEMENT in enabled(window), "the secrétaire can try again"
    assert not list((window.letters.documents_root).rglob("*.docx"))


def test_registration_receipt_for_an_electronic_request(
    qtbot, legal_window: LegalWindow, demo_db: sqlite3.Connection
) -> None:
    pk = 495  # 2026-000176, web, received today; pretend the automatic receipt failed
    demo_db.execute("UPDATE request SET registration_receipt_at = NULL WHERE pk = ?", (pk,))
    refresh_due(demo_db, pk)
    window = legal_window()
    window.model.refresh_rows({pk})
    select(qtbot, window, pk)
    assert cell(window, pk, Column.DUE) == "24 nov. 2026 (AE)"
    assert RequestAction.REGISTRATION_RECEIPT in enabled(window)
    press(qtbot, window, Qt.Key.Key_E, shift=True)
    assert request_row(demo_db, pk)["registration_receipt_at"] is None, "produced, not sent"
    assert event_kinds(demo_db, pk)[-1] == EventKind.LETTER_PRODUCED
    assert cell(window, pk, Column.DUE) == "24 nov. 2026 (AE)"
    send_letter(window)
    row = request_row(demo_db, pk)
    assert row["registration_receipt_at"] is not None
    assert row["status"] == Status.RECEIVED, "the receipt is not the acknowledgement"
    assert event_kinds(demo_db, pk)[-1] == EventKind.REGISTRATION_RECEIPT_SENT
    assert cell(window, pk, Column.DUE) == "30 nov. 2026 (AR)"
    assert RequestAction.REGISTRATION_RECEIPT not in enabled(window)


# --------------------------------------------------------------------------- missing documents


def test_missing_documents_dialog_suspends_then_restarts_the_clock(
    qtbot, legal_window: LegalWindow, demo_db: sqlite3.Connection
) -> None:
    window = legal_window()
    select(qtbot, window, MISSING_PK)
    assert cell(window, MISSING_PK, Column.DUE) == "28 nov. 2026 (AR)"
    window.request_actions.actions[RequestAction.MISSING_DOCUMENTS].trigger()
    dialog = window.request_actions.dialog
    assert isinstance(dialog, MissingDocumentsDialog) and dialog.isVisible()

    # Nothing chosen yet: a French message and no way to confirm.
    assert dialog.error.text() == "Cochez ou saisissez au moins une pièce manquante."
    assert not dialog.ok_button.isEnabled()
    required = [dialog.required.item(i).text() for i in range(dialog.required.count())]
    assert required == json.loads(
        demo_db.execute(
            "SELECT p.required_documents FROM procedure p JOIN request r "
            "ON r.procedure_pk = p.pk WHERE r.pk = ?",
            (MISSING_PK,),
        ).fetchone()[0]
    )
    dialog.required.item(0).setCheckState(Qt.CheckState.Checked)
    dialog.others.setFocus()
    type_text(dialog.others, "Certificat de radiation de l'école précédente")
    assert dialog.documents() == [required[0], "Certificat de radiation de l'école précédente"]
    # Default delay: one month, « de quantième à quantième ».
    assert dialog.delay.currentText() == "1 mois"
    assert dialog.chosen_deadline() == date(2026, 12, 23)
    preview = dialog.preview.toPlainText()
    assert "Certificat de radiation de l'école précédente" in preview
    assert "mercredi 23 décembre 2026" in preview
    assert dialog.ok_button.isEnabled() and dialog.error.text() == ""
    dialog.delay.setCurrentText("15 jours")
    assert dialog.chosen_deadline() == date(2026, 12, 8)
    dialog.delay.setCurrentText("1 mois")
    dialog.ok_button.click()

    row = request_row(demo_db, MISSING_PK)
    assert row["status"] == Status.AWAITING_DOCUMENTS
    assert row["due_kind"] == "suspended" and row["due_date"] is None
    asked = demo_db.execute(
        "SELECT asked_on, received_on, documents, deadline FROM missing_documents "
        "WHERE request_pk = ?",
        (MISSING_PK,),
    ).fetchall()
    assert [tuple(a) for a in asked] == [
        (
            "2026-11-23",
            None,
            json.dumps(
                [required[0], "Certificat de radiation de l'école précédente"], ensure_ascii=False
            ),
            "2026-12-23",
        )
    ]
    assert cell(window, MISSING_PK, Column.DUE) == "Suspendue"
    assert cell(window, MISSING_PK, Column.STATUS) == "Pièces demandées"
    assert "Suspendu — pièces manquantes demandées le 23 novembre 2026" in (
        window.detail.toPlainText()
    )
    # The letter asking for them (Word only here) can be marked as sent and converted later.
    assert enabled(window) == {RequestAction.ACKNOWLEDGEMENT, RequestAction.DOCUMENTS_RECEIVED,
                               RequestAction.MARK_SENT, RequestAction.CONVERT_PDF}
    letter = next(window.letters.documents_root.rglob("*_demande_pieces_manquantes.docx"))
    assert "23 décembre 2026" in docx_text(letter)

    # « Pièces reçues »: the clock restarts from the day they arrived.
    window.request_actions.actions[RequestAction.DOCUMENTS_RECEIVED].trigger()
    received = window.request_actions.dialog
    assert isinstance(received, DocumentsReceivedDialog)
    assert received.chosen_date() == TODAY
    received.accept()
    row = request_row(demo_db, MISSING_PK)
    assert row["status"] == Status.ACKNOWLEDGED
    assert (row["due_kind"], row["due_date"]) == ("implicit_acceptance", "2027-01-24")
    assert cell(window, MISSING_PK, Column.DUE) == "24 janv. 2027 (SVA)"
    assert event_kinds(demo_db, MISSING_PK)[-2:] == [
        EventKind.MISSING_DOCUMENTS_RECEIVED,
        EventKind.STATUS_CHANGED,
    ]
    assert "24 janvier 2027 — accord tacite" in window.detail.toPlainText()
    assert "à compter de la réception des pièces manquantes le 23 novembre 2026" in (
        window.detail.toPlainText()
    )


def test_missing_documents_dialog_validates_the_date(qtbot) -> None:
    dialog = MissingDocumentsDialog(
        "2026-000001", ("Pièce d'identité",), TODAY, department="88"
    )
    qtbot.addWidget(dialog)
    dialog.required.item(0).setCheckState(Qt.CheckState.Checked)
    assert dialog.ok_button.isEnabled()
    # Today and the past are refused, with the reason next to the field.
    dialog.deadline.edit.setText(format_date_fr(TODAY - timedelta(days=4)))
    assert dialog.chosen_deadline() is None
    assert dialog.delay.currentText() == "Autre date"
    assert "postérieure à aujourd'hui" in dialog.deadline.message.text()
    assert not dialog.ok_button.isEnabled()
    dialog.deadline.edit.setText(format_date_fr(TODAY + timedelta(days=1)))
    assert dialog.chosen_deadline() == TODAY + timedelta(days=1)
    assert dialog.ok_button.isEnabled()
    dialog.others.setPlainText("Pièce d'identité\n - pièce d'identité\n")
    assert dialog.documents() == ["Pièce d'identité"], "the same document is asked once"
    dialog.required.item(0).setCheckState(Qt.CheckState.Unchecked)
    dialog.others.setPlainText("")
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert "au moins une pièce" in dialog.error.text()


# --------------------------------------------------------------------------- implicit decisions


def expected_implicit(conn: sqlite3.Connection, today: date) -> dict[int, Outcome]:
    """Independently of the sweep's SQL: every open undecided request, through the engine."""
    found = {}
    rows = conn.execute(
        "SELECT r.pk FROM request r JOIN procedure p ON p.pk = r.procedure_pk "
        "WHERE r.deleted = 0 AND r.outcome IS NULL AND r.status NOT IN ('answered', 'closed') "
        "AND p.silence_rule != 'none'"
    ).fetchall()
    for (pk,) in rows:
        facts = legal.legal_facts(conn, pk)
        on = deadlines.implicit_decision_date(
            facts.received_at.date(),
            facts.procedure.period,
            facts.procedure.unit,
            facts.clock_pairs,
            today=today,
        )
        if on is not None and on <= today:
            accept = facts.procedure.silence_rule == "accept"
            found[pk] = Outcome.IMPLICIT_ACCEPTANCE if accept else Outcome.IMPLICIT_REJECTION
    return found


def test_implicit_decision_sweep_marks_the_right_requests_once(
    demo_db: sqlite3.Connection,
) -> None:
    expected = expected_implicit(demo_db, TODAY)
    assert len(expected) >= 10, "the demo has open requests past their decision date"
    assert {Outcome.IMPLICIT_ACCEPTANCE, Outcome.IMPLICIT_REJECTION} <= set(expected.values())
    events_before = demo_db.execute("SELECT COUNT(*) FROM event").fetchone()[0]
    marked = legal.record_implicit_decisions(demo_db, TODAY)
    assert sorted(marked) == sorted(expected)
    for pk, outcome in expected.items():
        row = request_row(demo_db, pk)
        assert row["outcome"] == outcome
        assert row["status"] not in ("answered", "closed"), "the status does not move"
        last = demo_db.execute(
            "SELECT kind, detail, agent_pk, at FROM event WHERE request_pk = ? "
            "ORDER BY pk DESC LIMIT 1",
            (pk,),
        ).fetchone()
        detail = json.loads(last["detail"])
        assert last["kind"] == EventKind.OUTCOME_SET and last["agent_pk"] is None
        assert detail["outcome"] == outcome and detail["implicit"] is True
        # Dated midnight of the day it arose, in the commune (stored in UTC).
        midnight = datetime.fromisoformat(f"{detail['arose_on']}T00:00:00")
        assert last["at"] == stored(midnight.replace(tzinfo=ZoneInfo("Europe/Paris")))
    assert demo_db.execute("SELECT COUNT(*) FROM event").fetchone()[0] == events_before + len(
        expected
    )
    # Idempotent: nothing more the same day, nor the day after for the same requests.
    assert legal.record_implicit_decisions(demo_db, TODAY) == []
    assert demo_db.execute("SELECT COUNT(*) FROM event").fetchone()[0] == events_before + len(
        expected
    )
    arising_tomorrow = expected_implicit(demo_db, TODAY + timedelta(days=1))
    tomorrow = legal.record_implicit_decisions(demo_db, TODAY + timedelta(days=1))
    assert tomorrow and not set(tomorrow) & set(expected)
    assert sorted(tomorrow) == sorted(arising_tomorrow)


def test_sweep_agrees_with_the_engine_day_after_day(demo_db: sqlite3.Connection) -> None:
    """Over three months of days (month ends, 31 December, February): SQL never drops one."""
    day = TODAY
    for _ in range(100):
        expected = expected_implicit(demo_db, day)
        assert sorted(legal.record_implicit_decisions(demo_db, day)) == sorted(expected), day
        day += timedelta(days=1)


def test_start_up_and_a_new_day_record_implicit_decisions(
    qtbot, legal_window: LegalWindow, demo_db: sqlite3.Connection, opened: list[QUrl]
) -> None:
    expected = expected_implicit(demo_db, TODAY)
    window = legal_window()
    assert sorted(window.implicit_decisions) == sorted(expected)
    pk, outcome = next((p, o) for p, o in expected.items() if o == Outcome.IMPLICIT_ACCEPTANCE)
    assert cell(window, pk, Column.STATUS).endswith("— Accord tacite acquis")
    rejected = next(p for p, o in expected.items() if o == Outcome.IMPLICIT_REJECTION)
    assert cell(window, rejected, Column.STATUS).endswith("— Rejet tacite")

    # The attestation of implicit acceptance (L232-3) is now available, and recorded.
    select(qtbot, window, pk)
    assert RequestAction.IMPLICIT_ACCEPTANCE_CERTIFICATE in enabled(window)
    window.request_actions.actions[RequestAction.IMPLICIT_ACCEPTANCE_CERTIFICATE].trigger()
    note = demo_db.execute(
        "SELECT kind, detail FROM event WHERE request_pk = ? ORDER BY pk DESC LIMIT 1", (pk,)
    ).fetchone()
    assert note["kind"] == EventKind.IMPLICIT_ACCEPTANCE_CERTIFIED
    assert json.loads(note["detail"])["files"]
    assert "Attestation d'accord tacite délivrée" in window.detail.toPlainText()
    word = next(window.letters.documents_root.rglob("*_attestation_accord_tacite.docx"))
    facts = legal.legal_facts(demo_db, pk)
    decided = facts.legal_dates(TODAY).implicit_decision_date
    assert decided is not None and format_date_fr(decided) in docx_text(word)

    # The clock passes midnight with the window open.
    tomorrow = TODAY + timedelta(days=1)
    upcoming = expected_implicit(demo_db, tomorrow)
    assert upcoming, "some decisions arise on 24 November 2026"
    window._today = lambda: tomorrow  # type: ignore[method-assign]
    window.request_actions._today = lambda: tomorrow
    window.check_day()
    assert sorted(window.implicit_decisions) == sorted(upcoming)
    for new_pk in upcoming:
        assert " — " in cell(window, new_pk, Column.STATUS)


# --------------------------------------------------------------------------- deadlines view


def sql_count(conn: sqlite3.Connection, where: str, *params: object) -> int:
    return conn.execute(
        "SELECT COUNT(*) FROM request WHERE deleted = 0 AND due_date IS NOT NULL "
        f"AND status NOT IN ('answered', 'closed') AND {where}",
        params,
    ).fetchone()[0]


def test_deadlines_view_sections_match_sql_and_lead_to_the_request(
    qtbot, legal_window: LegalWindow, demo_db: sqlite3.Connection
) -> None:
    window = legal_window()
    press(qtbot, window, Qt.Key.Key_E)
    view = window.deadlines_view
    assert window.tabs.currentWidget() is view and view.hasFocus()
    day = TODAY.isoformat()
    expected = {
        DeadlineSection.OVERDUE: sql_count(demo_db, "due_date < ?", day),
        DeadlineSection.TODAY: sql_count(demo_db, "due_date = ?", day),
        DeadlineSection.THIS_WEEK: sql_count(
            demo_db, "due_date > ? AND due_date <= '2026-11-29'", day
        ),
        DeadlineSection.IMPLICIT_SOON: sql_count(
            demo_db,
            "outcome IS NULL AND due_kind IN ('implicit_acceptance', 'implicit_rejection') "
            "AND due_date BETWEEN ? AND '2026-11-30'",
            day,
        ),
    }
    assert all(expected.values()), expected
    titles = {
        DeadlineSection.OVERDUE: "En retard",
        DeadlineSection.TODAY: "Aujourd'hui",
        DeadlineSection.THIS_WEEK: "Cette semaine",
        DeadlineSection.IMPLICIT_SOON: "Décisions implicites à venir (7 jours)",
    }
    for section, count in expected.items():
        assert len(view.entry_pks(section)) == count
        assert view.sections[section].text(0) == f"{titles[section]} ({count})"
    urgent = expected[DeadlineSection.OVERDUE] + expected[DeadlineSection.TODAY]
    assert window.tabs.tabText(1) == f"É&chéances ({urgent})"

    # Keyboard: the first overdue entry is current; Enter opens it in the bannette, even when
    # a filter hid it.
    window.filters.search.setText("zzzz introuvable")
    window.filters.apply_now()
    assert window.model.rowCount() == 0
    press(qtbot, window, Qt.Key.Key_E)
    first = view.entry_pks(DeadlineSection.OVERDUE)[0]
    assert view.current_pk() == first
    qtbot.keyClick(view, Qt.Key.Key_Down)
    second = view.entry_pks(DeadlineSection.OVERDUE)[1]
    assert view.current_pk() == second
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert window.tabs.currentIndex() == 0
    assert window.selected_pk() == second and window.detail.shown_pk == second
    assert window.table.hasFocus()


def test_deadlines_view_follows_an_acknowledgement(
    qtbot, legal_window: LegalWindow, demo_db: sqlite3.Connection
) -> None:
    window = legal_window()
    view = window.deadlines_view
    window.show_deadlines()
    overdue = len(view.entry_pks(DeadlineSection.OVERDUE))
    pk = next(
        pk
        for pk in view.entry_pks(DeadlineSection.OVERDUE)
        if request_row(demo_db, pk)["status"] == Status.RECEIVED
        and request_row(demo_db, pk)["outcome"] is None
    )
    select(qtbot, window, pk)
    window.request_actions.actions[RequestAction.ACKNOWLEDGEMENT].trigger()
    send_letter(window)
    # The tab title follows at once; the tree when it is shown again.
    today = len(view.entry_pks(DeadlineSection.TODAY))
    assert window.tabs.tabText(1) == f"É&chéances ({overdue - 1 + today})"
    window.show_deadlines()
    assert pk not in view.entry_pks(DeadlineSection.OVERDUE)
    assert len(view.entry_pks(DeadlineSection.OVERDUE)) == overdue - 1


def test_deadlines_view_caps_long_sections(
    qtbot, legal_window: LegalWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("desktop.views.deadlines_view.MAX_ENTRIES", 10)
    window = legal_window()
    window.show_deadlines()
    view = window.deadlines_view
    top = view.sections[DeadlineSection.OVERDUE]
    total = window.deadlines.counts(TODAY)[DeadlineSection.OVERDUE]
    assert top.text(0) == f"En retard ({total})"
    assert len(view.entry_pks(DeadlineSection.OVERDUE)) == 10
    last = top.child(top.childCount() - 1).text(0)
    assert last == f"… et {total - 10} autres : filtre « En retard » de la bannette"


# --------------------------------------------------------------------------- notification


def test_morning_notification_once_per_day(
    qtbot, legal_window: LegalWindow, settings_file: Path
) -> None:
    window = legal_window()
    text = window.notify_deadlines()
    assert text is not None and "en retard" in text and "aujourd'hui" in text
    assert window.statusBar().currentMessage() == f"Bannette — échéances du jour : {text}"
    assert window.notify_deadlines() is None, "once a day"
    assert window._settings.value(LAST_DAY_KEY) == TODAY.isoformat()
    window.close()

    again = legal_window()  # reopening the app the same afternoon
    assert again.notify_deadlines() is None
    tomorrow = TODAY + timedelta(days=1)
    shown: list[tuple[str, str]] = []
    again.notifier._show = lambda title, body: shown.append((title, body))  # type: ignore[method-assign]
    again._today = lambda: tomorrow  # type: ignore[method-assign]
    again.check_day()  # the timer's tick after midnight
    assert len(shown) == 1 and shown[0][0] == "Bannette — échéances du jour"
    again.check_day()
    assert len(shown) == 1


# --------------------------------------------------------------------------- the task runner


def test_task_runner_reports_on_the_gui_thread(qtbot) -> None:
    runner = TaskRunner()
    gui = threading.get_ident()
    seen: dict[str, object] = {}
    busy: list[bool] = []
    runner.busyChanged.connect(busy.append)

    def work() -> int:
        seen["worker"] = threading.get_ident()
        return 42

    runner.run(work, on_success=lambda r: seen.update(result=r, thread=threading.get_ident()))
    qtbot.waitUntil(lambda: "result" in seen, timeout=5000)
    assert seen["result"] == 42 and seen["thread"] == gui and seen["worker"] != gui

    def broken() -> None:
        raise ValueError("modèle cassé")

    runner.run(broken, on_failure=lambda exc: seen.update(error=exc, where=threading.get_ident()))
    qtbot.waitUntil(lambda: "error" in seen, timeout=5000)
    assert str(seen["error"]) == "modèle cassé" and seen["where"] == gui
    assert busy == [True, False, True, False]
    assert not runner.busy


# --------------------------------------------------------------------------- screenshots


def test_screenshot_of_the_deadlines_view(qtbot, legal_window: LegalWindow) -> None:
    window = legal_window()
    window.show_deadlines()
    qtbot.wait(50)
    ARTIFACTS.mkdir(exist_ok=True)
    assert window.grab().save(str(ARTIFACTS / "deadlines_view.png"))
    window.show_inbox()
    select(qtbot, window, SVR_PK)
    qtbot.wait(50)
    assert window.grab().save(str(ARTIFACTS / "legal_dates_detail.png"))


# --------------------------------------------------------------------------- real PDFs

needs_libreoffice = pytest.mark.skipif(
    find_soffice() is None, reason="LibreOffice (soffice) is not installed"
)


@pytest.mark.libreoffice
@needs_libreoffice
@pytest.mark.parametrize(
    ("pk", "mentions", "absent"),
    [
        pytest.param(
            SVA_PK,
            (
                "reçue le 23 novembre 2026",
                "réputée acceptée le 24 janvier 2027",
                "article L232-3",
                "Mairie de Rambervillers",
                "Place du 30 Septembre",
                "accueil@mairie-rambervillers.fr",
                "03 29 65 37 37",
                "Rambervillers, le 23 novembre 2026",
                "Le Maire Claire Vautrin",
            ),
            ("réputée rejetée",),
            id="sva",
        ),
        pytest.param(
            SVR_PK,
            (
                "reçue le 23 novembre 2026",
                "réputée rejetée le 24 janvier 2027",
                "recours contentieux devant le tribunal administratif de Nancy",
                "dans un délai de deux mois",
            ),
            ("réputée acceptée",),
            id="svr",
        ),
    ],
)
def test_acknowledgement_pdf_with_the_right_dates(
    qtbot,
    legal_window: LegalWindow,
    demo_db: sqlite3.Connection,
    opened: list[QUrl],
    pk: int,
    mentions: tuple[str, ...],
    absent: tuple[str, ...],
) -> None:
    # Threads for real here: the conversion runs on the pool while the status bar shows it.
    window = legal_window(converter=LibreOfficeConverter(), synchronous=False)
    select(qtbot, window, pk)
    with qtbot.waitSignal(window.request_actions.letterRecorded, timeout=60_000) as recorded:
        window.request_actions.actions[RequestAction.ACKNOWLEDGEMENT].trigger()
        assert window.busy_bar.isVisible(), "progress is shown while LibreOffice works"
        assert not window.request_actions.actions[RequestAction.ACKNOWLEDGEMENT].isEnabled()
        assert "Production du courrier « accusé de réception »" in (
            window.statusBar().currentMessage()
        )
    qtbot.waitUntil(lambda: not window.busy_bar.isVisible(), timeout=2000)
    _job, files = recorded.args
    assert files.docx.is_file() and files.pdf is not None and files.pdf.is_file()
    assert request_row(demo_db, pk)["status"] == Status.RECEIVED, "produced, not sent yet"
    send_letter(window)
    assert request_row(demo_db, pk)["status"] == Status.ACKNOWLEDGED
    text = pdf_text(files.pdf)
    for mention in mentions:
        assert mention in text, mention
    for mention in absent:
        assert mention not in text
    box = window.request_actions.message
    assert box is not None and "est prêt" in box.text()
    click_button(box, "open-document")
    assert opened == [QUrl.fromLocalFile(str(files.pdf))]
    if pk == SVA_PK:
        with pymupdf.open(files.pdf) as document:
            pixmap = document[0].get_pixmap(dpi=80)
            ARTIFACTS.mkdir(exist_ok=True)
            pixmap.save(str(ARTIFACTS / "accuse_reception.png"))


@pytest.mark.libreoffice
@needs_libreoffice
def test_missing_documents_letter_pdf(
    qtbot, legal_window: LegalWindow, demo_db: sqlite3.Connection
) -> None:
    window = legal_window(converter=LibreOfficeConverter())
    select(qtbot, window, MISSING_PK)
    window.request_actions.actions[RequestAction.MISSING_DOCUMENTS].trigger()
    dialog = window.request_actions.dialog
    assert isinstance(dialog, MissingDocumentsDialog)
    dialog.required.item(0).setCheckState(Qt.CheckState.Checked)
    type_text(dialog.others, "Attestation de l'employeur")
    dialog.ok_button.click()
    pdf = next(window.letters.documents_root.rglob("*_demande_pieces_manquantes.pdf"))
    text = pdf_text(pdf)
    assert dialog.documents()[0] in text
    assert "Attestation de l'employeur" in text
    assert "23 décembre 2026" in text
    assert "L114-5" in text
    assert request_row(demo_db, MISSING_PK)["status"] == Status.AWAITING_DOCUMENTS


# --------------------------------------------------------------------------- store guards


def test_the_store_refuses_steps_out_of_order(demo_db: sqlite3.Connection) -> None:
    """Each step re-checks its rule inside its transaction (the sync worker may have moved)."""
    at = datetime(2026, 11, 23, 10, 0)
    before = demo_db.execute("SELECT COUNT(*) FROM event").fetchone()[0]
    acknowledged = 496  # acknowledged in the demo
    with pytest.raises(TransitionError, match="déjà été envoyé"):
        legal.record_acknowledgement(demo_db, acknowledged, at=at, agent_id=None)
    with pytest.raises(TransitionError, match="demandes électroniques"):
        legal.record_registration_receipt(demo_db, SVA_PK, at=at, agent_id=None)
    with pytest.raises(TransitionError, match="Aucune pièce manquante"):
        legal.record_missing_documents_received(
            demo_db, SVA_PK, received_on=TODAY, at=at, agent_id=None
        )
    with pytest.raises(TransitionError, match="postérieure"):
        legal.record_missing_documents_request(
            demo_db, SVA_PK, documents=["RIB"], deadline=TODAY, at=at, agent_id=None
        )
    with pytest.raises(TransitionError, match="Aucun accord tacite"):
        legal.record_implicit_acceptance_certificate(demo_db, SVA_PK, at=at, agent_id=None)
    # Documents cannot arrive before they were asked for (490: asked on 21 November).
    with pytest.raises(TransitionError, match="avant d'avoir été demandées"):
        legal.record_missing_documents_received(
            demo_db, 490, received_on=date(2026, 11, 20), at=at, agent_id=None
        )
    assert demo_db.execute("SELECT COUNT(*) FROM event").fetchone()[0] == before
    assert request_row(demo_db, SVA_PK)["status"] == Status.RECEIVED


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
def test_letters_are_dated_in_the_commune_whatever_the_pc_zone(
    qtbot, legal_window: LegalWindow, demo_db: sqlite3.Connection,
    monkeypatch: pytest.MonkeyPatch, zone: str,
) -> None:
    """Issue 9, item 2: a PC whose clock runs on UTC (or New York) dates what it records with
    the commune's clock: the production shows Paris's hour in the history."""
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        window = legal_window()
        select(qtbot, window, SVA_PK)
        window.request_actions.actions[RequestAction.ACKNOWLEDGEMENT].trigger()
        # The window's clock (the suite's day, never the PC's), read on Paris's clocks.
        paris = window.now().astimezone(ZoneInfo("Europe/Paris"))
        [letter] = window.letters.letters(SVA_PK)
        assert letter.produced_at.utcoffset() == paris.utcoffset()
        assert abs(letter.produced_at.replace(tzinfo=None) - datetime.combine(
            TODAY, paris.time().replace(tzinfo=None))) < timedelta(minutes=2)
        history = window.detail.toPlainText().split("Historique")[1].splitlines()
        produced = next(i for i, line in enumerate(history) if "Courrier produit" in line)
        assert history[produced - 1] == f"23 novembre 2026 à {letter.produced_at:%H:%M}"
    finally:
        monkeypatch.undo()
        time.tzset()
