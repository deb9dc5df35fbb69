"""« Conservation des données (36 mois) » (administrators): this month's list of citizens
inactive for 36 months, computed by the server; the admin approves it, then purges. The purge
runs on the server (one citizen at a time, resumable) and reaches every PC at its next sync."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.legal_time import in_zone
from desktop.services.rgpd import Online, failure_text
from desktop.store.rgpd import is_admin
from desktop.views.dialog_parts import ERROR_STYLE
from sync.protocol.wire import RetentionRunRow

if TYPE_CHECKING:
    from sync.client import ApiClient

ADMIN_ONLY = "La purge des données est réservée aux administrateurs de la commune."
STATE_LABELS = {"pending": "À purger", "purged": "Purgé", "kept": "Gardé (actif à nouveau)",
                "gone": "Déjà effacé"}
RUN_LABELS = {"proposed": "à approuver", "approved": "approuvée, purge à lancer",
              "purging": "purge interrompue : relancez-la", "done": "purge terminée"}


def calls() -> Any:
    """The server's routes, imported on the worker's thread (httpx is not loaded at start)."""
    from sync import rgpd_calls

    return rgpd_calls


class RetentionDialog(QDialog):
    def __init__(self, conn: sqlite3.Connection, online: Online, *,
                 today: Callable[[], date], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("retention-dialog")
        self.setWindowTitle("Conservation des données — usagers inactifs depuis 36 mois")
        self._online = online
        self._today = today
        self._departments: dict[str, str] = {}
        self.run: RetentionRunRow | None = None
        self.commune = QComboBox(self)
        self.commune.setObjectName("retention-commune")
        for authority_id, name, department in conn.execute(
                "SELECT id, name, department FROM authority WHERE deleted = 0 ORDER BY name"):
            self.commune.addItem(str(name), str(authority_id))
            self._departments[str(authority_id)] = str(department)
        self.compute = QPushButton("&Calculer la liste du mois", self)
        self.compute.setObjectName("retention-compute")
        self.approve = QPushButton("&Approuver la liste", self)
        self.approve.setObjectName("retention-approve")
        self.purge = QPushButton("&Purger maintenant", self)
        self.purge.setObjectName("retention-purge")
        self.status = QLabel(self)
        self.status.setObjectName("retention-status")
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, 4, self)
        self.table.setObjectName("retention-table")
        self.table.setHorizontalHeaderLabels(
            ["Usager", "Dernière activité", "Demandes", "État"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 260)
        self.table.setColumnWidth(1, 130)
        top = QHBoxLayout()
        top.addWidget(QLabel("Commune :", self))
        top.addWidget(self.commune, 1)
        top.addWidget(self.compute)
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(self.approve)
        actions.addWidget(self.purge)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        rule = QLabel(
            "Règle : sans activité depuis 36 mois (aucune demande, message, appel ni "
            "modification) et sans demande en cours, les données d'un usager sont effacées. "
            "Les demandes restent, anonymes ; le journal d'audit est conservé.", self)
        rule.setWordWrap(True)
        layout.addWidget(rule)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addLayout(actions)
        self.resize(760, 520)
        self.compute.clicked.connect(self.ask_list)
        self.approve.clicked.connect(self.ask_approval)
        self.purge.clicked.connect(self.ask_purge)
        self._show(None)

    def _call(self, call: Callable[[ApiClient], RetentionRunRow]) -> None:
        for button in (self.compute, self.approve, self.purge):
            button.setEnabled(False)
        self.status.setStyleSheet("")
        self.status.setText("Échange avec le serveur…")
        self._online.run(call, self._show, self._refused)

    def _refused(self, exc: BaseException) -> None:
        self.status.setStyleSheet(ERROR_STYLE)
        self.status.setText(failure_text(exc))
        self.compute.setEnabled(True)
        self._enable()

    def ask_list(self) -> None:
        authority_id, day = self.commune.currentData(), self._today()
        self._call(lambda client: calls().propose_retention(client, authority_id, day))

    def ask_approval(self) -> None:
        run = self.run
        if run is None:
            return
        answer = QMessageBox.question(
            self, "Approuver la purge",
            f"Approuver l'effacement des données de {len(run.items)} usager(s) ? "
            "Votre approbation est enregistrée au journal d'audit.")
        if answer == QMessageBox.StandardButton.Yes:
            self._call(lambda client: calls().approve_retention(client, run.id))

    def ask_purge(self) -> None:
        run = self.run
        if run is not None:
            self._call(lambda client: calls().purge_retention(client, run.id))

    def _enable(self) -> None:
        state = self.run.state if self.run else None
        self.approve.setEnabled(state == "proposed" and bool(self.run and self.run.items))
        self.purge.setEnabled(state in ("approved", "purging"))

    def _show(self, run: RetentionRunRow | None) -> None:
        self.run = run
        self.compute.setEnabled(True)
        self._enable()
        if run is None:
            self.status.setText("Choisissez la commune puis calculez la liste du mois.")
            return
        department = self._departments.get(str(run.authority_id))
        self.table.setRowCount(len(run.items))
        for row, item in enumerate(run.items):
            values: list[Any] = [
                item.display_name or "(usager effacé)",
                f"{in_zone(item.last_activity, department):%d/%m/%Y}",
                str(item.requests), STATE_LABELS.get(item.state, item.state)]
            for column, value in enumerate(values):
                cell = QTableWidgetItem(value)
                cell.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.table.setItem(row, column, cell)
        text = (f"Liste du {run.as_of:%d/%m/%Y} (inactifs avant le {run.cutoff:%d/%m/%Y}) : "
                f"{len(run.items)} usager(s), {RUN_LABELS.get(run.state, run.state)}.")
        if run.state == "done":
            counts = run.report.get("counts", {})
            text += (f" Rapport : {counts.get('purged', 0)} purgé(s), {counts.get('kept', 0)} "
                     "gardé(s).")
        if not run.items:
            text = f"Liste du {run.as_of:%d/%m/%Y} : aucun usager à purger ce mois-ci."
        self.status.setStyleSheet("")
        self.status.setText(text)


def open_retention_dialog(parent: QWidget, conn: sqlite3.Connection, agent_id: str | None,
                          online: Online, *, today: Callable[[], date]) -> RetentionDialog | None:
    if not is_admin(conn, agent_id):
        QMessageBox.warning(parent, "Conservation des données", ADMIN_ONLY)
        return None
    dialog = RetentionDialog(conn, online, today=today, parent=parent)
    dialog.show()
    return dialog
