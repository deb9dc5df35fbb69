"""The mailbox poller: reads each commune's mailbox over IMAP and registers every new mail.

One pass (``run_once``) takes each due mailbox in turn: it claims it in a short write
transaction (a lease, ``locked_until``: another server process leaves it alone until then),
connects with TLS (implicit or STARTTLS; plain only towards the loopback), searches the
UNSEEN messages of the folder to read, and for each one, oldest first:

1. fetches it without marking it read (``BODY.PEEK[]``; only its headers when it is larger than
   ``MAX_MAIL_BYTES``), parses it with the shared ``sync.protocol.inbound_mail``;
2. registers it in ONE database transaction (``server.mail.intake``: request or reply,
   citizen, attachments, refused files, the ``inbound_mails`` row that forbids a second
   registration);
3. only then flags it ``\\Seen`` and moves it to the « rangement » folder (IMAP MOVE, or COPY
   when the server lacks MOVE). Nothing is ever flagged ``\\Deleted`` nor expunged by us.

A crash between 2 and 3 leaves the mail unseen in the folder: the next pass finds it already
registered (same Message-ID, or same hash when it has none), registers nothing, and only flags
and moves it. A mail that fails to register stays unseen and is tried again at the next pass.
A connection failure (wrong password, server down, TLS refused, folder missing) is logged in
French, kept on the settings row for the administrator (``last_error``, ``failures``) and
retried later with a growing delay; nothing is lost since nothing left the mailbox.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import imaplib
import logging
import re
import socket
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from server.background import WakeableThread
from server.blobs import BlobStore
from server.config import Settings
from server.db.database import Database
from server.db.models import MailboxSettings
from server.db.types import utcnow
from server.mail import intake
from server.mail.mailbox import MailboxConfig, config_of
from sync.protocol.inbound_mail import (
    MAX_MAIL_BYTES,
    InboundMail,
    InboundMailError,
    parse_eml,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakePolicy:
    #: Seconds between two passes of the thread (each mailbox in good health is read each pass).
    every: float = 120.0
    #: Wait after the first failure of a mailbox, doubled at each further one, up to max_delay.
    first_delay: float = 60.0
    max_delay: float = 3600.0
    #: IMAP socket timeout.
    timeout: float = 30.0
    #: How long a claim keeps other server processes off the mailbox.
    lease: float = 600.0
    #: Mails handled per mailbox and pass: a flood of mail cannot starve the other communes.
    batch: int = 100

    def backoff(self, failures: int) -> float:
        return float(min(self.first_delay * 2 ** max(failures - 1, 0), self.max_delay))


class MailboxError(Exception):
    """A failure to reach or read the mailbox, in French for the administrator."""


def imap_folder(name: str) -> str:
    """A folder name as IMAP wants it: modified UTF-7 (RFC 3501 §5.1.3), quoted."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).rstrip(b"=").replace(b"/", b",").decode() + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return '"' + "".join(out) + '"'


def _answer(data: object) -> str:
    parts = data if isinstance(data, list) else [data]
    text = " ".join(
        p.decode("utf-8", "replace") if isinstance(p, bytes) else str(p)
        for p in parts
        if p is not None
    )
    return " ".join(text.split())[:300]


def _check(typ: str, data: object, what: str) -> None:
    if typ != "OK":
        raise MailboxError(f"{what} ({_answer(data)})")


