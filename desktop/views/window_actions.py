"""The actions the dialogs add to the window's « Demande » menu and toolbar, made one way: a
mnemonic in the menu, the same words without it on the toolbar, a status tip, and a shortcut
that works even with the menu bar hidden."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QToolBar, QWidget


def request_action(
    window: QMainWindow, text: str, *, name: str, shortcut: str, tip: str,
    slot: Callable[[], object],
) -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    action.setShortcut(QKeySequence(shortcut))
    action.setIconText(text.replace("&", ""))
    action.setStatusTip(tip)
    action.triggered.connect(slot)
    window.addAction(action)  # the shortcut works with the menu bar hidden
    return action


def request_bars(window: QMainWindow) -> list[QWidget]:
    """The « Demande » menu and toolbar, those the window has."""
    found = (window.findChild(QMenu, "menu-request"), window.findChild(QToolBar, "request-toolbar"))
    return [bar for bar in found if bar is not None]
