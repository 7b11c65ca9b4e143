"""Printer status from the printer's own answers (DLE EOT n, GS r 1), as a pure function.

Honesty rule: no answer is never "paper OK" (python-escpos's `paper_status()` says "paper
adequate" when the printer says nothing). No answer at all → FAULT E-PRN-04; the printer
answered but its paper sensor did not → UNKNOWN.

Reply bytes (ESC/POS reference):
  DLE EOT 1 printer:       bit 3 offline
  DLE EOT 2 offline cause: bit 2 cover open, bit 5 stopped by paper end, bit 6 error
  DLE EOT 3 error cause:   bit 3 autocutter error, bit 5 unrecoverable, bit 6 auto-recoverable
  DLE EOT 4 paper sensor:  bits 2+3 roll near end, bits 5+6 roll end
  All four have bit 1 and bit 4 set and bits 0 and 7 clear; anything else is not a reply.
  GS r 1 paper sensor:     bits 0+1 near end, bits 2+3 end; bits 4 and 7 clear.
"""

from __future__ import annotations

from collections.abc import Mapping

from common.errors import (
    PRINTER_COVER_OPEN,
    PRINTER_ERROR,
    PRINTER_OFFLINE,
    PRINTER_PAPER_LOW,
    PRINTER_PAPER_OUT,
)
from hardware.base import DeviceStatus, StatusReport
from hardware.printer import protocol as cmd

# The requests, by the name parse_status_bytes expects their replies under.
QUERIES: dict[str, bytes] = {
    "printer": cmd.STATUS_PRINTER,
    "offline": cmd.STATUS_OFFLINE_CAUSE,
    "error": cmd.STATUS_ERROR_CAUSE,
    "paper": cmd.STATUS_PAPER,
    "paper_gs_r": cmd.STATUS_PAPER_GS_R,
}


def _dle_eot_byte(reply: bytes | None) -> int | None:
    if not reply:
        return None
    value = reply[-1]  # the newest byte: stale bytes before it belong to an earlier request
    return value if value & 0x93 == 0x12 else None


def _gs_r_byte(reply: bytes | None) -> int | None:
    if not reply:
        return None
    value = reply[-1]
    return value if value & 0x90 == 0 else None


def parse_status_bytes(replies: Mapping[str, bytes | None]) -> StatusReport:
    """Status from the replies to the requests in QUERIES (missing key or b"" = no answer).

    The worst condition wins: cover open, paper out, mechanical error, offline (FAULT), then
    paper low (WARNING), then paper sensor silent (UNKNOWN), else OK."""
    printer = _dle_eot_byte(replies.get("printer"))
    offline = _dle_eot_byte(replies.get("offline"))
    error = _dle_eot_byte(replies.get("error"))
    paper = _dle_eot_byte(replies.get("paper"))
    paper_gs_r = _gs_r_byte(replies.get("paper_gs_r"))

    if all(v is None for v in (printer, offline, error, paper, paper_gs_r)):
        answered = [k for k, v in replies.items() if v]
        what = f"unexpected reply to {', '.join(answered)}" if answered else "no answer"
        return StatusReport(
            DeviceStatus.FAULT,
            f"printer did not answer status requests ({what})",
            PRINTER_OFFLINE.code,
        )

    paper_end = (paper is not None and paper & 0x60 == 0x60) or (
        paper_gs_r is not None and paper_gs_r & 0x0C != 0
    )
    near_end = (paper is not None and paper & 0x0C == 0x0C) or (
        paper_gs_r is not None and paper_gs_r & 0x03 != 0
    )

    if offline is not None and offline & 0x04:
        return StatusReport(DeviceStatus.FAULT, "cover open", PRINTER_COVER_OPEN.code)
    if paper_end or (offline is not None and offline & 0x20):
        return StatusReport(DeviceStatus.FAULT, "paper out", PRINTER_PAPER_OUT.code)
    if error is not None and error & 0x68:
        kinds = [
            name
            for bit, name in (
                (0x08, "autocutter error"),
                (0x20, "unrecoverable error"),
                (0x40, "auto-recoverable error"),
            )
            if error & bit
        ]
        return StatusReport(DeviceStatus.FAULT, ", ".join(kinds), PRINTER_ERROR.code)
    if offline is not None and offline & 0x40:
        return StatusReport(DeviceStatus.FAULT, "printer reports an error", PRINTER_ERROR.code)
    if printer is not None and printer & 0x08:
        return StatusReport(DeviceStatus.FAULT, "printer is offline", PRINTER_OFFLINE.code)
    if near_end:
        return StatusReport(DeviceStatus.WARNING, "paper low", PRINTER_PAPER_LOW.code)
    if paper is None and paper_gs_r is None:
        return StatusReport(DeviceStatus.UNKNOWN, "printer answered but its paper sensor did not")
    return StatusReport(DeviceStatus.OK, "ready")
