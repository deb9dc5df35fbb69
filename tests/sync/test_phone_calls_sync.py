"""End to end against the real server process: a call logged on one PC reaches the server with
the instant it started and the agent who took it, the other PCs pull it under its request, the
PC that logged it keeps one row, and a call logged while the line is down leaves exactly once
when it comes back — even when the PC is killed right after the server applied it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from desktop.domain.legal_time import stored, to_wire
from desktop.store.database import connect
from desktop.store.inbox import InboxRepository
from desktop.store.outbox import pending_count, rejections
from desktop.store.phone_calls import NewCall, calls_for_request, log_call, recent_calls
from desktop.syncing.worker import SyncController
from desktop.views.main_window import MainWindow
from desktop.views.phone_call_dialog import install_phone_calls, phone_calls_of
from desktop.views.sync_ui import install_sync
from sync.store import AGENT_ID
from tests.gui.conftest import type_text
from tests.sync.conftest import (
    CLERK,
    ServerProcess,
    local_db,
    start_cli,
    sync_in_process,
    wait_for,
)
from tests.sync.test_intake_sync import _server_time
from tests.sync.test_worker_gui import MemoryVault


def _a_request(db: Path) -> tuple[int, str, int, int, str]:
    """A request of the server on this PC: (pk, id, authority pk, citizen pk, agent id)."""
    conn = connect(db)
    try:
        pk, request_id, authority_pk, citizen_pk = conn.execute(
            "SELECT r.pk, r.id, r.authority_pk, r.citizen_pk FROM request r "
            "JOIN citizen c ON c.pk = r.citizen_pk "
            "WHERE r.version > 0 AND c.version > 0 ORDER BY r.number LIMIT 1"
        ).fetchone()
        agent_id = conn.execute(
            "SELECT value FROM sync_state WHERE key = ?", (AGENT_ID,)).fetchone()[0]
    finally:
        conn.close()
    return pk, request_id, authority_pk, citizen_pk, agent_id


def _log(db: Path, **fields: object) -> tuple[int, str, datetime]:
    """Logs a call on that PC; returns (pk, id, called_at)."""
    called_at = (datetime.now() - timedelta(minutes=4)).replace(microsecond=0)
    conn = connect(db)
    try:
        values: dict[str, object] = {
            "caller_name": "Éloïse Noël", "phone_number": "03 29 41 22 10",
            "motive": "Où en est ma demande ?", "duration_seconds": 200, "called_at": called_at,
        }
        values.update(fields)
        agent_id = conn.execute(
            "SELECT value FROM sync_state WHERE key = ?", (AGENT_ID,)).fetchone()[0]
        pk = log_call(conn, NewCall(**values), agent_id=agent_id)  # type: ignore[arg-type]
        call_id = conn.execute("SELECT id FROM phone_call WHERE pk = ?", (pk,)).fetchone()[0]
    finally:
        conn.close()
    return pk, call_id, called_at


def _server_calls(server: ServerProcess, call_id: str) -> list[tuple[object, ...]]:
    return server.query(
        "SELECT caller_name, phone_number, motive, duration_seconds, called_at, agent_id, "
        "request_id, citizen_id, authority_id FROM phone_calls WHERE id = ?",
        uuid.UUID(call_id).hex,
    )


def _as_uuid(value: object) -> uuid.UUID:
    return uuid.UUID(str(value))


@pytest.fixture
def pc_a(server: ServerProcess, tmp_path: Path) -> Path:
    db = local_db(tmp_path / "poste-a.sqlite3")
    sync_in_process(server.url, db)
    return db


def test_a_call_reaches_the_server_and_the_other_pc(
    server: ServerProcess, pc_a: Path, tmp_path: Path
) -> None:
    request_pk, request_id, authority_pk, citizen_pk, agent_id = _a_request(pc_a)
    call_pk, call_id, called_at = _log(
        pc_a, authority_pk=authority_pk, request_pk=request_pk, citizen_pk=citizen_pk)
    conn = connect(pc_a)
    assert pending_count(conn) == 1
    conn.close()

    report = sync_in_process(server.url, pc_a)
    assert (report.applied, report.rejected) == (1, 0)

    # The server holds the call as logged, the instant it started in UTC, the agent who took it.
    [found] = _server_calls(server, call_id)
    caller, number, motive, duration, server_called_at, agent, request, citizen, _auth = found
    assert (caller, number, motive, duration) == (
        "Éloïse Noël", "03 29 41 22 10", "Où en est ma demande ?", 200)
    assert _server_time(server_called_at) == to_wire(called_at).astimezone(UTC)
    assert _as_uuid(agent) == uuid.UUID(agent_id)
    assert _as_uuid(request) == uuid.UUID(request_id)
    conn = connect(pc_a)
    citizen_id = conn.execute("SELECT id FROM citizen WHERE pk = ?", (citizen_pk,)).fetchone()[0]
    conn.close()
    assert _as_uuid(citizen) == uuid.UUID(citizen_id)

    # Pulled back on A in the same sync: the same row, now confirmed, not a second one.
    conn = connect(pc_a)
    try:
        rows = conn.execute("SELECT pk, version, called_at FROM phone_call").fetchall()
        assert len(rows) == 1
        assert rows[0]["pk"] == call_pk and rows[0]["version"] > 0
        assert rows[0]["called_at"] == stored(called_at)  # UTC, whatever the PC's zone
        assert pending_count(conn) == 0 and rejections(conn) == []
    finally:
        conn.close()
    again = sync_in_process(server.url, pc_a)
    assert again.pushed == 0 and again.pulled_rows == 0

    # PC B, the first time it syncs: the call is there, under the same request.
    pc_b = local_db(tmp_path / "poste-b.sqlite3")
    sync_in_process(server.url, pc_b)
    conn = connect(pc_b)
    try:
        pk_on_b = conn.execute(
            "SELECT pk FROM request WHERE id = ?", (request_id,)).fetchone()[0]
        [call] = calls_for_request(conn, pk_on_b)
        agent_name = conn.execute(
            "SELECT display_name FROM agent WHERE id = ?", (agent_id,)).fetchone()[0]
        assert (call.caller_name, call.phone_number, call.duration_seconds) == (
            "Éloïse Noël", "03 29 41 22 10", 200)
        assert call.called_at == to_wire(called_at)  # the same instant on both PCs
        assert call.agent == agent_name
        assert call.request_number is not None
        citizen_on_b = conn.execute(
            "SELECT c.id FROM phone_call p JOIN citizen c ON c.pk = p.citizen_pk").fetchone()[0]
        assert citizen_on_b == citizen_id
    finally:
        conn.close()


def test_a_call_logged_offline_is_delivered_once(
    server: ServerProcess, pc_a: Path, tmp_path: Path
) -> None:
    _pk, _request_id, authority_pk, _citizen_pk, _agent = _a_request(pc_a)
    server.stop()  # the line is down
    call_pk, call_id, _called_at = _log(pc_a, authority_pk=authority_pk, caller_name="Léa Roux")
    with pytest.raises(Exception, match="Hors ligne"):
        sync_in_process(server.url, pc_a)
    conn = connect(pc_a)
    assert pending_count(conn) == 1
    assert [c.pk for c in recent_calls(conn)] == [call_pk]  # shown while it waits
    conn.close()

    # Back online; the PC is killed right after the server applied the call, before it could
    # note the answer: the call is sent again, and applied once.
    server.start()
    marker = tmp_path / "paused"
    cli = start_cli(server.url, pc_a, env={"BANNETTE_SYNC_PAUSE_AT": "after_push_answer",
                                           "BANNETTE_SYNC_PAUSE_MARKER": str(marker)})
    wait_for(marker, process=cli)
    cli.kill()
    cli.wait()
    assert len(_server_calls(server, call_id)) == 1
    conn = connect(pc_a)
    assert pending_count(conn) == 1  # the answer never reached the outbox
    conn.close()

    report = sync_in_process(server.url, pc_a)
    assert report.rejected == 0
    assert len(_server_calls(server, call_id)) == 1
    assert server.query("SELECT COUNT(*) FROM phone_calls")[0][0] == 1
    conn = connect(pc_a)
    try:
        assert pending_count(conn) == 0 and rejections(conn) == []
        rows = conn.execute("SELECT pk, version FROM phone_call").fetchall()
        assert len(rows) == 1 and rows[0]["pk"] == call_pk and rows[0]["version"] > 0
    finally:
        conn.close()


@pytest.mark.gui
def test_a_call_logged_in_the_window_leaves_by_itself(
    qtbot, server: ServerProcess, tmp_path: Path
) -> None:
    """The window and its sync: a call attached to no request still counts as a change
    waiting, and leaves for the server a moment later without F5."""
    db = local_db(tmp_path / "poste.sqlite3")
    conn = connect(db)
    settings = QSettings(str(tmp_path / "bannette.ini"), QSettings.Format.IniFormat)
    window = MainWindow(InboxRepository(conn), settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    controller = SyncController(db, conn, vault=MemoryVault())
    try:
        install_sync(window, controller)
        install_phone_calls(window)
        calls = phone_calls_of(window)
        assert calls is not None
        calls.localChanged.connect(controller.local_changed)  # the line sync_ui is to get
        with qtbot.waitSignal(controller.synced, timeout=30_000):
            controller.login(server.url, *CLERK)
        qtbot.waitUntil(lambda: not controller.running and controller.status.pending == 0,
                        timeout=30_000)

        window.table.clearSelection()
        calls.open()
        dialog = calls.dialog
        assert dialog is not None
        type_text(dialog.caller, "Léa Roux")
        type_text(dialog.motive, "Horaires d'été de la mairie")
        with qtbot.waitSignal(controller.synced, timeout=30_000):
            dialog.save_button.click()
        qtbot.waitUntil(lambda: not controller.running, timeout=30_000)
        assert controller.status.pending == 0
        call_id = conn.execute("SELECT id FROM phone_call").fetchone()[0]
        [found] = _server_calls(server, call_id)
        assert found[0] == "Léa Roux" and found[6] is None  # no request
    finally:
        controller.stop()
        window.close()  # before its connection: a hidden bannette reads nothing more
        conn.close()
