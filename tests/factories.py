"""Plain-SQL builders of test rows, valid from schema version 1 on (no Qt, no demo data).

They write the columns of migration 0001 only, so the migration tests can use them on a
database stopped at any version. Each returns the new row's integer ``pk``.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from datetime import date

from desktop.domain.text import fold
from desktop.store.inbox import InboxFilter, InboxRepository, InboxSort, fts_query

SOME_DAY = date(2026, 11, 23)


def new_id() -> str:
    return str(uuid.uuid4())


def add_authority(
    conn: sqlite3.Connection, name: str = "Mairie de Saint-Dié", department: str = "88"
) -> int:
    cur = conn.execute(
        "INSERT INTO authority (id, name, department, internal_target_days) VALUES (?, ?, ?, 7)",
        (new_id(), name, department),
    )
    return int(cur.lastrowid)


def add_agent(
    conn: sqlite3.Connection, login: str = "clerk", role: str = "clerk"
) -> tuple[int, str]:
    agent_id = new_id()
    cur = conn.execute(
        "INSERT INTO agent (id, login, display_name, role) VALUES (?, ?, ?, ?)",
        (agent_id, login, login.title(), role),
    )
    return int(cur.lastrowid), agent_id


def add_procedure(
    conn: sqlite3.Connection,
    silence_rule: str = "accept",
    period: int = 2,
    unit: str = "months",
    name: str = "Inscription scolaire",
) -> int:
    cur = conn.execute(
        "INSERT INTO procedure (id, code, name, silence_rule, period, period_unit) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (new_id(), fold(name).replace(" ", "_"), name, silence_rule, period, unit),
    )
    return int(cur.lastrowid)


def add_citizen(
    conn: sqlite3.Connection,
    authority_pk: int,
    display_name: str = "NOËL Éloïse",
    email: str = "eloise.noel@example.fr",
) -> int:
    cur = conn.execute(
        "INSERT INTO citizen (id, authority_pk, kind, display_name, sort_key, email) "
        "VALUES (?, ?, 'person', ?, ?, ?)",
        (new_id(), authority_pk, display_name, fold(display_name), email),
    )
    return int(cur.lastrowid)


def add_request(
    conn: sqlite3.Connection,
    authority_pk: int,
    citizen_pk: int,
    procedure_pk: int,
    *,
    number: str = "2026-000123",
    subject: str = "Inscription à l'école",
    body: str = "",
    channel: str = "web",
    received_at: str = "2026-11-16T10:00:00",
    status: str = "received",
    registration_receipt_at: str | None = None,
    acknowledged_at: str | None = None,
) -> int:
    cur = conn.execute(
        """INSERT INTO request (id, authority_pk, number, received_at, channel, citizen_pk,
           procedure_pk, subject, body, status, registration_receipt_at, acknowledged_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            new_id(),
            authority_pk,
            number,
            received_at,
            channel,
            citizen_pk,
            procedure_pk,
            subject,
            body,
            status,
            registration_receipt_at,
            acknowledged_at,
        ),
    )
    return int(cur.lastrowid)


def add_attachment(
    conn: sqlite3.Connection, request_pk: int, filename: str = "justificatif_domicile.pdf"
) -> int:
    cur = conn.execute(
        "INSERT INTO attachment (id, request_pk, filename, media_type, size, sha256) "
        "VALUES (?, ?, ?, 'application/pdf', 1234, ?)",
        (new_id(), request_pk, filename, "0" * 64),
    )
    return int(cur.lastrowid)


def add_event(
    conn: sqlite3.Connection,
    request_pk: int,
    kind: str = "created",
    detail: str = "{}",
    at: str = "2026-11-16T10:00:00",
    agent_pk: int | None = None,
) -> int:
    cur = conn.execute(
        "INSERT INTO event (id, request_pk, at, agent_pk, kind, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (new_id(), request_pk, at, agent_pk, kind, detail),
    )
    return int(cur.lastrowid)


def add_world(conn: sqlite3.Connection) -> dict[str, int]:
    """One of everything: authority, agent, procedure, citizen, request, attachment, event."""
    authority = add_authority(conn)
    agent, _ = add_agent(conn)
    conn.execute(
        "INSERT INTO agent_authority (agent_pk, authority_pk) VALUES (?, ?)", (agent, authority)
    )
    procedure = add_procedure(conn)
    citizen = add_citizen(conn, authority)
    request = add_request(
        conn, authority, citizen, procedure, subject="Fête de Noël à l'école Jules-Ferry"
    )
    attachment = add_attachment(conn, request)
    event = add_event(conn, request, agent_pk=agent)
    return {
        "authority": authority,
        "agent": agent,
        "procedure": procedure,
        "citizen": citizen,
        "request": request,
        "attachment": attachment,
        "event": event,
    }


