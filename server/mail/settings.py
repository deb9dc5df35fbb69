"""A commune's outgoing-mail settings, kept on the server only (the password never reaches a
PC and is never sent back by the API)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from server.db.models import MailSettings
from server.db.types import utcnow
from server.mail.addresses import check_address

TRANSPORTS = ("smtp", "file")
SECURITIES = ("starttls", "tls", "none")


@dataclass(frozen=True)
class MailConfig:
    """A detached copy of the settings, safe to use outside the database session."""

    transport: str
    host: str
    port: int
    security: str
    username: str | None
    password: str | None
    from_address: str
    from_name: str

    @property
    def domain(self) -> str:
        return self.from_address.rsplit("@", 1)[-1]


def load(session: Session, authority_id: uuid.UUID) -> MailConfig | None:
    row = session.get(MailSettings, authority_id)
    if row is None:
        return None
    return MailConfig(row.transport, row.host, row.port, row.security, row.username,
                      row.password, row.from_address, row.from_name)


def configure(session: Session, authority_id: uuid.UUID, *, from_address: str,
              from_name: str = "", transport: str = "smtp", host: str = "", port: int = 587,
              security: str = "starttls", username: str | None = None,
              password: str | None = None) -> MailSettings:
    """Creates or replaces the settings (administration, seeding, tests)."""
    if transport not in TRANSPORTS:
        raise ValueError(f"transport inconnu : {transport}")
    if security not in SECURITIES:
        raise ValueError(f"sécurité inconnue : {security}")
    if transport == "smtp" and (not host or not 0 < port < 65536):
        raise ValueError("un envoi SMTP demande un serveur et un port")
    address = check_address(from_address)  # before touching the row: all or nothing
    row = session.get(MailSettings, authority_id) or MailSettings(authority_id=authority_id)
    row.transport, row.host, row.port, row.security = transport, host, port, security
    row.username, row.password = username, password
    row.from_address = address
    row.from_name = from_name.replace("\r", " ").replace("\n", " ")
    row.updated_at = utcnow()
    session.add(row)
    return row
