"""Build the default Word templates of bannette's letters (docxtpl merge fields).

Run ``python resources/templates/build_templates.py`` after changing a wording, then commit the
regenerated .docx files with this script. The templates are generated rather than drawn by hand
in Word so that a wording change is a reviewable diff here, and so that every field is written
in one piece (Word, when one edits a template by hand, may split ``{{ numero }}`` across runs;
docxtpl copes, but a generated template is clean from the start).

The legal wording follows the code des relations entre le public et l'administration (CRPA):
L112-3 and R112-5 (acknowledgement mentions), L112-11 (registration receipt), L114-5 (missing
documents), L231-1 / L231-4 (implicit acceptance / rejection), L232-3 (attestation), L232-4
(reasons of an implicit rejection). The merge fields are listed in README.md beside this file.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import _Cell
from docx.text.paragraph import Paragraph

HERE = Path(__file__).resolve().parent

FONT = "Arial"  # present on every Windows PC; LibreOffice substitutes a metric twin
BLUE = RGBColor(0x1F, 0x3A, 0x5F)
GREY = RGBColor(0x59, 0x59, 0x59)
NBSP = "\u00a0"  # French typography: no break before « : », inside « … »
CRPA = "code des relations entre le public et l'administration"

PAGE_WIDTH = Cm(21.0)
LEFT_MARGIN = Cm(2.2)
RIGHT_MARGIN = Cm(2.0)
BODY_WIDTH = PAGE_WIDTH - LEFT_MARGIN - RIGHT_MARGIN
ADDRESS_INDENT = Cm(9.0)  # the window of a DL envelope

# A piece of text: plain, or (text, bold).
Part = str | tuple[str, bool]
Container = WordDocument | _Cell

# Style names, kept in French: they are what a secrétaire sees in Word's style gallery.
S_AUTHORITY = "Bannette Collectivité"
S_SERVICE = "Bannette Service"
S_TITLE = "Bannette Titre"
S_ADDRESS = "Bannette Destinataire"
S_DATE = "Bannette Lieu et date"
S_REFERENCE = "Bannette Références"
S_BODY = "Bannette Corps"
S_HEADING = "Bannette Intertitre"
S_BULLET = "Bannette Liste"
S_SIGNATURE = "Bannette Signature"
S_NOTE = "Bannette Mention"
S_FOOTER = "Bannette Pied de page"


def q(text: str) -> str:
    """« text » with the non-breaking spaces French quotation marks take."""
    return f"«{NBSP}{text}{NBSP}»"


def label(text: str) -> str:
    """« Objet : » with the non-breaking space French puts before a colon."""
    return f"{text}{NBSP}:"


# --------------------------------------------------------------------------------------------
# Document set-up: page, styles, footer
# --------------------------------------------------------------------------------------------


def new_document(title: str) -> WordDocument:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_WIDTH, Cm(29.7)
    section.left_margin, section.right_margin = LEFT_MARGIN, RIGHT_MARGIN
    section.top_margin, section.bottom_margin = Cm(1.5), Cm(1.6)
    section.header_distance, section.footer_distance = Cm(0.8), Cm(0.8)
    define_styles(document)
    properties = document.core_properties
    properties.title = title
    properties.author = "bannette"
    properties.last_modified_by = "bannette"
    properties.language = "fr-FR"
    properties.comments = "Modèle de courrier généré par resources/templates/build_templates.py"
    # Fixed dates keep a rebuild without wording changes free of metadata noise.
    properties.created = properties.modified = datetime(2026, 1, 1)
    properties.revision = 1
    return document


def paragraph_style(
    document: WordDocument,
    name: str,
    *,
    size: float = 10.5,
    bold: bool = False,
    color: RGBColor | None = None,
    align: WD_ALIGN_PARAGRAPH | None = None,
    left_indent: Cm | None = None,
    before: float = 0,
    after: float = 0,
    keep_with_next: bool = False,
    italic: bool = False,
    caps: bool = False,
) -> None:
    style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = document.styles["Normal"]
    style.quick_style = True
    font = style.font
    font.name, font.size, font.bold, font.italic = FONT, Pt(size), bold, italic
    font.all_caps = caps
    if color is not None:
        font.color.rgb = color
    fmt = style.paragraph_format
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    fmt.keep_with_next = keep_with_next
    if align is not None:
        fmt.alignment = align
    if left_indent is not None:
        fmt.left_indent = left_indent


def define_styles(document: WordDocument) -> None:
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(10.5)
    # East-Asian and complex-script font slots too, or Word falls back to its theme font.
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), "fr-FR")
    normal.element.get_or_add_rPr().append(language)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE

    paragraph_style(document, S_AUTHORITY, size=12, bold=True, color=BLUE, after=2)
    paragraph_style(document, S_SERVICE, size=9, color=GREY)
    paragraph_style(
        document,
        S_TITLE,
        size=11,
        bold=True,
        color=BLUE,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        caps=True,
        before=0,
        after=0,
    )
    paragraph_style(document, S_ADDRESS, size=10.5, left_indent=ADDRESS_INDENT)
    paragraph_style(document, S_DATE, align=WD_ALIGN_PARAGRAPH.RIGHT, before=18, after=18)
    paragraph_style(document, S_REFERENCE, size=10, after=2)
    paragraph_style(document, S_BODY, align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=7)
    paragraph_style(
        document,
        S_HEADING,
        size=10.5,
        bold=True,
        color=BLUE,
        before=6,
        after=4,
        keep_with_next=True,
    )
    paragraph_style(document, S_BULLET, align=WD_ALIGN_PARAGRAPH.LEFT, after=3)
    bullet = document.styles[S_BULLET].paragraph_format
    bullet.left_indent, bullet.first_line_indent = Cm(1.0), Cm(-0.5)
    paragraph_style(document, S_SIGNATURE, left_indent=ADDRESS_INDENT, keep_with_next=True)
    paragraph_style(
        document,
        S_NOTE,
        size=8,
        italic=True,
        color=GREY,
        align=WD_ALIGN_PARAGRAPH.JUSTIFY,
        before=14,
    )
    paragraph_style(document, S_FOOTER, size=7.5, color=GREY, align=WD_ALIGN_PARAGRAPH.CENTER)


def add_field(paragraph: Paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice compute when laying out."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def add_footer(document: WordDocument) -> None:
    footer = document.sections[0].footer
    first = footer.paragraphs[0]
    first.style = document.styles[S_FOOTER]
    first.add_run(
        "{{ service.collectivite }} – {{ service.designation }} – {{ service.adresse_complete }}"
    )
    second = footer.add_paragraph(style=S_FOOTER)
    second.add_run(
        "Tél. {{ service.telephone }} – {{ service.courriel }} – Réf. {{ numero }} – page "
    )
    add_field(second, "PAGE")
    second.add_run("/")
    add_field(second, "NUMPAGES")


# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------


def para(container: Container, parts: Part | Iterable[Part], style: str = S_BODY) -> Paragraph:
    """Add a paragraph made of runs; each ``{{ field }}`` stays inside one run."""
    paragraph = container.add_paragraph(style=style)
    if isinstance(parts, str | tuple):
        parts = [parts]
    for part in parts:
        text, bold = (part, False) if isinstance(part, str) else part
        run = paragraph.add_run(text)
        if bold:
            run.bold = True
    return paragraph


def tag(container: Container, statement: str) -> None:
    """A docxtpl paragraph tag (``{%p if … %}``): the whole paragraph is replaced by it."""
    container.add_paragraph(f"{{%p {statement} %}}", style=S_BODY)


def shade(cell: _Cell, fill: str) -> None:
    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


def letterhead(
    document: WordDocument, title_lines: list[str], facts: list[tuple[str, str]]
) -> None:
    """Two-column table: the service in charge (R112-5 2°) and the letter's title box."""
    table = document.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = (Cm(9.3), BODY_WIDTH - Cm(9.3))
    left, right = table.rows[0].cells
    for cell, width in zip((left, right), widths, strict=True):
        cell.width = width

    # The commune's logo, when it has one; without one the three paragraphs vanish.
    left.paragraphs[0].text = "{%p if service.logo %}"
    para(left, "{{ service.logo }}", S_SERVICE)
    tag(left, "endif")
    first = para(left, "", S_AUTHORITY)
    first.add_run("{{ service.collectivite }}")
    para(left, "{{ service.designation }}", S_SERVICE).runs[0].bold = True
    tag(left, "for ligne in service.adresse")
    para(left, "{{ ligne }}", S_SERVICE)
    tag(left, "endfor")
    para(left, "{{ service.code_postal }} {{ service.ville }}", S_SERVICE)
    para(left, f"{label('Tél.')} {{{{ service.telephone }}}}", S_SERVICE)
    para(left, f"{label('Courriel')} {{{{ service.courriel }}}}", S_SERVICE)

    shade(right, "E8EEF5")
    title = right.paragraphs[0]
    title.style = document.styles[S_TITLE]
    title.add_run(title_lines[0])
    for line in title_lines[1:]:
        para(right, line, S_TITLE)
    # Air around the title block only, not between its lines.
    right.paragraphs[0].paragraph_format.space_before = Pt(4)
    right.paragraphs[-1].paragraph_format.space_after = Pt(6)
    for name, value in facts:
        fact = para(right, [(label(name) + " ", True), value], S_REFERENCE)
        fact.paragraph_format.left_indent = Cm(0.3)


