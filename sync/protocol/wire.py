"""Wire models of the sync protocol, shared by the desktop client and the reference server.

Rows travel with their client-generated UUID and the server-assigned global ``version``; the
client only ever sends *mutations* (business intents), never rows. Keeping these models here,
free of SQLAlchemy and Qt, means a change of the contract is one diff both sides see.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticSerializationError, to_json

from sync.protocol.addresses import AddressError, check_address
from sync.protocol.bounds import (
    MAX_LONG_TEXT,
    BoundedJson,
    LegalDay,
    LegalInstant,
    json_problem,
    wire_problem,
)
from sync.protocol.identifiers import rna_is_valid, siret_is_valid
from sync.protocol.vocabulary import (
    AuthorityKind,
    Channel,
    CitizenKind,
    EventKind,
    Outcome,
    PeriodUnit,
    Role,
    SendMode,
    SilenceRule,
    Status,
)

log = logging.getLogger(__name__)

#: Bumped when the wire contract changes in a way an old client cannot read.
PROTOCOL_VERSION = 1
#: Largest page a pull may ask for; large enough for throughput, small enough for a slow line.
MAX_PULL_LIMIT = 2000
DEFAULT_PULL_LIMIT = 500
#: Largest push batch; the outbox sends in chunks of at most this many mutations.
MAX_PUSH_BATCH = 500
#: Largest push body the server reads (413 beyond); the desktop splits its batches well below.
MAX_PUSH_BODY_BYTES = 16 * 1024 * 1024

ShortText = Annotated[str, StringConstraints(max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=MAX_LONG_TEXT)]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class Entity(StrEnum):
    """The synced tables, in the order a client should apply them (parents first)."""

    AUTHORITIES = "authorities"
    AGENTS = "agents"
    PROCEDURES = "procedures"
    CITIZENS = "citizens"
    REQUESTS = "requests"
    EVENTS = "events"
    MESSAGES = "messages"
    ATTACHMENTS = "attachments"
    PHONE_CALLS = "phone_calls"
    PARAPHEUR_FOLDERS = "parapheur_folders"
    #: Teams of a commune (« services »), for assignment; requests name them by id, so a
    #: client may meet a request before its service (the column is a plain id locally).
    SERVICES = "services"


class MessageDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class FolderState(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    VISAED = "visaed"
    SIGNED = "signed"
    REJECTED = "rejected"


class StepKind(StrEnum):
    VISA = "visa"
    SIGNATURE = "signature"


class StepState(StrEnum):
    WAITING = "waiting"
    DONE = "done"
    REJECTED = "rejected"


class _Model(BaseModel):
    """What the client sends: unknown fields are refused, so a typo never passes silently.

    No NUL character in any text and no NaN or infinity in any number, wherever they hide
    (free JSON included): PostgreSQL refuses them where SQLite stores them, and both databases
    must answer the same."""

    model_config = ConfigDict(from_attributes=True, extra="forbid", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_nul_nor_nan(cls, data: Any) -> Any:
        if isinstance(data, dict):
            problem = wire_problem(data)
            if problem is not None:
                raise ValueError(problem)
        return data


class _Answer(BaseModel):
    """What the server sends: unknown fields are ignored, so a newer server can add fields
    without breaking the desktops already installed."""

    model_config = ConfigDict(from_attributes=True, extra="ignore")


# --------------------------------------------------------------------------------------------
# Rows (server -> client)
# --------------------------------------------------------------------------------------------


#: What a row's free JSON becomes when it cannot be encoded (stored before the bounds existed,
#: or written behind the API's back): one unreadable row must never fail a whole page.
UNREADABLE_JSON = {"erreur": "Contenu illisible : signalé à l'administrateur du serveur."}


class Deputy(_Answer):
    """An adjoint (or conseiller délégué) and the delegations the maire gave by arrêté: the
    procedure codes they may sign for (``*``: all). Read by the letters' signature block and
    offered as signatories of the parapheur circuit."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    title: ShortText = "Adjoint au maire"
    delegations: list[ShortText] = Field(default_factory=list, max_length=100)
    #: The agent account of the adjoint, when they sign in the parapheur themselves.
    agent_id: UUID | None = None


class Row(_Answer):
    id: UUID
    version: int = Field(ge=0, description="Numéro de version global attribué par le serveur")

    @model_validator(mode="after")
    def _encodable(self) -> Row:
        for name in _FREE_JSON_FIELDS.get(type(self).__name__, ()):
            value = getattr(self, name)
            try:
                to_json(value)
            except (ValueError, RecursionError, PydanticSerializationError) as exc:
                log.error("unencodable %s.%s on row %s (%s): replaced by a placeholder",
                          type(self).__name__, name, self.id, str(exc)[:200])
                object.__setattr__(self, name, dict(UNREADABLE_JSON))
        return self


