"""No legal letter leaves without its mentions (CRPA R112-5, L112-6, L114-5, L232-3).

An acknowledgement that lacks one of the mentions of R112-5 makes the appeal delays
unenforceable against the citizen (L112-6): the mairie would believe a decision final when it is
not. So the text of every acknowledgement and request for missing documents is read back from
the produced .docx (body, tables, headers, footers) and each mention looked for:

- the date of receipt;
- the date of the implicit decision (SVA / SVR, when the clock runs);
- the designation, postal address, e-mail address and phone of the service in charge;
- SVR: the appeal routes (recours gracieux ou hiérarchique, recours contentieux devant le
  tribunal administratif) and their delay (deux mois);
- SVA: the right to an attestation of the implicit acceptance (L232-3);
- missing documents: the list of them and the date by which to send them (L114-5).

A commune's own template is checked before it replaces the shipped one by rendering a sample for
each silence rule (SVA, SVR, none), with and without missing documents
(:func:`check_legal_template`); a produced letter is checked against its own request
(:func:`check_letter`). Both raise :class:`~.errors.MissingMention` naming what is missing.
"""

from __future__ import annotations

import io
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from sync.protocol.vocabulary import SILENCE_RULE_LABELS, SilenceRule

from .context import LetterContext
from .errors import MissingMention, TemplateError
from .fields import build_fields

#: Template names (without .docx) whose text is checked for mentions.
MENTION_CHECKED = frozenset({"accuse_reception", "demande_pieces_manquantes"})

_TITLES = {
    "accuse_reception": "l'accusé de réception",
    "demande_pieces_manquantes": "la demande de pièces manquantes",
}


def document_text(docx: bytes | Path) -> str:
    """All the text of a .docx as a reader sees it: body, tables (nested), headers, footers."""
    from docx import Document

    source = io.BytesIO(docx) if isinstance(docx, bytes) else str(docx)
    document = Document(source)
    chunks: list[str] = []
    # Every w:t of the main part, the headers and the footers, paragraph by paragraph: reading
    # the XML covers text boxes and nested tables that python-docx's object model skips.
    parts = [document.element.body]
    for section in document.sections:
        for part in (
            section.header,
            section.footer,
            section.first_page_header,
            section.first_page_footer,
            section.even_page_header,
            section.even_page_footer,
        ):
            if not part.is_linked_to_previous:
                parts.append(part._element)
    seen: set[int] = set()
    for element in parts:
        if id(element) in seen:
            continue
        seen.add(id(element))
        for paragraph in element.iter(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}p"
        ):
            texts = [
                node.text or ""
                for node in paragraph.iter(
                    "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"
                )
            ]
            chunks.append("".join(texts))
    return "\n".join(chunks)


