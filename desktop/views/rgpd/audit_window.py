"""« Journal d'audit » (administrators): every change and every read of personal data, from
the server, filtered by commune, agent, action, citizen, request and period; CSV export.

The window reads nothing itself: the table is an ``AuditTrailModel`` over ``Online`` (the
server's REST route, off the GUI thread); the local database only lends names to ids.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.documents.errors import OutputError
from desktop.models.audit_model import AuditTrailModel
from desktop.services.rgpd import ACTION_LABELS, Names, Online, failure_text, fetch_all, write_csv
from desktop.store.rgpd import is_admin
from desktop.views.date_entry import DateEntry
from desktop.views.dialog_parts import ERROR_STYLE
from desktop.views.formatting import count_fr
from sync.audit_query import AuditQuery
from sync.protocol.reference import parse_typed_number
from sync.protocol.wire import AuditEntryRow

if TYPE_CHECKING:
    from sync.client import ApiClient

ADMIN_ONLY = ("Le journal d'audit est réservé aux administrateurs de la commune. "
              "Demandez à votre administrateur si vous devez le consulter.")
#: The actions offered in the filter (the others are reached through « Toutes »).
ACTION_CHOICES = ("read", "create", "update", "delete", "erase", "set_status", "assign",
                  "reply", "retention_approve", "retention_purge_done", "login_failed")
COLUMN_WIDTHS = (120, 150, 150, 110, 190, 100, 200, 110)


def _combo(parent: QWidget, name: str, items: list[tuple[str, str | None]]) -> QComboBox:
    combo = QComboBox(parent)
    combo.setObjectName(name)
    for text, data in items:
        combo.addItem(text, data)
    return combo


class AuditWindow(QWidget):
    def __init__(self, conn: sqlite3.Connection, online: Online, *,
                 today: Callable[[], date], query: AuditQuery | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("audit-window")
        self.setWindowTitle("Journal d'audit — consultations et modifications")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._conn = conn
        self._online = online
        self.names = Names(conn)
        self.model = AuditTrailModel(online, self.names, parent=self)

        self.commune = _combo(self, "audit-commune", [("Toutes mes communes", None)] + [
            (str(r[1]), str(r[0])) for r in conn.execute(
                "SELECT id, name FROM authority WHERE deleted = 0 ORDER BY name")])
        self.agent = _combo(self, "audit-agent", [("Tous les agents", None)] + [
            (str(r[1]), str(r[0])) for r in conn.execute(
                "SELECT id, display_name FROM agent WHERE deleted = 0 ORDER BY display_name")])
        self.action = _combo(self, "audit-action", [("Toutes les actions", None)] + [
            (ACTION_LABELS[a], a) for a in ACTION_CHOICES])
        self.citizen = _combo(self, "audit-citizen", [("Tous les usagers", None)] + [
            (str(r[1]), str(r[0])) for r in conn.execute(
                "SELECT id, display_name FROM citizen WHERE deleted = 0 AND version > 0 "
                "ORDER BY sort_key LIMIT 20000")])
        self.citizen.setEditable(True)
        self.citizen.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        completer = self.citizen.completer()
        if completer is not None:
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.request = QLineEdit(self)
        self.request.setObjectName("audit-request")
        self.request.setPlaceholderText("ex. 2026-000123")
        self.since = DateEntry(self, name="audit-since", today=today)
        self.until = DateEntry(self, name="audit-until", today=today)
        self.apply_button = QPushButton("&Afficher", self)
        self.apply_button.setObjectName("audit-apply")
        self.apply_button.setDefault(True)
        self.clear_button = QPushButton("&Effacer les filtres", self)
        self.clear_button.setObjectName("audit-clear")
        self.problem = QLabel(self)
        self.problem.setObjectName("audit-problem")
        self.problem.setStyleSheet(ERROR_STYLE)
        self.problem.setWordWrap(True)

        filters = QGridLayout()
        left, right = QFormLayout(), QFormLayout()
        left.addRow("&Commune :", self.commune)
        left.addRow("A&gent :", self.agent)
        left.addRow("Ac&tion :", self.action)
        left.addRow("&Usager :", self.citizen)
        right.addRow("&Demande n° :", self.request)
        right.addRow("D&u :", self.since)
        right.addRow("Au :", self.until)
        filters.addLayout(left, 0, 0)
        filters.addLayout(right, 0, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        filters.addLayout(buttons, 1, 0, 1, 2)

        self.table = QTableView(self)
        self.table.setObjectName("audit-table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(22)
        for column, width in enumerate(COLUMN_WIDTHS):
            self.table.setColumnWidth(column, width)
        self.table.horizontalHeader().setStretchLastSection(True)

        self.count = QLabel(self)
        self.count.setObjectName("audit-count")
        self.export_button = QPushButton("E&xporter en CSV…", self)
        self.export_button.setObjectName("audit-export")
        close = QPushButton("&Fermer", self)
        close.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count, 1)
        bottom.addWidget(self.export_button)
        bottom.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.problem)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        self.resize(1240, 720)

        self.apply_button.clicked.connect(self.apply)
        self.request.returnPressed.connect(self.apply)
        self.clear_button.clicked.connect(self.clear)
        self.export_button.clicked.connect(self.ask_export)
        self.model.totalChanged.connect(self._show_total)
        self.model.failed.connect(self._show_failure)
        self.model.modelReset.connect(lambda: self.count.setText("Chargement…"))
        if query is not None:
            self._show_query(query)
        self.apply()

    # --- filters ----------------------------------------------------------------------------
    def _show_query(self, query: AuditQuery) -> None:
        for combo, value in ((self.commune, query.authority_id), (self.agent, query.agent_id),
                             (self.action, query.action), (self.citizen, query.citizen_id)):
            found = combo.findData(value)
            if found >= 0:
                combo.setCurrentIndex(found)
        if query.request_id:
            self.request.setText(self.names.request(query.request_id))

    def _day(self, entry: DateEntry) -> tuple[date | None, str | None]:
        """An empty field is no bound; a wrong one says why."""
        if not entry.edit.text().strip():
            return None, None
        value = entry.value()
        if value is None:
            return None, entry.problem()
        return (value.date() if isinstance(value, datetime) else value), None

    def current_query(self) -> AuditQuery | None:
        """The filters as typed, or None (with the reason shown) when one is wrong."""
        since, since_problem = self._day(self.since)
        until, until_problem = self._day(self.until)
        problems = [f"Du : {since_problem}"] if since_problem else []
        if until_problem:
            problems.append(f"Au : {until_problem}")
        if since and until and since > until:
            problems.append("La période est inversée : le premier jour est après le dernier.")
        request_id = None
        number = self.request.text().strip()
        if number:
            # The reference (« 67348-2026-000165 ») or the commune's own number.
            typed = parse_typed_number(number)
            bare, code = (typed.number, typed.insee_code) if typed else (number, None)
            commune = self.commune.currentData()
            found = self._conn.execute(
                "SELECT r.id FROM request r JOIN authority a ON a.pk = r.authority_pk "
                "WHERE r.number = ? AND (? IS NULL OR a.id = ?) "
                "AND (? IS NULL OR a.insee_code = ?)",
                (bare, commune, commune, code, code)).fetchall()
            if not found:
                problems.append(f"Aucune demande n° « {number} » sur ce poste.")
            elif len(found) > 1:
                problems.append(f"Plusieurs communes ont une demande n° « {number} » : "
                                "choisissez la commune.")
            else:
                request_id = str(found[0][0])
        citizen_id = None
        typed = self.citizen.currentText().strip()
        if self.citizen.currentIndex() > 0 and typed == self.citizen.itemText(
                self.citizen.currentIndex()):
            citizen_id = self.citizen.currentData()
        elif typed and typed != self.citizen.itemText(0):
            problems.append("Choisissez l'usager dans la liste proposée.")
        self.problem.setText("\n".join(problems))
        if problems:
            return None
        return AuditQuery(
            authority_id=self.commune.currentData(), agent_id=self.agent.currentData(),
            action=self.action.currentData(), citizen_id=citizen_id, request_id=request_id,
            since=since, until=until,
        )

    def apply(self) -> None:
        query = self.current_query()
        if query is not None:
            self.model.set_query(query)

    def clear(self) -> None:
        for combo in (self.commune, self.agent, self.action, self.citizen):
            combo.setCurrentIndex(0)
        for line in (self.request, self.since.edit, self.until.edit):
            line.clear()
        self.apply()

    def _show_total(self, total: int) -> None:
        self.count.setText("Aucune entrée pour ces filtres." if total == 0 else
                           f"{count_fr(total)} entrée{'s' if total > 1 else ''}")

    def _show_failure(self, message: str) -> None:
        self.count.setText("")
        self.problem.setText(message)

    # --- export -----------------------------------------------------------------------------
    def ask_export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Exporter le journal d'audit",
                                              "journal-audit.csv", "CSV (*.csv)")
        if name:
            self.export_to(Path(name))

    def export_to(self, target: Path) -> None:
        """Every entry matching the filters (not only the pages shown), fetched off the GUI
        thread, then written here with the local names."""
        query = self.model.query
        self.export_button.setEnabled(False)
        self.count.setText("Export en cours…")

        def call(client: ApiClient) -> list[AuditEntryRow]:
            return fetch_all(client, query)

        def done(entries: list[AuditEntryRow]) -> None:
            self.export_button.setEnabled(True)
            try:
                written = write_csv(entries, self.names, target)
            except OutputError as exc:
                self.problem.setText(str(exc))
                self._show_total(self.model.total)
                return
            self.problem.setText("")
            self.count.setText(f"{count_fr(written)} entrées exportées dans « {target.name} ».")

        def refused(exc: BaseException) -> None:
            self.export_button.setEnabled(True)
            self._show_failure(failure_text(exc))

        self._online.run(call, done, refused)


def open_audit_window(parent: QWidget, conn: sqlite3.Connection, agent_id: str | None,
                      online: Online, *, today: Callable[[], date],
                      query: AuditQuery | None = None) -> AuditWindow | None:
    """The role is read again at each opening (a menu entry or a shortcut alike): a
    non-admin gets a French refusal, never the window."""
    if not is_admin(conn, agent_id):
        QMessageBox.warning(parent, "Journal d'audit", ADMIN_ONLY)
        return None
    window = AuditWindow(conn, online, today=today, query=query, parent=parent)
    window.show()
    return window
