"""Replies (issue 10), Qt-free side: library, template checks, legal mentions, assembly, CLI.

Real .docx templates (built by python-docx or edited copies of the shipped ones), real
docxtpl rendering, real PyMuPDF, the command run in a subprocess. The LibreOffice side is in
``tests/integration/test_replies_pdf.py``.
"""

from __future__ import annotations

import importlib.util
import io
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pymupdf
import pytest
from docx.oxml.ns import qn

from desktop.documents import (
    AssemblyError,
    CorruptTemplate,
    LetterKind,
    MissingMention,
    OutputError,
    PdfConversionUnavailable,
    RequestNotFound,
    TemplateLocked,
    TemplateSyntaxProblem,
    UnknownField,
    UnsupportedTemplateFormat,
    render_letter,
)
from desktop.documents import pdf as pdf_module
from desktop.documents.assemble import assemble, natural_order, page_count, page_thumbnails
from desktop.documents.checks import check_template, inspect_template, open_elsewhere
from desktop.documents.fields import FIELD_HELP, known_fields
from desktop.documents.library import (
    SHIPPED_REPLIES,
    TemplateKind,
    TemplateSource,
    commune_library,
    list_templates,
)
from desktop.documents.mentions import check_legal_template, document_text
from desktop.documents.pdf import select_converter
from desktop.documents.replies import find_request, render_reply, request_context
from desktop.documents.samples import sample_context
from desktop.store.authorities import set_templates_folder, templates_folder
from sync.protocol.vocabulary import SilenceRule
from tests.conftest import TODAY
from tests.factories import add_world

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "resources" / "templates"


def one_paragraph_template(path: Path, *paragraphs: str) -> Path:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))
    return path


def without_paragraphs(source: Path, target: Path, *needles: str) -> Path:
    """A copy of a shipped template with every body paragraph containing a needle removed:
    what a secrétaire does when she « simplifies » the letter in Word."""
    document = docx.Document(str(source))
    removed = 0
    parts = [document.element.body, *(s.footer._element for s in document.sections)]
    for part in parts:  # the body, its tables (the letterhead) and the footer
        for paragraph in list(part.iter(qn("w:p"))):
            text = "".join(t.text or "" for t in paragraph.iter(qn("w:t")))
            if any(needle in text for needle in needles):
                paragraph.getparent().remove(paragraph)
                removed += 1
    assert removed, "the needles must match something"
    document.save(str(target))
    return target


# --------------------------------------------------------------------------- shipped replies


@pytest.mark.parametrize("name", list(SHIPPED_REPLIES))
def test_shipped_reply_templates_are_clean_and_render(tmp_path: Path, name: str) -> None:
    template = TEMPLATES / f"{name}.docx"
    report = check_template(template)
    assert report.unknown == () and "numero" in report.fields
    out = render_reply(template, sample_context(), tmp_path / "brouillon.docx")
    text = document_text(out)
    assert "{{" not in text and "{%" not in text
    assert "Association Les Amis du Kemberg" in text and "2026-000123" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["brouillon.docx"]  # no temp left


def test_no_final_letter_with_a_provisional_number(tmp_path: Path) -> None:
    from desktop.documents import IncompleteContext
    from desktop.documents.replies import PROVISIONAL_PREFIX
    from desktop.store.intake import PROVISIONAL_PREFIX as STORE_PREFIX

    assert PROVISIONAL_PREFIX == STORE_PREFIX
    context = sample_context(number="P-2026-0004")
    draft = render_reply(TEMPLATES / "reponse_accord.docx", context, tmp_path / "brouillon.docx")
    assert "P-2026-0004" in document_text(draft)  # a draft may be written offline
    with pytest.raises(IncompleteContext, match="numéro provisoire"):
        render_reply(TEMPLATES / "reponse_accord.docx", context, tmp_path / "x.docx", final=True)
    assert not (tmp_path / "x.docx").exists()


def test_reasoned_refusal_states_the_appeal_routes(tmp_path: Path) -> None:
    out = render_reply(
        TEMPLATES / "reponse_refus_motive.docx", sample_context(), tmp_path / "refus.docx"
    )
    text = " ".join(document_text(out).split())
    assert "recours gracieux" in text
    assert "recours contentieux devant le tribunal administratif de Nancy" in text
    assert "dans un délai de deux mois" in text
    assert "Télérecours citoyens" in text and "www.telerecours.fr" in text
    assert "L211-2 et L211-5" in text


