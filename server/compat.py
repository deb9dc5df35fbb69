"""Refuses, with a French 426, a desktop older than the oldest this server accepts.

The desktop sends its version in ``X-Bannette-Version`` (sync.protocol.versions). Checked
before any route runs, so an outdated desktop never half-syncs: nothing is read or written,
and its outbox stays whole on the PC until it is updated. ``GET /api/v1/meta`` stays open to
it (it says which version is needed); clients that send no version (the citizens' portal,
scripts) are not concerned.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from server.problems import problem_response
from sync.protocol.versions import VERSION_HEADER, is_older

_HEADER = VERSION_HEADER.lower().encode("latin-1")
OPEN_PATHS = ("/api/v1/meta",)


def outdated_message(version: str, minimum: str) -> str:
    return (
        f"Cette version de Bannette ({version}) n'est plus acceptée par le serveur, qui "
        f"demande au moins la version {minimum}. Mettez le logiciel à jour : les "
        "modifications faites sur le poste sont conservées et partiront ensuite."
    )


class DesktopVersionMiddleware:
    def __init__(self, app: ASGIApp, minimum: str) -> None:
        self.app = app
        self.minimum = minimum

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path", "") not in OPEN_PATHS:
            for name, value in scope.get("headers", []):
                if name == _HEADER:
                    version = value.decode("latin-1")
                    if is_older(version, self.minimum):
                        response = problem_response(426, outdated_message(version, self.minimum))
                        await response(scope, receive, send)
                        return
                    break
        await self.app(scope, receive, send)
