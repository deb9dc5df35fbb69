"""Render a letter from a Word template with docxtpl, safely.

docxtpl (Jinja on the document XML) is used rather than plain python-docx replacement because
Word splits text into runs wherever it likes (spell-check marks, an edit in the middle of a
word): ``{{ numero }}`` typed by a secrétaire may be stored as ``{{ `` + ``numero }}``, and
docxtpl merges such fields back before rendering.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import sys
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.domain.french import format_date_fr
from sync.protocol.vocabulary import SilenceRule

from .context import LetterContext
from .errors import (
    IncompleteContext,
    MissingMention,
    OutputError,
    TemplateError,
    TemplateNotFound,
)
from .fields import build_fields

if TYPE_CHECKING:  # docxtpl and Jinja load on the first letter, not at application start-up
    from jinja2 import Environment

_log = logging.getLogger(__name__)


class LetterKind(StrEnum):
    """The letters of issue 5; the value is the template's file name without ``.docx``."""

    REGISTRATION_RECEIPT = "accuse_enregistrement"
    ACKNOWLEDGEMENT = "accuse_reception"
    MISSING_DOCUMENTS = "demande_pieces_manquantes"
    IMPLICIT_ACCEPTANCE_CERTIFICATE = "attestation_accord_tacite"


LETTER_TITLES: dict[LetterKind, str] = {
    LetterKind.REGISTRATION_RECEIPT: "l'accusé d'enregistrement",
    LetterKind.ACKNOWLEDGEMENT: "l'accusé de réception",
    LetterKind.MISSING_DOCUMENTS: "la demande de pièces manquantes",
    LetterKind.IMPLICIT_ACCEPTANCE_CERTIFICATE: "l'attestation d'accord tacite",
}

# Accept the glossary's English names too (« registration_receipt » …) so callers can pass
# the same words as the event kinds.
_ALIASES: dict[str, LetterKind] = {
    "registration_receipt": LetterKind.REGISTRATION_RECEIPT,
    "acknowledgement": LetterKind.ACKNOWLEDGEMENT,
    "missing_documents": LetterKind.MISSING_DOCUMENTS,
    "implicit_acceptance_certificate": LetterKind.IMPLICIT_ACCEPTANCE_CERTIFICATE,
}


def default_template_dir() -> Path:
    """``resources/templates`` of the source tree, or of the PyInstaller bundle when frozen."""
    bundle = getattr(sys, "_MEIPASS", None)
    root = Path(bundle) if bundle else Path(__file__).resolve().parents[2]
    return root / "resources" / "templates"


def _letter_kind(kind: LetterKind | str) -> LetterKind:
    if isinstance(kind, LetterKind):
        return kind
    if kind in _ALIASES:
        return _ALIASES[kind]
    try:
        return LetterKind(kind)
    except ValueError:
        raise ValueError(f"unknown letter kind: {kind!r}") from None


@dataclass(frozen=True)
class ResolvedTemplate:
    """The template a letter is produced from, and why the commune's own was refused if so."""

    path: Path
    refusal: str | None = None


def _candidates(name: str, template_dir: Path | None) -> list[Path]:
    candidates = [Path(template_dir) / name] if template_dir else []
    candidates.append(default_template_dir() / name)
    return candidates


def resolve_template(kind: LetterKind | str, template_dir: Path | None = None) -> ResolvedTemplate:
    """The authority's own template when it has one (and, for an acknowledgement or a request
    for missing documents, when it keeps every R112-5 mention), else the shipped one.

    ``refusal`` (French) says why the commune's own was set aside. A commune template with
    another problem (not a .docx, unknown field…) is returned as is: rendering it raises the
    French error, as for any template.
    """
    from .mentions import MENTION_CHECKED, check_legal_template

    letter = _letter_kind(kind)
    name = f"{letter.value}.docx"
    candidates = _candidates(name, template_dir)
    own = candidates[0] if template_dir else None
    shipped = candidates[-1]
    if own is not None and own.is_file():
        if letter.value not in MENTION_CHECKED:
            return ResolvedTemplate(own)
        try:
            check_legal_template(own, letter.value)
        except MissingMention as exc:
            # A broken file or a misspelt field is the commune's to fix, and is raised; a
            # letter without its legal mentions must not wait for that: the shipped one goes.
            if not shipped.is_file():
                raise
            return ResolvedTemplate(
                shipped,
                f"{exc} Le modèle fourni avec bannette est utilisé à sa place.",
            )
        return ResolvedTemplate(own)
    if shipped.is_file():
        return ResolvedTemplate(shipped)
    searched = " ; ".join(str(c) for c in candidates)
    raise TemplateNotFound(
        f"Modèle de document introuvable : « {name} ». Dossiers consultés : {searched}. "
        "Vérifiez l'installation ou déposez ce modèle dans le dossier des modèles de la "
        "collectivité."
    )