def _normalise(text: str) -> str:
    """Case, accents-as-composed, apostrophes and spaces folded so « l’article » matches."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u2019", "'").replace("\u00a0", " ").replace("\u202f", " ")
    return re.sub(r"\s+", " ", text).casefold()


# A mention: its French name and the alternatives of which one must be found (each alternative
# a tuple of texts that must all be present).
Mention = tuple[str, tuple[tuple[str, ...], ...]]


def required_mentions(kind: str, context: LetterContext) -> list[Mention]:
    """The mentions ``kind`` must state for this request, each with the texts that prove it."""
    values = build_fields(context)
    service = values["service"]
    rule = context.procedure.silence_rule
    found: list[Mention] = []
    if kind == "accuse_reception":
        found.append(("la date de réception de la demande", ((values["date_reception"],),)))
        if rule is not SilenceRule.NONE and context.implicit_decision_on is not None:
            found.append(
                (
                    "la date à laquelle la demande sera réputée "
                    + ("acceptée" if rule is SilenceRule.ACCEPT else "rejetée"),
                    ((values["date_decision_implicite"],),),
                )
            )
    found.append(("la désignation du service chargé du dossier", ((service["designation"],),)))
    address = tuple(line for line in service["adresse"] if line)
    found.append(
        (
            "l'adresse postale du service",
            ((*address, service["code_postal"], service["ville"]),),
        )
    )
    if service["courriel"]:
        found.append(("l'adresse électronique du service", ((service["courriel"],),)))
    if service["telephone"]:
        found.append(("le numéro de téléphone du service", ((service["telephone"],),)))
    if rule is SilenceRule.REJECT and (kind == "accuse_reception" or context.missing_documents):
        found.append(
            (
                "les voies de recours contre une décision implicite de rejet (recours gracieux "
                "ou hiérarchique)",
                (("recours gracieux",), ("recours hiérarchique",)),
            )
        )
        found.append(
            (
                "le recours contentieux devant le tribunal administratif",
                (("recours contentieux", "tribunal administratif"),),
            )
        )
        found.append(("le délai de recours de deux mois", (("deux mois",), ("2 mois",))))
    if rule is SilenceRule.ACCEPT and kind == "accuse_reception":
        found.append(
            (
                "le droit d'obtenir une attestation de décision implicite d'acceptation "
                "(article L232-3)",
                (("attestation",),),
            )
        )
    if context.missing_documents:
        found.append(("la liste des pièces manquantes", (tuple(context.missing_documents),)))
        found.append(
            (
                "la date limite d'envoi des pièces manquantes (article L114-5)",
                ((values["date_limite_pieces"],),),
            )
        )
    return found


def missing_mentions(text: str, kind: str, context: LetterContext) -> list[str]:
    """The names of the mentions not found in ``text`` (empty: complete)."""
    haystack = _normalise(text)
    missing = []
    for name, alternatives in required_mentions(kind, context):
        if not any(all(_normalise(t) in haystack for t in group) for group in alternatives):
            missing.append(name)
    return missing


def _refusal(template: Path, kind: str, missing: list[str], rule: SilenceRule | None) -> str:
    title = _TITLES.get(kind, "ce courrier")
    case = f" (démarche où « {SILENCE_RULE_LABELS[rule].lower()} »)" if rule is not None else ""
    listed = " ; ".join(missing)
    return (
        f"Le modèle « {template.name} » ({template.parent}) est refusé : {title}{case} ne "
        f"comporte pas {listed}. Ces mentions sont obligatoires (articles R112-5 et L114-5 du "
        "code des relations entre le public et l'administration) : sans elles, les délais de "
        "recours ne sont pas opposables à l'usager (article L112-6). Rétablissez-les dans "
        "Word."
    )


def check_letter(docx: bytes | Path, kind: str, context: LetterContext, template: Path) -> None:
    """Raise :class:`MissingMention` when the produced letter lacks a mention (no-op for
    letters that are not checked)."""
    if kind not in MENTION_CHECKED:
        return
    missing = missing_mentions(document_text(docx), kind, context)
    if missing:
        rule = context.procedure.silence_rule
        raise MissingMention(
            _refusal(Path(template), kind, missing, rule), tuple(missing), rule.value
        )


def sample_contexts(kind: str) -> list[LetterContext]:
    """The samples a commune's template is rendered with: each rule, with missing documents
    (and, for the acknowledgement, without)."""
    from .samples import sample_context

    contexts = []
    for rule in (SilenceRule.ACCEPT, SilenceRule.REJECT, SilenceRule.NONE):
        if kind == "accuse_reception":
            contexts.append(sample_context(rule))
        contexts.append(sample_context(rule, missing_documents=True))
    return contexts


def check_legal_template(path: Path, kind: str) -> None:
    """Refuse a commune's acknowledgement or missing-documents template that drops a mention.

    Also raises the template's own problems (unknown field, unclosed condition…). Cached per
    file version, so the check runs once per saved template, not once per letter.
    """
    path = Path(path)
    stat = path.stat()
    problem = _legal_template_problem(str(path), kind, stat.st_mtime_ns, stat.st_size)
    if problem is not None:
        raise problem


@lru_cache(maxsize=64)
def _legal_template_problem(path: str, kind: str, mtime_ns: int, size: int) -> TemplateError | None:
    from .render import render_bytes

    template = Path(path)
    for context in sample_contexts(kind):
        try:
            data = render_bytes(template, context)
        except TemplateError as exc:
            return exc
        missing = missing_mentions(document_text(data), kind, context)
        if missing:
            rule = context.procedure.silence_rule
            return MissingMention(
                _refusal(template, kind, missing, rule), tuple(missing), rule.value
            )
    return None
