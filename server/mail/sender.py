"""The sender: a background thread that delivers the outbox, outside any request transaction.

Each attempt claims one due row (state ``sending`` with a lease, so a crash mid-way is retried
rather than lost), talks SMTP with no database transaction open, then records the outcome on
the message row, which the desktops pull: ``sent`` with the time, the Message-ID and the
receiving server's answer (« 250 OK queued as … »); a refusal (5xx) or a temporary failure
repeated past the last retry gives ``failed`` with a French reason and a ``delivery_failed``
event on the request. Temporary failures (4xx, timeout, connection refused) are retried with
growing delays (``RetryPolicy``)."""

from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import and_, or_, select

from server.background import WakeableThread
from server.blobs import BlobStore
from server.db.database import Database
from server.db.models import Attachment, MailOutbox, Message
from server.db.types import utcnow
from server.mail import settings
from server.mail.compose import build
from server.mail.outbox import FAILED, QUEUED, SENDING, SENT
from server.mail.settings import MailConfig
from server.services.common import add_event, stamp
from sync.protocol.vocabulary import EventKind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    #: Wait after each failed attempt; one more attempt than delays, then ``failed``.
    delays: tuple[float, ...] = (60.0, 300.0, 1800.0, 7200.0)
    #: SMTP socket timeout (connection, each command).
    timeout: float = 30.0
    #: A row left ``sending`` longer than this (the server died mid-send) is tried again.
    lease: float = 600.0

    @property
    def max_attempts(self) -> int:
        return len(self.delays) + 1


class DeliveryError(Exception):
    def __init__(self, reason: str, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


def _text(raw: bytes | str) -> str:
    value = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return " ".join(value.split())


def _answer_error(code: int, text: bytes | str) -> DeliveryError:
    answer = f"{code} {_text(text)}".strip()
    if 500 <= code < 600:
        if code in (530, 534, 535):
            return DeliveryError(
                f"identifiants SMTP refusés par le serveur de messagerie ({answer})", True)
        return DeliveryError(f"le serveur de messagerie a refusé le courriel ({answer})", True)
    return DeliveryError(f"le serveur de messagerie a différé le courriel ({answer})", False)


def deliver_smtp(config: MailConfig, message: EmailMessage, recipient: str,
                 timeout: float) -> str:
    """Sends one message; returns the receiving server's answer to DATA, or raises
    ``DeliveryError``. The steps are explicit (MAIL, RCPT, DATA) to keep that answer."""
    smtp: smtplib.SMTP | None = None
    try:
        if config.security == "tls":
            smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(config.host, config.port, timeout=timeout)
        smtp.ehlo()
        if config.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if config.username:
            smtp.login(config.username, config.password or "")
        code, text = smtp.mail(config.from_address)
        if code != 250:
            raise _answer_error(code, text)
        code, text = smtp.rcpt(recipient)
        if code not in (250, 251):
            raise _answer_error(code, text)
        code, text = smtp.data(message.as_bytes())
        if code != 250:
            raise _answer_error(code, text)
        answer = f"{code} {_text(text)}"
    except DeliveryError:
        raise
    except smtplib.SMTPResponseException as exc:
        raise _answer_error(exc.smtp_code, exc.smtp_error) from exc
    except TimeoutError as exc:
        raise DeliveryError("le serveur de messagerie n'a pas répondu à temps", False) from exc
    except ConnectionRefusedError as exc:
        raise DeliveryError("le serveur de messagerie refuse la connexion", False) from exc
    except smtplib.SMTPServerDisconnected as exc:
        if isinstance(exc.__context__, TimeoutError):  # smtplib wraps a read timeout
            raise DeliveryError("le serveur de messagerie n'a pas répondu à temps",
                                False) from exc
        raise DeliveryError("le serveur de messagerie a coupé la connexion", False) from exc
    except ssl.SSLError as exc:
        raise DeliveryError(f"échec du chiffrement TLS ({exc.reason or exc})", False) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"serveur de messagerie injoignable ({exc})", False) from exc
    finally:
        if smtp is not None:
            try:  # The message is accepted at DATA: a failing QUIT must not undo that.
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
    return answer


