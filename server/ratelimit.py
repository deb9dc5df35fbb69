"""Sliding-window limiters (login attempts, citizen submissions).

The server uses :class:`SharedLimiter`, kept in the database so that several worker processes
count together; :class:`SlidingWindowLimiter` is the in-memory one, for single-process tools.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.db.models import RateLimitHit
from server.db.session import write_session
from server.db.types import utcnow

if TYPE_CHECKING:
    from server.db.database import Database


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


class SharedLimiter:
    """Sliding-window limiter whose events live in the database (``rate_limit_hits``).

    Every worker process of the server, on every machine, counts in the same table, so N
    workers limit exactly as one. ``reserve`` counts an event BEFORE the costly work it guards
    (a password hash): of any number of simultaneous attempts, at most ``max_events`` pass,
    because each one commits its event first and then counts the committed events."""

    def __init__(self, db: Database, name: str, max_events: int, window_seconds: float,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.name = name
        self.max_events = max_events
        self.window = timedelta(seconds=window_seconds)
        self._clock = clock
        self._hits = 0

    def _key(self, key: str) -> str:
        return f"{self.name}|{key}"[:300]

    def _times(self, session: Session, key: str, now: datetime) -> list[datetime]:
        return list(session.execute(
            select(RateLimitHit.at).where(RateLimitHit.key == self._key(key),
                                          RateLimitHit.at > now - self.window)
            .order_by(RateLimitHit.at)
        ).scalars())

    def count(self, key: str) -> int:
        with self.db.read() as session:
            return len(self._times(session, key, self._clock()))

    def retry_after(self, key: str) -> int:
        """Seconds to wait before the next event is allowed for ``key``; 0 when allowed now."""
        now = self._clock()
        with self.db.read() as session:
            times = self._times(session, key, now)
        if len(times) < self.max_events:
            return 0
        oldest = times[len(times) - self.max_events]
        return max(1, math.ceil((oldest + self.window - now).total_seconds()))

    def hit(self, key: str) -> uuid.UUID:
        """Counts one event now (its own short transaction); returns its id for ``release``."""
        now = self._clock()
        hit_id = uuid.uuid4()
        with write_session(self.db.sessions) as session:
            session.add(RateLimitHit(id=hit_id, key=self._key(key), at=now))
            self._hits += 1
            if self._hits % 500 == 1:  # expired events of this limiter go now and then
                session.execute(delete(RateLimitHit).where(
                    RateLimitHit.key.startswith(f"{self.name}|", autoescape=True),
                    RateLimitHit.at <= now - self.window))
        return hit_id

    def reserve(self, key: str) -> tuple[uuid.UUID, int]:
        """Counts one event, then answers how long to wait if it went over the limit (0: go)."""
        hit_id = self.hit(key)
        now = self._clock()
        with self.db.read() as session:
            times = self._times(session, key, now)
        if len(times) <= self.max_events:
            return hit_id, 0
        oldest = times[len(times) - self.max_events]
        return hit_id, max(1, math.ceil((oldest + self.window - now).total_seconds()))

    def release(self, hit_id: uuid.UUID) -> None:
        """Forgets one event (an attempt that turned out legitimate)."""
        with write_session(self.db.sessions) as session:
            session.execute(delete(RateLimitHit).where(RateLimitHit.id == hit_id))

    def reset(self, key: str) -> None:
        with write_session(self.db.sessions) as session:
            session.execute(delete(RateLimitHit).where(RateLimitHit.key == self._key(key)))
