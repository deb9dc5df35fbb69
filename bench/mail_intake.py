"""Incoming mail: reading (``sync.protocol.inbound_mail``) and the server's IMAP intake.

Prints JSON: parse time per kind of mail against the ``email`` library alone (the raw limit:
the same bytes parsed and every part decoded, nothing else), and the whole intake — a real
Dovecot on 127.0.0.1 with TLS, 50 mails, one poller pass registering them on SQLite — against
the same IMAP work (fetch, flag, move) done with ``imaplib`` alone.

    python -m bench.mail_intake
"""

from __future__ import annotations

import email
import email.policy
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import emit, machine, percentiles
from server.auth.passwords import Passwords
from server.blobs import DiskBlobStore
from server.db.database import Database
from server.db.migrate import upgrade
from server.mail import mailbox
from server.mail.intake_poller import IntakePolicy, MailboxPoller
from server.seed import SeedAgent, SeedAuthority, seed
from sync.protocol.inbound_mail import parse_eml
from sync.protocol.vocabulary import Role
from tests.mail_samples import build_mail
from tests.server.helpers import pdf_bytes, png_bytes
from tests.server.imap_server import ImapServer, throwaway_imap

#: Targets: reading costs at most 1.5 × the ``email`` library alone on an ordinary mail; the
#: worst HTML bomb is read within a second; a mail is registered (fetched, stored durably,
#: flagged and filed) within 200 ms — a mairie's busiest day of mail within a minute.
TARGET_PARSE_FACTOR = 1.5
TARGET_BOMB_MS = 1000.0
TARGET_INTAKE_MS_PER_MAIL = 200.0
#: The shapes of HTML bomb tried (the unit tests try the same).
BOMBS = {
    "nested_divs_5MB": "<div>" * 1_000_000,
    "lone_lt_3MB": "<" * 3_000_000,
    "unclosed_scripts": "<script>" * 400_000,
    "unclosed_comments": "<!--" * 600_000,
    "entities": "&eacute;" * 400_000,
    "open_attribute": "<a href='" + "x" * 3_000_000,
    "short_tags": "<b>" * 700_000,
    "lt_letter": "<x" * 1_000_000,
    "cells": "<td>" * 600_000,
}


def _library_alone(raw: bytes) -> None:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    for part in message.walk():
        part.get_payload(decode=True)


def _time(function: Callable[[bytes], Any], raw: bytes, runs: int) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function(raw)
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def parsing() -> dict[str, Any]:
    big_pdf = pdf_bytes("Plan") + b"%" + b"x" * (1024 * 1024)
    kinds = {
        "ordinary_with_1MB_pdf": build_mail(subject="Demande", text="Bonjour,\n" * 20, files=(
            ("plan.pdf", big_pdf, "application/pdf"),)),
        "html_only_200KB": build_mail(
            subject="Lettre", text=None, html="<p>Bonjour <b>madame</b></p>" * 7000),
        "thirty_attachments": build_mail(subject="Scans", text="Voir pièces", files=tuple(
            (f"scan-{i}.png", png_bytes(), "image/png") for i in range(30))),
    }  # fmt: skip
    out: dict[str, Any] = {}
    for name, raw in kinds.items():
        runs = 30
        out[name] = {
            "bytes": len(raw),
            "parse_eml": _time(parse_eml, raw, runs),
            "email_library_alone": _time(_library_alone, raw, runs),
        }
    worst = {}
    for name, markup in BOMBS.items():
        raw = build_mail(subject="Bombe", text=None, html=markup)
        worst[name] = _time(parse_eml, raw, 3)["max_ms"]
    out["html_bombs_max_ms"] = worst
    out["html_bomb_worst_ms"] = max(worst.values())
    return out


def _imap_alone(imap: ImapServer, folder: str, destination: str) -> float:
    """The raw limit: the same IMAP work (fetch, flag, move) with imaplib and nothing else."""
    started = time.perf_counter()
    with imap.connect() as conn:
        conn.create(destination)
        conn.select(folder)
        uids = (conn.uid("SEARCH", "UNSEEN")[1][0] or b"").split()
        for uid in uids:
            conn.uid("FETCH", uid, "(RFC822.SIZE)")
            conn.uid("FETCH", uid, "(BODY.PEEK[])")
            conn.uid("STORE", uid, "+FLAGS.SILENT", "(\\Seen)")
            conn.uid("MOVE", uid, destination)
    return time.perf_counter() - started


def intake(count: int = 50) -> dict[str, Any]:
    with throwaway_imap() as imap, tempfile.TemporaryDirectory() as tmp:
        with imap.connect() as conn:
            conn.create("alone")
        for i in range(count):
            for folder in ("INBOX", "alone"):
                piece = ("piece.pdf", pdf_bytes(f"Pièce {i}"), "application/pdf")
                imap.append(build_mail(subject=f"Demande {i}", files=(piece,)), folder)
        imap_alone = _imap_alone(imap, "alone", "alone-done")
        db = Database(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        upgrade(db.engine)
        agent = SeedAgent("bench", "Bench", Role.CLERK, "Motdepasse-1!", ["99002"])
        commune = SeedAuthority("Commune bench", "99002", "10")
        ids = seed(db, Passwords(1, 1024, 1), authorities=[commune], agents=[agent])
        with db.write() as session:
            mailbox.configure(session, ids["99002"], host=imap.host, port=imap.tls_port,
                              username=imap.user, password=imap.password)  # fmt: skip
        poller = MailboxPoller(db, DiskBlobStore(Path(tmp) / "blobs"), IntakePolicy(batch=count),
                               ssl_context=imap.context)  # fmt: skip
        started = time.perf_counter()
        [report] = poller.run_once()
        whole = time.perf_counter() - started
        db.dispose()
        assert report.error is None and len(report.results) == count, report
    return {
        "mails": count,
        "intake_pass_s": round(whole, 2),
        "intake_ms_per_mail": round(whole * 1000 / count, 1),
        "imaplib_alone_ms_per_mail": round(imap_alone * 1000 / count, 1),
    }


def main() -> None:
    figures: dict[str, Any] = {"machine": machine()}
    figures["parsing"] = parsing()
    figures["intake_real_dovecot_sqlite"] = intake()
    figures["targets"] = {
        "parse_vs_email_library_factor": TARGET_PARSE_FACTOR,
        "html_bomb_worst_ms": TARGET_BOMB_MS,
        "intake_ms_per_mail": TARGET_INTAKE_MS_PER_MAIL,
    }
    emit("mail_intake", figures)


if __name__ == "__main__":
    main()
