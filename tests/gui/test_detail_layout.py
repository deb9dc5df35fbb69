"""The detail pane keeps two readable columns (issue 9, item 12)."""

from __future__ import annotations

import sqlite3

from desktop.views.main_window import MainWindow
from tests.gui.conftest import ARTIFACTS


def test_missing_documents_keep_the_two_columns(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    pk = demo_db.execute(
        "SELECT request_pk FROM missing_documents GROUP BY request_pk "
        "ORDER BY COUNT(*) DESC, request_pk LIMIT 1"
    ).fetchone()[0]
    window.splitter.setSizes([1190, 370])
    window.select_request(pk)
    pane = window.detail
    qtbot.waitUntil(lambda: pane.shown_pk == pk, timeout=2000)
    ARTIFACTS.mkdir(exist_ok=True)
    pane.grab().save(str(ARTIFACTS / "detail-pieces-demandees.png"))
    document = pane.document()
    received = document.find("Reçue le").block().next()
    assert received.layout().lineCount() == 1  # « 23 septembre 2026 à 16:36 » on one line
    asked = document.find("Pièces demandées").block().next()
    while asked.isValid() and "(en attente)" not in asked.text() and "(reçues" not in asked.text():
        asked = asked.next()
    assert asked.isValid()
    words = len(asked.text().split())
    assert asked.layout().lineCount() <= words // 3  # a few words a line, not one


def test_a_request_nobody_handles_says_so(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    pk = demo_db.execute(
        "SELECT pk FROM request WHERE assigned_agent_pk IS NULL LIMIT 1").fetchone()[0]
    window.select_request(pk)
    text = window.detail.toPlainText()
    assert "Non assignée" in text
    assert "Personne" not in text
