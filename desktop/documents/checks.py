"""Check a Word template before anything is produced from it.

A secrétaire writes her commune's templates in Word; the mistakes she can make there must be
caught with a French message naming the template and the field, not a blank in a letter or a
Python trace. In the order they are looked for:

- the file is a ``.doc`` (Word 97-2003), a ``.docm`` (macros) or anything but a ``.docx``
  → :class:`~.errors.UnsupportedTemplateFormat`;
- the file cannot be read: open in Word on Windows (sharing violation), no permission
  → :class:`~.errors.TemplateLocked`;
- not a zip, truncated, no ``word/document.xml`` → :class:`~.errors.CorruptTemplate`;
- a condition or loop not closed, a field badly written → :class:`~.errors.TemplateSyntaxProblem`;
- a merge field bannette does not know (``{{ date_recpetion }}``) →
  :class:`~.errors.UnknownField`, with the closest known field suggested.

Public API::

    report = inspect_template(path)      # what it uses, what is unknown (raises on the others)
    check_template(path)                 # raises the first problem, returns the report
    template_problems(path) -> list[str] # the French messages, for a list of templates
    open_elsewhere(path) -> str | None   # « ouvert dans Word » when an office lock file exists

Fields split across runs by Word or LibreOffice are merged back by docxtpl's ``patch_xml``
before the Jinja source is parsed, exactly as at rendering time.
"""

from __future__ import annotations

import difflib
import threading
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import (
    CorruptTemplate,
    TemplateError,
    TemplateLocked,
    TemplateSyntaxProblem,
    UnknownField,
    UnsupportedTemplateFormat,
)
from .fields import known_fields

if TYPE_CHECKING:
    from jinja2 import Environment, nodes

_HELP = "Consultez la liste des champs (menu « Aide › Champs des modèles »)."


@dataclass(frozen=True)
class TemplateReport:
    """What a template uses: ``fields`` in order of first use, ``unknown`` the ones bannette
    does not know, ``suggestions`` the closest known name for each unknown one."""

    path: Path
    fields: tuple[str, ...]
    unknown: tuple[str, ...] = ()
    suggestions: dict[str, str | None] = field(default_factory=dict)


def jinja_environment() -> Environment:
    """The environment templates are checked and rendered with (one for the application).

    docxtpl compiles the document's XML into Jinja code on every render (about 15 ms a part);
    this environment keeps the compiled code of the last sources it saw, so a template rendered
    again (a draft re-rendered, the acknowledgement of the next request) skips the compiling.
    """
    global _environment
    with _environment_lock:
        if _environment is None:
            _environment = _make_environment()
        return _environment


_environment: Environment | None = None
_environment_lock = threading.Lock()


def _make_environment() -> Environment:
    from collections import OrderedDict

    from jinja2 import Environment, StrictUndefined

    class CachingEnvironment(Environment):
        _compiled: OrderedDict[str, object]

        def from_string(self, source, globals=None, template_class=None):  # noqa: ANN001, ANN201, A002
            if globals or template_class is not None or not isinstance(source, str):
                return super().from_string(source, globals, template_class)
            with _environment_lock:
                template = self._compiled.get(source)
                if template is not None:
                    self._compiled.move_to_end(source)
                    return template
            template = super().from_string(source)
            with _environment_lock:
                self._compiled[source] = template
                while len(self._compiled) > 64:
                    self._compiled.popitem(last=False)
            return template

    # Autoescape: a citizen named « Sports & Loisirs » must not break the document's XML.
    # StrictUndefined: a misspelt field in a mairie's template is reported, not left blank.
    environment = CachingEnvironment(autoescape=True, undefined=StrictUndefined)
    environment._compiled = OrderedDict()
    return environment


def _where(path: Path) -> str:
    return f"« {path.name} » ({path.parent})"


def open_elsewhere(path: Path) -> str | None:
    """A French reason when Word or LibreOffice has ``path`` open, else None.

    Word keeps ``~$name.docx`` beside a document it has open, LibreOffice ``.~lock.name.docx#``;
    on Windows Word also holds the file itself with a sharing lock (seen when reading it).
    """
    path = Path(path)
    folder = path.parent
    # Word replaces the first one or two letters of a long name with « ~$ ».
    owners = {f"~${path.name}", f"~${path.name[1:]}", f"~${path.name[2:]}"}
    if any((folder / owner).exists() for owner in owners):
        return f"le document {_where(path)} est ouvert dans Word"
    if (folder / f".~lock.{path.name}#").exists():
        return f"le document {_where(path)} est ouvert dans LibreOffice"
    return None


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise CorruptTemplate(f"Le modèle {_where(path)} est introuvable.") from exc
    except PermissionError as exc:
        # A sharing violation (Word has it open, Windows) or a file we may not read.
        raise TemplateLocked(
            f"Le modèle {_where(path)} ne peut pas être lu : il est probablement ouvert dans "
            "Word ou un autre logiciel, ou vous n'avez pas le droit de le lire. Fermez-le puis "
            "recommencez."
        ) from exc
    except OSError as exc:
        raise TemplateLocked(
            f"Le modèle {_where(path)} ne peut pas être lu : {exc.strerror or exc}."
        ) from exc


