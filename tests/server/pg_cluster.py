"""A throwaway PostgreSQL cluster for the tests: initdb + pg_ctl in a temp dir, on a free
loopback port, run as the ``postgres`` user when we are root. Stopped and deleted at the end."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class ClusterUnavailable(RuntimeError):
    """Raised with the reason PostgreSQL cannot be started here."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def try_install() -> None:
    """On a fresh Debian machine as root, install the ``postgresql`` package."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", "-q", "postgresql"], env=env,
                   capture_output=True, timeout=600, check=False)


def _as_user(cmd: list[str], user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--", *cmd] if user else cmd


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Yields a ``postgresql+psycopg://`` URL of a fresh cluster on 127.0.0.1."""
    bindir = find_bindir()
    if bindir is None:
        try_install()
        bindir = find_bindir()
    if bindir is None:
        raise ClusterUnavailable("initdb introuvable (paquet Debian « postgresql » absent)")
    user: str | None = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError as exc:
            raise ClusterUnavailable("utilisateur système « postgres » absent") from exc
        user = "postgres"
    root = Path(tempfile.mkdtemp(prefix="bannette-pg-"))
    datadir, sockdir, logfile = root / "data", root / "sock", root / "server.log"
    sockdir.mkdir()
    if user:
        shutil.chown(root, user)
        shutil.chown(sockdir, user)
    port = free_port()
    try:
        init = subprocess.run(
            _as_user([str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres", "-A",
                      "trust", "-E", "UTF8", "--no-sync", "--locale=C.UTF-8"], user),
            capture_output=True, text=True, timeout=120,
        )
        if init.returncode != 0:
            raise ClusterUnavailable(f"initdb a échoué : {init.stderr.strip()[-500:]}")
        options = (
            f"-p {port} -k {sockdir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        start = subprocess.run(
            _as_user([str(bindir / "pg_ctl"), "-D", str(datadir), "-o", options, "-l",
                      str(logfile), "-w", "-t", "60", "start"], user),
            capture_output=True, text=True, timeout=120,
        )
        if start.returncode != 0:
            log = logfile.read_text(errors="replace")[-800:] if logfile.exists() else ""
            raise ClusterUnavailable(f"pg_ctl start a échoué : {start.stderr.strip()} {log}")
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        _wait_ready(url)
        try:
            yield url
        finally:
            subprocess.run(
                _as_user([str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate",
                          "-w", "stop"], user),
                capture_output=True, timeout=60,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _wait_ready(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                with engine.connect() as conn:
                    conn.execute(sa.text("select 1"))
                return
            except sa.exc.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        engine.dispose()


def create_database(server_url: str, name: str) -> str:
    """Creates a fresh database on the server and returns its URL."""
    import sqlalchemy as sa

    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return str(sa.engine.make_url(server_url).set(database=name).render_as_string(False))
