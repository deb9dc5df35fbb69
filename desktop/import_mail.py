"""``python -m desktop import-mail FICHIER.eml [FICHIER…] --database BASE --commune CODE_INSEE``

Registers each mail as a request of the commune, exactly as a mail dropped on the bannette
(``desktop.services.mail_intake``), and prints one JSON line per mail on stdout:

    {"numero": "P-2026-0001", "usager": "ROY Élise", "courriel": "elise@example.fr",
     "objet": "…", "pieces": [{"nom": "plan.pdf", "acceptee": true, "motif": null}, …]}

A mail already registered for the commune prints its line with ``"deja_enregistre": true``,
the number it already has and no ``pieces``: nothing is registered again. A file that cannot
be read or registered is said in French on stderr; the others go on, each in its own
transaction, and the exit code is 1 (2 for a wrong command line: unknown commune or démarche,
unusable database). The démarche is ``--demarche`` (its name, accents and case ignored) or,
without it, the commune's first démarche without implicit decision (by name): a mail says
nothing of its démarche and the secrétaire requalifies the request.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from desktop.domain.text import fold
from desktop.services.mail_intake import (
    MailDraft,
    already_said,
    read_mail,
    read_mail_file,
    register_mail,
)
from desktop.store.database import StoreError, connect
from desktop.store.intake import procedures_for

COMMAND = "import-mail"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=f"python -m desktop {COMMAND}",
        description="Enregistre des courriels (.eml, .msg) comme demandes d'une commune, "
                    "comme s'ils avaient été glissés sur la bannette.",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FICHIER",
                        help="courriel à enregistrer (.eml ou .msg)")
    parser.add_argument("--database", type=Path, required=True, help="fichier de la base locale")
    parser.add_argument("--commune", required=True, metavar="CODE_INSEE",
                        help="code INSEE de la commune destinataire")
    parser.add_argument("--demarche", default="", metavar="NOM",
                        help="démarche des demandes (par défaut : la première démarche sans "
                             "décision implicite de la commune)")
    return parser.parse_args(list(argv))


def _authority(conn: sqlite3.Connection, insee: str) -> int:
    rows = conn.execute(
        "SELECT pk FROM authority WHERE insee_code = ? AND deleted = 0", (insee.strip(),)
    ).fetchall()
    if len(rows) != 1:
        raise StoreError(f"Aucune commune de code INSEE « {insee} » dans cette base.")
    return int(rows[0][0])


def _procedure(conn: sqlite3.Connection, authority_pk: int, wanted: str) -> int:
    offered = procedures_for(conn, authority_pk)
    if wanted:
        for choice in offered:
            if fold(choice.label) == fold(wanted):
                return int(choice.key)
        names = ", ".join(f"« {c.label} »" for c in offered)
        raise StoreError(f"La démarche « {wanted} » n'est pas proposée par cette commune "
                         f"(démarches : {names}).")
    quiet = {int(pk) for (pk,) in conn.execute(
        "SELECT pk FROM procedure WHERE silence_rule = 'none'")}
    for choice in offered:
        if int(choice.key) in quiet:
            return int(choice.key)
    if offered:
        return int(offered[0].key)
    raise StoreError("Cette commune ne propose aucune démarche : indiquez-en une avec "
                     "--demarche après la synchronisation.")


def _line(draft: MailDraft, number: str, citizen: str) -> dict[str, object]:
    return {
        "numero": number,
        "usager": citizen,
        "courriel": draft.sender_email,
        "objet": draft.subject,
        "pieces": [{"nom": f.name, "acceptee": f.accepted, "motif": f.reason}
                   for f in draft.files],
    }


def _citizen_name(conn: sqlite3.Connection, request_pk: int) -> str:
    row = conn.execute(
        "SELECT c.display_name FROM request r JOIN citizen c ON c.pk = r.citizen_pk "
        "WHERE r.pk = ?", (request_pk,),
    ).fetchone()
    return str(row[0]) if row else ""


def import_one(
    conn: sqlite3.Connection, authority_pk: int, procedure_pk: int, path: Path,
    agent_id: str | None,
) -> dict[str, object]:
    """One mail registered (or found already registered); its JSON line. Raises
    ``StoreError`` (French) when it cannot be, and then nothing is written."""
    draft = read_mail(conn, authority_pk, path.name, read_mail_file(path))
    if draft.existing is not None:
        line = _line(draft, draft.existing.number, _citizen_name(conn, draft.existing.request_pk))
        line["pieces"] = []
        line["deja_enregistre"] = True
        print(already_said(draft.existing), file=sys.stderr)
        return line
    done = register_mail(conn, draft, draft.entry(authority_pk, procedure_pk),
                         agent_id=agent_id)
    return _line(draft, done.number, _citizen_name(conn, done.request_pk))


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    if not args.database.is_file():
        print(f"La base « {args.database} » n'existe pas.", file=sys.stderr)
        return 2
    try:
        conn = connect(args.database)
        authority_pk = _authority(conn, args.commune)
        procedure_pk = _procedure(conn, authority_pk, args.demarche)
    except StoreError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    agent = conn.execute("SELECT value FROM setting WHERE key = 'current_agent'").fetchone()
    failed = 0
    try:
        for path in args.files:
            try:
                line = import_one(conn, authority_pk, procedure_pk, path,
                                  agent[0] if agent else None)
            except StoreError as exc:
                failed += 1
                print(f"{path.name} : {exc}", file=sys.stderr)
                continue
            print(json.dumps(line, ensure_ascii=False), flush=True)
    finally:
        conn.close()
    return 1 if failed else 0
