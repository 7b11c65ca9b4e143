"""The layout walk: one app visits every screen (and every step of the multi-step ones) in
each mode asked for (zh, en, elderly-zh, elderly-en) and runs screens.layout_check on what is
drawn. Navigation goes through the view-models (the touch paths have their own scenarios), so
a mode takes seconds. Every problem found is returned in `s.results["problems"]` as
"mode/state: problem"; screenshots of each state go to tests/artifacts/layout/.

A scenario of tests/ui/kivy_runner.py (imported into tests/ui/scenarios.py).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

from common.paths import config_dir
from screens.automation import Script
from screens.layout_check import SLACK, check_app, labels

MODES = ("zh", "en", "elderly-zh", "elderly-en")
FORM = "F-SFZ-01"  # fields from the card, typed text, a choice and dates: every field kind
SECOND_FORM = "F-CSYX-01"  # the longest field labels
REAL_NAME_MODES = ("zh", "elderly-en")  # the others take plain tickets
BOOKING_FORM = "F-HYDJ-01"  # books a half-day (its [booking])
LATE_MORNING = datetime.fromisoformat("2026-11-23T11:40:00+08:00")  # the morning's slots begun
EVENING = datetime.fromisoformat("2026-11-23T19:00:00+08:00")  # the hall closed (schedule.toml)
PHONE = "13912345678"


def _set_mode(s: Script, mode: str) -> None:
    session = s.app.session
    elderly = mode.startswith("elderly")
    if session.elderly != elderly:
        session.toggle_elderly()
    session.set_language("en" if mode.endswith("en") else "zh_CN")


def _check(s: Script, mode: str, state: str, counted: bool = True):
    """Wait for the state to be drawn, check it, keep a screenshot (`counted`: one of the
    fixed states every mode has, not a page whose count depends on the mode)."""
    yield s.frames(3)
    elderly = s.app.session.elderly
    found = check_app(s.app.shell, elderly=elderly)
    s.results.setdefault("problems", []).extend(f"{mode}/{state}: {p}" for p in found)
    s.results.setdefault("states" if counted else "pages", []).append(f"{mode}/{state}")
    if s.params.get("shots") == "1":
        out = Path(s.params["artifacts"]) / "layout" / f"{state}_{mode}.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        yield s.shot(out)


def _go(s: Script, screen: str, **params):
    s.app.session.go(screen, **params)
    yield s.screen_is(screen)


def _queue(s: Script, mode: str):
    session = s.app.session
    vm = session.vm("services")
    yield from _go(s, "services")
    yield s.until(lambda: vm.services, "services")
    yield from _check(s, mode, "services_categories")
    vm.show_tab("")
    yield from _check(s, mode, "services")
    vm.read_card()
    yield s.until(lambda: vm.card is not None or vm.error, "the ID card", timeout=30)
    vm.choose_priority("disabled")
    yield from _check(s, mode, "services_realname")
    if mode not in REAL_NAME_MODES:  # the ID's daily limit (3): a plain ticket here
        vm.card, vm.priority = None, None
    # one real-name ticket per ID and service: each mode takes its own service
    open_ = [x.code for x in vm.services if x.open]
    vm.pick(open_[MODES.index(mode) % len(open_)])
    yield s.until(
        lambda: s.app.shell.manager.current == "ticket" or vm.error,
        f"the ticket ({mode})",
        timeout=30,
    )
    if vm.error:
        raise AssertionError(f"{mode}: no ticket: {vm.error}")
    yield s.screen_is("ticket")
    yield from _check(s, mode, "ticket")
    s.results.setdefault("tickets", {})[mode] = session.vm("ticket").ticket.to_json()
    s.results.setdefault("ticket_marks", {})[mode] = s.widget("marks", "ticket").text
    yield from _sms_panel(s, mode, "ticket", "ticket_sms")
    yield from _go(s, "services")
    vm.start_appointment()
    yield from _check(s, mode, "services_appointment")
    vm.cancel_appointment()
    vm.check_in_by_card()
    yield s.until(
        lambda: vm.checkin not in ("reading", "looking", "taking"),
        f"check-in outcome ({vm.checkin})",
        timeout=30,
    )
    yield from _check(s, mode, "services_checkin")
    vm.normal_ticket()


def _sms_panel(s: Script, mode: str, screen: str, state: str):
    """到号提醒 / 办件进度短信 open with a number typed: the panel sits below the details."""
    vm = s.app.session.vm(screen)
    vm.sms_open()
    for key in PHONE:
        vm.press(key)
    yield from _check(s, mode, state)
    _sms_below_details(s, mode, screen, state)
    vm.sms_cancel()


def _sms_below_details(s: Script, mode: str, screen: str, state: str) -> None:
    """Every label of the screen other than the panel's ends above the panel's top."""
    panel = s.widget("sms_panel", screen)
    inside = {id(w) for w in panel.walk(restrict=True)}
    top = panel.to_window(*panel.pos)[1] + panel.height
    for label in labels(s.screen(screen)):
        if id(label) in inside:
            continue
        bottom = label.to_window(*label.pos)[1]
        if bottom < top - SLACK:
            s.results.setdefault("problems", []).append(
                f"{mode}/{state}: {label.text!r} under the SMS panel (y {bottom:.0f} < {top:.0f})"
            )


def _guide(s: Script, mode: str):
    vm = s.app.session.vm("guide")
    yield from _go(s, "guide")
    yield s.until(lambda: vm.departments, "departments")
    yield from _check(s, mode, "guide")
    vm.pick(vm.view["rows"][0]["key"])  # the first department: its items
    yield s.until(lambda: any(r["key"].startswith("item:") for r in vm.view["rows"]), "items")
    yield from _check(s, mode, "guide_department")
    item = s.app.session.vm("guide_item")
    vm.pick(next(r["key"] for r in vm.view["rows"] if r["key"].startswith("item:")))
    yield s.screen_is("guide_item")
    yield s.until(lambda: item.item is not None, "the item")
    yield from _check(s, mode, "guide_item")
    search = s.app.session.vm("search")
    yield from _go(s, "search")
    for key in "yyzz":
        search.press(key)
    yield s.until(lambda: search.results_for == "yyzz", "results")
    yield from _check(s, mode, "search")


def _forms(s: Script, mode: str):
    session = s.app.session
    forms = session.vm("forms")
    yield from _go(s, "forms")
    yield s.until(lambda: forms.forms, "forms")
    yield from _check(s, mode, "forms")
    form = session.vm("form")
    form.reset()
    yield from _go(s, "form", form=FORM)
    yield s.until(lambda: form.form is not None, "the form")
    yield from _check(s, mode, "form_card")
    form.read_card()
    yield s.until(lambda: form.step == "fill" and not form.busy, "the card read", timeout=30)
    yield from _check(s, mode, "form_fill")
    # the last page, a text field being typed (the keyboard open under the title)
    last_text = [f.key for f in form.form.fields if f.type in ("text", "chinese_text")][-1]
    form.edit(last_text)
    yield from _check(s, mode, "form_fill_keyboard")
    dates = [f.key for f in form.form.fields if f.type == "date"]
    if dates:
        form.edit(dates[0])
        yield from _check(s, mode, "form_date")
        form.close_calendar()
    form.review()
    yield from _check(s, mode, "form_review")
    yield from _form_done(s, mode)
    yield from _booking_period(s, mode)
    yield from _every_field(s, mode, SECOND_FORM)


def _booking_period(s: Script, mode: str):
    """婚姻登记预约 at 11:40 for today: the morning is shown over (disabled), the afternoon not."""
    session, form = s.app.session, s.app.session.vm("form")
    form.reset()
    yield from _go(s, "form", form=BOOKING_FORM)
    yield s.until(lambda: form.form is not None, "the booking form")
    day = session.now
    session.now = lambda: LATE_MORNING
    form.skip_card()
    form.values["date"] = LATE_MORNING.date().isoformat()
    form.edit("period")
    s.results.setdefault("past_chips", {})[mode] = [
        c["title"] for c in form.view["choices"] if c["disabled"]
    ]
    yield from _check(s, mode, "form_booking_period")
    session.now = day


def _form_done(s: Script, mode: str):
    """The receipt step of a filed application (the demo's first one, filed by the core as
    the form's submit does), then its 办件进度短信 panel."""
    form = s.app.session.vm("form")
    demo = json.loads((config_dir() / "demo" / "applications.jsonl")
                      .read_text(encoding="utf-8").splitlines()[0])
    core = s.app.session.bridge.core
    form._submitted(core.submit_application(demo["form"], demo["fields"], item=demo["item"]), None)
    yield from _check(s, mode, "form_done")
    yield from _sms_panel(s, mode, "form", "form_done_sms")


def _every_field(s: Script, mode: str, code: str):
    """Every page of another form's fields (long labels: 出生地点（助产机构）), no keyboard."""
    form = s.app.session.vm("form")
    form.reset()
    yield from _go(s, "form", form=code)
    yield s.until(lambda: form.form is not None, "the second form")
    form.step = "fill"
    form.refresh()
    while True:
        yield from _check(s, mode, f"form_{code}_p{form.page + 1}", counted=False)
        if not form.view["has_next"]:
            break
        form.next_page()


def _others(s: Script, mode: str):
    session = s.app.session
    yield from _go(s, "progress")
    yield from _check(s, mode, "progress")
    ev = session.vm("evaluation")
    yield from _go(s, "evaluation", subject="A012", subject_label="A012")
    yield from _check(s, mode, "evaluation")
    ev._sent(SimpleNamespace(status="queued"), None)  # sent while offline: the longest thanks
    yield from _check(s, mode, "evaluation_thanks")
    yield from _go(s, "technician_pin")
    yield from _check(s, mode, "technician_pin")
    tech = session.vm("technician")
    tech.unlock("pin")
    yield from _go(s, "technician")
    yield s.until(lambda: tech.panel == "doctor" and not tech.busy, "the doctor", timeout=30)
    yield from _check(s, mode, "technician")
    tech.reset()  # locked again, as leaving does


def _home_states(s: Script, mode: str):
    """Home as the hall's evening shows it (取号 closed, its notice), then the offline banner
    over home and over the services list."""
    session = s.app.session
    session.exit()  # a new citizen: the mode is set again, as they would
    yield s.screen_is("home")
    _set_mode(s, mode)
    day = session.now
    session.now = lambda: EVENING
    session.tick()
    session.vm("home").open("queue")  # closed: the bottom bar says when it reopens
    yield from _check(s, mode, "home_after_hours")
    session.now = day
    session.tick()
    session.exit()
    yield s.screen_is("home")
    _set_mode(s, mode)
    session._on_core_event("connectivity", {"state": "offline"})
    yield from _check(s, mode, "home_offline")
    yield from _go(s, "services")
    yield s.until(lambda: session.vm("services").services, "services")
    yield from _check(s, mode, "services_offline")
    session._on_core_event("connectivity", {"state": "online"})
    session.exit()
    yield s.screen_is("home")


def layout_walk(s: Script):
    """Every screen in every mode asked for (param modes=zh,en,…), checked."""
    yield s.screen_is("home")
    modes = [m for m in s.params.get("modes", ",".join(MODES)).split(",") if m]
    for mode in modes:
        s.app.session.exit()
        yield s.screen_is("home")
        _set_mode(s, mode)
        yield from _check(s, mode, "home")
        yield from _queue(s, mode)
        yield from _guide(s, mode)
        yield from _forms(s, mode)
        yield from _others(s, mode)
        yield from _home_states(s, mode)
        s.results.setdefault("spoken", {})[mode] = _spoken(s)
    s.app.session.exit()


def _spoken(s: Script) -> list[str]:
    """What the simulated voice said so far (devices.voice=sim)."""
    voice = getattr(s.app.session.bridge.core, "_voice", None)
    said = list(getattr(voice, "said", []))
    if voice is not None:
        voice.said.clear()
    return said
