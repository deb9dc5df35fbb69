"""Pause points for fault-injection tests: the process stops at a named step so a test can
``kill -9`` it exactly there.

Inactive unless ``BANNETTE_SYNC_PAUSE_AT`` names the point (comma-separated list); the pause
announces itself on standard error (``PAUSE <point>``) so the test knows when to strike.
Costs one dictionary lookup when unused.
"""

from __future__ import annotations

import os
import sys
import time

PAUSE_ENV = "BANNETTE_SYNC_PAUSE_AT"
SECONDS_ENV = "BANNETTE_SYNC_PAUSE_SECONDS"
#: A file created when the pause starts, for tests that wait on it rather than read a pipe.
MARKER_ENV = "BANNETTE_SYNC_PAUSE_MARKER"


def pause(point: str) -> None:
    wanted = os.environ.get(PAUSE_ENV)
    if not wanted or point not in wanted.split(","):
        return
    print(f"PAUSE {point}", file=sys.stderr, flush=True)
    marker = os.environ.get(MARKER_ENV)
    if marker:
        with open(marker, "w", encoding="utf-8") as handle:
            handle.write(point)
    time.sleep(float(os.environ.get(SECONDS_ENV, "30")))
