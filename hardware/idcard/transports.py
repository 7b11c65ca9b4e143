"""Byte links to an ID card reader. The driver only needs: write bytes, read what arrived.

`SerialTransport` covers USB-serial bridges and pyserial URLs (socket://, loop://); the USB
bulk/HID links live in usb_transport (they need pyusb). Both raise KioskError, never the
library's own exceptions.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from common.errors import DRIVER_UNAVAILABLE, IDC_READER_UNAVAILABLE, KioskError


class Transport(Protocol):
    description: str
    has_baud: bool  # True for serial links: the driver may probe / change the speed

    def open(self) -> None: ...

    def close(self) -> None: ...

    def write(self, data: bytes) -> None: ...

    def read_some(self, timeout: float) -> bytes:
        """Whatever arrives within `timeout` seconds (b"" if nothing)."""
        ...

    def flush_input(self) -> None: ...

    def set_baud(self, baud: int) -> None: ...


def import_serial() -> Any:
    try:
        import serial
    except ImportError:
        raise KioskError(
            DRIVER_UNAVAILABLE,
            "pyserial is not installed: pip install pyserial (or pip install hall-kiosk[kiosk])",
        ) from None
    return serial


class SerialTransport:
    """8N1 at a given speed on a device path or pyserial URL."""

    has_baud = True
    _POLL = 0.02  # pyserial's read timeout; read_some loops on it up to the caller's timeout

    def __init__(self, port: str, baud: int = 115200) -> None:
        self.port = port
        self.baud = baud
        self.description = f"serial {port}"
        self._ser: Any = None

    def open(self) -> None:
        serial = import_serial()
        try:
            self._ser = serial.serial_for_url(
                self.port,
                baudrate=self.baud,
                bytesize=8,
                parity="N",
                stopbits=1,
                timeout=self._POLL,
                write_timeout=2.0,
            )
        except (serial.SerialException, ValueError, OSError) as exc:
            raise KioskError(IDC_READER_UNAVAILABLE, f"cannot open {self.port}: {exc}") from None

    def close(self) -> None:
        if self._ser is not None:
            try:
                self._ser.close()
            finally:
                self._ser = None

    def _port(self) -> Any:
        if self._ser is None:
            raise KioskError(IDC_READER_UNAVAILABLE, f"{self.port} is not open")
        return self._ser

    def write(self, data: bytes) -> None:
        serial = import_serial()
        try:
            self._port().write(data)
            self._port().flush()
        except (serial.SerialException, OSError) as exc:
            raise KioskError(IDC_READER_UNAVAILABLE, f"write to {self.port}: {exc}") from None

    def read_some(self, timeout: float) -> bytes:
        serial = import_serial()
        port = self._port()
        deadline = time.monotonic() + timeout
        try:
            while True:
                waiting = port.in_waiting
                if waiting:
                    return port.read(waiting)
                first = port.read(1)
                if first:
                    return first + port.read(port.in_waiting)
                if time.monotonic() >= deadline:
                    return b""
        except (serial.SerialException, OSError) as exc:
            raise KioskError(IDC_READER_UNAVAILABLE, f"read from {self.port}: {exc}") from None

    def flush_input(self) -> None:
        self._port().reset_input_buffer()

    def set_baud(self, baud: int) -> None:
        self._port().baudrate = baud
        self.baud = baud