class MailboxSession:
    """One connection to a commune's mailbox: login, folder, unseen mails, flag and move."""

    def __init__(self, config: MailboxConfig, timeout: float, ssl_context: ssl.SSLContext) -> None:
        self.config = config
        self.imap = self._connect(timeout, ssl_context)
        # Capabilities change after login (MOVE is often announced only then).
        typ, data = self.imap.capability()
        self.capabilities: set[str] = set()
        for line in data if typ == "OK" else []:
            if isinstance(line, bytes):
                self.capabilities.update(line.decode("ascii", "replace").upper().split())

    def _connect(self, timeout: float, context: ssl.SSLContext) -> imaplib.IMAP4:
        config = self.config
        imap: imaplib.IMAP4 | None = None
        try:
            if config.security == "tls":
                imap = imaplib.IMAP4_SSL(config.host, config.port, ssl_context=context,
                                         timeout=timeout)  # fmt: skip
            else:
                imap = imaplib.IMAP4(config.host, config.port, timeout=timeout)
                if config.security == "starttls":
                    imap.starttls(ssl_context=context)
            try:
                imap.login(config.username, config.password)
            except UnicodeEncodeError:  # imaplib sends LOGIN in ASCII: SASL PLAIN is UTF-8
                secret = f"\0{config.username}\0{config.password}".encode()
                imap.authenticate("PLAIN", lambda _challenge: secret)
            return imap
        except imaplib.IMAP4.error as exc:
            if imap is not None:
                with contextlib.suppress(Exception):
                    imap.shutdown()
            text = str(exc)
            if (
                "AUTHENTICATIONFAILED" in text.upper()
                or "LOGIN" in text.upper()
                or ("AUTHENTICATE" in text.upper())
            ):
                raise MailboxError(
                    "identifiant ou mot de passe refusé par le serveur de messagerie "
                    f"({text[:200]})"
                ) from exc
            raise MailboxError(
                f"le serveur de messagerie a refusé la connexion ({text[:200]})"
            ) from exc
        except ssl.SSLCertVerificationError as exc:
            raise MailboxError(
                f"le certificat du serveur de messagerie n'est pas reconnu ({exc.verify_message})"
            ) from exc
        except ssl.SSLError as exc:
            raise MailboxError(f"échec du chiffrement TLS ({exc.reason or exc})") from exc
        except ConnectionRefusedError as exc:
            raise MailboxError(
                f"le serveur de messagerie {config.host}:{config.port} refuse la connexion"
            ) from exc
        except socket.gaierror as exc:
            raise MailboxError(f"serveur de messagerie introuvable : « {config.host} »") from exc
        except TimeoutError as exc:
            raise MailboxError("le serveur de messagerie n'a pas répondu à temps") from exc
        except OSError as exc:
            raise MailboxError(f"serveur de messagerie injoignable ({exc})") from exc

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.imap.logout()

    def unseen(self, limit: int) -> list[str]:
        typ, data = self.imap.select(imap_folder(self.config.folder))
        if typ != "OK":
            raise MailboxError(
                f"le dossier « {self.config.folder} » est introuvable dans la boîte aux lettres"
            )
        typ, data = self.imap.uid("SEARCH", "UNSEEN")
        _check(typ, data, "la recherche des nouveaux courriels a échoué")
        uids = (data[0] or b"").split() if data else []
        return sorted((u.decode() for u in uids), key=int)[:limit]

    def ensure_destination(self) -> None:
        """The « rangement » folder exists (created once; an existing one answers NO)."""
        name = imap_folder(self.config.move_to)
        typ, data = self.imap.list('""', name)
        if typ == "OK" and data and data[0] is not None:
            return
        typ, data = self.imap.create(name)
        _check(typ, data, f"le dossier « {self.config.move_to} » n'a pas pu être créé")
        self.imap.subscribe(name)

    def size(self, uid: str) -> int:
        typ, data = self.imap.uid("FETCH", uid, "(RFC822.SIZE)")
        _check(typ, data, "la lecture de la taille d'un courriel a échoué")
        found = re.search(rb"RFC822\.SIZE (\d+)", b" ".join(
            part if isinstance(part, bytes) else b"" for part in data
        ))  # fmt: skip
        return int(found.group(1)) if found else 0

    def fetch(self, uid: str, section: str) -> bytes:
        """``BODY.PEEK[...]``: the mail is read without being marked read."""
        typ, data = self.imap.uid("FETCH", uid, f"(BODY.PEEK[{section}])")
        _check(typ, data, "la lecture d'un courriel a échoué")
        for part in data:
            if isinstance(part, tuple) and len(part) == 2 and isinstance(part[1], bytes):
                return part[1]
        raise MailboxError("le serveur de messagerie n'a pas renvoyé le courriel demandé")

    def file_away(self, uid: str) -> None:
        """Flags ``\\Seen`` and moves to the « rangement » folder (COPY when there is no MOVE:
        the original then stays, read, in the folder). Never deletes."""
        typ, data = self.imap.uid("STORE", uid, "+FLAGS.SILENT", "(\\Seen)")
        _check(typ, data, "le courriel n'a pas pu être marqué comme lu")
        destination = imap_folder(self.config.move_to)
        command = "MOVE" if "MOVE" in self.capabilities else "COPY"
        typ, data = self.imap.uid(command, uid, destination)
        _check(typ, data, f"le courriel n'a pas pu être rangé dans « {self.config.move_to} »")


