"""The phone call log: « logs a call in seconds (caller, number, motive, duration), finds or
creates the citizen, and turns the call into a request when needed » (DESIGN.md, Phone intake).

A call is written to the local base at once and, when its commune is shared with the server,
queued as ``phone_call.add`` in the SAME transaction: a crash can never keep the call without
its mutation or the reverse. Finding the citizen and turning the call into a request are the
intake's job (``desktop.store.intake``: ``find_citizens``, ``register_request``); the dialog
chains them and this module only records the call and reads calls back for display.

The server refuses a call that names a citizen or a request it has never heard of, and a refused
mutation is a call lost for the other PCs. So a link to a purely local row is kept here but left
out of the mutation: the call reaches the server, unlinked, rather than not at all.

No Qt, no HTTP.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from desktop.domain.legal_time import as_instant, in_zone, parse_stored, utc_now
from desktop.domain.phone import phone_problem
from desktop.domain.text import citizen_display_name, fold
from desktop.store.database import StoreError, transaction
from desktop.store.ids import iso, new_id
from desktop.store.intake import (
    MAX_DESCRIPTION,
    MAX_PHONE,
    MAX_SHORT,
    CitizenMatch,
    NewCitizen,
    authority_ref,
    find_citizens,
)
from desktop.store.outbox import enqueue, server_may_know
from sync.protocol.reference import request_reference
from sync.protocol.wire import MutationName, PhoneCallAddArgs

#: The wire's limits (``PhoneCallAddArgs``), checked here so a local-only call obeys the same
#: rules as a shared one, with a French sentence instead of a refusal hours later.
MAX_CALLER = MAX_SHORT
MAX_MOTIVE = MAX_DESCRIPTION
MAX_DURATION = 24 * 3600
#: Courtesy titles said before a name on the phone; they are not part of the citizen's name.
_CIVILITIES = frozenset({"m", "m.", "mr", "mme", "mlle", "monsieur", "madame", "mademoiselle"})


@dataclass(frozen=True, kw_only=True)
class NewCall:
    """A call as the agent logs it. ``called_at`` is when it started: an aware instant, or
    naive wall time of the commune (what the agent reads on the dialog); ``citizen_pk`` and
    ``request_pk`` are optional links to rows of the same commune."""

    authority_pk: int
    caller_name: str
    phone_number: str = ""
    motive: str = ""
    duration_seconds: int = 0
    called_at: datetime
    citizen_pk: int | None = None
    request_pk: int | None = None

    def normalised(self) -> NewCall:
        """Spaces trimmed, the time to the second (the server and the screen never show less)."""
        return replace(
            self,
            caller_name=self.caller_name.strip(),
            phone_number=self.phone_number.strip(),
            motive=self.motive.strip(),
            called_at=self.called_at.replace(microsecond=0),
        )


@dataclass(frozen=True)
class CallView:
    """A logged call as the detail pane and the call log show it."""

    pk: int
    caller_name: str
    phone_number: str
    motive: str
    duration_seconds: int
    called_at: datetime
    agent: str
    authority: str
    request_pk: int | None
    request_number: str | None


@dataclass(frozen=True)
class RequestLink:
    """What the dialog needs of a request a call may be attached to."""

    pk: int
    #: The reference shown (« 67348-2026-000165 »).
    number: str
    subject: str
    authority_pk: int
    citizen_pk: int


# --------------------------------------------------------------------------- checking


def call_problems(call: NewCall, now: datetime, department: str | None = None) -> list[str]:
    """Everything wrong with a call, in French, one sentence each; empty when it can be logged
    as far as the entry alone tells (its links are checked against the base by ``log_call``).
    Naive times are wall times of the commune of ``department``."""
    call = call.normalised()
    problems: list[str] = []
    if not call.caller_name:
        problems.append("Le nom de l'appelant est obligatoire.")
    elif len(call.caller_name) > MAX_CALLER:
        problems.append(
            f"Le nom de l'appelant compte {len(call.caller_name)} caractères : "
            f"{MAX_CALLER} au plus."
        )
    if len(call.phone_number) > MAX_PHONE:
        problems.append(
            f"Le numéro de téléphone compte {len(call.phone_number)} caractères : "
            f"{MAX_PHONE} au plus."
        )
    elif wrong_phone := phone_problem(call.phone_number):
        problems.append(wrong_phone)
    if len(call.motive) > MAX_MOTIVE:
        problems.append("Le motif dépasse 20 000 caractères : résumez-le.")
    if not 0 <= call.duration_seconds <= MAX_DURATION:
        problems.append("La durée de l'appel doit être comprise entre 0 et 24 heures.")
    if as_instant(call.called_at, department) > as_instant(now, department).replace(
        microsecond=0
    ):
        problems.append("L'heure de l'appel ne peut pas être dans le futur.")
    return problems


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class _Linked:
    pk: int
    id: str
    #: Whether the server has (or will have) the row: only then may the mutation name it.
    shared: bool


def log_call(
    conn: sqlite3.Connection, call: NewCall, *, agent_id: str | None, now: datetime | None = None
) -> int:
    """Writes the call and, for a commune the server knows, queues ``phone_call.add`` in the
    same transaction; returns the call's pk. Raises ``StoreError`` with French sentences, and
    then nothing is written."""
    department = _department(conn, call.authority_pk)
    problems = call_problems(call, now or utc_now(), department)
    if problems:
        raise StoreError("\n".join(problems))
    call = replace(call.normalised(), called_at=as_instant(call.called_at, department))
    try:
        with transaction(conn):
            authority_id, shared = authority_ref(conn, call.authority_pk)
            citizen = _link(conn, "citizen", call.citizen_pk, call.authority_pk)
            request = _link(conn, "request", call.request_pk, call.authority_pk)
            call_id = new_id()
            pk = _insert(conn, call, call_id, agent_id)
            if shared:
                _enqueue(conn, call, call_id, authority_id, citizen, request)
    except sqlite3.Error as exc:
        raise StoreError(
            f"L'appel n'a pas pu être enregistré dans la base locale ({exc}). "
            "Rien n'a été enregistré ; réessayez."
        ) from exc
    return pk


_LINK_NAMES = {"citizen": "Cet usager", "request": "Cette demande"}


def _link(
    conn: sqlite3.Connection, table: str, pk: int | None, authority_pk: int
) -> _Linked | None:
    """The linked citizen or request, which must exist in the call's commune (the server
    checks the same)."""
    if pk is None:
        return None
    row = conn.execute(
        f"SELECT pk, id, version, authority_pk FROM {table} WHERE pk = ? AND deleted = 0", (pk,)
    ).fetchone()
    if row is None or row[3] != authority_pk:
        raise StoreError(f"{_LINK_NAMES[table]} est introuvable dans cette commune.")
    return _Linked(int(row[0]), str(row[1]), _server_will_know(conn, row[1], row[2]))


def _server_will_know(conn: sqlite3.Connection, row_id: str, version: int) -> bool:
    """``server_may_know`` minus the rows whose creation the server refused: those will never
    exist there, and naming them would get the whole call refused."""
    if version > 0:
        return True
    if not server_may_know(conn, row_id, version):
        return False
    refused = conn.execute(
        "SELECT 1 FROM sync_outbox WHERE row_id = ? AND state = 'rejected' AND name IN (?, ?)",
        (row_id, MutationName.REQUEST_CREATE.value, MutationName.CITIZEN_UPSERT.value),
    ).fetchone()
    return refused is None


def _department(conn: sqlite3.Connection, authority_pk: int) -> str | None:
    row = conn.execute("SELECT department FROM authority WHERE pk = ?", (authority_pk,)).fetchone()
    return str(row[0]) if row else None


def _insert(conn: sqlite3.Connection, call: NewCall, call_id: str, agent_id: str | None) -> int:
    cur = conn.execute(
        """INSERT INTO phone_call (id, authority_pk, citizen_pk, request_pk, caller_name,
               phone_number, motive, duration_seconds, called_at, agent_pk)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT pk FROM agent WHERE id = ?))""",
        (
            call_id, call.authority_pk, call.citizen_pk, call.request_pk, call.caller_name,
            call.phone_number, call.motive, call.duration_seconds, iso(call.called_at),
            agent_id,
        ),
    )
    return int(cur.lastrowid or 0)


def _enqueue(
    conn: sqlite3.Connection,
    call: NewCall,
    call_id: str,
    authority_id: str,
    citizen: _Linked | None,
    request: _Linked | None,
) -> None:
    """The call as the server takes it: the instant it started with its time zone (the server
    refuses a naive time), links only to rows it knows."""

    def shared_id(linked: _Linked | None) -> UUID | None:
        return UUID(linked.id) if linked is not None and linked.shared else None

    args = PhoneCallAddArgs(
        id=UUID(call_id),
        authority_id=UUID(authority_id),
        caller_name=call.caller_name,
        phone_number=call.phone_number or None,
        motive=call.motive,
        duration_seconds=call.duration_seconds,
        called_at=as_instant(call.called_at),
        citizen_id=shared_id(citizen),
        request_id=shared_id(request),
    )
    enqueue(conn, MutationName.PHONE_CALL_ADD, args, 0)


# --------------------------------------------------------------------------- reading

_VIEW_SQL = """
SELECT pc.pk, pc.caller_name, pc.phone_number, pc.motive, pc.duration_seconds, pc.called_at,
       COALESCE(ag.display_name, ''), au.name, r.pk, r.number, au.department, au.insee_code
