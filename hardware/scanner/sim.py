"""The simulated scanner: a product, not a test prop. `inject()` plays the bytes a real
scanner sends for a code, through the same framing and decoding as the serial driver, with
the field's faults: a code cut off half-way, a double scan, a GB18030-encoded payload."""

from __future__ import annotations

import threading

from hardware.scanner.device import StreamScanner

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
        if isinstance(code, bytes):
            payload = code
        else:
            payload = code.encode("gb18030" if self.fault == "gb18030" else "utf-8")
        if self.fault == "partial":  # the citizen moved the phone away mid-read
            wire = payload[: max(1, len(payload) // 2)]
        elif self.fault == "double":  # one code read twice in quick succession
            wire = (payload + self.framer.suffix) * 2
        else:
            wire = payload + self.framer.suffix
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
