"""Bulk loads and the full-text index: defer it, then rebuild it in one pass.

Every write to a request's search document (``request_search``) is mirrored into the FTS5
index by the triggers of migrations 0002/0004; an attachment insert rewrites its request's
document, so the index receives a delete and an insert per attachment. Inside one large
transaction (the demo's data set, a first sync) FTS5 keeps that churn in memory and merges it
again and again: building 60,000 requests took 383 s, and more per request the larger the set.
A bulk load therefore switches the index triggers off (``sync_state.fts_deferred``, read by
the triggers), writes its rows, and rebuilds the index once from ``request_search``: the cost
grows with the rows written, no more. Single writes keep the triggers.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

#: sync_state key read by the full-text triggers of migration 0004.
FTS_DEFERRED = "fts_deferred"


def defer_index(conn: sqlite3.Connection) -> None:
    """From now on, in this transaction, search documents change without touching the index."""
    _set(conn, "1")


def index_deferred(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (FTS_DEFERRED,)).fetchone()
    return row is not None and row[0] == "1"


def rebuild_index(conn: sqlite3.Connection) -> None:
    """One pass over ``request_search`` into the index, and the triggers on again."""
    conn.execute("INSERT INTO request_fts(request_fts) VALUES ('rebuild')")
    rebuild_citizen_keys(conn)
    _set(conn, "0")


def rebuild_citizen_keys(conn: sqlite3.Connection) -> None:
    """The citizens' duplicate keys and look-up index (migration citizen_file), whose triggers wait
    with the request index during a bulk load, recomputed in one pass. A store not yet at
    that migration (a test building an old store) has no keys: the migration computes them."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(citizen)")}
    if "email_key" not in columns:
        return
    conn.execute(
        "UPDATE citizen SET email_key = lower(trim(email)), phone_key = phone_key(phone), "
        "identity_key = identity_key(display_name, address, postcode)"
    )
    conn.execute("DELETE FROM citizen_lookup")
    conn.execute(
        "INSERT INTO citizen_lookup(rowid, name, email, phone) "
        "SELECT pk, sort_key, email, phone_key FROM citizen"
    )


@contextmanager
def bulk_index(conn: sqlite3.Connection) -> Iterator[None]:
    """Defer the index for a bulk write, rebuild it at the end; call inside the transaction,
    so a failure rolls back the flag with the rows."""
    defer_index(conn)
    yield
    rebuild_index(conn)


def _set(conn: sqlite3.Connection, value: str) -> None:
    conn.execute(
        "INSERT INTO sync_state (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (FTS_DEFERRED, value),
    )
