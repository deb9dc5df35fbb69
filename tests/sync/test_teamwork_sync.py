"""Two PCs on the real server: the administrator's PC creates a service and assigns requests,
queued offline; the secrétaire's PC pulls them, shows them in « Mes demandes » / « Mon
service », and is told once « Demande n° … vous a été attribuée par … »."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from desktop.store import teamwork
from desktop.store.database import connect
from desktop.store.inbox import Column, InboxFilter, InboxRepository, InboxSort
from desktop.store.requests import reference_of
from desktop.syncing.worker import SyncController
from desktop.views.main_window import MainWindow
from desktop.views.sync_ui import install_sync
from desktop.views.teamwork.flow import NOTICE_TITLE
from tests.conftest import TODAY
from tests.sync.conftest import CLERK, ServerProcess, local_db, sync_in_process
from tests.sync.test_worker_gui import MemoryVault

ADMIN = ("admin", "Admin-Bannette-2026!")


def _agent_id(conn: sqlite3.Connection, login: str) -> str:
    return str(conn.execute("SELECT id FROM agent WHERE login = ?", (login,)).fetchone()[0])


def test_assignment_reaches_the_other_pc_and_is_notified_once(
    server: ServerProcess, tmp_path: Path
) -> None:
    pc_admin = local_db(tmp_path / "admin.sqlite3")
    pc_clerk = local_db(tmp_path / "secretaire.sqlite3")
    sync_in_process(server.url, pc_admin, ADMIN)
    sync_in_process(server.url, pc_clerk, CLERK)

    admin = connect(pc_admin)
    clerk_id = _agent_id(admin, "secretaire")
    admin_id = _agent_id(admin, "admin")
    authority_pk = admin.execute("SELECT pk FROM authority ORDER BY insee_code").fetchone()[0]
    # Offline: service created, two requests assigned (one to her, one to her service).
    service_id = teamwork.save_service(admin, authority_pk=authority_pk, name="État civil",
                                       member_ids=[clerk_id], by_agent_id=admin_id)
    first, second = [r[0] for r in admin.execute(
        "SELECT pk FROM request WHERE authority_pk = ? ORDER BY number LIMIT 2",
        (authority_pk,))]
    teamwork.assign(admin, [first], agent_id=clerk_id, service_id=None,
                    reason="Vous connaissez le dossier", by_agent_id=admin_id)
    teamwork.assign(admin, [second], agent_id=None, service_id=service_id,
                    reason="", by_agent_id=admin_id)
    numbers = [reference_of(admin, pk) for pk in (first, second)]  # as every screen shows
    request_ids = [admin.execute("SELECT id FROM request WHERE pk = ?", (pk,)).fetchone()[0]
                   for pk in (first, second)]
    admin.close()
    report = sync_in_process(server.url, pc_admin, ADMIN)
    assert report is not None
    assert server.query("SELECT name FROM services") == [("État civil",)]

    sync_in_process(server.url, pc_clerk, CLERK)
    clerk = connect(pc_clerk)
    try:
        assert clerk.execute("SELECT COUNT(*) FROM sync_outbox WHERE state = 'rejected'"
                             ).fetchone()[0] == 0
        repo = InboxRepository(clerk)
        mine = repo.ids(InboxFilter(assigned_to_me=True), InboxSort(), today=TODAY,
                        agent_id=clerk_id)
        service = repo.ids(InboxFilter(my_services=True), InboxSort(), today=TODAY,
                           agent_id=clerk_id)
        pk_of = {r[0]: r[1] for r in clerk.execute("SELECT id, pk FROM request")}
        assert pk_of[request_ids[0]] in mine
        assert service == [pk_of[request_ids[1]]]
        rows = repo.rows([pk_of[i] for i in request_ids])
        assert rows[pk_of[request_ids[0]]].assignee == "Claire Martin"
        assert rows[pk_of[request_ids[1]]].assignee == "État civil"
        notices = teamwork.take_assignment_notices(clerk)
        assert sorted(n.text for n in notices) == sorted([
            f"Demande n° {numbers[0]} vous a été attribuée par Administrateur",
            f"Demande n° {numbers[1]} attribuée à votre service « État civil » "
            "par Administrateur",
        ])
        assert teamwork.take_assignment_notices(clerk) == []  # said once
        detail = repo.detail(pk_of[request_ids[0]])
        assert detail is not None
        texts = [teamwork.event_text(e.kind, e.detail) for e in detail.events]
        assert "Attribuée à Claire Martin (motif : Vous connaissez le dossier)" in texts
    finally:
        clerk.close()
    # The administrator's own PC is not told about its own assignments.
    admin = connect(pc_admin)
    try:
        sync_in_process(server.url, pc_admin, ADMIN)
        assert teamwork.take_assignment_notices(admin) == []
        assert admin.execute("SELECT COUNT(*) FROM event WHERE kind = 'assigned'"
                             ).fetchone()[0] == 2  # adopted, not doubled
    finally:
        admin.close()


def test_agent_who_left_refused_by_the_server_too(server: ServerProcess, tmp_path: Path) -> None:
    """A PC that did not know yet the agent left queues the assignment: the server refuses
    it with the reason, and the PC shows it among the refusals; nothing else is blocked."""
    pc = local_db(tmp_path / "poste.sqlite3")
    sync_in_process(server.url, pc, CLERK)
    conn = connect(pc)
    maire = _agent_id(conn, "maire")
    (pk,) = conn.execute("SELECT r.pk FROM request r JOIN authority a ON a.pk = r.authority_pk "
                         "WHERE a.insee_code = '10999' LIMIT 1").fetchone()
    teamwork.assign(conn, [pk], agent_id=maire, service_id=None, by_agent_id=None)
    teamwork.add_note(conn, pk, "Appeler le demandeur", agent_id=None)
    conn.close()
    with sqlite3.connect(server.database, timeout=30) as db:  # the mayor's account disabled
        db.execute("UPDATE agents SET active = 0 WHERE login = 'maire'")
    db.close()
    sync_in_process(server.url, pc, CLERK)
    conn = connect(pc)
    try:
        refused = conn.execute("SELECT name, reason FROM sync_outbox WHERE state = 'rejected'"
                               ).fetchall()
        assert [tuple(r) for r in refused] == [(
            "request.assign",
            "Cet agent a quitté la collectivité (compte désactivé) : attribuez la demande "
            "à un autre agent ou à un service.")]
        assert server.query("SELECT COUNT(*) FROM events WHERE kind = 'note'") == [(1,)]
        # The refused assignment is undone here too (the server's row is fetched back).
        assert tuple(conn.execute(
            "SELECT assigned_agent_pk, assignee_label FROM request WHERE pk = ?", (pk,)
        ).fetchone()) == (None, "")
    finally:
        conn.close()


@pytest.mark.gui
def test_the_secretary_window_says_the_assignment_after_its_sync(
    qtbot, server: ServerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The secrétaire's real window and sync worker; the administrator's PC assigns her a
    request: her next sync shows « Demande n° … vous a été attribuée par Administrateur »."""
    pc_clerk = local_db(tmp_path / "secretaire.sqlite3")
    pc_admin = local_db(tmp_path / "admin.sqlite3")
    sync_in_process(server.url, pc_clerk, CLERK)
    sync_in_process(server.url, pc_admin, ADMIN)
    conn = connect(pc_clerk)
    settings = QSettings(str(tmp_path / "bannette.ini"), QSettings.Format.IniFormat)
    window = MainWindow(InboxRepository(conn), settings, today=lambda: TODAY)
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(window, "_notify", lambda title, text: shown.append((title, text)))
    controller = SyncController(pc_clerk, conn, vault=MemoryVault(), parent=window)
    install_sync(window, controller)
    qtbot.addWidget(window)
    try:
        window.show()
        qtbot.waitExposed(window)
        with qtbot.waitSignal(controller.synced, timeout=60_000):
            controller.login(server.url, *CLERK)
        admin = connect(pc_admin)
        clerk_id = _agent_id(admin, "secretaire")
        pk = admin.execute("SELECT pk FROM request ORDER BY number LIMIT 1").fetchone()[0]
        number = reference_of(admin, pk)  # « 10999-2026-000001 », as every screen shows
        teamwork.assign(admin, [pk], agent_id=clerk_id, service_id=None,
                        reason="Urgent", by_agent_id=_agent_id(admin, "admin"))
        admin.close()
        sync_in_process(server.url, pc_admin, ADMIN)
        with qtbot.waitSignal(controller.synced, timeout=60_000):
            controller.sync_now()
        qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
        assert shown == [(NOTICE_TITLE,
                          f"Demande n° {number} vous a été attribuée par Administrateur")]
        window.filters.set_assignment("mine")
        assert number in [window.model.data(window.model.index(r, Column.NUMBER))
                          for r in range(window.model.rowCount())]
    finally:
        controller.stop()
        conn.close()


