"""Files dropped from the Explorer onto the bannette, the detail pane or the intake dialog.

One event filter serves every target: it accepts a drag of local files (never text, never a
web link), asks the target whether the place under the mouse takes files (a request row does,
the empty space under the last row does not), and hands the paths over on drop. What becomes
of them (checks, attaching, refusals in French) is the target's handler's business.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QObject, QPoint
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QWidget

#: Handles the dropped paths at a point of the target; returns whether it took them.
DropHandler = Callable[[list[Path], QPoint], bool]
#: Whether the point of the target takes files (None: everywhere).
DropPlace = Callable[[QPoint], bool]


def local_paths(mime: QMimeData) -> list[Path]:
    """The dropped files, in the order the user selected them; empty unless every URL is a
    local file (a link dragged from a browser is not a file of this PC)."""
    if not mime.hasUrls():
        return []
    urls = mime.urls()
    if not urls or not all(url.isLocalFile() for url in urls):
        return []
    return [Path(url.toLocalFile()) for url in urls]


class FileDrop(QObject):
    """Installed on ``target`` (for a scroll area, its viewport): takes file drops."""

    def __init__(self, target: QWidget, handler: DropHandler, place: DropPlace | None = None,
                 ) -> None:
        super().__init__(target)
        self._handler = handler
        self._place = place
        target.setAcceptDrops(True)
        target.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            assert isinstance(event, QDragEnterEvent | QDragMoveEvent)
            if not local_paths(event.mimeData()):
                return False  # text and the like: the widget's own business
            if self._place is None or self._place(event.position().toPoint()):
                event.acceptProposedAction()
            else:
                event.ignore()
            return True
        if kind == QEvent.Type.Drop:
            assert isinstance(event, QDropEvent)
            paths = local_paths(event.mimeData())
            if not paths:
                return False
            point = event.position().toPoint()
            if (self._place is None or self._place(point)) and self._handler(paths, point):
                event.acceptProposedAction()
            else:
                event.ignore()
            return True
        return False
