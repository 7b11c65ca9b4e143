"""UI scenarios: generator functions driving the real app with taps (see screens.automation).

Each runs in its own Kivy process (tests/ui/kivy_runner.py). Screenshots go to
tests/artifacts/ (`s.params["artifacts"]`); what the scenario saw goes into `s.results` for
the pytest side to check against the hall server, the printer file and so on.
"""

from __future__ import annotations

from pathlib import Path

from screens.automation import Script


def _art(s: Script, name: str) -> Path:
    return Path(s.params["artifacts"]) / name


def _all_services(s: Script):
    """On the 取号 screen: past the categories to every service (the 全部业务 chip)."""
    tabs = s.widget("tabs", "services")
    yield s.until(
        lambda: tabs.children or s.widget("rows", "services").children, "categories or services"
    )
    if tabs.children:
        s.tap(tabs.row(key=""))
        yield s.frames(2)


def queue(s: Script):
    """Home → 取号 → a service → ticket; screenshots of home, services and ticket."""
    yield s.screen_is("home")
    yield s.shot(_art(s, "home_zh.png"))
    s.tap(s.widget("tile_queue", "home"))
    yield s.screen_is("services")
    tabs = s.widget("tabs", "services")
    yield s.until(lambda: tabs.children, "the categories")
    s.results["categories"] = [w.title for w in reversed(tabs.children)]
    yield s.shot(_art(s, "services_categories_zh.png"))
    yield from _all_services(s)
    rows = s.screen("services").ids.rows
    yield s.until(lambda: rows.row(open=True) is not None, "an open service row")
    yield s.shot(_art(s, "services_zh.png"))
    row = rows.row(open=True)
    s.results["service"] = row.code
    s.results["service_title"] = row.title
    s.tap(row)
    yield s.screen_is("ticket", timeout=20)
    yield s.frames(2)
    ticket = s.app.session.vm("ticket").ticket
    s.results["number_shown"] = s.widget("number", "ticket").text
    s.results["ticket"] = ticket.to_json()
    s.results["print_status"] = s.widget("print_status", "ticket").text
    s.results["qr_data"] = s.widget("qr", "ticket").data
    yield s.shot(_art(s, "ticket_zh.png"))
    yield from _leave_sms(s, "ticket", "13912345678")


def _leave_sms(s: Script, screen: str, phone: str):
    """到号提醒 / 办件进度短信: the offer button, the keypad panel, 确定 → the masked line."""
    s.tap(s.widget("sms_button", screen))
    panel = s.widget("sms_panel", screen)
    yield s.until(lambda: panel.height > 0, "the SMS panel")
    kb = panel.ids.sms_keyboard
    for key in phone:
        yield s.until(lambda k=key: kb.key(k) is not None, f"key {key!r}")
        s.tap(kb.key(key))
        yield s.frames(1)
    yield s.frames(2)
    s.results["sms_typed"] = panel.ids.sms_text.text
    yield s.shot(_art(s, f"{screen}_sms_entry_zh.png"))
    s.tap(panel.ids.sms_confirm)
    vm = s.app.session.vm(screen)
    yield s.until(lambda: vm.sms.masked, "the number left", timeout=20)
    yield s.frames(2)
    s.results["sms_done"] = s.widget("sms_done", screen).text
    yield s.shot(_art(s, f"{screen}_sms_done_zh.png"))


def _type(s: Script, screen: str, keys: str, keyboard_id: str = "keyboard"):
    """Tap keys of the on-screen keyboard one by one (a frame between taps, like a finger)."""
    kb = s.widget(keyboard_id, screen)
    for key in keys:
        yield s.until(lambda k=key: kb.key(k) is not None, f"key {key!r}")
        s.tap(kb.key(key))
        yield s.frames(1)


