"""Benchmark of the citizen look-up as you type over 50,000 citizens (issue 12).

Every prefix (from two characters) of realistic queries — surnames, first name + surname,
organisation names, e-mail beginnings, phone numbers typed with spaces — through the store
function behind « Usagers › Rechercher un usager… » (``desktop.store.citizens.search_citizens``,
target p95 ≤ 30 ms), against the same FTS5 query run straight in SQLite (the raw limit), and
the intake's per-commune search (``find_citizens``) on the same prefixes for comparison. Also
the duplicate check the dialogs run at each keystroke (``find_duplicates``). Prints JSON; not a
test.

    python -m bench.citizen_lookup [--citizens 50000]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from faker import Faker

from bench.common import bench_database, discard_database, emit, machine, percentiles
from desktop.domain.text import citizen_display_name, fold
from desktop.store.citizens import (
    _PLACEHOLDER_KEY,
    LOOKUP_SQL,
    find_duplicates,
    lookup_query,
    search_citizens,
)
from desktop.store.database import connect, transaction
from desktop.store.intake import NewCitizen, find_citizens

TARGET_P95_MS = 30.0


def add_citizens(conn: sqlite3.Connection, count: int, seed: int = 5) -> list[tuple[Any, ...]]:
    """``count`` citizens spread over the demo's communes (triggers keep keys and index)."""
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    authorities = [r[0] for r in conn.execute("SELECT pk FROM authority")]
    rows = []
    with transaction(conn):
        for i in range(count):
            last, first = fake.last_name(), fake.first_name()
            organisation = fake.company() if i % 10 == 9 else ""
            kind = "company" if organisation else "person"
            display = citizen_display_name(last, first, organisation)
            email = f"{fold(first)}.{fold(last)}{i}@{fake.free_email_domain()}".replace(" ", "")
            phone = fake.phone_number()
            row = (
                str(fake.uuid4()),
                rng.choice(authorities),
                kind,
                last,
                first,
                organisation,
                email,
                phone,
                fake.street_address(),
                fake.postcode(),
                fake.city(),
                display,
                fold(display),
            )
            conn.execute(
                "INSERT INTO citizen (id, authority_pk, kind, last_name, first_name, "
                "organisation, email, phone, address, postcode, city, display_name, sort_key) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            rows.append(row)
    conn.execute("ANALYZE")
    return rows


def typed_prefixes(rows: list[tuple[Any, ...]], count: int = 60, seed: int = 11) -> list[str]:
    """What an agent types, letter by letter: each prefix of each query from two characters."""
    rng = random.Random(seed)
    queries = [rng.choice(rows)[3] for _ in range(count // 3)]  # surnames
    queries += [f"{r[4]} {r[3]}" for r in rng.sample(rows, count // 6)]  # first name + surname
    queries += [rng.choice([r for r in rows if r[5]])[5] for _ in range(count // 12)]
    queries += [rng.choice(rows)[6][:14] for _ in range(count // 6)]  # e-mail beginnings
    queries += [rng.choice(rows)[7] for _ in range(count // 6)]  # phones as written
    return [q[:n] for q in queries for n in range(2, len(q) + 1) if q[:n].strip()]


def timed(call: Callable[[str], object], prefixes: list[str]) -> dict[str, float]:
    samples = []
    for text in prefixes:
        started = time.perf_counter()
        call(text)
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--citizens", type=int, default=50_000)
    options = parser.parse_args()
    path, generation = bench_database(1_000)
    try:
        conn = connect(path)
        started = time.perf_counter()
        rows = add_citizens(conn, options.citizens)
        insert_s = time.perf_counter() - started
        total = conn.execute("SELECT COUNT(*) FROM citizen").fetchone()[0]
        prefixes = typed_prefixes(rows)
        store = timed(lambda text: search_citizens(conn, text), prefixes)
        raw_conn = sqlite3.connect(path)  # no row factory, no Python wrapping
        queries = {text: lookup_query(text) for text in prefixes}
        raw = timed(
            lambda text: (
                raw_conn.execute(LOOKUP_SQL, (queries[text], _PLACEHOLDER_KEY, 30)).fetchall()
                if queries[text]
                else None
            ),
            prefixes,
        )
        commune = int(
            conn.execute(
                "SELECT authority_pk FROM citizen GROUP BY authority_pk ORDER BY COUNT(*) DESC"
            ).fetchone()[0]
        )
        intake = timed(lambda text: find_citizens(conn, commune, text), prefixes)
        sample = random.Random(3).sample(rows, 200)
        duplicates = timed(
            lambda i: find_duplicates(
                conn,
                sample[int(i)][1],
                NewCitizen(
                    last_name=sample[int(i)][3],
                    first_name=sample[int(i)][4],
                    email=sample[int(i)][6],
                    phone=sample[int(i)][7],
                    address=sample[int(i)][8],
                    postcode=sample[int(i)][9],
                ),
            ),
            [str(i) for i in range(len(sample))],
        )
        emit(
            "citizen_lookup",
            {
                "citizens": total,
                "prefixes_typed": len(prefixes),
                "insert_citizens_s": round(insert_s, 1),
                "generation": generation,
                "target_p95_ms": TARGET_P95_MS,
                "search_citizens": store,
                "raw_sqlite_same_query": raw,
                "store_over_raw_p95": round(store["p95_ms"] / max(raw["p95_ms"], 0.01), 2),
                "meets_target": store["p95_ms"] <= TARGET_P95_MS,
                "intake_find_citizens_one_commune": intake,
                "find_duplicates_per_keystroke": duplicates,
                "machine": machine(),
            },
        )
        raw_conn.close()
        conn.close()
    finally:
        discard_database(path)


if __name__ == "__main__":
    main()
