"""A file refused with an e-mail (server intake, ``attachment_refused`` event pulled like any
other) reads in the request's history with its name and the French reason."""

from __future__ import annotations

import json
import sqlite3
import uuid

from desktop.views.main_window import MainWindow
from sync.protocol.files import attachment_problem
from tests.gui.conftest import ARTIFACTS
from tests.mail_samples import EXE


def test_a_refused_file_shows_its_reason_in_the_history(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection
) -> None:
    pk = demo_db.execute("SELECT pk FROM request ORDER BY pk LIMIT 1").fetchone()[0]
    reason = attachment_problem(EXE, "facture.pdf")
    assert reason is not None
    with demo_db:
        demo_db.execute(
            "INSERT INTO event (id, request_pk, at, kind, detail, version) "
            "VALUES (?, ?, '2026-11-23T08:30:00+00:00', 'attachment_refused', ?, 1)",
            (str(uuid.uuid4()), pk,
             json.dumps({"filename": "facture.pdf", "reason": reason,
                         "declared_type": "application/pdf"})),
        )  # fmt: skip
    window.splitter.setSizes([900, 660])
    window.select_request(pk)
    pane = window.detail
    qtbot.waitUntil(lambda: pane.shown_pk == pk, timeout=2000)
    text = pane.toPlainText()
    assert "Pièce jointe refusée : facture.pdf — Le fichier « facture.pdf » n'est pas un PDF" in (
        " ".join(text.split())
    )
    assert "23 novembre 2026" in text or "23/11/2026" in text
    pane.find("Pièce jointe refusée")  # scrolls the history line into view
    ARTIFACTS.mkdir(exist_ok=True)
    pane.grab().save(str(ARTIFACTS / "historique-piece-refusee.png"))
