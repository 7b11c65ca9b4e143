"""The scanner interface: explicit open/close, `read(timeout) -> str | None`, status."""

from __future__ import annotations

import logging
import time

from common.errors import SCANNER_UNAVAILABLE, KioskError
from hardware.base import DeviceInfo, DeviceLifecycle, DeviceStatus, StatusReport
from hardware.scanner.decode import decode_payload
from hardware.scanner.protocol import Framer

log = logging.getLogger(__name__)

POLL_WAIT = 0.005  # a poll's look at the line (read(0) returns before reading anything)


class Scanner(DeviceLifecycle):
    """Base class. Subclasses implement `_open`, `_close`, `_read`; `status` may be refined."""

    driver = "scanner"
    simulated = False

    def __init__(self, target: str) -> None:
        self.target = target
        super().__init__()
        self._fault: StatusReport | None = None

    def _opened(self) -> None:
        self._fault = None

    def read(self, timeout: float) -> str | None:
        """The next scanned code as text, or None when nothing was scanned within `timeout`
        seconds. Raises E-SCN-02 (undecodable), E-SCN-03 (cut off), E-SCN-04 (link failed)."""
        with self._lock:
            if not self._is_open:
                raise KioskError(SCANNER_UNAVAILABLE, f"{self.target} is not open")
            try:
                return self._read(timeout)
            except KioskError as exc:
                if exc.code == "E-SCN-04":
                    self._fault = StatusReport(DeviceStatus.FAULT, exc.message, exc.code)
                raise

    def poll(self) -> str | None:
        """For a poller (the device I/O thread): a complete code now, or None. A code whose
        first bytes have arrived is waited for (at most the inter-character gap), so a poll
        that lands mid-code never reports it as cut off."""
        code = self.read(POLL_WAIT)
        if code is None and self._in_flight():
            code = self.read(self._gap())
        return code

    def _in_flight(self) -> bool:
        return False

    def _gap(self) -> float:
        return 0.2

    def status(self) -> StatusReport:
        if not self._is_open:
            return StatusReport(DeviceStatus.UNKNOWN, "not open")
        return self._fault or StatusReport(DeviceStatus.OK, "ready")

    def info(self) -> DeviceInfo:
        return DeviceInfo(
            family="scanner", driver=self.driver, target=self.target, simulated=self.simulated
        )

    def _open(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    def _read(self, timeout: float) -> str | None:
        raise NotImplementedError


class StreamScanner(Scanner):
    """A scanner that sends bytes (serial/CDC, the simulator): frames by suffix or pause,
    then decodes. Subclasses implement `_read_bytes(timeout)`."""

    def __init__(self, target: str, *, suffix: bytes = b"\r", gap: float = 0.2) -> None:
        super().__init__(target)
        self.framer = Framer(suffix, gap)

    def _read_bytes(self, timeout: float) -> bytes:
        raise NotImplementedError

    def _in_flight(self) -> bool:
        return self.framer.pending

    def _gap(self) -> float:
        return self.framer.gap

    def _read(self, timeout: float) -> str | None:
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            now = time.monotonic()
            frame = self.framer.pop(now)
            if frame is not None:
                return decode_payload(frame)
            gap_deadline = self.framer.gap_deadline()
            wait_until = deadline if gap_deadline is None else min(deadline, gap_deadline)
            if now >= deadline and gap_deadline is None:
                return None
            if now >= deadline and gap_deadline is not None and now < gap_deadline:
                return None  # a code is arriving; the next read() finishes it
            self.framer.feed(self._read_bytes(max(0.0, wait_until - now)), time.monotonic())