def deliver_file(folder: Path, message: EmailMessage, message_id: str) -> str:
    """Demonstration transport: the message is written as an .eml file, nothing leaves."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{utcnow():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
    (folder / name).write_bytes(message.as_bytes())
    return f"Courriel de démonstration déposé dans {name} (aucun envoi réel)"


@dataclass
class _Job:
    outbox_id: uuid.UUID
    message_id: uuid.UUID
    attempts: int
    header_id: str
    config: MailConfig | None
    to: str
    subject: str
    body: str
    files: list[tuple[str, str, str]]  # (filename, sha256, content type)


class MailWorker:
    """Delivers the outbox; ``start`` runs it on a daemon thread, ``run_once`` is one pass
    (used by the thread, and by tests that want to drive it step by step)."""

    def __init__(self, db: Database, blobs: BlobStore, drop_dir: Path,
                 policy: RetryPolicy | None = None, poll_seconds: float = 30.0) -> None:
        self.db = db
        self.blobs = blobs
        self.drop_dir = drop_dir
        self.policy = policy or RetryPolicy()
        self._worker = WakeableThread("mail-sender", self.run_once, poll_seconds)

    # ------------------------------------------------------------------ thread
    def start(self) -> None:
        self._worker.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._worker.stop(timeout)

    def wake(self) -> None:
        """Something was queued: look now rather than at the next poll."""
        self._worker.wake()

    @property
    def poll_seconds(self) -> float:
        return self._worker.interval

    # ------------------------------------------------------------------ one pass
    def run_once(self) -> float | None:
        """Sends every due message; returns the seconds until the next one is due (None when
        nothing waits)."""
        while not self._worker.stopping:
            job = self._claim()
            if job is None:
                break
            self._attempt(job)
        with self.db.read() as session:
            nxt = session.execute(
                select(MailOutbox.next_attempt_at).where(MailOutbox.state == QUEUED)
                .order_by(MailOutbox.next_attempt_at).limit(1)
            ).scalar_one_or_none()
        if nxt is None:
            return None
        return max(0.0, (nxt - utcnow()).total_seconds())

    def _due(self) -> Any:
        now = utcnow()
        stale = now - timedelta(seconds=self.policy.lease)
        return select(MailOutbox).where(or_(
            and_(MailOutbox.state == QUEUED, MailOutbox.next_attempt_at <= now),
            and_(MailOutbox.state == SENDING, MailOutbox.updated_at <= stale),
        )).order_by(MailOutbox.next_attempt_at).limit(1)

    def _claim(self) -> _Job | None:
        with self.db.read() as session:  # most wake-ups find nothing: no write lock for that
            if session.execute(self._due()).first() is None:
                return None
        now = utcnow()
        with self.db.write() as session:
            row = session.execute(self._due()).scalar_one_or_none()
            if row is None:
                return None
            row.state = SENDING
            row.attempts += 1
            row.updated_at = now
            message = session.get(Message, row.message_id)
            if message is None:  # the request was deleted meanwhile: nothing left to send
                session.delete(row)
                return _Job(row.id, row.message_id, row.attempts, row.header_id, None, "", "",
                            "", [])
            files = []
            for attachment_id in message.attachment_ids or []:
                attachment = session.get(Attachment, uuid.UUID(str(attachment_id)))
                if attachment is not None:
                    files.append((attachment.filename, attachment.sha256,
                                  attachment.content_type))
            return _Job(row.id, message.id, row.attempts, row.header_id,
                        settings.load(session, message.authority_id), message.to_email or "",
                        message.subject, message.body, files)

    def _attempt(self, job: _Job) -> None:
        if not job.to and job.config is None:
            return
        try:
            if job.config is None:
                raise DeliveryError("l'envoi de courriels n'est plus configuré pour la commune",
                                    True)
            email = build(job.config, to=job.to, subject=job.subject, body=job.body,
                          message_id=job.header_id, date=utcnow(),
                          attachments=[(name, self.blobs.read(sha), kind)
                                       for name, sha, kind in job.files])
            if job.config.transport == "file":
                answer = deliver_file(self.drop_dir, email, job.header_id)
            else:
                answer = deliver_smtp(job.config, email, job.to, self.policy.timeout)
        except DeliveryError as exc:
            self._record_failure(job, exc)
        except Exception as exc:  # a bug or a missing blob: recorded, retried, never lost
            log.exception("mail %s could not be built", job.message_id)
            self._record_failure(job, DeliveryError(f"erreur interne ({exc})", False))
        else:
            self._record_success(job, answer)

    def _record_success(self, job: _Job, answer: str) -> None:
        with self.db.write() as session:
            row = session.get(MailOutbox, job.outbox_id)
            message = session.get(Message, job.message_id)
            now = utcnow()
            if row is not None:
                row.state, row.last_error, row.updated_at = SENT, None, now
            if message is not None:
                message.delivery = SENT
                message.delivered_at = now
                message.smtp_message_id = job.header_id
                message.smtp_response = answer[:2000]
                message.failure = None
                stamp(session, message)
        log.info("mail %s delivered: %s", job.message_id, answer)

    def _record_failure(self, job: _Job, error: DeliveryError) -> None:
        final = error.permanent or job.attempts >= self.policy.max_attempts
        with self.db.write() as session:
            row = session.get(MailOutbox, job.outbox_id)
            message = session.get(Message, job.message_id)
            now = utcnow()
            if row is None or message is None:
                return
            row.last_error = error.reason
            row.updated_at = now
            if final:
                row.state = FAILED
                tries = "" if job.attempts == 1 else f" (après {job.attempts} tentatives)"
                reason = f"Courriel non remis à {job.to}{tries} : {error.reason}."
                message.delivery = FAILED
                add_event(session, message.authority_id, message.request_id,
                          EventKind.DELIVERY_FAILED, None,
                          {"message_id": str(message.id), "to_email": job.to,
                           "reason": reason, "attempts": job.attempts})
            else:
                row.state = QUEUED
                delay = self.policy.delays[min(job.attempts, len(self.policy.delays)) - 1]
                row.next_attempt_at = now + timedelta(seconds=delay)
                reason = (f"Tentative {job.attempts} échouée : {error.reason} ; "
                          "nouvel essai automatique.")
            message.failure = reason
            stamp(session, message)
        log.warning("mail %s attempt %d failed: %s", job.message_id, job.attempts, error.reason)


def retry(db: Database, message_id: uuid.UUID) -> bool:
    """Puts a failed message back in the queue (after the commune fixed its settings)."""
    with db.write() as session:
        row = session.execute(
            select(MailOutbox).where(MailOutbox.message_id == message_id)
        ).scalar_one_or_none()
        message = session.get(Message, message_id)
        if row is None or message is None or row.state != FAILED:
            return False
        row.state, row.attempts, row.next_attempt_at = QUEUED, 0, utcnow()
        message.delivery, message.failure = QUEUED, None
        stamp(session, message)
        return True