FROM phone_call pc
JOIN authority au ON au.pk = pc.authority_pk
LEFT JOIN agent ag ON ag.pk = pc.agent_pk
LEFT JOIN request r ON r.pk = pc.request_pk AND r.deleted = 0
"""


def _view(row: Sequence[object]) -> CallView:
    pk, caller, number, motive, duration, called_at, agent, authority, request_pk, request = row[
        :10
    ]
    return CallView(
        pk=int(pk),  # type: ignore[call-overload]
        caller_name=str(caller),
        phone_number=str(number),
        motive=str(motive),
        duration_seconds=int(duration),  # type: ignore[call-overload]
        # In the commune's zone, like every instant the bannette shows.
        called_at=in_zone(parse_stored(str(called_at)), str(row[10])),
        agent=str(agent),
        authority=str(authority),
        request_pk=int(request_pk) if request_pk is not None else None,  # type: ignore[call-overload]
        request_number=(
            request_reference(str(row[11] or ""), str(request)) if request is not None else None
        ),
    )


def calls_for_request(conn: sqlite3.Connection, request_pk: int) -> list[CallView]:
    """The calls about a request, oldest first (read like its history)."""
    return [
        _view(r)
        for r in conn.execute(
            f"{_VIEW_SQL} WHERE pc.request_pk = ? AND pc.deleted = 0 "
            "ORDER BY pc.called_at, pc.pk",
            (request_pk,),
        )
    ]


def recent_calls(
    conn: sqlite3.Connection, authority_pks: Sequence[int] | None = None, limit: int = 50
) -> list[CallView]:
    """The latest calls, newest first; of some communes only when ``authority_pks`` is given."""
    where, params = "pc.deleted = 0", []
    if authority_pks is not None:
        if not authority_pks:
            return []
        where += f" AND pc.authority_pk IN ({', '.join('?' * len(authority_pks))})"
        params = [int(pk) for pk in authority_pks]
    return [
        _view(r)
        for r in conn.execute(
            f"{_VIEW_SQL} WHERE {where} ORDER BY pc.called_at DESC, pc.pk DESC LIMIT ?",
            [*params, limit],
        )
    ]


def request_link(conn: sqlite3.Connection, request_pk: int) -> RequestLink | None:
    """The request a call may be attached to, or None when it is gone."""
    row = conn.execute(
        "SELECT r.pk, r.number, r.subject, r.authority_pk, r.citizen_pk, a.insee_code "
        "FROM request r JOIN authority a ON a.pk = r.authority_pk "
        "WHERE r.pk = ? AND r.deleted = 0",
        (request_pk,),
    ).fetchone()
    if row is None:
        return None
    return RequestLink(
        int(row[0]), request_reference(str(row[5] or ""), str(row[1])), str(row[2]), int(row[3]),
        int(row[4]),
    )


# --------------------------------------------------------------------------- to a request


def citizen_from_caller(caller_name: str, phone_number: str = "") -> NewCitizen:
    """The caller as a new citizen, for « Enregistrer et créer une demande… ».

    On the phone a name comes as « Madame Éloïse NOËL » or « Jean Dupont »: the courtesy title
    goes, words in capitals are the surname, otherwise the first word is the first name and the
    rest the surname (« Jean de La Fontaine »). The intake form shows both fields for the agent
    to correct; it is a starting point, not a rule.
    """
    words = caller_name.split()
    while len(words) > 1 and words[0].casefold() in _CIVILITIES:
        words = words[1:]
    capitals = [w for w in words if sum(c.isalpha() for c in w) > 1 and w.isupper()]
    if capitals and len(capitals) < len(words):
        last, first = capitals, [w for w in words if w not in capitals]
    elif len(words) > 1:
        last, first = words[1:], words[:1]
    else:
        last, first = words, []
    return NewCitizen(
        last_name=" ".join(last), first_name=" ".join(first), phone=phone_number.strip()
    )


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def caller_on_file(
    conn: sqlite3.Connection, authority_pk: int, caller_name: str, phone_number: str = ""
) -> CitizenMatch | None:
    """The commune's citizen the caller is, when the name says so without doubt.

    A call turned into a request must not create the caller a second time: « Madame Éloïse
    NOËL » is « NOËL Éloïse » of the commune when she is the only one of that name (and, when
    both numbers are known, of that number). Several, or none: None, the agent decides."""
    caller = citizen_from_caller(caller_name, phone_number)
    name = citizen_display_name(caller.last_name, caller.first_name, "")
    wanted = sorted(fold(name).split())
    phone = _digits(phone_number)
    same = [
        match
        for match in find_citizens(conn, authority_pk, name)
        if sorted(fold(match.display_name).split()) == wanted
        and not (phone and _digits(match.phone) and _digits(match.phone) != phone)
    ]
    return same[0] if len(same) == 1 else None
