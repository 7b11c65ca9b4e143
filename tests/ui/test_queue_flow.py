"""The queue flow end to end, offscreen, by touch: home → 取号 → service → ticket, against the
real hall server on loopback, printing to a file."""

from __future__ import annotations

import pytest

from tests.ui.ui_support import ARTIFACTS, book_appointment, make_kiosk_home, printer_bytes, run_ui

pytestmark = pytest.mark.ui


def test_take_ticket_by_touch(hall, kiosk):
    seen = run_ui(kiosk, "queue")
    assert len(seen["categories"]) > 2 and seen["categories"][-1] == "全部业务"

    # the number on screen is the one the hall server issued: a counter calls it next
    ticket = seen["ticket"]
    assert seen["number_shown"] == ticket["number"]
    assert ticket["offline"] is False
    called = hall.call_until(hall.counter_token(), ticket["id"], seen["service"])
    assert called["number"] == seen["number_shown"]

    # the slip reached the printer target: initialised with ESC @, QR payload is the ticket URL
    raw = printer_bytes(kiosk)
    assert raw.startswith(b"\x1b@"), raw[:16]
    assert ticket["number"].encode() in raw
    assert seen["qr_data"] == ticket["url"] and ticket["url"].startswith("http")
    assert ticket["printed"] is True and "已打印" in seen["print_status"]

    # 到号提醒: typed on the panel's keypad, spaced while typing, masked once left
    assert seen["sms_typed"] == "139 1234 5678"
    assert seen["sms_done"] == "短信提醒：139****5678"

    for name in ("home_zh.png", "services_zh.png", "ticket_zh.png", "ticket_sms_entry_zh.png",
                 "ticket_sms_done_zh.png"):
        shot = ARTIFACTS / name
        assert shot.stat().st_size > 10_000, name


def test_real_name_priority_and_appointment_by_touch(hall, kiosk):
    import tomllib

    from common.paths import config_dir

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


def test_appointment_check_in_by_id_card_by_touch(hall, tmp_path):
    """The simulated reader holds 李雷's card (sim:resident_elderly: no other UI test takes
    tickets with it, so the per-ID daily limit is his alone); two appointments are booked for
    him today on the hall server."""
    from hardware.idcard.samples import sample

    kiosk = make_kiosk_home(
        hall,
        tmp_path,
        name="UI-CHECKIN",
        extra_env={"KIOSK_DEVICES_IDCARD": "sim:resident_elderly"},
    )
    card = sample("resident_elderly").to_json()
    services = [s["code"] for s in _demo_services() if s.get("open", True)][:2]
    for code, service in zip(("UI-CI-1", "UI-CI-2"), services, strict=True):
        book_appointment(hall, kiosk.home, code=code, service=service, id_number=card["id_number"])
    seen = run_ui(kiosk, "checkin_by_card", params={"pick": "UI-CI-2"})

    assert seen["checkin_note"] == "放置身份证，即可查询您今天的预约"
    assert [key for key, _title in seen["listed"]] == ["UI-CI-1", "UI-CI-2"]
    assert seen["status"] == "您今天有 2 个预约，请选择要签到的业务"
    assert seen["status_en"] == "You have 2 appointments today: choose the one to check in"
    first, second = seen["tickets"]
    assert (first["service"], second["service"]) == (services[1], services[0])
    # the hall server checked them in: a counter calls the picked one first (appointments
    # go before walk-ins)
    called = hall.call_until(hall.counter_token(), first["id"], services[1])
    assert called["priority"] == "appointment"
    assert (
        seen["message"].startswith("您今天的预约已签到（") and second["number"] in seen["message"]
    )
    assert seen["message_en"].startswith("Today's appointment is already checked in")
    assert seen["step_after"] == "list"
    for name in ("checkin_zh", "checkin_choose_zh", "checkin_choose_en", "checkin_done_en"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000, name


def _demo_services() -> list[dict]:
    import tomllib

    from common.paths import config_dir

    with (config_dir() / "demo" / "queue_services.toml").open("rb") as fh:
        return tomllib.load(fh)["service"]
