"""The team's work on a request: assignment, services, internal notes, editing.

Each change is written with its history event and its outbox mutation in one transaction
(see ``desktop.store.outbox``), so it works offline and reaches the server later. What the
server would refuse for sure (an agent who left, another commune's agent or service) is
refused here first, in the same words, before anything is queued.

Internal notes are events of kind ``note``: they live in the request's history only. Nothing
that builds a letter, an export or a message to the citizen reads the history.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from desktop.domain.french import format_short_date_fr
from desktop.domain.legal_time import in_zone, parse_stored, utc_now
from desktop.store.database import StoreError, transaction
from desktop.store.ids import iso, new_id
from desktop.store.inbox import Choice
from desktop.store.outbox import enqueue, enqueue_for_request, server_may_know
from desktop.store.requests import live_request, reference_of, refresh_due
from sync.protocol.vocabulary import EventKind
from sync.protocol.wire import AGENT_LEFT, SERVICES_ADMIN_ONLY, MutationName

#: Longest internal note (the wire's bound).
MAX_NOTE_CHARS = 20_000
EMPTY_NOTE = "La note est vide : écrivez quelque chose avant d'enregistrer."


# --- who is who ------------------------------------------------------------------------------
def _agent_pk(conn: sqlite3.Connection, agent_id: str | None) -> int | None:
    if agent_id is None:
        return None
    row = conn.execute("SELECT pk FROM agent WHERE id = ?", (agent_id,)).fetchone()
    return int(row[0]) if row else None


def current_agent_id(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM setting WHERE key = 'current_agent'").fetchone()
    return str(row[0]) if row and row[0] else None


def assignable_agents(conn: sqlite3.Connection, authority_pks: Iterable[int]) -> list[Choice]:
    """Active agents belonging to EVERY commune given (the selected requests' communes)."""
    pks = sorted(set(authority_pks))
    if not pks:
        return []
    marks = ", ".join("?" * len(pks))
    return [
        Choice(r[0], r[1])
        for r in conn.execute(
            f"SELECT a.id, a.display_name FROM agent a "
            f"JOIN agent_authority m ON m.agent_pk = a.pk AND m.authority_pk IN ({marks}) "
            f"WHERE a.deleted = 0 GROUP BY a.pk HAVING COUNT(*) = ? ORDER BY a.display_name",
            [*pks, len(pks)],
        )
    ]


@dataclass(frozen=True)
class Service:
    pk: int
    id: str
    authority_pk: int
    authority: str
    name: str
    active: bool
    member_ids: tuple[str, ...]
    version: int


def services(
    conn: sqlite3.Connection, authority_pks: Iterable[int] | None = None, *,
    active_only: bool = False,
) -> list[Service]:
    """The services of the given communes (all when None), by commune then name."""
    where = ["s.deleted = 0"]
    params: list[object] = []
    if authority_pks is not None:
        pks = sorted(set(authority_pks))
        where.append(f"s.authority_pk IN ({', '.join('?' * len(pks)) or 'NULL'})")
        params.extend(pks)
    if active_only:
        where.append("s.active = 1")
    rows = conn.execute(
        f"SELECT s.pk, s.id, s.authority_pk, a.name, s.name, s.active, s.version, "
        f"(SELECT json_group_array(ag.id) FROM service_member m JOIN agent ag "
        f" ON ag.pk = m.agent_pk WHERE m.service_pk = s.pk) "
        f"FROM service s JOIN authority a ON a.pk = s.authority_pk "
        f"WHERE {' AND '.join(where)} ORDER BY a.name, s.name",
        params,
    ).fetchall()
    return [
        Service(r[0], r[1], r[2], r[3], r[4], bool(r[5]), tuple(sorted(json.loads(r[7]))), r[6])
        for r in rows
    ]


def assignable_services(conn: sqlite3.Connection, authority_pks: Iterable[int]) -> list[Choice]:
    """Active services, when every request given belongs to the same commune (a service is
    one commune's)."""
    pks = set(authority_pks)
    if len(pks) != 1:
        return []
    return [Choice(s.id, s.name) for s in services(conn, pks, active_only=True)]


def _check_agent(conn: sqlite3.Connection, agent_id: str, authority_pk: int, number: str) -> str:
    """The agent's name, or the French reason the server would give."""
    row = conn.execute(
        "SELECT a.display_name, a.deleted, "
        "EXISTS (SELECT 1 FROM agent_authority m WHERE m.agent_pk = a.pk "
        "        AND m.authority_pk = ?) FROM agent a WHERE a.id = ?",
        (authority_pk, agent_id),
    ).fetchone()
    if row is None or not row[2]:
        raise StoreError(
            f"Cet agent n'appartient pas à la commune de la demande n° {number} : "
            "elle ne peut pas lui être attribuée."
        )
    if row[1]:
        raise StoreError(AGENT_LEFT)
    return str(row[0])


def _check_service(
    conn: sqlite3.Connection, service_id: str, authority_pk: int, number: str
) -> str:
    row = conn.execute(
        "SELECT name, active, authority_pk FROM service WHERE id = ? AND deleted = 0",
        (service_id,),
    ).fetchone()
    if row is None or row[2] != authority_pk:
        raise StoreError(
            f"Ce service n'appartient pas à la commune de la demande n° {number}."
        )
    if not row[1]:
        raise StoreError(f"Le service « {row[0]} » a été supprimé : choisissez-en un autre.")
    return str(row[0])


# --- assignment ------------------------------------------------------------------------------
def assign(
    conn: sqlite3.Connection,
    request_pks: Sequence[int],
    *,
    agent_id: str | None,
    service_id: str | None,
    reason: str = "",
    by_agent_id: str | None,
    at: datetime | None = None,
) -> int:
    """Assigns each request to ``agent_id`` and/or ``service_id`` (both None: nobody), with
    the reason in its history. All or nothing: one refused request refuses the batch, with
    the French reason, and nothing is changed nor queued. Returns how many changed."""
    reason = reason.strip()
    if len(reason) > 2000:
        raise StoreError("Le motif est trop long (2 000 caractères au plus).")
    at = at or utc_now()
    changed = 0
    with transaction(conn):
        agent_pk = _agent_pk(conn, agent_id)
        if agent_id is not None and agent_pk is None:
            raise StoreError("Cet agent est inconnu sur ce poste : synchronisez puis réessayez.")
        for request_pk in request_pks:
            row = live_request(
                conn, request_pk,
                "number, authority_pk, assigned_agent_pk, assigned_service_id, "
                "(SELECT id FROM agent WHERE pk = assigned_agent_pk) AS previous_agent",
            )
            names: dict[str, str] = {}
            if agent_id is not None:
                names["assignee_name"] = _check_agent(
                    conn, agent_id, row["authority_pk"], row["number"])
            if service_id is not None:
                names["service_name"] = _check_service(
                    conn, service_id, row["authority_pk"], row["number"])
            if row["assigned_agent_pk"] == agent_pk and row["assigned_service_id"] == service_id:
                continue  # already so: no event, nothing to tell the server
            conn.execute(
                "UPDATE request SET assigned_agent_pk = ?, assigned_service_id = ? WHERE pk = ?",
                (agent_pk, service_id, request_pk),
            )
            detail = {"assignee_id": agent_id, "service_id": service_id, "reason": reason,
                      **names}
            _insert_event(conn, request_pk, EventKind.ASSIGNED, detail, by_agent_id, at)
            enqueue_for_request(
                conn, request_pk, MutationName.REQUEST_ASSIGN,
                {"assignee_id": agent_id, "previous_assignee_id": row["previous_agent"],
                 "service_id": service_id, "previous_service_id": row["assigned_service_id"],
                 "reason": reason},
                fields=("assigned_agent_pk", "assigned_service_id"),
            )
            changed += 1
    return changed


def _insert_event(
    conn: sqlite3.Connection, request_pk: int, kind: EventKind, detail: dict[str, Any],
    agent_id: str | None, at: datetime, event_id: str | None = None,
) -> str:
    event_id = event_id or new_id()
    conn.execute(
        "INSERT INTO event (id, request_pk, at, agent_pk, kind, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (event_id, request_pk, iso(at), _agent_pk(conn, agent_id), kind.value,
         json.dumps(detail, ensure_ascii=False)),
    )
    return event_id


