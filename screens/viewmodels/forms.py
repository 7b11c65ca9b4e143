"""自助填单: pick a form, place the ID card (its fields fill themselves), type the rest with
the on-screen keyboard (pinyin for Chinese, digits for numbers), dates on a calendar (or the
digit pad), validation next to each field, review, submit (through the outbox) → application
number + receipt QR / print."""

from __future__ import annotations

import logging
import re
from typing import Any

from common.errors import SLOT_UNAVAILABLE
from common.forms import FieldError, date_range, fill_from_card
from common.redact import mask_id_number, mask_name, mask_phone
from screens.fonts import escape_markup, fallback_markup, find_cjk_font, find_fallback_font
from screens.i18n import _, is_english
from screens.viewmodels.base import PagedViewModel
from screens.viewmodels.calendar import DatePicker
from screens.viewmodels.fmt import NO_PAGER, breakable, error_text, page_of, pager, pick
from screens.viewmodels.keyboard import Keyboard
from screens.viewmodels.phone_entry import PhoneEntry, SmsOffer

log = logging.getLogger(__name__)

KEYBOARD_FOR_TYPE = {
    "chinese_text": "pinyin",
    "text": "pinyin",
    "textarea": "pinyin",
    "email": "abc",
    "id_number": "idcard",
    "phone": "digits",
    "postal_code": "digits",
    "number": "digits",
    "date": "digits",
}
CARD_TIMEOUT = 15.0
FIELDS_PER_PAGE = 5
ELDERLY_FIELDS_PER_PAGE = 4
ELDERLY_FIELDS_PER_PAGE_TYPING = 1  # the keyboard (or the choices) open below: one at a time


def empty_form_view() -> dict[str, Any]:
    """The view before the form's definition has arrived (fresh dicts each time)."""
    return {
        "calendar": {},
        "date_label": "",
        "date_value": "",
        "date_error": "",
        "date_range": "",
        "date_help": "",
        "can_use_calendar": False,
        "rows": [],
        "editing": "",
        "editing_label": "",
        "keyboard": {},
        "choices": [],
        "review_rows": [],
        "number": "",
        "item_line": "",
        "qr": "",
        "done_note": "",
        **NO_PAGER,
    }


def format_date_digits(text: str) -> str:
    """Digits typed on the pad shown as a date: 20240105 → 2024-01-05."""
    digits = re.sub(r"\D", "", text)[:8]
    if len(digits) > 6:
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
    if len(digits) > 4:
        return f"{digits[:4]}-{digits[4:]}"
    return digits


def masked(field: Any, value: str) -> str:
    """How a value shows on a screen others may see."""
    if not value:
        return ""
    if field.type == "id_number" or field.from_card == "id_number":
        return mask_id_number(value)
    if field.from_card == "name":
        return mask_name(value)
    if field.type == "phone":
        return mask_phone(value)
    if field.from_card == "address":
        return value[:6] + "****" if len(value) > 6 else "****"
    return value


class FormsViewModel(PagedViewModel):
    """The list of forms."""

    screen = "forms"

    def reset(self) -> None:
        self.forms: list[Any] = []  # common.forms.FormDef
        self.error = ""
        self.page = 0

    def enter(self, **params: Any) -> None:
        if not self.forms:
            self.bridge.call(self.core.forms, on_done=self._loaded)
        self.refresh()

    def _loaded(self, forms: Any, error: BaseException | None) -> None:
        if error is not None:
            text, code = error_text(error)
            self.error = f"{text} ({code})"
        else:
            self.forms = sorted((forms or {}).values(), key=lambda f: f.code)
        self.refresh()

    def pick(self, key: str) -> None:
        self.session.go("form", form=key)

    def render(self) -> dict[str, Any]:

        rows = [
            {
                "key": f.code,
                "title": pick(f.title, f.title_en),
                "detail": _("{n} 项").format(n=len(f.fields)),
            }
            for f in self.forms
        ]
        shown, page, pages = page_of(rows, self.page, self.session.page_size)
        return {
            "title": _("请选择要填写的表单"),
            "rows": shown,
            "status": "" if self.forms or self.error else _("正在加载…"),
            "error": self.error,
            **pager(page, pages),
        }