def guide(s: Script):
    """办事指南: browse a department → item (every element) → print checklist; search by
    typing y-y-z-z on the on-screen keyboard, pick the candidate 营业执照, open a result;
    screenshots in Chinese and English."""
    app = s.app
    yield s.screen_is("home")
    s.tap(s.widget("tile_guide", "home"))
    yield s.screen_is("guide")
    rows = s.screen("guide").ids.rows
    yield s.until(lambda: rows.children, "department rows")
    yield s.shot(_art(s, "guide_zh.png"))
    s.tap(rows.children[-1])  # the first department
    yield s.until(lambda: any(r.key.startswith("item:") for r in rows.children), "item rows")
    yield s.shot(_art(s, "guide_department_zh.png"))
    item_row = next(r for r in reversed(rows.children) if r.key.startswith("item:"))
    s.results["browsed_item"] = item_row.key.split(":", 1)[1]
    s.tap(item_row)
    yield s.screen_is("guide_item")
    item_vm = app.session.vm("guide_item")
    yield s.until(lambda: item_vm.item is not None, "the item's guide")
    yield s.frames(3)
    yield s.shot(_art(s, "guide_item_zh.png"))
    # every guide element, page by page (上一页/下一页, never a scroll)
    titles = [w.title for w in reversed(s.widget("sections").children)]
    pager = s.widget("pager")
    while item_vm.view["has_next"]:
        s.tap(pager.ids.next_page)
        yield s.frames(2)
        titles += [w.title for w in reversed(s.widget("sections").children)]
    s.results["sections"] = titles
    s.results["pages"] = item_vm.page + 1
    s.tap(s.widget("print_button"))
    yield s.until(lambda: not item_vm.printing and item_vm.notice, "checklist printed")
    s.results["print_notice"] = s.widget("notice").text
    s.tap(s.widget("back_button", "shell"))
    yield s.screen_is("guide")

    s.tap(s.widget("search_box", "guide"))
    yield s.screen_is("search")
    search_vm = app.session.vm("search")
    # Full pinyin with one letter off: nothing matches as typed, near misses come back under
    # "您是不是要找：" (issue 17)
    yield from _type(s, "search", "yingyezhizhap")
    yield s.until(lambda: search_vm.results_for == "yingyezhizhap" and search_vm.in_flight is None,
                  "results for the typo")
    yield s.frames(2)
    s.results["typo_labels"] = [w.text for w in s.screen("search").walk()
                                if isinstance(getattr(w, "text", None), str) and w.text]
    s.results["typo_results"] = [r.title for r in reversed(s.widget("rows").children)]
    yield s.shot(_art(s, "search_did_you_mean_zh.png"))
    yield from _type(s, "search", ["<BS>"] * len("yingyezhizhap"))
    yield from _type(s, "search", "yyzz")
    yield s.until(lambda: search_vm.results_for == "yyzz", "results for yyzz")
    yield s.frames(2)
    s.results["typed_results"] = [r.title for r in reversed(s.widget("rows").children)]
    s.results["composition"] = s.widget("keyboard").ids.composition.text
    yield s.shot(_art(s, "search_zh.png"))
    candidates = s.widget("keyboard").ids.candidates
    s.results["first_candidate"] = candidates.children[-1].word
    s.tap(candidates.children[-1])
    yield s.until(lambda: search_vm.results_for == "营业执照", "results for 营业执照")
    yield s.frames(2)
    s.results["query_shown"] = s.widget("query").text
    s.tap(s.widget("rows").children[-1])
    yield s.screen_is("guide_item")
    yield s.until(lambda: item_vm.item is not None, "the searched item")

    # English: the same place, re-rendered
    s.tap(s.widget("language_button", "shell"))
    yield s.frames(3)
    s.results["en_back_button"] = s.widget("back_button", "shell").text
    s.results["en_item_print"] = s.widget("print_button").text
    yield s.shot(_art(s, "guide_item_en.png"))
    s.tap(s.widget("back_button", "shell"))
    yield s.screen_is("search")
    yield s.frames(2)
    yield s.shot(_art(s, "search_en.png"))
    s.tap(s.widget("back_button", "shell"))
    yield s.screen_is("guide")
    yield s.frames(2)
    yield s.shot(_art(s, "guide_en.png"))


def _pick_date(s: Script, form_vm, field):
    """A date on the calendar by touch: the title opens the years, then a month, then the day
    (the 15 June of last year). The first time: screenshots in zh, en and elderly mode, the
    cell sizes, and a tap on a disabled future day that must change nothing."""
    from datetime import date

    cal = s.widget("calendar", "form")
    yield s.until(lambda: form_vm.view["step"] == "date" and cal.ids.cells.children, "calendar")
    yield s.frames(3)
    if "calendar" not in s.results:
        seen: dict = {"title": cal.title, "weekdays": list(cal.weekdays)}

        def sizes() -> list:
            return sorted({round(c.height) for c in cal.ids.cells.children if c.label})

        seen["cell_heights"] = sizes()
        seen["today"] = [c.key for c in cal.ids.cells.children if c.today]
        yield s.shot(_art(s, "form_calendar_zh.png"))
        future = next((c for c in cal.ids.cells.children if c.label and not c.enabled), None)
        if future is not None:
            s.tap(future)
            yield s.frames(2)
            seen["after_disabled_tap"] = form_vm.values.get(field.key, "")
        s.tap(s.widget("language_button", "shell"))
        yield s.frames(3)
        seen["title_en"] = cal.title
        yield s.shot(_art(s, "form_calendar_en.png"))
        s.tap(s.widget("language_button", "shell"))
        s.tap(s.widget("elderly_button", "shell"))
        yield s.frames(3)
        seen["cell_heights_elderly"] = sizes()
        seen["font_elderly"] = max(c.font_size for c in cal.ids.cells.children)
        yield s.shot(_art(s, "form_calendar_elderly_zh.png"))
        s.tap(s.widget("elderly_button", "shell"))
        yield s.frames(3)
        s.results["calendar"] = seen
    target = date(s.app.session.now().year - 1, 6, 15)
    s.tap(cal.ids.calendar_title)
    yield s.until(lambda: cal.cell(str(target.year)) is not None, "the years")
    yield s.frames(1)
    if "calendar_years" not in s.results:
        s.results["calendar_years"] = cal.title
        yield s.shot(_art(s, "form_calendar_years_zh.png"))
    s.tap(cal.cell(str(target.year)))
    yield s.until(lambda: cal.cell(f"{target:%Y-%m}") is not None, "the months")
    yield s.frames(1)
    s.tap(cal.cell(f"{target:%Y-%m}"))
    yield s.until(lambda: cal.cell(target.isoformat()) is not None, "the days")
    yield s.frames(1)
    s.tap(cal.cell(target.isoformat()))
    yield s.until(lambda: form_vm.editing != field.key, "the date filled in")
    s.results.setdefault("dates_picked", {})[field.key] = form_vm.values.get(field.key)


