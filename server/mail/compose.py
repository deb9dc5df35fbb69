"""Builds the e-mail itself with ``email.message.EmailMessage`` (UTF-8 subject and body, PDF
attachments), so encoding and header folding are the standard library's, not ours."""

from __future__ import annotations

import uuid
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from server.mail.settings import MailConfig


def new_message_id(domain: str) -> str:
    """A unique Message-ID (short enough never to be folded), chosen once when the mail is
    queued: every retry reuses it, so a receiving server that got an earlier attempt can
    recognise the duplicate."""
    return f"<{uuid.uuid4().hex}@{domain}>"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def build(config: MailConfig, *, to: str, subject: str, body: str, message_id: str,
          date: datetime, attachments: list[tuple[str, bytes, str]]) -> EmailMessage:
    """``attachments`` are (file name, content, MIME type)."""
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = _one_line(subject)
    local, domain = config.from_address.rsplit("@", 1)
    message["From"] = Address(display_name=_one_line(config.from_name), username=local,
                              domain=domain)
    to_local, to_domain = to.rsplit("@", 1)
    message["To"] = Address(username=to_local, domain=to_domain)
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    # Quoted-printable: 7-bit safe through any relay, even one without 8BITMIME.
    message.set_content(body or " ", charset="utf-8", cte="quoted-printable")
    for filename, data, content_type in attachments:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream",
                               filename=filename)
    return message
