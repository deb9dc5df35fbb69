"""Back-office intake: a request that came by post, phone, at the counter or by e-mail.

Electronic requests from the web portal or service-public.fr are registered by the server (it
dates them: legal dates of electronic requests never come from the PC). Everything else reaches
the mairie on paper or by voice, and the secrétaire types it in; this module is where that entry
becomes a local request and, when the commune is shared with the server, two queued mutations
(``citizen.upsert`` for a new citizen, then ``request.create``).

All of it — the citizen, the request, its CREATED event, its échéance, the provisional number
and the outbox rows — is written in ONE transaction: a crash or a refusal half-way leaves
nothing behind, and the server never hears of a request the bannette does not show (or the
reverse).

Registration numbers belong to the server ("2026-000123", per authority and year). Until it
has applied ``request.create``, a shared request carries a provisional number ("P-2026-0001")
that cannot collide with the server's, and the next pull overwrites the row (same id, local
version 0) with the final number. A purely local database (the offline demonstration) has no
server to ask and numbers the request itself, the way the server would.

No Qt, no HTTP: the dialog calls these functions through callables it is given.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from desktop.domain.legal_time import as_instant, in_zone, utc_now
from desktop.domain.phone import phone_problem
from desktop.domain.text import citizen_display_name, fold
from desktop.domain.workflow import DomainEvent
from desktop.store.citizen_lookup import lookup_query
from desktop.store.database import StoreError, transaction
from desktop.store.ids import iso, new_id
from desktop.store.inbox import Choice
from desktop.store.outbox import enqueue, server_may_know
from desktop.store.requests import insert_event, refresh_due
from desktop.store.sync_store import PLACEHOLDER_PROCEDURE_ID
from sync.protocol.addresses import AddressError, check_address
from sync.protocol.identifiers import rna_is_valid, siret_is_valid
from sync.protocol.vocabulary import CHANNEL_LABELS, Channel, CitizenKind, EventKind, Status
from sync.protocol.wire import (
    CitizenFields,
    CitizenUpsertArgs,
    MutationName,
    RequestCreateArgs,
)

#: Channels the secrétaire registers by hand, in the order the dialog offers them (post first:
#: it is what most small mairies still receive most).
INTAKE_CHANNELS: tuple[Channel, ...] = (
    Channel.PAPER,
    Channel.PHONE,
    Channel.COUNTER,
    Channel.EMAIL,
)
#: A receipt date older than this is almost always a mistyped year; the legal clocks would have
#: run out long ago anyway.
OLDEST_RECEIPT = timedelta(days=365)
#: Limits of the wire models (``sync.protocol.wire``): checked here so that a local-only entry
#: obeys the same rules as a shared one, with a French message instead of a refusal later.
MAX_SHORT = 200
MAX_DESCRIPTION = 20_000
MAX_EMAIL = 254
MAX_PHONE = 40
MAX_POSTAL_ADDRESS = 500
#: Citizen search starts at the second letter: a surname as short as « Ba » must be findable.
MIN_CITIZEN_SEARCH = 2
#: Prefix of the numbers given while the server has not numbered the request yet.
PROVISIONAL_PREFIX = "P-"

_POSTCODE = re.compile(r"^\d{5}$")


# --------------------------------------------------------------------------- what is entered


@dataclass(frozen=True)
class NewCitizen:
    """A citizen typed in by the secrétaire (not yet in the base). Empty strings mean « not
    given »; ``organisation`` is the association's name or the company's raison sociale."""

    kind: CitizenKind = CitizenKind.PERSON
    last_name: str = ""
    first_name: str = ""
    organisation: str = ""
    rna: str = ""
    siret: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    postcode: str = ""
    city: str = ""

    def normalised(self) -> NewCitizen:
        """Spaces trimmed; SIRET and RNA as they are written on the wire (people type them
        with spaces: « 123 456 789 00012 »)."""
        return replace(
            self,
            last_name=self.last_name.strip(),
            first_name=self.first_name.strip(),
            organisation=self.organisation.strip(),
            rna=re.sub(r"\s", "", self.rna).upper(),
            siret=re.sub(r"\s", "", self.siret),
            email=self.email.strip(),
            phone=self.phone.strip(),
            address=self.address.strip(),
            postcode=self.postcode.strip(),
            city=self.city.strip(),
        )

    @property
    def display_name(self) -> str:
        return citizen_display_name(self.last_name, self.first_name, self.organisation)

    @property
    def postal_address(self) -> str:
        """One line as the server keeps it: « 3 rue des Lilas, 88700 Rambervillers » (the
        shape ``sync_store`` splits back into street, postcode and city)."""
        town = f"{self.postcode} {self.city}".strip()
        return ", ".join(part for part in (self.address, town) if part)


@dataclass(frozen=True)
class NewRequest:
    """A request as the secrétaire registers it. Exactly one of ``citizen_pk`` (an existing
    citizen of the commune) and ``new_citizen`` is given. ``received_at`` is the time of
    receipt: naive wall time of the commune (what the secrétaire typed), or an aware instant."""

    authority_pk: int
    procedure_pk: int
    channel: Channel
    received_at: datetime
    subject: str
    body: str = ""
    form_fields: Mapping[str, str] = field(default_factory=dict)
    citizen_pk: int | None = None
    new_citizen: NewCitizen | None = None


@dataclass(frozen=True)
class CitizenMatch:
    """An existing citizen offered while the secrétaire types a name."""

    pk: int
    kind: CitizenKind
    display_name: str
    email: str
    phone: str
    postcode: str
    city: str


# --------------------------------------------------------------------------- shared helpers


def _like(text: str) -> str:
    """``text`` for LIKE … ESCAPE '\\': a « % » or « _ » typed is a plain character."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def authority_ref(conn: sqlite3.Connection, authority_pk: int) -> tuple[str, bool]:
    """(id, shared): shared when the server knows the commune, i.e. the mutations about it
    are worth queuing. Raises ``StoreError`` when the commune is gone."""
    row = conn.execute(
        "SELECT id, version FROM authority WHERE pk = ? AND deleted = 0", (authority_pk,)
    ).fetchone()
    if row is None:
        raise StoreError("Cette commune n'existe plus dans la base locale.")
    return str(row[0]), server_may_know(conn, row[0], row[1])