def _fill_current_field(s: Script, form_vm, values: dict):
    """Fill the field being edited by touch: a choice chip, a day on the calendar, or keys
    then 确定."""
    field = form_vm.form.field(form_vm.editing)
    if field.type == "date" and form_vm.picker is not None:
        yield from _pick_date(s, form_vm, field)
        return
    if field.type == "choice":
        chips = s.widget("choices", "form")
        yield s.until(lambda: chips.children, "choice chips")
        s.tap(chips.children[-1])
        yield s.frames(1)
        return
    keys = values.get(field.type, ["<DONE>"])
    kb = s.widget("keyboard", "form")
    for key in keys:
        if key == "<CANDIDATE>":
            cands = kb.ids.candidates
            yield s.until(lambda c=cands: c.children, "a candidate")
            s.tap(cands.children[-1])
        else:
            yield s.until(lambda k=key: kb.key(k) is not None, f"key {key}")
            s.tap(kb.key(key))
        yield s.frames(1)


FORM_KEYS = {
    "phone": [*"13800138000", "<DONE>"],
    "postal_code": [*"100020", "<DONE>"],
    "date": [*"20240105", "<DONE>"],
    "number": ["5", "<DONE>"],
    "id_number": [*"11010519491231002X", "<DONE>"],
    "chinese_text": [*"banshi", "<CANDIDATE>", "<DONE>"],
    "text": [*"banshi", "<CANDIDATE>", "<DONE>"],
    "textarea": [*"banshi", "<CANDIDATE>", "<DONE>"],
}


def _pager_of(s: Script, vm):
    return s.find(lambda w: getattr(w, "owner", None) is vm and w.__class__.__name__ == "Pager")


