"""A wakeable background thread: the shape shared by the server's workers (the mail sender,
the parapheur poller, the mailbox poller) — one pass, then a wait that ``wake`` cuts short and
``stop`` ends; an exception in a pass is logged and the next pass comes anyway."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class WakeableThread:
    """Runs ``pass_`` on a daemon thread every ``interval`` seconds (or sooner when woken).
    ``pass_`` may return the seconds until it has work again (capped by ``interval``)."""

    def __init__(self, name: str, pass_: Callable[[], float | None], interval: float) -> None:
        self.name = name
        self.interval = interval
        self._pass = pass_
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        """There is work now: do not wait for the next interval."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                wait = self._pass()
            except Exception:
                log.exception("%s: pass failed", self.name)
                wait = None
            if self._stop.is_set():
                return
            self._wake.wait(self.interval if wait is None else min(wait, self.interval))
