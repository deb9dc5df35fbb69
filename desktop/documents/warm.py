"""LibreOffice kept warm: one headless soffice for the life of the application.

Starting LibreOffice costs seconds (profile, libraries, fonts); a reply is converted many times
while it is drafted. So one ``soffice --headless --accept=pipe,…`` is started on the first
conversion, with its own user profile (never the user's: her LibreOffice stays usable and her
settings stay out of the PDFs), and kept running. Conversions go through UNO.

The application's Python usually cannot import ``uno`` (Debian's ``python3-uno`` is built for
the system Python; Windows and macOS bundle their own Python inside LibreOffice), so a small
worker (:mod:`.uno_worker`, standard library + ``uno``) runs under the Python that can, and the
two talk JSON lines through pipes. :func:`find_uno_python` finds that interpreter.

Faults: a soffice (or worker) that died is noticed before the next conversion and restarted,
and a conversion interrupted by such a death is tried once more on the new instance. A
conversion that exceeds its timeout kills both processes (whole process group), leaves the .docx
untouched and raises a French :class:`~.errors.PdfConversionError`; the next conversion starts a
fresh instance. :meth:`WarmLibreOffice.close` (also run at exit) stops everything.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import queue
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from functools import lru_cache
from pathlib import Path

from .errors import PdfConversionError, PdfConversionUnavailable

#: How long soffice may take to start and accept the worker's connection.
START_TIMEOUT = 90.0
WORKER = Path(__file__).with_name("uno_worker.py")


def _popen_options() -> dict:
    if sys.platform == "win32":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


def _uno_python_candidates(soffice: Path | None) -> list[list[str]]:
    candidates: list[list[str]] = []
    if soffice is not None:
        program = Path(soffice).resolve().parent
        for name in ("python.exe", "python", "../Resources/python"):
            bundled = (program / name).resolve()
            if bundled.is_file():
                candidates.append([str(bundled)])
    for system in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if Path(system).is_file():
            candidates.append([system])
    if not getattr(sys, "frozen", False):  # a frozen app's executable is not a Python
        candidates.append([sys.executable])
    return candidates


@lru_cache(maxsize=4)
def find_uno_python(soffice: Path | None) -> tuple[str, ...] | None:
    """A Python command that can ``import uno`` for this LibreOffice, or None."""
    for command in _uno_python_candidates(soffice):
        try:
            probe = subprocess.run(
                [*command, "-c", "import uno"],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return tuple(command)
    return None


class _Instance:
    """One soffice and its worker; thrown away whole when either fails."""

    def __init__(self, soffice: Path, python: tuple[str, ...]) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="bannette-lo-warm-"))
        self.pipe = f"bannette-{os.getpid()}-{secrets.token_hex(4)}"
        self.office = subprocess.Popen(
            [
                str(soffice),
                f"-env:UserInstallation={self.profile.as_uri()}",
                "--headless",
                "--invisible",
                "--nologo",
                "--norestore",
                "--nodefault",
                "--nolockcheck",
                f"--accept=pipe,name={self.pipe};urp;StarOffice.ComponentContext",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            **_popen_options(),
        )
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)  # the worker's Python is not ours: none of our packages
        env.pop("PYTHONHOME", None)
        self.worker = subprocess.Popen(
            [*python, str(WORKER), self.pipe, str(START_TIMEOUT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            env=env,
            **_popen_options(),
        )
        self.answers: queue.Queue[dict | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, name="bannette-uno-reader", daemon=True)
        self.reader.start()
        self.next_id = 0

    def _read(self) -> None:
        assert self.worker.stdout is not None
        for line in self.worker.stdout:
            with contextlib.suppress(ValueError):
                self.answers.put(json.loads(line))
        self.answers.put(None)  # end of stream: the worker exited

    def wait_ready(self, timeout: float) -> None:
        answer = self._answer(timeout)
        if not answer or not answer.get("ready"):
            detail = (answer or {}).get("error", "arrêt inattendu")
            raise PdfConversionError(
                f"LibreOffice n'a pas pu démarrer pour la conversion en PDF ({detail})."
            )

    def _answer(self, timeout: float) -> dict | None:
        try:
            return self.answers.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError from None

    def alive(self) -> bool:
        return self.office.poll() is None and self.worker.poll() is None

    def convert(self, docx: Path, pdf: Path, timeout: float) -> dict | None:
        """The worker's answer, None if it died meanwhile; TimeoutError past ``timeout``."""
        self.next_id += 1
        request = {"id": self.next_id, "docx": str(docx), "pdf": str(pdf)}
        assert self.worker.stdin is not None
        try:
            self.worker.stdin.write(json.dumps(request) + "\n")
            self.worker.stdin.flush()
        except (BrokenPipeError, OSError):
            return None
        deadline = time.monotonic() + timeout
        while True:
            answer = self._answer(max(0.0, deadline - time.monotonic()))
            if answer is None or answer.get("id") == self.next_id:
                return answer

    def kill(self) -> None:
        for process in (self.worker, self.office):
            _kill_group(process)
        with contextlib.suppress(Exception):
            if self.worker.stdin:
                self.worker.stdin.close()
        shutil.rmtree(self.profile, ignore_errors=True)