def forms(s: Script):
    """自助填单: pick the ID card form, read the (simulated) card, fill the rest by touch,
    review, submit; screenshots of every step in Chinese, the last ones in English."""
    app = s.app
    code = s.params.get("form", "F-SFZ-01")
    yield s.screen_is("home")
    s.tap(s.widget("tile_forms", "home"))
    yield s.screen_is("forms")
    rows = s.widget("rows", "forms")
    yield s.until(lambda: rows.children, "form rows")
    yield s.shot(_art(s, "forms_zh.png"))
    while rows.row(key=code) is None:
        s.tap(
            s.find(
                lambda w: (
                    getattr(w, "owner", None) is app.session.vm("forms")
                    and w.__class__.__name__ == "Pager"
                )
            ).ids.next_page
        )
        yield s.frames(2)
    s.tap(rows.row(key=code))
    yield s.screen_is("form")
    form_vm = app.session.vm("form")
    yield s.until(lambda: form_vm.form is not None, "the form")
    yield s.frames(2)
    yield s.shot(_art(s, "form_card_zh.png"))
    s.tap(s.widget("read_card", "form"))
    yield s.until(
        lambda: form_vm.step == "fill" or (form_vm.message and not form_vm.busy),
        "the card read",
        timeout=30,
    )
    if form_vm.step != "fill":
        raise AssertionError(f"card not read: {form_vm.message}")
    yield s.frames(3)
    s.results["filled_from_card"] = sorted(form_vm.values)
    yield s.shot(_art(s, "form_fill_zh.png"))
    # every page of fields, as others standing by would see them
    masked, pager = [], _pager_of(s, form_vm)
    while True:
        masked += [r.detail for r in s.widget("fields", "form").children]
        if not pager.has_next:
            break
        s.tap(pager.ids.next_page)
        yield s.frames(2)
    s.results["masked_rows"] = masked
    while pager.has_prev:
        s.tap(pager.ids.prev_page)
        yield s.frames(2)
    # a wrong phone first: the message appears next to the field
    guard = 0
    while form_vm.editing is not None and guard < 30:
        guard += 1
        field = form_vm.form.field(form_vm.editing)
        if field.type == "phone" and "phone_error" not in s.results:
            yield from _fill_current_field(s, form_vm, {"phone": [*"12345", "<DONE>"]})
            yield s.frames(2)
            fields = s.widget("fields", "form")
            while fields.row(key=field.key) is None:  # the next field may be on the next page
                s.tap(_pager_of(s, form_vm).ids.prev_page)
                yield s.frames(2)
            s.results["phone_error"] = next(
                (r.error for r in s.widget("fields", "form").children if r.key == field.key), ""
            )
            yield s.shot(_art(s, "form_error_zh.png"))
            s.tap(s.widget("fields", "form").row(key=field.key))
            yield s.frames(1)
            s.tap(s.widget("keyboard", "form").key("<CLEAR>"))
            yield s.frames(1)
        yield from _fill_current_field(s, form_vm, FORM_KEYS)
        yield s.frames(1)
    yield s.frames(2)
    yield s.shot(_art(s, "form_filled_zh.png"))
    s.tap(s.widget("review_button", "form"))
    yield s.until(lambda: form_vm.step == "review", f"the review step ({form_vm.message})")
    yield s.frames(2)
    s.results["review"] = [
        (r.title, r.detail) for r in reversed(s.widget("review_rows", "form").children)
    ]
    yield s.shot(_art(s, "form_review_zh.png"))
    s.tap(s.widget("submit_button", "form"))
    yield s.until(lambda: form_vm.step == "done", "submitted", timeout=30)
    yield s.frames(3)
    s.results["application"] = form_vm.submission.number
    s.results["number_shown"] = s.widget("app_number", "form").text
    yield s.shot(_art(s, "form_done_zh.png"))
    s.tap(s.widget("language_button", "shell"))
    yield s.frames(3)
    s.results["number_shown_en"] = s.widget("app_number", "form").text
    yield s.shot(_art(s, "form_done_en.png"))
    # rate the application from the receipt screen (never forced: the citizen chose to)
    s.tap(s.widget("rate_button", "form"))
    yield s.screen_is("evaluation")
    ev = app.session.vm("evaluation")
    levels = s.widget("levels", "evaluation")
    yield s.until(lambda: levels.children, "levels")
    s.tap(levels.children[-1])  # 非常满意 (5)
    reasons = s.widget("reasons", "evaluation")
    yield s.until(lambda: reasons.children, "reasons for the level")
    s.tap(reasons.children[-1])
    yield s.frames(2)
    yield s.shot(_art(s, "evaluation_en.png"))
    s.tap(s.widget("language_button", "shell"))
    yield s.frames(2)
    yield s.shot(_art(s, "evaluation_zh.png"))
    s.tap(s.widget("submit_button", "evaluation"))
    yield s.until(lambda: ev.step == "thanks" or ev.error, "rating sent", timeout=20)
    s.results["rating"] = {
        "step": ev.step,
        "error": ev.error,
        "level": ev.level,
        "reasons": list(ev.chosen),
    }
    yield s.frames(2)
    yield s.shot(_art(s, "evaluation_thanks_zh.png"))
    s.tap(s.widget("done_button", "evaluation"))
    yield s.screen_is("home")


def progress(s: Script):
    """进度查询: type the application number on the on-screen keypad, see the timeline;
    then by ID card."""
    app = s.app
    number = s.params["number"]
    yield s.screen_is("home")
    s.tap(s.widget("tile_progress", "home"))
    yield s.screen_is("progress")
    yield s.shot(_art(s, "progress_zh.png"))
    yield from _type(s, "progress", number)
    s.results["typed"] = s.widget("number", "progress").text
    s.tap(s.widget("search_button", "progress"))
    vm = app.session.vm("progress")
    yield s.until(lambda: vm.step == "results" or (vm.error and not vm.busy), "the record")
    yield s.frames(3)
    s.results["step"] = vm.step
    s.results["error"] = vm.error
    s.results["status_shown"] = s.widget("status", "progress").text
    s.results["timeline"] = [r.title for r in reversed(s.widget("timeline", "progress").children)]
    s.results["deadline"] = s.widget("deadline", "progress").text
    yield s.shot(_art(s, "progress_result_zh.png"))
    s.tap(s.widget("language_button", "shell"))
    yield s.frames(3)
    s.results["status_shown_en"] = s.widget("status", "progress").text
    yield s.shot(_art(s, "progress_result_en.png"))
    s.tap(s.widget("new_query", "progress"))
    yield s.frames(2)
    yield s.shot(_art(s, "progress_en.png"))
    s.tap(s.widget("language_button", "shell"))
    s.tap(s.widget("card_button", "progress"))
    yield s.until(lambda: not vm.busy, "the ID card lookup", timeout=30)
    yield s.frames(2)
    s.results["by_card"] = {
        "step": vm.step,
        "error": vm.error,
        "whose": vm.masked_id,
        "count": len(vm.results),
    }
    yield s.shot(_art(s, "progress_card_zh.png"))


