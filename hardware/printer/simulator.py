"""The simulated printer: a product, not a test prop. It captures every byte a real printer
would receive and answers status requests with the bytes a real printer sends for its
current fault, so status goes through the same parser as real hardware.

`SimulatedPrinterDevice` is the printer itself (bytes in, status replies out); it also serves
the USB, serial and TCP transport tests. `SimPrinter` is the `sim` target.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from common.errors import PRINTER_UNAVAILABLE, PRINTER_WRITE_FAILED, KioskError
from hardware.base import StatusReport
from hardware.printer.document import DEFAULT_PROFILE, PrintProfile
from hardware.printer.status import QUERIES, parse_status_bytes

from .driver import Printer

log = logging.getLogger(__name__)

FAULTS = ("paper_low", "paper_out", "cover_open", "offline", "cutter_error")

# The reply byte to each request, per fault (bits as documented in status.py).
_REPLIES: dict[str | None, dict[str, int]] = {
    None: {"printer": 0x12, "offline": 0x12, "error": 0x12, "paper": 0x12, "paper_gs_r": 0x00},
    "paper_low": {
        "printer": 0x12,
        "offline": 0x12,
        "error": 0x12,
        "paper": 0x1E,
        "paper_gs_r": 0x03,
    },
    "paper_out": {
        "printer": 0x1A,
        "offline": 0x32,
        "error": 0x12,
        "paper": 0x7E,
        "paper_gs_r": 0x0F,
    },
    "cover_open": {
        "printer": 0x1A,
        "offline": 0x16,
        "error": 0x12,
        "paper": 0x12,
        "paper_gs_r": 0x00,
    },
    "cutter_error": {
        "printer": 0x1A,
        "offline": 0x52,
        "error": 0x1A,
        "paper": 0x12,
        "paper_gs_r": 0x00,
    },
    "offline": {},  # powered off behind a live link: no answer at all
}


class SimulatedPrinterDevice:
    """Bytes in, replies out. A chunk that is (or ends with) a status request is answered and
    not printed; everything else is "printed" into `received`."""

    def __init__(self, fault: str | None = None) -> None:
        self._lock = threading.Lock()
        self.received = bytearray()
        self.requests: list[str] = []
        self.fault = fault

    @property
    def fault(self) -> str | None:
        return self._fault

    @fault.setter
    def fault(self, fault: str | None) -> None:
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown printer fault {fault!r} (known: {', '.join(FAULTS)})")
        self._fault = fault

    def reply(self, name: str) -> bytes:
        value = _REPLIES[self._fault].get(name)
        return b"" if value is None else bytes([value])

    def receive(self, data: bytes) -> bytes:
        """Feed bytes the host sent; returns the bytes the printer answers."""
        with self._lock:
            for name, request in QUERIES.items():
                if data.endswith(request):
                    self.received += data[: -len(request)]
                    self.requests.append(name)
                    return self.reply(name)
            self.received += data
            return b""

    def status(self) -> StatusReport:
        return parse_status_bytes(
            {name: self.reply(name) for name in ("printer", "offline", "error", "paper")}
        )


class SimPrinter(Printer):
    """Target `sim[?fault=…][&file=/path]`: captures output in memory (`output`) and
    optionally appends it to a file a technician can inspect."""

    driver = "sim"
    simulated = True

    def __init__(
        self,
        target: str = "sim",
        profile: PrintProfile = DEFAULT_PROFILE,
        *,
        fault: str | None = None,
        file: str | None = None,
    ) -> None:
        super().__init__(target, profile)
        self.device = SimulatedPrinterDevice(fault)
        self.file = Path(file) if file else None

    @property
    def output(self) -> bytes:
        """Every byte written so far (status requests excluded)."""
        return bytes(self.device.received)

    def set_fault(self, fault: str | None) -> None:
        self.device.fault = fault

    def _open(self) -> None:
        if self.file is not None and not self.file.parent.is_dir():
            raise KioskError(PRINTER_UNAVAILABLE, f"{self.target}: no directory {self.file.parent}")

    def _close(self) -> None:
        pass

    def _write(self, data: bytes) -> None:
        if self.device.fault == "offline":
            raise KioskError(PRINTER_WRITE_FAILED, f"{self.target}: simulated printer is offline")
        self.device.receive(data)
        if self.file is not None:
            try:
                with self.file.open("ab") as f:
                    f.write(data)
            except OSError as exc:
                raise KioskError(PRINTER_WRITE_FAILED, f"{self.target}: {exc}") from exc

    def _status(self) -> StatusReport:
        return self.device.status()
