"""Queueing a message for sending, inside the transaction that records it: the outbox row and
the message commit together or not at all, and the SMTP exchange happens later, outside."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from server.db.models import MailOutbox, Message
from server.db.types import utcnow
from server.mail import settings
from server.mail.compose import new_message_id
from server.problems import ProblemError

QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"

NOT_CONFIGURED = (
    "L'envoi de courriels n'est pas configuré pour cette commune sur le serveur : "
    "envoyez la réponse par courrier ou demandez à l'administrateur de le configurer."
)


def enqueue(session: Session, message: Message) -> MailOutbox:
    """Marks ``message`` as queued and writes its outbox row (refused when the commune has no
    outgoing-mail settings: nothing would ever leave)."""
    config = settings.load(session, message.authority_id)
    if config is None:
        raise ProblemError(409, NOT_CONFIGURED)
    now = utcnow()
    message.delivery = QUEUED
    row = MailOutbox(
        id=uuid.uuid4(), authority_id=message.authority_id, message_id=message.id,
        header_id=new_message_id(config.domain), state=QUEUED, attempts=0,
        next_attempt_at=now, created_at=now, updated_at=now,
    )
    session.add(row)
    return row