def elderly(s: Script):
    """长辈模式 and English on the main screens: screenshots, and the text really is larger."""
    app = s.app
    yield s.screen_is("home")
    normal_size = s.widget("tile_queue", "home").children[-2].font_size
    s.tap(s.widget("elderly_button", "shell"))
    yield s.frames(3)
    s.results["font_scale"] = s.widget("tile_queue", "home").children[-2].font_size / normal_size
    s.results["bg"] = list(app.theme.bg)
    yield s.shot(_art(s, "home_elderly_zh.png"))
    s.tap(s.widget("tile_queue", "home"))
    yield s.screen_is("services")
    yield from _all_services(s)
    rows = s.widget("rows", "services")
    yield s.until(lambda: rows.children, "service rows")
    s.results["service_rows_elderly"] = len(rows.children)
    yield s.shot(_art(s, "services_elderly_zh.png"))
    s.tap(s.widget("back_button", "shell"))
    yield s.screen_is("home")
    s.tap(s.widget("tile_guide", "home"))
    yield s.screen_is("guide")
    yield s.until(lambda: s.widget("rows", "guide").children, "department rows")
    s.results["guide_rows_elderly"] = len(s.widget("rows", "guide").children)
    yield s.shot(_art(s, "guide_elderly_zh.png"))
    s.tap(s.widget("back_button", "shell"))
    yield s.screen_is("home")
    s.tap(s.widget("elderly_button", "shell"))
    s.tap(s.widget("language_button", "shell"))
    yield s.frames(3)
    s.results["home_en"] = s.widget("tile_queue", "home").title
    yield s.shot(_art(s, "home_en.png"))
    s.tap(s.widget("tile_queue", "home"))
    yield s.screen_is("services")
    yield from _all_services(s)
    rows = s.widget("rows", "services")  # a new screen: the one left before was dropped
    yield s.until(lambda: rows.children, "service rows")
    yield s.shot(_art(s, "services_en.png"))
    s.tap(s.widget("exit_button", "shell"))
    yield s.screen_is("home")
    s.results["language_after_exit"] = s.widget("tile_queue", "home").title


def idle_wipe(s: Script):
    """A citizen fills a form from the ID card and types a search, then walks away: the
    "still there?" prompt, then home — and none of their data is left anywhere."""
    from screens.automation import all_texts

    app = s.app
    yield s.screen_is("home")
    s.tap(s.widget("tile_forms", "home"))
    yield s.screen_is("forms")
    rows = s.widget("rows", "forms")
    yield s.until(lambda: rows.children, "form rows")
    form_vm = app.session.vm("form")
    app.session.vm("forms").pick(s.params.get("form", "F-SFZ-01"))  # the list is tested elsewhere
    yield s.screen_is("form")
    yield s.until(lambda: form_vm.form is not None, "the form")
    s.tap(s.widget("read_card", "form"))
    yield s.until(lambda: form_vm.step == "fill", "fields filled from the card", timeout=30)
    card = dict(form_vm.card)
    secrets = [card["name"], card["id_number"], card["address"][:8]]
    s.results["secrets"] = secrets
    yield s.frames(2)
    s.results["before"] = [t for t in all_texts(app) if any(x in t for x in secrets)]
    s.tap(s.widget("elderly_button", "shell"))
    yield s.frames(2)
    # the prompt appears after the idle timeout
    yield s.until(lambda: app.session.prompt, "the still-there prompt", timeout=60)
    yield s.frames(3)
    yield s.shot(_art(s, "idle_prompt_zh.png"))
    yield s.until(
        lambda: app.session.current == "home" and not app.session.prompt, "the wipe", timeout=30
    )
    yield s.frames(3)
    texts = all_texts(app)
    s.results["after_widgets"] = [t for t in texts if any(x in t for x in secrets)]
    states = repr([vm.state() for vm in app.session.screens.values()])
    s.results["after_viewmodels"] = [x for x in secrets if x in states]
    s.results["elderly_after"] = app.session.elderly
    s.results["form_after"] = {"values": form_vm.values, "card": form_vm.card, "step": form_vm.step}
    yield s.shot(_art(s, "idle_after_wipe_zh.png"))