def recipient_block(document: WordDocument) -> None:
    para(document, "", S_ADDRESS).paragraph_format.space_before = Pt(24)
    para(document, "{{ usager.nom }}", S_ADDRESS)
    tag(document, "for ligne in usager.adresse")
    para(document, "{{ ligne }}", S_ADDRESS)
    tag(document, "endfor")
    tag(document, "if not usager.adresse and usager.courriel")
    para(document, f"{label('Par courriel')} {{{{ usager.courriel }}}}", S_ADDRESS)
    tag(document, "endif")
    para(document, "{{ lieu }}, le {{ date_courrier }}", S_DATE)


def subject_block(document: WordDocument, subject: str) -> None:
    para(document, [(label("Objet") + " ", True), subject], S_REFERENCE)
    para(document, [(label("Réf.") + " ", True), "{{ numero }} – {{ demarche.nom }}"], S_REFERENCE)
    para(
        document,
        [(label("Dossier suivi par") + " ", True), "{{ service.designation }}"],
        S_REFERENCE,
    ).paragraph_format.space_after = Pt(16)
    para(document, "Madame, Monsieur,")


def service_in_charge(document: WordDocument) -> None:
    """R112-5 2°: designation, postal address, e-mail and phone of the service in charge."""
    para(
        document,
        [
            "Votre dossier est suivi par le service suivant, auquel vous pouvez adresser "
            "toute correspondance en rappelant la référence ",
            ("{{ numero }}", True),
            f"{NBSP}: {{{{ service.designation }}}}, {{{{ service.collectivite }}}}, "
            "{{ service.adresse_complete }} ; téléphone : {{ service.telephone }} ; "
            "courriel : {{ service.courriel }}.",
        ],
    )