class AuthorityRow(Row):
    name: str
    kind: AuthorityKind
    insee_code: str | None = None
    siret: str | None = None
    department_code: str | None = None
    address: str | None = None
    service_name: str | None = None
    service_email: str | None = None
    service_phone: str | None = None
    letterhead: dict[str, str] = Field(default_factory=dict)
    #: Days the mairie gives itself to acknowledge (its internal target, not the legal limit).
    internal_target_days: int = 7
    #: The adjoints and what each may sign (delegations), in the order of the tableau.
    deputies: list[Deputy] = Field(default_factory=list)
    #: SHA-256 of the commune's logo (PNG or JPEG, a blob of the authority, fetched with
    #: ``GET /authorities/{id}/logo``); None: no logo, letters have none.
    logo_sha256: str | None = None


class AgentRow(Row):
    login: str
    display_name: str
    email: str | None = None
    #: The most privileged of ``roles`` (admin, clerk, official), for clients that read one role.
    role: Role
    active: bool
    #: Only the authorities the viewer belongs to: another commune's id is never shown.
    authority_ids: list[UUID] = Field(default_factory=list)
    #: The role in each of ``authority_ids``: a role belongs to (agent, authority).
    roles: dict[UUID, Role] = Field(default_factory=dict)
    #: Last successful login; only in an administrator's listing of their commune's agents.
    last_login_at: datetime | None = None
    #: The agent still has a password chosen by someone else (same listing only).
    must_change_password: bool | None = None


class ProcedureRow(Row):
    authority_id: UUID
    code: str
    title: str
    silence_rule: SilenceRule
    period_value: int
    period_unit: PeriodUnit
    active: bool
    #: Documents the citizen must provide (labels), asked for in a missing-documents letter.
    required_documents: list[str] = Field(default_factory=list)
    #: Names of the reply templates offered first for this procedure.
    reply_templates: list[str] = Field(default_factory=list)
    #: The service a new request of this procedure is assigned to at creation (null: none).
    default_service_id: UUID | None = None


class CitizenRow(Row):
    authority_id: UUID
    kind: CitizenKind
    last_name: str | None = None
    first_name: str | None = None
    organisation_name: str | None = None
    rna_number: str | None = None
    siret: str | None = None
    email: str | None = None
    phone: str | None = None
    postal_address: str | None = None
    created_at: datetime
    updated_at: datetime
    #: Set when this citizen was merged into another (``citizen.merge``): the row is then a
    #: tombstone that resolves to the survivor (older clients ignore the field).
    merged_into_id: UUID | None = None


class RequestRow(Row):
    authority_id: UUID
    number: str = Field(description="Numéro d'enregistrement, par collectivité et par année")
    procedure_id: UUID | None = None
    citizen_id: UUID | None = None
    channel: Channel
    subject: str
    description: str
    form_fields: dict[str, Any] = Field(default_factory=dict)
    status: Status
    outcome: Outcome | None = None
    received_at: datetime = Field(description="Date légale de réception")
    registered_at: datetime = Field(description="Enregistrement par le serveur")
    acknowledged_at: datetime | None = None
    assignee_id: UUID | None = None
    missing_documents: list[str] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime
    #: The service (team) the request is assigned to, beside or instead of an agent.
    assignee_service_id: UUID | None = None


class EventRow(Row):
    authority_id: UUID
    request_id: UUID
    kind: EventKind
    at: datetime
    agent_id: UUID | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class MessageRow(Row):
    authority_id: UUID
    request_id: UUID
    direction: MessageDirection
    channel: Channel
    subject: str
    body: str
    at: datetime
    agent_id: UUID | None = None
    # Outgoing mail (reply.send / message.add by e-mail): what the server's SMTP sending proved.
    attachment_ids: list[UUID] = Field(default_factory=list)
    to_email: str | None = None
    delivery: Literal["queued", "sent", "failed", "posted"] | None = None
    delivered_at: datetime | None = None
    smtp_message_id: str | None = None
    smtp_response: str | None = None
    failure: str | None = None


class AttachmentRow(Row):
    authority_id: UUID
    request_id: UUID | None = None
    sha256: str
    filename: str
    content_type: str
    size: int
    created_at: datetime


class PhoneCallRow(Row):
    authority_id: UUID
    citizen_id: UUID | None = None
    request_id: UUID | None = None
    caller_name: str
    phone_number: str | None = None
    motive: str
    duration_seconds: int
    called_at: datetime
    agent_id: UUID | None = None


class ParapheurStep(_Answer):
    position: int
    kind: StepKind
    official_id: UUID
    state: StepState = StepState.WAITING
    acted_at: datetime | None = None
    comment: str | None = None


class ParapheurAnnotation(_Answer):
    id: UUID
    agent_id: UUID
    at: datetime
    page: int | None = None
    text: str


