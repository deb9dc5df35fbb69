"""Text folding shared by sorting and search, so both agree on what "the same letters" means."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower case without diacritics: "Éloïse Noël" -> "eloise noel" (œ/æ spelled out)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("œ", "oe").replace("æ", "ae")
