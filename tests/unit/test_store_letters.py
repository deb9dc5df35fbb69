"""Producing a letter is not sending it (issue 9, item 6): the store's rules."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

import pytest

from desktop.domain.workflow import TransitionError
from desktop.store.letters import letters_of, mark_sent, next_edition, record_produced
from sync.protocol.vocabulary import SendMode

#: 2026-000178, Rambervillers (88), paper, received 23 November 2026, not acknowledged.
SVA_PK = 499
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # 10:00 in Rambervillers


def _produce(conn: sqlite3.Connection, on: datetime) -> int:
    edition = next_edition(conn, SVA_PK, "accuse_reception")
    return record_produced(conn, SVA_PK, kind="accuse_reception", edition=edition,
                           docx=f"ar_{edition}.docx", pdf=None, at=on, agent_id=None)


def _acknowledged_at(conn: sqlite3.Connection) -> str | None:
    return conn.execute("SELECT acknowledged_at FROM request WHERE pk = ?",
                        (SVA_PK,)).fetchone()[0]


def test_the_sending_day_is_checked_then_dates_the_acknowledgement(
    demo_db: sqlite3.Connection,
) -> None:
    letter = _produce(demo_db, datetime(2026, 11, 24, 15, 0, tzinfo=UTC))
    assert _acknowledged_at(demo_db) is None
    with pytest.raises(TransitionError, match="futur"):
        mark_sent(demo_db, letter, sent_on=date(2026, 11, 26), mode=SendMode.POST, at=NOW,
                  agent_id=None)
    with pytest.raises(TransitionError, match="avant d'avoir été produit"):
        mark_sent(demo_db, letter, sent_on=date(2026, 11, 23), mode=SendMode.POST, at=NOW,
                  agent_id=None)
    assert _acknowledged_at(demo_db) is None, "a refusal records nothing"
    mark_sent(demo_db, letter, sent_on=date(2026, 11, 24), mode=SendMode.POST, at=NOW,
              agent_id=None)
    # A past day is dated 11:00 UTC, as the server does (noon in Rambervillers).
    assert _acknowledged_at(demo_db) == "2026-11-24T11:00:00+00:00"
    [sent] = letters_of(demo_db, SVA_PK)
    assert (sent.sent_on, sent.sent_mode) == (date(2026, 11, 24), SendMode.POST)
    with pytest.raises(TransitionError, match="déjà marqué"):
        mark_sent(demo_db, letter, sent_on=date(2026, 11, 25), mode=SendMode.HAND, at=NOW,
                  agent_id=None)


def test_sent_today_keeps_the_hour_and_editions_are_kept(demo_db: sqlite3.Connection) -> None:
    first = _produce(demo_db, NOW)
    second = _produce(demo_db, NOW)
    assert [(x.edition, x.docx) for x in letters_of(demo_db, SVA_PK)] == [
        (1, "ar_1.docx"), (2, "ar_2.docx")]
    assert first != second
    mark_sent(demo_db, second, sent_on=date(2026, 11, 25), mode=SendMode.EMAIL, at=NOW,
              agent_id=None)
    assert _acknowledged_at(demo_db) == "2026-11-25T09:00:00+00:00"
