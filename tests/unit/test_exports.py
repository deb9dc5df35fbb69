"""Exports read back with the libraries a user's spreadsheet would use: openpyxl, odfpy and
the csv module. Row counts, accents and types; and the bad cases: a folder that cannot be
written, a target locked by another program, a cancelled export — never a half-written file."""

from __future__ import annotations

import csv
import os
import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest
from odf import opendocument
from odf.namespaces import OFFICENS
from odf.table import Table as OdsTable
from odf.table import TableCell, TableRow
from openpyxl import load_workbook

from desktop.exports import writers
from desktop.exports.tables import (
    BANNETTE_COLUMNS,
    bannette_ids,
    bannette_table,
    statistics_tables,
)
from desktop.exports.writers import (
    ExportCancelled,
    ExportError,
    ExportFormat,
    Table,
    TableColumn,
    export_tables,
)
from desktop.store.inbox import InboxFilter, InboxRepository, InboxSort
from desktop.store.statistics import compute_statistics
from sync.protocol.vocabulary import Status
from tests.conftest import TODAY

HEADER = [c.title for c in BANNETTE_COLUMNS]


def view(conn: sqlite3.Connection, flt: InboxFilter) -> tuple[list[int], Table]:
    pks = bannette_ids(conn, flt, InboxSort(), today=TODAY)
    return pks, bannette_table(conn, pks)


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "French Excel needs the BOM to read UTF-8"
    with open(path, encoding="utf-8-sig", newline="") as stream:
        return list(csv.reader(stream, delimiter=";"))


def ods_rows(path: Path) -> dict[str, list[list[TableCell]]]:
    doc = opendocument.load(str(path))
    sheets = {}
    for sheet in doc.spreadsheet.getElementsByType(OdsTable):
        sheets[sheet.getAttribute("name")] = [
            row.getElementsByType(TableCell) for row in sheet.getElementsByType(TableRow)
        ]
    return sheets


def test_view_export_holds_exactly_the_visible_rows(demo_db: sqlite3.Connection) -> None:
    flt = InboxFilter(statuses=frozenset({Status.RECEIVED, Status.DRAFTING}), search="inscription")
    repo = InboxRepository(demo_db)
    visible = repo.ids(flt, InboxSort(), today=TODAY)
    pks, table = view(demo_db, flt)
    assert pks == visible and 0 < len(pks) < 500
    numbers = [repo.rows([pk])[pk].reference for pk in visible]  # « 67348-2026-000165 »
    assert [row[0] for row in table.rows] == numbers


