"""A deterministic bannette: the same seed and reference day always give the same data.

Used by ``--demo`` (about 500 requests) and by the benchmarks (100,000). Identities and
addresses come from Faker's French locale; the life of each request (status, events, missing
documents) follows the domain's allowed transitions, and its échéance is computed by the same
deadline engine as the application's.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from faker import Faker

from desktop.demo.catalogue import (
    ASSOCIATION_WORDS,
    AUTHORITIES,
    DEMO_AGENT_LOGIN,
    DEMO_AGENTS,
    GRADES,
    PLACES,
    PROBLEMS,
    PROCEDURES,
    WORKS,
    DemoAuthority,
    DemoProcedure,
)
from desktop.domain.due import DueFacts, next_due
from desktop.domain.french import de_name
from desktop.domain.legal_time import zone_for
from desktop.domain.text import citizen_display_name, fold
from desktop.store.database import transaction
from desktop.store.search_index import bulk_index
from sync.protocol.vocabulary import Channel, CitizenKind, EventKind, Outcome, Status

Progress = Callable[[int, int], None]

CHANNEL_WEIGHTS = {
    Channel.WEB: 30,
    Channel.SERVICE_PUBLIC: 15,
    Channel.EMAIL: 20,
    Channel.PAPER: 15,
    Channel.PHONE: 10,
    Channel.COUNTER: 10,
}

#: The path through the life cycle that leads to each status (after "received").
PATHS: dict[Status, tuple[Status, ...]] = {
    Status.RECEIVED: (),
    Status.ACKNOWLEDGED: (Status.ACKNOWLEDGED,),
    Status.AWAITING_DOCUMENTS: (Status.ACKNOWLEDGED, Status.AWAITING_DOCUMENTS),
    Status.DRAFTING: (Status.ACKNOWLEDGED, Status.DRAFTING),
    Status.AT_PARAPHEUR: (Status.ACKNOWLEDGED, Status.DRAFTING, Status.AT_PARAPHEUR),
    Status.ANSWERED: (Status.ACKNOWLEDGED, Status.DRAFTING, Status.AT_PARAPHEUR, Status.ANSWERED),
    Status.CLOSED: (Status.ACKNOWLEDGED, Status.DRAFTING, Status.ANSWERED, Status.CLOSED),
}


@dataclass(frozen=True)
class DemoSummary:
    authorities: int
    citizens: int
    requests: int
    events: int
    attachments: int
    agent_id: str


def _status_for_age(rng: random.Random, age_days: int) -> Status:
    """Recent requests are still open; old ones are mostly answered or closed."""
    if age_days < 2:
        table = {Status.RECEIVED: 80, Status.ACKNOWLEDGED: 20}
    elif age_days < 12:
        table = {
            Status.RECEIVED: 35,
            Status.ACKNOWLEDGED: 35,
            Status.AWAITING_DOCUMENTS: 12,
            Status.DRAFTING: 15,
            Status.AT_PARAPHEUR: 3,
        }
    elif age_days < 70:
        table = {
            Status.RECEIVED: 4,
            Status.ACKNOWLEDGED: 22,
            Status.AWAITING_DOCUMENTS: 10,
            Status.DRAFTING: 20,
            Status.AT_PARAPHEUR: 10,
            Status.ANSWERED: 20,
            Status.CLOSED: 14,
        }
    else:
        table = {
            Status.ACKNOWLEDGED: 2,
            Status.DRAFTING: 2,
            Status.ANSWERED: 25,
            Status.CLOSED: 71,
        }
    return rng.choices(list(table), weights=list(table.values()))[0]


class _Ids:
    """Deterministic UUIDs drawn from the seeded generator (uuid4 would differ each run)."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def __call__(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))


