"""Dropping files as the Explorer does it, and the window with scans installed."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget

from desktop.views.intake_dialog import IntakeDialog
from tests.gui.conftest import type_text

COPY = Qt.DropAction.CopyAction
LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier


def drop_files(target: QWidget, paths: list[Path], point: QPoint | None = None) -> bool:
    """Drags ``paths`` over ``target`` at ``point`` and drops them; whether the drop was
    taken (a refused place leaves the drag unaccepted)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    at = point if point is not None else target.rect().center()
    enter = QDragEnterEvent(at, COPY, mime, LEFT, NONE)
    QApplication.sendEvent(target, enter)
    move = QDragMoveEvent(at, COPY, mime, LEFT, NONE)
    QApplication.sendEvent(target, move)
    if not move.isAccepted():
        return False
    drop = QDropEvent(QPointF(at), COPY, mime, LEFT, NONE)
    QApplication.sendEvent(target, drop)
    return drop.isAccepted()


def register_new(qtbot, dialog: IntakeDialog, commune: str, procedure: str,  # type: ignore[no-untyped-def]
                 name: str, subject: str) -> int:
    """Fills « Nouvelle demande » for a new citizen and saves it; the new request's pk."""
    dialog.authority.setCurrentIndex(dialog.authority.findText(commune))
    dialog.procedure.setCurrentIndex(dialog.procedure.findText(procedure))
    dialog.new_radio.setChecked(True)
    type_text(dialog.last_name, name)
    type_text(dialog.subject, subject)
    with qtbot.waitSignal(dialog.accepted, timeout=3000):
        dialog.save()
    assert dialog.registered_pk is not None
    return dialog.registered_pk