class ParapheurFolderRow(Row):
    authority_id: UUID
    request_id: UUID | None = None
    title: str
    state: FolderState
    main_attachment_id: UUID
    annex_ids: list[UUID] = Field(default_factory=list)
    steps: list[ParapheurStep] = Field(default_factory=list)
    annotations: list[ParapheurAnnotation] = Field(default_factory=list)
    signed_sha256: str | None = None
    bordereau_sha256: str | None = None
    created_by: UUID | None = None
    created_at: datetime
    updated_at: datetime
    # Filled for folders sent with parapheur.send (reply flow) and followed by the poller.
    connector: str = "builtin"
    public_annotation: str = ""
    private_annotation: str = ""
    wished_date: date | None = None
    signed_attachment_id: UUID | None = Field(
        default=None, description="Le PDF signé, rattaché à la demande comme pièce jointe")
    bordereau_attachment_id: UUID | None = None
    sending: Literal["queued", "sent", "failed"] = "sent"
    last_error: str | None = None
    stuck: bool = Field(default=False, description="Sans avancement depuis plus de N jours")


class ServiceRow(Row):
    """A service of a commune (« Urbanisme », « État civil »): a name and its agents."""

    authority_id: UUID
    name: str
    active: bool = True
    member_ids: list[UUID] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime


#: The rows' fields holding free JSON, checked for encodability when a row is built.
_FREE_JSON_FIELDS: dict[str, tuple[str, ...]] = {
    "RequestRow": ("form_fields",),
    "EventRow": ("data",),
}

ROW_MODELS: dict[Entity, type[Row]] = {
    Entity.AUTHORITIES: AuthorityRow,
    Entity.AGENTS: AgentRow,
    Entity.PROCEDURES: ProcedureRow,
    Entity.CITIZENS: CitizenRow,
    Entity.REQUESTS: RequestRow,
    Entity.EVENTS: EventRow,
    Entity.MESSAGES: MessageRow,
    Entity.ATTACHMENTS: AttachmentRow,
    Entity.PHONE_CALLS: PhoneCallRow,
    Entity.PARAPHEUR_FOLDERS: ParapheurFolderRow,
    Entity.SERVICES: ServiceRow,
}


class Tombstone(_Answer):
    entity: Entity
    id: UUID
    version: int


# --------------------------------------------------------------------------------------------
# Mutations (client -> server)
# --------------------------------------------------------------------------------------------


class MutationName(StrEnum):
    REQUEST_CREATE = "request.create"
    REQUEST_SET_STATUS = "request.set_status"
    REQUEST_ACKNOWLEDGE = "request.acknowledge"
    REQUEST_REQUEST_DOCUMENTS = "request.request_documents"
    REQUEST_DOCUMENTS_RECEIVED = "request.documents_received"
    REQUEST_IMPLICIT_DECISION = "request.implicit_decision"
    REQUEST_ASSIGN = "request.assign"
    REQUEST_UPDATE_FIELDS = "request.update_fields"
    REQUEST_ADD_NOTE = "request.add_note"
    REQUEST_DELETE = "request.delete"
    MESSAGE_ADD = "message.add"
    CITIZEN_UPSERT = "citizen.upsert"
    CITIZEN_DELETE = "citizen.delete"
    PHONE_CALL_ADD = "phone_call.add"
    ATTACHMENT_LINK = "attachment.link"
    ATTACHMENT_UNLINK = "attachment.unlink"
    PARAPHEUR_SEND = "parapheur.send"
    PARAPHEUR_DECIDE = "parapheur.decide"
    REPLY_SEND = "reply.send"
    REQUEST_ASK_OPINION = "request.ask_opinion"
    REQUEST_GIVE_OPINION = "request.give_opinion"
    SERVICE_SAVE = "service.save"
    CITIZEN_MERGE = "citizen.merge"
    AUDIT_READ = "audit.read"
    CITIZEN_ERASE = "citizen.erase"
    AUTHORITY_UPDATE = "authority.update"
    PROCEDURE_UPSERT = "procedure.upsert"
    PROCEDURE_RETIRE = "procedure.retire"


class RequestCreateArgs(_Model):
    """Back-office intake of a paper, phone, counter or e-mail request."""

    id: UUID
    authority_id: UUID
    channel: Channel
    subject: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    description: LongText = ""
    procedure_id: UUID | None = None
    citizen_id: UUID | None = None
    received_at: LegalInstant | None = Field(
        default=None,
        description="Date de réception saisie par l'agent (courrier, téléphone, guichet)",
    )
    form_fields: BoundedJson = Field(default_factory=dict)


class RequestSetStatusArgs(_Model):
    request_id: UUID
    from_status: Status
    status: Status
    outcome: Outcome | None = None


class RequestAcknowledgeArgs(_Model):
    request_id: UUID
    sent_on: date | None = Field(
        default=None,
        description="Jour où l'accusé de réception est parti (saisi par l'agent ; absent : "
        "le serveur le date à réception)",
    )
    mode: SendMode | None = Field(default=None, description="Courrier, courriel ou en main propre")