def after_hours(s: Script):
    """Evening in the hall: 取号 is closed and says when it reopens; the guide still works."""
    yield s.screen_is("home")
    yield s.shot(_art(s, "home_after_hours_zh.png"))
    s.results["status"] = s.app.session.view["status"]
    s.tap(s.widget("tile_queue", "home"))
    yield s.frames(2)
    s.results["screen_after_queue_tap"] = s.app.shell.manager.current
    s.results["notice"] = s.app.session.view["notice"]
    s.results["queue_hint"] = s.widget("tile_queue", "home").hint
    yield s.shot(_art(s, "home_after_hours_tapped_zh.png"))
    s.tap(s.widget("language_button", "shell"))
    yield s.frames(2)
    s.results["queue_hint_en"] = s.widget("tile_queue", "home").hint
    s.results["notice_en"] = s.widget("notice", "shell").text
    yield s.shot(_art(s, "home_after_hours_en.png"))
    s.tap(s.widget("tile_guide", "home"))
    yield s.screen_is("guide")
    s.results["guide_opened"] = True


def offline(s: Script):
    """The hall server is unreachable: a banner says what still works; a ticket is still
    issued (numbered on the kiosk, synced later); the guide works from the local mirror."""
    app = s.app
    yield s.screen_is("home")
    yield s.frames(2)
    s.results["banner"] = s.widget("banner", "shell").text
    s.results["status"] = app.session.view["status"]
    yield s.shot(_art(s, "home_offline_zh.png"))
    s.tap(s.widget("tile_queue", "home"))
    yield s.screen_is("services")
    yield from _all_services(s)
    rows = s.widget("rows", "services")
    yield s.until(lambda: rows.row(open=True) is not None, "services from the local cache")
    # check-in by ID card needs the server: the screen says so before any card is read
    s.tap(s.widget("appointment_button", "services"))
    yield s.frames(3)
    s.results["checkin_note"] = s.widget("checkin_note", "services").text
    s.results["checkin_button_disabled"] = s.widget("checkin_card_button", "services").disabled
    yield s.shot(_art(s, "checkin_offline_zh.png"))
    s.tap(s.widget("cancel_appointment", "services"))  # a normal ticket instead
    yield s.frames(2)
    s.tap(rows.row(open=True))
    yield s.screen_is("ticket", timeout=30)
    yield s.frames(2)
    ticket = app.session.vm("ticket").ticket
    s.results["ticket"] = ticket.to_json()
    s.results["offline_note"] = s.widget("offline_note", "ticket").text
    s.results["number_shown"] = s.widget("number", "ticket").text
    yield s.shot(_art(s, "ticket_offline_zh.png"))
    s.tap(s.widget("done_button", "ticket"))
    yield s.screen_is("home")
    s.tap(s.widget("tile_guide", "home"))
    yield s.screen_is("guide")
    guide_rows = s.widget("rows", "guide")
    yield s.until(lambda: guide_rows.children, "departments from the local mirror")
    s.results["guide_rows"] = len(guide_rows.children)
    yield s.shot(_art(s, "guide_offline_zh.png"))


def queue_options(s: Script):
    """取号 with the ID card (real name, priority chosen) and an appointment check-in."""
    app = s.app
    yield s.screen_is("home")
    s.tap(s.widget("tile_queue", "home"))
    yield s.screen_is("services")
    yield from _all_services(s)
    vm = app.session.vm("services")
    rows = s.widget("rows", "services")
    yield s.until(lambda: rows.row(open=True) is not None, "service rows")
    s.tap(s.widget("card_button", "services"))
    yield s.until(lambda: vm.card is not None or vm.error, "the ID card", timeout=30)
    yield s.frames(2)
    s.results["real_name"] = s.widget("real_name", "services").text
    chips = s.widget("priorities", "services")
    s.tap(chips.row(key="military"))
    yield s.frames(2)
    s.results["priority"] = vm.priority
    yield s.shot(_art(s, "services_realname_zh.png"))
    # the real-name ticket with the chosen priority
    s.tap(rows.row(open=True))
    yield s.until(
        lambda: app.shell.manager.current == "ticket" or vm.error, "the ticket", timeout=30
    )
    yield s.frames(2)
    ticket = app.session.vm("ticket").ticket
    s.results["priority_ticket"] = ticket.to_json() if ticket else vm.error
    yield s.shot(_art(s, "ticket_priority_zh.png"))
    # a new citizen (退出 wipes the card): appointment check-in by code
    s.tap(s.widget("exit_button", "shell"))
    yield s.screen_is("home")
    s.tap(s.widget("tile_queue", "home"))
    yield s.screen_is("services")
    yield from _all_services(s)
    vm = app.session.vm("services")
    rows = s.widget("rows", "services")
    yield s.until(lambda: rows.row(open=True) is not None, "service rows")
    s.tap(s.widget("appointment_button", "services"))
    yield s.frames(2)
    yield from _type(s, "services", s.params["appointment"])
    yield s.shot(_art(s, "services_appointment_zh.png"))
    s.tap(s.widget("keyboard", "services").key("<DONE>"))
    yield s.frames(2)
    rows = s.widget("rows", "services")
    while rows.row(code=s.params["appointment_service"]) is None:
        s.tap(s.widget("pager", "services").ids.next_page)
        yield s.frames(2)
    s.tap(rows.row(code=s.params["appointment_service"]))
    yield s.until(
        lambda: app.shell.manager.current == "ticket" or vm.error, "the ticket", timeout=30
    )
    yield s.frames(2)
    s.results["error"] = vm.error
    ticket = app.session.vm("ticket").ticket
    s.results["ticket"] = ticket.to_json() if ticket else None
    yield s.shot(_art(s, "ticket_appointment_zh.png"))


