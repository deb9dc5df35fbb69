"""RGPD on the PC without a server: reads queued (debounced), local erasure, the export of a
citizen (JSON read back, PDF rendered), and the refusals of a folder that cannot be written."""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymupdf
import pytest

from desktop.documents.errors import OutputError
from desktop.services.rgpd import Names, export_dossier, write_csv
from desktop.store.outbox import pending_count
from desktop.store.rgpd import ERASED_NAME, citizen_dossier, erase_citizen, record_read
from sync.protocol.wire import AuditEntryRow, ReadWhat

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
#: Text as a reader copies it: ligatures (« ﬁ ») expanded.
TEXT = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP


def synced_citizen(conn: sqlite3.Connection) -> int:
    """A demo citizen with requests, marked as known to the server (version > 0)."""
    pk = int(conn.execute(
        "SELECT citizen_pk FROM request GROUP BY citizen_pk ORDER BY count(*) DESC, citizen_pk "
        "LIMIT 1").fetchone()[0])
    conn.execute("UPDATE citizen SET version = 7 WHERE pk = ?", (pk,))
    return pk


def outbox(conn: sqlite3.Connection, name: str) -> list[dict[str, object]]:
    return [json.loads(r[0]) for r in conn.execute(
        "SELECT args FROM sync_outbox WHERE name = ? ORDER BY rowid", (name,))]


def test_one_opening_is_one_read_and_local_citizens_are_not_traced(
    demo_db: sqlite3.Connection,
) -> None:
    local_only = int(demo_db.execute("SELECT pk FROM citizen LIMIT 1").fetchone()[0])
    assert not record_read(demo_db, local_only, ReadWhat.CITIZEN_FILE, now=NOW)
    pk = synced_citizen(demo_db)
    request_pk = int(demo_db.execute("SELECT pk FROM request WHERE citizen_pk = ? LIMIT 1",
                                     (pk,)).fetchone()[0])
    assert record_read(demo_db, pk, ReadWhat.REQUEST_DETAIL, request_pk=request_pk, now=NOW)
    assert not record_read(demo_db, pk, ReadWhat.REQUEST_DETAIL, request_pk=request_pk,
                           now=NOW + timedelta(seconds=5))  # a repaint, a second click
    assert record_read(demo_db, pk, ReadWhat.CITIZEN_FILE, now=NOW + timedelta(seconds=6))
    assert record_read(demo_db, pk, ReadWhat.REQUEST_DETAIL, request_pk=request_pk,
                       now=NOW + timedelta(minutes=10))  # opened again later: a new read
    reads = outbox(demo_db, "audit.read")
    assert [r["what"] for r in reads] == ["request_detail", "citizen_file", "request_detail"]
    assert pending_count(demo_db) == 0  # « N modifications en attente » counts no read
    assert datetime.fromisoformat(str(reads[0]["at"])) == NOW


def test_erasure_on_this_pc_forgets_the_identity_and_queues_it(
    demo_db: sqlite3.Connection,
) -> None:
    pk = synced_citizen(demo_db)
    name = str(demo_db.execute("SELECT last_name FROM citizen WHERE pk = ?", (pk,)).fetchone()[0])
    erase_citizen(demo_db, pk, "Courrier du 20/11/2026")
    row = demo_db.execute("SELECT * FROM citizen WHERE pk = ?", (pk,)).fetchone()
    assert row["display_name"] == ERASED_NAME and row["email"] == "" and row["deleted"] == 1
    assert outbox(demo_db, "citizen.erase")[0]["reason"] == "Courrier du 20/11/2026"
    found = demo_db.execute(
        "SELECT count(*) FROM request_search s JOIN request r ON r.pk = s.rowid "
        "WHERE r.citizen_pk = ? AND s.citizen LIKE ?", (pk, f"%{name}%")).fetchone()[0]
    assert found == 0
    with pytest.raises(Exception, match="n'existe plus"):
        erase_citizen(demo_db, pk)