def test_first_pull_in_small_pages_notifies_nothing(server: ServerProcess, tmp_path: Path) -> None:
    """Assignments that predate this PC are history: a first pull, however many pages it
    takes, says nothing; the next assignment is news."""
    pc_admin = local_db(tmp_path / "admin.sqlite3")
    sync_in_process(server.url, pc_admin, ADMIN)
    admin = connect(pc_admin)
    clerk_id = _agent_id(admin, "secretaire")
    pks = [r[0] for r in admin.execute("SELECT pk FROM request ORDER BY number LIMIT 2")]
    teamwork.assign(admin, pks[:1], agent_id=clerk_id, service_id=None,
                    by_agent_id=_agent_id(admin, "admin"))
    admin.close()
    sync_in_process(server.url, pc_admin, ADMIN)
    pc_clerk = local_db(tmp_path / "secretaire.sqlite3")
    report = sync_in_process(server.url, pc_clerk, CLERK, page_limit=20)
    assert report.pages > 3
    clerk = connect(pc_clerk)
    try:
        assert teamwork.take_assignment_notices(clerk) == []
    finally:
        clerk.close()
    admin = connect(pc_admin)
    teamwork.assign(admin, pks[1:], agent_id=clerk_id, service_id=None,
                    by_agent_id=_agent_id(admin, "admin"))
    admin.close()
    sync_in_process(server.url, pc_admin, ADMIN)
    sync_in_process(server.url, pc_clerk, CLERK, page_limit=20)
    clerk = connect(pc_clerk)
    try:
        assert len(teamwork.take_assignment_notices(clerk)) == 1
    finally:
        clerk.close()
