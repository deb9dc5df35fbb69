"""A commune's library of templates: the shipped ones, replaced or completed by its own.

The shipped templates live in ``resources/templates/`` (built by ``build_templates.py``); a
commune may keep its own ``.docx`` files in a folder of its choice (a per-commune setting of
this PC: :func:`desktop.store.authorities.templates_folder`). A commune file with the name of a
shipped template replaces it; other files are added as reply templates.

A commune's own acknowledgement or missing-documents template replaces the shipped one only if
it keeps every legal mention (:mod:`.mentions`); otherwise the shipped one stays in the list
with a ``notice`` saying why the commune's was refused (the letters use the shipped one too).
A commune file that is broken (not a .docx, unknown field…) is listed with its ``problems``.

Public API (Qt-free, for the reply dialog)::

    list_templates(folder)                  # folder: the commune's, or None (shipped only)
    commune_library(conn, authority_pk)     # the same, the folder read from the store
    # each TemplateInfo: name, title, kind, source, path, problems, notice, usable

``problems`` empty means usable; otherwise each entry is a French message naming the template
and the faulty field (the same as :func:`.checks.check_template` raises).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from .checks import template_problems
from .errors import MissingMention, TemplateError
from .mentions import MENTION_CHECKED, check_legal_template
from .render import default_template_dir


class TemplateKind(StrEnum):
    """``reply``: offered by « Rédiger une réponse » ; ``legal``: a letter of the procedure
    (acknowledgement…) produced by its own action."""

    REPLY = "reply"
    LEGAL = "legal"


class TemplateSource(StrEnum):
    SHIPPED = "shipped"  # provided with bannette
    COMMUNE = "commune"  # from the commune's templates folder


#: Shipped templates, in the order the reply dialog lists them, with their French title.
SHIPPED_REPLIES: dict[str, str] = {
    "reponse_accord": "Réponse favorable (accord)",
    "reponse_refus_motive": "Refus motivé (avec voies et délais de recours)",
    "demande_precisions": "Demande de précisions",
    "convocation": "Convocation",
    "attestation": "Attestation",
    "courrier_libre": "Courrier libre",
}

#: The letters of the legal procedure, produced by their own actions (not offered as replies).
SHIPPED_LEGAL: dict[str, str] = {
    "accuse_enregistrement": "Accusé d'enregistrement électronique",
    "accuse_reception": "Accusé de réception",
    "demande_pieces_manquantes": "Demande de pièces manquantes",
    "attestation_accord_tacite": "Attestation d'accord tacite",
}

#: Files in a commune's folder that are listed (with a problem) although not usable, so the
#: secrétaire learns why her ``.doc`` does not appear as a template.
_LISTED_SUFFIXES = (".docx", ".doc", ".docm", ".dotx", ".dotm")


@dataclass(frozen=True)
class TemplateInfo:
    """One template of the library, as the reply dialog lists it."""

    name: str  # file name without extension: « reponse_accord »
    title: str  # French title shown to the secrétaire
    kind: TemplateKind
    source: TemplateSource
    path: Path
    problems: tuple[str, ...] = ()  # French messages; empty: the template can be used
    #: Set when this shipped template stays because the commune's own was refused (French).
    notice: str | None = None

    @property
    def usable(self) -> bool:
        return not self.problems


def _title_of(path: Path) -> str:
    """The document's title property (Fichier › Propriétés in Word), else a readable name."""
    try:
        import zipfile

        with zipfile.ZipFile(path) as archive:
            core = archive.read("docProps/core.xml").decode("utf-8", "replace")
        import re

        match = re.search(r"<dc:title>([^<]+)</dc:title>", core)
        if match and match.group(1).strip():
            from html import unescape

            return unescape(match.group(1).strip())
    except (OSError, KeyError, ValueError, Exception):  # noqa: BLE001 - a title is optional
        pass
    text = path.stem.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:] if text else path.name


def _is_office_temporary(path: Path) -> bool:
    # « ~$xxx.docx » (Word owner file) and « .~lock.xxx# » (LibreOffice) are not templates.
    return path.name.startswith(("~$", ".~lock", "."))


def commune_files(folder: Path | None) -> list[Path]:
    """The commune's template files, sorted by name; nothing when the folder is unset/absent."""
    if folder is None:
        return []
    folder = Path(folder)
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name.casefold())
    except OSError:
        return []
    return [
        p
        for p in entries
        if p.is_file() and p.suffix.lower() in _LISTED_SUFFIXES and not _is_office_temporary(p)
    ]


def list_templates(
    authority: Path | None = None, *, include_legal: bool = True, check: bool = True
) -> list[TemplateInfo]:
    """The commune's library: shipped templates, replaced by name by the commune's own.

    ``authority`` is the commune's templates folder (None: shipped templates only). With
    ``check`` each commune template is checked (fields, format, and the legal mentions for the
    acknowledgement and the missing-documents letter); shipped ones are trusted. Replies come
    first (shipped order, then the commune's own by name), then the legal letters.
    """
    shipped_dir = default_template_dir()
    own = {p.stem: p for p in commune_files(authority) if p.suffix.lower() == ".docx"}
    others = [p for p in commune_files(authority) if p.suffix.lower() != ".docx"]
    result: list[TemplateInfo] = []

    def entry(name: str, title: str, kind: TemplateKind) -> TemplateInfo:
        shipped = TemplateInfo(
            name, title, kind, TemplateSource.SHIPPED, shipped_dir / f"{name}.docx"
        )
        path = own.pop(name, None)
        if path is None:
            return shipped
        if not check:
            return TemplateInfo(name, title, kind, TemplateSource.COMMUNE, path)
        if name in MENTION_CHECKED:
            try:
                check_legal_template(path, name)
            except MissingMention as exc:
                return TemplateInfo(
                    name,
                    title,
                    kind,
                    TemplateSource.SHIPPED,
                    shipped.path,
                    notice=f"{exc} Le modèle fourni avec bannette est utilisé à sa place.",
                )
            except TemplateError as exc:
                return TemplateInfo(name, title, kind, TemplateSource.COMMUNE, path, (str(exc),))
            return TemplateInfo(name, title, kind, TemplateSource.COMMUNE, path)
        return TemplateInfo(
            name, title, kind, TemplateSource.COMMUNE, path, tuple(template_problems(path))
        )

    for name, title in SHIPPED_REPLIES.items():
        result.append(entry(name, title, TemplateKind.REPLY))
    legal = [entry(name, title, TemplateKind.LEGAL) for name, title in SHIPPED_LEGAL.items()]
    for name, path in sorted(own.items(), key=lambda item: item[0].casefold()):
        problems = tuple(template_problems(path)) if check else ()
        result.append(
            TemplateInfo(
                name, _title_of(path), TemplateKind.REPLY, TemplateSource.COMMUNE, path, problems
            )
        )
    for path in others:
        result.append(
            TemplateInfo(
                path.stem,
                _title_of(path),
                TemplateKind.REPLY,
                TemplateSource.COMMUNE,
                path,
                tuple(template_problems(path)),
            )
        )
    if include_legal:
        result.extend(legal)
    return result


def commune_library(
    conn: sqlite3.Connection, authority_pk: int, *, include_legal: bool = False
) -> list[TemplateInfo]:
    """:func:`list_templates` for a commune of the local store (its templates folder as set on
    this PC). Reads the database: call it on the thread that owns ``conn``; the checks of the
    commune's files take a few ms each, once per saved version of a file."""
    from desktop.store.authorities import templates_folder

    return list_templates(templates_folder(conn, authority_pk), include_legal=include_legal)
