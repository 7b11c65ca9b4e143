"""unknown → online / degraded / offline, driven by a health probe and by the outcome of real calls.

A refused connection means the server is gone: offline at once. A timeout or a server error
makes the link degraded; a second one in a row makes it offline. Any success: online.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from common import errors

ONLINE, DEGRADED, OFFLINE = "online", "degraded", "offline"
UNKNOWN = "unknown"  # at start, before any call or probe: calls are tried


class Connectivity:
    def __init__(self, on_change: Callable[[str], None] | None = None) -> None:
        self.state = UNKNOWN
        self._failures = 0
        self._lock = threading.Lock()
        self._on_change = on_change

    def _set(self, state: str) -> None:
        changed = state != self.state
        self.state = state
        if changed and self._on_change:
            self._on_change(state)

    def success(self) -> None:
        with self._lock:
            self._failures = 0
            self._set(ONLINE)

    def failure(self, code: str) -> None:
        with self._lock:
            self._failures += 1
            if code == errors.SERVER_UNREACHABLE.code or self._failures >= 2:
                self._set(OFFLINE)
            else:
                self._set(DEGRADED)
