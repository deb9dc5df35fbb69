"""RGPD in the main window: the « RGPD » menu (audit trail, 36-month retention, export and
erasure of the selected request's citizen) and the tracing of every opening of personal data.

``install_rgpd(window)`` is the one call the main window makes; ``use_online(window, online)``
gives it the server session once the sync controller exists (``desktop/app.py``).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from desktop.documents.errors import OutputError
from desktop.services.rgpd import Online, export_dossier
from desktop.store.database import StoreError
from desktop.store.rgpd import erase_citizen as erase_here
from desktop.store.rgpd import is_admin, record_read
from desktop.views.rgpd.audit_window import open_audit_window
from desktop.views.rgpd.retention_dialog import open_retention_dialog
from sync import errors
from sync.audit_query import AuditQuery
from sync.protocol.wire import AuditEntryRow, ReadWhat

if TYPE_CHECKING:
    from desktop.views.main_window import MainWindow
    from sync.client import ApiClient

T = TypeVar("T")
ERASE_ADMIN_ONLY = "Seul un administrateur de la commune peut effacer les données d'un usager."
NO_SELECTION = "Sélectionnez d'abord une demande de l'usager dans la bannette."


class Offline:
    """Until the sync controller is there (tests, the offline demonstration)."""

    def run(self, call: Callable[[ApiClient], T], on_success: Callable[[T], None],
            on_failure: Callable[[BaseException], None]) -> None:
        on_failure(errors.SyncError("Connectez-vous au serveur pour consulter ces données."))


def current_agent_id(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM setting WHERE key = 'current_agent'").fetchone()
    return str(row[0]) if row else None


class Rgpd(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.conn: sqlite3.Connection = window._repo.connection  # noqa: SLF001
        self.online: Online = Offline()
        self.last_export: Path | None = None
        self.windows: list[QWidget] = []

    # --- tracing ----------------------------------------------------------------------------
    def selected_citizen(self) -> tuple[int, int] | None:
        pk = self.window.selected_pk()
        if pk is None:
            return None
        row = self.conn.execute("SELECT citizen_pk FROM request WHERE pk = ?", (pk,)).fetchone()
        return (int(row[0]), pk) if row else None

    def trace_selection(self) -> None:
        """The detail pane shows the request's citizen: one read per request shown (the
        store's debounce absorbs repaints and back-and-forth clicks)."""
        found = self.selected_citizen()
        if found is not None:
            # Tracing never blocks reading; a refused enqueue is said by the outbox elsewhere.
            with contextlib.suppress(StoreError):
                record_read(self.conn, found[0], ReadWhat.REQUEST_DETAIL, request_pk=found[1],
                            now=self.window.now())

    def trace_attachment(self, attachment_id: str) -> None:
        """« Ouvrir » on a file of the request shown: a read of the citizen's documents."""
        row = self.conn.execute(
            "SELECT r.citizen_pk, r.pk FROM attachment a JOIN request r ON r.pk = a.request_pk "
            "WHERE a.id = ?", (attachment_id,)).fetchone()
        if row is not None:
            with contextlib.suppress(StoreError):
                record_read(self.conn, int(row[0]), ReadWhat.ATTACHMENT, request_pk=int(row[1]),
                            attachment_id=attachment_id, now=self.window.now())

    # --- screens ----------------------------------------------------------------------------
    def open_audit(self, query: AuditQuery | None = None) -> QWidget | None:
        shown = open_audit_window(self.window, self.conn, current_agent_id(self.conn),
                                  self.online, today=self.window._today,  # noqa: SLF001
                                  query=query)
        if shown is not None:
            self.windows.append(shown)
        return shown

    def open_retention(self) -> QWidget | None:
        shown = open_retention_dialog(self.window, self.conn, current_agent_id(self.conn),
                                      self.online, today=self.window._today)  # noqa: SLF001
        if shown is not None:
            self.windows.append(shown)
        return shown

    def access_trail(self, citizen_id: str) -> QWidget:
        """The « Consultations » tab of the citizen window:
        ``citizen_window.add_tab("Consultations", window.rgpd.access_trail(citizen_id))``."""
        from desktop.views.rgpd.access_trail import AccessTrailView

        return AccessTrailView(citizen_id, self.conn, self.online, current_agent_id(self.conn))

    def export_selected(self, folder: Path | None = None, *, with_files: bool = True) -> None:
        found = self.selected_citizen()
        if found is None:
            QMessageBox.information(self.window, "Export RGPD", NO_SELECTION)
            return
        if folder is None:
            chosen = QFileDialog.getExistingDirectory(self.window, "Dossier de l'export RGPD")
            if not chosen:
                return
            folder = Path(chosen)
        citizen_pk = found[0]
        citizen_id = str(self.conn.execute("SELECT id FROM citizen WHERE pk = ?",
                                           (citizen_pk,)).fetchone()[0])

        def call(client: ApiClient) -> list[AuditEntryRow]:
            from desktop.services.rgpd import fetch_all

            return fetch_all(client, AuditQuery(citizen_id=citizen_id, action="read"))

        def write(trail: list[AuditEntryRow] | None) -> None:
            try:
                result = export_dossier(self.conn, citizen_pk, folder, trail=trail,
                                        now=self.window.now(), with_files=with_files)
            except (OutputError, StoreError) as exc:
                QMessageBox.warning(self.window, "Export RGPD", str(exc))
                return
            self.last_export = result.pdf_path
            partial = (" La liste des consultations est incomplète (serveur injoignable)."
                       if result.partial else "")
            self.window.statusBar().showMessage(
                f"Export RGPD enregistré dans « {folder} ».{partial}", 10_000)

        # The server's trail when it answers (admins); otherwise the export says it is partial.
        if is_admin(self.conn, current_agent_id(self.conn)):
            self.online.run(call, write, lambda _exc: write(None))
        else:
            write(None)

    def erase_selected(self, reason: str | None = None, *, confirm: bool = True) -> bool:
        if not is_admin(self.conn, current_agent_id(self.conn)):
            QMessageBox.warning(self.window, "Effacer un usager", ERASE_ADMIN_ONLY)
            return False
        found = self.selected_citizen()
        if found is None:
            QMessageBox.information(self.window, "Effacer un usager", NO_SELECTION)
            return False
        name = str(self.conn.execute("SELECT display_name FROM citizen WHERE pk = ?",
                                     (found[0],)).fetchone()[0])
        if confirm:
            answer = QMessageBox.question(
                self.window, "Effacer un usager",
                f"Effacer définitivement les données de « {name} » ?\n\nSes demandes restent, "
                "anonymes (objet et textes expurgés de son identité) ; ses pièces "
                "justificatives sont supprimées ; les courriers de la mairie et le journal "
                "d'audit sont conservés. Les autres postes l'appliqueront à leur prochaine "
                "synchronisation.")
            if answer != QMessageBox.StandardButton.Yes:
                return False
            typed, accepted = QInputDialog.getText(
                self.window, "Effacer un usager", "Motif (ex. demande écrite du 30/11/2026) :")
            if not accepted:
                return False
            reason = typed
        try:
            erase_here(self.conn, found[0], reason or "")
        except StoreError as exc:
            QMessageBox.warning(self.window, "Effacer un usager", str(exc))
            return False
        self.window.refresh_request(found[1])
        self.window.statusBar().showMessage(f"Données de « {name} » effacées sur ce poste.",
                                            10_000)
        return True