def test_export_offline_says_the_trail_is_partial_and_renders(
    demo_db: sqlite3.Connection, tmp_path: Path,
) -> None:
    pk = synced_citizen(demo_db)
    dossier = citizen_dossier(demo_db, pk)
    result = export_dossier(demo_db, pk, tmp_path / "export", trail=None, now=NOW,
                            with_files=True)
    data = json.loads(result.json_path.read_text(encoding="utf-8"))
    assert result.partial and data["reads"]["complete"] is False
    assert "incomplète" in data["reads"]["note"]
    assert data["citizen"]["last_name"] == dossier["identity"]["last_name"]
    assert len(data["requests"]) == len(dossier["requests"]) >= 2
    assert all(r["events"] for r in data["requests"])
    with pymupdf.open(result.pdf_path) as pdf:
        text = "".join(page.get_text(flags=TEXT) for page in pdf)
        ARTIFACTS.mkdir(exist_ok=True)
        pdf[0].get_pixmap(dpi=80).save(str(ARTIFACTS / "rgpd_export.png"))
    assert f"Données détenues sur {dossier['display_name']}" in text
    assert "Consultations de la fiche" in text and "incomplète" in text
    assert data["requests"][0]["number"] in text
    assert result.zip_path is not None and result.zip_path.is_file()
    assert outbox(demo_db, "audit.read")[-1]["what"] == "export"  # the export is a read too


def test_export_with_the_servers_trail(demo_db: sqlite3.Connection, tmp_path: Path) -> None:
    pk = synced_citizen(demo_db)
    agent_id = str(demo_db.execute("SELECT id FROM agent LIMIT 1").fetchone()[0])
    entry = AuditEntryRow(id=uuid.uuid4(), at=NOW, agent_id=uuid.UUID(agent_id), ip="10.0.0.7",
                          action="read", entity="citizens", detail={"via": "citizen_file"})
    result = export_dossier(demo_db, pk, tmp_path, trail=[entry], now=NOW, with_files=False)
    data = json.loads(result.json_path.read_text(encoding="utf-8"))
    assert data["reads"]["complete"] is True
    assert data["reads"]["entries"][0]["ip"] == "10.0.0.7"
    assert data["reads"]["entries"][0]["what"] == "citizen_file"
    with pymupdf.open(result.pdf_path) as pdf:
        text = "".join(page.get_text(flags=TEXT) for page in pdf)
    assert "23/11/2026 10:30" in text  # 09:30 UTC in Paris
    assert "Fiche de l'usager" in text


def test_a_folder_that_cannot_be_written_keeps_nothing(
    demo_db: sqlite3.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    pk = synced_citizen(demo_db)
    blocker = tmp_path / "un-fichier"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="rien n'a été gardé"):
        export_dossier(demo_db, pk, blocker / "export", trail=None, now=NOW, with_files=False)
    # A file locked by Excel (Windows refuses the replacement).
    out = tmp_path / "sortie"
    out.mkdir()
    target = out / "journal.csv"

    def locked(*_args: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", locked)
    with pytest.raises(OutputError, match="ouvert dans une autre application"):
        write_csv([], Names(demo_db), target)
    assert list(out.iterdir()) == []
    with pytest.raises(OutputError, match="rien n'a été gardé"):
        export_dossier(demo_db, pk, out, trail=None, now=NOW, with_files=False)
    assert list(out.iterdir()) == []


def test_csv_is_french_excel_ready(demo_db: sqlite3.Connection, tmp_path: Path) -> None:
    citizen = demo_db.execute("SELECT id, display_name FROM citizen LIMIT 1").fetchone()
    entry = AuditEntryRow(id=uuid.uuid4(), at=NOW, action="erase", entity="citizens",
                          citizen_id=uuid.UUID(citizen[0]), detail={"via": "retention"})
    target = tmp_path / "journal.csv"
    assert write_csv([entry], Names(demo_db), target) == 1
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == "Date;Agent;Action;Objet;Usager;Demande;Précision;Adresse IP"
    assert lines[1].split(";")[:5] == ["23/11/2026 10:30", "(système)", "Effacement (RGPD)",
                                       "Usager", citizen[1]]