def test_xlsx_read_back(demo_db: sqlite3.Connection, tmp_path: Path) -> None:
    pks, table = view(demo_db, InboxFilter())
    target = tmp_path / "bannette.xlsx"
    assert export_tables([table], target, ExportFormat.XLSX) == 500
    book = load_workbook(target)
    sheet = book["Bannette"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert len(rows) == 1 + len(pks) == 501
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["F"].width == pytest.approx(50, abs=1)
    assert sheet["A1"].font.b
    received = [r[2] for r in rows[1:]]
    assert all(isinstance(v, datetime) for v in received)
    assert sheet["C2"].number_format == "DD/MM/YYYY HH:MM"
    dues = [r[8] for r in rows[1:] if r[8] is not None]
    assert dues and all(isinstance(v, datetime) for v in dues)  # Excel dates come back so
    text = " ".join(str(v) for r in rows for v in r if isinstance(v, str))
    assert "Reçue le" in text and "é" in text and "Mairie de Bitche" in text
    # Reading order: the bannette's default sort, newest first.
    assert received == sorted(received, reverse=True)


def test_csv_read_back_for_french_excel(demo_db: sqlite3.Connection, tmp_path: Path) -> None:
    pks, table = view(demo_db, InboxFilter(statuses=frozenset({Status.ANSWERED})))
    target = tmp_path / "bannette.csv"
    export_tables([table], target, ExportFormat.CSV)
    rows = read_csv(target)
    assert rows[0] == HEADER
    assert len(rows) == 1 + len(pks)
    assert {r[7] for r in rows[1:]} == {"Répondue"}
    assert all(datetime.strptime(r[2], "%d/%m/%Y %H:%M") for r in rows[1:])
    assert b"\r\n" in target.read_bytes()


def test_ods_read_back(demo_db: sqlite3.Connection, tmp_path: Path) -> None:
    pks, table = view(demo_db, InboxFilter(search="naissance"))
    target = tmp_path / "bannette.ods"
    export_tables([table], target, ExportFormat.ODS)
    rows = ods_rows(target)["Bannette"]
    assert len(rows) == 1 + len(pks) and len(pks) > 5
    assert [str(c) for c in rows[0]] == HEADER
    first = rows[1]
    assert first[2].getAttrNS(OFFICENS, "value-type") == "date"
    assert datetime.fromisoformat(first[2].getAttrNS(OFFICENS, "date-value"))
    assert str(first[2]) == datetime.fromisoformat(
        first[2].getAttrNS(OFFICENS, "date-value")
    ).strftime("%d/%m/%Y %H:%M")
    assert any("naissance" in str(c).lower() for r in rows[1:] for c in r)


def test_statistics_in_every_format(demo_db: sqlite3.Connection, tmp_path: Path) -> None:
    stats = compute_statistics(demo_db, today=TODAY, start=date(2026, 1, 1), end=TODAY)
    tables = statistics_tables(stats)
    export_tables(tables, tmp_path / "s.xlsx", ExportFormat.XLSX)
    book = load_workbook(tmp_path / "s.xlsx")
    assert book.sheetnames == ["Synthèse", "Par canal", "Par démarche", "Par mois"]
    summary = dict(book["Synthèse"].iter_rows(min_row=2, values_only=True))
    assert summary["Demandes reçues"] == 500
    share = summary["Accusés dans le délai légal (part)"]
    assert isinstance(share, float) and share == pytest.approx(stats.in_time_share)
    assert book["Synthèse"]["B13"].number_format == "0.0%"
    assert book["Synthèse"]["B3"].number_format == "DD/MM/YYYY"
    assert isinstance(summary["Délai médian d'accusé de réception (jours)"], float)
    assert summary["Du"] == datetime(2026, 1, 1)
    assert summary["Commune"] == "Toutes les communes"
    channels = list(book["Par canal"].iter_rows(min_row=2, values_only=True))
    assert sum(r[2] for r in channels) == 500
    months = list(book["Par mois"].iter_rows(min_row=2, values_only=True))
    assert months[1] == ("février 2026", stats.by_month[1][1])

    export_tables(statistics_tables(stats), tmp_path / "s.csv", ExportFormat.CSV)
    lines = read_csv(tmp_path / "s.csv")
    assert lines[0] == ["Synthèse"] and ["Par démarche"] in lines
    share_line = next(r for r in lines if r[0] == "Accusés dans le délai légal (part)")
    assert share_line[1] == f"{stats.in_time_share * 100:.1f} %".replace(".", ",")

    export_tables(statistics_tables(stats), tmp_path / "s.ods", ExportFormat.ODS)
    sheets = ods_rows(tmp_path / "s.ods")
    assert list(sheets) == ["Synthèse", "Par canal", "Par démarche", "Par mois"]
    web = next(r for r in sheets["Par canal"] if str(r[1]) == "web")
    assert web[2].getAttrNS(OFFICENS, "value-type") == "float"
    assert (
        int(float(web[2].getAttrNS(OFFICENS, "value")))
        == stats.by_channel[next(c for c in stats.by_channel if c.value == "web")]
    )
    assert web[3].getAttrNS(OFFICENS, "value-type") == "percentage"


def test_empty_period_exports_zeros(demo_db: sqlite3.Connection, tmp_path: Path) -> None:
    stats = compute_statistics(demo_db, today=TODAY, start=date(2020, 1, 1), end=date(2020, 1, 31))
    for fmt in ExportFormat:
        export_tables(statistics_tables(stats), tmp_path / f"e.{fmt.value}", fmt)
    sheet = load_workbook(tmp_path / "e.xlsx")["Synthèse"]
    summary = dict(sheet.iter_rows(min_row=2, values_only=True))
    assert summary["Demandes reçues"] == 0
    assert summary["Accusés dans le délai légal (part)"] is None
    ods = {str(r[0]): r[1] for r in ods_rows(tmp_path / "e.ods")["Synthèse"][1:]}
    assert ods["Demandes reçues"].getAttrNS(OFFICENS, "value") == "0"


def _unwritable_folder(tmp_path: Path) -> Path:
    """A folder the system refuses to write to, whoever runs the tests."""
    if os.geteuid() == 0:  # root writes everywhere a mode allows: the kernel's /proc refuses
        return Path("/proc")
    folder = tmp_path / "lecture-seule"
    folder.mkdir()
    folder.chmod(0o500)
    return folder


def test_unwritable_folder_says_so_and_leaves_nothing(
    demo_db: sqlite3.Connection, tmp_path: Path
) -> None:
    folder = _unwritable_folder(tmp_path)
    before = {n for n in os.listdir(folder) if n.startswith(".bannette")}
    for fmt in ExportFormat:
        _pks, table = view(demo_db, InboxFilter())
        with pytest.raises(ExportError) as caught:
            export_tables([table], folder / f"bannette.{fmt.value}", fmt)
        assert f"Impossible d'écrire dans le dossier « {folder} »" in str(caught.value)
        assert "Rien n'a été écrit" in str(caught.value)
    assert {n for n in os.listdir(folder) if n.startswith(".bannette")} == before == set()


def test_locked_target_keeps_the_old_file(
    demo_db: sqlite3.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows refuses to replace a file Excel holds open (PermissionError, WinError 32):
    raised here by the rename itself, as Windows does, after the whole file was written."""
    target = tmp_path / "bannette.xlsx"
    target.write_bytes(b"ancien contenu")

    def locked(_src: object, _dst: object) -> None:
        raise PermissionError(13, "The process cannot access the file")

    monkeypatch.setattr(writers.os, "replace", locked)
    _pks, table = view(demo_db, InboxFilter())
    with pytest.raises(ExportError, match="ouvert.*dans Excel ou LibreOffice"):
        export_tables([table], target, ExportFormat.XLSX)
    assert target.read_bytes() == b"ancien contenu"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".bannette")] == []


def test_locked_target_is_found_before_the_work(
    demo_db: sqlite3.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening the target for writing fails (Windows: held by Excel): said at once, before
    100,000 rows are written for nothing."""
    target = tmp_path / "bannette.csv"
    target.write_text("ancien", encoding="utf-8")
    real_open = open

    def held(path: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        if Path(str(path)) == target and "+" in mode:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, mode, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", held)
    table = Table("t", [TableColumn("a")], iter(pytest.fail, None), 1)  # never read
    with pytest.raises(ExportError, match="ne peut pas être remplacé"):
        export_tables([table], target, ExportFormat.CSV)
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "ancien"


def test_cancel_leaves_nothing(demo_db: sqlite3.Connection, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    _pks, table = view(demo_db, InboxFilter())
    target = tmp_path / "bannette.ods"
    with pytest.raises(ExportCancelled, match="Export annulé"):
        export_tables(
            [table], target, ExportFormat.ODS,
            progress=lambda done, total: seen.append((done, total)),
            cancelled=lambda: bool(seen),
        )  # fmt: skip
    assert seen == [(500, 500)] or seen[0][1] == 500
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".bannette")] == []


def test_progress_reaches_the_total(demo_db: sqlite3.Connection, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    _pks, table = view(demo_db, InboxFilter())
    export_tables([table], tmp_path / "b.csv", ExportFormat.CSV,
                  progress=lambda d, t: seen.append((d, t)))  # fmt: skip
    assert seen[-1] == (500, 500)
    assert [d for d, _t in seen] == sorted(d for d, _t in seen)


def test_a_folder_as_target_is_refused(tmp_path: Path) -> None:
    table = Table("t", [TableColumn("a")], [["é"]], 1)
    with pytest.raises(ExportError, match="est un dossier"):
        export_tables([table], tmp_path, ExportFormat.CSV)


def test_a_subject_that_looks_like_a_formula_stays_text(
    demo_db: sqlite3.Connection, tmp_path: Path
) -> None:
    """« =HYPERLINK(…) » typed by a citizen must never run in the agent's Excel."""
    pk = demo_db.execute("SELECT MAX(pk) FROM request").fetchone()[0]
    subject = '=HYPERLINK("http://exemple.invalid";"Cliquez")'
    demo_db.execute("UPDATE request SET subject = ? WHERE pk = ?", (subject, pk))
    table = bannette_table(demo_db, [pk])
    export_tables([table], tmp_path / "f.xlsx", ExportFormat.XLSX)
    cell = load_workbook(tmp_path / "f.xlsx").active["F2"]
    assert cell.value == subject and cell.data_type == "s"
    export_tables([bannette_table(demo_db, [pk])], tmp_path / "f.csv", ExportFormat.CSV)
    assert read_csv(tmp_path / "f.csv")[1][5] == "'" + subject
    export_tables([bannette_table(demo_db, [pk])], tmp_path / "f.ods", ExportFormat.ODS)
    cell = ods_rows(tmp_path / "f.ods")["Bannette"][1][5]
    assert cell.getAttrNS(OFFICENS, "value-type") == "string" and str(cell) == subject


def test_a_huge_ods_is_refused_before_any_work(tmp_path: Path) -> None:
    rows = iter(pytest.fail, None)  # never read
    table = Table("t", [TableColumn("a")], rows, writers.ODS_MAX_ROWS + 1)
    with pytest.raises(ExportError, match="Choisissez le format XLSX .* ou CSV"):
        export_tables([table], tmp_path / "gros.ods", ExportFormat.ODS)
    assert list(tmp_path.iterdir()) == []


def test_an_export_gets_the_permissions_of_a_saved_file(tmp_path: Path) -> None:
    table = Table("t", [TableColumn("a")], [["é"]], 1)
    previous = os.umask(0o022)
    try:
        export_tables([table], tmp_path / "nouveau.csv", ExportFormat.CSV)
    finally:
        os.umask(previous)
    assert (tmp_path / "nouveau.csv").stat().st_mode & 0o777 == 0o644
    (tmp_path / "partage.csv").write_text("ancien", encoding="utf-8")
    (tmp_path / "partage.csv").chmod(0o664)
    export_tables([Table("t", [TableColumn("a")], [["é"]], 1)], tmp_path / "partage.csv",
                  ExportFormat.CSV)  # fmt: skip
    assert (tmp_path / "partage.csv").stat().st_mode & 0o777 == 0o664
