"""``--demo`` runs the whole chain on one PC: the reference server in the background, on a free
loopback port, with its demonstration data and accounts.

Its data folder is kept between runs (``serveur-demo`` in the user's data folder), so a request
submitted on its citizen portal stays there. Started and stopped from the sync thread: the
window never waits for it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import platformdirs

from desktop.store.database import APP_NAME
from sync import errors

DIR_ENV = "BANNETTE_DEMO_SERVER_DIR"
#: The demonstration accounts created by ``python -m server init --demo`` (server/README.md).
DEMO_LOGIN = ("secretaire", "Secretaire-2026!")


def demo_server_dir() -> Path:
    override = os.environ.get(DIR_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "serveur-demo"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_command(port: int) -> list[str]:
    # --exit-with-stdin: the server dies with the app even when the app is killed outright
    # (the system closes the pipe the app held), on Windows as on Linux.
    return [sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "warning", "--exit-with-stdin"]


class DemoServer:
    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = data_dir or demo_server_dir()
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def _env(self) -> dict[str, str]:
        root = str(Path(__file__).resolve().parents[2])
        path = os.environ.get("PYTHONPATH")
        return {**os.environ, "BANNETTE_DATA_DIR": str(self.data_dir),
                "PYTHONPATH": root + (os.pathsep + path if path else "")}

    def ensure(self, timeout: float = 60.0) -> str:
        """Starts the server (creating its demo data the first time); returns its address."""
        if self.process is not None and self.process.poll() is None:
            return self.url
        if getattr(sys, "frozen", False):
            # The installed app ships without the server (installer/bannette.spec): its
            # executable is not a Python that could run it.
            raise errors.ServerError(
                "Le serveur de démonstration n'est pas inclus dans l'application installée : "
                "la démonstration fonctionne hors ligne."
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not (self.data_dir / "server.sqlite3").exists():
            created = subprocess.run(
                # Its own loopback server: the published demo password needs no change.
                [sys.executable, "-m", "server", "init", "--demo", "--keep-passwords"],
                env=self._env(), capture_output=True, text=True, timeout=timeout,
            )
            if created.returncode != 0:
                raise errors.ServerError(
                    "Le serveur de démonstration n'a pas pu être créé : "
                    + (created.stderr.strip().splitlines() or ["erreur inconnue"])[-1]
                )
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            _server_command(port), env=self._env(), stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self.url
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise errors.ServerError("Le serveur de démonstration n'a pas démarré.")

    def interrupt(self) -> None:
        """Returns at once, from any thread: the server is told to go (its pipe closes, and a
        terminate signal follows) and nobody waits for it to finish: the app quits without
        the two seconds a Python server takes to wind down."""
        process = self.process
        if process is None:
            return
        with contextlib.suppress(OSError, ValueError):  # already closed by the other thread
            if process.stdin is not None:
                process.stdin.close()
        if process.poll() is None:
            with contextlib.suppress(OSError):
                process.terminate()

    def stop(self, *, wait: bool = True) -> None:
        """Stops the server; ``wait=False`` when the app quits (see ``interrupt``)."""
        if self.process is None:
            return
        if not wait:
            self.interrupt()
            self.process = None
            return
        if self.process.stdin is not None:
            self.process.stdin.close()  # the polite way: the server stops by itself
        if self.process.poll() is None:
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