def signature(document: WordDocument) -> None:
    para(
        document,
        "Je vous prie d'agréer, Madame, Monsieur, l'expression de mes salutations distinguées.",
    )
    para(document, "{{ signataire_qualite }}", S_SIGNATURE).paragraph_format.space_before = Pt(12)
    para(document, [("{{ signataire_nom }}", True)], S_SIGNATURE)


def missing_documents_list(document: WordDocument) -> None:
    tag(document, "for piece in pieces_manquantes")
    para(document, "–\t{{ piece }}", S_BULLET)
    tag(document, "endfor")


def implicit_acceptance_section(document: WordDocument, *, suspended_wording: bool) -> None:
    """SVA: the date of deemed acceptance and the right to an attestation (L232-3)."""
    tag(document, "if sva")
    para(document, "Décision implicite d'acceptation", S_HEADING)
    tag(document, "if date_decision_implicite")
    para(
        document,
        [
            "Pour cette démarche, le silence gardé par l'administration pendant "
            "{{ demarche.delai }} vaut décision d'acceptation (article L231-1 du " + CRPA + "). "
            "En l'absence de décision expresse, votre demande "
            "{% if decision_implicite_acquise %}est{% else %}sera{% endif %} ",
            (
                "réputée acceptée {% if decision_implicite_acquise %}depuis {% endif %}"
                "le {{ date_decision_implicite }}",
                True,
            ),
            ".",
        ],
    )
    if suspended_wording:
        tag(document, "else")
        para(
            document,
            [
                "Pour cette démarche, le silence gardé par l'administration pendant "
                "{{ demarche.delai }} vaut décision d'acceptation (article L231-1 du "
                + CRPA
                + "). Ce délai ne court qu'à compter de la réception de l'ensemble des pièces "
                "demandées ci-dessus : en l'absence de décision expresse, votre demande sera ",
                (
                    "réputée acceptée {{ demarche.delai }} après la réception de la dernière "
                    "pièce manquante",
                    True,
                ),
                ".",
            ],
        )
    tag(document, "endif")
    para(
        document,
        "{% if decision_implicite_acquise %}Votre demande étant ainsi réputée acceptée, vous "
        "pouvez obtenir{% else %}Lorsque votre demande sera ainsi réputée acceptée, vous "
        "pourrez obtenir{% endif %}, sur simple "
        "demande adressée au service indiqué ci-dessous, une attestation de cette décision "
        "implicite d'acceptation, en application de l'article L232-3 du " + CRPA + ".",
    )
    tag(document, "endif")


