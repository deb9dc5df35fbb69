"""One Bannette per database: a second start brings the first window to the front and exits.

Two processes writing the same SQLite file would each run the sync worker and the outbox on
it. A :class:`QLockFile` beside the database decides who owns it (it notices a lock left by a
crashed process through its PID, so a crash never locks the secrétaire out); a
:class:`QLocalServer` named after the database lets the second start ask the first to come
to the front, and waits for its answer before it exits.
"""

from __future__ import annotations

import getpass
import hashlib
import sys
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

ACTIVATE = b"activate\n"
ACKNOWLEDGED = b"ok\n"
#: How long a second start waits for the first to listen (it may be starting too).
CONNECT_TIMEOUT_MS = 5_000
ALREADY_RUNNING = (
    "Bannette est déjà ouvert sur ce poste avec la même base : sa fenêtre est ramenée au "
    "premier plan."
)
NOT_ANSWERING = (
    "Bannette est déjà ouvert sur ce poste avec la même base, mais ne répond pas. Fermez-le "
    "(ou attendez qu'il ait fini de démarrer), puis relancez-le."
)


def server_name(database: Path) -> str:
    """A local socket name per (user, database file): two users or two bases never clash."""
    path = str(Path(database).resolve())
    if sys.platform == "win32":
        path = path.lower()  # one file, whatever the case it is typed in
    digest = hashlib.sha256(f"{getpass.getuser()}\0{path}".encode()).hexdigest()[:20]
    return f"bannette-{digest}"


class SingleInstance(QObject):
    """``claim()`` True: this process owns the database (keep the object alive while the
    window is open; ``activated`` asks for the window to come to the front)."""

    activated = Signal()

    def __init__(self, database: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.database = Path(database)
        self.name = server_name(self.database)
        self._lock = QLockFile(str(self.database) + ".lock")
        self._server: QLocalServer | None = None

    def claim(self) -> bool:
        self.database.parent.mkdir(parents=True, exist_ok=True)
        if self._lock.tryLock(200):
            QLocalServer.removeServer(self.name)  # a socket left by a crashed first instance
            self._server = QLocalServer(self)
            self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
            self._server.newConnection.connect(self._on_connection)
            self._server.listen(self.name)
            return True
        return False

    def ask_first_to_show(self) -> bool:
        """From the second start: True when the first instance answered."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
            return False
        socket.write(ACTIVATE)
        socket.waitForBytesWritten(1_000)
        answered = socket.waitForReadyRead(CONNECT_TIMEOUT_MS) and socket.readAll().data() == (
            ACKNOWLEDGED
        )
        socket.disconnectFromServer()
        return answered

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self._lock.unlock()

    def _on_connection(self) -> None:
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._on_message(s))
            socket.disconnected.connect(socket.deleteLater)

    def _on_message(self, socket: QLocalSocket) -> None:
        if socket.readAll().data().startswith(ACTIVATE.strip()):
            self.activated.emit()
            socket.write(ACKNOWLEDGED)
            socket.flush()


def bring_to_front(window: object) -> None:
    """Restore if minimised, raise, and take the focus (as far as the OS lets us)."""
    from PySide6.QtCore import Qt

    state = window.windowState()  # type: ignore[attr-defined]
    window.setWindowState(state & ~Qt.WindowState.WindowMinimized)  # type: ignore[attr-defined]
    window.show()  # type: ignore[attr-defined]
    window.raise_()  # type: ignore[attr-defined]
    window.activateWindow()  # type: ignore[attr-defined]
