"""The commune's logo (issue 13): chosen in « Administration › Commune », checked by its
content, kept in the file cache, printed in the letterhead of every letter through docxtpl's
``InlineImage`` — and nothing at all (no empty frame) for a commune without one."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date
from pathlib import Path

import docx
import pymupdf
import pytest

from desktop.documents import LetterKind, convert_to_pdf, render_letter
from desktop.documents.render import default_template_dir, render_bytes
from desktop.documents.samples import sample_context
from desktop.services.letters import LetterService, RequestAction
from desktop.store.commune_admin import read_settings, save_settings
from desktop.store.database import StoreError
from desktop.store.legal import legal_facts
from desktop.store.logo import keep_logo
from desktop.store.sync_store import blob_dir
from sync.protocol.files import MAX_LOGO_BYTES
from tests.logo_images import logo_image

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TEMPLATES = default_template_dir()
TODAY = date(2026, 12, 1)


def _images(path: Path) -> list[bytes]:
    """The bytes of every inline picture of the .docx (tables included)."""
    document = docx.Document(str(path))
    blobs = []
    for shape in document.inline_shapes:
        r_id = shape._inline.graphic.graphicData.pic.blipFill.blip.embed  # noqa: SLF001
        blobs.append(document.part.related_parts[r_id].blob)
    return blobs


@pytest.mark.parametrize("template", sorted(TEMPLATES.glob("*.docx")), ids=lambda p: p.stem)
def test_every_template_prints_the_logo_when_the_commune_has_one(
    tmp_path: Path, template: Path
) -> None:
    logo = logo_image()
    context = sample_context(missing_documents=True)
    with_logo = replace(context, service=replace(context.service, logo=logo))
    (tmp_path / "avec.docx").write_bytes(render_bytes(template, with_logo))
    assert _images(tmp_path / "avec.docx") == [logo]
    # Without a logo: no picture, and no paragraph left where it would have been.
    without = tmp_path / "sans.docx"
    without.write_bytes(render_bytes(template, context))
    assert _images(without) == []
    first_cell = docx.Document(str(without)).tables[0].rows[0].cells[0]
    assert first_cell.paragraphs[0].text == context.service.authority_name


def test_a_very_wide_logo_stays_inside_the_letterhead(tmp_path: Path) -> None:
    context = sample_context()
    wide = replace(context, service=replace(context.service,
                                            logo=logo_image("jpg", width=1600, height=100)))
    path = render_letter(LetterKind.ACKNOWLEDGEMENT, wide, tmp_path)
    [shape] = docx.Document(str(path)).inline_shapes
    assert shape.width <= docx.shared.Mm(80) + 1
    assert shape.height < docx.shared.Mm(20)


def test_the_logo_set_in_the_settings_is_on_the_next_letter_first_page(
    demo_db: sqlite3.Connection, tmp_path: Path
) -> None:
    commune, admin = _admin(demo_db)
    logo = logo_image()
    sha256 = keep_logo(demo_db, logo, "logo-testville.png")
    save_settings(demo_db, commune, replace(read_settings(demo_db, commune), logo_sha256=sha256),
                  agent_id=admin)
    assert read_settings(demo_db, commune).logo_sha256 == sha256
    pk = int(demo_db.execute(
        "SELECT pk FROM request WHERE authority_pk = ? AND status = 'received' "
        "AND acknowledged_at IS NULL ORDER BY pk LIMIT 1", (commune,)).fetchone()[0])
    assert legal_facts(demo_db, pk).authority.logo == logo
    job = LetterService(demo_db, documents_root=tmp_path / "courriers").prepare(
        RequestAction.ACKNOWLEDGEMENT, pk, TODAY)
    letter = render_letter(job.kind, job.context, tmp_path / "lettre")
    assert _images(letter) == [logo]
    pdf = convert_to_pdf(letter, tmp_path / "pdf")
    with pymupdf.open(pdf) as document:
        page = document[0]
        assert len(page.get_images()) == 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.get_pixmap(dpi=80).save(str(ARTIFACTS / "letter-with-logo.png"))
    # « Retirer »: the next letter has none.
    save_settings(demo_db, commune, replace(read_settings(demo_db, commune), logo_sha256=""),
                  agent_id=admin)
    assert legal_facts(demo_db, pk).authority.logo is None
    job = LetterService(demo_db, documents_root=tmp_path / "courriers2").prepare(
        RequestAction.ACKNOWLEDGEMENT, pk, TODAY)
    assert _images(render_letter(job.kind, job.context, tmp_path / "sans")) == []


@pytest.mark.parametrize(("name", "data", "words"), [
    ("logo.png", b"%PDF-1.7\n" + b"x" * 200, "n'est pas une image PNG ou JPEG"),
    ("logo.png", b"MZ\x90\x00" + b"x" * 200, "son contenu a été vérifié"),
    ("logo.jpg", logo_image(), "ne correspond pas à son extension"),
    ("logo.png", b"", "est vide"),
    ("grand.png", b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_LOGO_BYTES, "taille maximale de 1 Mo"),
])
def test_a_disguised_or_oversized_logo_is_refused_in_french_and_nothing_is_kept(
    demo_db: sqlite3.Connection, name: str, data: bytes, words: str
) -> None:
    commune, _admin_id = _admin(demo_db)
    before = read_settings(demo_db, commune)
    cache = blob_dir(demo_db)
    files = sorted(cache.rglob("*")) if cache.exists() else []
    with pytest.raises(StoreError, match=words):
        keep_logo(demo_db, data, name)
    assert read_settings(demo_db, commune) == before
    assert (sorted(cache.rglob("*")) if cache.exists() else []) == files  # nothing kept


def _admin(conn: sqlite3.Connection) -> tuple[int, str]:
    """The first commune and an agent made its admin."""
    commune = int(conn.execute("SELECT pk FROM authority ORDER BY name LIMIT 1").fetchone()[0])
    agent = str(conn.execute("SELECT id FROM agent WHERE deleted = 0 ORDER BY pk LIMIT 1")
                .fetchone()[0])
    conn.execute("INSERT OR REPLACE INTO agent_role (agent_pk, authority_pk, role) "
                 "SELECT pk, ?, 'admin' FROM agent WHERE id = ?", (commune, agent))
    conn.execute("INSERT OR IGNORE INTO agent_authority (agent_pk, authority_pk) "
                 "SELECT pk, ? FROM agent WHERE id = ?", (commune, agent))
    conn.commit()
    return commune, agent
