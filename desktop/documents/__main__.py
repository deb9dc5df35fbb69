"""Command for template authors and scripts (French messages, stable exit codes).

python -m desktop.documents fields MODELE.docx
    Lists the merge fields the template uses, one per line. Unknown fields: their names on
    stderr (with the closest known field), exit 2. Any other template problem: exit 1.
python -m desktop.documents fields --all
    Prints the list of every known field (the table of resources/templates/README.md).
python -m desktop.documents render MODELE.docx --database BASE --request NUMERO
                                  -o SORTIE.docx [--pdf] [--date AAAA-MM-JJ]
    Fills the template for that request (number as shown in the bannette, or with the
    commune code in front) and writes SORTIE.docx, and SORTIE.pdf beside it with --pdf.
    Bad template, unknown request, failed conversion: a French message on stderr, exit 1
    (2 for unknown fields), and no half-written file (temporary file + rename).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_UNKNOWN_FIELDS = 2


def _fail(message: str, code: int = EXIT_ERROR) -> int:
    print(message, file=sys.stderr)
    return code


def _fields(arguments: argparse.Namespace) -> int:
    from .checks import inspect_template
    from .errors import DocumentError
    from .fields import FIELD_HELP

    if arguments.all or arguments.template is None:
        if arguments.template is None and not arguments.all:
            return _fail("Indiquez un modèle (.docx) ou --all.")
        group = None
        for item in FIELD_HELP:
            if item.group != group:
                group = item.group
                print(f"# {group}")
            print(f"{item.typed}\t{item.description}\t(ex. : {item.example})")
        return EXIT_OK
    try:
        report = inspect_template(Path(arguments.template))
    except DocumentError as exc:
        return _fail(str(exc))
    for name in report.fields:
        if name not in report.unknown:
            print(name)
    if report.unknown:
        for name in report.unknown:
            close = report.suggestions.get(name)
            hint = f"\tvouliez-vous dire « {close} » ?" if close else ""
            print(f"champ inconnu : {name}{hint}", file=sys.stderr)
        return EXIT_UNKNOWN_FIELDS
    return EXIT_OK


def _render(arguments: argparse.Namespace) -> int:
    import contextlib
    import os
    import shutil
    import tempfile

    from desktop.store.database import StoreError, connect

    from .errors import DocumentError, UnknownField
    from .replies import find_request, render_reply, request_context

    template = Path(arguments.template)
    output = Path(arguments.output)
    database = Path(arguments.database)
    if output.suffix.lower() != ".docx":
        return _fail(f"Le fichier de sortie doit se terminer par .docx : « {output} ».")
    if not database.is_file():
        return _fail(f"Base de données introuvable : « {database} ».")
    if arguments.date:
        today = date.fromisoformat(arguments.date)
    else:  # the letter's day is the commune's, not the PC's
        from datetime import datetime
        from zoneinfo import ZoneInfo

        today = datetime.now(ZoneInfo("Europe/Paris")).date()
    try:
        conn = connect(database)
    except StoreError as exc:
        return _fail(str(exc))
    try:
        request_pk = find_request(conn, arguments.request)
        context = request_context(conn, request_pk, today)
    except (DocumentError, StoreError) as exc:
        return _fail(str(exc))
    finally:
        conn.close()
    try:
        if not arguments.pdf:
            render_reply(template, context, output)
            return EXIT_OK
        # The .docx and its PDF appear together or not at all: both are produced in a private
        # folder beside the output, then renamed into place.
        output.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".bannette-render-", dir=output.parent))
        try:
            draft = render_reply(template, context, staging / output.name)
            from .pdf import convert_to_pdf

            pdf = convert_to_pdf(draft, staging, timeout=arguments.timeout)
            os.replace(pdf, output.with_suffix(".pdf"))
            os.replace(draft, output)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            with contextlib.suppress(Exception):
                from .warm import shared_warm_libreoffice

                shared_warm_libreoffice().close()
    except UnknownField as exc:
        return _fail(str(exc), EXIT_UNKNOWN_FIELDS)
    except DocumentError as exc:
        return _fail(str(exc))
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="python -m desktop.documents",
        description="Modèles de courriers de bannette : champs de fusion et production.",
    )
    commands = main.add_subparsers(dest="command", required=True)
    fields = commands.add_parser("fields", help="liste les champs de fusion d'un modèle")
    fields.add_argument("template", nargs="?", help="modèle Word (.docx)")
    fields.add_argument("--all", action="store_true", help="liste tous les champs connus")
    fields.set_defaults(run=_fields)
    render = commands.add_parser("render", help="remplit un modèle pour une demande")
    render.add_argument("template", help="modèle Word (.docx)")
    render.add_argument("--database", required=True, help="base locale de bannette (.sqlite3)")
    render.add_argument(
        "--request", required=True,
        help="numéro de la demande, tel que la bannette le montre (67348-2026-000123)",
    )
    render.add_argument("-o", "--output", required=True, help="document à écrire (.docx)")
    render.add_argument("--pdf", action="store_true", help="écrit aussi le PDF à côté")
    render.add_argument("--date", help="date du courrier (AAAA-MM-JJ), aujourd'hui par défaut")
    render.add_argument("--timeout", type=float, default=120.0, help=argparse.SUPPRESS)
    render.set_defaults(run=_render)
    return main


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    return int(arguments.run(arguments))


if __name__ == "__main__":
    sys.exit(main())
