"""Duplicates and merge across two PCs, against the real server process: a merge made on one
PC reaches the other with every request moved; a merge of a citizen edited meanwhile on the
other PC comes back as a conflict, the local merge is undone and nothing is lost; a PC that
still names the absorbed citizen lands on the survivor."""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from desktop.store.citizens import find_duplicates, merge_citizens, update_citizen
from desktop.store.database import connect
from desktop.store.intake import NewCitizen, NewRequest, procedures_for, register_request
from desktop.store.outbox import pending_count
from desktop.store.sync_store import conflicts
from sync.protocol.vocabulary import Channel
from tests.sync.conftest import ServerProcess, local_db, sync_in_process

DURAND = NewCitizen(
    last_name="Durand",
    first_name="Sophie",
    email="sophie.durand@example.fr",
    address="3 rue des Lilas",
    postcode="88700",
    city="Rambervillers",
)
DURAND_BIS = replace(
    DURAND,
    last_name="DURAND",
    email="s.durand@example.fr",
    phone="06 12 34 56 78",
    address="3, rue des lilas",
)


class Pc:
    """One desktop install: its own database, synced in process with the real server."""

    def __init__(self, server: ServerProcess, path: Path) -> None:
        self.server, self.path = server, local_db(path)
        self.sync(first=True)
        self.conn = connect(path)
        authority_id = server.authority_ids()[0]
        self.authority = int(
            self.conn.execute("SELECT pk FROM authority WHERE id = ?", (authority_id,)).fetchone()[
                0
            ]
        )

    def sync(self, *, first: bool = False) -> None:
        report = sync_in_process(self.server.url, self.path)
        assert report.rejected == 0
        # A merged citizen counts the same here (a tombstone) as there (a row): no full
        # re-pull at every sync.
        assert first or not report.rebootstrapped

    def register(self, citizen: NewCitizen | None = None, citizen_pk: int | None = None) -> str:
        received = (datetime.now() - timedelta(days=1)).replace(microsecond=0)
        pk = register_request(
            self.conn,
            NewRequest(
                authority_pk=self.authority,
                procedure_pk=int(procedures_for(self.conn, self.authority)[0].key),
                channel=Channel.PAPER,
                received_at=received,
                subject="Réservation de salle",
                new_citizen=citizen,
                citizen_pk=citizen_pk,
            ),
            agent_id=None,
        )
        return str(self.conn.execute("SELECT id FROM request WHERE pk = ?", (pk,)).fetchone()[0])

    def citizen_pk(self, citizen_id: str) -> int:
        return int(
            self.conn.execute("SELECT pk FROM citizen WHERE id = ?", (citizen_id,)).fetchone()[0]
        )

    def citizen_of(self, request_id: str) -> str:
        return str(
            self.conn.execute(
                "SELECT c.id FROM request r JOIN citizen c ON c.pk = r.citizen_pk WHERE r.id = ?",
                (request_id,),
            ).fetchone()[0]
        )

    def citizen_row(self, citizen_id: str) -> sqlite3.Row:
        row: sqlite3.Row = self.conn.execute(
            "SELECT c.deleted, m.id AS merged_into, c.phone, c.email FROM citizen c "
            "LEFT JOIN citizen m ON m.pk = c.merged_into_pk WHERE c.id = ?",
            (citizen_id,),
        ).fetchone()
        return row


@pytest.fixture
def two_pcs(server: ServerProcess, tmp_path: Path) -> tuple[Pc, Pc, dict[str, str]]:
    """PC 1 registered two requests of Sophie Durand under two records; both PCs synced."""
    pc1, pc2 = Pc(server, tmp_path / "poste1.sqlite3"), Pc(server, tmp_path / "poste2.sqlite3")
    first = pc1.register(DURAND)
    second = pc1.register(DURAND_BIS)
    pc1.sync()
    pc2.sync()
    ids = {
        "first": first,
        "second": second,
        "survivor": pc1.citizen_of(first),
        "absorbed": pc1.citizen_of(second),
    }
    # Both PCs flag the duplicate (same name and address, accents and commas ignored).
    for pc in (pc1, pc2):
        flagged = find_duplicates(
            pc.conn, pc.authority, DURAND, exclude_pk=pc.citizen_pk(ids["survivor"])
        )
        assert [d.pk for d in flagged] == [pc.citizen_pk(ids["absorbed"])]
    return pc1, pc2, ids


def _server_citizen(server: ServerProcess, citizen_id: str) -> tuple[object, ...]:
    (row,) = server.query(
        "SELECT merged_into_id, phone, email FROM citizens WHERE id = ?", uuid.UUID(citizen_id).hex
    )
    return tuple(row)


