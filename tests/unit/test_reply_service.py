"""The reply's documents without Qt: templates of the commune, checks, assembly with PyMuPDF."""

from __future__ import annotations

from pathlib import Path

import docx
import pymupdf
import pytest

from desktop.documents import DocumentError, TemplateError
from desktop.documents.checks import check_template
from desktop.documents.library import list_templates
from desktop.services.replies import ReplyTemplate, assemble_file, thumbnails


def reply_templates(folder: Path) -> list[ReplyTemplate]:
    """What « Rédiger une réponse… » lists for a commune whose templates are in ``folder``."""
    return [ReplyTemplate.of(info) for info in list_templates(folder, include_legal=False)]


def make_pdf(path: Path, pages: int, text: str) -> Path:
    document = pymupdf.open()
    for number in range(pages):
        document.new_page().insert_text((72, 100), f"{text} {number + 1}", fontsize=20)
    document.save(path)
    return path


def make_png(path: Path) -> Path:
    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 60, 40), False)
    pixmap.clear_with(200)
    pixmap.save(path)
    return path


def test_the_communes_template_replaces_a_shipped_one_of_the_same_name(tmp_path: Path) -> None:
    commune = tmp_path / "Mairie de Bitche"
    commune.mkdir()
    docx.Document().save(commune / "accord.docx")
    docx.Document().save(commune / "Convocation.docx")
    (commune / "~$accord.docx").write_bytes(b"Word's lock file")
    templates = reply_templates(commune)
    names = [t.name for t in templates]
    assert "~$accord" not in names
    assert {t.name: t.own for t in templates}["accord"] is True
    # The legal letters have their own actions: they are not offered as replies.
    assert "accuse_reception" not in names
    (commune / "ancien.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    [old] = [t for t in reply_templates(commune) if t.name == "ancien"]
    assert not old.usable and "97-2003" in old.problems[0]


@pytest.mark.parametrize(("name", "content", "words"), [
    ("macro.docm", b"PK\x03\x04", "macros"),
    ("ancien.doc", b"\xd0\xcf\x11\xe0", "97-2003"),
    ("abime.docx", b"not a zip", "pas un document Word"),
])
def test_templates_word_cannot_use_are_named_in_french(
    tmp_path: Path, name: str, content: bytes, words: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(TemplateError) as refused:
        check_template(path)
    assert name in str(refused.value) and words in str(refused.value)


def test_assembly_follows_the_order_of_the_thumbnails(tmp_path: Path) -> None:
    reply = make_pdf(tmp_path / "reponse.pdf", 2, "Réponse")
    annex = make_pdf(tmp_path / "annexe.pdf", 40, "Annexe")  # a 40-page annex
    photo = make_png(tmp_path / "photo.png")
    blob = tmp_path / "0a1b2c"  # the cache keeps files without extension
    blob.write_bytes(photo.read_bytes())
    sources = [reply, annex, blob]
    pages = thumbnails(sources)
    assert len(pages) == 43 and pages[0].label.startswith("reponse p. 1")
    order = [(0, 1), (2, 0), (1, 39), (0, 0)]
    result = pymupdf.open(assemble_file(sources, order, tmp_path / "sortie" / "complet.pdf"))
    texts = [page.get_text().strip() for page in result]
    assert texts == ["Réponse 2", "", "Annexe 40", "Réponse 1"]
    assert result[1].get_images()  # the photo became a page


def test_an_annex_that_is_neither_pdf_nor_image_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("pas un PDF")
    with pytest.raises(DocumentError, match="ni un PDF ni une image"):
        thumbnails([text])
    with pytest.raises(DocumentError, match="Aucune page"):
        assemble_file([text], [], tmp_path / "x.pdf")