class FormViewModel(SmsOffer, PagedViewModel):
    """Filling one form."""

    screen = "form"

    def reset(self) -> None:
        self.form: Any = None  # common.forms.FormDef
        self.item: str | None = None
        self.step = "card"  # card | fill | review | done
        self.card: dict[str, Any] | None = None
        self.values: dict[str, str] = {}
        self.errors: dict[str, Any] = {}  # key → FieldError
        self.touched: set[str] = set()
        self.editing: str | None = None
        self.keyboard = Keyboard("pinyin", on_change=self._typed, on_done=self.next_field)
        self.picker: DatePicker | None = None  # the calendar, while a date field is picked
        self.page = 0
        self.busy = False
        self.reading_card = False
        self.print_receipt = True
        self.submission: Any = None  # common.views.SubmissionView
        self.message = ""
        self.sms = PhoneEntry(self._sms_typed)  # 办件进度短信 (optional)

    def enter(self, **params: Any) -> None:
        code = params.get("form")
        if code and (self.form is None or self.form.code != code):
            self.reset()
            self.item = params.get("item")
            self.bridge.call(self.core.forms, on_done=lambda f, e: self._got_forms(code, f, e))
        self.refresh()

    def _got_forms(self, code: str, forms: Any, error: BaseException | None) -> None:
        if error is not None:
            text, err = error_text(error)
            self.message = f"{text} ({err})"
        elif code not in (forms or {}):
            self.message = _("没有该表单")
        else:
            self.form = forms[code]
            if not any(f.from_card for f in self.form.fields):
                self.step = "fill"  # nothing on this form comes from a card
        self.refresh()

    # --- ID card -----------------------------------------------------------------------------
    def read_card(self) -> None:
        if self.busy or self.form is None:
            return
        self.busy, self.reading_card, self.message = True, True, ""
        self.refresh()
        self.bridge.call(self.core.read_id_card, CARD_TIMEOUT, on_done=self._card_read)

    def card_placed(self, card: dict[str, Any]) -> None:
        if self.step == "card" and self.form is not None:
            self.busy = True
            self._card_read(card, None)

    def _card_read(self, card: Any, error: BaseException | None) -> None:
        self.busy = self.reading_card = False
        if error is not None or not card:
            if error is not None:
                text, code = error_text(error)
                self.message = f"{text} ({code})"
            else:
                self.message = _("未能读取身份证，请重新放置")
            self.refresh()
            return
        self.card = dict(card)
        self.session.card_accepted()
        filled = fill_from_card(self.form, self.card)
        self.values.update(filled)
        self.touched.update(filled)
        self.step, self.message = "fill", _("已从身份证读取 {n} 项信息").format(n=len(filled))
        self._validate()
        self._edit_first_empty()
        self.refresh()

    def skip_card(self) -> None:
        if self.form is None:
            return
        self.step, self.message = "fill", ""
        self._edit_first_empty()
        self.refresh()

    # --- editing -----------------------------------------------------------------------------
    def edit(self, key: str) -> None:
        """A field row was tapped: edit it with the keyboard (or choices) it needs."""
        field = self.form.field(key) if self.form else None
        if field is None:
            return
        self._leave_field()
        self.editing = key
        self.keyboard = Keyboard(
            KEYBOARD_FOR_TYPE.get(field.type, "pinyin"),
            on_change=self._typed,
            on_done=self.next_field,
            max_length=field.max_length or 200,
            switchable=field.type in ("text", "textarea", "chinese_text"),
        )
        self.keyboard.set_text(self.values.get(key, ""))
        self.picker = self._calendar_for(field) if field.type == "date" else None
        index = [f.key for f in self.form.fields].index(key)
        self.page = index // self._per_page()
        self.refresh()

    # --- the calendar (date fields) ----------------------------------------------------------
    def _today(self) -> Any:
        return self.session.now().date()

    def _calendar_for(self, field: Any) -> DatePicker:
        today = self._today()
        earliest, latest = date_range(field, today)
        return DatePicker(
            today=today, earliest=earliest, latest=latest, value=self.values.get(field.key, "")
        )

    def calendar_pick(self, key: str) -> None:
        """A cell of the calendar: a year or month opens, a day fills the field and moves on."""
        if self.picker is None or self.editing is None:
            return
        day = self.picker.pick(key)
        if day is not None:
            self.keyboard.set_text(day.isoformat())
            self.picker = None
            self.next_field()  # leaving the field validates it
            return
        self.refresh()

    def calendar_prev(self) -> None:
        if self.picker is not None:
            self.picker.prev()
            self.refresh()

    def calendar_next(self) -> None:
        if self.picker is not None:
            self.picker.next()
            self.refresh()

    def calendar_years(self) -> None:
        if self.picker is not None:
            self.picker.toggle_years()
            self.refresh()

    def calendar_this_month(self) -> None:
        if self.picker is not None:
            self.picker.this_month()
            self.refresh()

    def use_keypad(self) -> None:
        """Type the date on the digit pad instead (20240105 → 2024-01-05)."""
        self.picker = None
        self.refresh()

    def use_calendar(self) -> None:
        field = self.form.field(self.editing) if self.form and self.editing else None
        if field is not None and field.type == "date":
            self._leave_field()  # what was typed so far is validated and shown on the calendar
            self.picker = self._calendar_for(field)
            self.refresh()

    def close_calendar(self) -> None:
        """Back to the form without picking (an optional date, or another field first)."""
        self.picker = None
        self._leave_field()
        self.editing = None
        self.refresh()

    def press(self, value: str) -> None:
        self.active_keyboard().press(value)  # the SMS keypad while its panel is open

    def choose(self, index: int) -> None:
        self.active_keyboard().choose(index)

    def next_candidates(self) -> None:
        self.active_keyboard().next_candidates()

    def prev_candidates(self) -> None:
        self.active_keyboard().prev_candidates()

    def choose_option(self, value: str) -> None:
        """A choice field's option was tapped (a half-day already over today is not taken)."""
        if self.editing is None or self._past_option(self.editing, value):
            return
        self.values[self.editing] = value
        self.next_field()

    def _typed(self, text: str) -> None:
        if self.editing is None or self.form is None:
            return
        field = self.form.field(self.editing)
        if field is not None and field.type == "date":
            text = format_date_digits(text)
            self.keyboard.set_text(text)
        self.values[self.editing] = text
        self.errors.pop(self.editing, None)
        self.refresh()

    def next_field(self) -> None:
        if self.form is None:
            return
        keys = [f.key for f in self.form.fields]
        current = self.editing
        self._leave_field()
        if current is None:
            self._edit_first_empty()
        else:
            following = keys[keys.index(current) + 1 :]
            self.editing = None
            nxt = next((k for k in following if not self.values.get(k)), None)
            if nxt:
                self.edit(nxt)
                return
        self.refresh()

    def _leave_field(self) -> None:
        self.picker = None
        field = self.form.field(self.editing) if self.form and self.editing else None
        if field is not None and field.type == "choice":
            self.touched.add(field.key)  # chosen with a tap, not typed
            self._validate()
        elif self.editing is not None:
            self.keyboard.commit_composition(notify=False)
            self.values[self.editing] = self.keyboard.text.strip()
            if not self.values[self.editing]:
                self.values.pop(self.editing)
            self.touched.add(self.editing)
            self._validate()

    def _edit_first_empty(self) -> None:
        if self.form is None:
            return
        first = next((f.key for f in self.form.fields if not self.values.get(f.key)), None)
        if first:
            self.edit(first)

    def _validate(self) -> None:
        try:
            problems = self.core.validate_form(
                self.form.code, dict(self.values), today=self._today()
            )
        except Exception as exc:  # a broken form definition: say so, keep the citizen's input
            text, code = error_text(exc)
            self.message = f"{text} ({code})"
            return
        self.errors = dict(problems)
        booking = self.form.booking
        if booking is not None and self._past_option(
            booking.period_field, self.values.get(booking.period_field, "")
        ):
            self.errors[booking.period_field] = FieldError.of(
                SLOT_UNAVAILABLE,
                "该时段今日已过，请改选其他时段或日期",
                "This time of day is over for today: pick another, or another day",
            )

    def _past_option(self, key: str, value: str) -> bool:
        """A booking form's half-day on today whose slots have all begun: the hall server
        refuses it (E-QUE-23), so the kiosk no longer offers it. By the screens' clock."""
        booking = self.form.booking if self.form is not None else None
        if booking is None or key != booking.period_field or not value:
            return False
        close_min = self.core.settings.kiosk.booking_close_min
        return value in booking.past_periods(self.values, self.session.now(), close_min)

    # --- review and submit -------------------------------------------------------------------
    def review(self) -> None:
        if self.form is None:
            return
        self._leave_field()
        self.editing = None
        self.touched.update(f.key for f in self.form.fields)
        self._validate()
        if self.errors:
            first = next(f.key for f in self.form.fields if f.key in self.errors)
            self.page = [f.key for f in self.form.fields].index(first) // self._per_page()
            self.message = _("还有 {n} 项需要修改，请查看红色提示").format(n=len(self.errors))
        else:
            self.step, self.message = "review", ""
        self.refresh()

    def back_to_fill(self) -> None:
        self.step = "fill"
        self.refresh()

    def toggle_print(self) -> None:
        self.print_receipt = not self.print_receipt
        self.refresh()

    def submit(self) -> None:
        if self.busy or self.form is None or self.step != "review":
            return
        self.busy, self.message = True, _("正在提交…")
        self.refresh()
        self.bridge.call(
            self.core.submit_application,
            self.form.code,
            dict(self.values),
            item=self.item,
            id_card=self.card,
            print_receipt=self.print_receipt,
            on_done=self._submitted,
        )

    def _submitted(self, result: Any, error: BaseException | None) -> None:
        self.busy = False
        if error is not None:
            text, code = error_text(error)
            self.message = f"{text} ({code})"
        elif result.status == "refused":
            self.message = _("申请未被受理（{code}），请咨询工作人员").format(
                code=result.error or ""
            )
        else:
            self.submission, self.step, self.message = result, "done", ""
            self.bridge.call(self.core.receipt_shown, result.local_id, on_done=lambda *_: None)
        self.refresh()

    def rate(self) -> None:
        if self.submission is not None and self.submission.number:
            self.session.go(
                "evaluation", subject=self.submission.number, subject_label=self.submission.number
            )

    def sms_target(self) -> str:
        """办件进度短信 once the application is filed (online or in the outbox)."""
        return _("办件进度短信") if self.step == "done" and self.submission is not None else ""

    def sms_submit(self, phone: str) -> tuple[Any, tuple[Any, ...]]:
        return self.core.leave_application_phone, (self.submission, phone)

    def done(self) -> None:
        self.session.exit()

    # --- rendering ---------------------------------------------------------------------------
    def _error_text(self, key: str) -> str:
        err = self.errors.get(key)
        if err is None or key not in self.touched:
            return ""
        return err.en if is_english() else err.zh

    def render(self) -> dict[str, Any]:
        form = self.form
        base = self._texts()
        if form is None:
            return base | empty_form_view()
        rows, page, pages = page_of(self._field_rows(), self.page, self._per_page())
        self.page = page
        editing_field = form.field(self.editing) if self.editing else None
        choices = self._choices(editing_field)
        picking = self.picker is not None and self.step == "fill"
        return (
            base
            | self._date_view(editing_field, picking)
            | self._done_view()
            | {
                "rows": rows,
                "editing": self.editing or "",
                "editing_label": self._label(editing_field) if editing_field else "",
                "keyboard": self.keyboard.render()
                if editing_field is not None and not choices and not picking
                else {},
                "choices": choices,
                "review_rows": self._review_rows(),
                **pager(page, pages),
            }
        )

    def _texts(self) -> dict[str, Any]:
        """What every step shows, whatever the state of the form."""
        form = self.form
        return {
            "title": pick(form.title, form.title_en) if form else _("自助填单"),
            "step": self.step,
            "card_prompt": _("请将身份证放在感应区，自动填写姓名、证件号码等信息"),
            "card_keep": _("办理完成前请勿取走身份证"),
            "read_card": _("读取身份证"),
            "skip_card": _("不刷证，手动填写"),
            "busy": self.busy,
            "status": (
                _("正在读取身份证…")
                if self.reading_card
                else _("正在加载…")
                if form is None and not self.message
                else ""
            ),
            "message": self.message,
            "review_button": _("检查并提交"),
            "back_to_fill": _("返回修改"),
            "submit": _("确认提交"),
            "print_toggle": (_("打印回执：是") if self.print_receipt else _("打印回执：否")),
            "review_title": _("请核对您填写的信息"),
            "done_title": _("提交成功"),
            "rate": _("评价服务"),
            "done": _("完成"),
            "qr_hint": _("扫码查看办理进度"),
            "use_keypad": _("数字输入"),
            "use_calendar": _("用日历选择日期"),
            "this_month": _("回到本月"),
            "close_calendar": _("返回表单"),
        }

    def _per_page(self) -> int:
        """Fields per page: elderly mode's larger rows leave room for fewer above the
        keyboard (the title would otherwise be pushed over the top bar)."""
        elderly = ELDERLY_FIELDS_PER_PAGE_TYPING if self.editing else ELDERLY_FIELDS_PER_PAGE
        return self.session.rows(FIELDS_PER_PAGE, elderly)

    @staticmethod
    def _label(field: Any) -> str:
        return breakable((field.label_en or field.label) if is_english() else field.label)

    def _field_rows(self) -> list[dict[str, Any]]:
        """One row per field: its label, the value as shown (masked; being typed: with the
        pinyin composition and a caret), the error once touched."""
        rows = []
        for f in self.form.fields:
            value = self.values.get(f.key, "")
            if f.type == "choice":
                shown = self._display_value(f)
            elif f.key == self.editing:
                value = self.keyboard.text
                comp = self.keyboard.render()["composition"]
                shown = value + (f" [{comp}]" if comp else "") + "|"
            else:
                shown = masked(f, value)
            rows.append(
                {
                    "key": f.key,
                    "title": self._label(f) + (" *" if f.required else ""),
                    "detail": shown,
                    "error": self._error_text(f.key),
                    "active": f.key == self.editing,
                }
            )
        return rows

    def _choices(self, field: Any) -> list[dict[str, Any]]:
        """The options of the choice field being edited (none for other fields)."""
        if field is None or field.type != "choice":
            return []
        en = is_english()
        rows = []
        for c in field.choices:
            past = self._past_option(field.key, c.value)
            title = (c.label_en or c.label) if en else c.label
            rows.append(
                {
                    "key": c.value,
                    "title": _("{label}\n今日已过").format(label=title) if past else title,
                    "active": self.values.get(field.key) == c.value and not past,
                    "disabled": past,  # every chip gets the key: chips are reused
                }
            )
        return rows

    def _review_rows(self) -> list[dict[str, Any]]:
        # Kivy markup, so rare name characters the main font lacks (䶮) can be drawn with the
        # fallback font; everything else is escaped
        return [
            {
                "title": self._label(f),
                "detail": fallback_markup(self._display_value(f), *self._fonts())
                if f.type in ("chinese_text", "text", "textarea")
                else escape_markup(self._display_value(f)),
            }
            for f in self.form.fields
        ]

    def _date_view(self, editing_field: Any, picking: bool) -> dict[str, Any]:
        """The calendar step of a date field (a month grid does not fit under five fields)."""
        en = is_english()
        date_field = editing_field if editing_field and editing_field.type == "date" else None
        calendar = self.picker.render() if picking and self.picker else {}
        return {
            "step": "date" if picking else self.step,
            "calendar": calendar,
            "date_label": self._label(date_field) if date_field else "",
            "date_value": _("已选：{v}").format(v=self.values[date_field.key])
            if date_field and self.values.get(date_field.key)
            else "",
            "date_error": self._error_text(date_field.key) if date_field else "",
            "date_range": calendar.get("range", ""),
            "date_help": ((date_field.help_en or date_field.help) if en else date_field.help)
            if date_field
            else "",
            "can_use_calendar": date_field is not None and not picking,
        }

    def _done_view(self) -> dict[str, Any]:
        """The done step: the number, the item it files under (what the citizen chose inside
        the form), the receipt QR, and a note when it waits to be sent."""
        sub = self.submission
        if sub is None:
            return {"number": "", "item_line": "", "qr": "", "done_note": ""}
        done_note = ""
        if sub.status == "queued":
            done_note = _("网络暂时中断：申请已保存在本机（登记号 {id}），联网后自动提交。").format(
                id=sub.local_number
            )
        en = is_english()
        return {
            "number": _("受理编号：{v}").format(v=sub.number) if sub.number else "",
            "item_line": (
                _("事项：{v}").format(v=(en and sub.item_title_en) or sub.item_title)
                if sub.item_title
                else ""
            ),
            "qr": sub.receipt_url or "",
            "done_note": done_note,
        }

    def _fonts(self) -> tuple[Any, Any]:
        """(main font, fallback font) paths, looked up once."""
        if getattr(self, "_font_paths", None) is None:
            configured = getattr(getattr(self.core, "settings", None), "ui", None)
            main = find_cjk_font(getattr(configured, "font", "") or "")
            self._font_paths = (main, find_fallback_font())
        return self._font_paths

    def _display_value(self, f: Any) -> str:
        value = self.values.get(f.key, "")
        if f.type == "choice":
            choice = next((c for c in f.choices if c.value == value), None)
            if choice is not None:
                return (choice.label_en or choice.label) if is_english() else choice.label
        return value
