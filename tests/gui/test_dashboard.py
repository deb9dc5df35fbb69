"""« Tableau de bord » and « Fichier › Exporter la vue… » in the real window, offscreen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pymupdf
import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop.exports.writers import ExportCancelled, ExportFormat
from desktop.services.exports import ExportProgress
from desktop.services.tasks import TaskRunner
from desktop.store.statistics import compute_statistics
from desktop.views.dashboard import Dashboard
from desktop.views.main_window import MainWindow
from tests.conftest import TODAY
from tests.gui.conftest import ARTIFACTS, type_text


@pytest.fixture
def window(make_window: Callable[..., MainWindow]) -> MainWindow:
    # Synchronous tasks: the statistics and exports run inline, deterministically.
    return make_window(tasks=TaskRunner(synchronous=True))


def _dashboard(window: MainWindow, qtbot) -> Dashboard:  # type: ignore[no-untyped-def]
    dashboard = window.dashboard
    errors: list[str] = []
    dashboard.show_error = lambda _parent, text: errors.append(text)
    dashboard.errors = errors  # type: ignore[attr-defined]
    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)  # fmt: skip
    assert window.tabs.currentWidget() is dashboard.view
    return dashboard


def _set_period(dashboard: Dashboard, start: str, end: str) -> None:
    for field, text in ((dashboard.view.start, start), (dashboard.view.end, end)):
        field.edit.selectAll()
        field.edit.clear()
        type_text(field.edit, text)
    dashboard.view.refresh()


def test_dashboard_shows_the_figures_of_the_year(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    dashboard = _dashboard(window, qtbot)
    view = dashboard.view
    assert view.start.value() == date(2026, 1, 1) and view.end.value() == TODAY
    stats = view.stats
    assert stats is not None
    expected = compute_statistics(
        window._repo.connection,
        today=TODAY,
        start=date(2026, 1, 1),
        end=TODAY,  # noqa: SLF001
    )
    assert stats == expected
    assert view.values["Demandes reçues"].text() == "500"
    assert "jours" in view.values["Délai d'accusé de réception"].text()
    assert (
        view.values["Accusés dans le délai légal"]
        .text()
        .endswith(f"({stats.acknowledged_in_time} sur {stats.acknowledgements_assessed})")
    )
    assert view.state.text() == "Toutes les communes, du 01/01/2026 au 23/11/2026"
    assert sum(n for _label, n in view.channel_chart.bars) == 500
    assert [label for label, _n in view.month_chart.bars][-1] == "nov."
    assert "Service-public.fr 68" in view.channel_chart.accessibleDescription() or (
        "Service-public.fr" in view.channel_chart.accessibleDescription()
    )
    ARTIFACTS.mkdir(exist_ok=True)
    window.resize(1400, 860)
    QApplication.processEvents()
    assert view.grab().save(str(ARTIFACTS / "dashboard.png"))


def test_one_commune_and_an_empty_period(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    dashboard = _dashboard(window, qtbot)
    view = dashboard.view
    view.commune.setCurrentIndex(view.commune.findText("Mairie d'Obernai"))
    assert view.stats is not None and view.stats.authority_name == "Mairie d'Obernai"
    assert 0 < view.stats.requests < 500
    _set_period(dashboard, "01/01/2019", "31/12/2019")
    assert view.stats is not None and view.stats.empty
    assert view.state.text() == ("Aucune demande sur la période (du 01/01/2019 au 31/12/2019).")
    assert view.values["Délai d'accusé de réception"].text() == "—"
    assert view.values["Accusés dans le délai légal"].text() == "—"
    ARTIFACTS.mkdir(exist_ok=True)
    QApplication.processEvents()  # new rows are shown by a queued call
    assert view.grab().save(str(ARTIFACTS / "dashboard-empty.png"))


def test_reversed_or_unfinished_period_is_said(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    dashboard = _dashboard(window, qtbot)
    view = dashboard.view
    _set_period(dashboard, "01/06/2026", "01/05/2026")
    assert view.stats is None
    assert (
        view.state.text() == "La date de début (01/06/2026) est après la date de fin (01/05/2026)."
    )
    assert not view.pdf_button.isEnabled() and not view.export_button.isEnabled()
    _set_period(dashboard, "31/02/2026", "01/05/2026")
    assert view.state.text().startswith("Période incomplète :")


def test_pdf_report_for_the_council(window: MainWindow, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dashboard = _dashboard(window, qtbot)
    asked: list[Path] = []

    def ask(_title: str, suggested: Path, _filters: list[str]) -> Path:
        asked.append(suggested)
        return tmp_path / "conseil"

    dashboard.ask_path = ask
    target = dashboard.export_pdf()
    assert target == tmp_path / "conseil.pdf"
    assert asked[0].name == "tableau-de-bord-2026-01-01-au-2026-11-23.pdf"
    document = pymupdf.open(target)
    text = document[0].get_text()
    page_count = document.page_count
    pixmap = document[0].get_pixmap(dpi=70)
    ARTIFACTS.mkdir(exist_ok=True)
    pixmap.save(str(ARTIFACTS / "dashboard-report.png"))
    document.close()
    assert page_count == 1
    for words in ("Tableau de bord — Toutes les communes", "du 01/01/2026 au 23/11/2026",
                  "édité le 23 novembre 2026", "Demandes reçues", "Accusés dans le délai légal",
                  "Demandes par canal", "Démarches les plus demandées", "Courriel"):  # fmt: skip
        assert words in text, words
    assert "Rapport enregistré" in dashboard.last_message


def test_statistics_export_and_unwritable_folder(window: MainWindow, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dashboard = _dashboard(window, qtbot)
    dashboard.ask_path = lambda *_a: tmp_path / "chiffres.ods"
    dashboard.view.export_button.click()
    assert (tmp_path / "chiffres.ods").is_file()
    assert "Chiffres exportés" in dashboard.last_message
    dashboard.ask_path = lambda *_a: Path("/proc/chiffres.xlsx")
    dashboard.view.export_button.click()
    assert dashboard.errors == [dashboard.last_message]  # type: ignore[attr-defined]
    assert "Impossible d'écrire dans le dossier « /proc »" in dashboard.last_message


def test_export_the_view_as_filtered(window: MainWindow, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dashboard = window.dashboard
    type_text(window.filters.search, "inscription")
    qtbot.waitUntil(lambda: window.model.current_filter.search == "inscription")
    visible = [window.model.pk_at(row) for row in range(window.model.rowCount())]
    numbers = [window._repo.rows([pk])[pk].reference for pk in visible]  # noqa: SLF001
    assert 0 < len(numbers) < 500
    dashboard.ask_path = lambda *_a: tmp_path / "vue.xlsx"
    action = window.findChild(type(dashboard.export_action), "action-export-view")
    assert action is dashboard.export_action
    assert action.shortcut().toString() == "Ctrl+Shift+X"
    assert action in window.file_menu.actions()
    action.trigger()
    rows = list(load_workbook(tmp_path / "vue.xlsx").active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == numbers
    assert f"{len(numbers)} demande(s) exportée(s)" in dashboard.last_message
    assert dashboard.progress_dialog is not None
    assert dashboard.progress_dialog.maximum() == len(numbers)


def test_cancelled_export_leaves_nothing(window: MainWindow, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dashboard = window.dashboard
    progress = ExportProgress()
    progress.cancel()
    failures: list[BaseException] = []
    dashboard.service.export_view(
        window.model.current_filter, window.model.current_sort, tmp_path / "vue.csv",
        ExportFormat.CSV, progress, today=TODAY, agent_id=None,
        on_success=lambda _n: None, on_failure=failures.append,
    )  # fmt: skip
    assert len(failures) == 1 and isinstance(failures[0], ExportCancelled)
    assert not (tmp_path / "vue.csv").exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".vue")] == []
    dashboard._failed(failures[0])  # noqa: SLF001
    assert dashboard.last_message == "Export annulé : aucun fichier n'a été écrit."


def test_off_the_gui_thread(make_window: Callable[..., MainWindow], qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """With the real thread pool: figures and export come back through signals."""
    window = make_window()
    dashboard = window.dashboard
    window.tabs.setCurrentWidget(dashboard.view)
    qtbot.waitUntil(lambda: dashboard.view.stats is not None, timeout=20_000)
    assert dashboard.view.stats.requests == 500  # type: ignore[union-attr]
    dashboard.ask_path = lambda *_a: tmp_path / "vue.csv"
    dashboard.export_view()
    assert dashboard.progress_dialog is not None
    qtbot.waitUntil(lambda: "exportée(s)" in dashboard.last_message, timeout=20_000)
    assert (tmp_path / "vue.csv").read_bytes().count(b"\r\n") == 501
    assert dashboard.progress_dialog.value() == 500
    window.tasks.wait_for_done()


def test_print_the_report(window: MainWindow, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtPrintSupport import QPrinter

    dashboard = _dashboard(window, qtbot)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "imprime.pdf"))
    dashboard.print_report(printer)
    document = pymupdf.open(tmp_path / "imprime.pdf")
    assert document.page_count == 1
    document.close()
    assert dashboard.last_message == "Tableau de bord envoyé à l'imprimante."


def test_mnemonics_are_unique_on_the_dashboard(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Alt+letter reaches one thing: the menus, the tabs and the dashboard's own fields."""
    from PySide6.QtWidgets import QAbstractButton, QLabel

    def letter(text: str) -> str | None:
        index = text.replace("&&", "").find("&")
        return text.replace("&&", "")[index + 1].lower() if index >= 0 else None

    view = window.dashboard.view
    texts = [a.text() for a in window.menuBar().actions()]
    texts += [window.tabs.tabText(i) for i in range(window.tabs.count())]
    texts += [w.text() for w in view.findChildren(QLabel) + view.findChildren(QAbstractButton)]
    letters = [m for m in map(letter, texts) if m]
    assert len(letters) == len(set(letters)), sorted(letters)


def test_figures_follow_a_sync(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Rows pulled from the server reload the bannette; the figures on screen follow."""
    dashboard = _dashboard(window, qtbot)
    assert dashboard.view.stats is not None and dashboard.view.stats.requests == 500
    conn = window._repo.connection  # noqa: SLF001
    pk = conn.execute("SELECT MAX(pk) FROM request").fetchone()[0]
    conn.execute("UPDATE request SET deleted = 1 WHERE pk = ?", (pk,))  # a tombstone pulled
    window.data_arrived()
    qtbot.waitUntil(lambda: dashboard.view.stats.requests == 499)  # type: ignore[union-attr]