def implicit_rejection_section(document: WordDocument, *, suspended_wording: bool) -> None:
    """SVR: the date of deemed rejection, then the appeal routes and delays (R112-5)."""
    tag(document, "if svr")
    para(document, "Décision implicite de rejet", S_HEADING)
    tag(document, "if date_decision_implicite")
    para(
        document,
        [
            "Pour cette démarche, le silence gardé par l'administration pendant "
            "{{ demarche.delai }} vaut décision de rejet (article L231-4 du " + CRPA + "). "
            "En l'absence de décision expresse, votre demande "
            "{% if decision_implicite_acquise %}est{% else %}sera{% endif %} ",
            (
                "réputée rejetée {% if decision_implicite_acquise %}depuis {% endif %}"
                "le {{ date_decision_implicite }}",
                True,
            ),
            ".",
        ],
    )
    if suspended_wording:
        tag(document, "else")
        para(
            document,
            [
                "Pour cette démarche, le silence gardé par l'administration pendant "
                "{{ demarche.delai }} vaut décision de rejet (article L231-4 du " + CRPA + "). "
                "Ce délai ne court qu'à compter de la réception de l'ensemble des pièces "
                "demandées ci-dessus : en l'absence de décision expresse, votre demande sera ",
                (
                    "réputée rejetée {{ demarche.delai }} après la réception de la dernière "
                    "pièce manquante",
                    True,
                ),
                ".",
            ],
        )
    tag(document, "endif")
    para(document, "Voies et délais de recours", S_HEADING)
    para(
        document,
        "Si votre demande est implicitement rejetée, vous pourrez contester cette décision "
        "dans un délai de deux mois à compter de la date à laquelle elle sera née :",
    )
    para(
        document,
        [
            "–\t",
            ("par un recours gracieux", True),
            " auprès de l'auteur de la décision ({{ service.collectivite }}), ou ",
            ("par un recours hiérarchique", True),
            " adressé à l'autorité supérieure, ",
            ("dans un délai de deux mois", True),
            " ; ce recours prolonge le délai du recours contentieux, qui ne recommence à courir "
            "qu'à compter de la réponse de l'administration (son silence pendant deux mois "
            "valant rejet) ;",
        ],
        S_BULLET,
    )
    para(
        document,
        [
            "–\t",
            ("par un recours contentieux devant {{ service.tribunal }}", True),
            ", ",
            ("dans un délai de deux mois", True),
            ". Le tribunal administratif peut être saisi par l'application ",
            (q("Télérecours citoyens"), True),
            " accessible sur le site www.telerecours.fr.",
        ],
        S_BULLET,
    )
    para(
        document,
        "Dans le délai du recours contentieux, vous pouvez aussi demander la communication des "
        "motifs de la décision implicite de rejet (article L232-4 du " + CRPA + ") ; ils vous "
        "seront communiqués dans le mois qui suit et le délai de recours sera prorogé jusqu'à "
        "l'expiration de deux mois suivant le jour où ils vous auront été communiqués.",
    ).paragraph_format.space_before = Pt(4)
    tag(document, "endif")


def no_implicit_decision_section(document: WordDocument) -> None:
    tag(document, "if sans_decision_implicite")
    para(document, "Absence de décision implicite", S_HEADING)
    para(
        document,
        "Cette démarche ne donne pas lieu à une décision implicite : le silence gardé par "
        "l'administration ne vaudra ni acceptation ni rejet de votre demande. Une réponse "
        "expresse vous sera adressée par le service indiqué ci-dessous.",
    )
    tag(document, "endif")


def missing_documents_section(document: WordDocument) -> None:
    """L114-5: the list, the delay to send them, and the clock that waits for them."""
    tag(document, "if pieces_manquantes")
    para(document, "Pièces manquantes", S_HEADING)
    para(
        document,
        [
            "Votre dossier est incomplet. Pour permettre son instruction, merci de nous "
            "transmettre les pièces ou informations suivantes ",
            ("au plus tard le {{ date_limite_pieces }}", True),
            f"{NBSP}:",
        ],
    )
    missing_documents_list(document)
    tag(document, "if sans_decision_implicite")
    para(
        document,
        "L'instruction de votre demande reprendra dès la réception de l'ensemble de ces "
        "pièces et informations (article L114-5 du " + CRPA + ").",
    ).paragraph_format.space_before = Pt(4)
    tag(document, "else")
    para(
        document,
        "En application de l'article L114-5 du " + CRPA + ", le délai au terme duquel, "
        "à défaut de décision expresse, votre demande sera réputée "
        "{% if svr %}rejetée{% else %}acceptée{% endif %} ne court qu'à compter de la "
        "réception de l'ensemble de ces pièces et informations.",
    ).paragraph_format.space_before = Pt(4)
    tag(document, "endif")
    tag(document, "endif")


# --------------------------------------------------------------------------------------------
# The four letters
# --------------------------------------------------------------------------------------------


