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


def queue(s: Script):
    """Home → 取号 → a service → ticket; screenshots of home, services and ticket."""
    yield s.screen_is("home")
    yield s.shot(_art(s, "home_zh.png"))
    s.tap(s.widget("tile_queue", "home"))
    yield s.screen_is("services")
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
    s.results["sections"] = [w.title for w in reversed(s.widget("sections").children)]
    yield s.shot(_art(s, "guide_item_zh.png"))
    s.tap(s.widget("print_button"))
    yield s.until(lambda: not item_vm.printing and item_vm.notice, "checklist printed")
    s.results["print_notice"] = s.widget("notice").text
    s.tap(s.widget("back_button", "shell"))
    yield s.screen_is("guide")

    s.tap(s.widget("search_box", "guide"))
    yield s.screen_is("search")
    search_vm = app.session.vm("search")
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


def _fill_current_field(s: Script, form_vm, values: dict):
    """Fill the field being edited by touch: a choice chip, or keys then 确定."""
    field = form_vm.form.field(form_vm.editing)
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
            yield s.until(lambda: cands.children, "a candidate")
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
        s.tap(s.find(lambda w: getattr(w, "owner", None) is app.session.vm("forms")
                     and w.__class__.__name__ == "Pager").ids.next_page)
        yield s.frames(2)
    s.tap(rows.row(key=code))
    yield s.screen_is("form")
    form_vm = app.session.vm("form")
    yield s.until(lambda: form_vm.form is not None, "the form")
    yield s.frames(2)
    yield s.shot(_art(s, "form_card_zh.png"))
    s.tap(s.widget("read_card", "form"))
    yield s.until(lambda: form_vm.step == "fill", "fields filled from the card", timeout=30)
    yield s.frames(3)
    s.results["filled_from_card"] = sorted(form_vm.values)
    s.results["masked_rows"] = [r.detail for r in s.widget("fields", "form").children]
    yield s.shot(_art(s, "form_fill_zh.png"))
    # a wrong phone first: the message appears next to the field
    guard = 0
    while form_vm.editing is not None and guard < 30:
        guard += 1
        field = form_vm.form.field(form_vm.editing)
        if field.type == "phone" and "phone_error" not in s.results:
            yield from _fill_current_field(s, form_vm, {"phone": [*"12345", "<DONE>"]})
            yield s.frames(2)
            s.results["phone_error"] = next(
                (r.error for r in s.widget("fields", "form").children if r.key == field.key), "")
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
    s.results["review"] = [(r.title, r.detail) for r in
                           reversed(s.widget("review_rows", "form").children)]
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
    s.results["rating"] = {"step": ev.step, "error": ev.error, "level": ev.level,
                           "reasons": list(ev.chosen)}
    yield s.frames(2)
    yield s.shot(_art(s, "evaluation_thanks_zh.png"))
    s.tap(s.widget("done_button", "evaluation"))
    yield s.screen_is("home")
