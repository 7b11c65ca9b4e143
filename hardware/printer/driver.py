"""The printer interface every transport implements: explicit open/close, raw write,
honest status, and the print-with-status-check the kiosk core calls."""

from __future__ import annotations

import logging

from common.errors import PRINTER_OFFLINE, PRINTER_UNAVAILABLE, REGISTRY, KioskError
from hardware.base import DeviceInfo, DeviceLifecycle, DeviceStatus, StatusReport
from hardware.printer.document import DEFAULT_PROFILE, PrintProfile
from hardware.printer.layouts import (
    ChecklistSlip,
    ReceiptSlip,
    TicketSlip,
    render_checklist,
    render_receipt,
    render_ticket,
)

log = logging.getLogger(__name__)


class Printer(DeviceLifecycle):
    """Base class. Subclasses implement `_open`, `_close`, `_write` and `_status`.

    Nothing is opened at construction; `open()` or `with printer:` does. All I/O goes through
    one lock so a status query never interleaves with a print job."""

    driver = "printer"
    simulated = False

    def __init__(self, target: str, profile: PrintProfile = DEFAULT_PROFILE) -> None:
        self.target = target
        self.profile = profile
        super().__init__()

    # --- lifecycle ---
    def _opened(self) -> None:
        log.info("printer %s opened", self.target)

    # --- I/O ---
    def write(self, data: bytes) -> None:
        """Send raw bytes; raises KioskError(E-PRN-…) on failure."""
        with self._lock:
            if not self._is_open:
                raise KioskError(PRINTER_UNAVAILABLE, f"{self.target} is not open")
            self._write(bytes(data))

    def status(self) -> StatusReport:
        with self._lock:
            if not self._is_open:
                return StatusReport(DeviceStatus.UNKNOWN, "not open")
            return self._status()

    def print_document(self, data: bytes) -> None:
        """Check status, then write. FAULT raises the matching E-PRN code so the kiosk can
        show the number and QR on screen instead; WARNING (paper low) prints and logs."""
        with self._lock:
            report = self.status()
            if report.status == DeviceStatus.FAULT:
                code = REGISTRY.get(report.code or "", PRINTER_OFFLINE)
                raise KioskError(code, f"{self.target}: {report.message}")
            if report.status != DeviceStatus.OK:
                log.warning(
                    "printing on %s with status %s: %s",
                    self.target,
                    report.status.name,
                    report.message,
                )
            self.write(data)

    def print_ticket(self, slip: TicketSlip) -> None:
        self.print_document(render_ticket(slip, profile=self.profile))

    def print_checklist(self, slip: ChecklistSlip) -> None:
        self.print_document(render_checklist(slip, profile=self.profile))

    def print_receipt(self, slip: ReceiptSlip) -> None:
        self.print_document(render_receipt(slip, profile=self.profile))

    def info(self) -> DeviceInfo:
        return DeviceInfo(
            family="printer", driver=self.driver, target=self.target, simulated=self.simulated
        )

    # --- for subclasses ---
    def _open(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    def _write(self, data: bytes) -> None:
        raise NotImplementedError

    def _status(self) -> StatusReport:
        raise NotImplementedError
