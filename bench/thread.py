"""Benchmark of the thread of messages and the mail intake (issue 12). Prints JSON; not a test.

On a generated bannette of ``REQUESTS`` requests with ``MESSAGES`` incoming messages spread
over them (a quarter unread):

- ``inbox_block_ms``: one block of 100 bannette rows as the table fetches them while it
  paints (``InboxRepository.rows``), now with the « unread message » mark, p95 over blocks
  taken all along the list (target p95 ≤ 10 ms); ``raw_block_without_mark_ms``: the same
  query without the mark, straight in SQLite (the limit: what the mark costs is the gap);
- ``thread_200_ms``: the thread of a request holding 200 messages read and rendered as the
  detail pane's section (target p95 ≤ 50 ms); ``raw_thread_select_ms``: its SELECT alone;
- ``import_mail_ms``: one .eml with a 1 MB PDF registered as a request (read, checked,
  citizen, request, file in the cache, one transaction), p95 (target ≤ 200 ms);
  ``raw_parse_ms``: the shared parser alone on the same mail.

    python -m bench.thread [REQUESTS]
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pymupdf

from bench.common import bench_database, discard_database, emit, machine, percentiles
from desktop.services.mail_intake import read_mail, register_mail
from desktop.store.database import connect
from desktop.store.inbox import _ROW_SQL, InboxRepository
from desktop.store.intake import procedures_for
from desktop.store.messages import attachment_names, thread
from desktop.views.thread.section import thread_html
from sync.protocol.inbound_mail import parse_mail_file

REQUESTS = 100_000
MESSAGES = 20_000
AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _messages(conn: sqlite3.Connection, pks: list[int], rng: random.Random) -> int:
    """Incoming messages on random requests, a quarter unread; 200 on one request."""
    rows = []
    for n in range(MESSAGES):
        at = (AT + timedelta(minutes=n)).isoformat()
        rows.append((str(uuid.uuid4()), rng.choice(pks), "Re: votre demande",
                     "Bonjour,\nvoici la pièce demandée.\nCordialement", at,
                     None if n % 4 == 0 else at))
    busy = pks[len(pks) // 2]
    for n in range(200):
        at = (AT + timedelta(hours=n)).isoformat()
        rows.append((str(uuid.uuid4()), busy, f"Échange n° {n}", "Texte du message. " * 20,
                     at, at))
    conn.executemany(
        "INSERT INTO message (id, request_pk, direction, channel, subject, body, at, read_at, "
        "version) VALUES (?, ?, 'inbound', 'email', ?, ?, ?, ?, 1)", rows)
    conn.execute("ANALYZE")
    return busy


def _eml(pdf: bytes, n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Usager {n} <usager{n}@example.fr>"
    msg["To"] = "mairie@example.fr"
    msg["Subject"] = f"Demande n° {n} par courriel"
    msg["Message-ID"] = f"<bench-{n}@example.fr>"
    msg["Date"] = "Mon, 23 Nov 2026 08:00:00 +0000"
    msg.set_content("Bonjour,\nveuillez trouver ma demande ci-jointe.\n" * 20)
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename="dossier.pdf")
    return msg.as_bytes()


def _pdf_of_about(size: int) -> bytes:
    doc = pymupdf.open()
    rng = random.Random(3)
    while True:
        page = doc.new_page()
        for line in range(50):
            page.insert_text((40, 40 + line * 15), "".join(
                rng.choice("abcdefghijklmnopqrstuvwxyzéè ") for _ in range(90)), fontsize=8)
        data = bytes(doc.tobytes(deflate=False))
        if len(data) >= size:
            return data


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else REQUESTS
    path, generated = bench_database(requests)
    conn = connect(path)
    rng = random.Random(12)
    repo = InboxRepository(conn)
    pks = [int(r[0]) for r in conn.execute("SELECT pk FROM request ORDER BY pk")]
    busy = _messages(conn, pks, rng)

    ordered = [int(r[0]) for r in conn.execute("SELECT pk FROM request ORDER BY received_at")]
    starts = [rng.randrange(0, len(ordered) - 100) for _ in range(200)]
    with_mark, raw = [], []
    raw_sql = _ROW_SQL.replace(
        ",\n       EXISTS (SELECT 1 FROM message m WHERE m.request_pk = r.pk AND m.direction = "
        "'inbound'\n               AND m.read_at IS NULL AND m.deleted = 0)", "")
    assert "EXISTS" not in raw_sql
    for n, start in enumerate(starts):
        block = ordered[start : start + 100]
        marks = ", ".join("?" * len(block))
        # Each first in turn: the one read second finds the pages warm.
        for which in ((0, 1) if n % 2 else (1, 0)):
            began = time.perf_counter()
            if which == 0:
                repo.rows(block)
                with_mark.append(time.perf_counter() - began)
            else:
                conn.execute(f"{raw_sql} WHERE r.pk IN ({marks})", block).fetchall()
                raw.append(time.perf_counter() - began)
    unread = sum(1 for row in repo.rows(ordered[:5000]).values() if row.unread)

    thread_s, select_s = [], []
    email = ""
    for _ in range(30):
        began = time.perf_counter()
        messages = thread(conn, busy)
        thread_html(messages, attachment_names(conn, []), email, busy)
        thread_s.append(time.perf_counter() - began)
        began = time.perf_counter()
        conn.execute("SELECT * FROM message WHERE request_pk = ? AND deleted = 0 "
                     "ORDER BY at, pk", (busy,)).fetchall()
        select_s.append(time.perf_counter() - began)

    authority = int(conn.execute("SELECT pk FROM authority ORDER BY name LIMIT 1").fetchone()[0])
    procedure = int(procedures_for(conn, authority)[0].key)
    pdf = _pdf_of_about(1024 * 1024)
    import_s, parse_s = [], []
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    for n in range(30):
        raw_mail = _eml(pdf, n)
        began = time.perf_counter()
        parse_mail_file("m.eml", raw_mail)
        parse_s.append(time.perf_counter() - began)
        began = time.perf_counter()
        draft = read_mail(conn, authority, f"m{n}.eml", raw_mail, now=now)
        register_mail(conn, draft, draft.entry(authority, procedure), agent_id=None, now=now)
        import_s.append(time.perf_counter() - began)
    conn.close()
    shutil.rmtree(path.parent / "pieces-jointes", ignore_errors=True)  # the files attached
    discard_database(path)
    emit("thread", {
        "machine": machine(),
        "data": {**generated, "incoming_messages": MESSAGES + 200,
                 "unread_among_first_5000_rows": unread},
        "inbox_block_ms": {**percentiles(with_mark), "target_p95_ms": 10},
        "raw_block_without_mark_ms": percentiles(raw),
        "thread_200_ms": {**percentiles(thread_s), "target_p95_ms": 50},
        "raw_thread_select_ms": percentiles(select_s),
        "import_mail_ms": {**percentiles(import_s), "target_p95_ms": 200,
                           "pdf_bytes": len(pdf)},
        "raw_parse_ms": percentiles(parse_s),
    })


if __name__ == "__main__":
    main()