#: The hour (UTC) a day given without a time is dated at: 11:00 UTC is that same calendar day
#: in every French zone, from Polynesia (UTC-10) to Wallis-et-Futuna (UTC+12).
DAY_HOUR_UTC = 11


def day_instant(day: date) -> datetime:
    """The instant a legal fact known only by its day is stored at (PC and server alike)."""
    return datetime.combine(day, time(DAY_HOUR_UTC), tzinfo=UTC)


class RequestDocumentsArgs(_Model):
    request_id: UUID
    documents: list[ShortText] = Field(min_length=1, max_length=50)
    deadline: LegalDay | None = Field(
        default=None, description="Date limite laissée à l'usager pour envoyer les pièces"
    )
    asked_on: LegalDay | None = Field(
        default=None,
        description="Jour du courrier de demande (un poste hors ligne l'envoie plus tard)",
    )


class RequestDocumentsReceivedArgs(_Model):
    """L114-5: the missing documents arrived; the decision clock restarts from that day, which
    the agent enters (a letter may reach the mairie days before it is opened)."""

    request_id: UUID
    received_on: LegalDay = Field(description="Jour d'arrivée des pièces")


class RequestImplicitDecisionArgs(_Model):
    """The silence of the administration became a decision (L231-1 accord, L231-4 rejet).

    Every PC computes the same date from the same facts; the first to tell the server wins and
    the others' identical reports are no-ops."""

    request_id: UUID
    outcome: Literal[Outcome.IMPLICIT_ACCEPTANCE, Outcome.IMPLICIT_REJECTION]
    arose_on: LegalDay = Field(description="Jour où la décision implicite est née")


#: Why an assignment to an agent who left (disabled) is refused: the same words on the PC,
#: before queueing, and on the server.
AGENT_LEFT = ("Cet agent a quitté la collectivité (compte désactivé) : attribuez la demande "
              "à un autre agent ou à un service.")


class RequestAssignArgs(_Model):
    """« Attribuer… »: to an agent, to a service, or to both (an agent within a service);
    both None takes the request back. ``previous_*`` are what the client saw, to detect a
    concurrent reassignment; ``reason`` goes to the history."""

    request_id: UUID
    assignee_id: UUID | None
    previous_assignee_id: UUID | None = None
    service_id: UUID | None = None
    previous_service_id: UUID | None = None
    reason: Annotated[str, StringConstraints(max_length=2000)] = ""


#: Fields of a request the agent may edit directly (the rest follow business intents).
EDITABLE_REQUEST_FIELDS = frozenset(
    {"subject", "description", "procedure_id", "citizen_id", "form_fields", "received_at"}
)


class RequestUpdateFieldsArgs(_Model):
    """Field-level edit: ``previous`` holds the values the client saw, to detect true conflicts."""

    request_id: UUID
    fields: dict[str, Any] = Field(min_length=1)
    previous: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_fields(self) -> RequestUpdateFieldsArgs:
        unknown = set(self.fields) - EDITABLE_REQUEST_FIELDS
        if unknown:
            raise ValueError(f"champs non modifiables : {', '.join(sorted(unknown))}")
        for values in (self.fields, self.previous):
            form = values.get("form_fields")
            problem = json_problem(form) if isinstance(form, dict) else None
            if problem is not None:
                raise ValueError(problem)
        return self


class RequestNoteArgs(_Model):
    id: UUID
    request_id: UUID
    text: Annotated[str, StringConstraints(min_length=1, max_length=20000)]


class RequestDeleteArgs(_Model):
    request_id: UUID


class MessageAddArgs(_Model):
    """A message of the request's correspondence. An outbound ``email`` with ``to_email`` is
    sent by the server (SMTP, proof on the row); without it, it only records a message sent
    by other means."""

    id: UUID
    request_id: UUID
    direction: MessageDirection
    channel: Channel
    subject: ShortText = ""
    body: LongText = ""
    to_email: Annotated[str, StringConstraints(max_length=254)] | None = None
    attachment_ids: list[UUID] = Field(default_factory=list, max_length=20)


def _email(value: str) -> str:
    if not value.strip():
        return value
    try:
        return check_address(value)
    except AddressError as exc:
        raise ValueError(str(exc)) from exc


def _siret(value: str) -> str:
    if not siret_is_valid(value):
        raise ValueError("SIRET invalide (14 chiffres avec une clé de contrôle correcte)")
    return value


def _rna(value: str) -> str:
    if not rna_is_valid(value):
        raise ValueError("numéro RNA invalide (W suivi de 9 chiffres)")
    return value


Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(_email)]