#: Procedures offered for a commune: its own, and for a commune the server does not know,
#: the local ones of no commune (the demonstration's). The placeholder a pull puts on requests
#: without a procedure is never offered.
_PROCEDURE_SCOPE = (
    "deleted = 0 AND active = 1 AND (authority_pk = :authority "
    "OR (authority_pk IS NULL AND NOT :shared AND id != :placeholder))"
)


def _procedure_params(authority_pk: int, shared: bool) -> dict[str, Any]:
    return {"authority": authority_pk, "shared": shared, "placeholder": PLACEHOLDER_PROCEDURE_ID}


# --------------------------------------------------------------------------- reading


def procedures_for(conn: sqlite3.Connection, authority_pk: int) -> list[Choice]:
    """The démarches a request of this commune may be registered under, by name."""
    _id, shared = authority_ref(conn, authority_pk)
    return [
        Choice(pk, name)
        for pk, name in conn.execute(
            f"SELECT pk, name FROM procedure WHERE {_PROCEDURE_SCOPE} ORDER BY fold(name)",
            _procedure_params(authority_pk, shared),
        )
    ]


def find_citizens(
    conn: sqlite3.Connection, authority_pk: int, text: str, limit: int = 20
) -> list[CitizenMatch]:
    """Citizens of the commune matching what is typed, accents and case ignored.

    Names are matched first as a prefix of the folded display name, straight from the
    ``citizen_sort`` index (fast at 100,000 citizens); then, to fill the list, any citizen with
    a word of the name starting with each word typed (« sophie » finds « DURAND Sophie »), or
    whose e-mail starts with the text, or whose phone number holds its digits. In a commune
    shared with the server, only citizens the server knows (or will know) are offered: a request
    cannot point the server at a citizen it has never heard of.
    """
    folded = " ".join(fold(text).split())
    words = [w for w in _NAME_SEPARATORS.split(folded) if w]
    if sum(len(w) for w in words) < MIN_CITIZEN_SEARCH:
        return []
    _id, shared = authority_ref(conn, authority_pk)
    # The unary « + » keeps SQLite on the sort_key index (its order is the answer's order and
    # it stops at the limit) rather than reading every citizen of the commune.
    scope = "+c.authority_pk = ? AND c.deleted = 0"
    scope_params: list[Any] = [authority_pk]
    if shared:
        scope += (
            " AND (c.version > 0 OR c.id IN (SELECT row_id FROM sync_outbox WHERE name = ?)"
            " OR c.id IN (SELECT id FROM sync_resync))"
        )
        scope_params.append(MutationName.CITIZEN_UPSERT.value)
    found = conn.execute(
        f"SELECT {_MATCH_COLUMNS} FROM citizen c WHERE c.sort_key >= ? AND c.sort_key < ? "
        f"AND {scope} ORDER BY c.sort_key, c.pk LIMIT ?",
        [folded, folded + "\uffff", *scope_params, limit],
    ).fetchall()
    query = lookup_query(text)
    if len(found) < limit and query is not None:
        # Then every word typed starting a word of the name, the e-mail or the phone, from
        # the FTS5 index of migration citizen_file (a few ms at 50,000 citizens, where scanning the
        # commune with LIKE took tens).
        marks = ", ".join("?" * len(found))
        found += conn.execute(
            f"SELECT {_MATCH_COLUMNS} FROM citizen_lookup l JOIN citizen c ON c.pk = l.rowid "
            f"WHERE citizen_lookup MATCH ? AND {scope[1:]} AND c.pk NOT IN ({marks}) "
            "ORDER BY c.sort_key, c.pk LIMIT ?",
            [query, *scope_params, *(r[0] for r in found), limit - len(found)],
        ).fetchall()
    digits = re.sub(r"\D", "", text)
    if not found and len(digits) >= 4 and len(digits) * 2 >= len(text):
        # Digits from the middle of a number (« 22 10 ») are found too, by the phone key
        # (a scan of the commune: only when nothing starts with them).
        marks = ", ".join("?" * len(found))
        found += conn.execute(
            f"SELECT {_MATCH_COLUMNS} FROM citizen c INDEXED BY citizen_authority "
            f"WHERE c.phone_key LIKE ? AND {scope[1:]} AND c.pk NOT IN ({marks}) "
            "ORDER BY c.sort_key, c.pk LIMIT ?",
            [f"%{digits}%", *scope_params, *(r[0] for r in found), limit - len(found)],
        ).fetchall()
    return [
        CitizenMatch(int(r[0]), CitizenKind(r[1]), r[2], r[3], r[4], r[5], r[6]) for r in found
    ]


