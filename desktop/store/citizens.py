"""The citizen's file (« Usager »): identity, duplicates, merge, and the whole story.

- ``search_citizens``: look-up as you type over every commune of the base (names, e-mails,
  phone numbers), through the ``citizen_lookup`` FTS5 index (accents ignored, each word typed
  is a prefix), so it stays well under 30 ms at 50,000 citizens (bench/citizen_lookup.py).
- ``find_duplicates``: a citizen with the same e-mail, phone (normalised), SIRET, RNA or name
  + address (accents, case and punctuation ignored) in the same commune; indexed keys kept by
  triggers (migration citizen_file).
- ``update_citizen``: an edited identity, checked like at the intake, queued as
  ``citizen.upsert`` with the values it replaced (the server merges field by field).
- ``merge_citizens``: the absorbed citizen's requests and calls move to the survivor at once
  (optimistic), the absorbed row becomes a tombstone pointing to it, and ``citizen.merge`` is
  queued; what to put back is kept until the server answers (``undo_pending_merge``).
- ``citizen_story``: requests, calls, messages and documents of the citizen, and of the same
  person's records in the other communes the agent sees (same e-mail, phone, SIRET or RNA),
  newest first.

No Qt, no HTTP.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from desktop.domain.legal_time import in_zone, parse_stored
from desktop.domain.phone import phone_key
from desktop.domain.text import fold, identity_key
from desktop.store.citizen_lookup import lookup_query
from desktop.store.database import StoreError, transaction
from desktop.store.intake import (
    CitizenMatch,
    NewCitizen,
    authority_ref,
    citizen_problems,
    wire_citizen,
)
from desktop.store.outbox import enqueue, server_may_know
from desktop.store.phone_calls import _VIEW_SQL as _CALL_SQL
from desktop.store.phone_calls import CallView
from desktop.store.phone_calls import _view as _call_view
from sync.protocol.reference import request_reference
from sync.protocol.vocabulary import CitizenKind, Status
from sync.protocol.wire import CitizenMergeArgs, CitizenUpsertArgs, MutationName

#: The identity columns of the local ``citizen`` table, in the order the file shows them.
IDENTITY_COLUMNS: tuple[str, ...] = (
    "kind",
    "last_name",
    "first_name",
    "organisation",
    "rna",
    "siret",
    "email",
    "phone",
    "address",
    "postcode",
    "city",
)
#: What the merge dialog lets the agent choose, field by field (the address is one choice:
#: street, postcode and town go together), with its French label.
MERGE_CHOICES: dict[str, str] = {
    "kind": "Type d'usager",
    "last_name": "Nom",
    "first_name": "Prénom",
    "organisation": "Raison sociale / association",
    "rna": "N° RNA",
    "siret": "SIRET",
    "email": "Courriel",
    "phone": "Téléphone",
    "address": "Adresse",
}
_CHOICE_COLUMNS: dict[str, tuple[str, ...]] = {
    **{name: (name,) for name in MERGE_CHOICES},
    "address": ("address", "postcode", "city"),
}
Side = Literal["survivor", "absorbed"]
#: Citizens a request points at when the server sent none (``sync_store``): never offered.
_PLACEHOLDER_KEY = fold("(usager non renseigné)")


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class CitizenRecord:
    """One citizen as the store holds them."""

    pk: int
    id: str
    authority_pk: int
    authority: str
    department: str
    version: int
    display_name: str
    identity: NewCitizen
    deleted: bool = False
    merged_into_pk: int | None = None

    @property
    def kind(self) -> CitizenKind:
        return self.identity.kind


_RECORD_SQL = f"""
SELECT c.pk, c.id, c.authority_pk, a.name, a.department, c.version, c.display_name,
       c.deleted, c.merged_into_pk, {", ".join("c." + col for col in IDENTITY_COLUMNS)}
