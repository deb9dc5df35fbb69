"""The RGPD screens against the real server: a request opened on the clerk's PC is traced and
shows in the admin's « Journal d'audit » on another PC (model tested, filters, CSV read back,
screenshot); the citizen's « Consultations » tab; the 36-month list approved and purged from
its dialog; a non-admin reaching the screens by their shortcut gets a French refusal."""

from __future__ import annotations

import csv
import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop.services.rgpd import DirectOnline
from desktop.services.tasks import TaskRunner
from desktop.store.database import connect
from desktop.store.inbox import InboxRepository
from desktop.views.main_window import MainWindow
from desktop.views.rgpd import ERASE_ADMIN_ONLY, use_online
from desktop.views.rgpd.access_trail import NOT_ADMIN, AccessTrailView
from desktop.views.rgpd.audit_window import ADMIN_ONLY, AuditWindow
from desktop.views.rgpd.retention_dialog import ADMIN_ONLY as RETENTION_ADMIN_ONLY
from desktop.views.rgpd.retention_dialog import RetentionDialog
from sync.client import ApiClient
from tests.conftest import TODAY
from tests.gui.conftest import ARTIFACTS
from tests.sync.conftest import FAST_RETRY, ServerProcess, local_db, sync_in_process
from tests.sync.test_rgpd_sync import ADMIN, LATER, new_citizen

pytestmark = pytest.mark.gui