_MATCH_COLUMNS = "c.pk, c.kind, c.display_name, c.email, c.phone, c.postcode, c.city"
#: What separates the words of a name: « Jean-Pierre », « d'Arc ».
_NAME_SEPARATORS = re.compile(r"[\s'’-]+")


# --------------------------------------------------------------------------- checking


def request_problems(
    new: NewRequest, now: datetime, department: str | None = None
) -> list[str]:
    """Everything wrong with an entry, in French, one sentence each; empty when it can be
    registered as far as the entry alone tells (the commune, the démarche and an existing
    citizen are checked against the base by ``register_request``). Naive times are wall
    times of the commune of ``department``."""
    problems: list[str] = []
    if new.channel not in INTAKE_CHANNELS:
        problems.append(
            f"Les demandes « {CHANNEL_LABELS[new.channel]} » arrivent par le serveur, qui les "
            "date lui-même : elles ne se saisissent pas ici."
        )
    subject = new.subject.strip()
    if not subject:
        problems.append("L'objet de la demande est obligatoire.")
    elif len(subject) > MAX_SHORT:
        problems.append(f"L'objet compte {len(subject)} caractères : {MAX_SHORT} au plus.")
    if len(new.body.strip()) > MAX_DESCRIPTION:
        problems.append("La description dépasse 20 000 caractères : joignez plutôt le document.")
    received = as_instant(new.received_at, department).replace(microsecond=0)
    now = as_instant(now, department)
    if received > now:
        problems.append("La date de réception ne peut pas être dans le futur.")
    elif received < now - OLDEST_RECEIPT:
        problems.append("La date de réception remonte à plus d'un an : vérifiez l'année.")
    if (new.citizen_pk is None) == (new.new_citizen is None):
        problems.append("Choisissez un usager existant ou saisissez un nouvel usager.")
    elif new.new_citizen is not None:
        problems += citizen_problems(new.new_citizen.normalised())
    return problems