# --- notifications ---------------------------------------------------------------------------
def my_service_ids(conn: sqlite3.Connection, agent_id: str) -> set[str]:
    return {
        r[0]
        for r in conn.execute(
            "SELECT s.id FROM service s JOIN service_member m ON m.service_pk = s.pk "
            "JOIN agent a ON a.pk = m.agent_pk WHERE a.id = ? AND s.deleted = 0",
            (agent_id,),
        )
    }


def record_assignment_notices(conn: sqlite3.Connection, events: Sequence[Any]) -> int:
    """Pulled ``assigned`` events (wire rows) that give a request to this PC's agent, or to
    one of her services, by someone else: kept to be notified once. Returns how many."""
    me = current_agent_id(conn)
    if me is None or not events:
        return 0
    mine = my_service_ids(conn, me)
    count = 0
    for event in events:
        if str(event.agent_id or "") == me:
            continue  # her own assignment, from this PC or another
        to_me = event.data.get("assignee_id") == me
        service = event.data.get("service_id")
        to_my_service = event.data.get("assignee_id") in (None, me) and service in mine
        if not (to_me or to_my_service):
            continue
        found = conn.execute(
            "SELECT r.pk, (SELECT display_name FROM agent WHERE id = ?), "
            "(SELECT name FROM service WHERE id = ?) FROM request r WHERE r.id = ?",
            (str(event.agent_id), service, str(event.request_id)),
        ).fetchone()
        if found is None:
            continue
        conn.execute(
            "INSERT OR IGNORE INTO assignment_notice (event_id, request_pk, by_agent, "
            "to_service) VALUES (?, ?, ?, ?)",
            (str(event.id), found[0], found[1] or "", "" if to_me else (found[2] or "")),
        )
        count += 1
    return count


