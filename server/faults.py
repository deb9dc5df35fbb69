"""Fault-injection hooks for the sync tests: at a named step, create a marker file and wait, so
a test can ``kill -9`` the server exactly there.

Inactive unless the step's environment variable names the marker file; a marker that already
exists means the pause happened once and is not repeated (the restarted server runs normally).
"""

from __future__ import annotations

import os
import time

#: After a push is committed and before it is answered.
AFTER_PUSH_ENV = "BANNETTE_SERVER_PAUSE_AFTER_PUSH"
#: An uploaded file is on disk, its database row not yet committed.
IN_UPLOAD_ENV = "BANNETTE_SERVER_PAUSE_IN_UPLOAD"


def pause(env: str, step: str) -> None:
    marker = os.environ.get(env)
    if marker and not os.path.exists(marker):
        with open(marker, "w", encoding="utf-8") as handle:
            handle.write(step)
        time.sleep(60)