FROM citizen c JOIN authority a ON a.pk = c.authority_pk
"""


def _record(row: Sequence[Any]) -> CitizenRecord:
    identity = dict(zip(IDENTITY_COLUMNS, row[9:], strict=True))
    identity["kind"] = CitizenKind(identity["kind"])
    return CitizenRecord(
        pk=int(row[0]),
        id=str(row[1]),
        authority_pk=int(row[2]),
        authority=str(row[3]),
        department=str(row[4]),
        version=int(row[5]),
        display_name=str(row[6]),
        deleted=bool(row[7]),
        merged_into_pk=row[8],
        identity=NewCitizen(**identity),
    )


def resolve_citizen(conn: sqlite3.Connection, pk: int) -> int:
    """The citizen that stands for ``pk`` now: itself, or the survivor it was merged into."""
    for _ in range(8):
        row = conn.execute("SELECT merged_into_pk FROM citizen WHERE pk = ?", (pk,)).fetchone()
        if row is None or row[0] is None:
            return pk
        pk = int(row[0])
    return pk


def load_citizen(conn: sqlite3.Connection, pk: int) -> CitizenRecord:
    """The citizen (or, for a merged one, its survivor). Raises ``StoreError`` when gone."""
    row = conn.execute(f"{_RECORD_SQL} WHERE c.pk = ?", (resolve_citizen(conn, pk),)).fetchone()
    if row is None or row[7]:
        raise StoreError("Cet usager n'existe plus dans la base locale.")
    return _record(row)


def citizen_match(conn: sqlite3.Connection, pk: int) -> CitizenMatch:
    """The citizen as the intake's search lists them (to choose one a banner pointed at)."""
    record = load_citizen(conn, pk)
    c = record.identity
    return CitizenMatch(
        record.pk, c.kind, record.display_name, c.email, c.phone, c.postcode, c.city
    )


def citizen_of_request(conn: sqlite3.Connection, request_pk: int) -> int | None:
    row = conn.execute("SELECT citizen_pk FROM request WHERE pk = ?", (request_pk,)).fetchone()
    return resolve_citizen(conn, int(row[0])) if row else None


# --------------------------------------------------------------------------- look-up


@dataclass(frozen=True)
class CitizenHit(CitizenMatch):
    """A citizen found by the « Usagers » look-up, with their commune."""

    authority: str = ""


#: FTS5 first, then the citizen rows it names, in the order of the name (the index of the
#: name gives that order cheaply for the few hundred rows a prefix finds).
LOOKUP_SQL = """
SELECT c.pk, c.kind, c.display_name, c.email, c.phone, c.postcode, c.city, a.name
FROM citizen_lookup l
JOIN citizen c ON c.pk = l.rowid
JOIN authority a ON a.pk = c.authority_pk
WHERE citizen_lookup MATCH ? AND c.deleted = 0 AND c.sort_key != ?
ORDER BY c.sort_key, c.pk
LIMIT ?
"""


def search_citizens(conn: sqlite3.Connection, text: str, limit: int = 30) -> list[CitizenHit]:
    """Citizens of every commune of the base matching what is typed, by name."""
    query = lookup_query(text)
    if query is None:
        return []
    return [
        CitizenHit(int(r[0]), CitizenKind(r[1]), *(str(v) for v in r[2:]))
        for r in conn.execute(LOOKUP_SQL, (query, _PLACEHOLDER_KEY, limit))
    ]


# --------------------------------------------------------------------------- duplicates


@dataclass(frozen=True)
class Duplicate:
    """Another citizen of the commune who may be the same person, and why."""

    pk: int
    display_name: str
    email: str
    phone: str
    reasons: tuple[str, ...]

    def describe(self) -> str:
        """« DURAND Sophie (même courriel, même téléphone) »."""
        return f"{self.display_name} ({', '.join(self.reasons)})"


