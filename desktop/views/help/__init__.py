"""The « Aide » menu: built in one place, always the last menu of the bar.

``install_help(window)`` makes the menu with « Guide d'utilisation » (F1), « Lexique »,
« Raccourcis clavier » and « À propos ». Other screens add their own entry with
:func:`add_help_entry` (it goes above « À propos »), so nobody needs to know how the menu is
laid out. The menu stays last however many menus are added after it (Qt's menu bar only
appends): :class:`_KeepLast` moves it back.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QActionEvent, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QMenuBar, QMessageBox

HELP_MENU = "menu-help"
ABOUT_ACTION = "action-about"


class _KeepLast(QObject):
    """Watches the menu bar: a menu added after « Aide » is moved in front of it."""

    def __init__(self, bar: QMenuBar, menu: QMenu) -> None:
        super().__init__(bar)
        self._bar = bar
        self._menu = menu
        bar.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if (
            watched is self._bar
            and event.type() == QEvent.Type.ActionAdded
            and isinstance(event, QActionEvent)
            and event.action() is not self._menu.menuAction()
            and event.before() is None  # appended: it landed after « Aide »
        ):
            help_action = self._menu.menuAction()
            self._bar.removeAction(help_action)
            self._bar.addAction(help_action)
        return False


def help_menu(window: QMainWindow) -> QMenu | None:
    return window.findChild(QMenu, HELP_MENU)


def add_help_entry(
    window: QMainWindow, text: str, slot: Callable[[], object], *, name: str,
    shortcut: str = "", tip: str = "",
) -> QAction:
    """An entry of « Aide », above « À propos » (the menu must be installed)."""
    menu = help_menu(window)
    if menu is None:
        raise LookupError("install_help(window) first")
    action = QAction(text, window)
    action.setObjectName(name)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
        window.addAction(action)  # the shortcut works with the menu bar hidden
    action.setStatusTip(tip)
    action.triggered.connect(slot)
    about = next((a for a in menu.actions() if a.objectName() == ABOUT_ACTION), None)
    separator = _separator_before(menu, about)
    menu.insertAction(separator or about, action)  # type: ignore[arg-type]
    return action


def _separator_before(menu: QMenu, action: QAction | None) -> QAction | None:
    actions = menu.actions()
    if action is None or action not in actions:
        return None
    index = actions.index(action)
    if index and actions[index - 1].isSeparator():
        return actions[index - 1]
    return None


def install_help(window: QMainWindow) -> QMenu:
    """« Aide » with the guide, the lexicon, the shortcuts and « À propos », kept last."""
    from desktop.views.help.guide import show_guide
    from desktop.views.help.lexicon import show_lexicon
    from desktop.views.help.shortcuts import show_shortcuts

    bar = window.menuBar()
    menu = bar.addMenu("A&ide")
    menu.setObjectName(HELP_MENU)
    about = QAction("À &propos de Bannette", window)
    about.setObjectName(ABOUT_ACTION)
    about.triggered.connect(lambda: show_about(window))
    menu.addSeparator()
    menu.addAction(about)
    _KeepLast(bar, menu)
    add_help_entry(
        window, "&Guide d'utilisation", lambda: show_guide(window), name="action-guide",
        shortcut="F1", tip="Le mode d'emploi de Bannette, chapitre par chapitre",
    )
    add_help_entry(
        window, "&Lexique", lambda: show_lexicon(window), name="action-lexicon",
        tip="AR, SVA, SVR, objectif interne, pièces manquantes, statuts et couleurs",
    )
    add_help_entry(
        window, "&Raccourcis clavier", lambda: show_shortcuts(window), name="action-shortcuts",
        tip="Toutes les touches de la fenêtre",
    )
    return menu


def about_text(version: str, server: object | None) -> str:
    """The about box: this app's version and, once a sync has asked it, what the server
    speaks and the oldest desktop it accepts (``sync.protocol.wire.ServerInfo``)."""
    from sync.protocol.wire import PROTOCOL_VERSION

    lines = [
        "<p><b>Bannette</b> — traitement des demandes des usagers pour les mairies.</p>",
        f"<p>Version du logiciel : <b>{version}</b><br>"
        f"Protocole de synchronisation du poste : {PROTOCOL_VERSION}<br>",
    ]
    if server is None:
        lines.append("Serveur : versions pas encore connues (aucune synchronisation).</p>")
    else:
        lines.append(
            f"Protocole du serveur : {server.protocol}<br>"  # type: ignore[attr-defined]
            "Version la plus ancienne acceptée par le serveur : "
            f"{server.min_desktop_version}</p>"  # type: ignore[attr-defined]
        )
    lines.append("<p>Logiciel libre sous licence AGPL-3.0-or-later.</p>")
    return "".join(lines)


def _server_info(window: QMainWindow) -> object | None:
    """What the window's sync controller learnt from the server, if there is one."""
    for child in window.children():
        if hasattr(child, "server_info") and hasattr(child, "sync_now"):
            return child.server_info
    return None


def show_about(window: QMainWindow) -> None:
    from desktop.version import app_version

    text = about_text(app_version(), _server_info(window))
    QMessageBox.about(window, "À propos de Bannette", text)