def find_template(kind: LetterKind | str, template_dir: Path | None = None) -> Path:
    """The template :func:`render_letter` would use (see :func:`resolve_template`)."""
    return resolve_template(kind, template_dir).path


def check_context(kind: LetterKind, context: LetterContext) -> None:
    """Refuse to produce a letter that would lack a mention the law requires.

    A letter with a blank where the decision date should be is worse than no letter: the
    delays of appeal would not run against the citizen (L112-6) and the mairie would not know.
    """
    rule = context.procedure.silence_rule
    title = LETTER_TITLES[kind]
    if kind is LetterKind.REGISTRATION_RECEIPT and not context.channel.is_electronic:
        raise IncompleteContext(
            "L'accusé d'enregistrement ne concerne que les demandes reçues par voie "
            "électronique (article L112-11 du CRPA) ; pour cette demande, éditez directement "
            "l'accusé de réception."
        )
    if context.missing_documents and context.missing_documents_deadline is None:
        raise IncompleteContext(
            f"Impossible d'éditer {title} : indiquez la date limite d'envoi des pièces "
            "manquantes (article L114-5 du CRPA)."
        )
    if kind is LetterKind.MISSING_DOCUMENTS and not context.missing_documents:
        raise IncompleteContext(
            "Impossible d'éditer la demande de pièces : aucune pièce manquante n'est indiquée."
        )
    if (
        kind is LetterKind.ACKNOWLEDGEMENT
        and rule is not SilenceRule.NONE
        and context.implicit_decision_on is None
        and not context.missing_documents
    ):
        raise IncompleteContext(
            "Impossible d'éditer l'accusé de réception : la date de la décision implicite "
            "n'est pas connue (article R112-5 du CRPA)."
        )
    if kind is LetterKind.IMPLICIT_ACCEPTANCE_CERTIFICATE:
        if rule is not SilenceRule.ACCEPT:
            raise IncompleteContext(
                "Une attestation d'accord tacite ne peut être délivrée que pour une démarche "
                "où le silence vaut accord (article L232-3 du CRPA)."
            )
        decided = context.implicit_decision_on
        if decided is None or decided > context.letter_date:
            when = f" : il naîtra le {format_date_fr(decided)}" if decided else ""
            raise IncompleteContext(
                f"L'accord tacite n'est pas encore acquis{when}. L'attestation ne peut pas "
                "être datée d'avant sa naissance."
            )


def output_name(kind: LetterKind, context: LetterContext) -> str:
    """``2026-000123_accuse_reception.docx``: sorts by request, safe on Windows."""
    number = re.sub(r'[<>:"/\\|?*\x00-\x1f]+', "_", context.number).strip(" .") or "sans-numero"
    return f"{number}_{kind.value}.docx"


def _jinja_environment() -> Environment:
    from .checks import jinja_environment

    return jinja_environment()


def _template_error(template: Path, exc: Exception) -> TemplateError:
    from jinja2 import TemplateSyntaxError, UndefinedError

    detail = str(exc)
    if isinstance(exc, UndefinedError):
        hint = "un champ de fusion inconnu y est utilisé"
    elif isinstance(exc, TemplateSyntaxError):
        hint = "un champ ou une condition y est mal écrit"
        if exc.lineno:
            detail = f"{detail} (ligne {exc.lineno} du XML)"
    else:
        hint = "il ne peut pas être fusionné"
    return TemplateError(
        f"Le modèle « {template.name} » ({template.parent}) est incorrect : {hint} ({detail}). "
        "Corrigez-le dans Word en vous aidant de la liste des champs du fichier README.md "
        "des modèles."
    )


_PATCHED: dict[str, str] = {}
_PATCHED_LOCK = threading.Lock()


def _template_class() -> type:
    """docxtpl's template whose XML clean-up (``patch_xml``: merging fields Word split across
    runs, a few dozen regular expressions over the whole document) is remembered per source:
    it depends on the XML alone, and a template is rendered again and again."""
    global _TEMPLATE_CLASS
    if _TEMPLATE_CLASS is None:
        from docxtpl import DocxTemplate

        class RememberingTemplate(DocxTemplate):
            def patch_xml(self, src_xml: str) -> str:
                with _PATCHED_LOCK:
                    patched = _PATCHED.get(src_xml)
                if patched is None:
                    patched = super().patch_xml(src_xml)
                    with _PATCHED_LOCK:
                        if len(_PATCHED) >= 64:
                            _PATCHED.pop(next(iter(_PATCHED)))
                        _PATCHED[src_xml] = patched
                return patched

        _TEMPLATE_CLASS = RememberingTemplate
    return _TEMPLATE_CLASS


_TEMPLATE_CLASS: type | None = None


