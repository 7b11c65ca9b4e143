"""What every device family shares: the status scale, events, and the device description
that discovery, diagnostics and the technician screen show."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class DeviceStatus(enum.IntEnum):
    """The terminal industry's status scale."""

    UNKNOWN = -1
    OK = 0
    WARNING = 1  # e.g. paper low: still usable
    FAULT = 2  # e.g. paper out, cover open, no answer
    BUSY = 3
    DISABLED = 4  # hide the function


@dataclass(frozen=True)
class StatusReport:
    status: DeviceStatus
    message: str = ""  # English, for logs and technicians
    code: str | None = None  # an E-… registry code when not OK

    def to_json(self) -> dict[str, Any]:
        return {"status": int(self.status), "status_name": self.status.name.lower(),
                "message": self.message, "code": self.code}


@dataclass(frozen=True)
class DeviceEvent:
    """Events reach the app core from the device I/O thread (never widgets directly)."""

    kind: str  # "card_placed" | "card_removed" | "code_scanned" | "status_changed"
    family: str  # "idcard" | "smartcard" | "printer" | "scanner" | "voice"
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeviceInfo:
    family: str
    driver: str
    target: str
    description: str = ""
    simulated: bool = False
