"""Strict e-mail address checks, with the standard library (no extra dependency).

An address reaches an SMTP envelope and a ``To:`` header: anything that could inject a header
(CR, LF), a second address or a malformed domain is refused with a French reason."""

from __future__ import annotations

import re
from email.headerregistry import Address

_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$")


class AddressError(ValueError):
    """The address cannot be used; ``str(error)`` is the French reason."""


def check_address(value: str | None) -> str:
    """Returns the address to use (domain in lower case, IDN as punycode) or raises."""
    text = (value or "").strip()
    shown = text.replace("\r", " ").replace("\n", " ")[:80]
    if not text:
        raise AddressError("Adresse électronique manquante.")
    if any(ch in text for ch in "\r\n\t\0 ,;<>\"()[]\\"):
        raise AddressError(f"Adresse électronique invalide : « {shown} ».")
    if text.count("@") != 1:
        raise AddressError(f"Adresse électronique invalide (un seul « @ ») : « {shown} ».")
    local, domain = text.split("@")
    if not local or len(local) > 64 or not _LOCAL.match(local):
        raise AddressError(f"Adresse électronique invalide : « {shown} ».")
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise AddressError(f"Nom de domaine invalide : « {shown} ».") from exc
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or not _TLD.match(
        labels[-1]
    ):
        raise AddressError(f"Nom de domaine invalide : « {shown} ».")
    address = f"{local}@{ascii_domain}"
    if len(address) > 254:
        raise AddressError("Adresse électronique trop longue.")
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, IndexError) as exc:
        raise AddressError(f"Adresse électronique invalide : « {shown} ».") from exc
    if parsed.addr_spec != address:
        raise AddressError(f"Adresse électronique invalide : « {shown} ».")
    return address
