"""The session token in a real Secret Service (issue 9 item 11), not only keyring's null backend.

Each test starts its own D-Bus session bus (``dbus-daemon --session``) and an unlocked
``gnome-keyring-daemon`` with a throwaway home, then runs our real token code
(``desktop.syncing.session.TokenVault``, and the CLI's reader) in subprocesses that use
keyring's SecretService backend: a fresh process finds only what the keyring really holds.
The test command installs the two daemons (scripts/system-packages.txt); without them the
tests say so and are skipped. The locked and unreachable cases must keep working with the
session in memory and a French message.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.cli import KEYRING_LOCKED, KEYRING_UNAVAILABLE
from tests.sync.conftest import ServerProcess, local_db, run_cli

ROOT = Path(__file__).resolve().parents[2]
SECRET_SERVICE = "keyring.backends.SecretService.Keyring"
SERVER, LOGIN = "http://127.0.0.1:8765", "secretaire"
DAEMONS = ("dbus-daemon", "gnome-keyring-daemon")
MISSING = [name for name in DAEMONS if shutil.which(name) is None]
needs_daemons = pytest.mark.skipif(
    bool(MISSING),
    reason=f"{', '.join(MISSING)} absent (paquets dbus-daemon et gnome-keyring : "
    "scripts/test les installe)",
)


def _base_env(home: Path) -> dict[str, str]:
    env = {
        key: value for key, value in os.environ.items()
        if key not in ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS")
    }  # no display: gnome-keyring's unlock prompt fails at once instead of waiting
    runtime = home / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env.update(
        HOME=str(home), XDG_RUNTIME_DIR=str(runtime), XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"), PYTHONPATH=str(ROOT),
        PYTHON_KEYRING_BACKEND=SECRET_SERVICE,
    )
    return env


def run_python(env: dict[str, str], code: str) -> str:
    """Runs ``code`` in a fresh interpreter; its stdout, stripped."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def secret_service(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A session bus and an unlocked gnome-keyring on it; the environment to reach them."""
    env = _base_env(tmp_path)
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    keyring_daemon: subprocess.Popen[bytes] | None = None
    try:
        assert bus.stdout is not None
        address = bus.stdout.readline().strip()
        assert address, "dbus-daemon gave no address"
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        keyring_daemon = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert keyring_daemon.stdin is not None
        keyring_daemon.stdin.write(b"mot-de-passe-du-trousseau")
        keyring_daemon.stdin.close()
        deadline = time.monotonic() + 20
        while run_python(env, """
            import secretstorage
            print(secretstorage.check_service_availability(secretstorage.dbus_init()))
        """) != "True":
            assert time.monotonic() < deadline, "the Secret Service never came up"
            time.sleep(0.2)
        yield env
    finally:
        for process in (keyring_daemon, bus):
            if process is not None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


SAVE = f"""
    from desktop.syncing.session import TokenVault
    vault = TokenVault()
    vault.save({SERVER!r}, {LOGIN!r}, {{token!r}})
    print(vault.problem or "")
"""
LOAD = f"""
    from desktop.syncing.session import TokenVault
    print(TokenVault().load({SERVER!r}, {LOGIN!r}) or "")
"""


@needs_daemons
def test_the_session_token_is_kept_in_the_secret_service_and_forgotten(
    secret_service: dict[str, str],
) -> None:
    env = secret_service
    assert run_python(env, SAVE.format(token="jeton-de-session-1")) == ""
    # Another process, another TokenVault: only the Secret Service can answer.
    assert run_python(env, LOAD) == "jeton-de-session-1"
    stored = run_python(env, f"""
        import secretstorage
        from sync.cli import KEYRING_SERVICE, _keyring_get, session_key
        key = session_key({SERVER!r}, {LOGIN!r})
        collection = secretstorage.get_default_collection(secretstorage.dbus_init())
        items = list(collection.search_items({{"service": KEYRING_SERVICE, "username": key}}))
        # The command-line sync reads the same entry.
        print(len(items), items[0].get_secret().decode(), _keyring_get(key))
    """)
    assert stored == "1 jeton-de-session-1 jeton-de-session-1"
    # A rotated token replaces the old one; a logout (None) forgets it.
    assert run_python(env, SAVE.format(token="jeton-de-session-2")) == ""
    assert run_python(env, LOAD) == "jeton-de-session-2"
    assert run_python(env, SAVE.format(token=None)) == ""
    assert run_python(env, LOAD) == ""
    assert run_python(env, SAVE.format(token=None)) == ""  # nothing left to forget: no error


@needs_daemons
def test_a_locked_keyring_keeps_the_session_in_memory_and_says_why(
    secret_service: dict[str, str],
) -> None:
    env = secret_service
    said = run_python(env, f"""
        import secretstorage
        from desktop.syncing.session import TokenVault
        secretstorage.get_default_collection(secretstorage.dbus_init()).lock()
        vault = TokenVault()
        vault.save({SERVER!r}, {LOGIN!r}, "jeton")
        assert vault.load({SERVER!r}, {LOGIN!r}) == "jeton"  # this session goes on
        print(vault.take_problem())
        vault.save({SERVER!r}, {LOGIN!r}, "jeton-suivant")  # said once, not at every rotation
        print(vault.take_problem())
    """)
    assert said.splitlines() == [KEYRING_LOCKED, "None"]
    assert run_python(env, LOAD) == ""  # not kept: the password is asked at the next start


def test_an_unreachable_keyring_keeps_the_session_in_memory_and_says_why(
    tmp_path: Path,
) -> None:
    """No session bus to talk to (a bare Linux box): no daemon needed to check this one."""
    env = _base_env(tmp_path)
    env["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={tmp_path / 'pas-de-bus'}"
    said = run_python(env, f"""
        from desktop.syncing.session import TokenVault
        vault = TokenVault()
        vault.save({SERVER!r}, {LOGIN!r}, "jeton")
        assert vault.load({SERVER!r}, {LOGIN!r}) == "jeton"
        print(vault.problem)
    """)
    assert said == KEYRING_UNAVAILABLE


def test_the_command_line_sync_says_when_the_keyring_refuses_the_session(
    server: ServerProcess, tmp_path: Path
) -> None:
    """``python -m sync`` with no usable keyring (keyring's own « fail » backend): it syncs
    all the same and says once, in French, that the session is not kept."""
    db = local_db(tmp_path / "poste.sqlite3")
    done = run_cli(server.url, db, env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    assert done.returncode == 0, done.stderr
    assert "Synchronisation terminée" in done.stdout
    assert done.stderr.count(KEYRING_UNAVAILABLE) == 1