def check_format(path: Path, *, verify: bool = True) -> bytes:
    """Refuse what is not a readable ``.docx``; return the file's bytes.

    ``verify`` also checks every member's checksum (a truncated download); the renderer skips
    it for a template :func:`check_template` has just verified.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".doc":
        raise UnsupportedTemplateFormat(
            f"Le modèle {_where(path)} est au format Word 97-2003 (.doc), que bannette ne sait "
            "pas fusionner. Ouvrez-le dans Word et enregistrez-le au format « Document Word "
            "(.docx) »."
        )
    if suffix in (".docm", ".dotm"):
        raise UnsupportedTemplateFormat(
            f"Le modèle {_where(path)} contient des macros ({suffix}) : bannette ne les "
            "exécute pas et refuse ce format. Enregistrez-le au format « Document Word "
            "(.docx) »."
        )
    if suffix != ".docx":
        raise UnsupportedTemplateFormat(
            f"Le fichier {_where(path)} n'est pas un modèle Word (.docx). Enregistrez-le au "
            "format « Document Word (.docx) »."
        )
    data = _read_bytes(path)
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
            if "word/document.xml" not in names or not types:
                raise CorruptTemplate(
                    f"Le modèle {_where(path)} est endommagé : ce n'est pas un document Word "
                    "complet. Ouvrez-le dans Word et enregistrez-le à nouveau au format "
                    "« Document Word (.docx) »."
                )
            if verify and archive.testzip() is not None:
                raise zipfile.BadZipFile("bad CRC")
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as exc:
        raise CorruptTemplate(
            f"Le modèle {_where(path)} n'est pas un document Word (.docx) valide : il est "
            "endommagé ou d'un autre format renommé en .docx. Ouvrez-le dans Word et "
            "enregistrez-le à nouveau au format « Document Word (.docx) »."
        ) from exc
    if b"macroEnabled" in types:
        raise UnsupportedTemplateFormat(
            f"Le modèle {_where(path)} est un document Word avec macros renommé en .docx. "
            "Enregistrez-le au format « Document Word (.docx) »."
        )
    if b"template.main+xml" in types:
        raise UnsupportedTemplateFormat(
            f"Le modèle {_where(path)} est un modèle Word (.dotx) renommé en .docx. Ouvrez-le "
            "et enregistrez-le au format « Document Word (.docx) »."
        )
    return data


def jinja_source(path: Path) -> str:
    """The Jinja source docxtpl renders: body, headers and footers, split fields merged."""
    import io

    from docxtpl import DocxTemplate

    data = check_format(Path(path))
    try:
        template = DocxTemplate(io.BytesIO(data))
        template.init_docx()
        parts = [template.patch_xml(template.get_xml())]
        for uri in (template.HEADER_URI, template.FOOTER_URI):
            for _key, part in template.get_headers_footers(uri):
                parts.append(template.patch_xml(template.get_part_xml(part)))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise CorruptTemplate(
            f"Le modèle {_where(Path(path))} n'est pas un document Word (.docx) valide : {exc}. "
            "Enregistrez-le au format « Document Word (.docx) »."
        ) from exc
    return "\n".join(parts)


def _syntax_message(path: Path, exc: Exception, source: str) -> str:
    from jinja2 import TemplateSyntaxError

    text = str(exc)
    if "endif" in text and ("end of template" in text or "Unexpected" in text):
        hint = "une condition « {%p if … %} » n'est pas fermée : il manque « {%p endif %} »"
    elif "endfor" in text and ("end of template" in text or "Unexpected" in text):
        hint = "une boucle « {%p for … %} » n'est pas fermée : il manque « {%p endfor %} »"
    elif "No filter named" in text:
        hint = f"un filtre inconnu y est utilisé ({text})"
    elif "unknown tag" in text.lower():
        hint = f"une instruction inconnue y est écrite ({text})"
    else:
        hint = f"un champ ou une condition y est mal écrit ({text})"
    snippet = ""
    if isinstance(exc, TemplateSyntaxError) and exc.lineno:
        line = source.splitlines()[exc.lineno - 1] if exc.lineno <= len(source.splitlines()) else ""
        snippet = _visible_excerpt(line)
    where = f" près de « {snippet} »" if snippet else ""
    return f"Le modèle {_where(path)} est incorrect : {hint}{where}. Corrigez-le dans Word."


def _visible_excerpt(xml_line: str, limit: int = 60) -> str:
    """The text (not the XML) of the faulty line, cut short, to help find the place in Word."""
    import re

    text = re.sub(r"<[^>]+>", "", xml_line)
    text = " ".join(text.split())
    return text[:limit] + ("…" if len(text) > limit else "")


def _field_names(ast: nodes.Template) -> list[str]:
    """Names the template reads from the context, dotted for attributes (``service.ville``).

    Loop variables and ``{% set %}`` names are the template's own and are left out.
    """
    from jinja2 import nodes

    declared: set[str] = set()
    for node in ast.find_all((nodes.For, nodes.Assign)):
        target: nodes.Node = node.target  # type: ignore[attr-defined]
        names = [target] if isinstance(target, nodes.Name) else target.find_all(nodes.Name)
        declared.update(name.name for name in names)
        if isinstance(node, nodes.For):
            declared.add("loop")  # Jinja's loop.index, loop.first… inside a for
    found: list[str] = []

    def visit(node: nodes.Node) -> None:
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
            if node.node.ctx == "load" and node.node.name not in declared:
                found.append(f"{node.node.name}.{node.attr}")
            return
        if isinstance(node, nodes.Name) and node.ctx == "load" and node.name not in declared:
            found.append(node.name)
            return
        for child in node.iter_child_nodes():
            visit(child)

    visit(ast)
    return list(dict.fromkeys(found))


def suggest(name: str) -> str | None:
    """The known field closest to a misspelt one (``date_recpetion`` → ``date_reception``)."""
    known = sorted(known_fields())
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if not close and "." in name:
        tail = name.partition(".")[2]
        close = difflib.get_close_matches(tail, known, n=1, cutoff=0.6)
    return close[0] if close else None


def _inspect(path: Path) -> TemplateReport:
    from jinja2 import TemplateSyntaxError
    from jinja2.exceptions import TemplateAssertionError

    path = Path(path)
    source = jinja_source(path)
    environment = jinja_environment()
    try:
        ast = environment.parse(source)
        environment.compile(source)  # unknown filters and tests are found at compile time
    except (TemplateSyntaxError, TemplateAssertionError) as exc:
        raise TemplateSyntaxProblem(_syntax_message(path, exc, source)) from exc
    used = _field_names(ast)
    known = known_fields()
    unknown = tuple(name for name in used if name not in known)
    return TemplateReport(
        path=path,
        fields=tuple(used),
        unknown=unknown,
        suggestions={name: suggest(name) for name in unknown},
    )


@lru_cache(maxsize=128)
def _inspect_cached(path: str, mtime_ns: int, size: int) -> TemplateReport:
    return _inspect(Path(path))


def inspect_template(path: Path) -> TemplateReport:
    """What the template uses. Raises every problem but unknown fields (those are reported).

    Cached per file version (path, modification time, size): listing a library of templates
    twice costs nothing, and a template saved again in Word is checked again.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return _inspect(path)  # raises the right French error
    return _inspect_cached(str(path), stat.st_mtime_ns, stat.st_size)


def unknown_field_error(report: TemplateReport) -> UnknownField:
    parts = []
    for name in report.unknown:
        close = report.suggestions.get(name)
        parts.append(f"« {name} »" + (f" (vouliez-vous dire « {close} » ?)" if close else ""))
    plural = "s" if len(parts) > 1 else ""
    return UnknownField(
        f"Le modèle {_where(report.path)} utilise {len(parts)} champ{plural} de fusion "
        f"inconnu{plural} : {', '.join(parts)}. Corrigez-le dans Word. {_HELP}",
        fields=report.unknown,
        suggestions=report.suggestions,
    )


def check_template(path: Path) -> TemplateReport:
    """Raise the first problem of the template (a :class:`TemplateError`), else its report."""
    report = inspect_template(path)
    if report.unknown:
        raise unknown_field_error(report)
    return report


def template_problems(path: Path) -> list[str]:
    """The French messages for everything wrong with the template (empty: usable)."""
    try:
        check_template(path)
    except TemplateError as exc:
        return [str(exc)]
    return []
