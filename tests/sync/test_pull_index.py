"""A large pull stays linear: the first sync's pages leave the full-text index alone and the
last page rebuilds it in one pass (issue 9, item 21). Counted through SQLite's trace callback,
no timing."""

from __future__ import annotations

import hashlib
import sqlite3
import uuid

from desktop.store.sync_store import SqliteSyncStore
from sync.protocol.wire import AttachmentRow
from tests.factories import check_search_index, fts_search
from tests.sync.test_store_apply import AUTHORITY, NOW, authority, citizen, page, request

PAGES, PER_PAGE = 4, 30


def _attachment(rid: uuid.UUID, version: int, name: str) -> AttachmentRow:
    return AttachmentRow(id=uuid.uuid4(), version=version, authority_id=AUTHORITY,
                         request_id=rid, sha256=hashlib.sha256(name.encode()).hexdigest(),
                         filename=name, content_type="application/pdf", size=1000,
                         created_at=NOW)


def test_a_paged_first_sync_builds_the_index_once(empty_db: sqlite3.Connection) -> None:
    store = SqliteSyncStore(empty_db)
    index_writes: list[int] = []
    statements: list[str] = []

    def trace(sql: str) -> None:
        statements.append(sql)
        if sql.startswith("-- ") and "request_fts_" in sql and "data_version" not in sql:
            index_writes.append(len(statements))

    empty_db.set_trace_callback(trace)
    version, cid, first = 1, uuid.uuid4(), None
    for number in range(PAGES):
        rows: dict[str, object] = {"requests": [], "attachments": []}
        if number == 0:
            rows.update(authorities=[authority()], citizens=[citizen(cid, 2)])
            version = 3
        for _ in range(PER_PAGE):
            rid = uuid.uuid4()
            first = first or rid
            number_text = f"2026-{number * PER_PAGE + len(rows['requests']) + 1:06d}"  # type: ignore[arg-type]
            rows["requests"].append(  # type: ignore[attr-defined]
                request(rid, version, cid).model_copy(update={"number": number_text}))
            for name in ("piece_identite.pdf", "justificatif_domicile.pdf"):
                version += 1
                rows["attachments"].append(  # type: ignore[attr-defined]
                    _attachment(rid, version, name))
            version += 1
        last = number == PAGES - 1
        written_before = len(index_writes)
        store.apply_page(page(version, more=not last, **rows))
        if not last:
            assert len(index_writes) == written_before, f"index written by page {number + 1}"
    empty_db.set_trace_callback(None)
    rebuilds = [i for i, sql in enumerate(statements, 1)
                if sql == "INSERT INTO request_fts(request_fts) VALUES ('rebuild')"]
    assert len(rebuilds) == 1 and min(index_writes) > rebuilds[0]
    check_search_index(empty_db)
    assert len(fts_search(empty_db, "justificatif")) == PAGES * PER_PAGE