def _kill_group(process: subprocess.Popen) -> None:
    if process.poll() is None:
        if sys.platform == "win32":
            subprocess.run(
                ["taskkill", "/F", "/T", "/PID", str(process.pid)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
        else:
            import signal

            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


class WarmLibreOffice:
    """A :class:`~.pdf.PdfConverter` over one long-lived headless LibreOffice.

    Thread-safe: conversions are serialised (one soffice converts one document at a time).
    ``restarts`` counts the instances started after the first (for tests and the log).
    """

    name = "LibreOffice"

    def __init__(self, executable: Path | None = None, python: tuple[str, ...] | None = None):
        from .pdf import find_soffice

        self.executable = executable or find_soffice()
        self._python = python
        self._instance: _Instance | None = None
        self._lock = threading.Lock()
        self.started = 0
        atexit.register(self.close)

    @property
    def python(self) -> tuple[str, ...] | None:
        if self._python is None and self.executable is not None:
            self._python = find_uno_python(self.executable)
        return self._python

    def available(self) -> bool:
        return self.executable is not None and self.python is not None

    @property
    def restarts(self) -> int:
        return max(0, self.started - 1)

    def office_pid(self) -> int | None:
        """The running soffice's process id (None when not started); for tests."""
        instance = self._instance
        return instance.office.pid if instance is not None and instance.alive() else None

    def _ensure(self) -> _Instance:
        if self._instance is not None and self._instance.alive():
            return self._instance
        if self._instance is not None:
            self._instance.kill()
            self._instance = None
        if self.executable is None or self.python is None:
            from .pdf import _unavailable_message

            raise PdfConversionUnavailable(_unavailable_message())
        instance = _Instance(self.executable, self.python)
        try:
            instance.wait_ready(START_TIMEOUT)
        except TimeoutError:
            instance.kill()
            raise PdfConversionError(
                f"LibreOffice n'a pas démarré en {START_TIMEOUT:g} secondes : la conversion en "
                "PDF est impossible pour l'instant. Le document Word est conservé."
            ) from None
        except PdfConversionError:
            instance.kill()
            raise
        self._instance = instance
        self.started += 1
        return instance

    def convert(self, docx: Path, output_dir: Path, timeout: float = 120.0) -> Path:
        docx, output_dir = Path(docx).resolve(), Path(output_dir).resolve()
        if not docx.is_file():
            raise PdfConversionError(f"Document introuvable pour la conversion en PDF : {docx}")
        output_dir.mkdir(parents=True, exist_ok=True)
        target = output_dir / f"{docx.stem}.pdf"
        with self._lock:
            for attempt in (1, 2):
                instance = self._ensure()
                staging = Path(tempfile.mkdtemp(prefix=".bannette-pdf-", dir=output_dir))
                produced = staging / target.name
                try:
                    try:
                        answer = instance.convert(docx, produced, timeout)
                    except TimeoutError:
                        instance.kill()
                        self._instance = None
                        raise PdfConversionError(
                            f"LibreOffice ne répond plus : la conversion de « {docx.name} » en "
                            f"PDF a dépassé {timeout:g} secondes et a été interrompue. Le "
                            "document Word est conservé ; LibreOffice sera redémarré à la "
                            "prochaine conversion."
                        ) from None
                    if answer is not None and not answer.get("ok"):
                        # The worker leaves when soffice is gone: then it is a crash, not a
                        # document LibreOffice cannot read.
                        with contextlib.suppress(subprocess.TimeoutExpired):
                            instance.worker.wait(timeout=1.0)
                    if answer is None or not instance.alive():
                        # soffice or the worker died mid-way: once more on a new instance.
                        instance.kill()
                        self._instance = None
                        if attempt == 1:
                            continue
                        raise PdfConversionError(
                            f"LibreOffice s'est arrêté pendant la conversion de « {docx.name} » "
                            "en PDF. Le document Word est conservé ; réessayez."
                        )
                    if not answer.get("ok") or not produced.is_file():
                        raise PdfConversionError(
                            f"LibreOffice n'a pas pu convertir « {docx.name} » en PDF "
                            f"({answer.get('error', 'aucun fichier produit')}). Le document "
                            "Word est conservé."
                        )
                    os.replace(produced, target)
                    return target
                finally:
                    shutil.rmtree(staging, ignore_errors=True)
        raise AssertionError("unreachable")  # pragma: no cover

    def start(self) -> None:
        """Start LibreOffice now (e.g. when the reply dialog opens) so the first PDF is warm."""
        with self._lock:
            self._ensure()

    def close(self) -> None:
        with self._lock:
            if self._instance is not None:
                self._instance.kill()
                self._instance = None


_shared: WarmLibreOffice | None = None
_shared_lock = threading.Lock()


def shared_warm_libreoffice() -> WarmLibreOffice:
    """The application's one warm LibreOffice (created on first use, stopped at exit)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = WarmLibreOffice()
        return _shared
