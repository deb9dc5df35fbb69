"""In-process sliding-window limiter (login failures, citizen submissions).

Kept in memory on purpose: one server process is the reference deployment; several workers would
each count on their own, which only makes the limit more lenient, never blocks a legitimate user.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class SlidingWindowLimiter:
    def __init__(
        self, max_events: int, window_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_events = max_events
        self.window = window_seconds
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def retry_after(self, key: str) -> int:
        """Seconds to wait before the next event is allowed for ``key``; 0 when allowed now."""
        with self._lock:
            now = self._clock()
            events = self._prune(key, now)
            if len(events) < self.max_events:
                return 0
            return max(1, math.ceil(events[0] + self.window - now))

    def count(self, key: str) -> int:
        with self._lock:
            return len(self._prune(key, self._clock()))

    def hit(self, key: str) -> None:
        with self._lock:
            now = self._clock()
            self._prune(key, now).append(now)
            if len(self._events) > 100_000:  # keep memory bounded under a flood of keys
                for stale in [k for k, v in self._events.items() if not v]:
                    del self._events[stale]

    def reset(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)
