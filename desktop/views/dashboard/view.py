"""« Tableau de bord »: a commune, a period, the figures and their charts; PDF and exports.

The figures are computed off the GUI thread (``ExportService.statistics``, its own SQLite
connection); an answer that arrives after the commune or the period changed again is dropped,
so the screen always shows the figures of what the pickers say.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.exports.writers import ExportFormat
from desktop.services.exports import ExportService
from desktop.store.statistics import Commune, Statistics, StatisticsError
from desktop.views.dashboard.charts import BarChart
from desktop.views.dashboard.figures import (
    EMPTY_PERIOD,
    channel_bars,
    figure_lines,
    month_bars,
    period_fr,
    procedure_bars,
)
from desktop.views.date_entry import DateEntry

#: Typing a date fires many changes: the figures are computed once the typing pauses.
DEBOUNCE_MS = 250


class DashboardView(QWidget):
    """The tab's widget. ``today`` is the window's day (injected, never the PC's clock)."""

    #: The figures now on screen (None: computing, or a period that cannot be computed).
    computed = Signal(object)
    #: « Exporter en PDF… », « Imprimer… », « Exporter les chiffres… »: the installer acts.
    pdfRequested = Signal()
    printRequested = Signal()
    exportRequested = Signal()

    def __init__(
        self,
        service: ExportService,
        communes: list[Commune],
        *,
        today: Callable[[], date],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("dashboard")
        self._service = service
        self._today = today
        self._generation = 0
        self.stats: Statistics | None = None

        self.commune = QComboBox(self)
        self.commune.setObjectName("dashboard-commune")
        self.set_communes(communes)
        day = today()
        self.start = DateEntry(self, name="dashboard-start", today=today)
        self.end = DateEntry(self, name="dashboard-end", today=today)
        self.start.set_value(date(day.year, 1, 1))
        self.end.set_value(day)
        self.refresh_button = QPushButton("Ac&tualiser", self)
        self.refresh_button.setObjectName("dashboard-refresh")
        self.pdf_button = QPushButton("E&xporter en PDF…", self)
        self.pdf_button.setObjectName("dashboard-pdf")
        self.print_button = QPushButton("Im&primer…", self)
        self.print_button.setObjectName("dashboard-print")
        self.export_button = QPushButton("Exporter les c&hiffres…", self)
        self.export_button.setObjectName("dashboard-export")

        pickers = QHBoxLayout()
        # Mnemonics clear of the menus (F, A, D, Y, I) and of the tabs (B, C, O, P).
        for text, widget in (("Commu&ne :", self.commune), ("Pé&riode du :", self.start),
                             ("au :", self.end)):  # fmt: skip
            label = QLabel(text, self)
            label.setBuddy(widget)
            pickers.addWidget(label, 0, Qt.AlignmentFlag.AlignTop)
            pickers.addWidget(widget, 1 if widget is self.commune else 0, Qt.AlignmentFlag.AlignTop)
        pickers.addWidget(self.refresh_button, 0, Qt.AlignmentFlag.AlignTop)
        pickers.addStretch(1)
        for button in (self.pdf_button, self.print_button, self.export_button):
            pickers.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)

        self.state = QLabel(self)
        self.state.setObjectName("dashboard-state")
        font = self.state.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.state.setFont(font)

        self.figures = QFormLayout()
        self.figures.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.values: dict[str, QLabel] = {}
        figures_box = QFrame(self)
        figures_box.setFrameShape(QFrame.Shape.StyledPanel)
        figures_box.setLayout(self.figures)

        self.channel_chart = BarChart("Demandes par canal", parent=self)
        self.channel_chart.setObjectName("chart-channel")
        self.month_chart = BarChart("Demandes par mois", parent=self)
        self.month_chart.setObjectName("chart-month")
        self.procedure_chart = BarChart("Démarches les plus demandées", horizontal=True,
                                        parent=self)  # fmt: skip
        self.procedure_chart.setObjectName("chart-procedure")
        charts = QGridLayout()
        charts.addWidget(self.channel_chart, 0, 0)
        charts.addWidget(self.month_chart, 0, 1)
        charts.addWidget(self.procedure_chart, 1, 0, 1, 2)

        top = QHBoxLayout()
        top.addWidget(figures_box, 2)
        top.addLayout(charts, 5)
        layout = QVBoxLayout(self)
        layout.addLayout(pickers)
        layout.addWidget(self.state)
        layout.addLayout(top, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.refresh)
        self.commune.currentIndexChanged.connect(self.refresh)
        self.start.valueChanged.connect(lambda _v: self.refresh_soon())
        self.end.valueChanged.connect(lambda _v: self.refresh_soon())
        self.refresh_button.clicked.connect(self.refresh)
        self.pdf_button.clicked.connect(self.pdfRequested)
        self.print_button.clicked.connect(self.printRequested)
        self.export_button.clicked.connect(self.exportRequested)
        self._show(None)

    def set_communes(self, communes: list[Commune]) -> None:
        current = self.commune.currentData()
        self.commune.blockSignals(True)
        self.commune.clear()
        self.commune.addItem("Toutes les communes", None)
        for commune in communes:
            self.commune.addItem(commune.name, commune.pk)
        index = self.commune.findData(current)
        self.commune.setCurrentIndex(max(index, 0))
        self.commune.blockSignals(False)

    # --- computing --------------------------------------------------------------------------
    def refresh_soon(self) -> None:
        """Recompute once things settle (typing, several pages of a sync)."""
        self._timer.start()

    def refresh(self) -> None:
        """Compute the figures of what the pickers say (off the GUI thread)."""
        self._timer.stop()
        self._generation += 1
        generation = self._generation
        start, end = self.start.value(), self.end.value()
        problem = self.start.problem() or self.end.problem()
        if problem or start is None or end is None:
            self._fail(f"Période incomplète : {problem or 'saisissez les deux dates.'}")
            return
        if start > end:
            self._fail(
                f"La date de début ({start:%d/%m/%Y}) est après la date de fin ({end:%d/%m/%Y})."
            )
            return
        self.state.setText("Calcul en cours…")
        self._set_actions(False)
        self._service.statistics(
            today=self._today(),
            authority_pk=self.commune.currentData(),
            start=start,
            end=end,
            on_success=lambda stats: self._arrived(generation, stats),
            on_failure=lambda exc: self._failed(generation, exc),
        )

    def _arrived(self, generation: int, stats: Statistics) -> None:
        if generation == self._generation:
            self._show(stats)

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        if isinstance(exc, StatisticsError):
            self._fail(str(exc))
            return
        self._fail(f"Les chiffres n'ont pas pu être calculés : {exc}")

    def _fail(self, message: str) -> None:
        self._show(None)
        self.state.setText(message)

    # --- showing ----------------------------------------------------------------------------
    def _show(self, stats: Statistics | None) -> None:
        self.stats = stats
        while self.figures.rowCount():
            self.figures.removeRow(0)
        self.values.clear()
        self._set_actions(stats is not None)
        if stats is None:
            self.state.setText("")
            for chart in (self.channel_chart, self.month_chart, self.procedure_chart):
                chart.set_bars([])
            self.computed.emit(None)
            return
        if stats.empty:
            self.state.setText(f"{EMPTY_PERIOD} ({period_fr(stats)}).")
        else:
            self.state.setText(f"{stats.authority_name}, {period_fr(stats)}")
        for label, value in figure_lines(stats):
            shown = QLabel(value, self)
            shown.setWordWrap(True)
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[label] = shown
            self.figures.addRow(f"{label} :", shown)
        self.channel_chart.set_bars(channel_bars(stats))
        self.month_chart.set_bars(month_bars(stats))
        self.procedure_chart.set_bars(procedure_bars(stats))
        self.computed.emit(stats)

    def _set_actions(self, enabled: bool) -> None:
        for button in (self.pdf_button, self.print_button, self.export_button):
            button.setEnabled(enabled)

    def default_name(self, fmt: ExportFormat | str) -> str:
        """« tableau-de-bord-2026-01-01-au-2026-11-23.xlsx »."""
        stats = self.stats
        suffix = fmt.value if isinstance(fmt, ExportFormat) else fmt
        if stats is None:
            return f"tableau-de-bord.{suffix}"
        return f"tableau-de-bord-{stats.start.isoformat()}-au-{stats.end.isoformat()}.{suffix}"


def documents_folder() -> Path:
    from PySide6.QtCore import QStandardPaths

    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(found) if found else Path.home()
