"""The local side of attachments: each one's state (cached, waiting for upload) and the named
copy an OS can open, whatever name a citizen or another PC gave the file."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from desktop.store.attachments import (
    add_attachment,
    find_attachment,
    open_name,
    opened_copy,
    request_attachments,
)
from desktop.store.sync_store import blob_path
from tests.server.helpers import pdf_bytes, png_bytes


@pytest.mark.parametrize(
    ("filename", "media_type", "expected"),
    [
        ("Justificatif de domicile.pdf", "application/pdf", "Justificatif de domicile.pdf"),
        ("photo.JPG", "image/jpeg", "photo.JPG"),
        ("plan.jpeg", "image/jpeg", "plan.jpeg"),
        ("scan.pdf", "image/png", "scan.png"),  # the content decides, not the name
        ("compte rendu.v2", "application/pdf", "compte rendu.v2.pdf"),
        ("sans extension", "application/pdf", "sans extension.pdf"),
        ("../../etc/passwd", "application/pdf", "passwd.pdf"),
        ("C:\\Users\\marie\\CON.pdf", "application/pdf", "_CON.pdf"),
        ('devis <final>: "v2"?.pdf', "application/pdf", "devis _final__ _v2__.pdf"),
        ("...", "image/png", "piece-jointe.png"),
        ("e\u0301te\u0301.pdf", "application/pdf", "\u00e9t\u00e9.pdf"),  # NFC, as Windows
        ("x" * 300 + ".pdf", "application/pdf", "x" * 100 + ".pdf"),
    ],
)
def test_open_name(filename: str, media_type: str, expected: str) -> None:
    assert open_name(filename, media_type) == expected


def _first_request(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT pk FROM request ORDER BY pk LIMIT 1").fetchone()[0])


def test_state_and_named_copy(demo_db: sqlite3.Connection, tmp_path: Path) -> None:
    pk = _first_request(demo_db)
    listed = request_attachments(demo_db, pk)
    assert all(not a.cached and not a.upload_pending for a in listed)  # demo: metadata only
    source = tmp_path / "Plan de masse.png"
    source.write_bytes(png_bytes())
    attachment_id = add_attachment(demo_db, pk, source)
    attachment = find_attachment(demo_db, attachment_id)
    assert attachment is not None and attachment == request_attachments(demo_db, pk)[-1]
    assert (attachment.filename, attachment.media_type, attachment.cached) == (
        "Plan de masse.png", "image/png", True)
    assert find_attachment(demo_db, "inconnue") is None

    folder = tmp_path / "ouverts"
    copy = opened_copy(demo_db, attachment, folder)
    assert copy == folder / attachment.sha256[:8] / "Plan de masse.png"
    assert copy.read_bytes() == source.read_bytes()
    assert not copy.stat().st_mode & stat.S_IWUSR  # read-only: edits would not reach the file
    assert opened_copy(demo_db, attachment, folder) == copy  # opened twice: same copy

    # A damaged cache is not opened: the caller downloads the file again.
    blob_path(demo_db, attachment.sha256).write_bytes(pdf_bytes("autre chose"))
    assert opened_copy(demo_db, attachment, folder) is None
    blob_path(demo_db, attachment.sha256).unlink()
    assert opened_copy(demo_db, attachment, folder) is None
    assert not find_attachment(demo_db, attachment_id).cached  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("filename", "refused"),
    [("plan.png", False), ("plan", False), ("PLAN.PNG", False), ("plan.pdf", True),
     ("plan.jpg", True), ("plan.gif", True)],
)
def test_a_name_that_lies_about_the_content_is_refused_before_anything_is_sent(
    demo_db: sqlite3.Connection, tmp_path: Path, filename: str, refused: bool
) -> None:
    """The server refuses a PNG called « .pdf »: the PC says so at once, not hours later."""
    from desktop.store.database import StoreError

    source = tmp_path / filename
    source.write_bytes(png_bytes())
    pk = demo_db.execute("SELECT pk FROM request LIMIT 1").fetchone()[0]
    before = demo_db.execute("SELECT COUNT(*) FROM attachment").fetchone()[0]
    if refused:
        with pytest.raises(StoreError, match="ne correspond pas à son extension"):
            add_attachment(demo_db, pk, source)
        assert demo_db.execute("SELECT COUNT(*) FROM attachment").fetchone()[0] == before
    else:
        add_attachment(demo_db, pk, source)
        assert demo_db.execute("SELECT COUNT(*) FROM attachment").fetchone()[0] == before + 1
