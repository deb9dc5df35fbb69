"""The documents of a reply: templates, the draft, its PDF, the assembly with annexes. No Qt.

The slow parts (rendering, LibreOffice, PyMuPDF on a 40-page annex) are plain functions a
``TaskRunner`` runs off the GUI thread; they read files and the frozen values they are given,
never the database. The template library and the converter are reached through the few thin
functions at the top (``reply_templates``, ``check_template``, ``render_draft``, ``to_pdf``) so
the document layer of ``desktop.documents`` can replace what they call without the views
changing.
"""

from __future__ import annotations

import importlib
import os
import sqlite3
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import ModuleType

from desktop.documents import (
    DocumentError,
    LetterContext,
    LetterKind,
    TemplateError,
    convert_to_pdf,
    default_template_dir,
)
from desktop.documents.errors import OutputError
from desktop.documents.fields import build_fields
from desktop.documents.pdf import PdfConverter
from desktop.services.letters import LetterService, letter_context, safe_folder_name
from desktop.store import replies
from desktop.store.attachments import LocalAttachment, add_attachment, request_attachments
from desktop.store.legal import LegalFacts
from desktop.store.sync_store import blob_path

#: Shipped reply templates live here when the library has them, else beside the legal letters.
REPLIES_FOLDER = "reponses"
#: The legal letters are produced by their own actions, not offered as replies.
LEGAL_LETTERS = {f"{kind.value}.docx" for kind in LetterKind}


@dataclass(frozen=True)
class ReplyTemplate:
    """A template the secrétaire may start a reply from. Shaped like the library's
    ``TemplateInfo`` (name without extension, title, path, problems) so the document layer's
    ``list_templates`` can take over ``reply_templates`` without the dialog changing."""

    name: str  # the file name without extension: a commune's file replaces a shipped one
    title: str
    path: Path
    own: bool  # the commune's own file
    problems: tuple[str, ...] = ()  # French; empty: usable

    @property
    def usable(self) -> bool:
        return not self.problems

    @property
    def label(self) -> str:
        return f"{self.title} (modèle de la commune)" if self.own else self.title


def reply_templates(commune_dir: Path | None) -> list[ReplyTemplate]:
    """Shipped templates plus the commune's own; the commune's replaces a shipped one of the
    same name. Word files of another kind (.doc, .docm) are listed with their problem: the
    secrétaire learns why hers cannot be used, rather than not finding it."""
    shipped_dir = default_template_dir() / REPLIES_FOLDER
    if not shipped_dir.is_dir():
        shipped_dir = default_template_dir()
    found: dict[str, ReplyTemplate] = {}
    for folder, own in ((shipped_dir, False), (commune_dir, True)):
        if folder is None or not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in (".docx", ".docm", ".doc") or path.name.startswith(
                ("~$", ".~lock", ".")
            ):
                continue
            if path.name in LEGAL_LETTERS:
                continue
            try:
                check_template(path)
                problems: tuple[str, ...] = ()
            except TemplateError as exc:
                problems = (str(exc),)
            title = path.stem.replace("_", " ")
            found[path.stem.lower()] = ReplyTemplate(
                path.stem, title[:1].upper() + title[1:], path, own, problems
            )
    return sorted(found.values(), key=lambda t: t.label.lower())


def reply_context(facts: LegalFacts, today: date) -> LetterContext:
    """The merge fields of a reply: the same as every letter's (the citizen's postal address in
    ``usager.adresse`` for window envelopes, the signatory, the legal dates)."""
    # The registration receipt's kind has no special case in letter_context: plain facts.
    return letter_context(LetterKind.REGISTRATION_RECEIPT, facts, today)


def check_template(template: Path) -> None:
    """Refuses, in French naming the template, what cannot become a reply."""
    suffix = template.suffix.lower()
    if suffix == ".docm":
        raise TemplateError(
            f"Le modèle « {template.name} » contient des macros (.docm) : enregistrez-le dans "
            "Word au format « Document Word (.docx) »."
        )
    if suffix == ".doc":
        raise TemplateError(
            f"Le modèle « {template.name} » est au format Word 97-2003 (.doc) : enregistrez-le "
            "dans Word au format « Document Word (.docx) »."
        )
    if not zipfile.is_zipfile(template):
        raise TemplateError(
            f"Le modèle « {template.name} » n'est pas un document Word (.docx) valide : "
            "le fichier est abîmé."
        )


