"""Bounds on what any door may store: free JSON (form fields), text and numbers.

One anonymous submission with ``form_fields`` nested 256 deep once made every pull page of its
commune fail. The rules live here, used by the wire models, so the desktop refuses offline what
the server refuses, and PostgreSQL and SQLite see the same (valid) data: no NUL character in a
text, no NaN or infinity in a number. Every walk is iterative: a 2,000-deep input cannot exhaust
the Python stack while it is being checked.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

#: Nesting of a free JSON object (the object itself is level 1).
MAX_JSON_DEPTH = 8
#: Keys of all the objects of one free JSON value, together.
MAX_JSON_KEYS = 200
#: Serialized size (UTF-8) of one free JSON value.
MAX_JSON_BYTES = 20_000
#: Longest text anywhere in a free JSON value.
MAX_JSON_STRING = 20_000
#: Integers a JSON reader in any language reads exactly (JavaScript's safe range).
MAX_JSON_INTEGER = 2**53 - 1
#: Longest free text of a record (a request's description, a message's body): the wire's
#: ``LongText``, also used by the doors that cut a text to fit (incoming mail).
MAX_LONG_TEXT = 20_000
#: Legal dates (receipt of a request, a phone call) are in this range: older is a typing error,
#: and a date near year 1 or 9999 overflows once moved to UTC or numbered.
FIRST_LEGAL_YEAR = 2000
LAST_LEGAL_YEAR = 2100


def wire_problem(value: Any) -> str | None:
    """The first NUL character in a text (or key) or non-finite number of ``value``, in French;
    None when there is none."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "caractère nul (\\x00) interdit dans un texte"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "nombre invalide (NaN ou infini)"
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return None


def json_problem(value: Any, what: str = "Le formulaire") -> str | None:
    """Why ``value`` may not be stored as free JSON, in French; None when it may."""
    keys = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                return f"{what} est trop imbriqué (au plus {MAX_JSON_DEPTH} niveaux)."
            if isinstance(item, dict):
                keys += len(item)
                if keys > MAX_JSON_KEYS:
                    return f"{what} contient trop de champs (au plus {MAX_JSON_KEYS})."
                for key in item:
                    if not isinstance(key, str):
                        return f"{what} contient une clé qui n'est pas un texte."
                    stack.append((key, depth))
                stack.extend((child, depth + 1) for child in item.values())
            else:
                if len(item) > MAX_JSON_KEYS:
                    return f"{what} contient une liste trop longue (au plus {MAX_JSON_KEYS})."
                stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            if len(item) > MAX_JSON_STRING:
                return f"{what} contient un texte trop long (au plus {MAX_JSON_STRING} caractères)."
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if abs(item) > MAX_JSON_INTEGER:
                return f"{what} contient un nombre trop grand."
        elif isinstance(item, float):
            if not math.isfinite(item):
                return f"{what} contient un nombre invalide (NaN ou infini)."
        else:
            return f"{what} contient une valeur d'un type non pris en charge."
    problem = wire_problem(value)
    if problem is not None:
        return f"{what} contient un {problem}."
    size = len(json.dumps(value, ensure_ascii=False).encode("utf-8"))
    if size > MAX_JSON_BYTES:
        return f"{what} est trop volumineux (au plus {MAX_JSON_BYTES // 1000} Ko)."
    return None


def _bounded_json(value: Any) -> Any:
    # Before pydantic copies the value: a deep structure is refused before being walked twice.
    problem = json_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


#: A free JSON object the server stores and sends back (form fields).
BoundedJson = Annotated[dict[str, Any], BeforeValidator(_bounded_json)]


def _legal_instant(value: datetime) -> datetime:
    if not FIRST_LEGAL_YEAR <= value.year <= LAST_LEGAL_YEAR:
        raise ValueError(
            f"date invalide : elle doit être comprise entre {FIRST_LEGAL_YEAR} et "
            f"{LAST_LEGAL_YEAR}"
        )
    return value


def _legal_day(value: date) -> date:
    if not FIRST_LEGAL_YEAR <= value.year <= LAST_LEGAL_YEAR:
        raise ValueError(
            f"date invalide : elle doit être comprise entre {FIRST_LEGAL_YEAR} et "
            f"{LAST_LEGAL_YEAR}"
        )
    return value


#: An instant between 2000 and 2100 (the server also refuses it more than a day ahead).
LegalInstant = Annotated[datetime, AfterValidator(_legal_instant)]
#: A day between 2000 and 2100.
LegalDay = Annotated[date, AfterValidator(_legal_day)]