# --------------------------------------------------------------------------- checks


def search(conn: sqlite3.Connection, text: str) -> set[int]:
    """Request pks the bannette's search box finds for ``text`` (no other filter)."""
    found = InboxRepository(conn).ids(InboxFilter(search=text), InboxSort(), today=SOME_DAY)
    return set(found)


def fts_search(conn: sqlite3.Connection, text: str) -> set[int]:
    """The same, straight through ``fts_query`` and MATCH (no number shortcut)."""
    query = fts_query(text)
    if query is None:
        return set()
    sql = "SELECT rowid FROM request_fts WHERE request_fts MATCH ?"
    return {pk for (pk,) in conn.execute(sql, (query,))}


def fts_integrity_check(conn: sqlite3.Connection) -> None:
    """FTS5's own 'integrity-check', then the index compared with its content table.

    For an external-content table, 'integrity-check' before SQLite 3.44 checks the index's
    internal structure only, not that it agrees with the content table: an index that missed
    an update passes it. So every (term, row, column, position) of the live index is also
    compared with those of a scratch FTS5 table built from request_search with the same
    tokenizer.
    """
    conn.execute("INSERT INTO request_fts(request_fts) VALUES ('integrity-check')")
    ddl = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'request_fts'").fetchone()[0]
    ddl = re.sub(r"\bcontent(_rowid)?\s*=\s*'?\w+'?\s*,?", "", ddl)
    ddl = ddl.replace("CREATE VIRTUAL TABLE request_fts", "CREATE VIRTUAL TABLE temp.fts_check")
    conn.execute("DROP TABLE IF EXISTS temp.fts_check")
    conn.execute(ddl)
    conn.execute(
        "INSERT INTO temp.fts_check (rowid, number, citizen, subject, body, attachments) "
        "SELECT rowid, number, citizen, subject, body, attachments FROM request_search"
    )
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_live_terms "
        "USING fts5vocab(main, request_fts, instance)"
    )
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_check_terms "
        "USING fts5vocab(temp, fts_check, instance)"
    )
    query = "SELECT term, doc, col, offset FROM temp.{} ORDER BY 1, 2, 3, 4"
    live = conn.execute(query.format("fts_live_terms")).fetchall()
    rebuilt = conn.execute(query.format("fts_check_terms")).fetchall()
    conn.execute("DROP TABLE temp.fts_check")
    if [tuple(r) for r in live] != [tuple(r) for r in rebuilt]:
        raise AssertionError("the FTS index disagrees with request_search")


def integrity_check(conn: sqlite3.Connection) -> None:
    assert [tuple(r) for r in conn.execute("PRAGMA integrity_check")] == [("ok",)]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def expected_search_documents(conn: sqlite3.Connection) -> dict[int, tuple]:
    """What request_search must hold, recomputed from the source tables."""
    documents = {}
    for r in conn.execute(
        "SELECT r.pk, r.number, c.display_name || ' ' || c.email, r.subject, r.body "
        "FROM request r JOIN citizen c ON c.pk = r.citizen_pk"
    ):
        names = sorted(
            name
            for (name,) in conn.execute(
                "SELECT filename FROM attachment WHERE request_pk = ? AND deleted = 0", (r[0],)
            )
        )
        # The number is indexed with its short form too: "2026-000123 123".
        number = f"{r[1]} {r[1][5:].lstrip('0')}"
        documents[r[0]] = (number, r[2], r[3], r[4], names)
    return documents


def stored_search_documents(conn: sqlite3.Connection) -> dict[int, tuple]:
    documents = {}
    for row in conn.execute(
        "SELECT rowid, number, citizen, subject, body, attachments FROM request_search"
    ):
        names = sorted(row[5].split(" ")) if row[5] else []
        documents[row[0]] = (row[1], row[2], row[3], row[4], names)
    return documents


def check_search_index(conn: sqlite3.Connection) -> None:
    """The denormalised documents match their sources and the FTS index matches them."""
    assert stored_search_documents(conn) == expected_search_documents(conn)
    fts_integrity_check(conn)