def registration_receipt() -> WordDocument:
    """Accusé d'enregistrement électronique (L112-11, R112-11-1): states the date of receipt."""
    document = new_document("Accusé d'enregistrement électronique")
    add_footer(document)
    letterhead(
        document,
        ["Accusé", "d'enregistrement", "électronique"],
        [("Réf.", "{{ numero }}"), ("Reçue le", "{{ date_reception }} à {{ heure_reception }}")],
    )
    recipient_block(document)
    subject_block(document, f"Enregistrement de votre demande {q('{{ objet }}')}")
    para(
        document,
        [
            "Votre demande ",
            (q("{{ objet }}"), True),
            " ({{ demarche.nom }}), transmise {{ canal_mode }}, ",
            ("a été reçue le {{ date_reception }} à {{ heure_reception }}", True),
            ". Elle est enregistrée sous la référence ",
            ("{{ numero }}", True),
            ", à rappeler dans toute correspondance.",
        ],
    )
    para(
        document,
        "Le présent accusé d'enregistrement électronique, délivré en application de l'article "
        "L112-11 du " + CRPA + ", atteste la bonne réception de votre envoi. Il ne préjuge ni "
        "du caractère complet de votre dossier ni de la suite qui lui sera donnée.",
    )
    para(
        document,
        "Un accusé de réception vous sera adressé dans un délai de dix jours ouvrés "
        "(article R112-11-1 du même code). Il vous indiquera, selon la démarche, la date à "
        "laquelle votre demande sera réputée acceptée ou rejetée en l'absence de décision "
        "expresse, ainsi que, le cas échéant, les pièces manquantes à fournir.",
    )
    service_in_charge(document)
    signature(document)
    para(
        document,
        "Si vous n'avez pas effectué cette démarche, signalez-le au service ci-dessus.",
        S_NOTE,
    )
    return document


def acknowledgement() -> WordDocument:
    """Accusé de réception (L112-3, R112-5): every mention, sections chosen by the rule."""
    document = new_document("Accusé de réception")
    add_footer(document)
    letterhead(
        document,
        ["Accusé de réception"],
        [
            ("Réf.", "{{ numero }}"),
            ("Reçue le", "{{ date_reception }}"),
            ("Démarche", "{{ demarche.nom }}"),
        ],
    )
    recipient_block(document)
    subject_block(document, f"Accusé de réception de votre demande {q('{{ objet }}')}")
    para(
        document,
        [
            "Nous accusons réception de votre demande ",
            (q("{{ objet }}"), True),
            " ({{ demarche.nom }}), transmise {{ canal_mode }} et ",
            ("reçue le {{ date_reception }}", True),
            ". Elle est enregistrée sous la référence ",
            ("{{ numero }}", True),
            ".",
        ],
    )
    missing_documents_section(document)
    implicit_acceptance_section(document, suspended_wording=True)
    implicit_rejection_section(document, suspended_wording=True)
    no_implicit_decision_section(document)
    para(document, "Service chargé de votre dossier", S_HEADING)
    service_in_charge(document)
    signature(document)
    para(
        document,
        "Accusé de réception établi le {{ date_accuse }} en application des articles L112-3 "
        "et R112-5 du " + CRPA + ".",
        S_NOTE,
    )
    return document


