"""The « Administration » menu, built in one place.

``install_admin(window)`` adds the menu with « Commune… », « Démarches… » and « Agents… ».
Other screens add theirs with :func:`add_admin_entry`. The menu is shown only to an agent who
administers at least one commune of this PC, and every entry re-checks the role in the commune
concerned when it is triggered (:func:`admin_commune`): a keyboard shortcut, a stale window or a
role withdrawn since the last sync never opens an admin screen to a non-admin.

The online-only screens (agents, the server's connections) talk to the server through the sync
session: app.py hands its controller over with :func:`connect_admin_server`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Protocol

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QInputDialog, QMainWindow, QMenu, QMessageBox

from desktop.store.commune_admin import NOT_ADMIN, administered

ADMIN_MENU = "menu-admin"


class AdminServer(Protocol):
    """The REST calls of the online-only screens (``SyncController.api``, or a direct client
    in tests): answers come back on the GUI thread."""

    def api(
        self, method: str, path: str, body: object,
        on_done: Callable[[object], None], on_failed: Callable[[str], None],
    ) -> int: ...


def _conn(window: QMainWindow) -> sqlite3.Connection:
    conn: sqlite3.Connection = window._repo.connection  # type: ignore[attr-defined]  # noqa: SLF001
    return conn


def current_agent_id(window: QMainWindow) -> str | None:
    agent = window._repo.current_agent()  # type: ignore[attr-defined]  # noqa: SLF001
    return str(agent[0]) if agent else None


def admin_menu(window: QMainWindow) -> QMenu | None:
    return window.findChild(QMenu, ADMIN_MENU)


def refresh_admin_menu(window: QMainWindow) -> None:
    """Shown only to administrators of a commune of this PC (after a login, a sync). The
    entries stay enabled: their shortcut, typed by a non-admin, says why it is refused
    rather than doing nothing."""
    menu = admin_menu(window)
    if menu is None:
        return
    menu.menuAction().setVisible(bool(administered(_conn(window), current_agent_id(window))))


def admin_commune(window: QMainWindow) -> int | None:
    """The commune the admin screen is about, the role checked NOW: None (after a French
    message) when the agent administers none. One commune: it; several: the agent chooses."""
    communes = administered(_conn(window), current_agent_id(window))
    if not communes:
        QMessageBox.warning(window, "Administration", NOT_ADMIN)
        refresh_admin_menu(window)
        return None
    if len(communes) == 1:
        return communes[0][0]
    names = [name for _pk, name in communes]
    name, ok = QInputDialog.getItem(window, "Administration", "Commune :", names, 0, False)
    if not ok:
        return None
    return communes[names.index(name)][0]


def add_admin_entry(
    window: QMainWindow, text: str, open_screen: Callable[[int], object], *, name: str,
    shortcut: str = "", tip: str = "",
) -> QAction:
    """An entry of « Administration »: ``open_screen(authority_pk)`` runs only for an admin of
    that commune (checked when triggered, whatever the way: menu or shortcut)."""
    menu = admin_menu(window)
    if menu is None:
        raise LookupError("install_admin(window) first")
    action = QAction(text, window)
    action.setObjectName(name)
    action.setStatusTip(tip)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
        window.addAction(action)  # the shortcut works whether the menu is shown or not

    def triggered() -> None:
        authority_pk = admin_commune(window)
        if authority_pk is not None:
            open_screen(authority_pk)

    action.triggered.connect(triggered)
    menu.addAction(action)
    refresh_admin_menu(window)
    return action


def connect_admin_server(window: QMainWindow, server: AdminServer) -> None:
    """The sync session the online-only screens use (app.py, once the controller exists),
    and the password change the server may demand before anything syncs."""
    from desktop.views.admin.password_dialog import install_password_change

    window.admin_server = server  # type: ignore[attr-defined]
    install_password_change(window, server)


def admin_server(window: QMainWindow) -> AdminServer | None:
    return getattr(window, "admin_server", None)


def install_admin(window: QMainWindow) -> QMenu:
    """« Administration » with its three screens; hidden from non-admins."""
    from desktop.views.admin.agents_dialog import open_agents
    from desktop.views.admin.procedures_dialog import open_procedures
    from desktop.views.admin.settings_dialog import open_settings

    # A screen installed earlier may have made the menu already (found by name): one menu.
    menu = admin_menu(window) or window.menuBar().addMenu("Ad&ministration")
    menu.setObjectName(ADMIN_MENU)
    add_admin_entry(
        window, "&Commune…", lambda pk: open_settings(window, pk), name="action-admin-commune",
        shortcut="Ctrl+Alt+C", tip="Nom, adresse, service, maire et adjoints, tribunal, délais",
    )
    add_admin_entry(
        window, "&Démarches…", lambda pk: open_procedures(window, pk),
        name="action-admin-procedures", shortcut="Ctrl+Alt+D",
        tip="Le catalogue des démarches : règle du silence, délai, pièces, modèles",
    )
    add_admin_entry(
        window, "&Agents…", lambda pk: open_agents(window, pk), name="action-admin-agents",
        shortcut="Ctrl+Alt+A", tip="Inviter, désactiver, réinitialiser un mot de passe, rôles",
    )
    # After a login or a sync the agent or their roles may have changed.
    window.model.modelReset.connect(lambda: refresh_admin_menu(window))  # type: ignore[attr-defined]
    return menu
