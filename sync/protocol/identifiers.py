"""Checks of French identifiers, shared so the desktop refuses offline what the server refuses."""

from __future__ import annotations

import re

_SIRET = re.compile(r"^\d{14}$")
_RNA = re.compile(r"^W\d{9}$")
#: La Poste's establishments do not follow the Luhn key: the digits of the SIRET sum to a
#: multiple of 5 instead (INSEE rule for SIREN 356000000).
_LA_POSTE_SIREN = "356000000"


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def siret_is_valid(siret: str) -> bool:
    """14 digits with a valid Luhn key (or La Poste's sum-of-digits exception)."""
    if not _SIRET.match(siret) or not siret.strip("0"):
        return False
    if siret.startswith(_LA_POSTE_SIREN) and siret != "35600000000048":
        return sum(int(c) for c in siret) % 5 == 0
    return luhn_ok(siret)


def rna_is_valid(rna: str) -> bool:
    """RNA number of an association: ``W`` followed by 9 digits, not all zeros."""
    return bool(_RNA.match(rna)) and bool(rna[1:].strip("0"))
