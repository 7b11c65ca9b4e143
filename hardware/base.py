"""What every device family shares: the status scale, events, and the device description
that discovery, diagnostics and the technician screen show."""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self


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
        return {
            "status": int(self.status),
            "status_name": self.status.name.lower(),
            "message": self.message,
            "code": self.code,
        }


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


class DeviceLifecycle:
    """Explicit open()/close() and a context manager for every device (STYLE example 15):
    opening twice or closing twice is harmless, and both are serialised by one lock that the
    device's own I/O methods use too. Subclasses implement `_open` and `_close`, and may
    override `_opened` to reset state after a successful open."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._is_open = False

    @property
    def is_open(self) -> bool:
        return self._is_open

    def open(self) -> None:
        with self._lock:
            if not self._is_open:
                self._open()
                self._is_open = True
                self._opened()

    def close(self) -> None:
        with self._lock:
            if self._is_open:
                self._is_open = False
                self._close()

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _opened(self) -> None:
        """Hook after a successful open."""

    def _open(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError
