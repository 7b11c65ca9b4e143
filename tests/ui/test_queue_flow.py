"""The queue flow end to end, offscreen, by touch: home → 取号 → service → ticket, against the
real hall server on loopback, printing to a file."""

from __future__ import annotations

import pytest
from conftest import ARTIFACTS, printer_bytes, run_ui

pytestmark = pytest.mark.ui


def test_take_ticket_by_touch(hall, kiosk):
    seen = run_ui(kiosk, "queue")

    # the number on screen is the one the hall server issued: a counter calls it next
    ticket = seen["ticket"]
    assert seen["number_shown"] == ticket["number"]
    assert ticket["offline"] is False
    called = hall.call_next(hall.counter_token(), services=[seen["service"]])
    assert called["number"] == seen["number_shown"]
    assert called["id"] == ticket["id"]

    # the slip reached the printer target: initialised with ESC @, QR payload is the ticket URL
    raw = printer_bytes(kiosk)
    assert raw.startswith(b"\x1b@"), raw[:16]
    assert ticket["number"].encode() in raw
    assert seen["qr_data"] == ticket["url"] and ticket["url"].startswith("http")
    assert ticket["printed"] is True and "已打印" in seen["print_status"]

    for name in ("home_zh.png", "services_zh.png", "ticket_zh.png"):
        shot = ARTIFACTS / name
        assert shot.stat().st_size > 10_000, name
