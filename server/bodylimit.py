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


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await problem_response(413, TOO_LARGE)(scope, receive, send)
                return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message: Message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # FastAPI turns HTTPException raised while reading the body into a response
                    # (other exceptions become a generic 400).
                    raise HTTPException(status_code=413, detail=TOO_LARGE)
            return message

        await self.app(scope, counting_receive, send)