def missing_documents_letter() -> WordDocument:
    """Demande de pièces manquantes (L114-5): list, delay, and the suspended clock."""
    document = new_document("Demande de pièces manquantes")
    add_footer(document)
    letterhead(
        document,
        ["Demande de", "pièces manquantes"],
        [
            ("Réf.", "{{ numero }}"),
            ("Reçue le", "{{ date_reception }}"),
            ("À fournir avant le", "{{ date_limite_pieces }}"),
        ],
    )
    recipient_block(document)
    subject_block(document, f"Pièces manquantes – demande {q('{{ objet }}')}")
    para(
        document,
        [
            "Votre demande ",
            (q("{{ objet }}"), True),
            " ({{ demarche.nom }}), reçue le {{ date_reception }} et enregistrée sous la "
            "référence {{ numero }}, ne peut pas être instruite en l'état : ",
            ("votre dossier est incomplet", True),
            ".",
        ],
    )
    para(
        document,
        [
            "Conformément à l'article L114-5 du " + CRPA + ", je vous invite à nous "
            "transmettre les pièces ou informations suivantes ",
            ("au plus tard le {{ date_limite_pieces_longue }}", True),
            f"{NBSP}:",
        ],
    )
    missing_documents_list(document)
    para(
        document,
        "Vous pouvez les adresser par courriel à {{ service.courriel }}, par courrier à "
        "l'adresse ci-dessus ou les déposer au guichet, en rappelant la référence "
        "{{ numero }}.",
    ).paragraph_format.space_before = Pt(4)
    para(document, "Effet sur le délai de décision", S_HEADING)
    tag(document, "if sans_decision_implicite")
    para(
        document,
        "L'instruction de votre demande reprendra dès la réception de l'ensemble de ces "
        "pièces et informations.",
    )
    tag(document, "else")
    para(
        document,
        [
            "Le délai de {{ demarche.delai }} au terme duquel, à défaut de décision expresse, "
            "votre demande sera réputée {% if svr %}rejetée{% else %}acceptée{% endif %} ",
            (
                "ne court qu'à compter de la réception de l'ensemble de ces pièces et informations",
                True,
            ),
            " (article L114-5 du " + CRPA + ").",
        ],
    )
    tag(document, "endif")
    tag(document, "if sva")
    para(
        document,
        "Lorsque votre demande sera réputée acceptée, vous pourrez obtenir, sur simple "
        "demande, une attestation de cette décision implicite d'acceptation (article L232-3 "
        "du même code).",
    )
    tag(document, "endif")
    tag(document, "if svr")
    para(
        document,
        "Si votre demande est implicitement rejetée, vous pourrez contester cette décision "
        "dans un délai de deux mois par un recours gracieux auprès de l'auteur de la décision "
        "({{ service.collectivite }}) ou un recours hiérarchique, puis par un recours contentieux "
        "devant {{ service.tribunal }} dans un délai de deux mois, y compris par l'application "
        + q("Télérecours citoyens")
        + " (www.telerecours.fr).",
    )
    tag(document, "endif")
    para(document, "Service chargé de votre dossier", S_HEADING)
    service_in_charge(document)
    signature(document)
    para(
        document,
        "Demande de pièces établie en application de l'article L114-5 du " + CRPA + ".",
        S_NOTE,
    )
    return document


def implicit_acceptance_certificate() -> WordDocument:
    """Attestation de décision implicite d'acceptation (L232-3)."""
    document = new_document("Attestation de décision implicite d'acceptation")
    add_footer(document)
    letterhead(
        document,
        ["Attestation", "d'accord tacite"],
        [("Réf.", "{{ numero }}"), ("Accord né le", "{{ date_decision_implicite }}")],
    )
    recipient_block(document)
    para(
        document,
        [
            (label("Objet") + " ", True),
            "Attestation de décision implicite d'acceptation (article L232-3 du " + CRPA + ")",
        ],
        S_REFERENCE,
    )
    para(
        document, [(label("Réf.") + " ", True), "{{ numero }} – {{ demarche.nom }}"], S_REFERENCE
    ).paragraph_format.space_after = Pt(16)
    para(
        document,
        [
            "Je soussigné(e), ",
            ("{{ signataire_nom }}", True),
            " ({{ signataire_qualite }}, {{ service.collectivite }}), atteste que "
            "la demande désignée ci-après a fait l'objet d'une ",
            ("décision implicite d'acceptation née le {{ date_decision_implicite }}", True),
            f"{NBSP}:",
        ],
    )
    for name, value in (
        ("Demandeur", "{{ usager.nom }}"),
        ("Objet de la demande", "{{ objet }}"),
        ("Démarche", "{{ demarche.nom }}"),
        ("Référence", "{{ numero }}"),
        ("Reçue le", "{{ date_reception }} ({{ canal }})"),
    ):
        para(document, ["–\t", (label(name) + " ", True), value], S_BULLET)
    para(
        document,
        "Aucune décision expresse n'ayant été notifiée dans le délai de {{ demarche.delai }} "
        "applicable à cette démarche, le silence gardé par l'administration vaut décision "
        "d'acceptation en application de l'article L231-1 du " + CRPA + ".",
    ).paragraph_format.space_before = Pt(6)
    para(
        document,
        "La présente attestation est délivrée en application de l'article L232-3 du même code, "
        "pour servir et valoir ce que de droit.",
    )
    para(document, "{{ signataire_qualite }}", S_SIGNATURE).paragraph_format.space_before = Pt(12)
    para(document, [("{{ signataire_nom }}", True)], S_SIGNATURE)
    return document


# --------------------------------------------------------------------------------------------
# The replies (issue 10): drafts the secrétaire completes in Word before the parapheur
# --------------------------------------------------------------------------------------------


def to_complete(paragraph: Paragraph, text: str) -> None:
    """A « [à compléter] » passage, highlighted in yellow so it cannot be missed in Word."""
    run = paragraph.add_run(text)
    run.font.highlight_color = WD_COLOR_INDEX.YELLOW


