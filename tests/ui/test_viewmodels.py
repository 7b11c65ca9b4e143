"""View-model tests without a window: the real app core against the real hall server on
loopback, results handed back through a ManualLoop (the UI thread's stand-in), time through
an injected clock. No Kivy is imported here."""

from __future__ import annotations

import sys
from dataclasses import fields, is_dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from screens.bridge import ManualLoop
from screens.i18n import set_language
from screens.viewmodels import build_session
from screens.viewmodels.base import ViewModel
from screens.viewmodels.keyboard import BACKSPACE, SPACE, Keyboard
from tests.ui.ui_support import make_kiosk_home

pytestmark = pytest.mark.ui


MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


class FakeTime:
    """Seconds that only move when the test says so (the idle timeout's clock)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Rig:
    def __init__(self, hall: Any, root: Path, extra_env: dict[str, str] | None = None) -> None:
        from common.settings import load_settings
        from kiosk.core import KioskCore

        kiosk = make_kiosk_home(hall, root)
        self.printer = kiosk.printer
        site = root / "site.toml"
        site.write_text("")
        env = {k: v for k, v in kiosk.env.items() if k.startswith("KIOSK_") and k != "KIOSK_HOME"}
        env |= extra_env or {}
        self.core = KioskCore(load_settings(site_file=site, environ=env), kiosk.home)
        self.core.sync_once()  # what the running kiosk's syncer does first: now online
        self.loop = ManualLoop()
        self.time = FakeTime()
        self.wall = MONDAY_10
        self.session = build_session(
            self.core,
            self.loop.post,
            clock=self.time,
            idle_timeout=60,
            elderly_idle_timeout=120,
            now=lambda: self.wall,  # the hall's wall clock, for the after-hours schedule
        )

    def vm(self, name: str) -> Any:
        return self.session.vm(name)

    def settle(self, predicate, timeout: float = 15.0) -> None:
        self.loop.run_until(predicate, timeout)

    def device_event(self, name: str, payload: dict) -> None:
        """A device event as the core emits it (kiosk/devices.py does, from the device I/O
        thread), through the bridge to the session; tests/ui/test_device_events.py drives
        the same path from the simulators in a running kiosk."""
        self.core.emit(name, payload)
        self.loop.run_pending()

    def close(self) -> None:
        self.core.close()
        set_language("zh_CN")


@pytest.fixture
def rig(hall, tmp_path):
    r = Rig(hall, tmp_path)
    yield r
    r.close()


# --- helpers ---------------------------------------------------------------------------------
def strings_in(obj: Any, seen: set[int] | None = None) -> list[str]:
    """Every string reachable from a view-model's own state (not the app links)."""
    seen = seen if seen is not None else set()
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for k, v in obj.items() for s in strings_in(k, seen) + strings_in(v, seen)]
    if isinstance(obj, list | tuple | set | frozenset):
        return [s for v in obj for s in strings_in(v, seen)]
    if isinstance(obj, ViewModel):
        return strings_in(obj.state(), seen) + strings_in(obj.view, seen)
    if is_dataclass(obj) and not isinstance(obj, type):
        return [s for f in fields(obj) for s in strings_in(getattr(obj, f.name), seen)]
    if hasattr(obj, "__dict__") and type(obj).__module__.startswith("screens."):
        state = {k: v for k, v in vars(obj).items() if not callable(v)}
        return strings_in(state, seen)
    return []


def type_keys(vm: Any, letters: str) -> None:
    for ch in letters:
        vm.press(ch)


# --- keyboard and pinyin ---------------------------------------------------------------------
def test_pinyin_keyboard_turns_banshi_into_banshi_chinese():
    kb = Keyboard("pinyin")
    for ch in "banshi":
        kb.press(ch)
    render = kb.render()
    assert render["composition"] == "ban'shi"
    assert render["candidates"][0]["word"] == "办事"
    kb.choose(0)
    assert kb.text == "办事" and kb.composition == ""


def test_pinyin_initials_partial_conversion_and_backspace():
    kb = Keyboard("pinyin")
    for ch in "yyzz":
        kb.press(ch)
    assert kb.candidates[0].word == "营业执照"
    kb.clear()
    for ch in "shenfenzhengx":  # a word, then the start of the next one
        kb.press(ch)
    first = kb.candidates[0]
    assert first.word == "身份证" and first.consumed == len("shenfenzheng")
    kb.choose(0)
    assert kb.text == "身份证" and kb.composition == "x"
    kb.press(BACKSPACE)
    kb.press(BACKSPACE)
    assert kb.text == "身份" and kb.composition == ""