@dataclass(frozen=True)
class AssignmentNotice:
    request_pk: int
    number: str
    by_agent: str
    service: str

    @property
    def text(self) -> str:
        """« Demande n° 2026-000012 vous a été attribuée par Marie Durand »."""
        by = f" par {self.by_agent}" if self.by_agent else ""
        if self.service:
            return (f"Demande n° {self.number} attribuée à votre service « {self.service} »"
                    f"{by}")
        return f"Demande n° {self.number} vous a été attribuée{by}"


def take_assignment_notices(conn: sqlite3.Connection) -> list[AssignmentNotice]:
    """The notices not yet shown, marked shown (each is said once)."""
    with transaction(conn):
        rows = conn.execute(
            "SELECT n.pk, n.request_pk, r.number, n.by_agent, n.to_service "
            "FROM assignment_notice n JOIN request r ON r.pk = n.request_pk "
            "WHERE n.notified = 0 ORDER BY n.pk"
        ).fetchall()
        conn.executemany("UPDATE assignment_notice SET notified = 1 WHERE pk = ?",
                         [(r[0],) for r in rows])
    return [AssignmentNotice(r[1], reference_of(conn, r[1]), r[3], r[4]) for r in rows]


# --- internal notes --------------------------------------------------------------------------
@dataclass(frozen=True)
class Note:
    at: datetime
    author: str
    text: str


def add_note(
    conn: sqlite3.Connection, request_pk: int, text: str, *, agent_id: str | None,
    at: datetime | None = None,
) -> str:
    """An internal note: in the history for the team, never for the citizen."""
    text = text.strip()
    if not text:
        raise StoreError(EMPTY_NOTE)
    if len(text) > MAX_NOTE_CHARS:
        raise StoreError("La note est trop longue (20 000 caractères au plus).")
    at = at or utc_now()
    with transaction(conn):
        live_request(conn, request_pk, "pk")
        event_id = _insert_event(conn, request_pk, EventKind.NOTE, {"text": text}, agent_id, at)
        enqueue_for_request(conn, request_pk, MutationName.REQUEST_ADD_NOTE,
                            {"id": event_id, "text": text})
    return event_id


def notes(conn: sqlite3.Connection, request_pk: int) -> list[Note]:
    """The request's internal notes, newest first, with author and date (commune's zone)."""
    return [
        Note(in_zone(parse_stored(r[0]), r[3]), r[1] or "(agent inconnu)",
             str(json.loads(r[2]).get("text", "")))
        for r in conn.execute(
            "SELECT e.at, ag.display_name, e.detail, a.department FROM event e "
            "JOIN request r ON r.pk = e.request_pk JOIN authority a ON a.pk = r.authority_pk "
            "LEFT JOIN agent ag ON ag.pk = e.agent_pk "
            "WHERE e.request_pk = ? AND e.kind = 'note' ORDER BY e.at DESC, e.pk DESC",
            (request_pk,),
        )
    ]


# --- editing a request -----------------------------------------------------------------------
#: Wire field -> (local column, table the column's key points to, label for the history).
_EDITABLE: dict[str, tuple[str, str | None, str]] = {
    "subject": ("subject", None, "objet"),
    "procedure_id": ("procedure_pk", "procedure", "démarche"),
    "citizen_id": ("citizen_pk", "citizen", "usager"),
}


