"""SQLAlchemy 2 models.

Every synced table carries ``authority_id`` (the tenancy key) and ``version`` (the global change
sequence number), indexed together so a pull scoped to a few authorities is one index range scan.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from server.db.types import UTCDateTime, utcnow


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(primary_key=True, default=uuid.uuid4)


class SyncState(Base):
    """Single row: the global version counter and the epoch (changes when the DB is recreated).

    Writers update this row first in their transaction, which serialises them (row lock on
    PostgreSQL, write lock on SQLite): versions are therefore committed in increasing order and a
    pull can never step over a row that commits later with a smaller version.
    """

    __tablename__ = "sync_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    epoch: Mapped[str] = mapped_column(String(64))


class Authority(Base):
    __tablename__ = "authorities"
    id: Mapped[uuid.UUID] = _uuid_pk()
    version: Mapped[int] = mapped_column(BigInteger, index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    insee_code: Mapped[str | None] = mapped_column(String(5), unique=True)
    siret: Mapped[str | None] = mapped_column(String(14))
    department_code: Mapped[str | None] = mapped_column(String(3))
    address: Mapped[str | None] = mapped_column(Text)
    service_name: Mapped[str | None] = mapped_column(String(200))
    service_email: Mapped[str | None] = mapped_column(String(254))
    service_phone: Mapped[str | None] = mapped_column(String(40))
    letterhead: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The mairie's own target to acknowledge, in calendar days (the legal limit is apart).
    internal_target_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    #: Adjoints and their delegations (wire ``Deputy``), in the order of the tableau.
    deputies: Mapped[list[Any]] = mapped_column(default=list)
    #: The commune's logo in the letterhead: a PNG or JPEG blob of this authority (``blobs``).
    logo_sha256: Mapped[str | None] = mapped_column(String(64), default=None)


class AgentAuthority(Base):
    __tablename__ = "agent_authorities"
    agent_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    authority_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("authorities.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    #: The agent's role IN THIS authority: an admin of one commune is not an admin of the others.
    role: Mapped[str] = mapped_column(String(20))


class Agent(Base):
    __tablename__ = "agents"
    id: Mapped[uuid.UUID] = _uuid_pk()
    version: Mapped[int] = mapped_column(BigInteger, index=True)
    login: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    #: Set for seeded accounts and passwords chosen by someone else; cleared by a change.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()
    memberships: Mapped[list[AgentAuthority]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def authority_ids(self) -> list[uuid.UUID]:
        return sorted(m.authority_id for m in self.memberships)

    @property
    def roles(self) -> dict[uuid.UUID, str]:
        """Role per authority; ``role`` above is only a summary kept for old clients."""
        return {m.authority_id: m.role for m in self.memberships}


class Token(Base):
    """Opaque bearer tokens: only their SHA-256 is stored, so a DB leak does not leak sessions."""

    __tablename__ = "tokens"
    id: Mapped[uuid.UUID] = _uuid_pk()
    agent_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family: Mapped[uuid.UUID] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class Procedure(Base):
    __tablename__ = "procedures"
    __table_args__ = (
        UniqueConstraint("authority_id", "code"),
        Index("ix_procedures_scope", "authority_id", "version"),
    )
    id: Mapped[uuid.UUID] = _uuid_pk()
    version: Mapped[int] = mapped_column(BigInteger, index=True)
    authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorities.id"))
    code: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    silence_rule: Mapped[str] = mapped_column(String(10))
    period_value: Mapped[int] = mapped_column(Integer, default=2)
    period_unit: Mapped[str] = mapped_column(String(10), default="months")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    required_documents: Mapped[list[Any]] = mapped_column(default=list)
    reply_templates: Mapped[list[Any]] = mapped_column(default=list)
    #: The service every new request of the procedure is assigned to (issue 13); a plain id
    #: (checked when set), like the requests' ``assignee_service_id``.
    default_service_id: Mapped[uuid.UUID | None] = mapped_column(default=None)


class Citizen(Base):
    __tablename__ = "citizens"
    __table_args__ = (Index("ix_citizens_scope", "authority_id", "version"),)
    id: Mapped[uuid.UUID] = _uuid_pk()
    version: Mapped[int] = mapped_column(BigInteger, index=True)
    authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorities.id"))
    kind: Mapped[str] = mapped_column(String(20))
    last_name: Mapped[str | None] = mapped_column(String(200))
    first_name: Mapped[str | None] = mapped_column(String(200))
    organisation_name: Mapped[str | None] = mapped_column(String(200))
    rna_number: Mapped[str | None] = mapped_column(String(10))
    siret: Mapped[str | None] = mapped_column(String(14))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    postal_address: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: ``citizen.merge``: this citizen was absorbed by that one (the row stays as a tombstone
    #: that resolves to the survivor).
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("citizens.id", name="fk_citizens_merged_into_id"), default=None
    )


class ReceiptCounter(Base):
    """Registration numbers run per authority and per year (``2026-000123``)."""

    __tablename__ = "receipt_counters"
    authority_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("authorities.id"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Request(Base):
    __tablename__ = "requests"
    __table_args__ = (
        UniqueConstraint("authority_id", "number"),
        Index("ix_requests_scope", "authority_id", "version"),
        Index("ix_requests_inbox", "authority_id", "status"),
    )
    id: Mapped[uuid.UUID] = _uuid_pk()
    version: Mapped[int] = mapped_column(BigInteger, index=True)
    authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorities.id"))
    number: Mapped[str] = mapped_column(String(20))
    procedure_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("procedures.id"))
    citizen_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("citizens.id", ondelete="SET NULL")
    )
    channel: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    form_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(30))
    outcome: Mapped[str | None] = mapped_column(String(30))
    received_at: Mapped[datetime] = mapped_column()
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agents.id"))
    assignee_service_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("services.id"))
    missing_documents: Mapped[list[Any]] = mapped_column(default=list)
    submitter_ip: Mapped[str | None] = mapped_column(String(45))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Event(Base):
    """Append-only history of a request."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_scope", "authority_id", "version"),)
    id: Mapped[uuid.UUID] = _uuid_pk()
    version: Mapped[int] = mapped_column(BigInteger, index=True)
    authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorities.id"))
    request_id: Mapped[uuid.UUID] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    agent_id: Mapped[uuid.UUID | None] = mapped_column()
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_scope", "authority_id", "version"),)
    id: Mapped[uuid.UUID] = _uuid_pk()
    version: Mapped[int] = mapped_column(BigInteger, index=True)
    authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorities.id"))
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
    agent_id: Mapped[uuid.UUID | None] = mapped_column()
    # Outgoing mail: the recipient, the attached PDFs and the proof the SMTP sending gave.
    to_email: Mapped[str | None] = mapped_column(String(254))
    attachment_ids: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    delivery: Mapped[str | None] = mapped_column(String(10))
    delivered_at: Mapped[datetime | None] = mapped_column()
    smtp_message_id: Mapped[str | None] = mapped_column(String(250))
    smtp_response: Mapped[str | None] = mapped_column(Text)
    failure: Mapped[str | None] = mapped_column(Text)