def render_bytes(template_path: Path, context: LetterContext) -> bytes:
    """Fill ``template_path`` with ``context`` and return the .docx bytes; writes nothing.

    The template is checked first (:func:`.checks.check_template`): a ``.doc``, a locked or
    damaged file, an unclosed condition or an unknown field is a French :class:`TemplateError`
    naming the template and the field.
    """
    from jinja2 import TemplateError as JinjaTemplateError

    from .checks import check_format, check_template

    template_path = Path(template_path)
    check_template(template_path)
    data = check_format(template_path, verify=False)
    try:
        document = _template_class()(io.BytesIO(data))
        fields = build_fields(context)
        if context.service.logo:
            fields["service"]["logo"] = _logo_image(document, context.service.logo)
        document.render(fields, jinja_env=_jinja_environment(), autoescape=True)
        buffer = io.BytesIO()
        document.save(buffer)
    except JinjaTemplateError as exc:
        raise _template_error(template_path, exc) from exc
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        # python-docx raises these for a file that is not a Word (.docx) document.
        raise TemplateError(
            f"Le modèle « {template_path.name} » ({template_path.parent}) n'est pas un "
            f"document Word (.docx) valide : {exc}. Enregistrez-le au format « Document Word »."
        ) from exc
    return buffer.getvalue()


#: The logo's box in the letterhead: 2 cm high, never wider than 8 cm (the cell is 9.3 cm).
LOGO_HEIGHT_MM = 20
LOGO_MAX_WIDTH_MM = 80


def _logo_image(document: Any, data: bytes) -> Any:
    """The commune's logo as a docxtpl ``InlineImage`` scaled to fit the letterhead cell."""
    from docx.image.image import Image
    from docx.shared import Mm
    from docxtpl import InlineImage

    image = Image.from_blob(data)
    ratio = image.px_width / max(image.px_height, 1)
    if LOGO_HEIGHT_MM * ratio > LOGO_MAX_WIDTH_MM:
        return InlineImage(document, io.BytesIO(data), width=Mm(LOGO_MAX_WIDTH_MM))
    return InlineImage(document, io.BytesIO(data), height=Mm(LOGO_HEIGHT_MM))


def write_document(data: bytes, target: Path) -> Path:
    """Write ``data`` to ``target`` atomically, with French errors (:class:`OutputError`).

    Refused while Word or LibreOffice has ``target`` open (its lock file is beside it): the
    secrétaire would otherwise lose the edits she has not saved yet.
    """
    from .checks import open_elsewhere

    target = Path(target)
    busy = open_elsewhere(target) if target.exists() else None
    if busy:
        raise OutputError(
            f"Impossible de remplacer « {target.name} » : {busy}. Fermez-le puis recommencez."
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(data, target)
    except PermissionError as exc:
        raise OutputError(
            f"Impossible d'écrire « {target.name} » dans {target.parent} : le fichier est "
            "peut-être ouvert dans Word ou LibreOffice, ou le dossier est protégé. Fermez le "
            "document puis recommencez."
        ) from exc
    except OSError as exc:
        raise OutputError(
            f"Impossible d'écrire « {target.name} » dans {target.parent} : {exc.strerror or exc}."
        ) from exc
    return target


def render_letter(
    kind: LetterKind | str,
    context: LetterContext,
    output_dir: Path,
    template_dir: Path | None = None,
    *,
    notices: list[str] | None = None,
) -> Path:
    """Render one letter to ``output_dir`` and return the path of the new .docx.

    ``template_dir`` is the authority's own template folder, searched before the defaults. A
    commune's own acknowledgement or missing-documents template that lacks an R112-5 mention is
    not used: the shipped one is, and the refusal (French) is appended to ``notices``. Every
    acknowledgement and request for missing documents is read back and checked for its
    mentions before it is written (:class:`MissingMention` otherwise: nothing is written).
    An existing file of the same name is replaced, atomically: readers see the old document or
    the new one, never a half-written one, even if the process dies mid-write.
    """
    from .mentions import check_letter

    letter = _letter_kind(kind)
    check_context(letter, context)
    resolved = resolve_template(letter, template_dir)
    if resolved.refusal:
        _log.warning("%s", resolved.refusal)
        if notices is not None:
            notices.append(resolved.refusal)
    data = render_bytes(resolved.path, context)
    check_letter(data, letter.value, context, resolved.path)
    return write_document(data, Path(output_dir) / output_name(letter, context))


def _atomic_write(data: bytes, target: Path) -> None:
    """Write to a hidden temporary file beside ``target``, flush it to disk, then rename.

    The temporary file is in the same folder so ``os.replace`` is a rename on one file system,
    which is atomic on POSIX and on NTFS.
    """
    handle, temp_name = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=".tmp", dir=target.parent
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
