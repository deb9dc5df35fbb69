"""Scans without a display: the scan folder looked at twice, classification, dropped files
checked, images joined into one PDF, and the preview's documents (limits, hostile files)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pymupdf
import pytest

from desktop.documents.join_images import JoinError, join_images
from desktop.documents.preview import MAX_PIXELS, PreviewDocument, PreviewError
from desktop.services.incoming_files import (
    MAX_FILES_PER_DROP,
    ReadyFile,
    attach_files,
    sort_incoming,
)
from desktop.services.scan_folder import (
    CLASSIFIED,
    UNREADABLE_AFTER,
    ScanState,
    classify,
    read_ends,
    scan,
    scan_folder_setting,
    set_scan_folder,
)
from desktop.store.attachments import request_attachments
from desktop.store.database import StoreError
from tests.scan_files import image_bytes, pdf_bytes, tiff_bytes


def refuse_locked(locked: Path):  # type: ignore[no-untyped-def]
    """Reads as the OS would with ``locked`` chmod 000. Root reads any file whatever its mode,
    so under root (CI containers) the refusal the OS would give is acted here."""
    def read(path: Path) -> tuple[bytes, bytes]:
        if path == locked and os.geteuid() == 0:
            raise PermissionError(13, "Permission non accordée")
        return read_ends(path)
    return read


# --- the scan folder ---------------------------------------------------------------------------
def test_a_half_written_file_is_listed_only_once_complete(tmp_path: Path) -> None:
    scan_pdf = pdf_bytes(3)
    target = tmp_path / "SCAN_0001.pdf"
    target.write_bytes(scan_pdf[: len(scan_pdf) // 2])  # the copier's first half
    first = scan(tmp_path, ScanState())
    assert first.ready == [] and first.waiting == ["SCAN_0001.pdf"]
    with target.open("ab") as handle:  # … and the rest, a moment later
        handle.write(scan_pdf[len(scan_pdf) // 2:])
    second = scan(tmp_path, first.state)
    assert second.ready == [] and second.waiting == ["SCAN_0001.pdf"]  # grew: not yet
    third = scan(tmp_path, second.state)
    assert [f.name for f in third.ready] == ["SCAN_0001.pdf"]
    assert third.ready[0].kind == "pdf" and third.ready[0].problem is None
    assert third.ready[0].size == len(scan_pdf)


def test_a_copier_pausing_mid_file_is_waited_for_then_told(tmp_path: Path) -> None:
    """Stable but unfinished (no « %%EOF » yet): not listed; finished: listed; never
    finished: said in French after a few looks."""
    data = pdf_bytes(2)
    target = tmp_path / "SCAN_0002.pdf"
    target.write_bytes(data[:-200])
    state = scan(tmp_path, ScanState()).state
    paused = scan(tmp_path, state)
    assert paused.ready == [] and paused.waiting == ["SCAN_0002.pdf"]
    target.write_bytes(data)
    state = scan(tmp_path, paused.state).state
    assert [f.name for f in scan(tmp_path, state).ready] == ["SCAN_0002.pdf"]

    photo = image_bytes("jpg")
    (tmp_path / "photo.jpg").write_bytes(photo[:-40])  # and never finished
    state = ScanState()
    for _ in range(UNREADABLE_AFTER + 1):
        result = scan(tmp_path, state)
        state = result.state
    (bad,) = result.unreadable
    assert bad.reason.startswith("« photo.jpg » est incomplet")
    assert [f.name for f in result.ready] == ["SCAN_0002.pdf"]


def test_empty_hidden_and_temporary_files_wait_or_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "vide.pdf").write_bytes(b"")
    (tmp_path / ".cache").write_bytes(b"x")
    (tmp_path / "SCAN.pdf.part").write_bytes(b"%PDF-")
    (tmp_path / "Thumbs.db").write_bytes(b"x")
    (tmp_path / CLASSIFIED).mkdir()
    (tmp_path / CLASSIFIED / "ancien.pdf").write_bytes(pdf_bytes())
    first = scan(tmp_path, ScanState())
    second = scan(tmp_path, first.state)
    assert second.ready == [] and second.waiting == ["vide.pdf"]


def test_a_locked_file_waits_then_says_why_in_french(tmp_path: Path) -> None:
    locked = tmp_path / "verrouille.pdf"
    locked.write_bytes(pdf_bytes())
    locked.chmod(0)
    read = refuse_locked(locked)
    try:
        state = scan(tmp_path, ScanState(), read).state
        results = []
        for _ in range(UNREADABLE_AFTER):
            result = scan(tmp_path, state, read)
            results.append(result)
            state = result.state
        assert all(not r.ready for r in results)
        assert [r.unreadable for r in results[:-1]] == [[]] * (UNREADABLE_AFTER - 1)
        (bad,) = results[-1].unreadable
        assert bad.path == locked
        assert "« verrouille.pdf » ne peut pas être ouvert" in bad.reason
        assert "copieur" in bad.reason
    finally:
        locked.chmod(0o644)
    again = scan(tmp_path, state, read_ends)  # released: listed at once, nothing lost
    assert [f.name for f in again.ready] == ["verrouille.pdf"] and not again.unreadable


def test_kinds_and_problems_are_told_before_attaching(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(image_bytes("jpg"))
    (tmp_path / "b.tif").write_bytes(image_bytes("tiff"))
    (tmp_path / "c.txt").write_bytes(b"bonjour")
    (tmp_path / "d.pdf").write_bytes(b"%PDF-" + b"0" * (5 * 1024 * 1024) + b"\n%%EOF\n")
    state = scan(tmp_path, ScanState()).state
    ready = {f.name: f for f in scan(tmp_path, state).ready}
    assert ready["a.jpg"].kind == "image" and ready["a.jpg"].problem is None
    assert ready["b.tif"].kind == "tiff" and ready["b.tif"].problem is None
    assert ready["c.txt"].kind is None and "ni un PDF ni une image" in str(ready["c.txt"].problem)
    assert "plus de 5 Mo" in str(ready["d.pdf"].problem)


def test_a_missing_folder_is_said_not_raised(tmp_path: Path) -> None:
    result = scan(tmp_path / "partage-copieur", ScanState())
    assert result.problem is not None and "introuvable" in result.problem


def test_classifying_moves_never_deletes_and_keeps_both_names(tmp_path: Path) -> None:
    for _ in range(2):
        (tmp_path / "SCAN.pdf").write_bytes(pdf_bytes())
        classify(tmp_path / "SCAN.pdf")
    assert sorted(p.name for p in (tmp_path / CLASSIFIED).iterdir()) == ["SCAN (2).pdf",
                                                                         "SCAN.pdf"]
    assert not (tmp_path / "SCAN.pdf").exists()
    first = scan(tmp_path, ScanState())
    assert scan(tmp_path, first.state).ready == []  # classified files never come back
    with pytest.raises(StoreError, match="reste dans la liste « À classer »"):
        classify(tmp_path / "parti.pdf")


def test_the_scan_folder_is_a_setting_of_this_pc(empty_db: sqlite3.Connection,
                                                 tmp_path: Path) -> None:
    assert scan_folder_setting(empty_db) is None
    with pytest.raises(StoreError, match="n'existe pas"):
        set_scan_folder(empty_db, tmp_path / "nulle-part")
    set_scan_folder(empty_db, tmp_path)
    set_scan_folder(empty_db, tmp_path)  # chosen again: replaced, not duplicated
    assert scan_folder_setting(empty_db) == tmp_path
    set_scan_folder(empty_db, None)
    assert scan_folder_setting(empty_db) is None


# --- dropped files -----------------------------------------------------------------------------
def test_dropped_files_are_sorted_with_french_reasons(tmp_path: Path) -> None:
    good = tmp_path / "courrier.pdf"
    good.write_bytes(pdf_bytes())
    fake = tmp_path / "facture.pdf"
    fake.write_bytes(b"MZ\x90\x00 not a pdf")
    big = tmp_path / "gros.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * (5 * 1024 * 1024))
    mail = tmp_path / "message.eml"
    mail.write_bytes(b"From: a@b.fr\r\n\r\nbonjour")
    folder = tmp_path / "dossier"
    folder.mkdir()
    incoming = sort_incoming([good, fake, big, mail, folder, tmp_path / "disparu.pdf"])
    assert [f.name for f in incoming.accepted] == ["courrier.pdf"]
    assert incoming.accepted[0].data == good.read_bytes()
    assert incoming.mails == [mail]
    reasons = incoming.refusals_text()
    assert "« facture.pdf » n'est pas un PDF, un JPG ou un PNG" in reasons
    assert "« gros.png » dépasse la taille maximale de 5 Mo" in reasons
    assert "« dossier » est un dossier" in reasons
    assert "« disparu.pdf » n'existe plus" in reasons


def test_too_many_files_in_one_drop_are_all_refused(tmp_path: Path) -> None:
    paths = []
    for n in range(MAX_FILES_PER_DROP + 1):
        paths.append(tmp_path / f"p{n}.png")
        paths[-1].write_bytes(image_bytes(shade=n))
    incoming = sort_incoming(paths)
    assert not incoming.accepted
    assert f"{MAX_FILES_PER_DROP} au plus" in incoming.refusals_text()


def test_attach_files_skips_twins_and_keeps_the_checked_bytes(demo_db: sqlite3.Connection,
                                                              tmp_path: Path) -> None:
    pk = int(demo_db.execute("SELECT pk FROM request ORDER BY pk LIMIT 1").fetchone()[0])
    before = len(request_attachments(demo_db, pk))
    scan_pdf = ReadyFile("scan.pdf", pdf_bytes(2))
    report = attach_files(demo_db, pk, [scan_pdf, ReadyFile("copie.pdf", scan_pdf.data),
                                        ReadyFile("faux.pdf", b"%PDX")], agent_id=None)
    assert report.joined == ["scan.pdf"] and report.twins == ["copie.pdf"]
    assert [r.name for r in report.refused] == ["faux.pdf"]
    assert len(request_attachments(demo_db, pk)) == before + 1
    assert "1 fichier joint : « scan.pdf »" in report.summary()


# --- images joined into one PDF ----------------------------------------------------------------
def test_images_are_joined_in_order_one_page_each() -> None:
    images = [("1.jpg", image_bytes("jpg", 100, 140, 30)),
              ("2.png", image_bytes("png", 140, 100, 120)),
              ("3.tif", tiff_bytes([(50, 60, bytes([10, 20, 30]) * 3000),
                                    (70, 40, bytes([200, 0, 0]) * 2800)]))]
    data = join_images(images, "lettre.pdf")
    document = pymupdf.open(stream=data, filetype="pdf")
    try:
        assert document.page_count == 4  # the TIFF brought its two pages
        sizes = [(round(p.rect.width), round(p.rect.height)) for p in document]
        assert sizes[0][0] < sizes[0][1] and sizes[1][0] > sizes[1][1]  # portrait, landscape
        shades = [document[i].get_pixmap(matrix=pymupdf.Matrix(0.2, 0.2)).pixel(2, 2)
                  for i in range(4)]
        assert shades[0][0] < 60 and 100 < shades[1][0] < 140 and shades[3][0] > 180
    finally:
        document.close()


def test_joining_refuses_what_is_not_an_image() -> None:
    with pytest.raises(JoinError, match="« a.pdf » est déjà un PDF"):
        join_images([("a.pdf", pdf_bytes())])
    with pytest.raises(JoinError, match="« b.png » n'est pas une image lisible"):
        join_images([("b.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)])
    with pytest.raises(JoinError, match="au moins une image"):
        join_images([])


# --- the preview's documents -------------------------------------------------------------------
def test_preview_renders_pages_at_the_asked_zoom_and_rotation() -> None:
    document = PreviewDocument(pdf_bytes(3, (400.0, 600.0)), "trois.pdf")
    try:
        assert document.page_count == 3
        page = document.render(2, 1.5)
        assert (page.width, page.height) == (600, 900) and page.number == 2
        turned = document.render(0, 1.0, 90)
        assert (turned.width, turned.height) == (600, 400) and turned.rotation == 90
    finally:
        document.close()


def test_preview_opens_images_too_by_their_content() -> None:
    for data, name in ((image_bytes("jpg", 300, 200), "photo.jpg"),
                       (image_bytes("png", 300, 200), "scan.jpg"),  # a PNG named .jpg
                       (image_bytes("tiff", 300, 200), "copieur.tif")):
        document = PreviewDocument(data, name)
        try:
            assert document.page_count == 1 and document.render(0, 1.0).width > 0
        finally:
            document.close()


def test_a_huge_page_is_rendered_smaller_not_exhausting_memory() -> None:
    document = PreviewDocument(pdf_bytes(1, (14_000.0, 14_000.0)), "plan.pdf")
    try:
        page = document.render(0, 2.0)
        assert page.width * page.height <= MAX_PIXELS * 1.01 and page.zoom < 1.0
    finally:
        document.close()


@pytest.mark.parametrize(("data", "says"), [
    (b"%PDF-1.7\n" + bytes(range(256)) * 8, "endommagé"),
    (b"", "endommagé"),
])
def test_broken_documents_are_refused_in_french(data: bytes, says: str) -> None:
    with pytest.raises(PreviewError, match=says) as caught:
        PreviewDocument(data, "abime.pdf").render(0, 1.0)
    assert "« abime.pdf »" in str(caught.value)


def test_a_password_protected_pdf_is_refused_in_french() -> None:
    source = pymupdf.open(stream=pdf_bytes(), filetype="pdf")
    data = source.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret",
                          owner_pw="secret")
    source.close()
    with pytest.raises(PreviewError, match="protégé par un mot de passe"):
        PreviewDocument(data, "secret.pdf")
