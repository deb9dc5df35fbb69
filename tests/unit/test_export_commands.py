"""``python -m desktop export`` and ``python -m desktop stats``, run as a script would run them:
in a subprocess, on a copy of the demo database, files read back."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

from odf import opendocument
from odf.table import TableRow
from openpyxl import load_workbook

from desktop.store.database import connect
from desktop.store.inbox import InboxFilter, InboxRepository, InboxSort
from desktop.store.statistics import commune_by_insee, compute_statistics
from sync.protocol.vocabulary import Status
from tests.conftest import TODAY

ROOT = Path(__file__).resolve().parents[2]


def bannette(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args],
        capture_output=True, text=True, env=env, timeout=120, cwd=ROOT,
    )  # fmt: skip


def expected_numbers(db: Path, flt: InboxFilter) -> list[str]:
    conn = connect(db)
    try:
        repo = InboxRepository(conn)
        pks = repo.ids(flt, InboxSort(), today=TODAY)
        rows = repo.rows(pks)
        return [rows[pk].reference for pk in pks]  # « 67348-2026-000165 »
    finally:
        conn.close()


def test_export_every_format(demo_db_path: Path, tmp_path: Path) -> None:
    conn = connect(demo_db_path)
    bitche = commune_by_insee(conn, "57089")
    conn.close()
    flt = InboxFilter(
        statuses=frozenset({Status.RECEIVED, Status.ACKNOWLEDGED}),
        authority_pks=frozenset({bitche.pk}),
    )
    numbers = expected_numbers(demo_db_path, flt)
    assert numbers
    common = ["--database", str(demo_db_path), "--commune", "57089", "--aujourdhui", "2026-11-23",
              "--statut", "received", "Accusée"]  # fmt: skip
    for fmt in ("csv", "xlsx", "ods"):
        out = tmp_path / f"export.{fmt}"
        done = bannette("export", "--format", fmt, "-o", str(out), *common)
        assert done.returncode == 0, done.stderr
        assert f"{len(numbers)} demande(s) exportée(s)" in done.stderr
    with open(tmp_path / "export.csv", encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream, delimiter=";"))
    assert rows[0] == ["Numéro", "Commune", "Reçue le", "Canal", "Usager", "Objet", "Démarche",
                       "Statut", "Échéance", "Assignée à"]  # fmt: skip
    assert [r[0] for r in rows[1:]] == numbers
    assert {r[1] for r in rows[1:]} == {"Mairie de Bitche"}
    assert {r[7] for r in rows[1:]} <= {"Reçue", "Accusée"}
    sheet = load_workbook(tmp_path / "export.xlsx").active
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [v[0] for v in values] == numbers
    assert all(isinstance(v[2], datetime) for v in values)
    ods = opendocument.load(str(tmp_path / "export.ods"))
    assert len(ods.spreadsheet.getElementsByType(TableRow)) == 1 + len(numbers)


def test_export_search(demo_db_path: Path, tmp_path: Path) -> None:
    numbers = expected_numbers(demo_db_path, InboxFilter(search="acte naissance"))
    out = tmp_path / "naissances.csv"
    done = bannette("export", "--database", str(demo_db_path), "--format", "csv", "-o", str(out),
                    "--recherche", "acte naissance", "--aujourdhui", "2026-11-23")  # fmt: skip
    assert done.returncode == 0, done.stderr
    with open(out, encoding="utf-8-sig", newline="") as stream:
        assert [r[0] for r in list(csv.reader(stream, delimiter=";"))[1:]] == numbers


def test_stats_json(demo_db_path: Path) -> None:
    done = bannette("stats", "--database", str(demo_db_path), "--du", "2026-01-01",
                    "--au", "2026-11-23", "--aujourdhui", "2026-11-23", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    conn = connect(demo_db_path)
    expected = compute_statistics(conn, today=TODAY, start=date(2026, 1, 1), end=TODAY)
    conn.close()
    assert figures == json.loads(json.dumps(expected.as_json()))
    assert sum(figures["par_canal"].values()) == figures["demandes"] == 500
    assert set(figures["par_canal"]) == {"web", "service_public", "email", "paper", "phone",
                                         "counter"}  # fmt: skip
    assert 0 <= figures["accuses_dans_le_delai"] <= 1


def test_stats_of_one_commune_and_an_empty_period(demo_db_path: Path) -> None:
    done = bannette("stats", "--database", str(demo_db_path), "--commune", "67348",
                    "--du", "2019-01-01", "--au", "2019-12-31", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["commune"] == "67348" and figures["demandes"] == 0
    assert figures["accuses_dans_le_delai"] is None


def test_bad_input_is_refused_in_french(demo_db_path: Path, tmp_path: Path) -> None:
    db = ["--database", str(demo_db_path)]
    unknown = bannette("stats", *db, "--commune", "00000", "--json")
    assert unknown.returncode == 2 and "Aucune commune de code INSEE « 00000 »" in unknown.stderr
    reversed_ = bannette("stats", *db, "--du", "2026-05-01", "--au", "2026-04-01", "--json")
    assert reversed_.returncode == 2 and "est après la date de fin" in reversed_.stderr
    bad_day = bannette("stats", *db, "--du", "01/05/2026", "--json")
    assert bad_day.returncode == 2 and "attendu AAAA-MM-JJ" in bad_day.stderr
    status = bannette("export", *db, "--format", "csv", "-o", str(tmp_path / "x.csv"),
                      "--statut", "perdue")  # fmt: skip
    assert status.returncode == 2 and "statut « perdue » inconnu" in status.stderr
    missing = bannette("stats", "--database", str(tmp_path / "absente.sqlite3"), "--json")
    assert missing.returncode == 2 and "Base introuvable" in missing.stderr
    assert not (tmp_path / "absente.sqlite3").exists()
    folder = bannette("export", *db, "--format", "xlsx", "-o", "/proc/bannette.xlsx")
    assert folder.returncode == 1 and "Impossible d'écrire dans le dossier" in folder.stderr
    assert not list(tmp_path.glob("x.csv"))


def test_without_subcommand_the_options_are_the_app_s() -> None:
    done = bannette("--version")
    assert done.returncode == 0 and done.stdout.strip()