def checkin_by_card(s: Script):
    """预约签到 by ID card: 取号 → 预约签到 → 刷身份证签到 → the simulated card → two
    appointments listed → pick one → ticket; the card again → the other one at once; once
    more → both already checked in, said with the way out."""
    app = s.app
    vm = app.session.vm("services")
    s.results["tickets"] = []

    def to_check_in():
        s.tap(s.widget("tile_queue", "home"))
        yield s.screen_is("services")
        yield from _all_services(s)
        s.tap(s.widget("appointment_button", "services"))
        yield s.frames(2)

    yield s.screen_is("home")
    yield from to_check_in()
    s.results["checkin_note"] = s.widget("checkin_note", "services").text
    yield s.shot(_art(s, "checkin_zh.png"))
    s.tap(s.widget("elderly_button", "shell"))
    yield s.frames(3)
    yield s.shot(_art(s, "checkin_elderly_zh.png"))
    s.tap(s.widget("elderly_button", "shell"))
    yield s.frames(2)
    s.tap(s.widget("checkin_card_button", "services"))
    yield s.until(lambda: vm.checkin == "choose" or vm.checkin == "problem", "lookup", 30)
    yield s.frames(3)
    rows = s.widget("appointments", "services")
    s.results["listed"] = [(r.key, r.title) for r in reversed(rows.children)]
    s.results["status"] = s.widget("checkin_status", "services").text
    yield s.shot(_art(s, "checkin_choose_zh.png"))
    s.tap(s.widget("language_button", "shell"))
    yield s.frames(3)
    s.results["status_en"] = s.widget("checkin_status", "services").text
    yield s.shot(_art(s, "checkin_choose_en.png"))
    s.tap(s.widget("language_button", "shell"))
    yield s.frames(2)
    s.tap(rows.row(key=s.params["pick"]))
    yield s.screen_is("ticket", timeout=30)
    yield s.frames(2)
    s.results["tickets"].append(app.session.vm("ticket").ticket.to_json())
    yield s.shot(_art(s, "ticket_checkin_zh.png"))
    s.tap(s.widget("done_button", "ticket"))
    yield s.screen_is("home")
    # the same card again: the one left is checked in without a question
    yield from to_check_in()
    s.tap(s.widget("checkin_card_button", "services"))
    yield s.until(lambda: app.shell.manager.current == "ticket" or vm.checkin == "problem",
                  "the second check-in", 30)  # fmt: skip
    yield s.screen_is("ticket", timeout=30)
    s.results["tickets"].append(app.session.vm("ticket").ticket.to_json())
    s.tap(s.widget("done_button", "ticket"))
    yield s.screen_is("home")
    # and once more: nothing left to check in; explained, with the code and a normal ticket
    yield from to_check_in()
    s.tap(s.widget("checkin_card_button", "services"))
    yield s.until(lambda: vm.checkin == "problem", "the explanation", 30)
    yield s.frames(3)
    s.results["message"] = s.widget("checkin_message", "services").text
    yield s.shot(_art(s, "checkin_done_zh.png"))
    s.tap(s.widget("language_button", "shell"))
    yield s.frames(3)
    s.results["message_en"] = s.widget("checkin_message", "services").text
    yield s.shot(_art(s, "checkin_done_en.png"))
    s.tap(s.widget("normal_ticket", "services"))
    yield s.frames(2)
    s.results["step_after"] = vm.step


def _hold(s: Script, widget, seconds: float):
    """A finger resting on `widget` for `seconds` (real time), then lifted."""
    import time

    from kivy.tests.common import UnitTestTouch

    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    until = time.monotonic() + seconds
    yield s.until(lambda: time.monotonic() >= until, f"{seconds} s hold", timeout=seconds + 5)
    touch.touch_up()


def technician(s: Script):
    """A short tap on the hidden corner does nothing; a 3-second press opens the PIN pad;
    the PIN typed on the pad opens the technician screen with the doctor's report."""
    yield s.screen_is("home")
    corner = s.widget("technician_corner", "home")
    s.tap(corner)
    yield s.frames(3)
    s.results["short_tap_screen"] = s.app.shell.manager.current
    yield from _hold(s, corner, 3.2)
    yield s.screen_is("technician_pin")
    yield from _type(s, "technician_pin", s.params["pin"])
    s.results["masked"] = s.widget("masked", "technician_pin").text
    yield s.shot(_art(s, "technician_pin_zh.png"))
    s.tap(s.widget("keyboard", "technician_pin").key("<DONE>"))
    yield s.screen_is("technician", timeout=20)
    tech = s.app.session.vm("technician")
    yield s.until(lambda: tech.panel == "doctor" and not tech.busy, "the doctor", timeout=30)
    yield s.frames(3)
    s.results["screen"] = s.app.shell.manager.current
    s.results["lines"] = [w.text for w in reversed(s.widget("lines", "technician").children)]
    yield s.shot(_art(s, "technician_zh.png"))