class CitizenFields(_Model):
    kind: CitizenKind
    last_name: ShortText | None = None
    first_name: ShortText | None = None
    organisation_name: ShortText | None = None
    rna_number: Annotated[
        str, StringConstraints(pattern=r"^W\d{9}$"), AfterValidator(_rna)] | None = None
    siret: Annotated[
        str, StringConstraints(pattern=r"^\d{14}$"), AfterValidator(_siret)] | None = None
    email: Email | None = None
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    postal_address: Annotated[str, StringConstraints(max_length=500)] | None = None


class CitizenUpsertArgs(_Model):
    id: UUID
    authority_id: UUID
    fields: CitizenFields
    previous: dict[str, Any] = Field(default_factory=dict)


class CitizenDeleteArgs(_Model):
    citizen_id: UUID


class PhoneCallAddArgs(_Model):
    id: UUID
    authority_id: UUID
    caller_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    phone_number: Annotated[str, StringConstraints(max_length=40)] | None = None
    motive: LongText = ""
    duration_seconds: int = Field(default=0, ge=0, le=86400)
    called_at: LegalInstant | None = None
    citizen_id: UUID | None = None
    request_id: UUID | None = None


class AttachmentLinkArgs(_Model):
    """Links a blob already uploaded with ``POST /api/v1/blobs`` to a request."""

    id: UUID
    authority_id: UUID
    request_id: UUID | None = None
    sha256: Sha256Hex
    filename: Annotated[str, StringConstraints(min_length=1, max_length=255)]


class AttachmentUnlinkArgs(_Model):
    attachment_id: UUID


class ParapheurStepSpec(_Model):
    kind: StepKind
    official_id: UUID


class ParapheurSendArgs(_Model):
    """« Envoyer au parapheur »: the server creates and submits the folder through the
    commune's parapheur connector (credentials never reach a PC); an offline PC queues it."""

    folder_id: UUID
    authority_id: UUID
    request_id: UUID
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    main_attachment_id: UUID = Field(description="Le PDF de la réponse (pièce de la demande)")
    annex_ids: list[UUID] = Field(default_factory=list, max_length=50)
    steps: list[ParapheurStepSpec] = Field(min_length=1, max_length=10)
    public_annotation: Annotated[str, StringConstraints(max_length=2000)] = ""
    private_annotation: Annotated[str, StringConstraints(max_length=2000)] = ""
    wished_date: LegalDay | None = Field(
        default=None, description="Date souhaitée de signature")


class ParapheurDecideArgs(_Model):
    """An official's visa, signature or rejection, possibly decided offline.

    ``position`` is the step the official saw waiting: when another PC decided it meanwhile the
    server answers ``conflict`` with its row, and nothing is signed twice."""

    folder_id: UUID
    position: int = Field(ge=1, le=10)
    action: Literal["visa", "sign", "reject"]
    comment: Annotated[str, StringConstraints(max_length=2000)] | None = None

    @model_validator(mode="after")
    def _reject_needs_comment(self) -> ParapheurDecideArgs:
        if self.action == "reject" and not (self.comment or "").strip():
            raise ValueError("un rejet doit être motivé par un commentaire")
        return self


class ReplyMode(StrEnum):
    EMAIL = "email"
    POST = "post"


class ReplySendArgs(_Model):
    """The answer leaves: e-mailed by the server (SMTP, proof kept on the message row) or
    printed and posted by the clerk. The request becomes ``answered`` with its outcome, which
    stops the implicit-decision clock. ``id`` is the outgoing message's id."""

    id: UUID
    request_id: UUID
    attachment_id: UUID = Field(description="Le PDF envoyé (signé s'il est passé au parapheur)")
    mode: ReplyMode
    outcome: Literal[Outcome.ACCEPTED, Outcome.REJECTED, Outcome.NO_FOLLOW_UP]
    to_email: Annotated[str, StringConstraints(max_length=254)] | None = None
    subject: ShortText = ""
    body: LongText = ""
    sent_on: LegalDay | None = Field(default=None, description="Jour de mise à la poste")

    @model_validator(mode="after")
    def _email_needs_address(self) -> ReplySendArgs:
        if self.mode == ReplyMode.EMAIL and not self.to_email:
            raise ValueError("un envoi par courriel demande l'adresse de l'usager")
        return self


class RequestAskOpinionArgs(_Model):
    """The clerk asks an official for their opinion (« Demandes à examiner » on the élu's desk)."""

    id: UUID
    request_id: UUID
    official_id: UUID
    question: LongText = ""


class RequestGiveOpinionArgs(_Model):
    """The official's avis on a request flagged for them (``ask_id`` is the question's id)."""

    id: UUID
    request_id: UUID
    ask_id: UUID
    opinion: Literal["favorable", "unfavorable", "reserved"]
    comment: LongText = ""


#: Why anyone but the commune's administrator is refused ``service.save`` (PC and server).
SERVICES_ADMIN_ONLY = "Seul un administrateur de la commune peut gérer ses services."