class Blob(Base):
    """Which authority may see which content: blobs are shared on disk, not across tenants."""

    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    authority_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("authorities.id"), primary_key=True
    )
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_scope", "authority_id", "version"),)
    id: Mapped[uuid.UUID] = _uuid_pk()
    version: Mapped[int] = mapped_column(BigInteger, index=True)
    authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorities.id"))
    request_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column()


class PhoneCall(Base):
    __tablename__ = "phone_calls"
    __table_args__ = (Index("ix_phone_calls_scope", "authority_id", "version"),)
    id: Mapped[uuid.UUID] = _uuid_pk()
    version: Mapped[int] = mapped_column(BigInteger, index=True)
    authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorities.id"))
    citizen_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("citizens.id", ondelete="SET NULL")
    )
    request_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("requests.id", ondelete="SET NULL")
    )
    caller_name: Mapped[str] = mapped_column(String(200))
    phone_number: Mapped[str | None] = mapped_column(String(40))
    motive: Mapped[str] = mapped_column(Text, default="")
    duration_seconds: Mapped[int] = mapped_column(Integer, default=0)
    called_at: Mapped[datetime] = mapped_column(default=utcnow)
    agent_id: Mapped[uuid.UUID | None] = mapped_column()


class ParapheurFolder(Base):
    """A folder and its circuit; steps and annotations are small lists kept as JSON on the row so
    one version number covers the whole folder."""

    __tablename__ = "parapheur_folders"
    __table_args__ = (Index("ix_parapheur_scope", "authority_id", "version"),
                      Index("ix_parapheur_folders_due", "next_poll_at"))
    id: Mapped[uuid.UUID] = _uuid_pk()
    version: Mapped[int] = mapped_column(BigInteger, index=True)
    authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorities.id"))
    request_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("requests.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20))
    main_attachment_id: Mapped[uuid.UUID] = mapped_column()
    annex_ids: Mapped[list[Any]] = mapped_column(default=list)
    steps: Mapped[list[Any]] = mapped_column(default=list)
    annotations: Mapped[list[Any]] = mapped_column(default=list)
    signed_sha256: Mapped[str | None] = mapped_column(String(64))
    bordereau_sha256: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The connector that carries the folder (``server.connectors.parapheur``) and how far the
    # sending went; ``remote_id`` is the folder's id in an external parapheur.
    connector: Mapped[str] = mapped_column(String(30), default="builtin",
                                           server_default="builtin")
    remote_id: Mapped[str | None] = mapped_column(String(200))
    public_annotation: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: Seen by the circuit's officials only: never printed on the bordereau.
    private_annotation: Mapped[str] = mapped_column(Text, default="", server_default="")
    wished_date: Mapped[date | None] = mapped_column(Date)
    signed_attachment_id: Mapped[uuid.UUID | None] = mapped_column()
    bordereau_attachment_id: Mapped[uuid.UUID | None] = mapped_column()
    sending: Mapped[str] = mapped_column(String(10), default="sent", server_default="sent")
    last_error: Mapped[str | None] = mapped_column(Text)
    stuck: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: When the poller looks at the folder next (external connectors), and how often it failed.
    next_poll_at: Mapped[datetime | None] = mapped_column()
    poll_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The poller's lease on the folder (another server process leaves it alone until then),
    #: and when the folder last moved in its parapheur (for the « stuck » flag), seen as a
    #: change of ``remote_seen`` (its state and history there, summed up).
    locked_until: Mapped[datetime | None] = mapped_column()
    progressed_at: Mapped[datetime | None] = mapped_column()
    remote_seen: Mapped[str | None] = mapped_column(String(200))


class ParapheurSettings(Base):
    """The parapheur a commune chose (server side only: credentials never reach a PC).

    ``config`` holds what the connector needs (URL, login, password, desk…); the built-in
    parapheur needs nothing."""

    __tablename__ = "parapheur_settings"
    authority_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("authorities.id", ondelete="CASCADE"), primary_key=True
    )
    connector: Mapped[str] = mapped_column(String(30), default="builtin")
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MailSettings(Base):
    """How a commune's outgoing mail leaves (server side only, never synced).

    ``transport`` is ``smtp`` or ``file`` (demonstration: messages written as .eml files);
    ``security`` is ``starttls``, ``tls`` (implicit TLS, port 465) or ``none`` (a relay on the
    same machine or the tests' loopback server)."""

    __tablename__ = "mail_settings"
    authority_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("authorities.id", ondelete="CASCADE"), primary_key=True
    )
    transport: Mapped[str] = mapped_column(String(10), default="smtp")
    host: Mapped[str] = mapped_column(String(253), default="")
    port: Mapped[int] = mapped_column(Integer, default=587)
    security: Mapped[str] = mapped_column(String(10), default="starttls")
    username: Mapped[str | None] = mapped_column(String(254))
    password: Mapped[str | None] = mapped_column(String(500))
    from_address: Mapped[str] = mapped_column(String(254))
    from_name: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MailOutbox(Base):
    """Persistent queue of the mail the server owes: written in the transaction that records
    the message, sent afterwards by ``server.mail.sender`` with retries, so a crash or an SMTP
    outage never loses a reply."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "state", "next_attempt_at"),)
    id: Mapped[uuid.UUID] = _uuid_pk()
    authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorities.id"))
    message_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    #: The Message-ID header, fixed at queueing so every retry carries the same one.
    header_id: Mapped[str] = mapped_column(String(250))
    state: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Tombstone(Base):
    __tablename__ = "tombstones"
    __table_args__ = (Index("ix_tombstones_scope", "authority_id", "version"),)
    id: Mapped[uuid.UUID] = _uuid_pk()
    version: Mapped[int] = mapped_column(BigInteger, index=True)
    authority_id: Mapped[uuid.UUID] = mapped_column()
    entity: Mapped[str] = mapped_column(String(30))
    row_id: Mapped[uuid.UUID] = mapped_column()
    deleted_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_by: Mapped[uuid.UUID | None] = mapped_column()


class SyncClient(Base):
    """Last mutation id seen per client (the desktop install), for idempotent pushes."""

    __tablename__ = "sync_clients"
    client_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    last_mutation_id: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MutationLog(Base):
    """The answer given to each mutation, so a replayed push gets the same answer again."""

    __tablename__ = "mutation_log"
    client_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    mutation_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    result: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(Text)
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Who read or changed what, when and from where (RGPD traceability)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_authority_at", "authority_id", "at"),
        # The trail of one citizen or one request, newest first, without sorting the commune's.
        Index("ix_audit_citizen_at", "citizen_id", "at"),
        Index("ix_audit_request_at", "request_id", "at"),
    )
    id: Mapped[uuid.UUID] = _uuid_pk()
    at: Mapped[datetime] = mapped_column(default=utcnow)
    agent_id: Mapped[uuid.UUID | None] = mapped_column()
    ip: Mapped[str | None] = mapped_column(String(45))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[uuid.UUID | None] = mapped_column()
    authority_id: Mapped[uuid.UUID | None] = mapped_column()
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The citizen and the request an entry concerns, so the trail filters on them with an
    #: index rather than inside the JSON ``detail`` (which SQLite and PostgreSQL query apart).
    citizen_id: Mapped[uuid.UUID | None] = mapped_column()
    request_id: Mapped[uuid.UUID | None] = mapped_column()


class RateLimitHit(Base):
    """One counted event of a rate limit (a login attempt, a citizen submission).

    Kept in the database, not in process memory, so that N server workers (or machines) on one
    database count together and behave as one."""

    __tablename__ = "rate_limit_hits"
    __table_args__ = (Index("ix_rate_limit_hits_key_at", "key", "at"),)
    id: Mapped[uuid.UUID] = _uuid_pk()
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column()


class MailboxSettings(Base):
    """The commune's incoming mailbox, read over IMAP by ``server.mail.intake_poller`` (server
    side only, never synced: the password never reaches a PC and the API never returns it).

    ``security`` is ``tls`` (implicit TLS, port 993), ``starttls`` (port 143 upgraded) or
    ``none`` (refused unless the host is the loopback: the tests' local server). The poller's
    status (last poll, last error in French, failures) is kept on the same row for the admin."""

    __tablename__ = "mailbox_settings"
    authority_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("authorities.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    host: Mapped[str] = mapped_column(String(253))
    port: Mapped[int] = mapped_column(Integer, default=993)
    security: Mapped[str] = mapped_column(String(10), default="tls")
    username: Mapped[str] = mapped_column(String(254))
    password: Mapped[str] = mapped_column(String(500))
    folder: Mapped[str] = mapped_column(String(200), default="INBOX")
    move_to: Mapped[str] = mapped_column(String(200), default="Bannette")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_poll_at: Mapped[datetime | None] = mapped_column()
    last_success_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_poll_at: Mapped[datetime | None] = mapped_column()
    #: The lease of the server process polling this mailbox (several workers, one poll).
    locked_until: Mapped[datetime | None] = mapped_column()


class InboundMail(Base):
    """Each message taken from a commune's mailbox, by Message-ID (or ``sha256:`` of the raw
    message when it has none): the unique key makes a second registration impossible, even
    when the poller died between the commit and the IMAP flag."""

    __tablename__ = "inbound_mails"
    __table_args__ = (UniqueConstraint("authority_id", "message_key"),)
    id: Mapped[uuid.UUID] = _uuid_pk()
    authority_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("authorities.id", ondelete="CASCADE")
    )
    message_key: Mapped[str] = mapped_column(String(512))
    #: ``request`` (a new request), ``reply`` (a message in an existing thread) or
    #: ``unreadable`` (a request saying why the mail could not be read).
    outcome: Mapped[str] = mapped_column(String(20))
    request_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("requests.id", ondelete="SET NULL")
    )
    message_row_id: Mapped[uuid.UUID | None] = mapped_column()
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
class Service(Base):
    """A service (team) of a commune: requests are assigned to it, its members see them in
    « Mon service ». Members are a JSON list of agent ids: it travels whole on the wire and
    is only ever read whole; retiring keeps the row (``active`` false) for the history."""

    __tablename__ = "services"
    __table_args__ = (Index("ix_services_scope", "authority_id", "version"),)
    id: Mapped[uuid.UUID] = _uuid_pk()
    version: Mapped[int] = mapped_column(BigInteger, index=True)
    authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorities.id"))
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    member_ids: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RetentionRun(Base):
    """One monthly 36-month retention list of a commune (seed CGU: content destroyed after 36
    months without activity): computed, approved by an admin, then purged citizen by citizen.
    ``state``: ``proposed`` → ``approved`` → ``purging`` → ``done``. ``report`` keeps the
    counts once done; the list itself stays in ``retention_items`` (ids and dates only)."""

    __tablename__ = "retention_runs"
    __table_args__ = (UniqueConstraint("authority_id", "as_of"),)
    id: Mapped[uuid.UUID] = _uuid_pk()
    authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorities.id"), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    cutoff: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20), default="proposed")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column()
    approved_at: Mapped[datetime | None] = mapped_column()
    approved_by: Mapped[uuid.UUID | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RetentionItem(Base):
    """A citizen on a retention list. ``state`` ``pending`` until purged (``purged``) or found
    active again at purge time (``kept``): the purge resumes on the pending ones."""

    __tablename__ = "retention_items"
    run_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("retention_runs.id", ondelete="CASCADE"), primary_key=True
    )
    citizen_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    last_activity: Mapped[datetime] = mapped_column()
    requests: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    done_at: Mapped[datetime | None] = mapped_column()
