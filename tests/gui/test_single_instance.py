"""A second Bannette on the same database brings the first to the front and exits without
opening the database; two real processes, offscreen."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop.views.single_instance import ALREADY_RUNNING, server_name

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.gui


def _env(db: Path) -> dict[str, str]:
    # Settings beside the database: never a device such as os.devnull, which QSettings
    # would replace with a regular file when it saves (atomically, by renaming).
    return {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            "BANNETTE_SETTINGS": str(db.with_suffix(".ini"))}


def _start(db: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "desktop", "--database", str(db)],
        env=_env(db), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _wait_owned(db: Path, first: subprocess.Popen[str]) -> None:
    """The first instance holds the lock and its database is open (schema written)."""
    deadline = time.monotonic() + 60
    while not (Path(str(db) + ".lock").exists() and db.exists()):
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "la première instance n'a pas démarré"
        time.sleep(0.1)
    time.sleep(1.0)  # the window is shown once the database is open


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_server_name_depends_on_the_database(tmp_path: Path) -> None:
    assert server_name(tmp_path / "a.sqlite3") != server_name(tmp_path / "b.sqlite3")
    assert server_name(tmp_path / "a.sqlite3") == server_name(tmp_path / "." / "a.sqlite3")


def test_second_instance_brings_the_first_forward_and_exits(tmp_path: Path) -> None:
    db = tmp_path / "bannette.sqlite3"
    first = _start(db)
    try:
        _wait_owned(db, first)
        before = db.stat().st_mtime_ns
        second = subprocess.run(
            [sys.executable, "-m", "desktop", "--database", str(db)],
            env=_env(db), cwd=ROOT, capture_output=True, text=True, timeout=60,
        )
        assert second.returncode == 0, second.stderr
        assert ALREADY_RUNNING in second.stdout  # printed after the first one answered
        assert first.poll() is None  # the first goes on
        assert db.stat().st_mtime_ns == before  # the second never wrote to the database

        # Another database is another Bannette: it starts normally.
        other = _start(tmp_path / "autre.sqlite3")
        try:
            _wait_owned(tmp_path / "autre.sqlite3", other)
            assert other.poll() is None
        finally:
            _stop(other)
    finally:
        _stop(first)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_crashed_first_instance_does_not_lock_the_database(tmp_path: Path) -> None:
    db = tmp_path / "bannette.sqlite3"
    first = _start(db)
    _wait_owned(db, first)
    os.kill(first.pid, signal.SIGKILL)  # no clean-up: lock file and socket stay behind
    first.wait(timeout=10)
    assert Path(str(db) + ".lock").exists()
    again = _start(db)
    try:
        time.sleep(3)
        assert again.poll() is None, again.communicate()  # it took over, window open
    finally:
        _stop(again)
