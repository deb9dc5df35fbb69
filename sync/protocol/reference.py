"""The number a request is known by, unambiguous whatever the window holds.

Each commune numbers its requests in its own yearly sequence (« 2026-000165 »), as the law
and the communes expect, so two communes in one bannette both have a « 2026-000165 ». What is
shown, searched, printed on letters and accepted by commands is the *reference*: the commune's
INSEE code before the number (« 67348-2026-000165 »). The INSEE code is unique in France and
already known for every commune: nothing to choose or to keep unique by hand. The stored
``number`` stays the per-commune sequence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: An INSEE commune code: five digits, Corsica's « 2A »/« 2B » in second place.
_INSEE = r"\d[\dAB]\d{3}"
#: What a secrétaire types to find a request by number: the reference or the bare number, or
#: their beginning (« 67348-2026-00 », « 2026-0001 »). Provisional numbers (« P-2026-0001 »)
#: are given by a PC before the server numbers the request.
_TYPED = re.compile(
    rf"^\s*(?:(?P<code>{_INSEE})\s*[-/ ]\s*)?(?P<number>(?:P-)?\d{{4}}-\d*)\s*$", re.IGNORECASE
)


@dataclass(frozen=True)
class TypedNumber:
    """A number typed in a search box or a command: the commune code when given, and the
    (beginning of the) per-commune number."""

    insee_code: str | None
    number: str


def request_reference(insee_code: str, number: str) -> str:
    """« 67348-2026-000165 »; the bare number for a commune whose code is not known yet."""
    code = insee_code.strip().upper()
    return f"{code}-{number}" if code else number


def parse_typed_number(text: str) -> TypedNumber | None:
    """The number part of what was typed, or None when it is not a number."""
    match = _TYPED.match(text)
    if match is None:
        return None
    code = match.group("code")
    number = match.group("number")
    if number.lower().startswith("p-"):
        number = "P-" + number[2:]
    return TypedNumber(code.upper() if code else None, number)