#: The rules, each an indexed column of ``citizen`` and the words that explain the match.
_DUPLICATE_RULES: tuple[tuple[str, str], ...] = (
    ("email_key", "même courriel"),
    ("phone_key", "même téléphone"),
    ("siret", "même SIRET"),
    ("rna", "même n° RNA"),
    ("identity_key", "même nom et même adresse"),
)


def duplicate_keys(citizen: NewCitizen) -> dict[str, str]:
    """The keys of an identity, as the triggers of migration citizen_file compute them."""
    c = citizen.normalised()
    return {
        "email_key": c.email.lower(),
        "phone_key": phone_key(c.phone),
        "siret": c.siret,
        "rna": c.rna,
        "identity_key": identity_key(c.display_name, c.address, c.postcode),
    }


def find_duplicates(
    conn: sqlite3.Connection,
    authority_pk: int,
    citizen: NewCitizen,
    *,
    exclude_pk: int | None = None,
    limit: int = 5,
) -> list[Duplicate]:
    """Citizens of the commune who may be this one: same e-mail, phone (normalised), SIRET,
    RNA, or name + address. One indexed look-up per rule; the strongest matches first (most
    reasons). Never blocks anything: the dialogs only show a banner."""
    keys = duplicate_keys(citizen)
    reasons: dict[int, list[str]] = {}
    for column, why in _DUPLICATE_RULES:
        value = keys[column]
        if not value:
            continue
        for (pk,) in conn.execute(
            f"SELECT pk FROM citizen WHERE {column} = ? AND authority_pk = ? AND deleted = 0 "
            "AND pk IS NOT ? LIMIT ?",
            (value, authority_pk, exclude_pk, limit),
        ):
            reasons.setdefault(int(pk), []).append(why)
    found: list[Duplicate] = []
    for pk, all_why in sorted(reasons.items(), key=lambda item: (-len(item[1]), item[0]))[:limit]:
        row = conn.execute(
            "SELECT display_name, email, phone FROM citizen WHERE pk = ?", (pk,)
        ).fetchone()
        found.append(Duplicate(pk, str(row[0]), str(row[1]), str(row[2]), tuple(all_why)))
    return found


# --------------------------------------------------------------------------- editing


def _write_identity(conn: sqlite3.Connection, pk: int, c: NewCitizen) -> None:
    display = c.display_name
    conn.execute(
        f"UPDATE citizen SET {', '.join(f'{col} = ?' for col in IDENTITY_COLUMNS)}, "
        "display_name = ?, sort_key = ? WHERE pk = ?",
        (*(_value(c, col) for col in IDENTITY_COLUMNS), display, fold(display), pk),
    )


def _value(c: NewCitizen, column: str) -> str:
    value = getattr(c, column)
    return str(value.value if isinstance(value, CitizenKind) else value)


def _changed_columns(before: NewCitizen, after: NewCitizen) -> list[str]:
    return [col for col in IDENTITY_COLUMNS if _value(before, col) != _value(after, col)]


def _wire_values(c: NewCitizen) -> dict[str, Any]:
    return wire_citizen(c).model_dump(mode="json")


def update_citizen(conn: sqlite3.Connection, pk: int, citizen: NewCitizen) -> list[str]:
    """Saves an edited identity (offline) and queues ``citizen.upsert`` with the values it
    replaced; returns the columns changed. Raises ``StoreError`` (French) on a bad identity,
    and then nothing is written."""
    new = citizen.normalised()
    problems = citizen_problems(new)
    if problems:
        raise StoreError("\n".join(problems))
    with transaction(conn):
        record = load_citizen(conn, pk)
        changed = _changed_columns(record.identity, new)
        if not changed:
            return []
        _write_identity(conn, record.pk, new)
        authority_id, shared = authority_ref(conn, record.authority_pk)
        if shared and server_may_know(conn, record.id, record.version):
            before, after = _wire_values(record.identity), _wire_values(new)
            args = CitizenUpsertArgs(
                id=UUID(record.id),
                authority_id=UUID(authority_id),
                fields=wire_citizen(new),
                previous={k: v for k, v in before.items() if after.get(k) != v},
            )
            enqueue(conn, MutationName.CITIZEN_UPSERT, args, record.version, fields=changed)
    return changed


