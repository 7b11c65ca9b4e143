"""Scanners in USB-CDC / serial mode (preferred: the kiosk reads them without the GUI's
keyboard, and `/dev/serial/by-id/...` paths are stable across reboots)."""

from __future__ import annotations

from typing import Any

from common.errors import DRIVER_UNAVAILABLE, SCANNER_FAILED, SCANNER_UNAVAILABLE, KioskError
from hardware.scanner.driver import StreamScanner


class SerialScanner(StreamScanner):
    """Target `serial:/dev/ttyACM0[?baud=9600&suffix=cr|lf|crlf|tab|none&gap=0.2]`."""

    driver = "serial"

    def __init__(
        self, target: str, port: str, *, baud: int = 9600, suffix: bytes = b"\r", gap: float = 0.2
    ) -> None:
        super().__init__(target, suffix=suffix, gap=gap)
        self.port = port
        self.baud = baud
        self._serial: Any = None

    def _open(self) -> None:
        try:
            import serial
        except ImportError as exc:
            raise KioskError(
                DRIVER_UNAVAILABLE, "serial scanners need pyserial: pip install pyserial"
            ) from exc
        try:
            self._serial = serial.Serial(self.port, self.baud, timeout=0)
        except (serial.SerialException, ValueError) as exc:
            raise KioskError(SCANNER_UNAVAILABLE, f"{self.target}: {exc}") from exc

    def _close(self) -> None:
        if self._serial is not None:
            self._serial.close()
            self._serial = None

    def _read_bytes(self, timeout: float) -> bytes:
        import serial

        try:
            self._serial.timeout = timeout
            data = self._serial.read(1)
            if data and self._serial.in_waiting:
                data += self._serial.read(self._serial.in_waiting)
            return data
        except (serial.SerialException, OSError) as exc:
            raise KioskError(SCANNER_FAILED, f"{self.target}: {exc}") from exc
