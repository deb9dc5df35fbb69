"""Where the session lives: the refresh token in the OS keyring, never in a file.

Only the server address and the login (not secret) are kept in the local database, so the
app knows whom to ask the keyring for. Without a usable keyring (a Linux box without a
Secret Service), the token is kept in memory for the session and the password is asked again
at the next start: a file would be the one place a stolen laptop gives it away.
"""

from __future__ import annotations

import logging

from sync.cli import KEYRING_SERVICE, session_key

log = logging.getLogger(__name__)


class TokenVault:
    def __init__(self) -> None:
        self._memory: dict[str, str] = {}

    def load(self, server: str, login: str) -> str | None:
        key = session_key(server, login)
        try:
            import keyring

            value = keyring.get_password(KEYRING_SERVICE, key)
        except Exception as exc:  # noqa: BLE001 - any backend failure means "not stored"
            log.info("keyring unavailable: %s", exc)
            value = None
        return value or self._memory.get(key)

    def save(self, server: str, login: str, refresh_token: str | None) -> None:
        key = session_key(server, login)
        if refresh_token is None:
            self._memory.pop(key, None)
        else:
            self._memory[key] = refresh_token
        try:
            import keyring

            if refresh_token is None:
                keyring.delete_password(KEYRING_SERVICE, key)
            else:
                keyring.set_password(KEYRING_SERVICE, key, refresh_token)
        except Exception as exc:  # noqa: BLE001
            log.info("keyring unavailable, token kept in memory only: %s", exc)
