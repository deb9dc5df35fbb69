"""Follows the scan folder: a ``QFileSystemWatcher`` and, as a fallback, a look every few seconds.

The folder is read off the GUI thread (a network share may answer slowly): each look runs on
the task runner with the previous look's state, and its result comes back on the GUI thread as
``changed``. Only one look runs at a time; a change noticed meanwhile asks for another. While a
file is still growing, a second look follows soon (``settle_ms``): the copier's file appears as
soon as it is complete, not at the next periodic look.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from desktop.services.scan_folder import ScanResult, ScanState, read_ends, scan
from desktop.services.tasks import TaskRunner


class ScanWatcher(QObject):
    """Emits ``changed(ScanResult)`` after each look at the folder."""

    changed = Signal(object)

    def __init__(
        self,
        runner: TaskRunner,
        parent: QObject | None = None,
        *,
        interval_ms: int = 5000,
        settle_ms: int = 1000,
        read: Callable[[Path], tuple[bytes, bytes]] = read_ends,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._read = read
        self.folder: Path | None = None
        self.state = ScanState()
        self.last: ScanResult | None = None
        self._running = False
        self._again = False
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(lambda _path: self.soon())
        self._periodic = QTimer(self)
        self._periodic.setInterval(interval_ms)
        self._periodic.timeout.connect(self.rescan)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(settle_ms)
        self._settle.timeout.connect(self.rescan)

    def set_folder(self, folder: Path | None) -> None:
        """Follows ``folder`` from now on (None: nothing), and looks at it at once."""
        if self._watcher.directories():
            self._watcher.removePaths(self._watcher.directories())
        self.folder = folder
        self.state = ScanState()
        self.last = None
        if folder is None:
            self._periodic.stop()
            self._settle.stop()
            self.changed.emit(None)
            return
        if folder.is_dir():
            self._watcher.addPath(str(folder))
        self._periodic.start()
        self.rescan()

    def soon(self) -> None:
        """The folder changed: look again once the burst of changes is over."""
        if self.folder is not None:
            self._settle.start()

    def rescan(self) -> None:
        folder = self.folder
        if folder is None:
            return
        if self._running:
            self._again = True
            return
        self._running = True
        state, read = self.state, self._read
        self._runner.run(lambda: scan(folder, state, read),
                         on_success=lambda result: self._looked(folder, result),
                         on_failure=lambda exc: self._failed(folder, exc))

    def forget(self, path: Path) -> None:
        """A file was classified (moved away): drop it from what the watcher knows."""
        looks = {k: v for k, v in self.state.looks.items() if k != path.name}
        self.state = ScanState(looks, dict(self.state.failures))
        if self.last is not None:
            ready = [f for f in self.last.ready if f.path != path]
            self.last = ScanResult(ready, self.last.waiting, self.last.unreadable, self.state,
                                   self.last.problem)
            self.changed.emit(self.last)

    def stop(self) -> None:
        self._periodic.stop()
        self._settle.stop()

    def _looked(self, folder: Path, result: ScanResult) -> None:
        self._running = False
        if folder != self.folder:
            self.rescan()  # the folder was changed meanwhile: this look is stale
            return
        self.state = result.state
        self.last = result
        if not self._watcher.directories() and result.problem is None:
            self._watcher.addPath(str(folder))  # the share came back
        self.changed.emit(result)
        if self._again or result.waiting:
            self._again = False
            self._settle.start()

    def _failed(self, folder: Path, exc: BaseException) -> None:
        self._running = False
        result = ScanResult([], [], [], ScanState(),
                            f"Le dossier de numérisation « {folder} » ne peut pas être lu "
                            f"({exc}).")
        self.last = result
        self.changed.emit(result)
