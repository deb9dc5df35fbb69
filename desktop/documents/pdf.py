"""Turn a rendered .docx into PDF with whatever office suite the computer has.

Converters share one small interface (``PdfConverter``): LibreOffice kept warm (one headless
instance for the life of the application, :mod:`.warm`), LibreOffice started for each
conversion (when no Python with ``uno`` exists), and Microsoft Word driven through COM, which
many mairie PCs have instead. :func:`available_converter` picks one (French
:class:`PdfConversionUnavailable` when there is none); ``convert_to_pdf`` uses it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Protocol

from .errors import PdfConversionError, PdfConversionUnavailable

DEFAULT_TIMEOUT = 120.0

# Where the Windows and macOS installers put LibreOffice when it is not on PATH.
_WELL_KNOWN_SOFFICE = (
    Path(os.environ.get("PROGRAMFILES", r"C:\Program Files")) / "LibreOffice/program/soffice.exe",
    Path(os.environ.get("PROGRAMFILES(X86)", r"C:\Program Files (x86)"))
    / "LibreOffice/program/soffice.exe",
    Path("/Applications/LibreOffice.app/Contents/MacOS/soffice"),
)


class PdfConverter(Protocol):
    """What ``convert_to_pdf`` needs from a converter."""

    name: str

    def available(self) -> bool:
        """True when the converter can run on this computer."""
        ...

    def convert(self, docx: Path, output_dir: Path, timeout: float) -> Path:
        """Write ``<docx stem>.pdf`` into ``output_dir`` and return its path."""
        ...


def find_soffice() -> Path | None:
    """The LibreOffice executable: on PATH first, then the installers' usual folders."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return Path(found)
    return next((path for path in _WELL_KNOWN_SOFFICE if path.is_file()), None)


class LibreOfficeConverter:
    """LibreOffice headless, with a throw-away user profile for every conversion.

    LibreOffice allows one running instance per user profile: a second ``soffice`` started on
    the same profile hands its work to the first and exits, or fails when the first is busy.
    A private profile per call lets conversions run in parallel (sync worker, UI, tests) and
    keeps the user's own LibreOffice settings out of the output. The price is LibreOffice's
    first-start initialisation on every call (about a second).
    """

    name = "LibreOffice"

    def __init__(self, executable: Path | None = None) -> None:
        self.executable = executable or find_soffice()

    def available(self) -> bool:
        return self.executable is not None

    def convert(self, docx: Path, output_dir: Path, timeout: float = DEFAULT_TIMEOUT) -> Path:
        if self.executable is None:
            raise PdfConversionUnavailable(_unavailable_message())
        docx, output_dir = Path(docx).resolve(), Path(output_dir).resolve()
        if not docx.is_file():
            raise PdfConversionError(f"Document introuvable pour la conversion en PDF : {docx}")
        output_dir.mkdir(parents=True, exist_ok=True)
        profile = Path(tempfile.mkdtemp(prefix="bannette-lo-profile-"))
        # LibreOffice writes the PDF progressively: convert into a private folder beside the
        # target, then rename, so a reader never sees a half-written PDF.
        staging = Path(tempfile.mkdtemp(prefix=".bannette-pdf-", dir=output_dir))
        try:
            command = [
                str(self.executable),
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--invisible",
                "--nologo",
                "--norestore",
                "--nodefault",
                "--nolockcheck",
                "--convert-to",
                "pdf:writer_pdf_Export",
                "--outdir",
                str(staging),
                str(docx),
            ]
            returncode, output = _run_killable(command, timeout)
            produced = staging / f"{docx.stem}.pdf"
            if returncode != 0 or not produced.is_file() or produced.stat().st_size == 0:
                raise PdfConversionError(
                    f"LibreOffice n'a pas pu convertir « {docx.name} » en PDF "
                    f"(code {returncode}). {_tail(output)}".strip()
                )
            target = output_dir / produced.name
            os.replace(produced, target)
            return target
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(profile, ignore_errors=True)