@pytest.fixture
def pcs(server: ServerProcess, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    clerk_pc, admin_pc = local_db(tmp_path / "clerk.sqlite3"), local_db(tmp_path / "admin.sqlite3")
    sync_in_process(server.url, clerk_pc)
    sync_in_process(server.url, admin_pc, ADMIN)
    yield clerk_pc, admin_pc


def make_window(qtbot: Any, db: Path, tmp_path: Path, name: str) -> MainWindow:
    conn = connect(db)
    settings = QSettings(str(tmp_path / f"{name}.ini"), QSettings.Format.IniFormat)
    window = MainWindow(InboxRepository(conn), settings, today=lambda: TODAY)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def admin_online(server: ServerProcess) -> Iterator[DirectOnline]:
    client = ApiClient(server.url, retry=FAST_RETRY, timeout=30)
    client.login(*ADMIN)
    yield DirectOnline(client, TaskRunner(synchronous=True))
    client.close()


@pytest.fixture
def refusals(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    said: list[str] = []

    def warning(_parent: Any, _title: str, text: str, *_args: Any) -> Any:
        said.append(text)
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(warning))
    monkeypatch.setattr(QMessageBox, "question",
                        staticmethod(lambda *_a: QMessageBox.StandardButton.Yes))
    return said


def first_request_with_citizen(conn: sqlite3.Connection) -> tuple[int, str, str]:
    row = conn.execute(
        "SELECT r.pk, c.id, c.display_name FROM request r JOIN citizen c ON c.pk = r.citizen_pk "
        "WHERE c.version > 0 ORDER BY r.received_at DESC LIMIT 1").fetchone()
    return int(row[0]), str(row[1]), str(row[2])


def test_a_read_on_the_clerks_pc_shows_in_the_admins_audit_window(
    qtbot: Any, qtmodeltester: Any, server: ServerProcess, pcs: tuple[Path, Path],
    tmp_path: Path, admin_online: DirectOnline, refusals: list[str],
) -> None:
    clerk_pc, admin_pc = pcs
    clerk = make_window(qtbot, clerk_pc, tmp_path, "clerk")
    conn = clerk._repo.connection  # noqa: SLF001
    pk, citizen_id, citizen_name = first_request_with_citizen(conn)
    clerk.select_request(pk)
    clerk.select_request(pk)  # shown again: still one read
    reads = conn.execute("SELECT count(*) FROM sync_outbox WHERE name = 'audit.read'")
    assert reads.fetchone()[0] == 1
    attachment_id = str(uuid.uuid4())
    conn.execute("INSERT INTO attachment (id, request_pk, filename, media_type, size, sha256) "
                 "VALUES (?, ?, 'justificatif.pdf', 'application/pdf', 10, ?)",
                 (attachment_id, pk, "0" * 64))
    clerk.detail.attachmentRequested.emit(attachment_id)  # « Ouvrir » on the file
    opened = conn.execute("SELECT args FROM sync_outbox WHERE name = 'audit.read' "
                          "ORDER BY rowid DESC LIMIT 1").fetchone()[0]
    assert json.loads(opened)["attachment_id"] == attachment_id
    # The clerk's shortcut to the admin screen: refused in French, no window.
    clerk.activateWindow()
    qtbot.waitUntil(clerk.isActiveWindow, timeout=2000)
    qtbot.keyClick(QApplication.focusWidget() or clerk, Qt.Key.Key_J,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
    assert refusals == [ADMIN_ONLY]
    assert clerk.findChild(AuditWindow) is None
    assert clerk.rgpd.open_retention() is None
    assert not clerk.rgpd.erase_selected("x", confirm=False)
    assert refusals[1:] == [RETENTION_ADMIN_ONLY, ERASE_ADMIN_ONLY]
    assert conn.execute("SELECT count(*) FROM sync_outbox WHERE name = 'citizen.erase'"
                        ).fetchone()[0] == 0
    trail_for_clerk = AccessTrailView(citizen_id, conn, admin_online, None)
    assert trail_for_clerk.note.text() == NOT_ADMIN
    assert sync_in_process(server.url, clerk_pc).rejected == 0

    admin = make_window(qtbot, admin_pc, tmp_path, "admin")
    use_online(admin, admin_online)
    audit = admin.rgpd.open_audit()
    assert isinstance(audit, AuditWindow)
    qtbot.addWidget(audit)
    qtmodeltester.check(audit.model)
    assert audit.model.rowCount() > 0
    index = audit.citizen.findData(citizen_id)
    assert index > 0
    audit.citizen.setCurrentIndex(index)
    audit.action.setCurrentIndex(audit.action.findData("read"))
    audit.apply()
    qtmodeltester.check(audit.model)
    rows = [[audit.model.index(r, c).data() for c in range(audit.model.columnCount())]
            for r in range(audit.model.rowCount())]
    clerk_reads = [r for r in rows if r[1] == "Claire Martin" and r[6] == "détail d'une demande"]
    assert len(clerk_reads) == 1  # shown twice, one read
    assert clerk_reads[0][2:5] == ["Consultation", "Usager", citizen_name]
    assert audit.count.text() == f"{len(rows)} entrée{'s' if len(rows) > 1 else ''}"
    number = str(conn.execute("SELECT number FROM request WHERE pk = ?", (pk,)).fetchone()[0])
    audit.citizen.setCurrentIndex(0)
    audit.request.setText("2099-999999")
    audit.apply()
    assert audit.problem.text() == "Aucune demande n° « 2099-999999 » sur ce poste."
    audit.request.setText(number)
    audit.apply()  # each demo commune has its own 2026-0000xx
    assert audit.problem.text().startswith("Plusieurs communes ont une demande n°")
    authority_id = str(conn.execute("SELECT a.id FROM request r JOIN authority a ON "
                                    "a.pk = r.authority_pk WHERE r.pk = ?", (pk,)).fetchone()[0])
    audit.commune.setCurrentIndex(audit.commune.findData(authority_id))
    audit.apply()
    assert audit.problem.text() == "" and audit.model.rowCount() >= 2  # the read, the file
    assert {audit.model.index(r, 5).data() for r in range(audit.model.rowCount())} == {number}
    audit.request.clear()
    audit.until.edit.setText("01/01/2020")
    audit.since.edit.setText("02/01/2020")
    audit.apply()
    assert "inversée" in audit.problem.text()
    audit.since.edit.setText("01/01/2020")
    audit.apply()
    assert audit.problem.text() == "" and audit.model.rowCount() == 0
    assert audit.count.text() == "Aucune entrée pour ces filtres."
    audit.clear()  # every entry of the admin's communes
    assert audit.problem.text() == "" and audit.model.total > len(rows)
    ARTIFACTS.mkdir(exist_ok=True)
    audit.grab().save(str(ARTIFACTS / "audit.png"))
    target = tmp_path / "journal.csv"
    audit.export_to(target)
    with target.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle, delimiter=";"))
    assert lines[0][:3] == ["Date", "Agent", "Action"]
    assert len(lines) == audit.model.total + 1  # all of them, not only the pages shown
    assert "Claire Martin" in {line[1] for line in lines[1:]}

    # « Exporter les données de l'usager… » then « Effacer l'usager… » on the admin's PC.
    admin_conn = admin._repo.connection  # noqa: SLF001
    admin_pk = int(admin_conn.execute(
        "SELECT r.pk FROM request r JOIN citizen c ON c.pk = r.citizen_pk WHERE c.id = ? "
        "LIMIT 1", (citizen_id,)).fetchone()[0])
    admin.select_request(admin_pk)
    admin.rgpd.export_selected(tmp_path / "export", with_files=False)
    (exported,) = (tmp_path / "export").glob("*.json")
    data = json.loads(exported.read_text(encoding="utf-8"))
    assert data["reads"]["complete"] is True
    assert "Claire Martin" in {e["agent"] for e in data["reads"]["entries"]}

    trail = admin.rgpd.access_trail(citizen_id)  # the citizen window's « Consultations »
    assert isinstance(trail, AccessTrailView)
    qtbot.addWidget(trail)
    trail.show()
    qtmodeltester.check(trail.model)
    assert "consultation" in trail.note.text()
    shown = [trail.model.index(r, 1).data() for r in range(trail.model.rowCount())]
    assert "Claire Martin" in shown

    assert admin.rgpd.erase_selected("Demande écrite du 30/11/2026", confirm=False)
    assert admin_conn.execute("SELECT display_name FROM citizen WHERE id = ?",
                              (citizen_id,)).fetchone()[0] == "(usager effacé)"
    assert sync_in_process(server.url, admin_pc, ADMIN).rejected == 0
    assert server.query("SELECT count(*) FROM citizens WHERE id = ?",
                        uuid.UUID(citizen_id).hex)[0][0] == 0


