"""取号: categories → service (people waiting, open/closed) → ticket; real-name tickets with
the ID card (priority offered from the birth date at the configured age, or chosen for
disabled / pregnant / military citizens); appointment check-in by code."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from kiosk.redact import mask_name
from screens.i18n import N_, _
from screens.viewmodels.base import ViewModel
from screens.viewmodels.fmt import error_text, page_of, pager, pick
from screens.viewmodels.keyboard import Keyboard

log = logging.getLogger(__name__)

CARD_TIMEOUT = 15.0
PRIORITIES = {  # wire.PriorityReason → what the citizen reads
    "elderly": N_("老年人"),
    "disabled": N_("残疾人"),
    "pregnant": N_("孕妇"),
    "military": N_("军人"),
}


def age_on(birth: str, today: date) -> int | None:
    """Full years from a card's birth date (YYYY-MM-DD or YYYYMMDD)."""
    digits = birth.replace("-", "")
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except (ValueError, IndexError):
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class ServicesViewModel(ViewModel):
    screen = "services"

    def reset(self) -> None:
        self.services: list[Any] = []  # kiosk.views.ServiceView
        self.loading = False
        self.taking: str | None = None  # service code while a ticket is being issued
        self.error = ""
        self.page = 0
        self.category: str | None = None  # None: choosing a category; "": every service
        self.card: dict[str, Any] | None = None  # real-name ticket: the ID card read
        self.reading_card = False
        self.priority: str | None = None
        self.priority_auto = False  # offered from the birth date, not chosen
        self.appointment = ""
        self.step = "list"  # list | appointment (typing the appointment code)
        self.keyboard = Keyboard(
            "alnum",
            on_change=self._typed,
            on_done=self.use_appointment,
            max_length=32,
            switchable=False,
        )

    def enter(self, **params: Any) -> None:
        self.error = ""
        self.page = 0
        self.category = None
        self.load()

    def load(self) -> None:
        self.loading = True
        self.refresh()
        self.bridge.call(self.core.list_services, on_done=self._loaded)

    def _loaded(self, services: list[Any] | None, error: BaseException | None) -> None:
        self.loading = False
        if error is not None:
            text, code = error_text(error)
            self.error = f"{text} ({code})"
        else:
            self.services = list(services or [])
            self.error = ""
        self.refresh()

    # --- choosing ----------------------------------------------------------------------------
    def show_tab(self, key: str) -> None:
        """A category was chosen ("" = every service)."""
        self.category, self.page = key, 0
        self.refresh()

    def all_categories(self) -> None:
        """‹ back to the categories."""
        self.category, self.page = None, 0
        self.refresh()

    def next_page(self) -> None:
        self.page += 1
        self.refresh()

    def prev_page(self) -> None:
        self.page = max(0, self.page - 1)
        self.refresh()

    # --- real name and priority ----------------------------------------------------------------
    def read_card(self) -> None:
        if self.reading_card or self.taking:
            return
        self.reading_card, self.error = True, ""
        self.refresh()
        self.bridge.call(self.core.read_id_card, CARD_TIMEOUT, on_done=self._card_read)

    def card_placed(self, card: dict[str, Any]) -> None:
        if self.step == "list" and not self.taking:
            self._card_read(card, None)

    def _card_read(self, card: Any, error: BaseException | None) -> None:
        self.reading_card = False
        if error is not None or not card or not card.get("id_number"):
            if error is not None:
                text, code = error_text(error)
                self.error = f"{text} ({code})"
            else:
                self.error = _("未能读取身份证，请重新放置")
            self.refresh()
            return
        self.card = dict(card)
        self.session.card_accepted()
        age = age_on(str(card.get("birth", "")), self.session.now().date())
        threshold = self.core.settings.kiosk.priority_age
        if age is not None and threshold and age >= threshold:
            self.priority, self.priority_auto = "elderly", True
        self.refresh()

    def choose_priority(self, key: str) -> None:
        """A priority chip; tapping the chosen one again turns priority off."""
        if self.card is None:
            return
        self.priority = None if key == self.priority or key not in PRIORITIES else key
        self.priority_auto = False
        self.refresh()

    # --- appointment check-in ------------------------------------------------------------------
    def start_appointment(self) -> None:
        self.step = "appointment"
        self.keyboard.set_text(self.appointment)
        self.refresh()

    def press(self, value: str) -> None:
        self.keyboard.press(value)

    def _typed(self, _text: str) -> None:
        self.refresh()

    def use_appointment(self) -> None:
        self.appointment = self.keyboard.text.strip().upper()
        self.step = "list"
        self.refresh()

    def cancel_appointment(self) -> None:
        self.appointment, self.step = "", "list"
        self.keyboard.set_text("")
        self.refresh()

    # --- the ticket ----------------------------------------------------------------------------
    def pick(self, code: str) -> None:
        """A service row was tapped: take a ticket for it."""
        if self.taking:
            return  # one ticket per tap, however impatient the finger
        service = next((s for s in self.services if s.code == code), None)
        if service is None or not service.open:
            return
        self.taking = code
        self.error = ""
        self.refresh()
        self.bridge.call(
            self.core.take_ticket,
            code,
            id_card=self.card,
            priority=self.priority,
            appointment=self.appointment or None,
            on_done=self._taken,
        )

    def _taken(self, ticket: Any, error: BaseException | None) -> None:
        self.taking = None
        if error is not None:
            text, code = error_text(error)
            self.error = f"{text} ({code})"
            self.refresh()
            return
        self.refresh()
        self.session.go("ticket", ticket=ticket)

    # --- rendering ---------------------------------------------------------------------------
    def render(self) -> dict[str, Any]:

        categories = sorted({s.category for s in self.services if s.category})
        choosing = self.category is None and len(categories) > 1
        shown_services = [
            s for s in self.services if not self.category or s.category == self.category
        ]
        rows = []
        for s in shown_services:
            detail = _("等候 {n} 人").format(n=s.waiting) if s.open else _("暂停取号")
            rows.append(
                {
                    "code": s.code,
                    "title": pick(s.name, s.name_en),
                    "detail": detail,
                    "open": bool(s.open),
                    "busy": self.taking == s.code,
                }
            )
        if choosing:
            rows = []
        shown, page, pages = page_of(rows, self.page, self.session.rows(6, 4))
        self.page = page
        if self.loading and not self.services:
            status = _("正在加载…")
        elif self.reading_card:
            status = _("请将身份证放在感应区…")
        elif self.taking:
            status = _("正在取号，请稍候…")
        elif not self.services and not self.error:
            status = _("暂无可取号的业务")
        else:
            status = ""
        real_name = ""
        if self.card is not None:
            real_name = _("实名取号：{name}").format(name=mask_name(str(self.card.get("name", ""))))
            if self.priority_auto:
                real_name += _("（已为您开启老年人优先）")
        tabs = [{"key": c, "title": c, "active": False} for c in categories]
        tabs.append({"key": "", "title": _("全部业务"), "active": False})
        return {
            "title": _("请选择业务类别") if choosing else _("请选择办理业务"),
            "step": self.step,
            "tabs": tabs if choosing else [],
            "category": self.category or "",
            "can_change_category": not choosing and len(categories) > 1,
            "all_categories": _("‹ 全部分类"),
            "rows": shown,
            "status": status,
            "error": self.error,
            "read_card": _("刷身份证实名取号") if self.card is None else _("已刷证"),
            "card_done": self.card is not None,
            "real_name": real_name,
            "priorities": [
                {"key": k, "title": _(v), "active": k == self.priority}
                for k, v in PRIORITIES.items()
            ]
            if self.card is not None
            else [],
            "appointment_button": (
                _("预约码：{code}").format(code=self.appointment)
                if self.appointment
                else _("预约签到")
            ),
            "appointment_prompt": _("请输入预约码，然后选择预约的业务"),
            "appointment_code": self.keyboard.text,
            "keyboard": self.keyboard.render() if self.step == "appointment" else {},
            "cancel_appointment": _("不使用预约"),
            **pager(page, pages),
        }
