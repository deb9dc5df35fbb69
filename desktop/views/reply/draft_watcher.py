"""Noticing that the draft was saved in Word or LibreOffice.

Word saves through a temporary file renamed over the draft: the watched file disappears, the
watcher forgets it, and a plain watch would hear nothing of the next saves. So the folder is
watched too, the path is added back after every change, and a burst of events (Word writes,
renames, touches the file again) is folded into one ``saved`` signal after a short quiet.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

#: Quiet time after the last event before the save is taken as finished.
DEBOUNCE_MS = 700


class DraftWatcher(QObject):
    """Watches one draft file; ``saved(path)`` once per save, whatever the editor does."""

    saved = Signal(str)

    def __init__(self, path: Path, parent: QObject | None = None,
                 debounce_ms: int = DEBOUNCE_MS) -> None:
        super().__init__(parent)
        self.path = Path(path)
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._changed)
        self._watcher.directoryChanged.connect(self._changed)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self._settled)
        self._last = self._stamp()
        self._watch()

    def _stamp(self) -> tuple[int, int] | None:
        try:
            info = self.path.stat()
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size)

    def _watch(self) -> None:
        if str(self.path.parent) not in self._watcher.directories():
            self._watcher.addPath(str(self.path.parent))
        if self.path.exists() and str(self.path) not in self._watcher.files():
            self._watcher.addPath(str(self.path))

    def _changed(self, _path: str) -> None:
        self._watch()  # the file may have been replaced by a rename: watch the new one
        self._timer.start()

    def _settled(self) -> None:
        self._watch()
        stamp = self._stamp()
        if stamp is None or stamp == self._last:
            return  # a lock file or a temporary file came and went: the draft did not change
        self._last = stamp
        self.saved.emit(str(self.path))

    def stop(self) -> None:
        self._timer.stop()
        paths = self._watcher.files() + self._watcher.directories()
        if paths:
            self._watcher.removePaths(paths)