@dataclass(frozen=True)
class EditOutcome:
    #: The wire names of the fields that changed.
    changed: tuple[str, ...]
    #: « Les échéances ont été recalculées : … → … » when the démarche changed (else None).
    deadlines: str | None = None


def _decision_text(conn: sqlite3.Connection, request_pk: int, today: date) -> str:
    from desktop.store.legal import legal_facts  # noqa: PLC0415 - legal imports this layer

    dates = legal_facts(conn, request_pk).legal_dates(today)
    if dates.implicit_decision_date is None:
        return "pas de décision implicite"
    return f"décision implicite le {format_short_date_fr(dates.implicit_decision_date)}"


def edit_request(
    conn: sqlite3.Connection,
    request_pk: int,
    *,
    subject: str | None = None,
    procedure_pk: int | None = None,
    citizen_pk: int | None = None,
    agent_id: str | None,
    today: date,
    at: datetime | None = None,
) -> EditOutcome:
    """« Modifier la demande… »: subject, démarche or citizen, old → new in the history.

    A new démarche changes the silence rule and period: the échéances are recomputed with
    the deadline engine (the server holds no due date: every PC recomputes the same from
    the same démarche), and the outcome says from what to what."""
    at = at or utc_now()
    with transaction(conn):
        row = live_request(conn, request_pk,
                           "id, version, authority_pk, subject, procedure_pk, citizen_pk")
        wanted: dict[str, Any] = {}
        if subject is not None:
            subject = " ".join(subject.split())
            if not subject:
                raise StoreError("L'objet de la demande ne peut pas être vide.")
            if len(subject) > 200:
                raise StoreError("L'objet est trop long (200 caractères au plus).")
            wanted["subject"] = subject
        if procedure_pk is not None:
            wanted["procedure_id"] = procedure_pk
        if citizen_pk is not None:
            wanted["citizen_id"] = citizen_pk
        fields: dict[str, Any] = {}
        previous: dict[str, Any] = {}
        shown: dict[str, list[str]] = {}
        for name, value in wanted.items():
            column, table, _label = _EDITABLE[name]
            old = row[column]
            if old == value:
                continue
            if table is None:
                fields[name], previous[name] = value, old
                shown[name] = [old, value]
            else:
                old_id, old_label = _id_and_label(conn, table, old)
                new_id_, new_label = _checked_link(conn, table, value, row["authority_pk"])
                fields[name], previous[name] = new_id_, old_id
                shown[name] = [old_label, new_label]
            conn.execute(f"UPDATE request SET {column} = ? WHERE pk = ?", (value, request_pk))
        if not fields:
            return EditOutcome(())
        deadlines = None
        if "procedure_id" in fields:
            conn.execute("UPDATE request SET procedure_pk = ? WHERE pk = ?",
                         (row["procedure_pk"], request_pk))
            before = _decision_text(conn, request_pk, today)
            conn.execute("UPDATE request SET procedure_pk = ? WHERE pk = ?",
                         (procedure_pk, request_pk))
            refresh_due(conn, request_pk)
            after = _decision_text(conn, request_pk, today)
            deadlines = f"Les échéances ont été recalculées : {before} → {after}."
        detail: dict[str, Any] = {
            "fields": sorted(fields),
            "changes": {n: [previous[n], fields[n]] for n in sorted(fields)},
            "shown": shown,
        }
        if deadlines:
            detail["deadlines"] = deadlines
        _insert_event(conn, request_pk, EventKind.FIELD_CHANGED, detail, agent_id, at)
        if server_may_know(conn, row["id"], row["version"]):
            enqueue(conn, MutationName.REQUEST_UPDATE_FIELDS,
                    {"request_id": row["id"], "fields": fields, "previous": previous},
                    row["version"], fields=[_EDITABLE[n][0] for n in fields])
    return EditOutcome(tuple(sorted(fields)), deadlines)


def _id_and_label(conn: sqlite3.Connection, table: str, pk: int) -> tuple[str | None, str]:
    column = "name" if table == "procedure" else "display_name"
    row = conn.execute(f"SELECT id, {column} FROM {table} WHERE pk = ?", (pk,)).fetchone()
    return (row[0], row[1]) if row else (None, "")


