"""Pieces every entry dialog of the bannette shares, so they look and answer the keyboard alike:
the refusal line in red, Ctrl+Entrée to save, the Tab order, a combo's chosen key."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

ERROR_STYLE = "color: #842029;"


def error_label(parent: QWidget, object_name: str) -> QLabel:
    """Where the store's refusal is shown, in red, under the form (hidden until then); its
    text can be selected and copied into a message to the support."""
    label = QLabel(parent)
    label.setObjectName(object_name)
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setVisible(False)
    return label


def save_shortcuts(dialog: QWidget, save: Callable[[], None]) -> None:
    """Ctrl+Entrée saves from anywhere in the form, multi-line texts included (both Entrée
    keys: the keyboard's and the keypad's)."""
    for keys in ("Ctrl+Return", "Ctrl+Enter"):
        QShortcut(QKeySequence(keys), dialog, save)


def chain_tab_order(widgets: Sequence[QWidget]) -> None:
    """Tab goes through the widgets in this order (the order the form is read)."""
    for first, second in zip(widgets, widgets[1:], strict=False):
        QWidget.setTabOrder(first, second)


def combo_key(combo: QComboBox) -> int | None:
    """The integer key of the combo's current choice (a pk), or None when nothing is chosen."""
    key = combo.currentData()
    return int(key) if key is not None else None
