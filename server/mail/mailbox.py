"""A commune's incoming mailbox settings, kept on the server only (like the SMTP settings of
``server.mail.settings``: the password is stored server-side and never returned by the API,
never synced to a PC)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from server.db.models import MailboxSettings
from server.db.types import utcnow

#: ``tls``: implicit TLS (port 993); ``starttls``: port 143 upgraded before the login;
#: ``none``: no encryption, only towards the loopback (a local relay, the tests' server).
SECURITIES = ("tls", "starttls", "none")
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class MailboxSettingsError(ValueError):
    """French message for the administrator."""


@dataclass(frozen=True)
class MailboxConfig:
    """A detached copy of the settings, safe to use outside the database session."""

    authority_id: uuid.UUID
    host: str
    port: int
    security: str
    username: str
    password: str
    folder: str
    move_to: str


def load(session: Session, authority_id: uuid.UUID) -> MailboxConfig | None:
    row = session.get(MailboxSettings, authority_id)
    if row is None or not row.enabled:
        return None
    return config_of(row)


def config_of(row: MailboxSettings) -> MailboxConfig:
    return MailboxConfig(
        row.authority_id, row.host, row.port, row.security, row.username, row.password,
        row.folder, row.move_to,
    )  # fmt: skip


def _folder(value: str, what: str) -> str:
    value = value.strip()
    if not value or len(value) > 200 or any(ch in value for ch in '\r\n"\\*%\x00'):
        raise MailboxSettingsError(f"Le nom du dossier {what} est invalide : « {value} ».")
    return value


def configure(
    session: Session,
    authority_id: uuid.UUID,
    *,
    host: str,
    username: str,
    password: str | None,
    port: int = 993,
    security: str = "tls",
    folder: str = "INBOX",
    move_to: str = "Bannette",
    enabled: bool = True,
) -> MailboxSettings:
    """Creates or replaces the settings; ``password=None`` keeps the one already stored."""
    host = host.strip()
    if security not in SECURITIES:
        raise MailboxSettingsError(f"Sécurité inconnue : « {security} » (tls, starttls, none).")
    if not host or len(host) > 253 or any(ch.isspace() or ch in "/@" for ch in host):
        raise MailboxSettingsError("Le serveur de messagerie (IMAP) est invalide.")
    if not 0 < port < 65536:
        raise MailboxSettingsError("Le port doit être compris entre 1 et 65535.")
    if security == "none" and host.lower() not in LOOPBACK:
        raise MailboxSettingsError(
            "Une connexion sans chiffrement n'est permise que vers un serveur sur la même "
            "machine (127.0.0.1) : choisissez TLS ou STARTTLS."
        )
    if not username.strip() or any(ch in username for ch in "\r\n\x00"):
        raise MailboxSettingsError("L'identifiant de la boîte aux lettres est obligatoire.")
    inbox, destination = _folder(folder, "à lire"), _folder(move_to, "de rangement")
    if inbox == destination:
        raise MailboxSettingsError("Le dossier de rangement doit être différent du dossier à lire.")
    row = session.get(MailboxSettings, authority_id)
    if password is None and row is None:
        raise MailboxSettingsError("Le mot de passe de la boîte aux lettres est obligatoire.")
    if password is not None and any(ch in password for ch in "\r\n\x00"):
        raise MailboxSettingsError("Le mot de passe contient un caractère interdit.")
    if row is None:
        row = MailboxSettings(authority_id=authority_id, failures=0)
        session.add(row)
    row.host, row.port, row.security = host, port, security
    row.username = username.strip()
    if password is not None:
        row.password = password
    row.folder, row.move_to, row.enabled = inbox, destination, enabled
    # New settings: try them at the next pass, with a clean slate.
    row.failures, row.last_error, row.next_poll_at = 0, None, None
    row.updated_at = utcnow()
    session.flush()
    return row