def test_a_merge_on_one_pc_reaches_the_other(two_pcs: tuple[Pc, Pc, dict[str, str]]) -> None:
    pc1, pc2, ids = two_pcs
    merge_citizens(
        pc1.conn,
        pc1.citizen_pk(ids["survivor"]),
        pc1.citizen_pk(ids["absorbed"]),
        {"phone": "absorbed"},
    )
    pc1.sync()
    assert pending_count(pc1.conn) == 0
    assert conflicts(pc1.conn) == []
    merged_into, phone, _email = _server_citizen(pc1.server, ids["absorbed"])
    assert uuid.UUID(str(merged_into)) == uuid.UUID(ids["survivor"])
    assert _server_citizen(pc1.server, ids["survivor"])[1] == "06 12 34 56 78"

    # PC 2, offline meanwhile, registered a request for the absorbed record: after its sync
    # every request, its own included, belongs to the survivor, here and on the server.
    late = pc2.register(citizen_pk=pc2.citizen_pk(ids["absorbed"]))
    pc2.sync()
    for pc in (pc1, pc2):
        pc.sync()
        assert {pc.citizen_of(r) for r in (ids["first"], ids["second"])} == {ids["survivor"]}
        absorbed = pc.citizen_row(ids["absorbed"])
        assert (absorbed["deleted"], absorbed["merged_into"]) == (1, ids["survivor"])
        assert pc.citizen_row(ids["survivor"])["phone"] == "06 12 34 56 78"
    assert pc2.citizen_of(late) == ids["survivor"]
    # A PC installed after the merge gets the tombstone on its first pull, nothing parked.
    pc3 = Pc(pc1.server, pc1.path.parent / "poste3.sqlite3")
    assert pc3.citizen_row(ids["absorbed"])["merged_into"] == ids["survivor"]
    assert pc3.citizen_of(ids["second"]) == ids["survivor"]
    assert pc3.conn.execute("SELECT COUNT(*) FROM sync_parked").fetchone()[0] == 0
    (server_citizen,) = pc1.server.query(
        "SELECT citizen_id FROM requests WHERE id = ?", uuid.UUID(late).hex
    )
    assert uuid.UUID(str(server_citizen[0])) == uuid.UUID(ids["survivor"])


def test_a_merge_of_a_citizen_edited_meanwhile_is_a_conflict_and_nothing_is_lost(
    two_pcs: tuple[Pc, Pc, dict[str, str]],
) -> None:
    pc1, pc2, ids = two_pcs
    # PC 2 corrects the second record's phone and syncs first.
    corrected = replace(DURAND_BIS, phone="06 99 88 77 66")
    update_citizen(pc2.conn, pc2.citizen_pk(ids["absorbed"]), corrected)
    pc2.sync()
    # PC 1 had not heard of it and merges.
    merge_citizens(
        pc1.conn,
        pc1.citizen_pk(ids["survivor"]),
        pc1.citizen_pk(ids["absorbed"]),
        {"phone": "absorbed"},
    )
    assert pc1.citizen_of(ids["second"]) == ids["survivor"]  # optimistic, at once
    pc1.sync()
    # The server merged nothing; PC 1 undid its merge, keeps the conflict for the user, and
    # now shows PC 2's correction.
    assert _server_citizen(pc1.server, ids["absorbed"])[:2] == (None, "06 99 88 77 66")
    (conflict,) = conflicts(pc1.conn)
    assert (conflict["mutation_name"], conflict["field"]) == ("citizen.merge", "phone")
    assert "Fusion non faite" in conflict["reason"]
    absorbed = pc1.citizen_row(ids["absorbed"])
    assert (absorbed["deleted"], absorbed["merged_into"], absorbed["phone"]) == (
        0,
        None,
        "06 99 88 77 66",
    )
    assert pc1.citizen_of(ids["second"]) == ids["absorbed"]
    assert pending_count(pc1.conn) == 0

    # Looking again, the agent merges on the fresh values: it goes through.
    merge_citizens(
        pc1.conn,
        pc1.citizen_pk(ids["survivor"]),
        pc1.citizen_pk(ids["absorbed"]),
        {"phone": "absorbed"},
    )
    pc1.sync()
    assert _server_citizen(pc1.server, ids["survivor"])[1] == "06 99 88 77 66"
    pc2.sync()
    assert pc2.citizen_of(ids["second"]) == ids["survivor"]
    assert pc2.citizen_row(ids["survivor"])["phone"] == "06 99 88 77 66"