def render_draft(template: Path, context: LetterContext, output: Path) -> Path:
    """Fills ``template`` for the request into ``output`` (.docx), checked first: an unknown
    field or an unclosed condition raises a French ``TemplateError`` and writes nothing."""
    check_template(template)
    from docxtpl import DocxTemplate
    from jinja2 import TemplateError as JinjaTemplateError

    from desktop.documents.render import _jinja_environment, _template_error

    try:
        document = DocxTemplate(template)
        document.render(build_fields(context), jinja_env=_jinja_environment(), autoescape=True)
    except JinjaTemplateError as exc:
        raise _template_error(template, exc) from exc
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise TemplateError(
            f"Le modèle « {template.name} » n'est pas un document Word (.docx) valide : {exc}."
        ) from exc
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=".", suffix=".docx", dir=output.parent)
    os.close(handle)
    try:
        document.save(partial)
        os.replace(partial, output)
    except OSError as exc:
        Path(partial).unlink(missing_ok=True)
        raise OutputError(
            f"Impossible d'écrire le brouillon « {output.name} » ({output.parent}) : {exc}. "
            "Est-il encore ouvert dans Word ?"
        ) from exc
    return output


def draft_name(number: str, template: ReplyTemplate) -> str:
    return f"{safe_folder_name(number)}_reponse_{template.name}.docx"


def to_pdf(docx: Path, output_dir: Path, converter: PdfConverter | None = None) -> Path:
    """The draft as PDF, through the converter of the app (LibreOffice or Word). Raises
    ``PdfConversionUnavailable`` (neither is installed) or ``PdfConversionError``."""
    return convert_to_pdf(docx, output_dir, converter=converter)


# --------------------------------------------------------------------------- PDF assembly


@dataclass(frozen=True)
class PageRef:
    """One page of one source document (an image counts as one page)."""

    source: int
    page: int


@dataclass(frozen=True)
class Thumbnail:
    ref: PageRef
    png: bytes
    label: str


def _open(path: Path):  # noqa: ANN202 - a pymupdf.Document
    """A PDF, or an image (JPG, PNG: recognised by content, the cache has no extensions) as a
    one-page PDF; anything else is refused in French."""
    import pymupdf

    from sync.protocol.files import sniff

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise DocumentError(f"Le fichier « {path.name} » ne peut pas être lu : {exc}") from exc
    kind = sniff(data)
    if kind is None:
        raise DocumentError(
            f"« {path.name} » n'est ni un PDF ni une image : il ne peut pas être annexé."
        )
    try:
        document = pymupdf.open(stream=data, filetype=kind.split("/")[1])
        if kind != "application/pdf":
            image = document
            document = pymupdf.open("pdf", image.convert_to_pdf())
            image.close()
    except Exception as exc:  # noqa: BLE001 - pymupdf raises its own for broken files
        raise DocumentError(f"Le fichier « {path.name} » est abîmé : {exc}") from exc
    return document


def thumbnails(
    sources: Sequence[Path], names: Sequence[str] | None = None, width: int = 110
) -> list[Thumbnail]:
    """A small image of every page of every source, in order (for ordering by dragging);
    ``names`` are what the secrétaire knows the files as (the cache names them by hash)."""
    result = []
    for index, path in enumerate(sources):
        name = Path(names[index]).stem if names else path.stem
        document = _open(path)
        try:
            for number, page in enumerate(document):
                zoom = width / max(page.rect.width, 1)
                import pymupdf

                pixmap = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom))
                result.append(Thumbnail(PageRef(index, number), pixmap.tobytes("png"),
                                        f"{name[:16]} p. {number + 1}"))
        finally:
            document.close()
    return result


def assemble(sources: Sequence[Path], order: Sequence[PageRef], output: Path) -> Path:
    """One PDF of the chosen pages in the chosen order (PyMuPDF), written atomically."""
    if not order:
        raise DocumentError("Aucune page à assembler.")
    import pymupdf

    opened = [_open(path) for path in sources]
    try:
        result = pymupdf.open()
        for ref in order:
            result.insert_pdf(opened[ref.source], from_page=ref.page, to_page=ref.page)
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(f".{output.name}.tmp")
        result.save(partial, garbage=3, deflate=True)
        result.close()
        os.replace(partial, output)
    except OSError as exc:
        raise OutputError(f"Impossible d'écrire « {output.name} » : {exc}") from exc
    finally:
        for document in opened:
            document.close()
    return output


# --------------------------------------------------------------------------- the service