def test_the_36_month_list_is_approved_and_purged_from_its_dialog(
    qtbot: Any, server: ServerProcess, pcs: tuple[Path, Path], tmp_path: Path,
    admin_online: DirectOnline, refusals: list[str],
) -> None:
    _clerk_pc, admin_pc = pcs
    authority = server.authority_ids()[0]
    idle = new_citizen(server, authority, "Vautrin")
    sync_in_process(server.url, admin_pc, ADMIN)
    admin = make_window(qtbot, admin_pc, tmp_path, "admin")
    dialog = RetentionDialog(admin._repo.connection, admin_online,  # noqa: SLF001
                             today=lambda: LATER, parent=admin)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.commune.setCurrentIndex(dialog.commune.findData(authority))
    dialog.compute.click()
    assert dialog.run is not None and dialog.run.state == "proposed"
    assert str(idle) in {str(i.citizen_id) for i in dialog.run.items}
    assert dialog.approve.isEnabled() and not dialog.purge.isEnabled()
    ARTIFACTS.mkdir(exist_ok=True)
    dialog.grab().save(str(ARTIFACTS / "retention.png"))
    dialog.approve.click()
    assert dialog.run.state == "approved" and dialog.purge.isEnabled()
    dialog.purge.click()
    assert dialog.run.state == "done"
    assert "purge terminée" in dialog.status.text()
    assert {dialog.table.item(r, 3).text() for r in range(dialog.table.rowCount())} == {"Purgé"}
    sync_in_process(server.url, admin_pc, ADMIN)
    row = admin._repo.connection.execute(  # noqa: SLF001
        "SELECT deleted, last_name FROM citizen WHERE id = ?", (idle,)).fetchone()
    assert tuple(row) == (1, "")
    assert refusals == []
