"""« Aide › Raccourcis clavier »: every key of the window, read from its own actions.

The list is built from the menus when it is opened, so an action added by any screen (with
its shortcut) appears here without anyone updating a table by hand.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMainWindow,
    QMenu,
    QTextBrowser,
    QVBoxLayout,
)

from desktop.views.qt_french import strip_mnemonic

NATIVE = QKeySequence.SequenceFormat.NativeText

#: Keys that belong to no menu action.
KEYS_WITHOUT_ACTION: tuple[tuple[str, str], ...] = (
    ("Flèche bas (dans la recherche)", "Aller à la liste, sur la première demande"),
    ("Entrée (dans la liste)", "Ouvrir la demande dans sa propre fenêtre"),
    ("Flèches haut et bas (dans la liste)", "Passer d'une demande à l'autre"),
    ("Alt + lettre soulignée", "Ouvrir un menu, choisir une action ou un champ"),
    ("Ctrl+Entrée (dans un formulaire)", "Enregistrer"),
    ("Échap", "Fermer la boîte de dialogue sans enregistrer"),
    ("Page suivante / Page précédente (dans l'aperçu)", "Page suivante ou précédente de la pièce"),
    ("Ctrl++ / Ctrl+- / Ctrl+0 (dans l'aperçu)", "Agrandir, réduire, pleine largeur"),
    ("Ctrl+R / Ctrl+Maj+R (dans l'aperçu)", "Tourner la page pour la lire (pièce inchangée)"),
)


def _plain(text: str) -> str:
    return strip_mnemonic(text).rstrip("…").strip()


def menu_shortcuts(window: QMainWindow) -> list[tuple[str, list[tuple[str, str]]]]:
    """(menu title, [(keys, action text)]) for every menu of the bar, in the bar's order; an
    action in two menus (« Nouvelle demande… ») is listed once, in the first."""
    sections = []
    seen: set[int] = set()
    for top in window.menuBar().actions():
        menu = top.menu()
        if not isinstance(menu, QMenu) or not top.isVisible():  # « Administration »: admins
            continue
        rows = []
        for action in _walk(menu):
            if action.shortcut().isEmpty() or id(action) in seen:
                continue
            seen.add(id(action))
            rows.append((action.shortcut().toString(NATIVE), _plain(action.text())))
        if rows:
            sections.append((_plain(top.text()), rows))
    return sections


def _walk(menu: QMenu) -> list[QAction]:
    found: list[QAction] = []
    for action in menu.actions():
        sub = action.menu()
        if isinstance(sub, QMenu):
            found += _walk(sub)
        elif not action.isSeparator():
            found.append(action)
    return found


def shortcuts_html(window: QMainWindow) -> str:
    """One table, a heading row per menu, so the keys line up down the page."""
    sections = [(f"Menu {title}", rows) for title, rows in menu_shortcuts(window)]
    sections.append(("Partout", list(KEYS_WITHOUT_ACTION)))
    body = ""
    for title, rows in sections:
        body += f"<tr><td colspan='2'><h3>{escape(title)}</h3></td></tr>"
        body += "".join(
            f"<tr><td style='padding-right:16px'><b>{escape(keys)}</b></td>"
            f"<td>{escape(text)}</td></tr>"
            for keys, text in rows
        )
    return f"<h2>Raccourcis clavier</h2><table cellspacing='0' cellpadding='2'>{body}</table>"


class ShortcutsDialog(QDialog):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setObjectName("shortcuts-dialog")
        self.setWindowTitle("Raccourcis clavier")
        self.text = QTextBrowser(self)
        self.text.setObjectName("shortcuts")
        self.text.setHtml(shortcuts_html(window))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(560, 640)


def show_shortcuts(window: QMainWindow) -> ShortcutsDialog:
    dialog = ShortcutsDialog(window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
