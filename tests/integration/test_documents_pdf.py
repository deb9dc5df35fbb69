"""Real LibreOffice conversions of the letters, read back as PDF text with PyMuPDF.

Needs LibreOffice Writer (Debian: libreoffice-writer-nogui, with fonts-dejavu-core and
fonts-liberation2 for faithful Arial metrics). Skipped, loudly, only when soffice is absent.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import date
from pathlib import Path

import psutil
import pymupdf
import pytest

from desktop.documents import LetterKind, PdfConversionError, convert_to_pdf, render_letter
from desktop.documents.pdf import LibreOfficeConverter, find_soffice
from desktop.documents.samples import sample_context
from sync.protocol.vocabulary import SilenceRule

SOFFICE = find_soffice()

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(
        SOFFICE is None,
        reason=(
            "!!! LibreOffice (soffice) NOT FOUND: the PDF conversion of the legal letters is "
            "NOT TESTED. Install it: apt-get install -y --no-install-recommends "
            "libreoffice-writer-nogui fonts-dejavu-core fonts-liberation2 !!!"
        ),
    ),
]

SERVICE_MENTIONS = (
    "Mairie de Saint-Dié-des-Vosges",
    "Service vie associative",
    "Hôtel de ville, Place Jules Ferry, 88100 Saint-Dié-des-Vosges",
    "vie-associative@mairie-exemple.fr",
    "03 29 00 00 00",
)

CASES = {
    "sva": (
        sample_context(),
        (
            "reçue le 23 novembre 2026",
            "réputée acceptée le 24 janvier 2027",
            "article L232-3",
            "attestation de cette décision implicite d'acceptation",
        ),
        ("réputée rejetée", "Télérecours"),
    ),
    "svr": (
        sample_context(SilenceRule.REJECT, implicit_decision_on=date(2027, 3, 1)),
        (
            "reçue le 23 novembre 2026",
            "réputée rejetée le 1er mars 2027",
            "recours gracieux",
            "recours hiérarchique",
            "recours contentieux devant le tribunal administratif de Nancy",
            "dans un délai de deux mois",
            "« Télérecours citoyens »",
            "www.telerecours.fr",
        ),
        ("réputée acceptée", "L232-3"),
    ),
    "missing_documents": (
        sample_context(missing_documents=True),
        (
            "reçue le 23 novembre 2026",
            "au plus tard le 15 décembre 2026",
            "Statuts de l'association",
            "Relevé d'identité bancaire",
            "article L114-5",
            "ne court qu'à compter de la réception de l'ensemble de ces pièces",
            "L232-3",
        ),
        ("Budget prévisionnel",),
    ),
}


def pdf_text(path: Path) -> str:
    with pymupdf.open(path) as document:
        text = " ".join(page.get_text() for page in document)
    # Lines of the layout become spaces, so a mention broken across lines still matches.
    text = text.replace("\u00a0", " ").replace("\u202f", " ")
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("case", list(CASES))
def test_acknowledgement_pdf_carries_every_mention(tmp_path: Path, case: str) -> None:
    context, present, absent = CASES[case]
    docx_path = render_letter(LetterKind.ACKNOWLEDGEMENT, context, tmp_path)
    started = time.perf_counter()
    pdf_path = convert_to_pdf(docx_path, tmp_path / "pdf")
    elapsed = time.perf_counter() - started
    print(f"\nconversion {case}: {elapsed:.2f} s")

    assert pdf_path == tmp_path / "pdf" / "2026-000123_accuse_reception.pdf"
    assert pdf_path.read_bytes().startswith(b"%PDF-")
    text = pdf_text(pdf_path)
    for mention in (*present, *SERVICE_MENTIONS, "2026-000123", "Objet :", "Jeanne Martin"):
        assert mention in text, mention
    for mention in absent:
        assert mention not in text, mention
    assert "{{" not in text and "{%" not in text
    assert not [p for p in (tmp_path / "pdf").iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    ("kind", "context", "mentions"),
    [
        (
            LetterKind.REGISTRATION_RECEIPT,
            sample_context(),
            ("a été reçue le 23 novembre 2026 à 14 h 05", "L112-11"),
        ),
        (
            LetterKind.MISSING_DOCUMENTS,
            sample_context(SilenceRule.REJECT, missing_documents=True),
            ("au plus tard le mardi 15 décembre 2026", "L114-5", "Télérecours citoyens"),
        ),
        (
            LetterKind.IMPLICIT_ACCEPTANCE_CERTIFICATE,
            sample_context(letter_date=date(2027, 2, 1)),
            ("décision implicite d'acceptation née le 24 janvier 2027", "L232-3"),
        ),
    ],
)
def test_other_letters_convert(tmp_path: Path, kind: LetterKind, context, mentions) -> None:
    docx_path = render_letter(kind, context, tmp_path)
    started = time.perf_counter()
    text = pdf_text(convert_to_pdf(docx_path, tmp_path))
    print(f"\nconversion {kind.value}: {time.perf_counter() - started:.2f} s")
    for mention in (*mentions, *SERVICE_MENTIONS):
        assert mention in text, mention


def test_acknowledgement_fits_one_page_and_renders(tmp_path: Path) -> None:
    """A picture of the page, for a reviewer, and a check that it is not blank."""
    context = sample_context(SilenceRule.REJECT, implicit_decision_on=date(2027, 3, 1))
    pdf_path = convert_to_pdf(
        render_letter(LetterKind.ACKNOWLEDGEMENT, context, tmp_path), tmp_path
    )
    with pymupdf.open(pdf_path) as document:
        assert document.page_count == 1
        page = document[0]
        assert round(page.rect.width) == 595 and round(page.rect.height) == 842  # A4
        pixmap = page.get_pixmap(dpi=60)
        pixmap.save(tmp_path / "accuse_reception.png")
        samples = pixmap.samples
        dark = sum(1 for i in range(0, len(samples), pixmap.n) if samples[i] < 128)
        assert dark > 1000


def test_parallel_conversions_do_not_collide(tmp_path: Path) -> None:
    documents = [
        render_letter(LetterKind.ACKNOWLEDGEMENT, sample_context(number=f"2026-00010{i}"), tmp_path)
        for i in range(3)
    ]
    results: dict[int, Path | BaseException] = {}

    def convert(index: int) -> None:
        try:
            results[index] = convert_to_pdf(documents[index], tmp_path / "pdf")
        except BaseException as exc:  # reported below
            results[index] = exc

    threads = [threading.Thread(target=convert, args=(i,)) for i in range(len(documents))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    for index in range(len(documents)):
        result = results[index]
        assert isinstance(result, Path), result
        assert f"2026-00010{index}" in pdf_text(result)


def soffice_processes_with_private_profile() -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        command = " ".join(process.info["cmdline"] or [])
        if "bannette-lo-profile-" in command:
            found.append(process)
    return found


def test_timeout_kills_libreoffice_and_every_child(tmp_path: Path) -> None:
    docx_path = render_letter(LetterKind.ACKNOWLEDGEMENT, sample_context(), tmp_path)
    with pytest.raises(PdfConversionError, match="a dépassé 0.3 secondes"):
        LibreOfficeConverter().convert(docx_path, tmp_path / "pdf", timeout=0.3)
    deadline = time.monotonic() + 5
    while soffice_processes_with_private_profile() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert soffice_processes_with_private_profile() == []
    assert not (tmp_path / "pdf" / "2026-000123_accuse_reception.pdf").exists()
    assert list((tmp_path / "pdf").iterdir()) == []  # staging folder removed


def test_unreadable_document_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "abime.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(PdfConversionError, match="LibreOffice n'a pas pu convertir"):
        convert_to_pdf(broken, tmp_path / "pdf", timeout=60)
