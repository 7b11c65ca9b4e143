"""Who performs a queue transition: a device (counter/admin/kiosk token), a signed-in clerk
(staff accounts), or the server itself (midnight expiry). Events and ticket rows record it."""

from __future__ import annotations

from dataclasses import dataclass

from common.errors import COUNTER_NOT_ALLOWED, KioskError


@dataclass(frozen=True)
class Actor:
    kind: str  # "device", "staff" or "system"
    id: str
    role: str = ""  # device role (kiosk, counter, admin) or staff role (clerk, manager, admin)
    name: str = ""
    counters: frozenset[str] | None = None  # counters it may use; None: every counter

    @property
    def key_owner(self) -> str:
        """Whose namespace an Idempotency-Key lives in (unique per device or staff account)."""
        return self.id

    @property
    def staff_id(self) -> str | None:
        return self.id if self.kind == "staff" else None

    def check_counter(self, counter: str) -> None:
        if self.counters is not None and counter not in self.counters:
            raise KioskError(COUNTER_NOT_ALLOWED, f"counter {counter}")


SYSTEM = Actor(kind="system", id="server", role="system")
