"""Real e-mails built with the ``email`` library, shared by the parser's unit tests, the IMAP
intake tests and the mail benchmark, plus the hostile file contents they attach."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

#: A Windows executable and a zip archive, whatever name they are given.
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200
ZIP = b"PK\x03\x04\x14\x00\x00\x00" + b"\x00" * 200


def build_mail(
    *,
    subject: str = "Demande d'acte de naissance",
    sender: str | None = "Élodie Martin <Elodie.Martin@Example.fr>",
    text: str | None = "Bonjour,\nje souhaite une copie intégrale.\nCordialement",
    html: str | None = None,
    files: tuple[tuple[str, bytes, str], ...] = (),
    message_id: str | None = "auto",
    date: datetime | None = datetime(2026, 11, 23, 9, 30, tzinfo=UTC),
    in_reply_to: str | None = None,
) -> bytes:
    """A message as a mail client would write it; ``message_id="auto"`` makes a unique one,
    None leaves it out. ``files`` are (name, content, MIME type)."""
    msg = EmailMessage()
    msg["Subject"] = subject
    if sender is not None:
        msg["From"] = sender
    msg["To"] = "mairie@example.fr"
    if message_id == "auto":
        msg["Message-ID"] = f"<{uuid.uuid4().hex}@example.fr>"
    elif message_id is not None:
        msg["Message-ID"] = message_id
    if date is not None:
        msg["Date"] = format_datetime(date)
    if in_reply_to is not None:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = f"<older@x.fr> {in_reply_to}"
    if text is not None:
        msg.set_content(text)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    elif html is not None:
        msg.set_content(html, subtype="html")
    for name, data, media in files:
        maintype, subtype = media.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def build_msg(
    *,
    subject: str = "Demande d'acte — état civil",
    body: str = "Bonjour,\nje souhaite une copie intégrale.",
    sender_name: str = "Élodie Martin",
    sender_email: str = "elodie.martin@example.fr",
    files: tuple[tuple[str, bytes, str], ...] = (),
    transport_headers: str | None = None,
) -> bytes:
    """A real Outlook ``.msg`` (OLE2 compound file), written by ``aspose-email-foss`` (tests
    only: the app only reads them, with extract-msg). ``transport_headers`` are the RFC 5322
    headers Outlook keeps for a received mail (Message-ID, In-Reply-To…)."""
    import tempfile
    from pathlib import Path

    from aspose.email_foss import msg as mapi

    message = mapi.MapiMessage.create(subject, body)
    message.set_property(mapi.PropertyId.SENDER_NAME, sender_name)
    message.set_property(mapi.PropertyId.SENDER_EMAIL_ADDRESS, sender_email)
    message.set_property(mapi.PropertyId.SENDER_ADDRESS_TYPE, "SMTP")
    message.set_property(
        mapi.PropertyId.MESSAGE_DELIVERY_TIME, datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    )
    if transport_headers is not None:
        message.set_property(mapi.PropertyId.TRANSPORT_MESSAGE_HEADERS, transport_headers)
    message.add_recipient("mairie@example.fr", display_name="Mairie")
    for name, data, media in files:
        message.add_attachment(name, data, mime_type=media)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "message.msg"
        message.save(str(path))
        return path.read_bytes()