def load_build_script():  # noqa: ANN201
    spec = importlib.util.spec_from_file_location(
        "build_templates", TEMPLATES / "build_templates.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_reply_templates_are_what_the_script_builds(tmp_path: Path) -> None:
    load_build_script().build_all(tmp_path)
    for name in SHIPPED_REPLIES:
        fresh = docx.Document(str(tmp_path / f"{name}.docx"))
        committed = docx.Document(str(TEMPLATES / f"{name}.docx"))
        assert committed.element.xml == fresh.element.xml, f"rebuild {name}.docx and commit"


# --------------------------------------------------------------------------- template checks


def test_unknown_field_names_the_template_and_suggests_the_closest(tmp_path: Path) -> None:
    template = one_paragraph_template(
        tmp_path / "mon_modele.docx",
        "Reçue le {{ date_recpetion }}",
        "Tél. {{ service.telephon }} {{ numero }}",
    )
    with pytest.raises(UnknownField) as caught:
        check_template(template)
    error = caught.value
    assert error.fields == ("date_recpetion", "service.telephon")
    assert error.suggestions == {
        "date_recpetion": "date_reception",
        "service.telephon": "service.telephone",
    }
    message = str(error)
    assert message.startswith("Le modèle « mon_modele.docx »")
    assert "« date_recpetion » (vouliez-vous dire « date_reception » ?)" in message
    # Nothing is produced from it.
    with pytest.raises(UnknownField):
        render_reply(template, sample_context(), tmp_path / "sortie.docx")
    assert not (tmp_path / "sortie.docx").exists()


def test_loop_variables_are_not_unknown_fields(tmp_path: Path) -> None:
    template = one_paragraph_template(
        tmp_path / "liste.docx",
        "{%p for piece in pieces_manquantes %}",
        "{{ loop.index }}. {{ piece }}",
        "{%p endfor %}",
    )
    assert check_template(template).fields == ("pieces_manquantes",)


@pytest.mark.parametrize(
    ("paragraphs", "expected"),
    [
        (("{%p if sva %}", "Accord"), "il manque « {%p endif %} »"),
        (("{%p for l in usager.adresse %}", "{{ l }}"), "il manque « {%p endfor %} »"),
        (("Réf. {{ numero ",), "mal écrit"),
    ],
)
def test_broken_conditions_are_named(tmp_path: Path, paragraphs: tuple, expected: str) -> None:
    template = one_paragraph_template(tmp_path / "casse.docx", *paragraphs)
    with pytest.raises(TemplateSyntaxProblem) as caught:
        check_template(template)
    assert str(caught.value).startswith("Le modèle « casse.docx »")
    assert expected in str(caught.value)


def test_doc_docm_and_disguised_files_are_refused(tmp_path: Path) -> None:
    old = tmp_path / "ancien.doc"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)  # OLE2, Word 97
    with pytest.raises(UnsupportedTemplateFormat, match="Word 97-2003"):
        check_template(old)
    macros = tmp_path / "macros.docm"
    shutil.copy(TEMPLATES / "courrier_libre.docx", macros)
    with pytest.raises(UnsupportedTemplateFormat, match="macros"):
        check_template(macros)
    # A .docm renamed .docx: the content type says macros.
    disguised = tmp_path / "deguise.docx"
    with (
        zipfile.ZipFile(TEMPLATES / "courrier_libre.docx") as source,
        zipfile.ZipFile(disguised, "w") as target,
    ):
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"document.main+xml", b"document.macroEnabled.main+xml")
            target.writestr(item, data)
    with pytest.raises(UnsupportedTemplateFormat, match="macros"):
        check_template(disguised)


def test_corrupt_files_are_refused(tmp_path: Path) -> None:
    text = tmp_path / "texte.docx"
    text.write_text("ceci n'est pas un document Word", encoding="utf-8")
    with pytest.raises(CorruptTemplate, match="« texte.docx »"):
        check_template(text)
    truncated = tmp_path / "tronque.docx"
    truncated.write_bytes((TEMPLATES / "courrier_libre.docx").read_bytes()[:5000])
    with pytest.raises(CorruptTemplate, match="« tronque.docx »"):
        check_template(truncated)


