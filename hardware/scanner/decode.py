"""Scanned payload bytes → text. QR codes in the field carry UTF-8 or GB18030 (older
provincial systems); nothing else is guessed."""

from __future__ import annotations

import logging

from common.errors import SCAN_UNDECODABLE, KioskError

log = logging.getLogger(__name__)


def decode_payload(raw: bytes) -> str:
    """UTF-8 first (ASCII is UTF-8), then GB18030; otherwise KioskError(E-SCN-02).
    The payload itself is never logged: it may be a personal code."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    log.warning("undecodable scan of %d bytes", len(raw))
    raise KioskError(SCAN_UNDECODABLE, f"{len(raw)} bytes, neither UTF-8 nor GB18030")
