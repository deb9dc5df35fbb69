"""« Consultations » of one citizen's file: who read it, when, what, from which address.

A standalone widget for the citizen window (``add_tab("Consultations", AccessTrailView(…))``):
the reads come from the server's audit trail (every PC's, offline ones once synced), so the
tab asks the server when it is shown; without a connection it says so instead of showing a
list that would look complete.
"""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QAbstractItemView, QLabel, QTableView, QVBoxLayout, QWidget

from desktop.models.audit_model import AuditTrailModel
from desktop.services.rgpd import Names, Online
from desktop.store.rgpd import is_admin
from desktop.views.formatting import count_fr
from sync.audit_query import AuditQuery

#: Date, agent, what was opened, request, IP (columns of ``CSV_HEADERS``).
COLUMNS = (0, 1, 6, 5, 7)
NOT_ADMIN = ("Les consultations de la fiche sont visibles des administrateurs de la commune "
             "(journal d'audit).")


class AccessTrailView(QWidget):
    def __init__(self, citizen_id: str, conn: sqlite3.Connection, online: Online,
                 agent_id: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("access-trail")
        self.citizen_id = citizen_id
        self._allowed = is_admin(conn, agent_id)
        self.model = AuditTrailModel(online, Names(conn), columns=COLUMNS, parent=self)
        self.note = QLabel(self)
        self.note.setObjectName("access-trail-note")
        self.note.setWordWrap(True)
        self.table = QTableView(self)
        self.table.setObjectName("access-trail-table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((120, 160, 170, 100)):
            self.table.setColumnWidth(column, width)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        self.model.totalChanged.connect(self._show_total)
        self.model.failed.connect(self._offline)
        self._loaded = False
        if not self._allowed:
            self.note.setText(NOT_ADMIN)
            self.table.setVisible(False)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._allowed and not self._loaded:
            self.reload()

    def reload(self) -> None:
        self._loaded = True
        self.note.setText("Chargement des consultations…")
        self.model.set_query(AuditQuery(citizen_id=self.citizen_id, action="read"))

    def _show_total(self, total: int) -> None:
        self.note.setText("Aucune consultation enregistrée." if total == 0 else
                          f"{count_fr(total)} consultation{'s' if total > 1 else ''} de la "
                          "fiche, la plus récente en premier.")

    def _offline(self, message: str) -> None:
        self.note.setText(f"Consultations indisponibles hors connexion au serveur : {message}")
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
