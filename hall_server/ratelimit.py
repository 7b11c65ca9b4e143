"""Sliding-window limits: personal-data lookups per device, wrong enrolment codes per client
address. One server process (SQLite): kept in memory, a restart forgetting them is harmless
and the request path stays free of extra writes. PostgreSQL, where `kiosk serve --workers N`
runs several processes: kept in the database (DbWindow), so the processes share them.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any


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

    def clear(self) -> None:
        """Forget every event (the window passing at once: tests, an admin's unlock)."""
        with self._lock:
            self._events.clear()

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


class DbWindow:
    """The same limit kept in the database, so every server process of a hall counts one
    window (`kiosk serve --workers N` on PostgreSQL): a lock-out in one process holds in all.
    One write per counted event; the events counted here (lookups, wrong codes) are rare."""

    def __init__(
        self,
        database: Any,
        scope: str,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.time,  # wall clock: processes share no monotonic one
    ) -> None:
        self.database, self.scope = database, scope
        self.limit, self.window = limit, window
        self._clock = clock

    def _oldest(self, conn: Any, key: str, now: float) -> tuple[int, float | None]:
        from sqlalchemy import delete, func, select

        from hall_server.schema import rate_hits as r

        mine = (r.c.scope == self.scope) & (r.c.key == key)
        conn.execute(delete(r).where(mine, r.c.at <= now - self.window))
        count, oldest = conn.execute(select(func.count(), func.min(r.c.at)).where(mine)).one()
        return int(count), oldest

    def _wait(self, count: int, oldest: float | None, now: float) -> float | None:
        if count < self.limit or oldest is None:
            return None
        return max(oldest + self.window - now, 0.001)

    def blocked_for(self, key: str) -> float | None:
        now = self._clock()
        with self.database.write() as conn:
            return self._wait(*self._oldest(conn, key, now), now)

    def clear(self) -> None:
        from sqlalchemy import delete

        from hall_server.schema import rate_hits

        with self.database.write() as conn:
            conn.execute(delete(rate_hits).where(rate_hits.c.scope == self.scope))

    def record(self, key: str) -> None:
        self._insert(key, self._clock())

    def _insert(self, key: str, now: float, conn: Any = None) -> None:
        from hall_server.schema import rate_hits

        if conn is None:
            with self.database.write() as conn:
                conn.execute(rate_hits.insert(), {"scope": self.scope, "key": key, "at": now})
        else:
            conn.execute(rate_hits.insert(), {"scope": self.scope, "key": key, "at": now})

    def hit(self, key: str) -> float | None:
        now = self._clock()
        with self.database.write() as conn:
            wait = self._wait(*self._oldest(conn, key, now), now)
            if wait is None:
                self._insert(key, now, conn)
            return wait


def shared_window(database: Any, scope: str, limit: int, window: float) -> SlidingWindow | DbWindow:
    """In the database on PostgreSQL (several processes may serve), in memory on SQLite."""
    if database.is_sqlite:
        return SlidingWindow(limit, window)
    return DbWindow(database, scope, limit, window)
