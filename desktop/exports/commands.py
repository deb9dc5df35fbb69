"""``python -m desktop export`` and ``python -m desktop stats``: the same files and figures as
the window, for scripts (issue 13, « Commands for scripts »). No Qt is imported.

Exit codes: 0 done, 2 bad arguments (unknown commune, status, date, period), 1 the file could
not be written or the database opened. Messages go to stderr, in French.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from desktop.domain.legal_time import legal_today
from desktop.domain.text import fold
from desktop.exports.tables import bannette_ids, bannette_table
from desktop.exports.writers import ExportError, ExportFormat, export_tables
from desktop.store.database import StoreError, connect
from desktop.store.inbox import InboxFilter, InboxSort
from desktop.store.statistics import (
    StatisticsError,
    check_period,
    commune_by_insee,
    compute_statistics,
)
from sync.protocol.vocabulary import STATUS_LABELS, Status

COMMANDS = ("export", "stats")


class _Parser(argparse.ArgumentParser):
    """argparse, but its errors say « erreur » and exit with 2 like the others."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog} : erreur : {message}\n")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"date « {text} » invalide : attendu AAAA-MM-JJ, par exemple 2026-11-23"
        ) from None


def _status(text: str) -> Status:
    """A status by its code (``received``) or its French label (« Reçue »), any case."""
    wanted = fold(text).strip()
    for status in Status:
        if wanted in (status.value, fold(STATUS_LABELS[status])):
            return status
    known = ", ".join(f"{s.value} ({STATUS_LABELS[s]})" for s in Status)
    raise argparse.ArgumentTypeError(f"statut « {text} » inconnu ; statuts possibles : {known}")


def _parser(command: str) -> argparse.ArgumentParser:
    if command == "export":
        parser = _Parser(
            prog="bannette export",
            description="Écrire les demandes de la bannette dans un fichier CSV, XLSX ou ODS "
            "(numéro, commune, reçue le, canal, usager, objet, démarche, statut, échéance, "
            "assignée à).",
        )
        parser.add_argument("--format", required=True, choices=[f.value for f in ExportFormat])
        parser.add_argument("-o", "--output", required=True, type=Path, metavar="FICHIER")
        parser.add_argument("--statut", nargs="+", type=_status, default=[], metavar="STATUT")
        parser.add_argument("--recherche", default="", metavar="TEXTE")
    else:
        parser = _Parser(
            prog="bannette stats",
            description="Afficher les chiffres du tableau de bord (JSON).",
        )
        parser.add_argument("--du", type=_day, metavar="AAAA-MM-JJ")
        parser.add_argument("--au", type=_day, metavar="AAAA-MM-JJ")
        parser.add_argument("--json", action="store_true", required=True,
                            help="sortie JSON (seule sortie proposée)")  # fmt: skip
    parser.add_argument("--database", required=True, type=Path, metavar="BASE")
    parser.add_argument("--commune", metavar="CODE_INSEE")
    parser.add_argument(
        "--aujourdhui", type=_day, metavar="AAAA-MM-JJ",
        help="jour de référence (retards, délais en cours) ; par défaut aujourd'hui",
    )  # fmt: skip
    return parser


def main(argv: Sequence[str]) -> int:
    """``argv[0]`` is the command (``export`` or ``stats``)."""
    command, rest = argv[0], list(argv[1:])
    args = _parser(command).parse_args(rest)
    if not args.database.is_file():
        print(f"Base introuvable : « {args.database} ».", file=sys.stderr)
        return 2
    try:
        conn = connect(args.database)
    except StoreError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    today = args.aujourdhui or legal_today()
    try:
        authority = commune_by_insee(conn, args.commune) if args.commune else None
        if command == "export":
            return _export(conn, args, authority.pk if authority else None, today)
        check_period(args.du, args.au)
        stats = compute_statistics(
            conn, today=today, authority_pk=authority.pk if authority else None,
            start=args.du, end=args.au,
        )  # fmt: skip
    except StatisticsError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    finally:
        conn.close()
    print(json.dumps(stats.as_json(), ensure_ascii=False, indent=2))
    return 0


def _export(
    conn: sqlite3.Connection, args: argparse.Namespace, authority_pk: int | None, today: date
) -> int:
    flt = InboxFilter(
        statuses=frozenset(args.statut),
        authority_pks=frozenset([authority_pk]) if authority_pk is not None else frozenset(),
        search=args.recherche,
    )
    pks = bannette_ids(conn, flt, InboxSort(), today=today)
    try:
        written = export_tables([bannette_table(conn, pks)], args.output, ExportFormat(args.format))
    except ExportError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"{written} demande(s) exportée(s) dans « {args.output} ».", file=sys.stderr)
    return 0