def _checked_link(
    conn: sqlite3.Connection, table: str, pk: int, authority_pk: int
) -> tuple[str, str]:
    """The id and label of a démarche or citizen the request may point to: the request's
    commune's (a démarche without a commune is shared by all)."""
    if table == "procedure":
        row = conn.execute(
            "SELECT id, name FROM procedure WHERE pk = ? AND deleted = 0 "
            "AND (authority_pk IS NULL OR authority_pk = ?)", (pk, authority_pk),
        ).fetchone()
        what = "Cette démarche"
    else:
        row = conn.execute(
            "SELECT id, display_name FROM citizen WHERE pk = ? AND deleted = 0 "
            "AND authority_pk = ?", (pk, authority_pk),
        ).fetchone()
        what = "Cet usager"
    if row is None:
        raise StoreError(f"{what} n'appartient pas à la commune de la demande.")
    return str(row[0]), str(row[1])


def procedures_of(
    conn: sqlite3.Connection, authority_pk: int, current: int | None = None
) -> list[Choice]:
    """The démarches a request of the commune may take, the request's ``current`` one
    included even when retired (the form must show it, not silently pick another)."""
    return [
        Choice(r[0], r[1])
        for r in conn.execute(
            "SELECT pk, name FROM procedure WHERE (deleted = 0 AND active = 1 "
            "AND (authority_pk IS NULL OR authority_pk = ?)) OR pk = ? ORDER BY name",
            (authority_pk, current),
        )
    ]


# --- services (administration) ---------------------------------------------------------------
def save_service(
    conn: sqlite3.Connection,
    *,
    authority_pk: int,
    name: str,
    member_ids: Iterable[str],
    active: bool = True,
    service_id: str | None = None,
    by_agent_id: str | None = None,
) -> str:
    """Creates or changes a service here and queues ``service.save``. ``by_agent_id`` (the
    PC's agent) must be an administrator, as the server will check in the commune itself
    (this PC knows only her highest role). Returns the service's id."""
    name = " ".join(name.split())
    if not name:
        raise StoreError("Donnez un nom au service.")
    if len(name) > 200:
        raise StoreError("Le nom du service est trop long (200 caractères au plus).")
    members = sorted(set(member_ids))
    if by_agent_id is not None and not is_admin(conn, by_agent_id):
        raise StoreError(SERVICES_ADMIN_ONLY)
    with transaction(conn):
        authority = conn.execute(
            "SELECT id FROM authority WHERE pk = ? AND deleted = 0", (authority_pk,)
        ).fetchone()
        if authority is None:
            raise StoreError("Cette commune n'existe plus sur ce poste.")
        clash = conn.execute(
            "SELECT 1 FROM service WHERE authority_pk = ? AND name = ? AND active = 1 "
            "AND deleted = 0 AND id IS NOT ?", (authority_pk, name, service_id),
        ).fetchone()
        if clash is not None and active:
            raise StoreError(f"Un service « {name} » existe déjà dans cette commune.")
        member_pks: list[int] = []
        for agent_id in members:
            member_pks.append(_member_pk(conn, agent_id, authority_pk))
        version = 0
        if service_id is None:
            service_id = new_id()
            conn.execute(
                "INSERT INTO service (id, authority_pk, name, active) VALUES (?, ?, ?, ?)",
                (service_id, authority_pk, name, int(active)),
            )
        else:
            found = conn.execute("SELECT version FROM service WHERE id = ?",
                                 (service_id,)).fetchone()
            if found is None:
                raise StoreError("Ce service n'existe plus sur ce poste.")
            version = int(found[0])
            conn.execute("UPDATE service SET name = ?, active = ? WHERE id = ?",
                         (name, int(active), service_id))
        service_pk = conn.execute("SELECT pk FROM service WHERE id = ?",
                                  (service_id,)).fetchone()[0]
        set_members(conn, service_pk, member_pks)
        enqueue(conn, MutationName.SERVICE_SAVE,
                {"id": service_id, "authority_id": authority[0], "name": name,
                 "active": active, "member_ids": members},
                version, fields=("name", "active", "members"))
    return service_id


def is_admin(conn: sqlite3.Connection, agent_id: str | None) -> bool:
    row = conn.execute("SELECT role FROM agent WHERE id = ? AND deleted = 0",
                       (agent_id,)).fetchone()
    return row is not None and row[0] == "admin"