# --------------------------------------------------------------------------- merge


def merged_identity(
    survivor: NewCitizen, absorbed: NewCitizen, keep: Mapping[str, Side]
) -> NewCitizen:
    """The identity after the merge: for each choice, the side kept; by default the
    survivor's value, or the absorbed one's where the survivor has none."""
    values: dict[str, Any] = {}
    for choice, columns in _CHOICE_COLUMNS.items():
        side = keep.get(choice)
        if side is None:
            empty = all(not _value(survivor, col) for col in columns)
            side = "absorbed" if empty else "survivor"
        source = absorbed if side == "absorbed" else survivor
        values.update({col: getattr(source, col) for col in columns})
    return replace(survivor, **values).normalised()


def merge_citizens(
    conn: sqlite3.Connection,
    survivor_pk: int,
    absorbed_pk: int,
    keep: Mapping[str, Side] | None = None,
) -> NewCitizen:
    """Merges ``absorbed_pk`` into ``survivor_pk`` (same commune), at once on this PC, and
    queues ``citizen.merge``. Every request and call moves to the survivor; the absorbed
    citizen becomes a tombstone pointing to it. Returns the identity kept. Raises
    ``StoreError`` (French) when the merge is not possible; then nothing is written."""
    if survivor_pk == absorbed_pk:
        raise StoreError("Choisissez deux usagers différents à fusionner.")
    with transaction(conn):
        survivor, absorbed = load_citizen(conn, survivor_pk), load_citizen(conn, absorbed_pk)
        if survivor.pk == absorbed.pk:
            raise StoreError("Ces deux fiches sont déjà fusionnées.")
        if survivor.authority_pk != absorbed.authority_pk:
            raise StoreError(
                "Deux usagers de communes différentes ne peuvent pas être fusionnés : chaque "
                "commune garde sa propre fiche."
            )
        merged = merged_identity(survivor.identity, absorbed.identity, keep or {})
        problems = citizen_problems(merged)
        if problems:
            raise StoreError("La fiche fusionnée serait invalide :\n" + "\n".join(problems))
        authority_id, shared = authority_ref(conn, survivor.authority_pk)
        if shared and not all(server_may_know(conn, r.id, r.version) for r in (survivor, absorbed)):
            raise StoreError("L'un de ces usagers n'est pas connu du serveur : fusion impossible.")
        requests = [
            r[0]
            for r in conn.execute("SELECT pk FROM request WHERE citizen_pk = ?", (absorbed.pk,))
        ]
        calls = [
            r[0]
            for r in conn.execute("SELECT pk FROM phone_call WHERE citizen_pk = ?", (absorbed.pk,))
        ]
        changed = _changed_columns(survivor.identity, merged)
        _write_identity(conn, survivor.pk, merged)
        absorb_locally(conn, absorbed.pk, survivor.pk)
        if shared:
            args = CitizenMergeArgs(
                survivor_id=UUID(survivor.id),
                absorbed_id=UUID(absorbed.id),
                fields=wire_citizen(merged),
                survivor_base_version=survivor.version,
                absorbed_base_version=absorbed.version,
                survivor_previous=_wire_values(survivor.identity),
                absorbed_previous=_wire_values(absorbed.identity),
            )
            mutation_id = enqueue(
                conn, MutationName.CITIZEN_MERGE, args, survivor.version, fields=changed
            )
            conn.execute(
                "INSERT INTO citizen_merge_pending (mutation_id, survivor_pk, absorbed_pk, "
                "survivor_before, requests, calls) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    mutation_id,
                    survivor.pk,
                    absorbed.pk,
                    json.dumps({c: _value(survivor.identity, c) for c in IDENTITY_COLUMNS}),
                    json.dumps(requests),
                    json.dumps(calls),
                ),
            )
    return merged