def reply_letter(title_lines: list[str], title: str, subject: str) -> WordDocument:
    """Letterhead, address window, subject and « Madame, Monsieur, » of every reply."""
    document = new_document(title)
    add_footer(document)
    letterhead(
        document,
        title_lines,
        [("Réf.", "{{ numero }}"), ("Demande reçue le", "{{ date_reception }}")],
    )
    recipient_block(document)
    subject_block(document, subject)
    return document


def reply_closing(document: WordDocument) -> None:
    para(document, "Service chargé de votre dossier", S_HEADING)
    service_in_charge(document)
    signature(document)


def acceptance_reply() -> WordDocument:
    """Réponse favorable: the decision, its conditions, its date."""
    document = reply_letter(
        ["Réponse", "à votre demande"], "Réponse favorable", f"Votre demande {q('{{ objet }}')}"
    )
    para(
        document,
        [
            "Par votre demande ",
            (q("{{ objet }}"), True),
            " ({{ demarche.nom }}), reçue le {{ date_reception }} et enregistrée sous la "
            "référence {{ numero }}, vous avez sollicité ",
        ],
    )
    to_complete(document.paragraphs[-1], "[rappelez ici l'objet précis de la demande]")
    document.paragraphs[-1].add_run(".")
    para(
        document,
        [
            "J'ai le plaisir de vous informer que ",
            ("votre demande est acceptée", True),
            ".",
        ],
    )
    conditions = para(document, "")
    to_complete(
        conditions,
        "[Le cas échéant, précisez ici les conditions, la durée ou les modalités de cet accord, "
        "ou supprimez ce paragraphe.]",
    )
    reply_closing(document)
    return document


def reasoned_refusal() -> WordDocument:
    """Refus motivé (L211-2, L211-5): reasons in law and in fact, then the appeal routes."""
    document = reply_letter(
        ["Réponse", "à votre demande"], "Refus motivé", f"Votre demande {q('{{ objet }}')}"
    )
    para(
        document,
        [
            "Par votre demande ",
            (q("{{ objet }}"), True),
            " ({{ demarche.nom }}), reçue le {{ date_reception }} et enregistrée sous la "
            "référence {{ numero }}, vous avez sollicité ",
        ],
    )
    to_complete(document.paragraphs[-1], "[rappelez ici l'objet précis de la demande]")
    document.paragraphs[-1].add_run(".")
    para(
        document,
        [
            "J'ai le regret de vous informer que ",
            ("je ne peux pas donner une suite favorable à votre demande", True),
            ", pour les motifs suivants.",
        ],
    )
    para(document, "Motifs de la décision", S_HEADING)
    law = para(document, "En droit : ")
    to_complete(
        law,
        "[citez les textes applicables : code, article, délibération ou arrêté, avec leur date]",
    )
    law.add_run(".")
    fact = para(document, "En fait : ")
    to_complete(
        fact,
        "[exposez les circonstances propres à votre demande qui conduisent au refus]",
    )
    fact.add_run(".")
    para(
        document,
        "La présente décision est motivée conformément aux articles L211-2 et L211-5 du "
        + CRPA
        + ".",
    )
    para(document, "Voies et délais de recours", S_HEADING)
    para(
        document,
        "Si vous estimez cette décision contestable, vous pouvez, dans un délai de deux mois à "
        "compter de sa notification :",
    )
    para(
        document,
        [
            "–\t",
            ("former un recours gracieux", True),
            " auprès de l'auteur de la décision ({{ service.collectivite }}, "
            "{{ service.adresse_complete }}) ; ce recours prolonge le délai du recours "
            "contentieux, qui ne recommence à courir qu'à compter de la réponse de "
            "l'administration (son silence pendant deux mois valant rejet) ;",
        ],
        S_BULLET,
    )
    para(
        document,
        [
            "–\t",
            ("former un recours contentieux devant {{ service.tribunal }}", True),
            ", ",
            ("dans un délai de deux mois", True),
            " à compter de la notification de la présente décision ou de la réponse à votre "
            "recours gracieux (article R421-1 du code de justice administrative). Le tribunal "
            "administratif peut être saisi par l'application ",
            (q("Télérecours citoyens"), True),
            " accessible sur le site www.telerecours.fr.",
        ],
        S_BULLET,
    )
    reply_closing(document)
    return document


