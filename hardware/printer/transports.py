"""Printer transports: a file, and USB / serial / TCP through python-escpos.

python-escpos is used only as the transport (its printer classes' `open`, `_raw`, `close`):
its text and status methods are not (see document.py and status.py for why). Its classes
open lazily on attribute access; we create and open them only in `open()`, and we read
status replies ourselves with a timeout instead of its `_read()` (which blocks on serial
until 16 bytes or the port timeout, and whose silence python-escpos reports as paper OK).
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import Any, BinaryIO

from common.errors import (
    DRIVER_UNAVAILABLE,
    PRINTER_UNAVAILABLE,
    PRINTER_WRITE_FAILED,
    KioskError,
)
from hardware.base import DeviceStatus, StatusReport
from hardware.printer.document import DEFAULT_PROFILE, PrintProfile
from hardware.printer.status import QUERIES, parse_status_bytes

from .driver import Printer

log = logging.getLogger(__name__)

STATUS_REPLY_TIMEOUT = 0.5  # seconds; printers answer DLE EOT within milliseconds


class FilePrinter(Printer):
    """Target `file:/path`: raw bytes appended to a file (tests, technicians, a printer
    device node such as /dev/usb/lp0)."""

    driver = "file"

    def __init__(self, target: str, path: str, profile: PrintProfile = DEFAULT_PROFILE) -> None:
        super().__init__(target, profile)
        self.path = Path(path)
        self._file: BinaryIO | None = None

    def _open(self) -> None:
        try:
            self._file = self.path.open("ab")
        except OSError as exc:
            raise KioskError(PRINTER_UNAVAILABLE, f"{self.target}: {exc.strerror}") from exc

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _write(self, data: bytes) -> None:
        try:
            self._file.write(data)  # type: ignore[union-attr]
            self._file.flush()  # type: ignore[union-attr]
        except OSError as exc:
            raise KioskError(PRINTER_WRITE_FAILED, f"{self.target}: {exc.strerror}") from exc

    def _status(self) -> StatusReport:
        # a file has no sensors: say it accepts bytes, nothing more; a device node such as
        # /dev/usb/lp0 may be a printer out of paper, which this path cannot see
        if self.path.is_file():
            return StatusReport(DeviceStatus.OK, f"appending to {self.path} (no paper sensor)")
        return StatusReport(
            DeviceStatus.UNKNOWN, f"{self.path} is not a regular file: status not readable"
        )


class EscposPrinter(Printer):
    """Common part of the python-escpos transports. `status_mode`: "dle" (DLE EOT 1-4),
    "gsr" (DLE EOT 1-3 + GS r 1 for paper) or "none" (write-only printer: UNKNOWN)."""

    def __init__(
        self,
        target: str,
        profile: PrintProfile = DEFAULT_PROFILE,
        *,
        status_mode: str = "dle",
        timeout: float = 5.0,
    ) -> None:
        super().__init__(target, profile)
        self.status_mode = status_mode
        self.timeout = timeout
        self._esc: Any = None

    def _make(self) -> Any:
        raise NotImplementedError

    def _read(self, timeout: float) -> bytes:
        """Whatever the printer sent within `timeout`; b"" when nothing."""
        raise NotImplementedError

    def _open(self) -> None:
        from escpos.exceptions import DeviceNotFoundError

        esc = self._make()
        try:
            esc.open()
        except DeviceNotFoundError as exc:
            raise KioskError(PRINTER_UNAVAILABLE, f"{self.target}: {exc}") from exc
        self._esc = esc
        try:
            self._after_open()
        except KioskError:
            self._close()
            raise
        except Exception as exc:  # the device went away between open and setup
            self._close()
            raise KioskError(PRINTER_UNAVAILABLE, f"{self.target}: {exc}") from exc

    def _after_open(self) -> None:
        pass

    def _close(self) -> None:
        if self._esc is not None:
            try:
                self._esc.close()
            except Exception:  # closing a vanished device must not mask the real error
                log.debug("closing %s failed", self.target, exc_info=True)
            self._esc = None

    def _write(self, data: bytes) -> None:
        try:
            self._esc._raw(data)
        except Exception as exc:  # USBError, SerialException, OSError: the link failed
            raise KioskError(PRINTER_WRITE_FAILED, f"{self.target}: {exc}") from exc

    def _ask(self, request: bytes) -> bytes:
        try:
            self._esc._raw(request)
            return self._read(STATUS_REPLY_TIMEOUT)
        except Exception as exc:  # a failed link is "no answer", which status reports
            log.debug("status request to %s failed: %s", self.target, exc)
            return b""

    def _status(self) -> StatusReport:
        if self.status_mode == "none":
            return StatusReport(DeviceStatus.UNKNOWN, "status not queried (status=none)")
        self._drain()
        names = [
            "printer",
            "offline",
            "error",
            "paper" if self.status_mode == "dle" else "paper_gs_r",
        ]
        replies: dict[str, bytes] = {}
        for name in names:
            replies[name] = self._ask(QUERIES[name])
            if name == "printer" and not replies[name]:
                break  # silent printer: do not wait out three more timeouts
        return parse_status_bytes(replies)

    def _drain(self) -> None:
        """Drop stale bytes (a late reply) so the next reply is matched to its request."""
        for _ in range(16):
            try:
                if not self._read(0.001):
                    return
            except Exception:
                return


class UsbPrinter(EscposPrinter):
    """Target `usb:VID:PID[?in_ep=0x82&out_ep=0x01]`. Without endpoints given, the first
    bulk OUT/IN pair of the printer-class interface is used (python-escpos's fixed defaults
    0x01/0x82 are wrong for many printers)."""

    driver = "usb"

    def __init__(
        self,
        target: str,
        vid: int,
        pid: int,
        profile: PrintProfile = DEFAULT_PROFILE,
        *,
        in_ep: int | None = None,
        out_ep: int | None = None,
        backend: Any = None,
        status_mode: str = "dle",
        timeout: float = 5.0,
    ) -> None:
        super().__init__(target, profile, status_mode=status_mode, timeout=timeout)
        self.vid, self.pid = vid, pid
        self.in_ep, self.out_ep = in_ep, out_ep
        self.backend = backend  # a pyusb backend; None = libusb found by pyusb

    def _make(self) -> Any:
        from escpos.printer import Usb

        usb_args = {"backend": self.backend} if self.backend is not None else {}
        return Usb(
            self.vid,
            self.pid,
            usb_args=usb_args,
            timeout=int(self.timeout * 1000),
            in_ep=self.in_ep or 0x82,
            out_ep=self.out_ep or 0x01,
        )

    def _open(self) -> None:
        try:
            from usb.core import NoBackendError
        except ImportError as exc:
            raise KioskError(
                DRIVER_UNAVAILABLE, "USB printers need pyusb: pip install pyusb"
            ) from exc
        try:
            super()._open()
        except NoBackendError as exc:  # no libusb on this machine
            raise KioskError(
                DRIVER_UNAVAILABLE, f"{self.target}: {exc}; install libusb-1.0-0 (apt)"
            ) from exc

    def _after_open(self) -> None:
        if self.in_ep is not None and self.out_ep is not None:
            return
        import usb.util

        config = self._esc.device.get_active_configuration()
        interfaces = sorted(config, key=lambda i: i.bInterfaceClass != 7)  # printer class first
        for intf in interfaces:
            eps = {
                usb.util.endpoint_direction(e.bEndpointAddress): e.bEndpointAddress
                for e in reversed(list(intf))
                if usb.util.endpoint_type(e.bmAttributes) == usb.util.ENDPOINT_TYPE_BULK
            }
            if usb.util.ENDPOINT_OUT in eps:
                self._esc.out_ep = self.out_ep or eps[usb.util.ENDPOINT_OUT]
                self._esc.in_ep = self.in_ep or eps.get(usb.util.ENDPOINT_IN, self._esc.in_ep)
                log.debug(
                    "%s: endpoints out 0x%02x in 0x%02x",
                    self.target,
                    self._esc.out_ep,
                    self._esc.in_ep,
                )
                return
        raise KioskError(PRINTER_UNAVAILABLE, f"{self.target}: no bulk OUT endpoint")

    def _read(self, timeout: float) -> bytes:
        import usb.core

        try:
            return bytes(self._esc.device.read(self._esc.in_ep, 64, max(1, int(timeout * 1000))))
        except usb.core.USBTimeoutError:
            return b""


class SerialPrinter(EscposPrinter):
    """Target `serial:/dev/ttyUSB0[?baud=9600&flow=dsrdtr|rtscts|xonxoff|none]`."""

    driver = "serial"

    def __init__(
        self,
        target: str,
        port: str,
        profile: PrintProfile = DEFAULT_PROFILE,
        *,
        baud: int = 9600,
        flow: str = "dsrdtr",
        status_mode: str = "dle",
        timeout: float = 5.0,
    ) -> None:
        super().__init__(target, profile, status_mode=status_mode, timeout=timeout)
        self.port, self.baud, self.flow = port, baud, flow

    def _make(self) -> Any:
        try:
            from escpos.printer import Serial
        except ImportError as exc:
            raise KioskError(
                DRIVER_UNAVAILABLE, "serial printers need pyserial: pip install pyserial"
            ) from exc
        return Serial(
            devfile=self.port,
            baudrate=self.baud,
            timeout=self.timeout,
            dsrdtr=self.flow == "dsrdtr",
            xonxoff=self.flow == "xonxoff",
        )

    def _after_open(self) -> None:
        device = self._esc.device
        device.rtscts = self.flow == "rtscts"
        # a printer holding flow control (paper out) must not block a write forever
        device.write_timeout = self.timeout

    def _read(self, timeout: float) -> bytes:
        device = self._esc.device
        device.timeout = timeout
        return device.read(1)


class NetworkPrinter(EscposPrinter):
    """Target `tcp:HOST:PORT` (port 9100 when omitted)."""

    driver = "tcp"

    def __init__(
        self,
        target: str,
        host: str,
        port: int,
        profile: PrintProfile = DEFAULT_PROFILE,
        *,
        status_mode: str = "dle",
        timeout: float = 5.0,
    ) -> None:
        super().__init__(target, profile, status_mode=status_mode, timeout=timeout)
        self.host, self.port = host, port

    def _make(self) -> Any:
        from escpos.printer import Network

        return Network(host=self.host, port=self.port, timeout=self.timeout)

    def _read(self, timeout: float) -> bytes:
        sock: socket.socket = self._esc.device
        sock.settimeout(timeout)
        try:
            return sock.recv(64)
        except (TimeoutError, BlockingIOError):
            return b""
        finally:
            sock.settimeout(self.timeout)