def absorb_locally(conn: sqlite3.Connection, absorbed_pk: int, survivor_pk: int) -> None:
    """Everything that names the absorbed citizen names the survivor; the absorbed row stays
    as a tombstone pointing to it (also what a pulled merge does, inside the pull's
    transaction: rows created here and not yet sent follow the survivor too)."""
    conn.execute(
        "UPDATE request SET citizen_pk = ? WHERE citizen_pk = ?", (survivor_pk, absorbed_pk)
    )
    conn.execute(
        "UPDATE phone_call SET citizen_pk = ? WHERE citizen_pk = ?", (survivor_pk, absorbed_pk)
    )
    conn.execute(
        "UPDATE citizen SET merged_into_pk = ? WHERE merged_into_pk = ?", (survivor_pk, absorbed_pk)
    )
    conn.execute(
        "UPDATE citizen SET deleted = 1, merged_into_pk = ? WHERE pk = ?",
        (survivor_pk, absorbed_pk),
    )


def undo_pending_merge(conn: sqlite3.Connection, mutation_id: int) -> bool:
    """The server refused the merge (or found a conflict): the local merge is undone, inside
    the caller's transaction — the absorbed citizen comes back with the requests and calls
    that were moved, the survivor gets its identity back (the server's row, applied after,
    brings what another PC changed). Returns whether there was a merge to undo."""
    row = conn.execute(
        "SELECT survivor_pk, absorbed_pk, survivor_before, requests, calls "
        "FROM citizen_merge_pending WHERE mutation_id = ?",
        (mutation_id,),
    ).fetchone()
    if row is None:
        return False
    survivor_pk, absorbed_pk = int(row[0]), int(row[1])
    before = json.loads(row[2])
    before["kind"] = CitizenKind(before["kind"])
    _write_identity(conn, survivor_pk, NewCitizen(**before))
    conn.execute(
        "UPDATE citizen SET deleted = 0, merged_into_pk = NULL WHERE pk = ?", (absorbed_pk,)
    )
    for table, pks in (("request", json.loads(row[3])), ("phone_call", json.loads(row[4]))):
        for pk in pks:
            conn.execute(
                f"UPDATE {table} SET citizen_pk = ? WHERE pk = ? AND citizen_pk = ?",
                (absorbed_pk, pk, survivor_pk),
            )
    forget_pending_merge(conn, mutation_id)
    return True


def forget_pending_merge(conn: sqlite3.Connection, mutation_id: int) -> None:
    """The server applied the merge: nothing will ever need undoing."""
    conn.execute("DELETE FROM citizen_merge_pending WHERE mutation_id = ?", (mutation_id,))


# --------------------------------------------------------------------------- story


@dataclass(frozen=True)
class RequestLine:
    pk: int
    number: str
    authority: str
    received_at: datetime
    subject: str
    status: Status


@dataclass(frozen=True)
class MessageLine:
    at: datetime
    authority: str
    request_pk: int
    number: str
    inbound: bool
    channel: str
    subject: str


@dataclass(frozen=True)
class DocumentLine:
    at: datetime
    authority: str
    request_pk: int
    number: str
    name: str
    #: « Pièce jointe » or « Courrier ».
    kind: str


@dataclass(frozen=True)
class CitizenStory:
    """Everything on file about a citizen, newest first, across the communes of the base."""

    citizen: CitizenRecord
    #: The same person's records in the other communes (same e-mail, phone, SIRET or RNA).
    elsewhere: list[CitizenRecord]
    requests: list[RequestLine]
    calls: list[CallView]
    messages: list[MessageLine]
    documents: list[DocumentLine]


#: Identifiers strong enough to say two communes' records are one person.
_SAME_PERSON = ("email_key", "phone_key", "siret", "rna")


