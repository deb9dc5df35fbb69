"""``GET /meta``: the protocol this server speaks and the oldest desktop it accepts.

Open without login: a desktop asks it to show the versions in « À propos » and to tell the
secrétaire, before she logs in, that her software must be updated.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from sync.protocol.wire import ServerInfo

router = APIRouter(tags=["synchronisation"])


@router.get("/meta", response_model=ServerInfo)
def server_info(request: Request) -> ServerInfo:
    return ServerInfo(min_desktop_version=request.app.state.settings.min_desktop_version)