class WordComConverter:
    """Microsoft Word through COM automation (Windows with Word and ``pywin32`` installed).

    A hook for mairie PCs that have Word but not LibreOffice. It CANNOT RUN on Linux or in CI:
    it has not been exercised by the test suite, only written against Word's documented object
    model (``Documents.Open``, ``ExportAsFixedFormat`` with ``wdExportFormatPDF`` = 17). To use
    it, add ``pywin32`` to the Windows build and test it on a PC with Word. COM must be
    initialised on the calling thread (``pythoncom.CoInitialize()``), which this class does.
    ``timeout`` is not enforced: a Word stuck on a dialog cannot be interrupted from COM, hence
    ``DisplayAlerts`` off and a read-only open.
    """

    name = "Microsoft Word"
    _PDF_FORMAT = 17  # wdExportFormatPDF

    def available(self) -> bool:
        if sys.platform != "win32":
            return False
        try:
            import win32com.client  # noqa: F401
        except ImportError:
            return False
        return True

    def convert(self, docx: Path, output_dir: Path, timeout: float = DEFAULT_TIMEOUT) -> Path:
        if not self.available():
            raise PdfConversionUnavailable(_unavailable_message())
        import pythoncom
        import win32com.client

        docx, output_dir = Path(docx).resolve(), Path(output_dir).resolve()
        output_dir.mkdir(parents=True, exist_ok=True)
        target = output_dir / f"{docx.stem}.pdf"
        staging = output_dir / f".{docx.stem}.tmp.pdf"
        pythoncom.CoInitialize()
        word = None
        try:
            word = win32com.client.DispatchEx("Word.Application")
            word.Visible = False
            word.DisplayAlerts = 0
            document = word.Documents.Open(str(docx), ReadOnly=True, AddToRecentFiles=False)
            try:
                document.ExportAsFixedFormat(str(staging), self._PDF_FORMAT)
            finally:
                document.Close(False)
            os.replace(staging, target)
            return target
        except Exception as exc:  # COM errors come as pywintypes.com_error
            raise PdfConversionError(
                f"Microsoft Word n'a pas pu convertir « {docx.name} » en PDF : {exc}"
            ) from exc
        finally:
            if word is not None:
                with contextlib.suppress(Exception):
                    word.Quit()
            with contextlib.suppress(FileNotFoundError):
                staging.unlink()
            pythoncom.CoUninitialize()


def default_converters() -> list[PdfConverter]:
    """In order of preference: LibreOffice (tested here), then Word on Windows."""
    return [LibreOfficeConverter(), WordComConverter()]


def convert_to_pdf(
    docx: Path,
    output_dir: Path,
    timeout: float = DEFAULT_TIMEOUT,
    *,
    converter: PdfConverter | None = None,
) -> Path:
    """Convert ``docx`` to ``output_dir/<stem>.pdf`` and return the PDF's path.

    Blocks for a second or more: call it off the GUI thread. Raises
    ``PdfConversionUnavailable`` when no converter is installed, ``PdfConversionError`` when
    the conversion fails or exceeds ``timeout`` seconds (the converter is then killed).
    """
    if converter is None:
        converter = available_converter()
    return converter.convert(Path(docx), Path(output_dir), timeout)


def select_converter(*, platform: str, soffice: bool, uno_python: bool, word: bool) -> str | None:
    """Which converter to use, from what the computer has (pure: unit-tested everywhere).

    ``"libreoffice-warm"`` (one LibreOffice kept running, conversions in well under a second)
    first; then ``"word"`` on Windows, whose rendering of a Word document is exact and whose
    start is quicker than a cold LibreOffice; then ``"libreoffice"`` started for each
    conversion; None when there is nothing.
    """
    if soffice and uno_python:
        return "libreoffice-warm"
    if platform == "win32" and word:
        return "word"
    if soffice:
        return "libreoffice"
    return None


def available_converter() -> PdfConverter:
    """The converter this computer can use (see :func:`select_converter`).

    Raises :class:`PdfConversionUnavailable` with a French message when there is none.
    """
    from .warm import find_uno_python, shared_warm_libreoffice

    soffice = find_soffice()
    word = WordComConverter()
    choice = select_converter(
        platform=sys.platform,
        soffice=soffice is not None,
        uno_python=soffice is not None and find_uno_python(soffice) is not None,
        word=word.available(),
    )
    if choice == "libreoffice-warm":
        return shared_warm_libreoffice()
    if choice == "word":
        return word
    if choice == "libreoffice":
        return LibreOfficeConverter(soffice)
    raise PdfConversionUnavailable(_unavailable_message())


def _run_killable(command: list[str], timeout: float) -> tuple[int, str]:
    """Run ``command``; on timeout kill it with every child it started.

    ``soffice`` is a launcher that starts ``soffice.bin``: killing only the launcher would
    leave the real process running. It gets its own process group (POSIX) or is killed as a
    tree (Windows).
    """
    options: dict = {}
    if sys.platform == "win32":
        options["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
    else:
        options["start_new_session"] = True
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        **options,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_tree(process)
        process.communicate()
        raise PdfConversionError(
            f"La conversion en PDF a dépassé {timeout:g} secondes et a été interrompue. "
            "Réessayez ; si le problème persiste, ouvrez le document dans Word ou LibreOffice "
            "et enregistrez-le en PDF."
        ) from None
    return process.returncode, output.decode("utf-8", "replace")


def _kill_tree(process: subprocess.Popen) -> None:
    if sys.platform == "win32":
        subprocess.run(
            ["taskkill", "/F", "/T", "/PID", str(process.pid)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        process.kill()


def _tail(output: str, lines: int = 5) -> str:
    return " ".join(output.strip().splitlines()[-lines:])


def _unavailable_message() -> str:
    return (
        "Aucun logiciel de conversion en PDF n'est installé sur cet ordinateur. Installez "
        "LibreOffice (https://fr.libreoffice.org) ou Microsoft Word, puis recommencez. "
        "Le document Word a bien été créé et peut être imprimé tel quel."
    )