def test_a_template_open_in_word_cannot_be_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Word on Windows holds an open document with a sharing lock: reading it fails with a
    PermissionError. That lock cannot exist on Linux (and root reads anything), so the read is
    made to fail the way Windows fails it."""
    template = shutil.copy(TEMPLATES / "courrier_libre.docx", tmp_path / "ouvert.docx")
    real = Path.read_bytes

    def sharing_violation(self: Path) -> bytes:
        if self.name == "ouvert.docx":
            raise PermissionError(13, "The process cannot access the file")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", sharing_violation)
    with pytest.raises(TemplateLocked, match="ouvert dans Word"):
        check_template(Path(template))


def test_a_draft_open_in_word_or_libreoffice_is_not_overwritten(tmp_path: Path) -> None:
    draft = render_reply(TEMPLATES / "courrier_libre.docx", sample_context(), tmp_path / "r.docx")
    before = draft.read_bytes()
    assert open_elsewhere(draft) is None
    owner = tmp_path / "~$r.docx"  # what Word leaves beside a document it has open
    owner.write_bytes(b"Jeanne Martin")
    with pytest.raises(OutputError, match="ouvert dans Word"):
        render_reply(TEMPLATES / "reponse_accord.docx", sample_context(), draft)
    owner.unlink()
    (tmp_path / ".~lock.r.docx#").write_text("Jeanne,poste1", encoding="utf-8")
    with pytest.raises(OutputError, match="ouvert dans LibreOffice"):
        render_reply(TEMPLATES / "reponse_accord.docx", sample_context(), draft)
    assert draft.read_bytes() == before


def test_fields_used_by_the_shipped_acknowledgement() -> None:
    report = inspect_template(TEMPLATES / "accuse_reception.docx")
    assert {"date_reception", "service.tribunal", "pieces_manquantes"} <= set(report.fields)
    assert "ligne" not in report.fields and "piece" not in report.fields
    assert report.unknown == ()


# --------------------------------------------------------------------------- legal mentions


def commune_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "Modèles de la mairie"
    folder.mkdir()
    return folder


def test_commune_acknowledgement_without_appeal_routes_is_refused(tmp_path: Path) -> None:
    folder = commune_folder(tmp_path)
    own = without_paragraphs(
        TEMPLATES / "accuse_reception.docx",
        folder / "accuse_reception.docx",
        "Voies et délais de recours",
        "recours gracieux",
        "recours contentieux",
        "motifs de la décision implicite de rejet",
    )
    with pytest.raises(MissingMention) as caught:
        check_legal_template(own, "accuse_reception")
    error = caught.value
    assert error.rule == "reject"
    assert any("voies de recours" in m for m in error.mentions)
    assert "le recours contentieux devant le tribunal administratif" in error.mentions
    assert "« accuse_reception.docx »" in str(error) and "silence vaut rejet" in str(error)

    # The library shows the shipped one, with the refusal.
    entry = next(t for t in list_templates(folder) if t.name == "accuse_reception")
    assert entry.source is TemplateSource.SHIPPED and entry.path.parent == TEMPLATES
    assert entry.notice and "voies de recours" in entry.notice

    # A letter is still produced, from the shipped template, and the refusal is reported.
    notices: list[str] = []
    letter = render_letter(
        LetterKind.ACKNOWLEDGEMENT,
        sample_context(SilenceRule.REJECT),
        tmp_path / "out",
        folder,
        notices=notices,
    )
    assert "Télérecours citoyens" in document_text(letter)
    assert len(notices) == 1 and "voies de recours" in notices[0]


def test_commune_acknowledgement_keeping_every_mention_replaces_the_shipped_one(
    tmp_path: Path,
) -> None:
    folder = commune_folder(tmp_path)
    own = docx.Document(str(TEMPLATES / "accuse_reception.docx"))
    own.add_paragraph("Notre mairie est ouverte le samedi matin.")
    own.save(str(folder / "accuse_reception.docx"))
    entry = next(t for t in list_templates(folder) if t.name == "accuse_reception")
    assert entry.source is TemplateSource.COMMUNE and entry.notice is None
    letter = render_letter(LetterKind.ACKNOWLEDGEMENT, sample_context(), tmp_path / "o", folder)
    assert "ouverte le samedi matin" in document_text(letter)


@pytest.mark.parametrize(
    ("needles", "mention", "rule"),
    [
        (("téléphone :", "Tél."), "le numéro de téléphone du service", "accept"),
        (("L232-3",), "attestation", "accept"),
        (("au plus tard le",), "la date limite d'envoi des pièces manquantes", "accept"),
    ],
)
def test_each_dropped_mention_is_named(
    tmp_path: Path, needles: tuple[str, ...], mention: str, rule: str
) -> None:
    own = without_paragraphs(
        TEMPLATES / "accuse_reception.docx", tmp_path / "accuse_reception.docx", *needles
    )
    with pytest.raises(MissingMention) as caught:
        check_legal_template(own, "accuse_reception")
    assert any(mention in m for m in caught.value.mentions)
    assert caught.value.rule == rule


def test_missing_documents_letter_without_its_list_is_refused(tmp_path: Path) -> None:
    document = docx.Document(str(TEMPLATES / "demande_pieces_manquantes.docx"))
    for paragraph in document.paragraphs:  # the loop printing the list, emptied
        if "{{ piece }}" in paragraph.text:
            for run in paragraph.runs:
                run.text = run.text.replace("{{ piece }}", "voir ci-dessus")
    own = tmp_path / "demande_pieces_manquantes.docx"
    document.save(str(own))
    with pytest.raises(MissingMention) as caught:
        check_legal_template(own, "demande_pieces_manquantes")
    assert "la liste des pièces manquantes" in caught.value.mentions


def test_every_produced_acknowledgement_is_checked(tmp_path: Path) -> None:
    """A draft named like an acknowledgement is checked against its own request before it is
    written: without the mentions, nothing is written."""
    template = one_paragraph_template(tmp_path / "accuse_reception.docx", "Reçu : {{ numero }}")
    with pytest.raises(MissingMention) as caught:
        render_reply(template, sample_context(), tmp_path / "accuse.docx")
    assert "la date de réception de la demande" in caught.value.mentions
    assert not (tmp_path / "accuse.docx").exists()


# --------------------------------------------------------------------------- the library


def test_library_lists_shipped_then_the_communes_own(tmp_path: Path) -> None:
    folder = commune_folder(tmp_path)
    own = docx.Document(str(TEMPLATES / "reponse_accord.docx"))
    own.add_paragraph("Version de la commune")
    own.save(str(folder / "reponse_accord.docx"))
    extra = docx.Document()
    extra.core_properties.title = "Arrêté de voirie"
    extra.add_paragraph("Arrêté pour {{ usager.nom }}")
    extra.save(str(folder / "arrete_voirie.docx"))
    one_paragraph_template(folder / "faute.docx", "{{ usager.nmo }}")
    (folder / "vieux.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    (folder / "~$rete_voirie.docx").write_bytes(b"owner")  # Word's lock file: not a template
    (folder / "notes.txt").write_text("rien", encoding="utf-8")

    library = {t.name: t for t in list_templates(folder)}
    replies = [t.name for t in list_templates(folder, include_legal=False)]
    assert replies[: len(SHIPPED_REPLIES)] == list(SHIPPED_REPLIES)
    assert set(replies[len(SHIPPED_REPLIES) :]) == {"arrete_voirie", "faute", "vieux"}
    accord = library["reponse_accord"]
    assert accord.source is TemplateSource.COMMUNE and accord.path == folder / "reponse_accord.docx"
    assert accord.title == "Réponse favorable (accord)" and accord.usable
    assert library["reponse_refus_motive"].source is TemplateSource.SHIPPED
    assert library["arrete_voirie"].title == "Arrêté de voirie"
    assert library["arrete_voirie"].kind is TemplateKind.REPLY and library["arrete_voirie"].usable
    assert "usager.nom" in library["faute"].problems[0]  # the suggestion
    assert "Word 97-2003" in library["vieux"].problems[0]
    assert library["accuse_reception"].kind is TemplateKind.LEGAL
    assert all(t.usable for t in list_templates(None))


def test_templates_folder_is_a_local_setting_of_the_commune(
    empty_db: sqlite3.Connection, tmp_path: Path
) -> None:
    world = add_world(empty_db)
    assert templates_folder(empty_db, world["authority"]) is None
    set_templates_folder(empty_db, world["authority"], Path("/srv/partage/modèles"))
    assert templates_folder(empty_db, world["authority"]) == Path("/srv/partage/modèles")
    folder = commune_folder(tmp_path)
    one_paragraph_template(folder / "arrete.docx", "Arrêté n° {{ numero }}")
    set_templates_folder(empty_db, world["authority"], folder)
    library = commune_library(empty_db, world["authority"])
    assert [t.name for t in library][-1] == "arrete"
    assert {t.kind for t in library} == {TemplateKind.REPLY}
    set_templates_folder(empty_db, world["authority"], None)
    assert templates_folder(empty_db, world["authority"]) is None


def test_templates_folder_survives_the_authority_pulled_again(
    empty_db: sqlite3.Connection,
) -> None:
    """The folder is a path of this PC: a newer version of the authority from the server
    (its own columns only) leaves it alone."""
    import uuid

    from desktop.store.sync_store import SqliteSyncStore
    from sync.protocol.wire import AuthorityRow, PullResponse

    store = SqliteSyncStore(empty_db)
    authority_id = uuid.uuid4()

    def pulled(version: int, name: str) -> PullResponse:
        row = AuthorityRow(
            id=authority_id, version=version, name=name, kind="commune", department_code="88"
        )
        return PullResponse(epoch="e1", cursor=version, has_more=False, authorities=[row])

    store.apply_page(pulled(1, "Mairie de Test"))
    pk = empty_db.execute("SELECT pk FROM authority WHERE id = ?", (str(authority_id),)).fetchone()[
        0
    ]
    set_templates_folder(empty_db, pk, Path("/srv/modèles"))
    store.apply_page(pulled(2, "Mairie de Test-sur-Meurthe"))
    assert empty_db.execute("SELECT name FROM authority WHERE pk = ?", (pk,)).fetchone()[0] == (
        "Mairie de Test-sur-Meurthe"
    )
    assert templates_folder(empty_db, pk) == Path("/srv/modèles")


# --------------------------------------------------------------------------- field list


def test_field_help_is_the_list_of_known_fields_and_the_readme_table() -> None:
    names = [f.name for f in FIELD_HELP]
    assert len(names) == len(set(names))
    assert set(names) == known_fields()
    readme = (TEMPLATES / "README.md").read_text(encoding="utf-8")
    for item in FIELD_HELP:
        assert f"`{{{{ {item.name} }}}}`" in readme or f"`{item.name}`" in readme, item.name


# --------------------------------------------------------------------------- request lookup


def test_request_found_by_bare_or_prefixed_number(demo_db: sqlite3.Connection) -> None:
    number, authorities = demo_db.execute(
        "SELECT number, count(*) FROM request WHERE deleted = 0 GROUP BY number "
        "ORDER BY count(*) DESC, number LIMIT 1"
    ).fetchone()
    pk, insee = demo_db.execute(
        "SELECT r.pk, a.insee_code FROM request r JOIN authority a ON a.pk = r.authority_pk "
        "WHERE r.number = ? ORDER BY r.pk LIMIT 1",
        (number,),
    ).fetchone()
    if authorities > 1:
        with pytest.raises(RequestNotFound, match="plusieurs collectivités"):
            find_request(demo_db, number)
    else:
        assert find_request(demo_db, number) == pk
    assert find_request(demo_db, f"{insee}-{number}") == pk
    with pytest.raises(RequestNotFound, match="Aucune demande numérotée « 1999-999999 »"):
        find_request(demo_db, "1999-999999")
    context = request_context(demo_db, pk, TODAY)
    assert context.number == f"{insee}-{number}"  # the reference letters print


# --------------------------------------------------------------------------- assembly


def pdf_with_pages(texts: list[str]) -> bytes:
    document = pymupdf.open()
    for text in texts:
        page = document.new_page()
        page.insert_text((72, 72), text)
    data = document.tobytes()
    document.close()
    return data


def image(kind: str) -> bytes:
    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 300, 200), False)
    pixmap.clear_with(180)
    return pixmap.tobytes(kind)


def page_texts(data: bytes) -> list[str]:
    with pymupdf.open(stream=data, filetype="pdf") as document:
        return [page.get_text().strip() for page in document]


def test_assembly_follows_the_page_order(tmp_path: Path) -> None:
    reply = tmp_path / "reponse.pdf"
    reply.write_bytes(pdf_with_pages(["Réponse p1", "Réponse p2"]))
    annex = pdf_with_pages([f"Annexe p{i}" for i in range(1, 41)])  # a 40-page annex
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(image("jpg"))
    plan = image("png")
    assert natural_order([2, 1]) == [(0, 0), (0, 1), (1, 0)]

    everything = assemble(reply, [annex, photo, plan])
    assert page_count(everything) == 44
    order = [(0, 0), (2, 0), (1, 39), (0, 1), (3, 0)]
    data = assemble(reply, [annex, photo, plan], order)
    texts = page_texts(data)
    assert texts[0] == "Réponse p1" and texts[2] == "Annexe p40" and texts[3] == "Réponse p2"
    with pymupdf.open(stream=data, filetype="pdf") as document:
        assert document.page_count == 5
        assert document[1].get_images() and document[4].get_images()  # images became pages
    with pytest.raises(AssemblyError, match="n'existe pas"):
        assemble(reply, [annex], [(1, 40)])
    with pytest.raises(AssemblyError, match="deux fois"):
        assemble(reply, [annex], [(0, 0), (0, 0)])


def test_thumbnails_are_png_of_the_asked_width() -> None:
    thumbs = page_thumbnails(pdf_with_pages(["a", "b", "c"]), 120)
    assert len(thumbs) == 3
    for png in thumbs:
        assert png.startswith(b"\x89PNG")
        assert pymupdf.Pixmap(png).width == 120


def test_bad_annexes_are_refused_in_french(tmp_path: Path) -> None:
    reply = pdf_with_pages(["Réponse"])
    word = tmp_path / "courrier.docx"
    shutil.copy(TEMPLATES / "courrier_libre.docx", word)
    with pytest.raises(AssemblyError, match="« courrier.docx » n'est ni un PDF ni une image"):
        assemble(reply, [word])
    locked = io.BytesIO()
    with pymupdf.open(stream=pdf_with_pages(["secret"]), filetype="pdf") as document:
        document.save(locked, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="x", owner_pw="y")
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(locked.getvalue())
    with pytest.raises(AssemblyError, match="« secret.pdf » est protégé par un mot de passe"):
        assemble(reply, [secret])
    broken = tmp_path / "casse.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + os.urandom(300))
    with pytest.raises(AssemblyError, match="« casse.pdf »"):
        assemble(reply, [broken])
    with pytest.raises(AssemblyError, match="Impossible de lire « absent.pdf »"):
        assemble(reply, [tmp_path / "absent.pdf"])


# --------------------------------------------------------------------------- converters


@pytest.mark.parametrize(
    ("platform", "soffice", "uno", "word", "expected"),
    [
        ("linux", True, True, False, "libreoffice-warm"),
        ("linux", True, False, False, "libreoffice"),
        ("linux", False, False, False, None),
        ("win32", True, True, True, "libreoffice-warm"),
        ("win32", True, False, True, "word"),
        ("win32", False, False, True, "word"),
        ("win32", False, False, False, None),
        ("darwin", False, False, True, None),  # Word for Mac has no COM
    ],
)
def test_converter_selection(
    platform: str, soffice: bool, uno: bool, word: bool, expected: str | None
) -> None:
    """The selection logic only: Word through COM cannot run on this Linux machine."""
    assert select_converter(platform=platform, soffice=soffice, uno_python=uno, word=word) == (
        expected
    )


def test_no_converter_says_so_in_french(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_module, "find_soffice", lambda: None)
    with pytest.raises(PdfConversionUnavailable, match="Installez LibreOffice"):
        pdf_module.available_converter()


# --------------------------------------------------------------------------- the command


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "desktop.documents", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def test_cli_fields(tmp_path: Path) -> None:
    done = run_cli("fields", str(TEMPLATES / "reponse_refus_motive.docx"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    listed = done.stdout.split()
    assert "service.tribunal" in listed and "numero" in listed and done.stderr == ""
    bad = one_paragraph_template(tmp_path / "faute.docx", "{{ numero }} {{ date_recpetion }}")
    done = run_cli("fields", str(bad), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout.split() == ["numero"]
    assert "date_recpetion" in done.stderr and "date_reception" in done.stderr
    done = run_cli("fields", "--all", cwd=tmp_path)
    assert done.returncode == 0 and "{{ service.tribunal }}" in done.stdout
    done = run_cli("fields", str(tmp_path / "absent.docx"), cwd=tmp_path)
    assert done.returncode == 1 and "introuvable" in done.stderr


def test_cli_render(tmp_path: Path, demo_db_path: Path) -> None:
    conn = sqlite3.connect(demo_db_path)
    number, insee = conn.execute(
        "SELECT r.number, a.insee_code FROM request r JOIN authority a ON a.pk = r.authority_pk "
        "WHERE r.deleted = 0 ORDER BY r.pk LIMIT 1"
    ).fetchone()
    conn.close()
    out = tmp_path / "sortie" / "reponse.docx"
    common = ["--database", str(demo_db_path), "--date", "2026-11-23"]
    done = run_cli(
        "render", str(TEMPLATES / "reponse_accord.docx"), *common,
        "--request", f"{insee}-{number}", "-o", str(out), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert number in document_text(out) and "23 novembre 2026" in document_text(out)
    assert sorted(p.name for p in out.parent.iterdir()) == ["reponse.docx"]

    # Unknown request, bad template: French message, non-zero, nothing written.
    out2 = tmp_path / "autre" / "x.docx"
    done = run_cli(
        "render", str(TEMPLATES / "reponse_accord.docx"), *common,
        "--request", "1999-999999", "-o", str(out2), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1 and "Aucune demande numérotée « 1999-999999 »" in done.stderr
    assert not out2.exists()
    bad = one_paragraph_template(tmp_path / "faute.docx", "{{ usager.nmo }}")
    done = run_cli(
        "render", str(bad), *common, "--request", f"{insee}-{number}", "-o", str(out),
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2 and "« usager.nmo »" in done.stderr
    assert number in document_text(out)  # the earlier document is untouched
    assert sorted(p.name for p in out.parent.iterdir()) == ["reponse.docx"]
    broken = tmp_path / "casse.docx"
    broken.write_bytes(b"PK\x03\x04 pas un docx")
    done = run_cli(
        "render", str(broken), *common, "--request", f"{insee}-{number}",
        "-o", str(tmp_path / "y.docx"), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1 and "« casse.docx »" in done.stderr
    assert not (tmp_path / "y.docx").exists()


# --------------------------------------------------------------------------- legal letters


class NoPdf(pdf_module.LibreOfficeConverter):
    """A PC without LibreOffice nor Word: the letter stays a .docx."""

    def available(self) -> bool:
        return False

    def convert(self, docx: Path, output_dir: Path, timeout: float = 0) -> Path:
        raise PdfConversionUnavailable("pas de convertisseur")


def test_acknowledgement_uses_the_communes_folder_and_reports_a_refusal(
    empty_db: sqlite3.Connection, tmp_path: Path
) -> None:
    from desktop.services.letters import LetterService, RequestAction

    world = add_world(empty_db)
    folder = commune_folder(tmp_path)
    without_paragraphs(
        TEMPLATES / "accuse_reception.docx",
        folder / "accuse_reception.docx",
        "L232-3",
    )
    set_templates_folder(empty_db, world["authority"], folder)
    service = LetterService(empty_db, documents_root=tmp_path / "docs", converter=NoPdf())
    job = service.prepare(RequestAction.ACKNOWLEDGEMENT, world["request"], TODAY)
    assert job.template_dir == folder
    files = service.produce(job)
    assert files.pdf is None and len(files.notices) == 1
    assert "attestation" in files.notices[0] and "modèle fourni" in files.notices[0]
    assert "article L232-3" in document_text(files.docx)  # the shipped template was used


def test_a_produced_acknowledgement_is_checked_against_its_own_request(tmp_path: Path) -> None:
    """A commune template that typed the service's phone number instead of its field passes
    the samples (same number) but not a request of a service with another number: the letter
    is refused before it is written."""
    import dataclasses

    folder = commune_folder(tmp_path)
    document = docx.Document(str(TEMPLATES / "accuse_reception.docx"))
    parts = [document.element.body, *(s.footer._element for s in document.sections)]
    for part in parts:
        for text in part.iter(qn("w:t")):
            if text.text and "{{ service.telephone }}" in text.text:
                text.text = text.text.replace("{{ service.telephone }}", "03 29 00 00 00")
    document.save(str(folder / "accuse_reception.docx"))
    entry = next(t for t in list_templates(folder) if t.name == "accuse_reception")
    assert entry.source is TemplateSource.COMMUNE  # the samples pass

    sample = sample_context()
    other = dataclasses.replace(
        sample, service=dataclasses.replace(sample.service, phone="03 87 11 22 33")
    )
    with pytest.raises(MissingMention) as caught:
        render_letter(LetterKind.ACKNOWLEDGEMENT, other, tmp_path / "out", folder)
    assert caught.value.mentions == ("le numéro de téléphone du service",)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert render_letter(LetterKind.ACKNOWLEDGEMENT, sample, tmp_path / "out", folder).is_file()
