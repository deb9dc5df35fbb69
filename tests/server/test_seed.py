"""The demonstration set of ``python -m server init --demo``: each commune gets its own bannette."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import select

from server.auth.passwords import Passwords
from server.db.database import Database
from server.db.migrate import upgrade
from server.db.models import Citizen, Request
from server.seed import DEFAULT_AUTHORITIES, seed, seed_demo


def test_each_commune_gets_its_own_demo_requests(tmp_path: Path) -> None:
    """Two communes used to receive the same 40 requests (same names, subjects and times): a
    secrétaire serving both saw every request twice."""
    db = Database(f"sqlite:///{tmp_path / 'server.sqlite3'}")
    try:
        upgrade(db.engine)
        ids = seed(db, Passwords(1, 1024, 1))
        codes = [spec.insee_code for spec in DEFAULT_AUTHORITIES]
        for code in codes:
            assert seed_demo(db, ids[code]) == 40
        with db.write() as session:
            rows = session.execute(
                select(Request.authority_id, Citizen.last_name, Citizen.first_name,
                       Request.subject, Request.received_at)
                .join(Citizen, Citizen.id == Request.citizen_id)
            ).all()
    finally:
        db.dispose()
    # To the minute: the seeding itself takes a few microseconds between the two communes.
    per_commune = {ids[code]: [(*row[1:4], row[4].replace(second=0, microsecond=0))
                               for row in rows if row[0] == ids[code]]
                   for code in codes}
    first, second = (per_commune[ids[code]] for code in codes)
    assert len(first) == len(second) == 40
    assert not set(first) & set(second), "a demo request appears in both communes"
    names = Counter((last, given) for last, given, _, _ in first + second)
    assert names.most_common(1)[0][1] <= 2  # Faker may repeat a name, not a whole bannette
