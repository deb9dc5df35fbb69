"""Which desktop may talk to which server: the version header and version comparison.

The server publishes the protocol it speaks and the oldest desktop it accepts
(``GET /api/v1/meta``, :class:`sync.protocol.wire.ServerInfo`); the desktop sends its own
version in :data:`VERSION_HEADER` with every request, and an older one is answered
426 « Upgrade Required » before anything is read or written.
"""

from __future__ import annotations

import re

VERSION_HEADER = "X-Bannette-Version"
#: The oldest desktop the reference server accepts unless told otherwise.
DEFAULT_MIN_DESKTOP_VERSION = "0.1.0"


def version_key(text: str) -> tuple[int, ...]:
    """« 0.10.2 » → (0, 10, 2), for comparing versions; a suffix (« rc1 », « +local ») is
    ignored, so a pre-release compares like its release."""
    parts = []
    for piece in text.strip().split("+")[0].split("."):
        match = re.match(r"\d+", piece)
        if not match:
            break
        parts.append(int(match.group()))
    return tuple(parts)


def is_older(version: str, minimum: str) -> bool:
    return version_key(version) < version_key(minimum)
