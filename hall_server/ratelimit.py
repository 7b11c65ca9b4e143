"""In-process sliding-window limits: personal-data lookups per device, wrong enrolment codes
per client address. Kept in memory on purpose: a restart forgetting them is harmless, and the
request path stays free of extra writes. (One server process per hall is the deployment.)
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class SlidingWindow:
    """At most `limit` events per `window` seconds per key."""

    def __init__(
        self, limit: int, window: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._monotonic = monotonic
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def blocked_for(self, key: str) -> float | None:
        """Seconds until `key` may act again, or None when it may act now (nothing recorded)."""
        now = self._monotonic()
        with self._lock:
            events = self._trim(key, now)
            if len(events) < self.limit:
                return None
            return max(events[0] + self.window - now, 0.001)

    def record(self, key: str) -> None:
        now = self._monotonic()
        with self._lock:
            self._trim(key, now).append(now)
            if len(self._events) > 10_000:  # forget idle keys so memory stays bounded
                for k in [k for k, v in self._events.items() if not v]:
                    del self._events[k]

    def hit(self, key: str) -> float | None:
        """Record an event if allowed and return None; else return the seconds to wait."""
        now = self._monotonic()
        with self._lock:
            events = self._trim(key, now)
            if len(events) >= self.limit:
                return max(events[0] + self.window - now, 0.001)
            events.append(now)
            return None


def retry_after_header(seconds: float) -> str:
    """Retry-After is whole seconds; round up so a client never retries too early."""
    return str(max(1, math.ceil(seconds)))
