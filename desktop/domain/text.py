"""Text folding shared by sorting and search, so both agree on what "the same letters" means."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """Lower case without diacritics: "Éloïse Noël" -> "eloise noel" (œ/æ spelled out)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("œ", "oe").replace("æ", "ae")


def citizen_display_name(last_name: str, first_name: str, organisation: str) -> str:
    """What the bannette shows and sorts on: the organisation, else « NOM Prénom ». One rule
    for the demo, the intake and the pulled rows, so the server's copy never renames anyone."""
    person = " ".join(part for part in (last_name.upper(), first_name) if part)
    return organisation or person or "(sans nom)"


_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def identity_key(display_name: str, address: str, postcode: str) -> str:
    """Name and address as one comparable key, accents, case, punctuation and spacing ignored
    (« DURAND Sophie, 3 rue des Lilas » = « Durand sophie, 3, Rue des lilas »): two citizens
    with the same key are probably one person. Empty without an address (a name alone is not
    enough to suspect a duplicate)."""
    if not address.strip():
        return ""
    parts = (display_name, address, postcode)
    return "|".join(_NOT_ALNUM.sub(" ", fold(part)).strip() for part in parts)
