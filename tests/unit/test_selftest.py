"""``bannette --self-test`` and ``--version``: each failure path with the real component.

A read-only folder and a full disk are made for real: root ignores permissions, so the
read-only case runs in a child process as « nobody »; the full disk is a child process whose
file-size limit (RLIMIT_FSIZE) makes writes fail as a full disk does.
"""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from desktop import selftest
from desktop.documents.errors import PdfConversionUnavailable
from desktop.store.database import connect, latest_version
from desktop.version import app_version, pyproject_version, version_key

ROOT = Path(__file__).resolve().parents[2]


def _child(code: str, *, as_nobody: bool = False, fsize: int | None = None) -> str:
    """Run ``code`` (which prints a Check line) in a child Python; returns its stdout."""
    prelude = "import resource, signal\n"
    if fsize is not None:
        prelude += (
            "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
            f"resource.setrlimit(resource.RLIMIT_FSIZE, ({fsize}, {fsize}))\n"
        )
    if as_nobody:  # imports first: the Python install may not be readable by « nobody »
        prelude += (
            "import os, desktop.selftest, desktop.store.database\n"
            "os.setgid(65534); os.setuid(65534)\n"
        )
    result = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_version_is_the_one_of_pyproject() -> None:
    assert app_version() == pyproject_version(ROOT / "pyproject.toml")
    assert version_key("0.10.2") > version_key("0.9.9")
    assert version_key("1.2.0rc1") == (1, 2, 0)


def test_version_option_prints_it() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "--version"],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0
    assert result.stdout.strip() == pyproject_version(ROOT / "pyproject.toml")


def test_data_folder_writable(tmp_path: Path) -> None:
    check = selftest.check_data_folder(tmp_path / "données")
    assert check.ok and not check.warning
    assert list((tmp_path / "données").iterdir()) == []  # the probe is gone


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_read_only_data_folder_fails_with_a_french_message(tmp_path: Path) -> None:
    folder = tmp_path / "lecture-seule"
    folder.mkdir()
    tmp_path.chmod(0o755)
    if os.geteuid() == 0:
        folder.chmod(0o755)  # root's folder: « nobody » may read, not write
        line = _child(
            f"from pathlib import Path; from desktop.selftest import check_data_folder\n"
            f"print(check_data_folder(Path({str(folder)!r})).line())",
            as_nobody=True,
        )
    else:
        folder.chmod(0o555)
        line = selftest.check_data_folder(folder).line()
    assert line.startswith("[échec] dossier de données")
    assert "lecture seule" in line


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_full_disk_fails_with_a_french_message(tmp_path: Path) -> None:
    line = _child(
        f"from pathlib import Path; from desktop.selftest import check_data_folder\n"
        f"print(check_data_folder(Path({str(tmp_path)!r})).line())",
        fsize=64 * 1024,
    )
    assert line.startswith("[échec] dossier de données")
    assert "plein" in line


def test_store_is_created_and_migrated(tmp_path: Path) -> None:
    check = selftest.check_store(tmp_path)
    assert check.ok
    assert f"version {latest_version()}" in check.detail


def test_database_from_a_newer_version_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "bannette.sqlite3"
    connect(path).close()
    newer = latest_version() + 1
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {newer}")
    raw.close()
    before = path.read_bytes()

    check = selftest.check_database(path)

    assert not check.ok
    assert "plus récente" in check.detail and f"version {newer}" in check.detail
    assert path.read_bytes() == before  # never downgraded, not even touched
    out, err = io.StringIO(), io.StringIO()
    assert selftest.run_self_test(path, out=out, err=err, qt=False) == 1
    assert "Échec de l'autotest — base de l'utilisateur" in err.getvalue()


def test_current_database_passes(tmp_path: Path) -> None:
    path = tmp_path / "bannette.sqlite3"
    connect(path).close()
    assert selftest.check_database(path).ok
    assert selftest.check_database(tmp_path / "absente.sqlite3").ok


def test_missing_converter_is_a_warning(tmp_path: Path) -> None:
    template, docx = selftest.check_template(tmp_path)
    assert template.ok and docx is not None and docx.is_file()

    def none_installed() -> object:
        raise PdfConversionUnavailable("aucun")

    check, pdf = selftest.check_pdf(docx, tmp_path, none_installed)
    assert check.ok and check.warning and pdf is None
    assert "aucun convertisseur" in check.detail
    rendered = selftest.check_pymupdf(None, tmp_path)  # a PDF made on the spot
    assert rendered.ok


def test_unreachable_keyring_is_reported_not_fatal(tmp_path: Path) -> None:
    """No session bus: keyring falls back to its « fail » backend, as on a bare Linux box."""
    result = subprocess.run(
        [sys.executable, "-c",
         "from desktop.selftest import check_keyring; print(check_keyring().line())"],
        capture_output=True, text=True, timeout=60, cwd=ROOT, check=False,
        env={
            **{k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND"},
            "PYTHONPATH": str(ROOT),
            "DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp_path}/pas-de-bus",
            "XDG_CONFIG_HOME": str(tmp_path),  # no keyringrc.cfg choosing a backend
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("[attention] trousseau : aucun trousseau joignable")


def test_keyring_that_cannot_load_fails(tmp_path: Path) -> None:
    """A backend named but absent (what a frozen app without its backends looks like)."""
    result = subprocess.run(
        [sys.executable, "-c",
         "from desktop.selftest import check_keyring; print(check_keyring().line())"],
        capture_output=True, text=True, timeout=60, cwd=ROOT, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(tmp_path),
             "PYTHON_KEYRING_BACKEND": "keyring.backends.Absent.Keyring"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("[échec] trousseau : module keyring inutilisable")


@pytest.mark.slow
def test_self_test_end_to_end(tmp_path: Path) -> None:
    """The whole self-test in a child process, as scripts/freeze runs the frozen one."""
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "--self-test"],
        capture_output=True, text=True, timeout=240, cwd=ROOT, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen",
             "BANNETTE_DATABASE": str(tmp_path / "data" / "bannette.sqlite3")},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[ok] interface Qt" in result.stdout
    assert "Autotest réussi." in result.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_app_store_in_a_read_only_folder_says_so_in_french(tmp_path: Path) -> None:
    """The app's own connect() (not only the self-test): a French StoreError, no traceback."""
    folder = tmp_path / "protégé"
    folder.mkdir()
    code = (
        "from desktop.store.database import StoreError, connect\n"
        "try:\n"
        f"    connect({str(folder / 'sous-dossier' / 'bannette.sqlite3')!r})\n"
        "except StoreError as exc:\n"
        "    print(exc)\n"
    )
    if os.geteuid() == 0:
        line = _child(code, as_nobody=True)
    else:
        folder.chmod(0o555)
        line = _child(code)
    assert "Impossible d'ouvrir la base locale" in line
    assert "lecture seule" in line and "disque n'est pas plein" in line


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_app_store_on_a_full_disk_says_so_in_french(tmp_path: Path) -> None:
    code = (
        "from desktop.store.database import StoreError, connect\n"
        "try:\n"
        f"    connect({str(tmp_path / 'bannette.sqlite3')!r})\n"
        "except StoreError as exc:\n"
        "    print(exc)\n"
    )
    line = _child(code, fsize=4096)
    assert "disque n'est pas plein" in line or "plein" in line
