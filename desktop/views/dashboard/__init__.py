"""« Tableau de bord » (issue 13) and « Fichier › Exporter la vue… », installed in the main
window by one call (``install_dashboard``).

- « Affichage › Tableau de bord » (Ctrl+Maj+B): a tab with the figures of a commune and a
  period, their charts, « Exporter en PDF… », « Imprimer… » and « Exporter les chiffres… »;
- « Fichier › Exporter la vue… » (Ctrl+Maj+X): the bannette's rows as the filters and the
  search show them, to CSV, XLSX or ODS, with a progress bar and « Annuler ».

The file dialogs and the message boxes go through ``ask_path`` / ``show_error``, attributes
the tests replace (a modal dialog would wait for a click nobody gives).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QProgressDialog, QWidget

from desktop.exports.writers import (
    FORMAT_LABELS,
    ExportCancelled,
    ExportError,
    ExportFormat,
    atomic_target,
    format_for,
)
from desktop.services.exports import ExportProgress, ExportService
from desktop.store.statistics import communes
from desktop.views.dashboard.report import write_report
from desktop.views.dashboard.view import DashboardView, documents_folder

if TYPE_CHECKING:
    from desktop.views.main_window import MainWindow

AskPath = Callable[[str, Path, list[str]], Path | None]


def _ask_path(title: str, suggested: Path, filters: list[str]) -> Path | None:
    chosen, _filter = QFileDialog.getSaveFileName(None, title, str(suggested), ";;".join(filters))
    return Path(chosen) if chosen else None


def _show_error(parent: QWidget, text: str) -> None:
    QMessageBox.warning(parent, "Bannette", text)


class Dashboard:
    """The tab, its actions and the export of the view, tied to one main window."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        conn = window._repo.connection  # noqa: SLF001
        self.service = ExportService(conn, window.tasks)
        self.ask_path: AskPath = _ask_path
        self.show_error: Callable[[QWidget, str], None] = _show_error
        self.progress_dialog: QProgressDialog | None = None
        self.last_message = ""
        today = window._today  # noqa: SLF001
        self.view = DashboardView(self.service, communes(conn), today=today, parent=window)
        self.view.pdfRequested.connect(self.export_pdf)
        self.view.printRequested.connect(lambda: self.print_report())
        self.view.exportRequested.connect(self.export_statistics)
        self._stale = True
        self.view.computed.connect(lambda _stats: setattr(self, "_stale", False))
        window.tabs.addTab(self.view, "Tableau de b&ord")
        window.tabs.currentChanged.connect(self._on_tab)
        # The bannette is reloaded when a sync brings rows: figures on screen follow.
        window.model.modelReset.connect(self._data_changed)

        self.show_action = QAction("Tableau de &bord", window)
        self.show_action.setObjectName("action-dashboard")
        self.show_action.setShortcut(QKeySequence("Ctrl+Shift+B"))
        self.show_action.setStatusTip(
            "Volumes, délais d'accusé et de décision, retards, appels : par commune et période"
        )
        self.show_action.triggered.connect(self.show)
        self.export_action = QAction("Exporter la &vue…", window)
        self.export_action.setObjectName("action-export-view")
        self.export_action.setShortcut(QKeySequence("Ctrl+Shift+X"))
        self.export_action.setStatusTip(
            "Les demandes affichées (filtres et recherche compris) en CSV, XLSX ou ODS"
        )
        self.export_action.triggered.connect(self.export_view)
        _menu(window, "&Affichage").addAction(self.show_action)
        file_menu = window.file_menu
        quit_action = file_menu.findChild(QAction, "action-quit") or next(
            (a for a in file_menu.actions() if a.objectName() == "action-quit"), None
        )
        actions = file_menu.actions()
        anchor = actions[actions.index(quit_action) - 1] if quit_action in actions else None
        file_menu.insertAction(anchor, self.export_action)  # type: ignore[arg-type]

    # --- the tab ----------------------------------------------------------------------------
    def show(self) -> None:
        self.window.tabs.setCurrentWidget(self.view)
        self.view.commune.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _on_tab(self, index: int) -> None:
        """Figures are computed when the tab is shown (and again each time: data may have
        come from the server meanwhile)."""
        if self.window.tabs.widget(index) is self.view:
            conn = self.window._repo.connection  # noqa: SLF001
            self.view.set_communes(communes(conn))
            self.view.refresh()

    def _data_changed(self) -> None:
        if self.window.tabs.currentWidget() is self.view:
            self.view.refresh_soon()

    # --- the report -------------------------------------------------------------------------
    def export_pdf(self) -> Path | None:
        stats = self.view.stats
        if stats is None:
            return None
        target = self.ask_path(
            "Exporter le tableau de bord en PDF",
            documents_folder() / self.view.default_name("pdf"),
            ["Document PDF (*.pdf)"],
        )
        if target is None:
            return None
        if target.suffix.lower() != ".pdf":
            target = target.with_name(target.name + ".pdf")
        try:
            with atomic_target(target) as temporary:
                write_report(stats, temporary, edited_on=self.window._today())  # noqa: SLF001
        except (ExportError, OSError) as exc:
            self._error(str(exc))
            return None
        self._done(f"Rapport enregistré dans « {target} ».")
        return target

    def print_report(self, printer: QPrinter | None = None) -> None:
        """The report's PDF on a printer: the one chosen in the system's dialog, or
        ``printer`` when given (tests print to a PDF file)."""
        from PySide6.QtPrintSupport import QPrintDialog

        from desktop.views.widgets.pdf_print import print_pdf

        stats = self.view.stats
        if stats is None:
            return
        if printer is None:
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            dialog = QPrintDialog(printer, self.window)
            dialog.setWindowTitle("Imprimer le tableau de bord")
            if dialog.exec() != QPrintDialog.DialogCode.Accepted:
                return
        with tempfile.TemporaryDirectory(prefix="bannette-rapport-") as folder:
            path = write_report(stats, Path(folder) / "tableau-de-bord.pdf",
                                edited_on=self.window._today())  # noqa: SLF001  # fmt: skip
            try:
                print_pdf(path, printer)
            except OSError as exc:
                self._error(str(exc))
                return
        self._done("Tableau de bord envoyé à l'imprimante.")

    # --- exports ----------------------------------------------------------------------------
    def _ask_export(self, title: str, name: str) -> tuple[Path, ExportFormat] | None:
        filters = [FORMAT_LABELS[f] for f in (ExportFormat.XLSX, ExportFormat.CSV,
                                              ExportFormat.ODS)]  # fmt: skip
        target = self.ask_path(title, documents_folder() / name, filters)
        if target is None:
            return None
        if not target.suffix:
            target = target.with_suffix(".xlsx")
        return target, format_for(target)

    def export_statistics(self) -> None:
        stats = self.view.stats
        if stats is None:
            return
        asked = self._ask_export("Exporter les chiffres", self.view.default_name("xlsx"))
        if asked is None:
            return
        target, fmt = asked
        self.service.export_statistics(
            stats, target, fmt,
            on_success=lambda _rows: self._done(f"Chiffres exportés dans « {target} »."),
            on_failure=self._failed,
        )  # fmt: skip

    def export_view(self) -> None:
        window = self.window
        today = window._today()  # noqa: SLF001
        asked = self._ask_export("Exporter la vue", f"bannette-{today.isoformat()}.xlsx")
        if asked is None:
            return
        target, fmt = asked
        progress = ExportProgress(window)
        dialog = QProgressDialog("Export des demandes…", "&Annuler", 0, 100, window)
        dialog.setObjectName("export-progress")
        dialog.setWindowTitle("Exporter la vue")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(400)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(progress.cancel)
        progress.advanced.connect(lambda done, total: _advance(dialog, done, total))
        self.progress_dialog = dialog

        # hide(), not close(): closing a progress dialog emits « canceled » and resets it.
        def finished(rows: int) -> None:
            dialog.hide()
            self._done(f"{rows} demande(s) exportée(s) dans « {target} ».")

        def failed(exc: BaseException) -> None:
            dialog.hide()
            self._failed(exc)

        self.service.export_view(
            window.model.current_filter, window.model.current_sort, target, fmt, progress,
            today=today, agent_id=window._agent_id,  # noqa: SLF001
            on_success=finished, on_failure=failed,
        )  # fmt: skip

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, ExportCancelled):
            self._done(str(exc))
        elif isinstance(exc, ExportError):
            self._error(str(exc))
        else:
            self._error(f"L'export a échoué : {exc}")

    def _done(self, message: str) -> None:
        self.last_message = message
        self.window.statusBar().showMessage(message, 15_000)

    def _error(self, message: str) -> None:
        self.last_message = message
        self.window.statusBar().showMessage(message, 15_000)
        self.show_error(self.window, message)


def _advance(dialog: QProgressDialog, done: int, total: int) -> None:
    dialog.setMaximum(max(total, 1))
    dialog.setValue(min(done, max(total, 1)))
    dialog.setLabelText(f"Export des demandes… {done} sur {total}")


def _menu(window: MainWindow, title: str) -> QMenu:
    for action in window.menuBar().actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and action.text() == title:
            return menu
    return window.menuBar().addMenu(title)


def install_dashboard(window: MainWindow) -> Dashboard:
    """The tab, « Affichage › Tableau de bord » and « Fichier › Exporter la vue… »."""
    return Dashboard(window)
