"""The documents of a reply: templates, the draft, its PDF, the assembly with annexes. No Qt.

The work is the document layer's (``desktop.documents``: the commune's library and its checks,
``render_reply``, the PDF converters, PyMuPDF's assembly); this service gives it the request's
folder and store, and hands out the slow parts (rendering, LibreOffice, a 40-page annex) as
plain callables a ``TaskRunner`` runs off the GUI thread: they read files and the frozen values
they are given, never the database.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from desktop.documents import (
    AssemblyError,
    LetterContext,
    PdfConversionUnavailable,
    available_converter,
    convert_to_pdf,
)
from desktop.documents.assemble import PageRef, assemble, page_thumbnails
from desktop.documents.errors import OutputError
from desktop.documents.library import TemplateInfo, TemplateKind, TemplateSource, list_templates
from desktop.documents.pdf import PdfConverter
from desktop.documents.replies import refuse_provisional, render_reply, request_context
from desktop.documents.warm import WarmLibreOffice
from desktop.services.letters import LetterService, safe_folder_name
from desktop.store import replies
from desktop.store.attachments import LocalAttachment, add_attachment, request_attachments
from desktop.store.authorities import templates_folder
from desktop.store.sync_store import blob_path


@dataclass(frozen=True)
class ReplyTemplate:
    """A template the secrétaire may start a reply from: the library's ``TemplateInfo`` with
    the words the dialog lists it by."""

    name: str  # the file name without extension: a commune's file replaces a shipped one
    title: str
    path: Path
    own: bool  # the commune's own file
    problems: tuple[str, ...] = ()  # French; empty: usable

    @classmethod
    def of(cls, info: TemplateInfo) -> ReplyTemplate:
        return cls(info.name, info.title, info.path, info.source == TemplateSource.COMMUNE,
                   tuple(info.problems))

    @property
    def usable(self) -> bool:
        return not self.problems

    @property
    def label(self) -> str:
        return f"{self.title} (modèle de la commune)" if self.own else self.title


@dataclass(frozen=True)
class Library:
    """The reply templates of a commune, and what the library has to say about its own legal
    letters (a commune template refused for a missing legal mention: French notices)."""

    templates: list[ReplyTemplate]
    notices: list[str]


def draft_name(number: str, template: ReplyTemplate) -> str:
    return f"{safe_folder_name(number)}_reponse_{template.name}.docx"


# --------------------------------------------------------------------------- PDF assembly


@dataclass(frozen=True)
class Thumbnail:
    ref: PageRef  # (source index, page index)
    png: bytes
    label: str


def thumbnails(
    sources: Sequence[Path], names: Sequence[str] | None = None, width: int = 110
) -> list[Thumbnail]:
    """A small image of every page of every source, in order (for ordering by dragging);
    ``names`` are what the secrétaire knows the files as (the cache names them by hash)."""
    result = []
    for index, path in enumerate(sources):
        name = Path(names[index]).stem if names else Path(path).stem
        for number, png in enumerate(page_thumbnails(path, width)):
            result.append(Thumbnail((index, number), png, f"{name[:16]} p. {number + 1}"))
    return result


def assemble_file(sources: Sequence[Path], order: Sequence[PageRef], output: Path) -> Path:
    """The chosen pages in the chosen order as one PDF (the first source counts as the reply),
    written atomically to ``output``."""
    if not sources or not order:
        raise AssemblyError("Aucune page n'est choisie : le document assemblé serait vide.")
    data = assemble(sources[0], list(sources[1:]), list(order))
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.tmp")
    try:
        partial.write_bytes(data)
        os.replace(partial, output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise OutputError(f"Impossible d'écrire « {output.name} » : {exc}") from exc
    return output


def pdf_text(path: Path) -> str:
    """The text of a PDF (what a citizen would read), for the checks before it leaves."""
    import pymupdf

    with pymupdf.open(path) as document:
        return "".join(page.get_text() for page in document)


# --------------------------------------------------------------------------- the service


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

    def library(self, request_pk: int) -> Library:
        """The commune's library: its templates folder as set on this PC, else the one beside
        the letters' (``<template_root>/<commune>/``). The legal letters are produced by their
        own actions, not offered as replies; only their notices are kept."""
        folder = templates_folder(self.conn, self.facts(request_pk).authority_pk)
        infos = list_templates(folder or self.commune_templates_dir(request_pk))
        return Library(
            [ReplyTemplate.of(info) for info in infos if info.kind == TemplateKind.REPLY],
            [info.notice for info in infos if info.notice],
        )

    def templates(self, request_pk: int) -> list[ReplyTemplate]:
        return self.library(request_pk).templates

    def draft_job(self, request_pk: int, template: ReplyTemplate, today: date) -> DraftJob:
        output = self.folder(request_pk) / draft_name(self.facts(request_pk).number, template)
        return DraftJob(request_pk, template, request_context(self.conn, request_pk, today),
                        output)

    @staticmethod
    def produce(job: DraftJob) -> Path:
        """Worker thread: the template checked (fields, format, legal mentions), then filled
        into the draft; a draft still open in Word is not replaced."""
        return render_reply(job.template.path, job.context, job.output)

    def check_final(self, request_pk: int, pdf: Path | None) -> None:
        """Before a reply goes to the parapheur or to the citizen: refused (French
        ``IncompleteContext``) under a provisional number, or when the PDF still shows one
        (drafted offline before the server numbered the request)."""
        number = self.facts(request_pk).number
        text = pdf_text(pdf) if pdf is not None and pdf.is_file() else ""
        refuse_provisional(number, text)

    def warm_up(self) -> None:
        """Worker thread: start the app's warm LibreOffice (when it is the converter) so the
        first preview does not wait for LibreOffice to start."""
        if self.converter is not None and not isinstance(self.converter, WarmLibreOffice):
            return
        try:
            converter = self.converter or available_converter()
        except PdfConversionUnavailable:
            return  # said when a conversion is asked
        if isinstance(converter, WarmLibreOffice):
            converter.start()

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
        return convert_to_pdf(docx, docx.parent, converter=self.converter)

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
