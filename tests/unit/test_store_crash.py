"""A process killed mid-transaction leaves the database consistent; one killed after COMMIT
keeps what it committed.

Each case runs a real child Python that opens the database with the application's ``connect``
and SIGKILLs itself: no ``finally``, no ``atexit``, no rollback, no checkpoint, exactly what a
crash or the task manager's "Fin de tâche" does.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from desktop.store.database import connect
from desktop.store.requests import set_status
from sync.protocol.vocabulary import Status
from tests.factories import check_search_index, integrity_check, search

ROOT = Path(__file__).resolve().parents[2]
COUNTED = ("request", "attachment", "event", "citizen", "request_search", "missing_documents")

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")

PRELUDE = """
import os, signal, sys
from datetime import datetime
from desktop.store.database import connect
from tests.factories import add_attachment, add_request

path = sys.argv[1]
conn = connect(path)
# A tiny page cache makes SQLite spill uncommitted pages into the WAL file before COMMIT,
# so the crash leaves real half-written frames behind, not just memory.
conn.execute("PRAGMA cache_size = 5")
first = conn.execute("SELECT authority_pk, citizen_pk, procedure_pk FROM request").fetchone()

def crash():
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)
"""


def run_child(path: Path, body: str) -> subprocess.CompletedProcess[str]:
    code = PRELUDE + textwrap.dedent(body)
    result = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    return result


def counts(path: Path) -> dict[str, int]:
    conn = connect(path)
    try:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in COUNTED}
    finally:
        conn.close()


def check_consistent(path: Path) -> sqlite3.Connection:
    conn = connect(path)
    integrity_check(conn)
    check_search_index(conn)
    return conn


def test_crash_in_the_middle_of_a_big_transaction(demo_db_path: Path) -> None:
    before = counts(demo_db_path)
    result = run_child(
        demo_db_path,
        """
        conn.execute("BEGIN IMMEDIATE")
        for i in range(1500):
            pk = add_request(conn, *first, number=f"2099-{i:06d}", subject=f"Fantôme n°{i}")
            add_attachment(conn, pk, f"fantome_{i}.pdf")
        conn.execute("UPDATE citizen SET display_name = 'ZZZ Fantôme'")
        conn.execute("UPDATE attachment SET deleted = 1 WHERE pk % 2 = 0")
        conn.execute("DELETE FROM missing_documents")
        print("wal", os.path.getsize(path + "-wal"))
        crash()
        """,
    )
    # The transaction really reached the disk before the crash (so recovery had work to do).
    assert int(result.stdout.split()[-1]) > 0
    assert counts(demo_db_path) == before
    conn = check_consistent(demo_db_path)
    assert search(conn, "fantome") == set()
    assert (
        conn.execute("SELECT COUNT(*) FROM citizen WHERE display_name LIKE 'ZZZ%'").fetchone()[0]
        == 0
    )
    # The database takes a fresh write at once (no stale lock, no leftover transaction).
    conn.execute("INSERT INTO setting (key, value) VALUES ('after_crash', 'ok')")
    pk = conn.execute("SELECT pk FROM request WHERE status = 'received' LIMIT 1").fetchone()[0]
    set_status(conn, pk, Status.ACKNOWLEDGED, agent_id=None, at=datetime(2026, 11, 23, 12))
    check_search_index(conn)
    conn.close()


def test_crash_in_the_middle_of_a_status_change(demo_db_path: Path) -> None:
    conn = connect(demo_db_path)
    pk, status, due = conn.execute(
        "SELECT pk, status, due_date FROM request WHERE status = 'received' "
        "AND due_date IS NOT NULL ORDER BY pk LIMIT 1"
    ).fetchone()
    events = conn.execute("SELECT COUNT(*) FROM event WHERE request_pk = ?", (pk,)).fetchone()[0]
    conn.close()
    before = counts(demo_db_path)
    # The steps of set_status, by hand, with the crash before the échéance and the COMMIT.
    run_child(
        demo_db_path,
        f"""
        from desktop.domain.workflow import RequestState, change_status
        from desktop.store.requests import insert_event
        from sync.protocol.vocabulary import Status
        pk = {pk}
        conn.execute("BEGIN IMMEDIATE")
        state = RequestState(Status(conn.execute(
            "SELECT status FROM request WHERE pk = ?", (pk,)).fetchone()[0]))
        new, events = change_status(state, Status.ACKNOWLEDGED, at=datetime(2026, 11, 23, 11),
                                    agent_id=None)
        conn.execute("UPDATE request SET status = ?, acknowledged_at = '2026-11-23T11:00:00' "
                     "WHERE pk = ?", (new.status.value, pk))
        for event in events:
            insert_event(conn, pk, event)
        crash()
        """,
    )
    assert counts(demo_db_path) == before
    conn = check_consistent(demo_db_path)
    row = conn.execute(
        "SELECT status, due_date, acknowledged_at FROM request WHERE pk = ?", (pk,)
    ).fetchone()
    assert tuple(row) == (status, due, None)
    assert (
        conn.execute("SELECT COUNT(*) FROM event WHERE request_pk = ?", (pk,)).fetchone()[0]
        == events
    )
    # The same change done properly now goes through.
    set_status(conn, pk, Status.ACKNOWLEDGED, agent_id=None, at=datetime(2026, 11, 23, 12))
    assert conn.execute("SELECT status FROM request WHERE pk = ?", (pk,)).fetchone()[0] == (
        "acknowledged"
    )
    conn.close()


def test_a_crash_right_after_commit_keeps_the_data(demo_db_path: Path) -> None:
    conn = connect(demo_db_path)
    pks = [pk for (pk,) in conn.execute("SELECT pk FROM request WHERE status = 'received' LIMIT 5")]
    conn.close()
    before = counts(demo_db_path)
    run_child(
        demo_db_path,
        f"""
        from desktop.store.database import transaction
        from desktop.store.requests import set_status
        from sync.protocol.vocabulary import Status
        with transaction(conn):
            for i in range(300):
                pk = add_request(conn, *first, number=f"2099-{{i:06d}}", subject="Durable Noël")
                add_attachment(conn, pk, f"durable_{{i}}.pdf")
        for pk in {pks!r}:
            set_status(conn, pk, Status.DRAFTING, agent_id=None, at=datetime(2026, 11, 23, 11))
        crash()  # no close(), no checkpoint: the commits live only in the WAL file
        """,
    )
    wal = Path(f"{demo_db_path}-wal")
    assert wal.exists() and wal.stat().st_size > 0
    after = counts(demo_db_path)
    assert after["request"] == before["request"] + 300
    assert after["attachment"] == before["attachment"] + 300
    assert after["event"] == before["event"] + len(pks)
    conn = check_consistent(demo_db_path)
    assert len(search(conn, "durable noel")) == 300
    statuses = {
        s
        for (s,) in conn.execute(
            f"SELECT status FROM request WHERE pk IN ({','.join(map(str, pks))})"
        )
    }
    assert statuses == {"drafting"}
    details = [
        json.loads(d)
        for (d,) in conn.execute(
            "SELECT detail FROM event WHERE kind = 'status_changed' "
            "AND at = '2026-11-23T10:00:00+00:00'"  # 11:00 in Paris
        )
    ]
    assert details == [{"from": "received", "to": "drafting"}] * len(pks)
    conn.close()
