"""What is typed in a citizen look-up, as an FTS5 query on ``citizen_lookup`` (migration
0011): shared by the intake's search of one commune and the « Usagers » look-up of all."""

from __future__ import annotations

import re

from desktop.domain.text import fold

_TOKEN = re.compile(r"[0-9a-z]+")


def lookup_query(text: str) -> str | None:
    """What is typed as an FTS5 query: each word (accents ignored) a prefix of a word of the
    name, the e-mail or the phone key; a phone typed « +33 6 12 … » becomes « 0612… » as the
    key is written. None when too little is typed to look (one letter)."""
    compact = re.sub(r"[\s.\-/()]", "", text)
    if len(compact) >= 3 and re.fullmatch(r"\+?\d+", compact):
        # As ``phone_key`` writes numbers: national digits for France, else the full ones.
        international = re.match(r"^(?:\+|00)(33)?0?", compact)
        if international is None:
            digits = compact
        elif international.group(1):
            digits = "0" + compact[international.end() :]
        else:
            digits = compact.lstrip("+0")
        tokens = [digits]
    else:
        tokens = _TOKEN.findall(fold(text))
    if sum(len(t) for t in tokens) < 2:
        return None
    if re.fullmatch(r"\S*[@.]\S*", text.strip()) and len(tokens) > 1:
        # The beginning of an e-mail address: its words in a row, in the e-mail only.
        return f'email : "{" ".join(tokens)}"*'
    return " ".join(f'"{token}"*' for token in tokens)
