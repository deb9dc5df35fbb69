"""``bannette --self-test``: proves an installed (often frozen) app has everything it needs.

A PyInstaller bundle fails in ways the source tree never shows: a keyring backend, a Qt
plugin, a translation, a template or a migration left behind. Each check here exercises one
of them for real, in a temporary folder, and says in French what failed. The Qt check is the
only one that imports Qt, and last, so every other check runs without a display.

Checks answer with a :class:`Check`: ``ok`` False fails the self-test (exit 1), ``warning``
marks what the app survives (no PDF converter, no reachable keyring) and is only reported.
The report goes to stdout; the one-line verdict of a failure goes to stderr too, for scripts
(``scripts/freeze`` fails on any unexpected stderr line).
"""

from __future__ import annotations

import contextlib
import errno
import sqlite3
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

#: Bytes written to prove the data folder takes data (a database grows by pages, not bytes).
PROBE_SIZE = 1024 * 1024
_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    warning: bool = False

    def line(self) -> str:
        mark = "échec" if not self.ok else ("attention" if self.warning else "ok")
        return f"[{mark}] {self.name} : {self.detail}"


def _oserror_text(exc: OSError, folder: Path) -> str:
    if exc.errno in _FULL:
        return f"le disque du dossier « {folder} » est plein ({exc.strerror})"
    if exc.errno in _READ_ONLY or isinstance(exc, PermissionError):
        return f"le dossier « {folder} » est en lecture seule ou protégé ({exc.strerror})"
    return f"le dossier « {folder} » est inutilisable : {exc.strerror or exc}"


def check_data_folder(folder: Path) -> Check:
    """The folder of the user's database takes a write (neither read-only nor full)."""
    name = "dossier de données"
    probe = folder / ".bannette-autotest.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with probe.open("wb") as handle:
            handle.write(b"\0" * PROBE_SIZE)
            handle.flush()
            import os

            os.fsync(handle.fileno())
    except OSError as exc:
        return Check(name, False, _oserror_text(exc, folder))
    finally:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)
    return Check(name, True, f"« {folder} » accessible en écriture")


def check_store(folder: Path) -> Check:
    """A new local store in ``folder``, every migration applied."""
    from desktop.store.database import StoreError, connect, latest_version, schema_version

    name = "base locale"
    try:
        conn = connect(folder / "autotest.sqlite3")
        try:
            version, newest = schema_version(conn), latest_version()
        finally:
            conn.close()
    except StoreError as exc:
        return Check(name, False, str(exc))
    except sqlite3.Error as exc:
        return Check(name, False, f"impossible de créer une base dans « {folder} » : {exc}")
    except OSError as exc:
        return Check(name, False, _oserror_text(exc, folder))
    if version != newest:
        return Check(name, False, f"migrations incomplètes ({version} sur {newest})")
    return Check(name, True, f"créée et migrée jusqu'à la version {version}")


def check_database(path: Path) -> Check:
    """The user's own database, opened read-only: one from a newer app is refused, never
    downgraded (the app would refuse to open it the same way)."""
    from desktop.store.database import latest_version

    name = "base de l'utilisateur"
    if not path.exists():
        return Check(name, True, f"« {path} » pas encore créée")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return Check(name, False, f"« {path} » illisible : {exc}")
    newest = latest_version()
    if version > newest:
        return Check(
            name,
            False,
            f"« {path} » (version {version}) a été créée par une version plus récente du "
            f"logiciel (qui connaît la version {newest}). Installez la version la plus récente "
            "de Bannette ; la base n'a pas été modifiée.",
        )
    return Check(name, True, f"« {path} » en version {version} (le logiciel connaît {newest})")


def check_keyring() -> Check:
    """Which keyring backend the app will use; none loadable at all is a failure.

    The frozen app loses backends silently (keyring finds them through entry points), and
    then falls back to the « fail » backend: on Windows that is a broken build. Elsewhere a
    desktop session may simply have no Secret Service: the app keeps the session in memory
    and says so, hence a warning.
    """
    name = "trousseau"
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception as exc:  # noqa: BLE001 - any failure here means no keyring at all
        return Check(name, False, f"module keyring inutilisable : {exc}")
    label = f"{type(backend).__module__}.{type(backend).__name__}"
    if isinstance(backend, fail.Keyring):
        if sys.platform == "win32":
            return Check(
                name, False, "le coffre de Windows (Credential Locker) n'est pas chargé"
            )
        return Check(
            name, True,
            "aucun trousseau joignable : la session sera gardée en mémoire seulement",
            warning=True,
        )
    try:
        keyring.get_password("bannette-autotest", "lecture")
    except Exception as exc:  # noqa: BLE001 - locked or unreachable: the app goes on
        from sync.cli import keyring_problem

        return Check(name, True, f"{label} : {keyring_problem(exc)}", warning=True)
    return Check(name, True, label)


def check_template(folder: Path) -> tuple[Check, Path | None]:
    """The shipped acknowledgement template, filled with the sample request."""
    from desktop.documents.render import LetterKind, render_letter
    from desktop.documents.samples import sample_context

    name = "modèle Word"
    try:
        docx = render_letter(LetterKind.ACKNOWLEDGEMENT, sample_context(), folder)
    except Exception as exc:  # noqa: BLE001 - anything here is a broken install
        return Check(name, False, f"remplissage impossible : {exc}"), None
    return Check(name, True, f"« {docx.name} » rempli"), docx