class ServiceSaveArgs(_Model):
    """Creates a service or changes it (rename, retire with ``active`` false, members), for
    the commune's administrators only. The whole state is sent: the last save wins."""

    id: UUID
    authority_id: UUID
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    active: bool = True
    member_ids: list[UUID] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _named(self) -> ServiceSaveArgs:
        if not self.name.strip():
            raise ValueError("un service doit avoir un nom")
        return self


class CitizenMergeArgs(_Model):
    """Two records of one citizen become one (issue 12). ``fields`` is the survivor's identity
    after the merge (the values chosen field by field); every request and call of the absorbed
    citizen moves to the survivor, and the absorbed one becomes a tombstone pointing to it.
    ``*_previous`` are the values this PC saw (``CitizenFields`` names), to tell the user which
    fields another PC changed when one of the two was edited meanwhile (``conflict``)."""

    survivor_id: UUID
    absorbed_id: UUID
    fields: CitizenFields
    survivor_base_version: int = Field(ge=0, le=2**62)
    absorbed_base_version: int = Field(ge=0, le=2**62)
    survivor_previous: dict[str, Any] = Field(default_factory=dict)
    absorbed_previous: dict[str, Any] = Field(default_factory=dict)


class ReadWhat(StrEnum):
    """What an agent opened that shows a citizen's personal data (the access trail, RGPD)."""

    CITIZEN_FILE = "citizen_file"
    REQUEST_DETAIL = "request_detail"
    ATTACHMENT = "attachment"
    EXPORT = "export"


class AuditReadArgs(_Model):
    """One opening of personal data on a PC, recorded even offline: the server writes it into
    its append-only audit log with the PC's instant (``at``) beside its own."""

    citizen_id: UUID
    request_id: UUID | None = None
    attachment_id: UUID | None = None
    what: ReadWhat
    at: LegalInstant


class CitizenEraseArgs(_Model):
    """Right to erasure (admin): the citizen goes, their requests stay anonymous."""

    citizen_id: UUID
    reason: Annotated[str, StringConstraints(max_length=500)] = ""


class DeputyArgs(_Model):
    """An adjoint as the admin enters it (see ``Deputy``)."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    title: Annotated[str, StringConstraints(max_length=200, strip_whitespace=True)] = (
        "Adjoint au maire"
    )
    delegations: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=100
    )
    agent_id: UUID | None = None


class AuthorityFields(_Model):
    """The commune's settings an administrator edits (« Administration › Commune »). Only the
    fields given (not null) are changed; the mailbox and parapheur connections are not here:
    they stay on the server (REST), never on a PC."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    address: Annotated[str, StringConstraints(max_length=500)] | None = None
    service_name: ShortText | None = None
    service_email: Email | None = None
    service_phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    mayor_name: ShortText | None = None
    mayor_title: ShortText | None = None
    administrative_court: ShortText | None = None
    internal_target_days: int | None = Field(default=None, ge=1, le=60)
    deputies: list[DeputyArgs] | None = Field(default=None, max_length=40)
    #: The logo's SHA-256, its blob uploaded first (``POST /blobs``) like an attachment's;
    #: "" removes the logo.
    logo_sha256: Annotated[str, StringConstraints(pattern=r"^([0-9a-f]{64})?$")] | None = None


#: Fields of ``AuthorityFields`` kept in the authority's ``letterhead`` (who signs, which court).
LETTERHEAD_FIELDS = ("mayor_name", "mayor_title", "administrative_court")


class AuthorityUpdateArgs(_Model):
    """An administrator's change to the commune's settings; ``previous`` holds the values the
    PC showed, so two PCs editing different fields both win and the same field is a conflict."""

    authority_id: UUID
    fields: AuthorityFields
    previous: dict[str, Any] = Field(default_factory=dict)


ProcedureCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$")]


class ProcedureFields(_Model):
    """A procedure of the catalogue as the administrator edits it (null: unchanged). A new
    period applies to
    requests received from then on: the PCs keep the rule each request was received under."""

    code: ProcedureCode | None = None
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    silence_rule: SilenceRule | None = None
    period_value: int | None = Field(default=None, ge=1, le=365)
    period_unit: PeriodUnit | None = None
    required_documents: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] | (
        None
    ) = Field(default=None, max_length=50)
    reply_templates: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] | (
        None
    ) = Field(default=None, max_length=20)
    #: One of the commune's active services, given every new request of the procedure at its
    #: creation (on the PC and on the server); "" : no default service.
    default_service_id: UUID | Literal[""] | None = None


class ProcedureUpsertArgs(_Model):
    """Creates the commune's own procedure (unknown id: ``code`` and ``title`` required) or
    edits one, field by field as ``citizen.upsert``."""

    id: UUID
    authority_id: UUID
    fields: ProcedureFields
    previous: dict[str, Any] = Field(default_factory=dict)


