"""Body size limit as a pure ASGI middleware.

A declared ``Content-Length`` over the limit is refused at once; a chunked body is counted as it
streams and refused as soon as it passes the limit, so the multipart parser never spools a huge
upload to disk.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.problems import problem_response

TOO_LARGE = "L'envoi dépasse la taille maximale autorisée (5 Mo par fichier)."
NUL_IN_ADDRESS = "L'adresse demandée contient un caractère nul (%00), refusé."
NUL_IN_BODY = "Les données envoyées contiennent un caractère nul (\\u0000), refusé."
_NUL_ESCAPE = b"\\u0000"


def too_large(path: str, limit: int) -> str:
    """Says what is too large: a push batch is not a file (the desktop splits its batches)."""
    megabytes = max(1, limit // (1024 * 1024))
    if path.endswith("/sync/push"):
        return (f"Le lot de modifications envoyé est trop volumineux (au plus {megabytes} Mo) : "
                "envoyez-le en plusieurs lots plus petits.")
    if path.endswith("/submissions"):
        return (f"La demande et ses pièces jointes dépassent {megabytes - 1} Mo au total "
                "(5 Mo par fichier).")
    if path.endswith(("/attachments", "/blobs", "/folders")):
        return TOO_LARGE
    return f"Le corps de la requête dépasse la taille maximale autorisée ({megabytes} Mo)."


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if "\x00" in path or b"%00" in scope.get("query_string", b""):
            # PostgreSQL refuses NUL in a text where SQLite stores it: refused at the door.
            await problem_response(422, NUL_IN_ADDRESS)(scope, receive, send)
            return
        limit = self.limit_for(path)
        refusal = too_large(path, limit)
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await problem_response(413, refusal)(scope, receive, send)
                return
        seen = 0
        # A push is exempt: a NUL in one mutation rejects that mutation (with its reason), not
        # the whole batch, which the desktop would otherwise send again and again.
        is_json = not path.endswith("/sync/push") and any(
            name == b"content-type" and b"json" in value.lower()
            for name, value in scope.get("headers", []))
        tail = b""

        async def counting_receive() -> Message:
            nonlocal seen, tail
            message: Message = await receive()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                seen += len(body)
                if is_json:
                    # PostgreSQL refuses NUL in a text where SQLite stores it: every JSON body
                    # is refused at the door, so both databases answer the same.
                    window = tail + body
                    if _NUL_ESCAPE in window:
                        raise HTTPException(status_code=422, detail=NUL_IN_BODY)
                    tail = window[-(len(_NUL_ESCAPE) - 1):]
                if seen > limit:
                    # FastAPI turns HTTPException raised while reading the body into a response
                    # (other exceptions become a generic 400).
                    raise HTTPException(status_code=413, detail=refusal)
            return message

        await self.app(scope, counting_receive, send)
