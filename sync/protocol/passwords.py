"""Temporary passwords (an invitation, a reset): made by the server for a reset and by the
desktop for an invitation, shown once, changed at the first login."""

from __future__ import annotations

import secrets

#: Letters and digits a person can read back without confusion (no 0/O, 1/l/I).
READABLE = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def temporary_password() -> str:
    """Three groups of five readable characters, a number and a sign: passes the policy, is
    read over the phone, and is never seen again."""
    groups = ["".join(secrets.choice(READABLE) for _ in range(5)) for _ in range(3)]
    return "-".join(groups) + f"-{secrets.randbelow(90) + 10}!"