def generate(
    conn: sqlite3.Connection,
    *,
    requests: int = 500,
    seed: int = 2026,
    today: date | None = None,
    progress: Progress | None = None,
) -> DemoSummary:
    """Fill an empty, migrated database. Everything is written in one transaction, the search
    index built once at the end (linear in ``requests``: see desktop/store/search_index.py)."""
    today = today or date.today()
    rng = random.Random(seed)
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    new_id = _Ids(rng)

    with transaction(conn), bulk_index(conn):
        authority_pks = _insert_authorities(conn, new_id)
        agent_pks, agent_ids = _insert_agents(conn, new_id, authority_pks)
        procedure_pks = _insert_procedures(conn, new_id)
        citizens = _insert_citizens(conn, fake, rng, new_id, authority_pks, max(60, requests // 3))
        counts = _insert_requests(
            conn,
            fake,
            rng,
            new_id,
            today=today,
            total=requests,
            authority_pks=authority_pks,
            agent_pks=agent_pks,
            procedure_pks=procedure_pks,
            citizens=citizens,
            progress=progress,
        )
        conn.execute(
            "INSERT OR REPLACE INTO setting (key, value) VALUES ('current_agent', ?)",
            (agent_ids[DEMO_AGENT_LOGIN],),
        )
    conn.execute("ANALYZE")  # statistics for the planner now that the tables are full
    return DemoSummary(
        authorities=len(authority_pks),
        citizens=sum(len(v) for v in citizens.values()),
        requests=requests,
        events=counts[0],
        attachments=counts[1],
        agent_id=agent_ids[DEMO_AGENT_LOGIN],
    )


def _insert_authorities(conn: sqlite3.Connection, new_id: _Ids) -> dict[str, int]:
    pks = {}
    for a in AUTHORITIES:
        cur = conn.execute(
            """INSERT INTO authority (id, kind, name, insee_code, siret, department, service_name,
               address, postcode, city, email, phone)
               VALUES (?, 'commune', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                new_id(),
                a.name,
                a.insee_code,
                a.siret,
                a.department,
                "Secrétariat de mairie",
                a.address,
                a.postcode,
                a.city,
                a.email,
                a.phone,
            ),
        )
        pks[a.code] = int(cur.lastrowid or 0)
    return pks


def _insert_agents(
    conn: sqlite3.Connection, new_id: _Ids, authority_pks: dict[str, int]
) -> tuple[dict[str, int], dict[str, str]]:
    pks, ids = {}, {}
    for login, name, role in DEMO_AGENTS:
        agent_id = new_id()
        cur = conn.execute(
            "INSERT INTO agent (id, login, display_name, role) VALUES (?, ?, ?, ?)",
            (agent_id, login, name, role),
        )
        pks[login] = int(cur.lastrowid or 0)
        ids[login] = agent_id
        conn.executemany(
            "INSERT INTO agent_authority (agent_pk, authority_pk) VALUES (?, ?)",
            [(pks[login], pk) for pk in authority_pks.values()],
        )
    return pks, ids


def _insert_procedures(conn: sqlite3.Connection, new_id: _Ids) -> dict[str, int]:
    pks = {}
    for p in PROCEDURES:
        cur = conn.execute(
            """INSERT INTO procedure (id, code, name, silence_rule, period, period_unit,
               required_documents) VALUES (?, ?, ?, ?, ?, ?, ?)""",
            (
                new_id(),
                p.code,
                p.name,
                p.silence_rule.value,
                p.period,
                p.unit.value,
                json.dumps(list(p.required_documents), ensure_ascii=False),
            ),
        )
        pks[p.code] = int(cur.lastrowid or 0)
    return pks


@dataclass(frozen=True)
class _Citizen:
    pk: int
    kind: CitizenKind
    last_name: str
    first_name: str
    organisation: str


def _insert_citizens(
    conn: sqlite3.Connection,
    fake: Faker,
    rng: random.Random,
    new_id: _Ids,
    authority_pks: dict[str, int],
    count: int,
) -> dict[tuple[str, CitizenKind], list[_Citizen]]:
    pools: dict[tuple[str, CitizenKind], list[_Citizen]] = {}
    per_authority = max(20, count // len(AUTHORITIES))
    for authority in AUTHORITIES:
        for i in range(per_authority):
            kind = (
                CitizenKind.PERSON
                if i % 10 < 8
                else CitizenKind.ASSOCIATION
                if i % 10 == 8
                else CitizenKind.COMPANY
            )
            last, first = fake.last_name(), fake.first_name()
            organisation = rna = siret = ""
            if kind == CitizenKind.ASSOCIATION:
                organisation = f"{rng.choice(ASSOCIATION_WORDS)} {de_name(authority.city)}"
                rna = f"W{rng.randrange(10**8, 10**9)}"
            elif kind == CitizenKind.COMPANY:
                organisation = fake.company()
                siret = _luhn_siret(rng)
            display = citizen_display_name(last, first, organisation)
            email_name = fold(f"{first}.{last}").replace(" ", "-").replace("'", "")
            email = f"{email_name}@{fake.free_email_domain()}"
            street = f"{rng.randint(1, 120)} {rng.choice(authority.streets)}"
            cur = conn.execute(
                """INSERT INTO citizen (id, authority_pk, kind, last_name, first_name,
                   organisation, rna, siret, email, phone, address, postcode, city,
                   display_name, sort_key)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    new_id(),
                    authority_pks[authority.code],
                    kind.value,
                    last,
                    first,
                    organisation,
                    rna,
                    siret,
                    email,
                    fake.phone_number(),
                    street,
                    authority.postcode,
                    authority.city,
                    display,
                    fold(display),
                ),
            )
            pools.setdefault((authority.code, kind), []).append(
                _Citizen(int(cur.lastrowid or 0), kind, last, first, organisation)
            )
    return pools


def _luhn_siret(rng: random.Random) -> str:
    """A 14-digit SIRET whose Luhn key is valid."""
    digits = [rng.randrange(10) for _ in range(13)]
    for check in range(10):
        candidate = [*digits, check]
        total = 0
        for index, digit in enumerate(reversed(candidate)):
            value = digit * 2 if index % 2 else digit
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return "".join(map(str, candidate))
    raise AssertionError("unreachable: one check digit always fits")


def _received_moments(rng: random.Random, today: date, total: int) -> list[datetime]:
    """Arrival times over the past year, denser in recent weeks, during plausible hours."""
    moments = []
    for _ in range(total):
        age = int(rng.expovariate(1 / 55))
        age = min(age, 364)
        day = today - timedelta(days=age)
        if day.weekday() >= 5 and rng.random() < 0.7:
            day -= timedelta(days=day.weekday() - 4)
        hour = rng.choice((8, 9, 9, 10, 10, 11, 13, 14, 14, 15, 16, 17, 20, 22))
        moment = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)))
        moments.append(moment)
    moments.sort()
    return moments


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = max(60, int((end - start).total_seconds()))
    return start + timedelta(seconds=rng.randrange(span))


