"""The technician's PIN pad and screen, without a window: the real core against the real hall
server on loopback (the Rig of test_viewmodels), devices simulated by the products' own
simulators, the audit log read back from the file and the outbox. One offscreen scenario
long-presses the home screen's corner, types the PIN and shows the technician screen."""

from __future__ import annotations

import json

import pytest

from kiosk.ops import audit, technician_auth
from kiosk.ops.technician import RESTART_EXIT_CODE
from tests.ui.test_viewmodels import Rig
from tests.ui.ui_support import ARTIFACTS, run_ui

pytestmark = pytest.mark.ui

PIN = "246810"


@pytest.fixture
def rig(hall, tmp_path):
    r = Rig(hall, tmp_path)
    technician_auth.set_pin(r.core.home, PIN)
    yield r
    r.close()


def type_pin(rig: Rig, pin: str) -> None:
    pad = rig.vm("technician_pin")
    for digit in pin:
        pad.press(digit)
    assert pad.view["masked"] == "●" * len(pin) and pin not in json.dumps(pad.view)
    pad.press("<DONE>")


def unlock(rig: Rig) -> object:
    rig.vm("home").open_technician()
    assert rig.session.current == "technician_pin"
    type_pin(rig, PIN)
    tech = rig.vm("technician")
    rig.settle(lambda: rig.session.current == "technician")
    rig.settle(lambda: tech.panel == "doctor" and not tech.busy, timeout=30)
    return tech


def audit_actions(rig: Rig) -> list[str]:
    return [e["action"] for e in reversed(audit.read(rig.core.home))]


def queued_audit_count(rig: Rig) -> int:
    return sum(1 for r in rig.core.outbox.list(limit=1000) if r["kind"] == "audit")


def test_right_pin_opens_the_technician_screen_with_the_doctor(rig):
    tech = unlock(rig)
    assert tech.unlocked and tech.by == "pin"
    names = [line["text"] for line in tech.view["lines"]]
    assert any("server" in n for n in names) and any("device.printer" in n for n in names)
    assert tech.view["message"].startswith("自检：")
    assert rig.session.stack == ["home"]  # 返回 skips the PIN pad
    assert audit_actions(rig)[-2:] == ["technician_unlock", "doctor"]
    assert queued_audit_count(rig) >= 2  # on their way to the hall server


def test_wrong_pins_count_and_lock_out(rig):
    pad = rig.vm("technician_pin")
    rig.vm("home").open_technician()
    for attempt in range(technician_auth.MAX_FAILURES):
        type_pin(rig, "000000")
        rig.settle(lambda: not pad.busy)
        code = "E-DOC-04" if attempt == technician_auth.MAX_FAILURES - 1 else "E-DOC-03"
        assert code in pad.view["error"], (attempt, pad.view["error"])
    type_pin(rig, PIN)  # even the right PIN is refused while locked out
    rig.settle(lambda: not pad.busy)
    assert "E-DOC-04" in pad.view["error"] and rig.session.current == "technician_pin"
    assert not rig.vm("technician").unlocked
    refused = [e for e in audit.read(rig.core.home) if e["action"] == "technician_unlock"]
    assert len(refused) == technician_auth.MAX_FAILURES
    assert all(e["outcome"] == "refused" for e in refused)


def test_short_pin_is_refused_without_a_check(rig):
    rig.vm("home").open_technician()
    type_pin(rig, "123")
    pad = rig.vm("technician_pin")
    assert "6–12" in pad.view["error"] and not pad.busy
    assert "technician_unlock" not in audit_actions(rig)


def test_locked_technician_screen_cannot_be_opened_directly(rig):
    rig.session.go("technician")
    assert rig.session.current == "home"


def test_device_tests_sync_outbox_logs(rig):
    tech = unlock(rig)

    tech.print_test()
    rig.settle(lambda: not tech.busy)
    raw = rig.printer.read_bytes()
    assert raw.startswith(b"\x1b@") and b"T001" in raw, raw[:40]
    assert tech.view["message"] == "测试票已打印"

    tech.read_card()
    rig.settle(lambda: not tech.busy)
    shown = " ".join(line["text"] for line in tech.view["lines"])
    card = rig.core.read_id_card(5)
    assert card["id_number"] not in shown and card["name"] not in shown
    assert card["id_number"][-4:] in shown and "*" in shown and card["kind"] in shown

    rig.core.settings.devices.scanner = "sim?code=HALL-TEST-42"
    tech.scan()
    rig.settle(lambda: not tech.busy)
    assert tech.view["lines"][0]["text"] == "HALL-TEST-42"

    tech.sync_now()
    rig.settle(lambda: not tech.busy, timeout=30)
    assert tech.view["message"].startswith("已发送 ") and "待发送 0 条" in tech.view["message"]
    assert queued_audit_count(rig) >= 1  # this action's own entry waits for the next pass

    tech.show_outbox()
    rig.settle(lambda: not tech.busy)
    assert "被拒 0 条" in tech.view["message"]
    assert all("body" not in line["text"] for line in tech.view["lines"])

    tech.show_logs()
    rig.settle(lambda: not tech.busy)
    # the Rig writes no log file: the audit entries are shown instead, and the screen says so
    assert "没有日志文件" in tech.view["message"]
    assert any("device_test" in line["text"] for line in tech.view["lines"])

    actions = audit_actions(rig)
    for action in ("device_test", "sync_now", "outbox_view", "logs_view"):
        assert action in actions, action
    assert actions.count("device_test") == 3


def test_restart_exits_non_zero_and_exit_relocks(rig):
    tech = unlock(rig)
    codes: list[int] = []
    tech.exit_process = codes.append
    tech.restart()
    rig.settle(lambda: codes)
    assert codes == [RESTART_EXIT_CODE] and "restart" in audit_actions(rig)

    tech.leave()
    assert rig.session.current == "home" and not tech.unlocked
    rig.settle(lambda: "technician_exit" in audit_actions(rig))


def test_idle_timeout_on_the_technician_screen_locks_and_goes_home(rig):
    tech = unlock(rig)
    rig.time.now += 61
    rig.session.tick()
    rig.time.now += 11
    rig.session.tick()
    assert rig.session.current == "home"
    assert not tech.unlocked and tech.view["lines"] == []


def test_card_unlock_without_a_reader_says_why(rig):
    rig.core.settings.devices.smartcard = "no such reader"
    pad = rig.vm("technician_pin")
    rig.vm("home").open_technician()
    pad.use_card()
    rig.settle(lambda: not pad.busy, timeout=30)
    assert "E-SC-" in pad.view["error"], pad.view["error"]
    assert rig.session.current == "technician_pin"


def test_long_press_pin_and_technician_screen_by_touch(kiosk):
    technician_auth.set_pin(kiosk.home, PIN)
    seen = run_ui(kiosk, "technician", params={"pin": PIN})
    assert seen["short_tap_screen"] == "home"
    assert seen["masked"] == "●" * len(PIN)
    assert seen["screen"] == "technician"
    assert any("device.printer" in t for t in seen["lines"])
    assert (ARTIFACTS / "technician_zh.png").stat().st_size > 10_000