def check_pdf(
    docx: Path, folder: Path, find_converter: Callable[[], object] | None = None
) -> tuple[Check, Path | None]:
    """The filled letter in PDF with the computer's converter; none installed is a warning
    (the app says the same to the secrétaire and keeps the Word document)."""
    from desktop.documents.errors import PdfConversionUnavailable
    from desktop.documents.pdf import available_converter

    name = "conversion PDF"
    try:
        converter = (find_converter or available_converter)()
    except PdfConversionUnavailable:
        return Check(
            name, True, "aucun convertisseur (LibreOffice ou Word) sur cet ordinateur",
            warning=True,
        ), None
    try:
        pdf = converter.convert(docx, folder, 120.0)  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001
        return Check(name, False, f"{converter.name} a échoué : {exc}"), None  # type: ignore[attr-defined]
    finally:
        close = getattr(converter, "close", None)
        if callable(close):
            close()  # a LibreOffice kept warm must not outlive the self-test
    return Check(name, True, f"convertie avec {converter.name}"), pdf  # type: ignore[attr-defined]


def check_pymupdf(pdf: Path | None, folder: Path) -> Check:
    """First page of ``pdf`` (or of a PDF made here when there is none) rendered to pixels."""
    name = "PyMuPDF"
    try:
        import pymupdf

        if pdf is None:
            pdf = folder / "autotest.pdf"
            made = pymupdf.open()
            made.new_page().insert_text((72, 72), "Bannette : autotest")
            made.save(pdf)
            made.close()
        with pymupdf.open(pdf) as document:
            pixmap = document[0].get_pixmap(dpi=50)
    except Exception as exc:  # noqa: BLE001
        return Check(name, False, f"rendu impossible : {exc}")
    return Check(name, True, f"page rendue ({pixmap.width}×{pixmap.height} pixels)")


def check_qt(folder: Path) -> Check:
    """The real main window on the offscreen platform, with French and image plugins, then
    closed. Runs last: it is the only check that imports Qt."""
    import os

    name = "interface Qt"
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    try:
        from PySide6.QtCore import QSettings, QTimer
        from PySide6.QtGui import QImageReader
        from PySide6.QtWidgets import QApplication

        from desktop.store.database import connect
        from desktop.store.inbox import InboxRepository
        from desktop.views.main_window import MainWindow
        from desktop.views.qt_french import install_french

        app = QApplication.instance() or QApplication(["bannette"])
        translators = list(install_french(app))  # type: ignore[arg-type]
        if not any(not t.isEmpty() for t in translators):
            return Check(name, False, "traduction française de Qt (qtbase_fr.qm) absente")
        formats = {bytes(f).decode() for f in QImageReader.supportedImageFormats()}
        missing = {"jpeg", "ico"} - formats
        if missing:
            return Check(name, False, f"modules d'images absents : {', '.join(sorted(missing))}")
        conn = connect(folder / "autotest-qt.sqlite3")
        settings = QSettings(str(folder / "autotest.ini"), QSettings.Format.IniFormat)
        window = MainWindow(InboxRepository(conn), settings)
        window.show()
        QTimer.singleShot(0, window.close)
        QTimer.singleShot(0, app.quit)
        app.exec()
        window.deleteLater()
        conn.close()
    except Exception as exc:  # noqa: BLE001
        return Check(name, False, f"fenêtre impossible à ouvrir : {exc}")
    return Check(name, True, f"fenêtre ouverte et fermée ({app.platformName()})")


def run_checks(
    work: Path, data_folder: Path, database: Path, *, qt: bool = True
) -> Iterator[Check]:
    """Every check in order; stops at the first failure (what follows would fail with it)."""
    for check in (check_data_folder(data_folder), check_database(database), check_store(work)):
        yield check
        if not check.ok:
            return
    yield check_keyring()
    template, docx = check_template(work)
    yield template
    if docx is None:
        return
    pdf_check, pdf = check_pdf(docx, work)
    yield pdf_check
    yield check_pymupdf(pdf, work)
    if qt:
        yield check_qt(work)


def run_self_test(
    database: Path,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    qt: bool = True,
) -> int:
    """Run the checks, print the report; 0 when all passed, 1 otherwise."""
    from desktop.version import app_version

    out, err = out or sys.stdout, err or sys.stderr
    print(f"Autotest de Bannette {app_version()}", file=out, flush=True)
    failed: list[Check] = []
    with tempfile.TemporaryDirectory(prefix="bannette-autotest-") as work:
        try:
            for check in run_checks(Path(work), database.parent, database, qt=qt):
                print(check.line(), file=out, flush=True)
                if not check.ok:
                    failed.append(check)
        except Exception as exc:  # noqa: BLE001 - a crash is a failure with its name too
            traceback.print_exc(file=out)
            failed.append(Check("autotest", False, f"erreur inattendue : {exc}"))
    if failed:
        for check in failed:
            print(f"Échec de l'autotest — {check.name} : {check.detail}", file=err, flush=True)
        return 1
    print("Autotest réussi.", file=out, flush=True)
    return 0