class ProcedureRetireArgs(_Model):
    """Retires a procedure (``active`` false: no longer offered at intake, kept on the requests
    that use it; a procedure is never deleted) or brings it back (``active`` true)."""

    procedure_id: UUID
    active: bool = False


MUTATION_ARGS: dict[MutationName, type[BaseModel]] = {
    MutationName.REQUEST_CREATE: RequestCreateArgs,
    MutationName.REQUEST_SET_STATUS: RequestSetStatusArgs,
    MutationName.REQUEST_ACKNOWLEDGE: RequestAcknowledgeArgs,
    MutationName.REQUEST_REQUEST_DOCUMENTS: RequestDocumentsArgs,
    MutationName.REQUEST_DOCUMENTS_RECEIVED: RequestDocumentsReceivedArgs,
    MutationName.REQUEST_IMPLICIT_DECISION: RequestImplicitDecisionArgs,
    MutationName.REQUEST_ASSIGN: RequestAssignArgs,
    MutationName.REQUEST_UPDATE_FIELDS: RequestUpdateFieldsArgs,
    MutationName.REQUEST_ADD_NOTE: RequestNoteArgs,
    MutationName.REQUEST_DELETE: RequestDeleteArgs,
    MutationName.MESSAGE_ADD: MessageAddArgs,
    MutationName.CITIZEN_UPSERT: CitizenUpsertArgs,
    MutationName.CITIZEN_DELETE: CitizenDeleteArgs,
    MutationName.PHONE_CALL_ADD: PhoneCallAddArgs,
    MutationName.ATTACHMENT_LINK: AttachmentLinkArgs,
    MutationName.ATTACHMENT_UNLINK: AttachmentUnlinkArgs,
    MutationName.PARAPHEUR_SEND: ParapheurSendArgs,
    MutationName.PARAPHEUR_DECIDE: ParapheurDecideArgs,
    MutationName.REPLY_SEND: ReplySendArgs,
    MutationName.REQUEST_ASK_OPINION: RequestAskOpinionArgs,
    MutationName.REQUEST_GIVE_OPINION: RequestGiveOpinionArgs,
    MutationName.SERVICE_SAVE: ServiceSaveArgs,
    MutationName.CITIZEN_MERGE: CitizenMergeArgs,
    MutationName.AUDIT_READ: AuditReadArgs,
    MutationName.CITIZEN_ERASE: CitizenEraseArgs,
    MutationName.AUTHORITY_UPDATE: AuthorityUpdateArgs,
    MutationName.PROCEDURE_UPSERT: ProcedureUpsertArgs,
    MutationName.PROCEDURE_RETIRE: ProcedureRetireArgs,
}


class Mutation(_Model):
    client_id: UUID
    mutation_id: int = Field(ge=1, le=2**62, description="Croissant strictement par client")
    base_version: int = Field(ge=0, le=2**62)
    name: MutationName
    args: dict[str, Any]

    @model_validator(mode="before")
    @classmethod
    def _no_nul_nor_nan(cls, data: Any) -> Any:
        # ``args`` is checked by the mutation's own model: one bad mutation is ``rejected``
        # with its reason, it never makes the whole push a 422 that the desktop would resend.
        if isinstance(data, dict):
            problem = wire_problem({k: v for k, v in data.items() if k != "args"})
            if problem is not None:
                raise ValueError(problem)
        return data

    def parsed_args(self) -> BaseModel:
        """Validates ``args`` against the model of this mutation (raises ValidationError)."""
        return MUTATION_ARGS[self.name].model_validate(self.args)


class PushRequest(_Model):
    client_id: UUID
    mutations: list[Mutation] = Field(max_length=MAX_PUSH_BATCH)

    @model_validator(mode="before")
    @classmethod
    def _no_nul_nor_nan(cls, data: Any) -> Any:
        return data  # each Mutation checks its envelope, each mutation's model its args

    @model_validator(mode="after")
    def _one_client(self) -> PushRequest:
        if any(m.client_id != self.client_id for m in self.mutations):
            raise ValueError("toutes les mutations d'un envoi doivent venir du même poste")
        return self


class MutationOutcome(StrEnum):
    APPLIED = "applied"
    REJECTED = "rejected"
    CONFLICT = "conflict"


class MutationResult(_Answer):
    mutation_id: int
    result: MutationOutcome
    reason: str | None = Field(default=None, description="Raison lisible, en français")
    replayed: bool = Field(
        default=False, description="Déjà traitée lors d'un envoi précédent : rien n'est rejoué"
    )
    entity: Entity | None = None
    conflicting_fields: list[str] = Field(default_factory=list)
    server_row: dict[str, Any] | None = Field(
        default=None, description="La ligne telle que le serveur la détient (en cas de conflit)"
    )


class PushResponse(_Answer):
    client_id: UUID
    last_mutation_id: int
    results: list[MutationResult]
    version: int = Field(description="Version maximale du serveur après l'envoi")


