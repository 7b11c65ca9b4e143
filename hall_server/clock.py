"""The server's idea of "now", injectable so tests can cross the hall's midnight.

Every timestamp the server writes comes from here (aware UTC); the hall's business date is
derived from it in the hall's time zone, never from the host's local zone.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


class Clock:
    """Wall clock (aware UTC)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class SettableClock(Clock):
    """A clock a test can set or advance. It keeps ticking from the time it was set (so
    successive tickets get successive times) unless `frozen`."""

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._frozen = frozen
        self._base = (start or datetime.now(UTC)).astimezone(UTC)
        self._since = time.monotonic()

    def now(self) -> datetime:
        with self._lock:
            if self._frozen:
                return self._base
            return self._base + timedelta(seconds=time.monotonic() - self._since)

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("SettableClock.set needs an aware datetime")
        with self._lock:
            self._base = when.astimezone(UTC)
            self._since = time.monotonic()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._base += timedelta(seconds=seconds)


def business_date(when: datetime, zone: ZoneInfo) -> date:
    """The hall's calendar date at `when`: counters reset at the hall's local midnight."""
    return when.astimezone(zone).date()


def as_utc(when: datetime) -> datetime:
    """Aware UTC; naive values (SQLite hands them back naive) are taken as UTC."""
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def iso_utc(when: datetime) -> str:
    """RFC 3339 in UTC with a "Z", the one timestamp format of the API."""
    return as_utc(when).isoformat().replace("+00:00", "Z")
