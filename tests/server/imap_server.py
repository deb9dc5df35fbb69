"""A throwaway Dovecot IMAP server for the tests (like ``pg_cluster`` for PostgreSQL).

Private configuration, runtime and maildir under a temp dir, one passwd-file user, listening
on free 127.0.0.1 ports: IMAPS (implicit TLS) and IMAP (STARTTLS, or plain for the loopback
test), with a self-signed certificate generated here for ``127.0.0.1``/``localhost`` — the
tests trust that certificate, so the client's real TLS path (verification included) runs.
Dovecot runs as the current user; as root, mail is owned by an unprivileged system user
(Dovecot refuses to serve mail as root)."""

from __future__ import annotations

import contextlib
import grp
import imaplib
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.server.pg_cluster import free_port

DOVECOT = "/usr/sbin/dovecot"


class ImapUnavailable(RuntimeError):
    """Raised with the reason Dovecot cannot be started here."""


@dataclass
class ImapServer:
    host: str
    tls_port: int
    plain_port: int
    user: str
    password: str
    cert: Path
    root: Path

    def context(self) -> ssl.SSLContext:
        """A client context that trusts this server's certificate (and verifies it)."""
        return ssl.create_default_context(cafile=str(self.cert))

    @contextlib.contextmanager
    def connect(self) -> Iterator[imaplib.IMAP4_SSL]:
        imap = imaplib.IMAP4_SSL(self.host, self.tls_port, ssl_context=self.context(), timeout=10)
        imap.login(self.user, self.password)
        try:
            yield imap
        finally:
            with contextlib.suppress(Exception):
                imap.logout()

    def append(self, raw: bytes, folder: str = "INBOX", flags: str = "") -> None:
        with self.connect() as imap:
            typ, data = imap.append(folder, flags or None, None, raw)
            assert typ == "OK", data

    def messages(self, folder: str) -> list[tuple[str, bytes]]:
        """(flags, raw) of every message of ``folder``, read without changing their flags."""
        with self.connect() as imap:
            typ, _ = imap.select(folder, readonly=True)
            if typ != "OK":
                return []
            typ, data = imap.uid("SEARCH", "ALL")
            out: list[tuple[str, bytes]] = []
            for uid in (data[0] or b"").split():
                typ, fetched = imap.uid("FETCH", uid, "(FLAGS BODY.PEEK[])")
                for part in fetched:
                    if isinstance(part, tuple):
                        out.append((part[0].decode(), part[1]))
            return out

    def folders(self) -> list[str]:
        with self.connect() as imap:
            typ, data = imap.list()
            return [line.decode().rsplit(" ", 1)[-1].strip('"') for line in data if line]


def _certificate(root: Path) -> tuple[Path, Path]:
    cert, key = root / "cert.pem", root / "key.pem"
    done = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    if done.returncode != 0:
        raise ImapUnavailable(f"certificat non généré : {done.stderr.strip()[-300:]}")
    return cert, key


def _wait_port(port: int, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    text = log.read_text(errors="replace")[-800:] if log.exists() else ""
    raise ImapUnavailable(f"Dovecot ne répond pas sur le port {port} : {text}")


@contextlib.contextmanager
def throwaway_imap(user: str = "mairie", password: str = "Secret-imap-1") -> Iterator[ImapServer]:
    if not os.path.exists(DOVECOT):
        raise ImapUnavailable("dovecot introuvable (paquet Debian « dovecot-imapd » absent)")
    if shutil.which("openssl") is None:
        raise ImapUnavailable("openssl introuvable")
    root = Path(tempfile.mkdtemp(prefix="bannette-imap-"))
    os.chmod(root, 0o755)
    me = pwd.getpwuid(os.geteuid()).pw_name
    my_group = grp.getgrgid(os.getegid()).gr_name
    internal_user, login_user, internal_group = me, me, my_group
    if os.geteuid() == 0:  # neither mail nor the login processes may run as root
        mail = pwd.getpwnam("nobody")
        mail_uid, mail_gid = mail.pw_uid, mail.pw_gid
        internal_user = login_user = "nobody"
        internal_group = grp.getgrgid(mail_gid).gr_name
    else:
        mail_uid, mail_gid = os.geteuid(), os.getegid()
    tls_port, plain_port = free_port(), free_port()
    cert, key = _certificate(root)
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir()
    os.chown(root / "mail", mail_uid, mail_gid)
    (root / "passwd").write_text(
        f"{user}:{{PLAIN}}{password}:{mail_uid}:{mail_gid}::{root}/mail/{user}::\n"
    )
    log = root / "dovecot.log"
    config = root / "dovecot.conf"
    config.write_text(f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {log}
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = {min(mail_uid, 1)}
first_valid_gid = 0
mail_location = maildir:{root}/mail/%u
mail_plugins =
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {plain_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service auth {{
  user = {me}
}}
service auth-worker {{
  user = {me}
}}
service imap {{
  user = {"" if os.geteuid() == 0 else me}
}}
service stats {{
  chroot =
}}
""")
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        try:
            _wait_port(tls_port, log)
            _wait_port(plain_port, log)
        except ImapUnavailable:
            process.terminate()
            output = process.communicate(timeout=10)[0].decode(errors="replace")[-800:]
            raise ImapUnavailable(f"Dovecot n'a pas démarré : {output}") from None
        yield ImapServer("127.0.0.1", tls_port, plain_port, user, password, cert, root)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if not os.environ.get("BANNETTE_KEEP_IMAP"):
            shutil.rmtree(root, ignore_errors=True)