def clarification_request() -> WordDocument:
    """Demande de précisions: a question to the citizen that is not a missing document."""
    document = reply_letter(
        ["Demande", "de précisions"],
        "Demande de précisions",
        f"Précisions sur votre demande {q('{{ objet }}')}",
    )
    para(
        document,
        [
            "Votre demande ",
            (q("{{ objet }}"), True),
            " ({{ demarche.nom }}), reçue le {{ date_reception }}, est en cours d'examen sous "
            "la référence {{ numero }}. Afin de pouvoir l'instruire, je vous remercie de bien "
            "vouloir me préciser les points suivants :",
        ],
    )
    point = para(document, "–\t", S_BULLET)
    to_complete(point, "[première question]")
    point = para(document, "–\t", S_BULLET)
    to_complete(point, "[deuxième question, ou supprimez cette ligne]")
    para(
        document,
        "Vous pouvez répondre par courriel à {{ service.courriel }}, par courrier à l'adresse "
        "ci-dessus ou au guichet, en rappelant la référence {{ numero }}.",
    ).paragraph_format.space_before = Pt(4)
    para(
        document,
        "S'il s'agit de pièces manquantes au sens de l'article L114-5 du " + CRPA + ", "
        "utilisez plutôt la « Demande de pièces manquantes », qui suspend le délai de décision.",
        S_NOTE,
    )
    reply_closing(document)
    return document


def convocation() -> WordDocument:
    """Convocation: when, where, what to bring."""
    document = reply_letter(
        ["Convocation"], "Convocation", f"Convocation – demande {q('{{ objet }}')}"
    )
    para(
        document,
        [
            "Dans le cadre de l'examen de votre demande ",
            (q("{{ objet }}"), True),
            " ({{ demarche.nom }}, référence {{ numero }}), je vous prie de bien vouloir vous "
            "présenter :",
        ],
    )
    when = para(document, [("–\tle ", True)], S_BULLET)
    to_complete(when, "[jour et date]")
    when.add_run(" à ").bold = True
    to_complete(when, "[heure]")
    where = para(document, [("–\tà ", True)], S_BULLET)
    to_complete(where, "[lieu : mairie, salle, adresse]")
    bring = para(document, "Merci de vous munir de ")
    to_complete(bring, "[pièce d'identité, documents originaux…]")
    bring.add_run(".")
    para(
        document,
        "En cas d'empêchement, merci de prévenir le service au {{ service.telephone }} ou à "
        "{{ service.courriel }} afin de convenir d'un autre rendez-vous.",
    )
    reply_closing(document)
    return document


def certificate() -> WordDocument:
    """Attestation (other than the tacit-acceptance one, which has its own letter)."""
    document = new_document("Attestation")
    add_footer(document)
    letterhead(document, ["Attestation"], [("Réf.", "{{ numero }}")])
    recipient_block(document)
    para(document, [(label("Objet") + " ", True), "Attestation"], S_REFERENCE)
    para(
        document, [(label("Réf.") + " ", True), "{{ numero }} – {{ demarche.nom }}"], S_REFERENCE
    ).paragraph_format.space_after = Pt(16)
    statement = para(
        document,
        [
            "Je soussigné(e), ",
            ("{{ signataire_nom }}", True),
            " ({{ signataire_qualite }}, {{ service.collectivite }}), atteste que ",
        ],
    )
    to_complete(statement, "[objet de l'attestation]")
    statement.add_run(".")
    para(
        document,
        "La présente attestation est délivrée à {{ usager.nom }}, à sa demande du "
        "{{ date_reception }}, pour servir et valoir ce que de droit.",
    )
    para(document, "{{ signataire_qualite }}", S_SIGNATURE).paragraph_format.space_before = Pt(12)
    para(document, [("{{ signataire_nom }}", True)], S_SIGNATURE)
    return document


def free_letter() -> WordDocument:
    """Courrier libre: the frame of a letter about the request, the body to write."""
    document = reply_letter(["Courrier"], "Courrier", f"Votre demande {q('{{ objet }}')}")
    body = para(document, "")
    to_complete(body, "[Votre texte]")
    reply_closing(document)
    return document


TEMPLATES: dict[str, Callable[[], WordDocument]] = {
    "accuse_enregistrement": registration_receipt,
    "accuse_reception": acknowledgement,
    "demande_pieces_manquantes": missing_documents_letter,
    "attestation_accord_tacite": implicit_acceptance_certificate,
    "reponse_accord": acceptance_reply,
    "reponse_refus_motive": reasoned_refusal,
    "demande_precisions": clarification_request,
    "convocation": convocation,
    "attestation": certificate,
    "courrier_libre": free_letter,
}


def build_all(output_dir: Path = HERE) -> list[Path]:
    """Write every default template to ``output_dir`` and return their paths."""
    output_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in TEMPLATES.items():
        path = output_dir / f"{name}.docx"
        build().save(str(path))
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=HERE)
    arguments = parser.parse_args()
    for path in build_all(arguments.output_dir):
        print(path)


if __name__ == "__main__":
    main()
