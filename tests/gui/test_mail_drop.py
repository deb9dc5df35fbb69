"""A mail file dropped on the bannette or on « Nouvelle demande » (pytest-qt, real window and
demo store): the intake is filled from the mail, « Enregistrer » registers the request with its
accepted files and lists the refused ones; the same mail dropped again is said and shown; an
unreadable file is said in French in the dialog, nothing typed lost."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from desktop.views.intake_dialog import IntakeDialog
from desktop.views.main_window import MainWindow
from sync.protocol.vocabulary import Channel
from tests.gui.conftest import ARTIFACTS, type_text
from tests.unit.test_mail_intake import eml, pdf_bytes, zip_bytes


def drop(widget: QWidget, path: Path) -> bool:
    """Drags ``path`` over ``widget`` and drops it; True when the drag was accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    accepted = enter.isAccepted()
    event = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    return accepted


def test_a_mail_dropped_on_the_bannette_fills_the_intake(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection, tmp_path: Path,
) -> None:
    mail = tmp_path / "branchement.eml"
    mail.write_bytes(eml(files=(("plan.pdf", pdf_bytes(), "application/pdf"),
                                ("archive.zip", zip_bytes(), "application/zip"))))
    assert drop(window, mail)
    dialog = window.findChild(IntakeDialog, "intake-dialog")
    assert dialog is not None and dialog.isVisible()
    assert dialog.channel.currentData() == Channel.EMAIL
    assert dialog.subject.text() == "Demande de branchement d'eau"
    assert dialog.body.toPlainText().startswith("Bonjour,\nje souhaite")
    assert dialog.new_radio.isChecked()
    assert (dialog.last_name.text(), dialog.first_name.text(), dialog.email.text()) == (
        "Roy", "Élise", "elise.roy@example.fr")
    received = dialog.received.value()
    assert received is not None and received.strftime("%d/%m/%Y %H:%M") == "23/11/2026 09:30"
    label = dialog.findChild(QWidget, "intake-mail")
    assert "plan.pdf" in label.text() and "refusée : archive.zip" in label.text()
    dialog.procedure.setCurrentIndex(0)
    ARTIFACTS.mkdir(exist_ok=True)
    dialog.grab().save(str(ARTIFACTS / "mail-drop.png"))
    with qtbot.waitSignal(window.request_actions.requestChanged, timeout=2000):
        dialog.save()
    pk = dialog.registered_pk
    assert pk is not None and window.detail.shown_pk == pk
    assert [r[0] for r in demo_db.execute(
        "SELECT filename FROM attachment WHERE request_pk = ?", (pk,))] == ["plan.pdf"]
    [refused] = demo_db.execute(
        "SELECT detail FROM event WHERE request_pk = ? AND kind = 'attachment_refused'",
        (pk,)).fetchall()
    assert json.loads(refused[0])["filename"] == "archive.zip"
    assert "Pièce jointe refusée : archive.zip" in window.detail.toPlainText()

    # The same mail again: said, the request shown, nothing registered.
    requests = demo_db.execute("SELECT COUNT(*) FROM request").fetchone()[0]
    window.table.clearSelection()
    assert drop(window, mail)
    box = window.findChild(QMessageBox, "mail-drop-message")
    assert box is not None and "déjà enregistré" in box.text()
    assert demo_db.execute("SELECT COUNT(*) FROM request").fetchone()[0] == requests
    assert window.detail.shown_pk == pk
    box.close()


def test_a_mail_dropped_on_the_dialog_and_an_unreadable_one(
    qtbot, window: MainWindow, tmp_path: Path,
) -> None:
    window.new_request_action.trigger()
    dialog = window.findChild(IntakeDialog, "intake-dialog")
    assert dialog is not None
    type_text(dialog.subject, "Objet tapé à la main")
    broken = tmp_path / "casse.msg"
    broken.write_bytes(b"ni Outlook ni courriel")
    assert drop(dialog.body.viewport(), broken)
    assert dialog.error.isVisible() and dialog.error.text().startswith("« casse.msg » : ")
    assert dialog.subject.text() == "Objet tapé à la main"  # nothing typed lost
    assert dialog.body.toPlainText() == ""  # the path was not pasted as text

    good = tmp_path / "salle.eml"
    good.write_bytes(eml(sender="DUPONT Jean <jean.dupont@example.fr>", subject="Salle"))
    assert drop(dialog, good)
    assert dialog.subject.text() == "Salle" and not dialog.error.isVisible()
    assert (dialog.last_name.text(), dialog.first_name.text()) == ("DUPONT", "Jean")
    # Another commune where Jean Dupont is known: he is chosen there.
    other = dialog.authority.currentIndex() + 1
    conn = window._repo.connection  # noqa: SLF001
    citizen = conn.execute(
        "SELECT pk FROM citizen WHERE authority_pk = ? LIMIT 1",
        (dialog.authority.itemData(other),)).fetchone()[0]
    conn.execute("UPDATE citizen SET email = 'jean.dupont@example.fr' WHERE pk = ?", (citizen,))
    dialog.authority.setCurrentIndex(other)
    chosen = dialog.chosen_match()
    assert dialog.existing_radio.isChecked() and chosen is not None and chosen.pk == citizen
    dialog.reject()