#: The name a citizen of each kind cannot go without.
_NAME_REQUIRED = {
    CitizenKind.PERSON: "Le nom de l'usager est obligatoire.",
    CitizenKind.ASSOCIATION: "Le nom de l'association est obligatoire.",
    CitizenKind.COMPANY: "La raison sociale de l'entreprise est obligatoire.",
}


def _email_ok(value: str) -> bool:
    """The server's strict rule (shared in ``sync.protocol.addresses``): refused here, offline,
    exactly what the server would refuse at the next sync."""
    try:
        check_address(value)
    except AddressError:
        return False
    return True


def citizen_problems(citizen: NewCitizen) -> list[str]:
    """What is wrong with a (normalised) new citizen: the server's identity rules for the back
    office (``server.services.citizens``, non-strict) plus a name for every kind."""
    problems: list[str] = []
    name = citizen.last_name if citizen.kind is CitizenKind.PERSON else citizen.organisation
    if not name:
        problems.append(_NAME_REQUIRED[citizen.kind])
    for label, value in (
        ("Le nom", citizen.last_name),
        ("Le prénom", citizen.first_name),
        ("Le nom de l'organisme", citizen.organisation),
    ):
        if len(value) > MAX_SHORT:
            problems.append(f"{label} dépasse {MAX_SHORT} caractères.")
    if citizen.email and (len(citizen.email) > MAX_EMAIL or not _email_ok(citizen.email)):
        problems.append(f"L'adresse électronique « {citizen.email} » n'est pas valide.")
    if citizen.phone and len(citizen.phone) > MAX_PHONE:
        problems.append(f"Le numéro de téléphone compte plus de {MAX_PHONE} caractères.")
    elif wrong_phone := phone_problem(citizen.phone):
        problems.append(wrong_phone)
    if citizen.siret and not re.fullmatch(r"\d{14}", citizen.siret):
        problems.append("Le SIRET doit compter 14 chiffres.")
    elif citizen.siret and not siret_is_valid(citizen.siret):
        problems.append(
            f"Le SIRET « {citizen.siret} » est invalide (clé de contrôle incorrecte)."
        )
    if citizen.rna and not rna_is_valid(citizen.rna):
        problems.append("Le numéro RNA s'écrit W suivi de 9 chiffres (W123456789).")
    if citizen.postcode and not _POSTCODE.match(citizen.postcode):
        problems.append("Le code postal compte 5 chiffres.")
    if len(citizen.postal_address) > MAX_POSTAL_ADDRESS:
        problems.append(f"L'adresse dépasse {MAX_POSTAL_ADDRESS} caractères.")
    return problems


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class _CitizenRef:
    pk: int
    id: str
    #: The identity to send with ``citizen.upsert`` when the citizen was created here.
    created: NewCitizen | None = None


def authority_department(conn: sqlite3.Connection, authority_pk: int | None) -> str | None:
    """The commune's department, which gives its legal time zone (None when unknown)."""
    row = conn.execute(
        "SELECT department FROM authority WHERE pk = ?", (authority_pk or 0,)
    ).fetchone()
    return str(row[0]) if row else None