def device_events(s: Script):
    """The devices as a citizen uses them, through the simulators on ptys that the kiosk's
    device I/O thread polls (no screen method is called): a card at home, lifted; a receipt
    QR at home opens its progress; a ticket QR at home shows the ticket live; a card on the
    form fills it, and lifting it ends the session."""
    app = s.app
    session = app.session
    reader = s.params["idcard_sim"].sim
    scanner = s.params["scanner_sim"]
    notice = s.widget("notice", "shell")
    yield s.screen_is("home")

    # a card placed on the home screen is noticed (and kept for the next screen); lifted, gone
    reader.place_card()
    yield s.until(lambda: notice.text, "the card noticed at home")
    s.results["home_notice"] = notice.text
    yield s.shot(_art(s, "device_card_at_home_zh.png"))
    reader.remove_card()
    yield s.until(lambda: not notice.text, "the notice gone with the card")

    # a receipt's QR at home: its progress
    scanner.inject(f"{s.params['base_url']}/a/{s.params['number']}")
    yield s.screen_is("progress")
    vm = session.vm("progress")
    yield s.until(lambda: vm.step == "results" or (vm.error and not vm.busy), "the record")
    s.results["progress"] = {"step": vm.step, "error": vm.error, "typed": vm.keyboard.text}
    yield s.shot(_art(s, "device_receipt_scanned_zh.png"))
    s.tap(s.widget("exit_button", "shell"))
    yield s.screen_is("home")

    # a ticket's QR at home: the ticket with its live status
    scanner.inject(s.params["ticket_url"])
    yield s.screen_is("ticket", timeout=20)
    yield s.frames(2)
    s.results["ticket"] = {
        "heading": s.widget("heading", "ticket").text,
        "number": s.widget("number", "ticket").text,
        "status": s.widget("print_status", "ticket").text,
        "status_code": session.vm("ticket").ticket.status,
    }
    yield s.shot(_art(s, "device_ticket_scanned_zh.png"))
    s.tap(s.widget("done_button", "ticket"))
    yield s.screen_is("home")

    # a no-show's QR at home: the ticket, with the once-only requeue (过号重排) offered
    scanner.inject(s.params["no_show_url"])
    yield s.screen_is("ticket", timeout=20)
    ticket_vm = session.vm("ticket")
    yield s.until(lambda: ticket_vm.ticket.status == "no_show", "the no-show")
    yield s.frames(2)
    button = s.widget("requeue_button", "ticket")
    s.results["no_show"] = {
        "status": s.widget("print_status", "ticket").text,
        "offered": button.opacity == 1 and not button.disabled,
        "button": button.text,
    }
    yield s.shot(_art(s, "device_no_show_scanned_zh.png"))
    s.tap(button)
    yield s.until(lambda: ticket_vm.ticket.status == "waiting", "the ticket requeued", timeout=20)
    yield s.frames(2)
    s.results["requeued"] = {
        "status": s.widget("print_status", "ticket").text,
        "requeues": ticket_vm.ticket.requeues,
        "offered": button.opacity == 1 and not button.disabled,
    }
    s.tap(s.widget("done_button", "ticket"))
    yield s.screen_is("home")

    # a form that takes the card: placing it fills the form; lifting it ends the session
    s.tap(s.widget("tile_forms", "home"))
    yield s.screen_is("forms")
    rows = s.widget("rows", "forms")
    yield s.until(lambda: rows.children, "form rows")
    while rows.row(key=s.params["form"]) is None:
        s.tap(_pager_of(s, session.vm("forms")).ids.next_page)
        yield s.frames(2)
    s.tap(rows.row(key=s.params["form"]))
    yield s.screen_is("form")
    form_vm = session.vm("form")
    yield s.until(lambda: form_vm.form is not None and form_vm.step == "card", "the card step")
    reader.place_card()
    yield s.until(lambda: form_vm.step == "fill", "the form filled from the card", timeout=20)
    s.results["filled"] = sorted(form_vm.values)
    s.results["card_in_use"] = session.card_in_use
    yield s.shot(_art(s, "device_form_filled_zh.png"))
    reader.remove_card()
    yield s.screen_is("home")
    s.results["after_lift"] = {
        "form_values": dict(form_vm.values),
        "card": form_vm.card,
        "screen": session.current,
    }


from layout_walk import layout_walk  # noqa: E402,F401 - a scenario run by name
