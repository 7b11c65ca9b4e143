"""The simulated scanner: a product, not a test prop. `inject()` plays the bytes a real
scanner sends for a code, through the same framing and decoding as the serial driver, with
the field's faults: a code cut off half-way, a double scan, a GB18030-encoded payload.

`SimScanner` is the scanner in this process (target `sim`); `PtyScannerSimulator` is the far
end of a serial scanner on a pseudo-terminal, so a kiosk (another process, too) reads it with
its real serial driver (target `serial:<path>`).
"""

from __future__ import annotations

import os
import threading
import tty

from hardware.scanner.driver import StreamScanner

FAULTS = ("partial", "double", "gb18030")


class SimScanner(StreamScanner):
    """Target `sim[?fault=partial|double|gb18030][&code=TEXT][&suffix=…][&gap=…]`; `code` is
    scanned once when the scanner opens."""

    driver = "sim"
    simulated = True

    def __init__(
        self,
        target: str = "sim",
        *,
        fault: str | None = None,
        code: str | None = None,
        suffix: bytes = b"\r",
        gap: float = 0.2,
    ) -> None:
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown scanner fault {fault!r} (known: {', '.join(FAULTS)})")
        super().__init__(target, suffix=suffix, gap=gap)
        self.fault = fault
        self.code = code
        self._cond = threading.Condition()
        self._wire = bytearray()

    def inject(self, code: str | bytes) -> None:
        """Scan `code` (text, or exact bytes) as the configured faulty scanner would send it."""
        wire = wire_bytes(code, self.fault, self.framer.suffix)
        with self._cond:
            self._wire += wire
            self._cond.notify_all()

    def _open(self) -> None:
        if self.code:
            self.inject(self.code)

    def _close(self) -> None:
        with self._cond:
            self._wire.clear()

    def _read_bytes(self, timeout: float) -> bytes:
        with self._cond:
            if not self._wire:
                self._cond.wait(timeout)
            data = bytes(self._wire)
            self._wire.clear()
            return data


def wire_bytes(code: str | bytes, fault: str | None, suffix: bytes) -> bytes:
    """What a scanner with `fault` sends for `code` (text, or exact bytes)."""
    if isinstance(code, bytes):
        payload = code
    else:
        payload = code.encode("gb18030" if fault == "gb18030" else "utf-8")
    if fault == "partial":  # the citizen moved the phone away mid-read
        return payload[: max(1, len(payload) // 2)]
    if fault == "double":  # one code read twice in quick succession
        return (payload + suffix) * 2
    return payload + suffix


class PtyScannerSimulator:
    """A serial (USB-CDC) scanner on a pseudo-terminal: `path` is what the kiosk opens with
    `serial:<path>`; `inject(code)` sends a scan down the line."""

    def __init__(self, *, fault: str | None = None, suffix: bytes = b"\r") -> None:
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown scanner fault {fault!r} (known: {', '.join(FAULTS)})")
        self.fault = fault
        self.suffix = suffix
        self._master = self._slave = -1
        self.path = ""

    def start(self) -> str:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo or line editing: bytes arrive as sent
        self.path = os.ttyname(self._slave)
        return self.path

    def inject(self, code: str | bytes) -> None:
        os.write(self._master, wire_bytes(code, self.fault, self.suffix))

    def stop(self) -> None:
        for fd in (self._master, self._slave):
            if fd >= 0:
                os.close(fd)
        self._master = self._slave = -1

    def __enter__(self) -> PtyScannerSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
