"""到号提醒 / 办件进度短信 through the view-models (no window): the digits keypad, the
mobile-number check, the masked line afterwards, nothing clear left in the screen's state,
and the number reaching the hall server (its pages show it masked)."""

from __future__ import annotations

import json

import pytest
import requests

from common.paths import config_dir
from screens.viewmodels.keyboard import BACKSPACE, DONE
from tests.ui.test_viewmodels import Rig, strings_in

PHONE, MASKED = "13912345678", "139****5678"


@pytest.fixture(scope="module")
def rig(hall, tmp_path_factory):
    """One enrolled kiosk for both screens (enrolment and the first sync are the slow part)."""
    r = Rig(hall, tmp_path_factory.mktemp("sms-kiosk"))
    yield r
    r.close()


def type_digits(vm, digits: str) -> None:
    for ch in digits:
        vm.press(ch)


def test_ticket_screen_takes_a_mobile_on_the_keypad_and_shows_it_masked(rig):
    services = rig.vm("services")
    rig.session.go("services")
    rig.settle(lambda: services.services)
    services.show_tab("")
    # the last open service: the shared hall's other tests call the first one's queue
    code = [r["code"] for r in services.view["rows"] if r["open"]][-1]
    services.pick(code)
    rig.settle(lambda: rig.session.current == "ticket")
    vm = rig.vm("ticket")
    assert vm.view["sms_offered"] and vm.view["sms_offer"] == "到号提醒"
    assert not vm.view["sms_open"] and vm.view["sms_keyboard"] == {}

    vm.sms_open()
    assert vm.view["sms_open"] and vm.view["sms_keyboard"]["mode"] == "digits"
    # one 确定, beside 取消: the keypad has digits, 清空 and 删除 only
    keys = [k["value"] for row in vm.view["sms_keyboard"]["layout"] for k in row]
    assert DONE not in keys and vm.view["sms_confirm"] == "确定"
    type_digits(vm, "1291234567899")  # too long: the keypad stops at 11
    assert vm.sms.keyboard.text == "12912345678"
    assert vm.view["sms_text"] == "129 1234 5678"
    vm.sms_confirm()  # 12x is no mobile prefix
    assert vm.view["sms_error"] == "请填写11位手机号码（1开头）" and not vm.sms.busy
    for _ in range(11):
        vm.press(BACKSPACE)
    type_digits(vm, PHONE)
    assert vm.view["sms_error"] == ""
    vm.sms_confirm()
    rig.settle(lambda: not vm.sms.busy)
    assert vm.view["sms_error"] == "", vm.view["sms_error"]
    assert vm.view["sms_done"] == f"短信提醒：{MASKED}"
    assert not vm.view["sms_open"] and not vm.view["sms_offered"]
    assert PHONE not in " ".join(strings_in(vm))  # only the masked number stays on screen

    page = requests.get(vm.ticket.url, timeout=10).text
    assert MASKED in page and PHONE not in page
    vm.done()
    assert vm.sms.masked == "" and vm.view["sms_done"] == ""  # wiped for the next citizen


def test_form_done_step_offers_progress_sms(rig):
    demo = json.loads((config_dir() / "demo" / "applications.jsonl")
                      .read_text(encoding="utf-8").splitlines()[0])
    form = rig.vm("form")
    assert not form.view["sms_offered"]  # nothing filed yet
    sub = rig.core.submit_application(demo["form"], demo["fields"], item=demo["item"])
    form.submission, form.step = sub, "done"  # what _submitted sets
    form.refresh()
    assert form.view["sms_offer"] == "办件进度短信" and form.view["sms_offered"]
    form.sms_open()
    type_digits(form, PHONE)
    assert form.keyboard.text == ""  # the form's own keyboard got nothing
    form.sms_confirm()
    rig.settle(lambda: not form.sms.busy)
    assert form.view["sms_done"] == f"短信提醒：{MASKED}", form.view["sms_error"]
    page = requests.get(sub.receipt_url, timeout=10).text
    assert MASKED in page and PHONE not in page
