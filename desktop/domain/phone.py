"""French telephone numbers, as a citizen dictates them and a mairie writes them.

Accepted, with spaces, dots or dashes anywhere:

* a national number: ten digits starting with 0 and a non-zero digit (« 03 88 95 12 34 »);
* ``+33`` or ``0033`` then the nine digits without the 0 (« +33 3 88 95 12 34 »), the
  « (0) » some cards add included (« +33 (0)3 88 95 12 34 »);
* an overseas number with its own code and length: +262, +590, +594, +596 (nine digits, as
  in metropolitan France), +508 and +681 and +687 (six), +689 (eight);
  ``00`` in place of ``+`` works for these French codes;
* any other country's number written with ``+`` (8 to 15 digits in all, ITU-T E.164): a
  commune near a border has Swiss, German or Belgian callers.

Anything else, an eight-digit « 03 88 95 12 » above all, is refused with a sentence that says
what is expected.
"""

from __future__ import annotations

import re

__all__ = ["phone_key", "phone_problem"]

#: Overseas country codes of the French Republic and the number of digits that follow them.
OVERSEAS_DIGITS: dict[str, int] = {
    "262": 9,  # La Réunion, Mayotte
    "590": 9,  # Guadeloupe, Saint-Barthélemy, Saint-Martin
    "594": 9,  # Guyane
    "596": 9,  # Martinique
    "508": 6,  # Saint-Pierre-et-Miquelon
    "681": 6,  # Wallis-et-Futuna
    "687": 6,  # Nouvelle-Calédonie
    "689": 8,  # Polynésie française
}

_SEPARATORS = re.compile(r"[\s.\-/]+")
_TRUNK = re.compile(r"^(\+|00)33\(0\)")

EXPECTED = (
    "10 chiffres commençant par 0 (03 88 95 12 34), ou l'indicatif +33 suivi de 9 chiffres "
    "(+33 3 88 95 12 34), ou un numéro international complet (+262…, +41…)"
)


def _compact(text: str) -> str:
    compact = _SEPARATORS.sub("", text.strip())
    return _TRUNK.sub(r"\g<1>33", compact)


def _international_ok(digits: str, *, plus: bool) -> bool:
    """``digits``: everything after the « + » or « 00 » (country code included). Another
    country's number must be written with « + »: « 00 88… » is more likely a mistyped
    national number than a call to country 88."""
    if digits.startswith("33"):
        rest = digits[2:]
        return len(rest) == 9 and rest[0] != "0"
    for code, length in OVERSEAS_DIGITS.items():
        if digits.startswith(code):
            return len(digits) == len(code) + length
    return plus and 8 <= len(digits) <= 15 and digits[0] != "0"


def phone_problem(text: str) -> str | None:
    """None when ``text`` is a telephone number as described above (or empty), else the
    French sentence to show next to the field."""
    if not text.strip():
        return None
    compact = _compact(text)
    if compact.startswith("+"):
        ok = compact[1:].isdigit() and _international_ok(compact[1:], plus=True)
    elif compact.startswith("00"):
        ok = compact[2:].isdigit() and _international_ok(compact[2:], plus=False)
    else:
        ok = compact.isdigit() and len(compact) == 10 and compact[0] == "0" and compact[1] != "0"
    if ok:
        return None
    return f"Le numéro de téléphone « {text.strip()} » n'est pas valide : {EXPECTED}."


def phone_key(text: str) -> str:
    """The number reduced to what identifies it, so « 03 88 95 12 34 », « +33 3 88 95 12 34 »
    and « 0033 (0)3 88 95 12 34 » are one key: the ten national digits for a metropolitan
    number, the full international digits (no « + ») for any other. Empty for an empty or
    unreadable number. Used to spot duplicate citizens and to search by phone."""
    compact = _compact(text or "")
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    digits = re.sub(r"\D", "", compact)
    if not digits:
        return ""
    if compact.startswith("+"):
        if digits.startswith("33") and len(digits) == 11:
            return "0" + digits[2:]
        return digits
    return digits