def register_request(
    conn: sqlite3.Connection,
    new: NewRequest,
    *,
    agent_id: str | None,
    now: datetime | None = None,
    then: Callable[[int], None] | None = None,
) -> int:
    """Registers the request (and its new citizen) and queues it for the server; returns the
    request's pk. Raises ``StoreError`` with French sentences, and then nothing is written.

    ``then(pk)`` runs inside the same transaction once the request exists (a mail's
    attachments and Message-ID): if it raises, nothing at all is registered."""
    department = authority_department(conn, new.authority_pk)
    now = as_instant(now or utc_now(), department).replace(microsecond=0)
    problems = request_problems(new, now, department)
    if problems:
        raise StoreError("\n".join(problems))
    received_at = as_instant(new.received_at, department).replace(microsecond=0)
    try:
        with transaction(conn):
            authority_id, shared = authority_ref(conn, new.authority_pk)
            citizen = _citizen(conn, new, shared)
            # Checked after the citizen is written, inside the same transaction: a refusal
            # here must (and does) take the new citizen back with it.
            procedure_id = _procedure_id(conn, new.procedure_pk, new.authority_pk, shared)
            year = in_zone(received_at, department).year  # the commune's year, not UTC's
            number = _next_number(conn, new.authority_pk, authority_id, year, shared)
            request_id = new_id()
            pk = _insert_request(conn, new, request_id, number, received_at, citizen.pk)
            created = DomainEvent(EventKind.CREATED, now, agent_id, {"channel": new.channel.value})
            insert_event(conn, pk, created)
            default_service(conn, pk, new.procedure_pk, new.authority_pk, agent_id, now)
            refresh_due(conn, pk)
            if shared:
                _enqueue(conn, new, request_id, authority_id, procedure_id, citizen, received_at)
            if then is not None:
                then(pk)
    except sqlite3.Error as exc:
        raise StoreError(
            f"La demande n'a pas pu être enregistrée dans la base locale ({exc}). "
            "Rien n'a été enregistré ; réessayez."
        ) from exc
    return pk


#: The history line's words when a new request goes to its procedure's default service.
BY_DEFAULT = "service par défaut de la démarche"


def default_service(
    conn: sqlite3.Connection, request_pk: int, procedure_pk: int | None, authority_pk: int,
    agent_id: str | None, at: datetime,
) -> str | None:
    """A new request of a procedure that names a default service goes to that service, while
    it is an active service of the commune: the server applies the same rule when it creates
    the request (``server.services.requests``), so nothing is queued for it and the server's
    « assigned » event takes the place of this one at the pull. Returns the service's id."""
    if procedure_pk is None:
        return None
    row = conn.execute(
        "SELECT s.id, s.name FROM procedure p JOIN service s ON s.id = p.default_service_id "
        "WHERE p.pk = ? AND s.authority_pk = ? AND s.active = 1 AND s.deleted = 0",
        (procedure_pk, authority_pk),
    ).fetchone()
    if row is None:
        return None
    conn.execute("UPDATE request SET assigned_service_id = ? WHERE pk = ? "
                 "AND assigned_service_id IS NULL", (row[0], request_pk))
    insert_event(conn, request_pk, DomainEvent(EventKind.ASSIGNED, at, agent_id, {
        "assignee_id": None, "service_id": row[0], "reason": "", "by_default": True,
        "service_name": row[1]}))
    return str(row[0])


def _citizen(conn: sqlite3.Connection, new: NewRequest, shared: bool) -> _CitizenRef:
    if new.new_citizen is not None:
        citizen = new.new_citizen.normalised()
        citizen_id = new_id()
        return _CitizenRef(_insert_citizen(conn, new.authority_pk, citizen_id, citizen),
                           citizen_id, citizen)
    row = conn.execute(
        "SELECT pk, id, version, authority_pk FROM citizen WHERE pk = ? AND deleted = 0",
        (new.citizen_pk,),
    ).fetchone()
    if row is None or row["authority_pk"] != new.authority_pk:
        raise StoreError("Cet usager est introuvable dans cette commune.")
    if shared and not server_may_know(conn, row["id"], row["version"]):
        raise StoreError(
            "Cet usager n'est pas connu du serveur : saisissez-le comme nouvel usager."
        )
    return _CitizenRef(int(row["pk"]), str(row["id"]))