def _insert_requests(
    conn: sqlite3.Connection,
    fake: Faker,
    rng: random.Random,
    new_id: _Ids,
    *,
    today: date,
    total: int,
    authority_pks: dict[str, int],
    agent_pks: dict[str, int],
    procedure_pks: dict[str, int],
    citizens: dict[tuple[str, CitizenKind], list[_Citizen]],
    progress: Progress | None,
) -> tuple[int, int]:
    now = datetime.combine(today, time(18, 0))
    sequences: dict[tuple[str, int], int] = {}
    procedure_weights = [p.weight for p in PROCEDURES]
    channels, channel_weights = list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values())
    agent_choices = [agent_pks["smartin"]] * 6 + [agent_pks["jhoffmann"]] * 3 + [None]
    official_pk = agent_pks["mschmitt"]
    events: list[tuple] = []
    attachments: list[tuple] = []
    missing_rows: list[tuple] = []
    request_rows: list[tuple] = []

    def flush() -> None:
        conn.executemany(
            """INSERT INTO request (pk, id, authority_pk, number, received_at, channel, citizen_pk,
               procedure_pk, subject, body, form_fields, status, outcome, assigned_agent_pk,
               registration_receipt_at, acknowledged_at, due_date, due_kind)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            request_rows,
        )
        conn.executemany(
            "INSERT INTO event (id, request_pk, at, agent_pk, kind, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            events,
        )
        conn.executemany(
            "INSERT INTO attachment (id, request_pk, filename, media_type, size, sha256) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            attachments,
        )
        conn.executemany(
            "INSERT INTO missing_documents (id, request_pk, asked_on, received_on, documents) "
            "VALUES (?, ?, ?, ?, ?)",
            missing_rows,
        )

    event_count = attachment_count = 0
    pk = conn.execute("SELECT COALESCE(MAX(pk), 0) FROM request").fetchone()[0]
    for index, received in enumerate(_received_moments(rng, today, total)):
        pk += 1
        authority = rng.choice(AUTHORITIES)
        procedure = rng.choices(PROCEDURES, weights=procedure_weights)[0]
        channel = rng.choices(channels, weights=channel_weights)[0]
        kind = rng.choice(procedure.citizen_kinds)
        pool = (
            citizens.get((authority.code, kind)) or citizens[(authority.code, CitizenKind.PERSON)]
        )
        citizen = rng.choice(pool)
        key = (authority.code, received.year)
        sequences[key] = sequences.get(key, 0) + 1
        number = f"{received.year}-{sequences[key]:06d}"
        words = _words(fake, rng, authority, citizen, received)
        subject = rng.choice(procedure.subjects).format(**words)
        body = rng.choice(procedure.texts).format(**words)
        fields = _form_fields(procedure, words)
        status = _status_for_age(rng, (today - received.date()).days)
        assigned = rng.choice(agent_choices)

        commune_zone = zone_for(authority.department)

        def utc(at: datetime, zone: tzinfo = commune_zone) -> str:
            """The demo's wall times are the commune's; the store keeps UTC (what
            ``legal_time.stored`` writes, without its checks: hundreds of thousands here)."""
            return at.replace(tzinfo=zone).astimezone(UTC).isoformat(timespec="seconds")

        def event(
            at: datetime, kind: EventKind, detail: dict, agent: int | None, pk: int = pk
        ) -> None:
            events.append(
                (
                    new_id(),
                    pk,
                    utc(at),
                    agent,
                    kind.value,
                    json.dumps(detail, ensure_ascii=False),
                )
            )

        event(received, EventKind.CREATED, {"channel": channel.value}, None)
        receipt_at = None
        if channel.is_electronic:
            receipt = received + timedelta(minutes=rng.randint(1, 5))
            receipt_at = utc(receipt)
            event(receipt, EventKind.REGISTRATION_RECEIPT_SENT, {"automatic": True}, None)
        if assigned is not None:
            event(
                received + timedelta(hours=1),
                EventKind.ASSIGNED,
                {"agent_pk": assigned},
                agent_pks["smartin"],
            )

        moment, acknowledged_at, outcome = received, None, None
        previous = Status.RECEIVED
        missing: list[tuple[date, date | None]] = []
        for step in PATHS[status]:
            moment = _between(rng, moment, min(now, moment + timedelta(days=6)))
            actor = official_pk if step == Status.ANSWERED and rng.random() < 0.3 else assigned
            if step == Status.ACKNOWLEDGED:
                acknowledged_at = utc(moment)
                event(moment, EventKind.ACKNOWLEDGEMENT_SENT, {}, actor)
            if step == Status.AWAITING_DOCUMENTS:
                asked = moment.date()
                docs = list(procedure.required_documents[:2]) or ["Justificatif de domicile"]
                missing.append((asked, None))
                missing_rows.append(
                    (new_id(), pk, asked.isoformat(), None, json.dumps(docs, ensure_ascii=False))
                )
                event(moment, EventKind.MISSING_DOCUMENTS_REQUESTED, {"documents": docs}, actor)
            event(
                moment, EventKind.STATUS_CHANGED, {"from": previous.value, "to": step.value}, actor
            )
            if step == Status.ANSWERED:
                outcome = Outcome.ACCEPTED if rng.random() < 0.82 else Outcome.REJECTED
                event(moment, EventKind.OUTCOME_SET, {"outcome": outcome.value}, actor)
            if step == Status.CLOSED and outcome is None:
                outcome = Outcome.NO_FOLLOW_UP
                event(moment, EventKind.OUTCOME_SET, {"outcome": outcome.value}, actor)
            previous = step

        for filename in procedure.attachments:
            if rng.random() < 0.75:
                attachments.append(_attachment(rng, new_id, pk, filename))
        if channel == Channel.PAPER:
            attachments.append(_attachment(rng, new_id, pk, "courrier_scanne.pdf"))

        rule = procedure.silence_rule
        due = next_due(
            DueFacts(
                status=status,
                electronic=channel.is_electronic,
                received=received.date(),
                department=authority.department,
                silence_rule=rule,
                period=procedure.period,
                unit=procedure.unit,
                registration_receipt_sent=receipt_at is not None,
                acknowledged=acknowledged_at is not None,
                missing_documents=tuple(missing),
            )
        )
        request_rows.append(
            (
                pk,
                new_id(),
                authority_pks[authority.code],
                number,
                utc(received),
                channel.value,
                citizen.pk,
                procedure_pks[procedure.code],
                subject,
                body,
                json.dumps(fields, ensure_ascii=False),
                status.value,
                outcome.value if outcome else None,
                assigned,
                receipt_at,
                acknowledged_at,
                due.on.isoformat() if due and due.on else None,
                due.kind.value if due else None,
            )
        )
        if len(request_rows) >= 2000:
            event_count += len(events)
            attachment_count += len(attachments)
            flush()
            for batch in (request_rows, events, attachments, missing_rows):
                batch.clear()
            if progress:
                progress(index + 1, total)
    event_count += len(events)
    attachment_count += len(attachments)
    flush()
    if progress:
        progress(total, total)
    return event_count, attachment_count


def _words(
    fake: Faker, rng: random.Random, authority: DemoAuthority, citizen: _Citizen, received: datetime
) -> dict[str, str]:
    birth = fake.date_between(start_date="-80y", end_date="-1y")
    child_birth = fake.date_between(start_date="-16y", end_date="-3y")
    event_day = received.date() + timedelta(days=rng.randint(20, 120))
    words = {
        "child_birth": child_birth.strftime("%d/%m/%Y"),
        "event_date": event_day.strftime("%d/%m/%Y"),
        "rna": f"W{rng.randrange(10**8, 10**9)}",
        "yes_no": rng.choice(("oui", "non")),
        "problem": rng.choice(PROBLEMS),
        "works": rng.choice(WORKS),
        "area": str(rng.randint(300, 2500)),
        "small_area": str(rng.randint(4, 40)),
        "letter": rng.choice("ABCDEF"),
        "first": citizen.first_name,
        "last": citizen.last_name,
        "child": fake.first_name(),
        "birth": birth.strftime("%d/%m/%Y"),
        "city": authority.city,
        "street": rng.choice(authority.streets),
        "num": str(rng.randint(1, 120)),
        "school": rng.choice(authority.schools),
        "grade": rng.choice(GRADES),
        "year": str(received.year),
        "org": citizen.organisation or f"{citizen.last_name} et fils",
        "amount": str(rng.choice((150, 300, 500, 800, 1200, 2500))),
        "members": str(rng.randint(12, 180)),
        "parcel": f"{rng.choice('ABCDEK')}{rng.choice('ABCDEFGH')} {rng.randint(1, 999)}",
        "place": rng.choice(PLACES),
    }
    words["de_child"] = de_name(words["child"])  # « Inscription d'Honoré », not « de Honoré »
    return words


def _form_fields(procedure: DemoProcedure, words: dict[str, str]) -> dict[str, str]:
    return {label: template.format(**words) for label, template in procedure.form_fields}


def _attachment(rng: random.Random, new_id: _Ids, request_pk: int, filename: str) -> tuple:
    media = "image/jpeg" if filename.endswith(".jpg") else "application/pdf"
    size = rng.randint(40_000, 4_800_000)
    digest = hashlib.sha256(f"{request_pk}/{filename}/{size}".encode()).hexdigest()
    return (new_id(), request_pk, filename, media, size, digest)