def test_kiosk_process_does_not_import_jieba_or_pypinyin():
    import subprocess

    code = (
        "import sys; from screens.viewmodels.pinyin import lexicon; "
        "lexicon().candidates('banshi'); "
        "print('jieba' in sys.modules, 'pypinyin' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_id_number_keyboard_only_digits_and_x():
    kb = Keyboard("idcard")
    labels = {k["value"] for row in kb.layout() for k in row}
    assert "X" in labels and "a" not in labels
    for ch in "11010519491231002x":
        kb.press(ch)
    assert kb.text == "11010519491231002X"


# --- navigation, language, elderly -----------------------------------------------------------
def test_home_tiles_open_each_flow(rig):
    home = rig.vm("home")
    for function, screen in [
        ("queue", "services"),
        ("guide", "guide"),
        ("forms", "forms"),
        ("progress", "progress"),
        ("evaluate", "evaluation"),
    ]:
        home.open(function)
        assert rig.session.current == screen
        rig.session.back()
        assert rig.session.current == "home"


def test_language_switch_keeps_the_citizens_place_and_input(rig):
    rig.session.go("guide")
    rig.vm("guide").open_search()
    search = rig.vm("search")
    type_keys(search, "yyzz")
    rig.settle(lambda: search.results_for == "yyzz")
    zh_title = search.view["title"]
    rig.session.toggle_language()
    assert rig.session.current == "search"
    assert search.keyboard.composition == "yyzz"
    assert search.view["title"] == "Search services" != zh_title
    assert rig.session.view["language_button"] == "中文"
    rig.session.toggle_language()
    assert search.view["title"] == zh_title


def test_elderly_mode_shows_fewer_rows_and_waits_longer(rig):
    guide = rig.vm("guide")
    rig.session.go("guide")
    rig.settle(lambda: guide.departments)
    assert len(guide.view["rows"]) == min(6, len(guide.departments))
    rig.session.toggle_elderly()
    assert len(guide.view["rows"]) == min(4, len(guide.departments))
    assert rig.session.timeout == 120
    rig.time.now += 100
    rig.session.tick()
    assert not rig.session.prompt  # 100 s < the elderly timeout
    rig.time.now += 30
    rig.session.tick()
    assert rig.session.prompt


# --- guide -----------------------------------------------------------------------------------
def test_search_as_you_type_with_pinyin_initials(rig):
    rig.session.go("search")
    search = rig.vm("search")
    type_keys(search, "yy")
    type_keys(search, "zz")
    rig.settle(lambda: search.results_for == "yyzz" and search.in_flight is None)
    titles = [r["title"] for r in search.view["rows"]]
    assert any("营业执照" in t for t in titles), titles
    # choosing the candidate turns the query into Chinese and searches again
    search.choose(0)
    assert search.keyboard.text == "营业执照" and search.view["query"] == "营业执照"
    rig.settle(lambda: search.results_for == "营业执照")
    assert search.view["rows"] and search.view["status"] == ""


def test_a_typo_gets_did_you_mean(rig):
    rig.session.go("search")
    search = rig.vm("search")
    type_keys(search, "yingyezhizhap")  # one letter off: nothing matches as typed
    rig.settle(lambda: search.results_for == "yingyezhizhap" and search.in_flight is None)
    titles = [r["title"] for r in search.view["rows"]]
    assert "营业执照补领、换发" in titles, titles  # and items with the alias 营业执照
    assert search.view["status"] == "您是不是要找："
    type_keys(search, [BACKSPACE] * 13 + list("yingyezhizhao"))  # as meant: no guess shown
    rig.settle(lambda: search.results_for == "yingyezhizhao" and search.in_flight is None)
    assert search.view["rows"] and search.view["status"] == ""


def test_browse_department_then_item_shows_every_guide_element(rig):
    guide = rig.vm("guide")
    rig.session.go("guide")
    rig.settle(lambda: guide.departments)
    guide.pick(f"dept:{guide.departments[0]}")
    rig.settle(lambda: guide.items)
    first = guide.view["rows"][0]["key"]
    guide.pick(first)
    item_vm = rig.vm("guide_item")
    assert rig.session.current == "guide_item"
    rig.settle(lambda: item_vm.item is not None)
    sections = list(item_vm.view["sections"])
    while item_vm.view["has_next"]:  # the guide is paged, never scrolled
        item_vm.next_page()
        sections += item_vm.view["sections"]
    headings = " ".join(x["title"] for x in sections)
    for element in ("基本信息", "办理时限", "申请材料", "办理流程", "收费标准", "办理地点与咨询"):
        assert element in headings
    body = " ".join(x["detail"] for x in sections)
    for element in (
        "事项编码",
        "实施主体",
        "法定办结时限",
        "承诺办结时限",
        "咨询电话",
        "监督投诉电话",
        "到现场次数",
        "份",
    ):
        assert element in body
    assert item_vm.view["qr"].endswith("/guide/" + first.split(":", 1)[1])


def test_print_checklist_reaches_the_printer(rig):
    item_vm = rig.vm("guide_item")
    rig.session.go("search")
    search = rig.vm("search")
    type_keys(search, "yyzz")
    rig.settle(lambda: search.results_for == "yyzz")
    search.pick(search.view["rows"][0]["key"])
    rig.settle(lambda: item_vm.item is not None)
    item_vm.print_checklist()
    rig.settle(lambda: not item_vm.printing)
    assert item_vm.view["notice"] == "材料清单已打印，请取走"
    assert rig.printer.read_bytes().startswith(b"\x1b@")


# --- queue -----------------------------------------------------------------------------------
def test_take_ticket_through_the_view_models(rig):
    services = rig.vm("services")
    rig.session.go("services")
    rig.settle(lambda: services.services)
    services.show_tab("")  # every category
    code = next(r["code"] for r in services.view["rows"] if r["open"])
    services.pick(code)
    services.pick(code)  # an impatient second tap issues nothing more
    rig.settle(lambda: rig.session.current == "ticket")
    ticket_vm = rig.vm("ticket")
    assert ticket_vm.view["number"] == ticket_vm.ticket.number
    assert ticket_vm.view["qr"] == ticket_vm.ticket.url
    tickets = rig.core.store.query("SELECT COUNT(*) AS n FROM ticket")[0]["n"]
    assert tickets == 1
    # the screen showed it: recorded as handed over, so a restart keeps it (issue 15)
    rig.settle(lambda: rig.core.store.query("SELECT shown_at FROM ticket")[0]["shown_at"])
    # the demo hall has served nobody yet: the server has no basis, and the screen says so
    assert ticket_vm.ticket.estimated_wait_min is None
    assert ticket_vm.view["wait"] == "暂无等候时间估计"
    ticket_vm.done()
    assert rig.session.current == "home" and ticket_vm.ticket is None


def test_offline_ticket_never_claims_nobody_ahead_and_no_wait(rig):
    """Offline the queue is the server's: the screen says when it will know, not 0 人/0 分钟."""
    from dataclasses import replace

    ticket_vm = rig.vm("ticket")
    offline = replace(_some_ticket(rig), offline=True, people_ahead=0, estimated_wait_min=None)
    ticket_vm.enter(ticket=offline)
    assert ticket_vm.view["ahead"] == "前面人数联网后可查看"
    assert ticket_vm.view["wait"] == "等候时间联网后可查看"
    assert "0" not in ticket_vm.view["ahead"] + ticket_vm.view["wait"]
    online = replace(offline, offline=False, people_ahead=4, estimated_wait_min=12)
    ticket_vm.enter(ticket=online)
    assert (ticket_vm.view["ahead"], ticket_vm.view["wait"]) == ("您前面还有 4 人",
                                                                 "预计等候约 12 分钟")


def _some_ticket(rig):
    from common.views import TicketView

    return TicketView(id="t-1", number="A-K1-001", service="ZH", service_name="综合受理",
                      service_name_en="General", people_ahead=0, issued_at="2025-03-17T10:00:00",
                      url="http://hall/t/pending/k")


# --- idle timeout and wipe -------------------------------------------------------------------
CARD_NAME = "张三丰"
CARD_ID = "11010519491231002X"


def _sample_card() -> dict[str, Any]:
    return {
        "kind": "resident",
        "name": CARD_NAME,
        "gender": {"code": "1", "label": "男"},
        "nation": {"code": "01", "label": "汉"},
        "birth": "1949-12-31",
        "address": "北京市朝阳区某某路1号",
        "id_number": CARD_ID,
        "id_number_valid": True,
        "authority": "北京市公安局朝阳分局",
        "valid_from": "2015-01-01",
        "valid_to": "长期",
    }


def test_idle_timeout_prompts_then_wipes_every_view_model(rig):
    s = rig.session
    # a citizen at work: a form filled from the ID card, a search typed, English, elderly mode
    s.go("forms")
    forms = rig.vm("forms")
    rig.settle(lambda: forms.forms)
    form_code = next(f.code for f in forms.forms if any(x.from_card == "name" for x in f.fields))
    forms.pick(form_code)
    form = rig.vm("form")
    rig.settle(lambda: form.form is not None)
    rig.device_event("card_placed", {"card": _sample_card()})
    assert form.values.get("name") == CARD_NAME and s.card_in_use
    s.go("search")
    type_keys(rig.vm("search"), "banshi")
    s.toggle_language()
    s.toggle_elderly()
    assert CARD_NAME in strings_in(form) and CARD_ID in strings_in(form)

    # no touch for the timeout → "still there?" → a touch keeps everything
    rig.time.now += s.timeout
    s.tick()
    assert s.prompt and s.view["prompt"]
    s.user_activity()
    assert not s.prompt and form.values.get("name") == CARD_NAME

    # no touch again: prompt, then 10 s later everything is gone
    rig.time.now += s.timeout
    s.tick()
    assert s.prompt
    rig.time.now += 9
    s.tick()
    assert s.prompt and "1" in s.view["prompt_text"]
    rig.time.now += 1
    s.tick()
    assert s.current == "home" and not s.prompt and not s.elderly
    assert s.view["language_button"] == "English" and not s.card_in_use
    for name, vm in s.screens.items():
        found = [
            t
            for t in strings_in(vm)
            if CARD_NAME in t or CARD_ID in t or "banshi" in t or "ban'shi" in t or t == "办事"
        ]
        assert not found, (name, found)
    assert form.form is None and form.values == {} and form.card is None
    assert rig.vm("search").keyboard.query() == ""


def test_results_arriving_after_a_wipe_are_dropped(rig):
    s = rig.session
    s.go("guide")  # asks the core for departments and life events
    guide = rig.vm("guide")
    assert s.bridge.pending == 2
    s.exit()  # 退出 before the answers arrive
    rig.loop.run_until(lambda: s.bridge.pending == 0)
    assert guide.departments == [] and guide.life_events == []
    assert guide.view["rows"] == []


def test_removing_the_id_card_ends_the_session(rig):
    s = rig.session
    s.go("forms")
    forms = rig.vm("forms")
    rig.settle(lambda: forms.forms)
    form_code = next(f.code for f in forms.forms if any(x.from_card == "name" for x in f.fields))
    forms.pick(form_code)
    rig.settle(lambda: rig.vm("form").form is not None)
    rig.device_event("card_removed", {})  # no card read yet: nothing happens
    assert s.current == "form"
    rig.device_event("card_placed", {"card": _sample_card()})
    rig.device_event("card_removed", {})
    assert s.current == "home" and rig.vm("form").values == {}


# --- forms -----------------------------------------------------------------------------------
def test_form_fill_validation_review_and_submit(rig):
    s = rig.session
    forms = rig.vm("forms")
    s.go("forms")
    rig.settle(lambda: forms.forms)
    form_def = next(f for f in forms.forms if any(x.from_card == "id_number" for x in f.fields))
    forms.pick(form_def.code)
    form = rig.vm("form")
    rig.settle(lambda: form.form is not None)
    assert form.step == "card"
    form.read_card()  # the simulated reader holds a sample resident card
    rig.settle(lambda: form.step == "fill", timeout=30)
    assert form.values.get("id_number") and form.card is not None
    # on the fill screen the ID number is masked; the review screen shows it in full
    id_row = (
        next(r for r in form.view["rows"] if r["key"] == "id_number")
        if any(r["key"] == "id_number" for r in form.view["rows"])
        else None
    )
    if id_row is not None and not id_row["active"]:
        assert "*" in id_row["detail"]

    # a required field left empty is reported next to it
    form.review()
    assert form.step == "fill" and form.errors
    missing = next(iter(form.errors))
    assert any(r["error"] for r in form.view["rows"]) or form.view["page_text"]

    # type a bad phone when the form has one: the message sits beside the field
    phone = next((f for f in form.form.fields if f.type == "phone"), None)
    if phone is not None:
        form.edit(phone.key)
        type_keys(form, "123")
        form.next_field()
        assert phone.key in form.errors

    # fill everything the card did not, with values valid for each type
    for f in form.form.fields:
        if form.values.get(f.key) and f.key not in form.errors:
            continue
        form.edit(f.key)
        if f.type == "choice":
            form.choose_option(f.choices[0].value)
            continue
        form.keyboard.clear()
        for key in _valid_keys(f):
            form.press(key)
    form.review()
    assert form.step == "review", (form.errors, missing)
    review = {r["title"]: r["detail"] for r in form.view["review_rows"]}
    assert "办事" in review.values()  # typed as pinyin, committed with the space bar
    assert any(len(v) == 18 and v[:17].isdigit() for v in review.values())  # full ID shown
    form.submit()
    rig.settle(lambda: form.step == "done" or (not form.busy and form.message), timeout=20)
    assert form.step == "done", form.message
    assert form.submission.number and form.view["qr"].split("?")[0].endswith(
        form.submission.number
    )
    assert "?t=" in form.view["qr"]  # the page's token (common/urls.py)
    assert form.view["item_line"] == "事项：" + form.submission.item_title  # what it files under
    assert rig.printer.read_bytes().startswith(b"\x1b@")  # the receipt
    shown = "SELECT shown_at FROM submission WHERE key = ?"  # handed over (issue 15)
    rig.settle(lambda: rig.core.store.query(shown, (form.submission.local_id,))[0]["shown_at"])


def test_form_date_field_picked_on_the_calendar_then_validated(rig):
    s = rig.session
    s.go("form", form="F-CSYX-01")
    form = rig.vm("form")
    rig.settle(lambda: form.form is not None)
    form.skip_card()
    form.edit("baby_birth")
    view = form.view
    assert view["step"] == "date" and view["calendar"]["mode"] == "days"
    assert view["date_label"] == "出生日期" and not view["keyboard"]
    today = s.now().date()
    cells = {c["key"]: c for c in view["calendar"]["cells"] if c["key"]}
    assert cells[today.isoformat()]["today"]

    form.calendar_years()
    form.calendar_pick(str(today.year - 1))
    form.calendar_pick(f"{today.year - 1}-06")
    form.calendar_pick(f"{today.year - 1}-06-15")
    assert form.values["baby_birth"] == f"{today.year - 1}-06-15"
    assert "baby_birth" not in form.errors and "baby_birth" in form.touched
    assert form.picker is None and form.editing == "birth_place"  # on to the next field
    assert form.view["step"] == "fill"

    # the digit pad stays available; a typed date outside the range is flagged by the rule
    form.edit("baby_birth")
    form.use_keypad()
    assert form.view["step"] == "fill" and form.view["keyboard"]["mode"] == "digits"
    assert form.view["can_use_calendar"]
    form.keyboard.clear()
    for ch in f"{today.year + 1}0101":
        form.press(ch)
    form.press("<DONE>")
    assert form.errors["baby_birth"].code == "E-VAL-14"
    assert next(r for r in form.view["rows"] if r["key"] == "baby_birth")["error"] == (
        "出生日期不能晚于今天"
    )
    # back on the calendar the typed (refused) date is shown; 返回表单 leaves without picking
    form.edit("baby_birth")
    assert form.view["date_error"] == "出生日期不能晚于今天"
    form.close_calendar()
    assert form.editing is None and form.view["step"] == "fill"
    s.exit()
    assert form.picker is None and form.values == {}


def test_booking_form_no_longer_offers_a_half_day_already_over_today(rig):
    """婚姻登记预约 at 11:40: today's morning (its last slot began at 11:30) is shown disabled
    and cannot be picked; tomorrow both half-days are offered (E-QUE-23 on the server)."""
    s = rig.session
    rig.wall = MONDAY_10.replace(hour=11, minute=40)
    s.go("form", form="F-HYDJ-01")
    form = rig.vm("form")
    rig.settle(lambda: form.form is not None)
    form.skip_card()
    today = s.now().date()
    form.values["date"] = today.isoformat()
    form.edit("period")
    chips = {c["key"]: c for c in form.view["choices"]}
    assert chips["am"]["disabled"] and chips["am"]["title"] == "上午（9:00-12:00）\n今日已过"
    assert not chips["pm"]["disabled"] and chips["pm"]["title"] == "下午（13:30-17:30）"
    form.choose_option("am")
    assert "period" not in form.values and form.editing == "period"
    form.choose_option("pm")
    assert form.values["period"] == "pm"

    # chosen earlier for today, then the half-day ran out: flagged, not sent to be refused
    form.values["period"] = "am"
    form.review()
    assert form.errors["period"].code == "E-QUE-23" and form.step == "fill"
    form.values["date"] = (today + timedelta(days=1)).isoformat()
    form.edit("period")
    assert not any(c["disabled"] for c in form.view["choices"])
    s.exit()


def _valid_keys(f: Any) -> list[str]:
    if f.type in ("chinese_text", "text", "textarea"):
        return [*"banshi", SPACE]  # pinyin + space commits 办事
    return list(_valid_value(f))


def _valid_value(f: Any) -> str:
    if f.type == "phone":
        return "13800138000"
    if f.type == "postal_code":
        return "100020"
    if f.type == "date":
        return "20240105"
    if f.type == "number":
        return str(max(1, int(f.min or 0) + 1))
    if f.type == "id_number":
        return CARD_ID
    if f.type == "email":
        return "a@b.cn"
    return "banshi"


# --- progress and evaluation -----------------------------------------------------------------
def test_progress_by_number_shows_timeline_and_deadline(rig, hall):
    number = _demo_application_number(hall)
    rig.session.go("progress")
    progress = rig.vm("progress")
    for ch in number:
        progress.press(ch)
    progress.search()
    rig.settle(lambda: not progress.busy)
    assert progress.step == "results", progress.error
    view = progress.view
    assert number in view["detail_number"] and view["detail_status"]
    assert progress.view["timeline"] and progress.view["timeline"][-1]["last"]


def test_progress_by_unknown_number_says_so(rig):
    rig.session.go("progress")
    progress = rig.vm("progress")
    for ch in "SQ20990101ZZZZZZZZZZ":
        progress.press(ch)
    progress.search()
    rig.settle(lambda: not progress.busy)
    assert progress.step == "input" and "E-APP-02" in progress.error


def test_evaluation_never_forced_and_submitted_with_reasons(rig):
    s = rig.session
    s.go("evaluation", subject="T-TEST-1", subject_label="A001")
    ev = rig.vm("evaluation")
    assert ev.step == "level" and not ev.view["can_submit"]
    s.back()  # leaving is always possible
    assert s.current == "home"
    s.go("evaluation", subject="T-TEST-1", subject_label="A001")
    ev.rate(2)
    rig.settle(lambda: ev.reasons)
    ev.toggle_reason(ev.reasons[0]["code"])
    ev.open_comment()
    type_keys(ev, "banshi")
    ev.choose(0)
    ev.close_comment()
    assert ev.view["comment"] == "办事"
    ev.submit()
    rig.settle(lambda: not ev.busy)
    assert ev.step in ("thanks",) or "E-" in ev.error


def _demo_application_number(hall: Any) -> str:
    import json

    from common.paths import config_dir

    path = config_dir() / "demo" / "applications.jsonl"
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    return first["number"]


# --- after hours -----------------------------------------------------------------------------
def test_after_hours_queue_closed_with_reopening_time_others_open(rig):
    s = rig.session
    home = rig.vm("home")
    assert home.view["queue_open"] and s.view["status"] == "正常服务中"
    rig.wall = MONDAY_10.replace(hour=19)  # the evening: the queue has closed
    s.tick()
    assert not home.view["queue_open"] and home.view["guide_open"]
    assert s.view["status"] == "非工作时间，部分服务暂停"
    home.open("queue")
    assert s.current == "home" and s.view["notice"] == "暂停服务，明天 08:30 开放"
    home.open("guide")
    assert s.current == "guide"  # the 24-hour functions stay offered
    s.exit()
    rig.wall = MONDAY_10 + timedelta(days=5)  # Saturday
    s.tick()
    home.open("queue")
    assert s.view["notice"] == "暂停服务，周一 08:30 开放"
    s.toggle_language()
    assert home.view["queue_hint"] == "Closed now, opens Mon 08:30"


# --- queue: real name, priority, appointment, per-ID limit -----------------------------------
def test_age_from_the_card_birth_date():
    from screens.viewmodels.queue import age_on

    today = MONDAY_10.date()
    assert age_on("1949-12-31", today) == 76
    assert age_on("19661123", today) == 60  # the birthday itself counts
    assert age_on("19661124", today) == 59
    assert age_on("garbage", today) is None


def test_elderly_card_offers_priority_and_the_ticket_carries_it(rig):
    s = rig.session
    s.go("services")
    services = rig.vm("services")
    rig.settle(lambda: services.services)
    services.show_tab("")  # every category
    rig.device_event("card_placed", {"card": _sample_card()})  # born 1949: over 60
    assert services.priority == "elderly" and services.priority_auto
    assert services.view["real_name"].startswith("实名取号：张**")  # masked: others can see
    assert CARD_NAME not in repr(services.view)
    code = next(r["code"] for r in services.view["rows"] if r["open"])
    services.pick(code)
    rig.settle(lambda: s.current == "ticket")
    assert rig.vm("ticket").ticket.priority == "elderly"


def test_priority_by_choice_needs_the_card_and_can_be_turned_off(rig):
    s = rig.session
    s.go("services")
    services = rig.vm("services")
    services.choose_priority("military")
    assert services.priority is None  # no real name, no priority
    young = _sample_card() | {"birth": "1995-01-01"}
    rig.device_event("card_placed", {"card": young})
    assert services.priority is None
    services.choose_priority("military")
    assert services.priority == "military"
    services.choose_priority("military")
    assert services.priority is None


def test_per_id_daily_limit_is_explained(rig):
    s = rig.session
    services = rig.vm("services")
    limit = rig.core.settings.kiosk.holder_daily_limit
    card = _sample_card() | {"id_number": "110101199003070029"}
    for i in range(limit + 1):
        s.exit()
        s.go("services")
        rig.settle(lambda: services.services)
        services.show_tab("")  # every category
        rig.device_event("card_placed", {"card": card})
        open_codes = [r["code"] for r in services.view["rows"] if r["open"]]
        services.pick(open_codes[i % len(open_codes)])  # one waiting ticket per service
        rig.settle(lambda: not services.taking)
        if i < limit:
            assert s.current == "ticket", services.error
    assert s.current == "services"
    assert services.view["error"] == "该证件今日取号次数已达上限 (E-QUE-04)"


def test_appointment_check_in_by_code(rig):
    import tomllib

    from common.paths import config_dir

    with (config_dir() / "demo" / "appointments.toml").open("rb") as fh:
        booking = tomllib.load(fh)["appointment"][0]
    s = rig.session
    s.go("services")
    services = rig.vm("services")
    rig.settle(lambda: services.services)
    services.show_tab("")  # every category
    services.start_appointment()
    assert services.view["step"] == "appointment" and services.view["keyboard"]
    type_keys(services, booking["code"])
    services.press("<DONE>")
    assert services.view["step"] == "list"
    assert services.view["appointment_button"] == f"预约码：{booking['code']}"
    services.pick(booking["service"])
    rig.settle(lambda: not services.taking)
    assert s.current == "ticket", services.error


def _id_number(first17: str) -> str:
    from common.validators import id_check_char

    return first17 + id_check_char(first17)


def test_appointment_check_in_by_id_card(rig, hall):
    from tests.ui.ui_support import book_appointment

    s = rig.session
    services = rig.vm("services")
    card = _sample_card() | {"id_number": _id_number("11010519800101123")}
    s.go("services")
    rig.settle(lambda: services.services)
    open_codes = [x.code for x in services.services if x.open]
    for code, service in (("VM-CI-1", open_codes[0]), ("VM-CI-2", open_codes[1])):
        book_appointment(
            hall, rig.core.home, code=code, service=service, id_number=card["id_number"]
        )

    def place_card_on_check_in(the_card: dict) -> None:
        s.exit()
        s.go("services")
        rig.settle(lambda: services.services)
        services.start_appointment()
        assert services.view["checkin_card_enabled"]
        assert services.view["checkin_note"] == "放置身份证，即可查询您今天的预约"
        rig.device_event("card_placed", {"card": the_card})  # placing it starts the check-in
        rig.settle(lambda: services.checkin not in ("reading", "looking", "taking"))

    # two booked today: the citizen picks one (the rows show services, not the codes)
    place_card_on_check_in(card)
    assert services.view["step"] == "checkin" and services.checkin == "choose"
    rows = services.view["appointments"]
    assert [r["key"] for r in rows] == ["VM-CI-1", "VM-CI-2"] and all(r["active"] for r in rows)
    assert services.view["checkin_status"] == "您今天有 2 个预约，请选择要签到的业务"
    services.pick_appointment("VM-CI-2")
    rig.settle(lambda: s.current == "ticket")
    assert rig.vm("ticket").ticket.service == open_codes[1]
    # the same card again: one left, checked in without a question
    place_card_on_check_in(card)
    assert s.current == "ticket", services.view["checkin_message"]
    assert rig.vm("ticket").ticket.service == open_codes[0]
    # and once more: both done, said with the number
    place_card_on_check_in(card)
    assert services.checkin == "problem"
    assert services.view["checkin_message"].startswith("您今天的预约已签到（")
    # a card with nothing booked: explained in the citizen's language, the code offered
    place_card_on_check_in(_sample_card() | {"id_number": _id_number("11010519800101131")})
    assert services.view["checkin_message"] == (
        "未查询到您今天的预约 (E-QUE-09)\n请核对预约日期；也可以输入预约码签到，或直接普通取号。"
    )
    s.toggle_language()
    assert services.view["checkin_message"].startswith("No appointment today for this ID card")
    s.toggle_language()
    services.use_code()
    assert services.view["step"] == "appointment" and services.view["keyboard"]
    # offline: said before any card is read; the code and a normal ticket stay one tap away
    rig.device_event("connectivity", {"state": "offline"})
    assert not services.view["checkin_card_enabled"]
    assert "需要联网" in services.view["checkin_note"]
    services.check_in_by_card()
    assert services.checkin == "problem" and "(E-QUE-08)" in services.view["checkin_message"]
    services.normal_ticket()
    assert services.view["step"] == "list"
    rig.device_event("connectivity", {"state": "online"})
    s.exit()
    assert services.appointments == [] and services.checkin_problem is None and not services.card


def test_review_draws_rare_name_characters_with_the_fallback_font(rig):
    from screens.fonts import find_fallback_font

    s = rig.session
    forms = rig.vm("forms")
    s.go("forms")
    rig.settle(lambda: forms.forms)
    form_def = next(f for f in forms.forms if any(x.from_card == "name" for x in f.fields))
    forms.pick(form_def.code)
    form = rig.vm("form")
    rig.settle(lambda: form.form is not None)
    rig.device_event("card_placed", {"card": _sample_card() | {"name": "王䶮"}})
    name_key = next(x.key for x in form_def.fields if x.from_card == "name")
    review = dict((r["title"], r["detail"]) for r in form.render()["review_rows"])
    label = next(x.label for x in form_def.fields if x.key == name_key)
    fallback = find_fallback_font()
    if fallback is None:
        pytest.skip("no fallback font installed (Debian: fonts-droid-fallback)")
    assert review[label] == f"王[font={fallback}]䶮[/font]"


def test_scanning_a_receipt_qr_on_home_opens_its_progress(rig, hall):
    number = _demo_application_number(hall)
    s = rig.session
    rig.device_event("code_scanned", {"text": "a random QR that is not ours"})
    assert s.current == "home"
    rig.device_event("code_scanned", {"text": f"http://hall.example/a/{number}"})
    assert s.current == "progress"
    progress = rig.vm("progress")
    rig.settle(lambda: not progress.busy)
    assert progress.step == "results" and number in progress.view["detail_number"]


# --- voice prompts (elderly mode) --------------------------------------------------------------
def test_elderly_mode_reads_each_screen_aloud_through_the_voice_device(rig):
    import time as _time

    from screens.viewmodels.session import SPOKEN_PROMPTS

    def said() -> list[str]:
        deadline = _time.monotonic() + 3
        while _time.monotonic() < deadline:
            voice = rig.core._voice
            if voice is not None and len(voice.said) >= expected:
                break
            _time.sleep(0.02)
        return list(rig.core._voice.said) if rig.core._voice else []

    rig.session.go("services")  # normal mode: silent
    expected = 1
    rig.session.back()
    rig.session.toggle_elderly()
    assert said() == [SPOKEN_PROMPTS["home"]]
    rig.session.go("services")
    expected = 2
    assert said()[-1] == SPOKEN_PROMPTS["services"]
    rig.session.toggle_elderly()  # back to normal: nothing more is spoken
    rig.session.go("guide")
    _time.sleep(0.2)
    assert len(rig.core._voice.said) == 2