class PullRequest(_Model):
    cursor: int = Field(default=0, ge=0, le=2**62)
    limit: int = Field(default=DEFAULT_PULL_LIMIT, ge=1, le=MAX_PULL_LIMIT)
    authority_ids: list[UUID] | None = Field(
        default=None, description="Restreint la synchronisation à ces collectivités"
    )


class PullResponse(_Answer):
    epoch: str
    cursor: int = Field(description="À renvoyer au prochain appel")
    has_more: bool
    authorities: list[AuthorityRow] = Field(default_factory=list)
    agents: list[AgentRow] = Field(default_factory=list)
    procedures: list[ProcedureRow] = Field(default_factory=list)
    citizens: list[CitizenRow] = Field(default_factory=list)
    requests: list[RequestRow] = Field(default_factory=list)
    events: list[EventRow] = Field(default_factory=list)
    messages: list[MessageRow] = Field(default_factory=list)
    attachments: list[AttachmentRow] = Field(default_factory=list)
    phone_calls: list[PhoneCallRow] = Field(default_factory=list)
    parapheur_folders: list[ParapheurFolderRow] = Field(default_factory=list)
    services: list[ServiceRow] = Field(default_factory=list)
    tombstones: list[Tombstone] = Field(default_factory=list)


class ServerInfo(_Answer):
    """``GET /meta`` (no login): what a desktop needs to know before it syncs."""

    protocol: int = PROTOCOL_VERSION
    min_desktop_version: str = Field(
        description="Version la plus ancienne du poste acceptée (sinon réponse 426)"
    )


class MetaResponse(_Answer):
    protocol: int = PROTOCOL_VERSION
    epoch: str = Field(description="Change quand la base est recréée : le poste se réinitialise")
    max_version: int
    counts: dict[Entity, int]
    server_time: datetime
    last_mutation_id: int | None = None


# --------------------------------------------------------------------------------------------
# Authentication and submissions
# --------------------------------------------------------------------------------------------


class LoginRequest(_Model):
    login: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class RefreshRequest(_Model):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=200)]


#: ``type`` of the 403 problem an agent gets while their password must be changed.
MUST_CHANGE_PASSWORD_TYPE = "urn:bannette:must-change-password"


class TemporaryPassword(_Answer):
    """A password reset by an administrator: shown once, to be changed at the first login."""

    agent_id: UUID
    temporary_password: str


class TokenPair(_Answer):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_expires_in: int
    agent: AgentRow
    must_change_password: bool = Field(
        default=False,
        description="Mot de passe initial ou choisi par un administrateur : à changer "
        "(POST /auth/password) avant de continuer",
    )


class SubmissionCitizen(CitizenFields):
    """Identity given by the citizen on the public portal."""


class SubmissionPayload(_Model):
    procedure_code: Annotated[str, StringConstraints(max_length=100)] | None = None
    channel: Literal["web", "service_public"] = "web"
    subject: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    description: LongText = ""
    citizen: SubmissionCitizen
    form_fields: BoundedJson = Field(default_factory=dict)


class RegistrationReceipt(_Answer):
    request_id: UUID
    number: str
    received_at: datetime
    authority_name: str
    channel: Channel
    attachments: list[str] = Field(default_factory=list)
    message: str


# --------------------------------------------------------------------------------------------
# RGPD: audit trail, erasure, 36-month retention (REST, administrators)
# --------------------------------------------------------------------------------------------


class AuditEntryRow(_Answer):
    """One entry of the append-only audit log: who (agent, IP) did what (``action``: ``read``,
    ``create``, ``update``, ``erase``…) to which row, when (server instant, UTC)."""

    id: UUID
    at: datetime
    agent_id: UUID | None = None
    ip: str | None = None
    action: str
    entity: str
    entity_id: UUID | None = None
    authority_id: UUID | None = None
    citizen_id: UUID | None = None
    request_id: UUID | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class AuditPage(_Answer):
    items: list[AuditEntryRow]
    total: int
    limit: int
    offset: int


class ErasureReport(_Answer):
    citizen_id: UUID
    requests: int = 0
    phone_calls: int = 0
    messages: int = 0
    attachments_deleted: int = 0
    attachments_kept: int = 0


class RetentionItemRow(_Answer):
    citizen_id: UUID
    last_activity: datetime
    requests: int = 0
    state: Literal["pending", "purged", "kept", "gone"] = "pending"
    #: The citizen's name while they exist (the admin must know whom they approve to purge).
    display_name: str | None = None


class RetentionRunRow(_Answer):
    id: UUID
    authority_id: UUID
    as_of: date
    cutoff: date
    state: Literal["proposed", "approved", "purging", "done"]
    created_at: datetime
    approved_at: datetime | None = None
    approved_by: UUID | None = None
    finished_at: datetime | None = None
    report: dict[str, Any] = Field(default_factory=dict)
    items: list[RetentionItemRow] = Field(default_factory=list)