@dataclass
class PassReport:
    """What one pass did with one mailbox (the tests read it; the log says it)."""

    authority_id: uuid.UUID
    results: list[intake.IntakeResult]
    error: str | None = None


class MailboxPoller:
    """Reads every configured mailbox; ``start`` runs the passes on a daemon thread like the
    mail sender; tests call ``run_once()`` directly."""

    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        policy: IntakePolicy | None = None,
        ssl_context: Callable[[], ssl.SSLContext] = ssl.create_default_context,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.blobs = blobs
        self.policy = policy or IntakePolicy()
        self.ssl_context = ssl_context
        self.clock = clock
        self.thread = WakeableThread("mailbox-poller", self._pass, self.policy.every)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.thread.stop(timeout)

    def wake(self) -> None:
        self.thread.wake()

    def _pass(self) -> float | None:
        self.run_once()
        return None

    # ------------------------------------------------------------------ one pass
    def run_once(self, now: datetime | None = None) -> list[PassReport]:
        """Reads every mailbox due at ``now`` once."""
        now = now or self.clock()
        reports: list[PassReport] = []
        seen: set[uuid.UUID] = set()
        while not self.thread.stopping:
            config = self.claim(now, seen)
            if config is None:
                break
            seen.add(config.authority_id)
            reports.append(self.poll(config))
        return reports

    def claim(self, now: datetime, skip: set[uuid.UUID]) -> MailboxConfig | None:
        due = (
            select(MailboxSettings)
            .where(
                MailboxSettings.enabled.is_(True),
                or_(MailboxSettings.next_poll_at.is_(None), MailboxSettings.next_poll_at <= now),
                or_(MailboxSettings.locked_until.is_(None), MailboxSettings.locked_until <= now),
            )
            .order_by(MailboxSettings.authority_id)
        )
        if skip:
            due = due.where(and_(*(MailboxSettings.authority_id != a for a in skip)))
        with self.db.read() as session:  # most passes find nothing new to claim
            if session.execute(due.limit(1)).first() is None:
                return None
        with self.db.write() as session:
            row = session.execute(due.limit(1)).scalar_one_or_none()
            if row is None:
                return None
            row.locked_until = now + timedelta(seconds=self.policy.lease)
            row.last_poll_at = now
            return config_of(row)

    def poll(self, config: MailboxConfig) -> PassReport:
        report = PassReport(config.authority_id, [])
        failed: list[str] = []
        mailbox: MailboxSession | None = None
        try:
            mailbox = MailboxSession(config, self.policy.timeout, self.ssl_context())
            uids = mailbox.unseen(self.policy.batch)
            if uids:
                mailbox.ensure_destination()
            for uid in uids:
                try:
                    result = self._take(mailbox, config, uid)
                except MailboxError:
                    raise
                except (imaplib.IMAP4.abort, OSError) as exc:
                    raise MailboxError(f"la connexion a été coupée ({exc})") from exc
                except Exception as exc:  # a bug on one mail must not block the others
                    log.exception("mail %s of %s could not be registered", uid, config.authority_id)
                    failed.append(f"{type(exc).__name__}: {exc}"[:200])
                    continue
                report.results.append(result)
        except MailboxError as exc:
            report.error = f"Boîte aux lettres « {config.username} » sur {config.host} : {exc}."
        except (imaplib.IMAP4.error, OSError) as exc:
            report.error = (
                f"Boîte aux lettres « {config.username} » sur {config.host} : erreur de "
                f"dialogue avec le serveur de messagerie ({exc})."
            )
        finally:
            if mailbox is not None:
                mailbox.close()
        if report.error is None and failed:
            report.error = (
                f"{len(failed)} courriel(s) n'ont pas pu être enregistrés ; ils restent non lus "
                f"dans « {config.folder} » et seront repris au prochain passage ({failed[0]})."
            )
        self._record(config, report)
        return report

    def _take(
        self, mailbox: MailboxSession, config: MailboxConfig, uid: str
    ) -> intake.IntakeResult:
        size = mailbox.size(uid)
        if size > MAX_MAIL_BYTES:
            header = mailbox.fetch(uid, "HEADER")
            key = self._key_of_headers(header, size)
            error = (
                f"il est trop volumineux ({size // (1024 * 1024)} Mo ; au plus "
                f"{MAX_MAIL_BYTES // (1024 * 1024)} Mo)."
            )
            result = self._register_unreadable(config, key, header, error)
        else:
            raw = mailbox.fetch(uid, "")
            try:
                parsed = parse_eml(raw)
            except InboundMailError as exc:
                head = raw.split(b"\r\n\r\n", 1)[0][:65536]
                key = self._key_of_headers(head, len(raw), raw)
                result = self._register_unreadable(config, key, head + b"\r\n\r\n", str(exc))
            else:
                result = self._register(config, parsed)
        mailbox.file_away(uid)
        log.info("mail %s of %s: %s %s", uid, config.authority_id, result.outcome,
                 result.number or "")  # fmt: skip
        return result

    @staticmethod
    def _key_of_headers(header: bytes, size: int, raw: bytes | None = None) -> str:
        try:
            key = parse_eml(header + b"\r\n\r\n").message_id
        except InboundMailError:
            key = ""
        if key and not key.startswith("sha256:"):
            return key
        digest = hashlib.sha256(raw if raw is not None else header + str(size).encode())
        return "sha256:" + digest.hexdigest()

    def _register(self, config: MailboxConfig, parsed: InboundMail) -> intake.IntakeResult:
        try:
            with self.db.write() as session:
                return intake.register(session, self.blobs, config.authority_id, parsed)
        except IntegrityError as exc:
            return self._raced(config, parsed.message_id, exc)

    def _register_unreadable(
        self, config: MailboxConfig, key: str, header: bytes, error: str
    ) -> intake.IntakeResult:
        try:
            headers: InboundMail | None = parse_eml(header)
        except InboundMailError:
            headers = None
        try:
            with self.db.write() as session:
                return intake.register_unreadable(
                    session, config.authority_id, key, headers, error, config.move_to
                )
        except IntegrityError as exc:
            return self._raced(config, key, exc)

    def _raced(self, config: MailboxConfig, key: str, error: IntegrityError) -> intake.IntakeResult:
        """Another server process registered the mail at the same moment; any other integrity
        failure is a real error (the mail stays unseen, retried at the next pass)."""
        with self.db.read() as session:
            if intake.already_registered(session, config.authority_id, key) is None:
                raise error
        return intake.IntakeResult("duplicate", None)

    def _record(self, config: MailboxConfig, report: PassReport) -> None:
        now = self.clock()
        with self.db.write() as session:
            row = session.get(MailboxSettings, config.authority_id)
            if row is None:
                return
            row.locked_until = None
            if report.error is None:
                row.last_success_at, row.last_error, row.failures = now, None, 0
                row.next_poll_at = None
            else:
                row.failures += 1
                row.last_error = report.error
                row.next_poll_at = now + timedelta(seconds=self.policy.backoff(row.failures))
        if report.error is not None:
            log.warning("%s (échec n° %d, nouvel essai plus tard)", report.error, row.failures)


def mailbox_poller_for(db: Database, blobs: BlobStore, settings: Settings) -> MailboxPoller:
    """The poller the app runs, with the server's settings (interval, extra trusted CA)."""
    cafile = settings.mailbox_ca_file

    def context() -> ssl.SSLContext:
        created = ssl.create_default_context()  # the system's CAs, plus the one configured
        if cafile is not None:
            created.load_verify_locations(cafile=str(cafile))
        return created

    return MailboxPoller(db, blobs, IntakePolicy(every=settings.mailbox_poll_seconds), context)
