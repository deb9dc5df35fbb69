"""Where the session lives: the refresh token in the OS keyring, never in a file.

Only the server address and the login (not secret) are kept in the local database, so the
app knows whom to ask the keyring for. Without a usable keyring (a Linux box without a
Secret Service, a locked or unreachable one), the token is kept in memory for the session and
the password is asked again at the next start: a file would be the one place a stolen laptop
gives it away. ``problem`` then says so in French, for the window to tell the secrétaire.
"""

from __future__ import annotations

import contextlib
import logging

from sync.cli import (  # noqa: F401 - the messages are the window's too
    KEYRING_LOCKED,
    KEYRING_SERVICE,
    KEYRING_UNAVAILABLE,
    keyring_problem,
    session_key,
)

log = logging.getLogger(__name__)


class TokenVault:
    def __init__(self) -> None:
        self._memory: dict[str, str] = {}
        #: Set when the keyring failed: the session is kept in memory only. Read and cleared
        #: with ``take_problem``.
        self.problem: str | None = None
        self._told: set[str] = set()

    def take_problem(self) -> str | None:
        problem, self.problem = self.problem, None
        return problem

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
            from keyring.errors import PasswordDeleteError

            if refresh_token is None:
                with contextlib.suppress(PasswordDeleteError):  # nothing stored to forget
                    keyring.delete_password(KEYRING_SERVICE, key)
            else:
                keyring.set_password(KEYRING_SERVICE, key, refresh_token)
        except Exception as exc:  # noqa: BLE001
            log.info("keyring unavailable, token kept in memory only: %s", exc)
            problem = keyring_problem(exc)
            if refresh_token is not None and problem not in self._told:
                self._told.add(problem)  # said once: every token rotation would say it again
                self.problem = problem