def _insert_citizen(
    conn: sqlite3.Connection, authority_pk: int, citizen_id: str, c: NewCitizen
) -> int:
    display = c.display_name
    cur = conn.execute(
        """INSERT INTO citizen (id, authority_pk, kind, last_name, first_name, organisation,
               rna, siret, email, phone, address, postcode, city, display_name, sort_key)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            citizen_id, authority_pk, c.kind.value, c.last_name, c.first_name, c.organisation,
            c.rna, c.siret, c.email, c.phone, c.address, c.postcode, c.city, display,
            fold(display),
        ),
    )
    return int(cur.lastrowid or 0)


def _procedure_id(
    conn: sqlite3.Connection, procedure_pk: int, authority_pk: int, shared: bool
) -> str:
    row = conn.execute(
        f"SELECT id, version FROM procedure WHERE pk = :pk AND {_PROCEDURE_SCOPE}",
        {"pk": procedure_pk, **_procedure_params(authority_pk, shared)},
    ).fetchone()
    if row is None:
        raise StoreError("Cette démarche n'est pas proposée par cette commune.")
    if shared and not server_may_know(conn, row[0], row[1]):
        raise StoreError("Cette démarche n'est pas encore connue du serveur.")
    return str(row[0])


def _next_number(
    conn: sqlite3.Connection, authority_pk: int, authority_id: str, year: int, shared: bool
) -> str:
    """The number the request shows until the server numbers it.

    Shared commune: « P-2026-0001 », from a counter kept in ``setting`` so that a number
    already replaced by the server's is never handed out again on this PC (it may have been
    written on the letter). Local-only commune: the next « 2026-000124 », as the server would.
    """
    if not shared:
        low, high = f"{year}-000000", f"{year}-999999"
        (last,) = conn.execute(
            "SELECT MAX(number) FROM request WHERE authority_pk = ? AND number BETWEEN ? AND ?",
            (authority_pk, low, high),
        ).fetchone()
        return f"{year}-{int(last[5:]) + 1 if last else 1:06d}"
    prefix = f"{PROVISIONAL_PREFIX}{year}-"
    key = f"provisional_number:{authority_id}:{year}"
    counted = conn.execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
    (shown,) = conn.execute(
        "SELECT MAX(CAST(substr(number, ?) AS INTEGER)) FROM request "
        "WHERE authority_pk = ? AND number >= ? AND number < ?",
        (len(prefix) + 1, authority_pk, prefix, prefix + "\uffff"),
    ).fetchone()
    following = max(int(counted[0]) if counted else 0, int(shown or 0)) + 1
    conn.execute(
        "INSERT INTO setting (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, str(following)),
    )
    return f"{prefix}{following:04d}"


def _insert_request(
    conn: sqlite3.Connection,
    new: NewRequest,
    request_id: str,
    number: str,
    received_at: datetime,
    citizen_pk: int,
) -> int:
    cur = conn.execute(
        """INSERT INTO request (id, authority_pk, number, received_at, channel, citizen_pk,
               procedure_pk, subject, body, form_fields, status)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            request_id, new.authority_pk, number, iso(received_at), new.channel.value,
            citizen_pk, new.procedure_pk, new.subject.strip(), new.body.strip(),
            json.dumps(dict(new.form_fields), ensure_ascii=False), Status.RECEIVED.value,
        ),
    )
    return int(cur.lastrowid or 0)


def wire_citizen(c: NewCitizen) -> CitizenFields:
    """The identity as ``citizen.upsert`` carries it (absent values are null on the wire)."""
    return CitizenFields(
        kind=c.kind,
        last_name=c.last_name or None,
        first_name=c.first_name or None,
        organisation_name=c.organisation or None,
        rna_number=c.rna or None,
        siret=c.siret or None,
        email=c.email or None,
        phone=c.phone or None,
        postal_address=c.postal_address or None,
    )


def _enqueue(
    conn: sqlite3.Connection,
    new: NewRequest,
    request_id: str,
    authority_id: str,
    procedure_id: str,
    citizen: _CitizenRef,
    received_at: datetime,
) -> None:
    """The citizen first (the server refuses a request naming a citizen it does not have),
    then the request, with the receipt date the agent typed and its time zone."""
    if citizen.created is not None:
        upsert = CitizenUpsertArgs(
            id=UUID(citizen.id), authority_id=UUID(authority_id),
            fields=wire_citizen(citizen.created),
        )
        enqueue(conn, MutationName.CITIZEN_UPSERT, upsert, 0)
    create = RequestCreateArgs(
        id=UUID(request_id),
        authority_id=UUID(authority_id),
        channel=new.channel,
        subject=new.subject.strip(),
        description=new.body.strip(),
        procedure_id=UUID(procedure_id),
        citizen_id=UUID(citizen.id),
        received_at=received_at,
        form_fields=dict(new.form_fields),
    )
    enqueue(conn, MutationName.REQUEST_CREATE, create, 0)