def _action(window: QWidget, text: str, name: str, slot: Callable[[], Any],
            shortcut: str | None = None) -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    action.triggered.connect(slot)
    return action


def install_rgpd(window: MainWindow) -> Rgpd:
    """The « RGPD » menu and the tracing of what the detail pane shows."""
    rgpd = Rgpd(window)
    menu = window.menuBar().addMenu("R&GPD")
    menu.setObjectName("menu-rgpd")
    menu.addAction(_action(window, "&Journal d'audit…", "action-audit",
                           lambda: rgpd.open_audit(), "Ctrl+Alt+J"))
    menu.addAction(_action(window, "&Conservation des données (36 mois)…", "action-retention",
                           rgpd.open_retention))
    menu.addSeparator()
    menu.addAction(_action(window, "E&xporter les données de l'usager…", "action-rgpd-export",
                           lambda: rgpd.export_selected()))
    menu.addAction(_action(window, "&Effacer l'usager (droit à l'effacement)…",
                           "action-rgpd-erase", lambda: rgpd.erase_selected()))
    window.table.selectionModel().selectionChanged.connect(lambda *_: rgpd.trace_selection())
    window.detail.attachmentRequested.connect(rgpd.trace_attachment)
    return rgpd


def use_online(window: QWidget, online: Online) -> None:
    """Gives the RGPD screens the server session (once the sync controller exists)."""
    rgpd = window.findChild(Rgpd)
    if rgpd is not None:
        rgpd.online = online
