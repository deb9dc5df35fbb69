"""Reply letters: fill a template of the library for one request. No Qt here.

The reply dialog (GUI) picks a :class:`~.library.TemplateInfo`, builds the request's context
once on the GUI thread (:func:`request_context`, reads the store) and renders off the GUI thread
(:func:`render_reply`, touches files only)::

    context = request_context(conn, request_pk, today)          # GUI thread, a few ms
    docx = render_reply(info.path, context, folder / "reponse.docx")   # worker thread, ~50 ms

``render_reply`` checks the template first (French :class:`~.errors.TemplateError` naming the
template and the field), writes atomically (a temporary file in the same folder, then
``os.replace``) and refuses to replace a draft Word or LibreOffice still has open
(:class:`~.errors.OutputError`). The same call with the same arguments gives the same document,
so each saved draft can be kept as a version by the caller.

Request numbers are looked up as shown in the bannette (« 2026-000123 ») or with a commune
code in front (« 67348-2026-000123 », « OBERNAI 2026-000123 »): :func:`find_request`.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date
from pathlib import Path

from .context import LetterContext
from .errors import IncompleteContext, RequestNotFound
from .mentions import check_letter
from .render import render_bytes, write_document

#: The prefix of a number given offline (``desktop.store.intake.PROVISIONAL_PREFIX``; not
#: imported from there: this module stays free of the store at import time).
PROVISIONAL_PREFIX = "P-"


def render_reply(
    template: Path, request_context: LetterContext, out_path: Path, *, final: bool = False
) -> Path:
    """Fill ``template`` for the request and write ``out_path`` (.docx); return ``out_path``.

    A template named like a legal letter (``accuse_reception.docx``…) is checked for its
    mentions exactly as :func:`~.render.render_letter` does. ``final`` is for the version that
    leaves (parapheur, sending): it refuses a request still under its provisional number
    (« P-… », given offline until the server numbers it), which must never reach a citizen.
    """
    if final:
        refuse_provisional(request_context.number)
    template = Path(template)
    data = render_bytes(template, request_context)
    check_letter(data, template.stem, request_context, template)
    return write_document(data, Path(out_path))


#: A provisional number as a letter shows it (« P-2026-0003 »).
PROVISIONAL_NUMBER = re.compile(rf"\b{PROVISIONAL_PREFIX}\d{{4}}-\d+")


def refuse_provisional(number: str, text: str = "") -> None:
    """Raise :class:`IncompleteContext` (French) when a letter would leave under a provisional
    number: the request's own ``number`` still « P-… », or the letter's ``text`` (a draft
    written while it was) still showing one. No letter reaches a citizen with it."""
    shown = PROVISIONAL_NUMBER.search(text)
    # The number may be the reference, the commune's code first (« 67348-P-2026-0001 »).
    provisional = PROVISIONAL_NUMBER.search(number) is not None
    if not provisional and shown is None:
        return
    if provisional:
        raise IncompleteContext(
            f"La demande porte encore un numéro provisoire (« {number} ») : synchronisez pour "
            "obtenir son numéro définitif, puis produisez à nouveau le courrier. Aucun courrier "
            "ne part avec un numéro provisoire."
        )
    assert shown is not None
    raise IncompleteContext(
        f"Le courrier porte encore le numéro provisoire « {shown.group(0)} » alors que la "
        f"demande est désormais numérotée « {number} » : créez à nouveau le brouillon (ou "
        "corrigez le numéro dans Word) avant de l'envoyer. Aucun courrier ne part avec un "
        "numéro provisoire."
    )


def request_context(conn: sqlite3.Connection, request_pk: int, today: date) -> LetterContext:
    """The merge context of a request as of ``today`` (legal dates by the deadline engine)."""
    from desktop.services.letters import letter_context
    from desktop.store import legal

    from .render import LetterKind

    facts = legal.legal_facts(conn, request_pk)
    # The acknowledgement's context is the fullest: pending missing documents and the
    # implicit decision date as the deadline engine computes them today.
    return letter_context(LetterKind.ACKNOWLEDGEMENT, facts, today)


_PREFIXED = re.compile(r"^\s*(?P<code>.+?)[\s:/_-]+(?P<number>(?:P-)?\d{4}-\d+)\s*$", re.IGNORECASE)


def _authority_code_columns(conn: sqlite3.Connection) -> list[str]:
    """Columns that may hold a commune's short code, whichever the store has."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(authority)")}
    return [c for c in ("code", "short_code", "insee_code", "postcode", "name") if c in columns]


def find_request(conn: sqlite3.Connection, number: str) -> int:
    """The ``pk`` of the request numbered ``number``; :class:`RequestNotFound` (French) else.

    A bare number must be unambiguous (one commune in the database has it); otherwise, or at
    will, the commune code goes in front (« 67348-2026-000123 »), matched against the
    authority's code, INSEE code, postcode or name.
    """
    text = number.strip()
    rows = conn.execute(
        "SELECT pk, authority_pk FROM request WHERE number = ? AND deleted = 0", (text,)
    ).fetchall()
    if len(rows) == 1:
        return int(rows[0][0])
    if len(rows) > 1:
        raise RequestNotFound(
            f"Le numéro « {text} » existe dans plusieurs collectivités : précisez la "
            "collectivité devant le numéro (par exemple « 67348-" + text + " »)."
        )
    match = _PREFIXED.match(text)
    if match:
        code, bare = match.group("code").strip(), match.group("number")
        columns = _authority_code_columns(conn)
        if columns:
            condition = " OR ".join(f"lower(a.{c}) = lower(?)" for c in columns)
            found = conn.execute(
                f"SELECT r.pk FROM request r JOIN authority a ON a.pk = r.authority_pk "
                f"WHERE r.number = ? AND r.deleted = 0 AND ({condition})",
                (bare, *([code] * len(columns))),
            ).fetchall()
            if len(found) == 1:
                return int(found[0][0])
    raise RequestNotFound(
        f"Aucune demande numérotée « {text} » dans la base locale. Vérifiez le numéro tel "
        "qu'il apparaît dans la bannette (par exemple « 67348-2026-000123 »)."
    )
