"""Cutting a scanner's byte stream into codes: each code ends with a suffix (CR, LF, CRLF,
TAB) or, with no suffix configured, with a pause. A code cut off mid-way (bytes, then
silence longer than the inter-character gap, no suffix) is reported, never passed on."""

from __future__ import annotations

from common.errors import SCAN_INCOMPLETE, KioskError

SUFFIXES = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n", "tab": b"\t", "none": b""}


class Framer:
    def __init__(self, suffix: bytes = b"\r", gap: float = 0.2) -> None:
        self.suffix = suffix
        self.gap = gap
        self._buf = bytearray()
        self._last = 0.0  # when the last byte arrived

    @property
    def pending(self) -> bool:
        return bool(self._buf)

    def gap_deadline(self) -> float | None:
        """When the bytes waiting become a complete (no suffix) or cut-off code."""
        return self._last + self.gap if self._buf else None

    def feed(self, data: bytes, now: float) -> None:
        if data:
            if not self._buf:  # leftovers of a CRLF after a CR suffix, or stray line feeds
                data = data.lstrip(b"\r\n")
            self._buf += data
            self._last = now

    def pop(self, now: float) -> bytes | None:
        """The next complete code, None if there is none yet; raises E-SCN-03 for a code
        cut off by a pause."""
        while self.suffix and self.suffix in self._buf:
            frame, _, rest = bytes(self._buf).partition(self.suffix)
            self._buf = bytearray(rest.lstrip(b"\r\n"))
            frame = frame.rstrip(b"\r\n")  # a CRLF scanner on a CR or LF setting
            if frame:
                return frame
        if self._buf and now - self._last >= self.gap:
            frame = bytes(self._buf)
            self._buf.clear()
            if not self.suffix:
                return frame
            raise KioskError(SCAN_INCOMPLETE, f"{len(frame)} bytes without the end marker")
        return None
