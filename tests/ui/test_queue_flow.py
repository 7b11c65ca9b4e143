"""The queue flow end to end, offscreen, by touch: home → 取号 → service → ticket, against the
real hall server on loopback, printing to a file."""

from __future__ import annotations

import pytest

from tests.ui.ui_support import ARTIFACTS, printer_bytes, run_ui

pytestmark = pytest.mark.ui


def test_take_ticket_by_touch(hall, kiosk):
    seen = run_ui(kiosk, "queue")
    assert len(seen["categories"]) > 2 and seen["categories"][-1] == "全部业务"

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


def test_real_name_priority_and_appointment_by_touch(hall, kiosk):
    import tomllib

    from kiosk.paths import config_dir

    with (config_dir() / "demo" / "appointments.toml").open("rb") as fh:
        booking = tomllib.load(fh)["appointment"][1]
    seen = run_ui(
        kiosk,
        "queue_options",
        params={"appointment": booking["code"], "appointment_service": booking["service"]},
    )
    assert seen["real_name"].startswith("实名取号：") and "*" in seen["real_name"]
    assert seen["priority"] == "military"
    assert seen["priority_ticket"]["priority"] == "military", seen["priority_ticket"]
    assert seen["error"] == "", seen["error"]
    assert seen["ticket"]["service"] == booking["service"] and seen["ticket"]["priority"] is None
