"""Exports and statistics off the GUI thread, with progress and cancellation.

The work runs on the window's ``TaskRunner`` with a connection of its own, opened and closed
on the worker thread (SQLite connections belong to their thread). Progress comes back through
a signal of a QObject living on the GUI thread (queued across threads); « Annuler » sets an
event the writer checks every few hundred rows, and the writer then removes its temporary
file (``desktop.exports.writers``).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop.exports.tables import bannette_ids, bannette_table, statistics_tables
from desktop.exports.writers import ExportFormat, export_tables
from desktop.services.tasks import TaskRunner
from desktop.store.database import connect, database_file
from desktop.store.inbox import InboxFilter, InboxSort
from desktop.store.statistics import Statistics, compute_statistics


class ExportProgress(QObject):
    """Rows written out of the total; emitted from the worker, received on the GUI thread."""

    advanced = Signal(int, int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def report(self, done: int, total: int) -> None:
        self.advanced.emit(done, total)


class ExportService:
    """What the dashboard and « Fichier › Exporter la vue… » start; results come back on the
    GUI thread through the callbacks, errors as exceptions (ExportError: a French message)."""

    def __init__(self, conn: sqlite3.Connection, tasks: TaskRunner) -> None:
        self.database = database_file(conn)
        if self.database is None:
            # A database in memory has no second connection: the work runs inline on the
            # GUI thread's (tests, never the app).
            self._gui_conn: sqlite3.Connection | None = conn
            self.tasks = TaskRunner(tasks, synchronous=True)
        else:
            self._gui_conn = None
            self.tasks = tasks

    def _on_worker(self, work: Callable[[Any], Any]) -> Callable[[], Any]:
        def run() -> Any:
            if self._gui_conn is not None:
                return work(self._gui_conn)
            assert self.database is not None
            conn = connect(self.database, migrate=False)
            try:
                return work(conn)
            finally:
                conn.close()

        return run

    def statistics(
        self,
        *,
        today: date,
        authority_pk: int | None,
        start: date | None,
        end: date | None,
        on_success: Callable[[Statistics], None],
        on_failure: Callable[[BaseException], None],
    ) -> None:
        self.tasks.run(
            self._on_worker(
                lambda conn: compute_statistics(
                    conn, today=today, authority_pk=authority_pk, start=start, end=end
                )
            ),
            on_success=on_success,
            on_failure=on_failure,
        )

    def export_view(
        self,
        flt: InboxFilter,
        sort: InboxSort,
        target: Path,
        fmt: ExportFormat,
        progress: ExportProgress,
        *,
        today: date,
        agent_id: str | None,
        on_success: Callable[[int], None],
        on_failure: Callable[[BaseException], None],
    ) -> None:
        """The bannette's current view (same filter, search and sort as the window)."""

        def work(conn: Any) -> int:
            pks = bannette_ids(conn, flt, sort, today=today, agent_id=agent_id)
            return export_tables(
                [bannette_table(conn, pks)], target, fmt,
                progress=progress.report, cancelled=progress.cancelled,
            )  # fmt: skip

        self.tasks.run(self._on_worker(work), on_success=on_success, on_failure=on_failure)

    def export_statistics(
        self,
        stats: Statistics,
        target: Path,
        fmt: ExportFormat,
        *,
        on_success: Callable[[int], None],
        on_failure: Callable[[BaseException], None],
    ) -> None:
        self.tasks.run(
            lambda: export_tables(statistics_tables(stats), target, fmt),
            on_success=on_success,
            on_failure=on_failure,
        )