def same_person_elsewhere(conn: sqlite3.Connection, record: CitizenRecord) -> list[CitizenRecord]:
    keys = duplicate_keys(record.identity)
    clauses = [f"c.{key} = ?" for key in _SAME_PERSON if keys[key]]
    if not clauses:
        return []
    rows = conn.execute(
        f"{_RECORD_SQL} WHERE ({' OR '.join(clauses)}) AND c.deleted = 0 "
        "AND c.authority_pk != ? ORDER BY a.name, c.pk",
        (*(keys[key] for key in _SAME_PERSON if keys[key]), record.authority_pk),
    ).fetchall()
    return [_record(r) for r in rows]


def citizen_story(conn: sqlite3.Connection, pk: int) -> CitizenStory:
    record = load_citizen(conn, pk)
    elsewhere = same_person_elsewhere(conn, record)
    pks = [record.pk, *(r.pk for r in elsewhere)]
    marks = ", ".join("?" * len(pks))

    def when(text: str, department: str) -> datetime:
        return in_zone(parse_stored(text), department)

    requests = [
        RequestLine(int(r[0]), request_reference(r[7] or "", str(r[1])), str(r[2]),
                    when(r[3], r[6]), str(r[4]), Status(r[5]))
        for r in conn.execute(
            "SELECT r.pk, r.number, a.name, r.received_at, r.subject, r.status, a.department, "
            "a.insee_code "
            f"FROM request r JOIN authority a ON a.pk = r.authority_pk "
            f"WHERE r.citizen_pk IN ({marks}) AND r.deleted = 0 "
            "ORDER BY r.received_at DESC, r.pk DESC",
            pks,
        )
    ]
    calls = [
        _call_view(r)
        for r in conn.execute(
            f"{_CALL_SQL} WHERE pc.citizen_pk IN ({marks}) AND pc.deleted = 0 "
            "ORDER BY pc.called_at DESC, pc.pk DESC",
            pks,
        )
    ]
    messages = [
        MessageLine(
            when(r[0], r[7]),
            str(r[1]),
            int(r[2]),
            request_reference(r[8] or "", str(r[3])),
            r[4] == "inbound",
            str(r[5]),
            str(r[6]),
        )
        for r in conn.execute(
            "SELECT m.at, a.name, r.pk, r.number, m.direction, m.channel, m.subject, "
            "a.department, a.insee_code FROM message m JOIN request r ON r.pk = m.request_pk "
            "JOIN authority a ON a.pk = r.authority_pk "
            f"WHERE r.citizen_pk IN ({marks}) AND r.deleted = 0 AND m.deleted = 0 "
            "ORDER BY m.at DESC, m.pk DESC",
            pks,
        )
    ]
    documents = [
        DocumentLine(when(r[0], r[5]), str(r[1]), int(r[2]),
                     request_reference(r[7] or "", str(r[3])), str(r[4]), str(r[6]))
        for r in conn.execute(
            # An attachment has no date of its own: the request's receipt dates it.
            "SELECT r.received_at, a.name, r.pk, r.number, f.filename, a.department, "
            "'Pièce jointe', a.insee_code FROM attachment f JOIN request r ON r.pk = f.request_pk "
            "JOIN authority a ON a.pk = r.authority_pk "
            f"WHERE r.citizen_pk IN ({marks}) AND r.deleted = 0 AND f.deleted = 0 "
            "UNION ALL "
            "SELECT l.produced_at, a.name, r.pk, r.number, COALESCE(l.pdf, l.docx), "
            "a.department, 'Courrier', a.insee_code FROM letter l "
            "JOIN request r ON r.pk = l.request_pk "
            "JOIN authority a ON a.pk = r.authority_pk "
            f"WHERE r.citizen_pk IN ({marks}) AND r.deleted = 0",
            [*pks, *pks],
        )
    ]
    documents.sort(key=lambda d: d.at, reverse=True)
    return CitizenStory(record, elsewhere, requests, calls, messages, documents)