def _document_layer(module: str) -> ModuleType | None:
    """The document layer's reply API (template library, ``render_reply``) when this build has
    it: it is written on another branch of issue 10 and takes over from the functions above,
    which stay as the fallback until the integration removes them."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return None


@dataclass(frozen=True)
class DraftJob:
    """What the worker needs to produce a draft; no database in here."""

    request_pk: int
    template: ReplyTemplate
    context: LetterContext
    output: Path


class ReplyService:
    """The reply of a request over the GUI thread's connection: quick reads and writes here,
    the slow work handed out as plain callables (``produce``, ``convert``) for a TaskRunner."""

    def __init__(self, conn: sqlite3.Connection, letters: LetterService) -> None:
        self.conn = conn
        self.letters = letters

    @property
    def converter(self) -> PdfConverter | None:
        return self.letters.converter

    def facts(self, request_pk: int) -> replies.ReplyFacts:
        return replies.reply_facts(self.conn, request_pk)

    def folder(self, request_pk: int) -> Path:
        """The request's working folder: documents/<commune>/<numéro>/."""
        return self.letters.folder_for(self.letters.facts(request_pk))

    def commune_templates_dir(self, request_pk: int) -> Path | None:
        root = self.letters.template_root
        if root is None:
            return None
        return root / safe_folder_name(self.letters.facts(request_pk).authority.name)

    def templates(self, request_pk: int) -> list[ReplyTemplate]:
        library = _document_layer("desktop.documents.library")
        if library is not None:  # the commune's library, its folder as set on this PC
            folder = None
            store = _document_layer("desktop.store.authorities")
            if store is not None:
                folder = store.templates_folder(self.conn, self.facts(request_pk).authority_pk)
            return [
                ReplyTemplate(info.name, info.title, info.path, info.source == "commune",
                              tuple(info.problems))
                for info in library.list_templates(
                    folder or self.commune_templates_dir(request_pk), include_legal=False)
            ]
        return reply_templates(self.commune_templates_dir(request_pk))

    def draft_job(self, request_pk: int, template: ReplyTemplate, today: date) -> DraftJob:
        facts = self.letters.facts(request_pk)
        output = self.folder(request_pk) / draft_name(facts.number, template)
        return DraftJob(request_pk, template, reply_context(facts, today), output)

    @staticmethod
    def produce(job: DraftJob) -> Path:
        """Worker thread: renders the checked template into the draft."""
        layer = _document_layer("desktop.documents.replies")
        if layer is not None:  # checks fields, mentions, a draft locked by Word
            check_template(job.template.path)
            return Path(layer.render_reply(job.template.path, job.context, job.output))
        return render_draft(job.template.path, job.context, job.output)

    def record_version(
        self, request_pk: int, docx: Path, *, template: str = "", agent_id: str | None,
        at: datetime,
    ) -> replies.ReplyVersion | None:
        return replies.add_reply_version(
            self.conn, request_pk, docx, template=template, agent_id=agent_id, at=at
        )

    def versions(self, request_pk: int) -> list[replies.ReplyVersion]:
        return replies.reply_versions(self.conn, request_pk)

    def _version_file(self, version: replies.ReplyVersion, suffix: str) -> Path:
        folder = self.folder(version.request_pk) / "versions"
        return folder / f"{Path(version.filename).stem}_v{version.number}{suffix}"

    def preview_source(self, version: replies.ReplyVersion) -> Path:
        """A copy of the version's .docx to convert (the draft itself may be saved again
        meanwhile): documents/<commune>/<numéro>/versions/<numéro>_reponse_vN.docx."""
        return replies.restore_version(self.conn, version, self._version_file(version, ".docx"))

    def converted(self, version: replies.ReplyVersion) -> Path | None:
        """The version's PDF when an earlier conversion left it (a version never changes):
        reopening the workshop does not start LibreOffice again."""
        pdf = self._version_file(version, ".pdf")
        return pdf if pdf.is_file() and pdf.stat().st_size > 0 else None

    def convert(self, docx: Path) -> Path:
        """Worker thread: the PDF beside the .docx."""
        return to_pdf(docx, docx.parent, self.converter)

    def attach_version_pdf(self, version: replies.ReplyVersion, pdf: Path) -> str:
        return replies.attach_version_pdf(self.conn, version.pk, pdf)

    def attachments(self, request_pk: int) -> list[LocalAttachment]:
        return request_attachments(self.conn, request_pk)

    def attachment_file(self, attachment: LocalAttachment) -> Path | None:
        """The cached bytes of an attachment (None: not on this PC yet)."""
        path = blob_path(self.conn, attachment.sha256)
        return path if path.is_file() else None

    def attach(self, request_pk: int, pdf: Path, name: str) -> str:
        return add_attachment(self.conn, request_pk, pdf, name)
