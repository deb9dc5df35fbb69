"""Pieces the admin screens share: the role check when a screen opens, what follows a save,
named line edits and the list tables."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QAbstractItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QTableView,
    QWidget,
)

from desktop.store.commune_admin import require_admin
from desktop.store.database import StoreError
from desktop.views.admin.menu import admin_server, current_agent_id


def checked_admin(window: QMainWindow, authority_pk: int) -> tuple[sqlite3.Connection,
                                                                    str | None] | None:
    """(connection, agent id) when the window's agent administers the commune NOW; else a
    French message and None: no admin screen opens for anyone else, whatever the way."""
    conn: sqlite3.Connection = window._repo.connection  # type: ignore[attr-defined]  # noqa: SLF001
    agent_id = current_agent_id(window)
    try:
        require_admin(conn, agent_id, authority_pk)
    except StoreError as exc:
        QMessageBox.warning(window, "Administration", str(exc))
        return None
    return conn, agent_id


D = TypeVar("D", bound=QDialog)


def open_checked(
    window: QMainWindow, authority_pk: int,
    make: Callable[[sqlite3.Connection, str | None], D],
) -> D | None:
    """Opens an admin screen made by ``make(conn, agent_id)``, the role checked first."""
    checked = checked_admin(window, authority_pk)
    if checked is None:
        return None
    dialog = make(*checked)
    dialog.open()
    return dialog


def saved_locally(window: QMainWindow, message: str = "") -> None:
    """A setting or procedure saved on this PC: the window rereads (names, choices,
    échéances) and the change leaves at the next sync, soon when online."""
    window.data_arrived()  # type: ignore[attr-defined]
    server = admin_server(window)
    if server is not None and hasattr(server, "local_changed"):
        server.local_changed()
    if message:
        window.statusBar().showMessage(message, 10_000)


def line_edit(parent: QWidget, name: str, text: str = "", placeholder: str = "") -> QLineEdit:
    edit = QLineEdit(text, parent)
    edit.setObjectName(name)
    edit.setPlaceholderText(placeholder)
    return edit


def list_table(parent: QWidget, model: QAbstractItemModel, name: str,
               widths: dict[int, int]) -> QTableView:
    """One row selected at a time, the first column stretched, the others at ``widths``."""
    table = QTableView(parent)
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for column, width in widths.items():
        table.setColumnWidth(column, width)
    return table