def _member_pk(conn: sqlite3.Connection, agent_id: str, authority_pk: int) -> int:
    row = conn.execute(
        "SELECT a.pk, a.deleted, a.display_name, EXISTS (SELECT 1 FROM agent_authority m "
        "WHERE m.agent_pk = a.pk AND m.authority_pk = ?) FROM agent a WHERE a.id = ?",
        (authority_pk, agent_id),
    ).fetchone()
    if row is None or not row[3]:
        raise StoreError("Un des membres n'appartient pas à cette commune.")
    if row[1]:
        raise StoreError(f"{row[2]} a quitté la collectivité (compte désactivé) : un agent "
                         "désactivé ne peut pas être membre d'un service.")
    return int(row[0])


def set_members(conn: sqlite3.Connection, service_pk: int, agent_pks: Iterable[int]) -> None:
    conn.execute("DELETE FROM service_member WHERE service_pk = ?", (service_pk,))
    conn.executemany(
        "INSERT OR IGNORE INTO service_member (service_pk, agent_pk) VALUES (?, ?)",
        [(service_pk, pk) for pk in agent_pks],
    )


def members_of(conn: sqlite3.Connection, authority_pk: int) -> list[Choice]:
    """Agents of the commune who may join a service (active ones)."""
    return assignable_agents(conn, [authority_pk])


# --- history ---------------------------------------------------------------------------------
def named_event_data(
    conn: sqlite3.Connection, kind: EventKind, data: dict[str, Any]
) -> dict[str, Any]:
    """A pulled event's data with the names this PC knows beside the ids (« Attribuée à
    Marie Durand », « démarche A → B »), so the history reads without a lookup per line.
    The ids stay: the names are only what this PC knew when the event arrived."""
    if kind is EventKind.ASSIGNED:
        named = dict(data)
        agent = conn.execute("SELECT display_name FROM agent WHERE id = ?",
                             (data.get("assignee_id"),)).fetchone()
        service = conn.execute("SELECT name FROM service WHERE id = ?",
                               (data.get("service_id"),)).fetchone()
        if agent:
            named["assignee_name"] = agent[0]
        if service:
            named["service_name"] = service[0]
        return named
    changes = data.get("changes")
    if kind is EventKind.FIELD_CHANGED and isinstance(changes, dict) and "shown" not in data:
        shown: dict[str, list[str]] = {}
        for name, pair in changes.items():
            if not (isinstance(pair, list) and len(pair) == 2):
                continue
            if name in ("procedure_id", "citizen_id"):
                table = "procedure" if name == "procedure_id" else "citizen"
                column = "name" if table == "procedure" else "display_name"
                labels = []
                for value in pair:
                    row = conn.execute(f"SELECT {column} FROM {table} WHERE id = ?",
                                       (value,)).fetchone()
                    labels.append(str(row[0]) if row else "?")
                shown[name] = labels
            elif name == "subject":
                shown[name] = [str(v) for v in pair]
        return {**data, "shown": shown}
    return data


def event_text(kind: str, detail: dict[str, Any]) -> str | None:
    """The history line of the team's events (None: not one of them)."""
    if kind == EventKind.ASSIGNED.value:
        if not {"assignee_id", "service_id"} & detail.keys():
            return None  # an older record (the demo's): the plain label
        who = [str(detail[k]) for k in ("assignee_name", "service_name") if detail.get(k)]
        if not who:
            who = ["un agent" if detail.get("assignee_id") else ""] + (
                ["un service"] if detail.get("service_id") else [])
            who = [w for w in who if w]
        text = ("Attribuée à " + " — ".join(who)) if who else "Attribution retirée"
        if detail.get("by_default"):
            return (f"Attribuée au service « {detail.get('service_name') or 'un service'} » "
                    "(service par défaut de la démarche)")
        reason = str(detail.get("reason") or "").strip()
        return f"{text} (motif : {reason})" if reason else text
    if kind == EventKind.NOTE.value:
        return f"Note interne : {detail.get('text', '')}"
    if kind == EventKind.FIELD_CHANGED.value and isinstance(detail.get("shown"), dict):
        labels = {name: label for name, (_c, _t, label) in _EDITABLE.items()}
        parts = [
            f"{labels.get(name, name)} « {pair[0]} » → « {pair[1]} »"
            for name, pair in detail["shown"].items()
            if isinstance(pair, list) and len(pair) == 2
        ]
        text = "Modification : " + " ; ".join(parts) if parts else "Modification"
        if detail.get("deadlines"):
            text += f". {detail['deadlines']}"
        return text
    return None
