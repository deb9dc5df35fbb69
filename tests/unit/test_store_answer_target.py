"""Migration answer_target_without_silence_rule: requests acknowledged under a procedure
without silence rule get back the échéance the earlier code emptied (issue 9, item 4)."""

from __future__ import annotations

from pathlib import Path

from desktop.demo.generator import generate
from desktop.domain.due import DueKind, next_due
from desktop.store.database import apply_migrations, connect
from desktop.store.requests import due_facts
from tests.conftest import TODAY, migration_version


def test_open_requests_without_an_echeance_get_the_internal_target(tmp_path: Path) -> None:
    before = migration_version("answer_target_without_silence_rule") - 1
    conn = connect(tmp_path / "old.sqlite3", target=before)
    generate(conn, requests=300, seed=9, today=TODAY)
    # What the earlier code stored: no échéance once acknowledged, as if treated.
    answer = [pk for (pk,) in conn.execute(
        "SELECT pk FROM request WHERE due_kind = ?", (DueKind.ANSWER_TARGET,))]
    assert answer
    with conn:
        conn.execute("UPDATE request SET due_kind = NULL, due_date = NULL "
                     "WHERE due_kind = ?", (DueKind.ANSWER_TARGET,))
    closed = {pk for (pk,) in conn.execute(
        "SELECT pk FROM request WHERE status IN ('answered', 'closed')")}

    apply_migrations(conn)

    for pk in answer:
        due = next_due(due_facts(conn, pk))
        assert due is not None and due.kind == DueKind.ANSWER_TARGET
        stored = conn.execute(
            "SELECT due_kind, due_date FROM request WHERE pk = ?", (pk,)).fetchone()
        assert tuple(stored) == (due.kind.value, due.on.isoformat())
    for pk in closed:  # a treated request still has none
        kind = conn.execute("SELECT due_kind FROM request WHERE pk = ?", (pk,)).fetchone()[0]
        assert kind is None
    conn.close()
