"""The letters of the CRPA procedure, rendered from the Word templates and read back.

Each letter is opened again with python-docx and its whole text (letterhead table, body,
footer) is checked for the legal mentions and the French dates. No LibreOffice needed here;
the PDF side is in tests/integration/test_documents_pdf.py.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import docx
import pytest

from desktop.documents import (
    IncompleteContext,
    LetterKind,
    OutputError,
    PdfConversionUnavailable,
    TemplateError,
    TemplateNotFound,
    convert_to_pdf,
    default_template_dir,
    render_letter,
)
from desktop.documents import pdf as pdf_module
from desktop.documents import render as render_module
from desktop.documents.fields import build_fields
from desktop.documents.french_dates import (
    format_date,
    format_long_date,
    format_period,
    format_time,
)
from desktop.documents.samples import sample_context
from sync.protocol.vocabulary import Channel, PeriodUnit, SilenceRule

TEMPLATES = default_template_dir()

# Mentions every acknowledgement carries (R112-5 1° and 2°), with the sample's values.
SERVICE_MENTIONS = (
    "Mairie de Saint-Dié-des-Vosges",
    "Service vie associative",
    "Hôtel de ville, Place Jules Ferry, 88100 Saint-Dié-des-Vosges",
    "vie-associative@mairie-exemple.fr",
    "03 29 00 00 00",
)
APPEAL_MENTIONS = (
    "recours gracieux",
    "recours hiérarchique",
    "recours contentieux devant le tribunal administratif de Nancy",
    "dans un délai de deux mois",
    "« Télérecours citoyens »",
    "www.telerecours.fr",
)


def docx_text(path: Path) -> str:
    """All the visible text of a .docx, whitespace (and non-breaking spaces) collapsed."""
    document = docx.Document(str(path))
    chunks = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                chunks.extend(p.text for p in cell.paragraphs)
    for section in document.sections:
        chunks.extend(p.text for p in section.footer.paragraphs)
        chunks.extend(p.text for p in section.header.paragraphs)
    return normalise("\n".join(chunks))


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " ")).strip()


def assert_clean(text: str) -> None:
    """No merge field or Jinja tag left behind."""
    for marker in ("{{", "}}", "{%", "%}"):
        assert marker not in text


# --------------------------------------------------------------------------------------------
# French dates
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2026, 11, 23), "23 novembre 2026"),
        (date(2027, 3, 1), "1er mars 2027"),
        (date(2028, 2, 29), "29 février 2028"),
        (date(2026, 8, 15), "15 août 2026"),
        (date(2026, 12, 1), "1er décembre 2026"),
        (date(2027, 1, 11), "11 janvier 2027"),
        (datetime(2026, 5, 1, 23, 59), "1er mai 2026"),
    ],
)
def test_format_date_is_french_with_first_as_ordinal(value: date, expected: str) -> None:
    assert format_date(value) == expected


def test_long_date_time_and_periods() -> None:
    assert format_long_date(date(2026, 11, 23)) == "lundi 23 novembre 2026"
    assert format_long_date(date(2027, 1, 1)) == "vendredi 1er janvier 2027"
    assert format_time(datetime(2026, 11, 23, 9, 5)) == "9 h 05"
    assert format_period(2, PeriodUnit.MONTHS) == "deux mois"
    assert format_period(1, "months") == "un mois"
    assert format_period(1, PeriodUnit.WEEKS) == "une semaine"
    assert format_period(15, PeriodUnit.DAYS) == "quinze jours"
    assert format_period(45, PeriodUnit.DAYS) == "45 jours"


def test_receipt_time_is_stated_in_french_time() -> None:
    # 13:05 UTC in November is 14:05 in Paris; 22:30 UTC on 31 July is already 1 August.
    assert build_fields(sample_context())["heure_reception"] == "14 h 05"
    summer = sample_context(received_at=datetime.fromisoformat("2026-07-31T22:30:00+00:00"))
    fields = build_fields(summer)
    assert (fields["date_reception"], fields["heure_reception"]) == ("1er août 2026", "0 h 30")
    naive = build_fields(sample_context(received_at=datetime(2026, 11, 23, 8, 0)))
    assert naive["heure_reception"] == "8 h 00"


# --------------------------------------------------------------------------------------------
# The acknowledgement: SVA, SVR, missing documents, no implicit decision
# --------------------------------------------------------------------------------------------


def test_acknowledgement_sva_carries_every_mention(tmp_path: Path) -> None:
    path = render_letter(LetterKind.ACKNOWLEDGEMENT, sample_context(), tmp_path)
    assert path == tmp_path / "2026-000123_accuse_reception.docx"
    text = docx_text(path)
    assert_clean(text)
    # 1° date of receipt and date of deemed acceptance
    assert "reçue le 23 novembre 2026" in text
    assert "réputée acceptée le 24 janvier 2027" in text
    assert "article L231-1" in text
    # 2° the service in charge
    for mention in SERVICE_MENTIONS:
        assert mention in text
    # SVA: the right to an attestation
    assert "attestation de cette décision implicite d'acceptation" in text
    assert "article L232-3" in text
    # letter parts
    assert "Objet : Accusé de réception de votre demande « Subvention pour le marché de Noël »" in (
        text
    )
    assert "Réf. : 2026-000123" in text
    assert "Saint-Dié-des-Vosges, le 24 novembre 2026" in text
    assert "Association Les Amis du Kemberg" in text
    assert "Jeanne Martin" in text
    assert "L112-3 et R112-5" in text
    # nothing of the other rules
    assert "réputée rejetée" not in text
    assert "recours contentieux" not in text
    assert "Pièces manquantes" not in text


@pytest.mark.parametrize(
    ("rule", "verb"), [(SilenceRule.ACCEPT, "acceptée"), (SilenceRule.REJECT, "rejetée")]
)
def test_a_late_acknowledgement_states_the_decision_as_acquired(
    tmp_path: Path, rule: SilenceRule, verb: str
) -> None:
    """Sent after the implicit decision arose, the letter must not announce it as future."""
    late = sample_context(rule, letter_date=date(2027, 2, 1), acknowledged_on=date(2027, 2, 1))
    text = docx_text(render_letter(LetterKind.ACKNOWLEDGEMENT, late, tmp_path))
    assert f"votre demande est réputée {verb} depuis le 24 janvier 2027" in normalise(text)
    assert "sera réputée" not in text

    on_time = docx_text(render_letter(LetterKind.ACKNOWLEDGEMENT, sample_context(rule), tmp_path))
    assert f"votre demande sera réputée {verb} le 24 janvier 2027" in normalise(on_time)


def test_acknowledgement_svr_carries_appeal_routes(tmp_path: Path) -> None:
    context = sample_context(SilenceRule.REJECT, implicit_decision_on=date(2027, 3, 1))
    text = docx_text(render_letter("acknowledgement", context, tmp_path))
    assert_clean(text)
    assert "reçue le 23 novembre 2026" in text
    assert "réputée rejetée le 1er mars 2027" in text
    assert "article L231-4" in text
    for mention in (*SERVICE_MENTIONS, *APPEAL_MENTIONS):
        assert mention in text
    assert "communication des motifs" in text and "L232-4" in text
    assert "réputée acceptée" not in text
    assert "L232-3" not in text


def test_acknowledgement_with_missing_documents(tmp_path: Path) -> None:
    context = sample_context(missing_documents=True)
    text = docx_text(render_letter(LetterKind.ACKNOWLEDGEMENT, context, tmp_path))
    assert_clean(text)
    assert "reçue le 23 novembre 2026" in text
    assert "Votre dossier est incomplet" in text
    assert "au plus tard le 15 décembre 2026" in text
    assert "– Statuts de l'association" in text
    assert "– Relevé d'identité bancaire" in text
    assert "Budget prévisionnel" not in text  # required but not missing
    assert "article L114-5" in text
    assert "ne court qu'à compter de la réception de l'ensemble de ces pièces" in text
    # The clock is suspended: the deemed-acceptance date is stated relative to the documents.
    assert "réputée acceptée deux mois après la réception de la dernière pièce manquante" in text
    assert "L232-3" in text
    for mention in SERVICE_MENTIONS:
        assert mention in text


def test_acknowledgement_svr_with_missing_documents(tmp_path: Path) -> None:
    context = sample_context(SilenceRule.REJECT, missing_documents=True)
    text = docx_text(render_letter(LetterKind.ACKNOWLEDGEMENT, context, tmp_path))
    assert "réputée rejetée ne court qu'à compter de la réception" in text
    assert "réputée rejetée deux mois après la réception de la dernière pièce manquante" in text
    for mention in APPEAL_MENTIONS:
        assert mention in text


def test_acknowledgement_without_implicit_decision(tmp_path: Path) -> None:
    context = sample_context(SilenceRule.NONE)
    text = docx_text(render_letter(LetterKind.ACKNOWLEDGEMENT, context, tmp_path))
    assert_clean(text)
    assert "ne donne pas lieu à une décision implicite" in text
    assert "réputée" not in text
    assert "recours" not in text


def test_acknowledgement_without_implicit_decision_but_missing_documents(tmp_path: Path) -> None:
    context = sample_context(SilenceRule.NONE, missing_documents=True)
    text = docx_text(render_letter(LetterKind.ACKNOWLEDGEMENT, context, tmp_path))
    assert "au plus tard le 15 décembre 2026" in text
    assert "L'instruction de votre demande reprendra dès la réception" in text
    assert "réputée" not in text


def test_acknowledgement_refuses_a_missing_decision_date(tmp_path: Path) -> None:
    context = sample_context(implicit_decision_on=None)
    with pytest.raises(IncompleteContext, match="date de la décision implicite"):
        render_letter(LetterKind.ACKNOWLEDGEMENT, context, tmp_path)
    missing_deadline = sample_context(missing_documents=True, missing_documents_deadline=None)
    with pytest.raises(IncompleteContext, match="date limite"):
        render_letter(LetterKind.ACKNOWLEDGEMENT, missing_deadline, tmp_path)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------------
# The other three letters
# --------------------------------------------------------------------------------------------


def test_registration_receipt_states_date_and_time(tmp_path: Path) -> None:
    text = docx_text(render_letter(LetterKind.REGISTRATION_RECEIPT, sample_context(), tmp_path))
    assert_clean(text)
    assert "a été reçue le 23 novembre 2026 à 14 h 05" in text
    assert "Reçue le : 23 novembre 2026 à 14 h 05" in text  # letterhead box
    assert "transmise par le formulaire en ligne" in text
    assert "L112-11" in text
    assert "dix jours ouvrés" in text
    for mention in SERVICE_MENTIONS:
        assert mention in text


def test_registration_receipt_only_for_electronic_requests(tmp_path: Path) -> None:
    with pytest.raises(IncompleteContext, match="voie électronique"):
        render_letter("registration_receipt", sample_context(channel=Channel.PAPER), tmp_path)


def test_missing_documents_letter(tmp_path: Path) -> None:
    context = sample_context(SilenceRule.REJECT, missing_documents=True)
    path = render_letter(LetterKind.MISSING_DOCUMENTS, context, tmp_path)
    assert path.name == "2026-000123_demande_pieces_manquantes.docx"
    text = docx_text(path)
    assert_clean(text)
    assert "au plus tard le mardi 15 décembre 2026" in text
    assert "À fournir avant le : 15 décembre 2026" in text
    assert "– Statuts de l'association" in text and "– Relevé d'identité bancaire" in text
    assert "L114-5" in text
    assert "réputée rejetée ne court qu'à compter de la réception" in text
    assert "Télérecours citoyens" in text
    with pytest.raises(IncompleteContext, match="aucune pièce"):
        render_letter(LetterKind.MISSING_DOCUMENTS, sample_context(), tmp_path)


def test_implicit_acceptance_certificate(tmp_path: Path) -> None:
    context = sample_context(letter_date=date(2027, 2, 1))
    text = docx_text(render_letter(LetterKind.IMPLICIT_ACCEPTANCE_CERTIFICATE, context, tmp_path))
    assert_clean(text)
    assert "décision implicite d'acceptation née le 24 janvier 2027" in text
    assert "Demandeur : Association Les Amis du Kemberg" in text
    assert "Reçue le : 23 novembre 2026 (Formulaire web)" in text
    assert "L232-3" in text and "L231-1" in text
    assert "Saint-Dié-des-Vosges, le 1er février 2027" in text


def test_certificate_refused_before_acceptance_or_for_svr(tmp_path: Path) -> None:
    too_early = sample_context(letter_date=date(2027, 1, 23))
    with pytest.raises(IncompleteContext, match="il naîtra le 24 janvier 2027"):
        render_letter(LetterKind.IMPLICIT_ACCEPTANCE_CERTIFICATE, too_early, tmp_path)
    rejected = sample_context(SilenceRule.REJECT, letter_date=date(2027, 2, 1))
    with pytest.raises(IncompleteContext, match="silence vaut accord"):
        render_letter(LetterKind.IMPLICIT_ACCEPTANCE_CERTIFICATE, rejected, tmp_path)


# --------------------------------------------------------------------------------------------
# Robustness: escaping, split runs, authority templates, errors, atomic write
# --------------------------------------------------------------------------------------------


def test_special_and_control_characters_do_not_corrupt_the_document(tmp_path: Path) -> None:
    recipient = dataclasses.replace(
        sample_context().recipient, display_name="Association « Sports & Loisirs » <Kemberg>"
    )
    context = sample_context(recipient=recipient, subject="Salle\x07 des fêtes\x0c & buvette")
    path = render_letter(LetterKind.ACKNOWLEDGEMENT, context, tmp_path)
    text = docx_text(path)
    assert "Association « Sports & Loisirs » <Kemberg>" in text
    assert "« Salle des fêtes & buvette »" in text


def write_split_run_template(path: Path) -> None:
    """A template as Word often saves it: fields cut across runs with different formatting."""
    document = docx.Document()
    paragraph = document.add_paragraph("Référence : ")
    paragraph.add_run("{{ ")
    paragraph.add_run("numero").bold = True
    paragraph.add_run(" }}")
    second = document.add_paragraph()
    second.add_run("{{ ")
    second.add_run("numero }} reçue le {")
    second.add_run("{ date_reception }")
    second.add_run("}")
    document.add_paragraph("{%p if sva %}")
    third = document.add_paragraph()
    third.add_run("Accord tacite le {{ date_decision")
    third.add_run("_implicite }}")
    document.add_paragraph("{%p endif %}")
    document.save(str(path))


def test_field_split_across_runs_still_merges(tmp_path: Path) -> None:
    authority = tmp_path / "modeles-saint-die"
    authority.mkdir()
    template = authority / "accuse_enregistrement.docx"
    write_split_run_template(template)
    runs = [run.text for run in docx.Document(str(template)).paragraphs[0].runs]
    assert runs == ["Référence : ", "{{ ", "numero", " }}"]  # really split

    path = render_letter(
        LetterKind.REGISTRATION_RECEIPT, sample_context(), tmp_path / "out", authority
    )
    text = docx_text(path)
    assert_clean(text)
    assert "Référence : 2026-000123" in text
    assert "2026-000123 reçue le 23 novembre 2026" in text
    assert "Accord tacite le 24 janvier 2027" in text


def test_authority_template_overrides_default_and_falls_back(tmp_path: Path) -> None:
    authority = tmp_path / "modeles"
    authority.mkdir()
    document = docx.Document()
    document.add_paragraph("Modèle maison {{ numero }}")
    document.save(str(authority / "accuse_enregistrement.docx"))
    own = render_letter(LetterKind.REGISTRATION_RECEIPT, sample_context(), tmp_path, authority)
    assert docx_text(own) == "Modèle maison 2026-000123"
    # No acknowledgement of its own: the default one is used.
    default = render_letter(LetterKind.ACKNOWLEDGEMENT, sample_context(), tmp_path, authority)
    assert "Accusé de réception" in docx_text(default)


def test_missing_template_is_reported_in_french(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "vide"
    empty.mkdir()
    monkeypatch.setattr(render_module, "default_template_dir", lambda: empty)
    with pytest.raises(TemplateNotFound) as caught:
        render_letter(LetterKind.ACKNOWLEDGEMENT, sample_context(), tmp_path, tmp_path / "autre")
    message = str(caught.value)
    assert message.startswith("Modèle de document introuvable : « accuse_reception.docx »")
    assert str(empty) in message and str(tmp_path / "autre") in message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Réf. {{ numero ", "mal écrit"),
        ("{% if sva %}sans fin", "n'est pas fermée"),
        ("Réf. {{ numéro_dossier }}", "champ de fusion inconnu"),
        ("{{ service.fax }}", "champ de fusion inconnu"),
    ],
)
def test_faulty_template_is_reported_in_french(tmp_path: Path, body: str, expected: str) -> None:
    document = docx.Document()
    document.add_paragraph(body)
    document.save(str(tmp_path / "accuse_enregistrement.docx"))
    with pytest.raises(TemplateError) as caught:
        render_letter(LetterKind.REGISTRATION_RECEIPT, sample_context(), tmp_path / "out", tmp_path)
    message = str(caught.value)
    assert message.startswith("Le modèle « accuse_enregistrement.docx »")
    assert expected in message
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_file_that_is_not_a_docx_is_reported(tmp_path: Path) -> None:
    (tmp_path / "accuse_enregistrement.docx").write_bytes(b"ceci n'est pas un document Word")
    with pytest.raises(TemplateError, match="n'est pas un document Word"):
        render_letter(LetterKind.REGISTRATION_RECEIPT, sample_context(), tmp_path / "out", tmp_path)


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = render_letter(LetterKind.ACKNOWLEDGEMENT, sample_context(), tmp_path)
    before = first.read_bytes()

    def crash_mid_write(descriptor: int) -> None:  # the bytes are written, not yet on disk
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(render_module.os, "fsync", crash_mid_write)
    changed = sample_context(subject="Une autre demande")
    with pytest.raises(OutputError, match="No space left on device"):
        render_letter(LetterKind.ACKNOWLEDGEMENT, changed, tmp_path)
    assert first.read_bytes() == before  # the previous letter is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.name]  # no temporary left
    assert zipfile.is_zipfile(first)


def test_output_name_is_safe_for_windows(tmp_path: Path) -> None:
    path = render_letter(
        LetterKind.ACKNOWLEDGEMENT, sample_context(number='2026/000:12*"3'), tmp_path
    )
    assert path.parent == tmp_path
    assert path.name == "2026_000_12_3_accuse_reception.docx"


def test_conversion_unavailable_without_office_suite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdf_module.shutil, "which", lambda name: None)
    monkeypatch.setattr(pdf_module, "_WELL_KNOWN_SOFFICE", ())
    docx_path = render_letter(LetterKind.ACKNOWLEDGEMENT, sample_context(), tmp_path)
    with pytest.raises(PdfConversionUnavailable, match="Installez LibreOffice"):
        convert_to_pdf(docx_path, tmp_path)


# --------------------------------------------------------------------------------------------
# The committed templates
# --------------------------------------------------------------------------------------------


def load_build_script():
    spec = importlib.util.spec_from_file_location(
        "build_templates", TEMPLATES / "build_templates.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("kind", list(LetterKind))
def test_committed_template_is_what_the_script_builds(tmp_path: Path, kind: LetterKind) -> None:
    load_build_script().build_all(tmp_path)
    fresh = docx.Document(str(tmp_path / f"{kind.value}.docx"))
    committed = docx.Document(str(TEMPLATES / f"{kind.value}.docx"))
    assert committed.element.xml == fresh.element.xml, "run build_templates.py and commit"
    assert committed.sections[0].footer._element.xml == fresh.sections[0].footer._element.xml


@pytest.mark.parametrize("kind", list(LetterKind))
def test_template_is_laid_out_as_a_letter(kind: LetterKind) -> None:
    template = docx.Document(str(TEMPLATES / f"{kind.value}.docx"))
    assert len(template.tables) == 1  # the letterhead
    letterhead = " ".join(c.text for c in template.tables[0].rows[0].cells)
    assert "{{ service.collectivite }}" in letterhead and "{{ numero }}" in letterhead
    texts = normalise(" ".join(p.text for p in template.paragraphs))
    assert "Objet :" in texts and "Réf. :" in texts and "{{ signataire_nom }}" in texts
    styles = {style.name for style in template.styles}
    assert {"Bannette Corps", "Bannette Destinataire", "Bannette Signature"} <= styles
    section = template.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7


def flatten(fields: dict, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for key, value in fields.items():
        if isinstance(value, dict):
            names |= flatten(value, f"{prefix}{key}.")
        else:
            names.add(f"{prefix}{key}")
    return names


def test_readme_documents_every_merge_field() -> None:
    readme = (TEMPLATES / "README.md").read_text(encoding="utf-8")
    fields = flatten(build_fields(sample_context(missing_documents=True)))
    undocumented = sorted(
        name for name in fields if f"`{name}`" not in readme and (f"{{{{ {name} }}}}" not in readme)
    )
    assert undocumented == []
