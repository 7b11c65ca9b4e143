"""After hours (schedule in common/defaults/schedule.toml) and offline (hall server unreachable):
clear statements, never a dead end."""

from __future__ import annotations

import pytest

from tests.support.chaos_proxy import ChaosProxy
from tests.ui.ui_support import make_kiosk_home, printer_bytes, run_ui

pytestmark = pytest.mark.ui


def test_after_hours_queue_closed_guide_open(kiosk):
    seen = run_ui(kiosk, "after_hours", params={"now": "2026-11-23T19:00:00+08:00"})
    assert seen["status"] == "非工作时间，部分服务暂停"
    assert seen["screen_after_queue_tap"] == "home"
    assert seen["notice"] == "暂停服务，明天 08:30 开放" == seen["queue_hint"]
    assert seen["queue_hint_en"] == "Closed now, opens tomorrow 08:30"
    assert seen["notice_en"] == "Closed now, opens tomorrow 08:30"  # the notice reworded too
    assert seen["guide_opened"] is True


def test_offline_banner_offline_ticket_and_local_guide(hall, tmp_path):
    port = int(hall.url.rsplit(":", 1)[1])
    proxy = ChaosProxy(port)  # the kiosk is enrolled through it, then the link is cut
    try:
        kiosk = make_kiosk_home(hall, tmp_path, name="UI-OFF", server_url=proxy.url)
    finally:
        proxy.stop()
    seen = run_ui(kiosk, "offline", params={"offline": "1"})
    assert seen["status"] == "离线服务中"
    assert "办事指南可正常查询" in seen["banner"]
    # check-in by ID card needs the server: said up front, the code path and tickets remain
    assert "需要联网" in seen["checkin_note"] and seen["checkin_button_disabled"] is True
    ticket = seen["ticket"]
    assert ticket["offline"] is True and seen["number_shown"] == ticket["number"]
    assert "联网后自动同步" in seen["offline_note"]
    assert printer_bytes(kiosk).startswith(b"\x1b@")  # printed although offline
    assert seen["guide_rows"] > 0
