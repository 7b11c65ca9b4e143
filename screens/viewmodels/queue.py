"""取号: categories → service (people waiting, open/closed) → ticket; real-name tickets with
the ID card (priority offered from the birth date at the configured age, or chosen for
disabled / pregnant / military citizens); appointment check-in by code or by ID card.

Check-in by ID card asks the hall server for today's appointments of the card's holder: one is
checked in at once, several are listed to pick from, none is explained. It needs the network;
offline the screen says so before any card is read, and the appointment code (queued like any
ticket) and a normal ticket stay one tap away — never a dead end."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from common.errors import CHECKIN_NEEDS_NETWORK, IDC_NO_CARD, NO_APPOINTMENT_TODAY, KioskError
from common.redact import mask_name
from screens.i18n import N_, _
from screens.viewmodels.base import PagedViewModel
from screens.viewmodels.fmt import breakable, error_text, page_of, pager, pick
from screens.viewmodels.keyboard import Keyboard, KeyboardOwner

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


class ServicesViewModel(KeyboardOwner, PagedViewModel):
    screen = "services"

    def reset(self) -> None:
        self.services: list[Any] = []  # common.views.ServiceView
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
        # list | appointment (check-in: the card, or typing the code) | checkin (by card)
        self.step = "list"
        self.checkin = ""  # reading | looking | choose | taking | problem
        self.appointments: list[Any] = []  # common.views.AppointmentView, today's, this card's
        # why check-in by card did not go through: an error, or an appointment already done;
        # worded at render time so a language switch rewords it
        self.checkin_problem: Any = None  # a KioskError, or a common.views.AppointmentView
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
        elif self.step == "checkin" and self.checkin == "reading":
            self._checkin_card_read(card, None)
        elif self.step == "appointment" and not self._offline():  # the card says "by card"
            self.step, self.appointments, self.checkin_problem = "checkin", [], None
            self.checkin = "reading"
            self._checkin_card_read(card, None)

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

    # --- appointment check-in by ID card -------------------------------------------------------
    def _offline(self) -> bool:
        return self.session.connectivity == "offline"

    def check_in_by_card(self) -> None:
        """刷身份证签到: the card on this screen already, or place it now."""
        if self.checkin in ("reading", "looking", "taking"):
            return
        self.step, self.appointments, self.checkin_problem = "checkin", [], None
        if self._offline():  # said before any card is read: the lookup cannot work
            self._checkin_problem(KioskError(CHECKIN_NEEDS_NETWORK, "offline"))
            return
        if self.card is not None:
            self._look_up()
            return
        self.checkin = "reading"
        self.refresh()
        self.bridge.call(self.core.read_id_card, CARD_TIMEOUT, on_done=self._checkin_card_read)

    def _checkin_card_read(self, card: Any, error: BaseException | None) -> None:
        if self.step != "checkin" or self.checkin != "reading":
            return  # the citizen went elsewhere meanwhile
        if error is not None or not card or not card.get("id_number"):
            self._checkin_problem(error or KioskError(IDC_NO_CARD, "no ID number read"))
            return
        self.card = dict(card)
        self.session.card_accepted()
        self._look_up()

    def _look_up(self) -> None:
        self.checkin = "looking"
        self.refresh()
        self.bridge.call(self.core.appointments_for_card, self.card, on_done=self._looked_up)

    def _looked_up(self, appointments: Any, error: BaseException | None) -> None:
        if self.step != "checkin":
            return
        if error is not None:
            self._checkin_problem(error)
            return
        self.appointments = list(appointments or [])
        booked = [a for a in self.appointments if a.status == "booked"]
        if len(booked) == 1:
            self._check_in(booked[0])
        elif booked:
            self.checkin = "choose"
            self.refresh()
        else:  # every one of today's appointments is checked in already
            self.checkin, self.checkin_problem = "problem", self.appointments[0]
            self.refresh()

    def pick_appointment(self, code: str) -> None:
        """One of several appointments was tapped."""
        if self.checkin != "choose":
            return
        chosen = next((a for a in self.appointments if a.code == code), None)
        if chosen is not None and chosen.status == "booked":
            self._check_in(chosen)

    def _check_in(self, appointment: Any) -> None:
        self.checkin = "taking"
        self.refresh()
        self.bridge.call(self.core.check_in, appointment, self.card, on_done=self._checked_in)

    def _checked_in(self, ticket: Any, error: BaseException | None) -> None:
        if error is not None:
            self._checkin_problem(error)
            return
        self.checkin = ""
        self.refresh()
        self.session.go("ticket", ticket=ticket)

    def _checkin_problem(self, error: BaseException) -> None:
        self.checkin, self.checkin_problem = "problem", error
        self.refresh()

    def _checkin_message(self) -> str:
        """What went wrong, in the citizen's language, and what to do instead."""
        problem = self.checkin_problem
        if problem is None:
            return ""
        if not isinstance(problem, BaseException):  # an appointment checked in already
            return _("您今天的预约已签到（{service}，号码 {number}），请留意叫号。").format(
                service=pick(problem.service_name, problem.service_name_en),
                number=problem.ticket_number or "—",
            )
        text, code = error_text(problem)
        if code == CHECKIN_NEEDS_NETWORK.code:
            advice = _("您可以输入预约码签到（联网后自动确认），或直接普通取号。")
        elif code == NO_APPOINTMENT_TODAY.code:
            advice = _("请核对预约日期；也可以输入预约码签到，或直接普通取号。")
        else:
            advice = _("您可以输入预约码签到，或直接普通取号。")
        return f"{text} ({code})\n{advice}"

    def use_code(self) -> None:
        """From check-in by card to typing the appointment code."""
        self.checkin, self.checkin_problem, self.appointments = "", None, []
        self.start_appointment()

    def normal_ticket(self) -> None:
        """From check-in back to the list of services, for a normal ticket."""
        self.checkin, self.checkin_problem, self.appointments = "", None, []
        self.cancel_appointment()

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
        rows = [] if choosing else self._service_rows()
        shown, page, pages = page_of(rows, self.page, self.session.rows(6, 4))
        self.page = page
        tabs = [{"key": c, "title": c, "active": False} for c in categories]
        tabs.append({"key": "", "title": _("全部业务"), "active": False})
        return (
            {
                "title": _("请选择业务类别") if choosing else _("请选择办理业务"),
                "step": self.step,
                "tabs": tabs if choosing else [],
                "category": self.category or "",
                "can_change_category": not choosing and len(categories) > 1,
                "all_categories": _("‹ 全部分类"),
                "rows": shown,
                "status": self._status(),
                "error": self.error,
            }
            | self._real_name_view()
            | self._appointment_view()
            | self._checkin_view()
            | pager(page, pages)
        )

    def _service_rows(self) -> list[dict[str, Any]]:
        """The services of the chosen category (all when there is one), waiting or paused."""
        return [
            {
                "code": s.code,
                "title": breakable(pick(s.name, s.name_en)),
                "detail": self._service_detail(s),
                "open": bool(s.open),
                "busy": self.taking == s.code,
            }
            for s in self.services
            if not self.category or s.category == self.category
        ]

    def _service_detail(self, s: Any) -> str:
        """等候 N 人, and 今日剩余 N 个号 once few are left under the daily cap (from the last
        sync; offline the count may be stale, so nothing is said rather than a wrong number)."""
        if not s.open:
            return _("暂停取号")
        detail = _("等候 {n} 人").format(n=s.waiting)
        few = self.core.settings.kiosk.few_left
        left = s.left_today
        if left is not None and few and left <= few and not self._offline():
            detail += " · " + (
                _("今日剩余 {n} 个号").format(n=left) if left else _("今日号已取完")
            )
        return detail

    def _status(self) -> str:
        if self.loading and not self.services:
            return _("正在加载…")
        if self.reading_card:
            return _("请将身份证放在感应区…")
        if self.taking:
            return _("正在取号，请稍候…")
        if not self.services and not self.error:
            return _("暂无可取号的业务")
        return ""

    def _real_name_view(self) -> dict[str, Any]:
        """The card read for a real-name ticket, and the priority chips it offers."""
        real_name = ""
        if self.card is not None:
            real_name = _("实名取号：{name}").format(name=mask_name(str(self.card.get("name", ""))))
            if self.priority_auto:
                real_name += _("（已为您开启老年人优先）")
        return {
            "read_card": _("刷身份证实名取号") if self.card is None else _("已刷证"),
            "card_done": self.card is not None,
            "real_name": real_name,
            "priorities": [
                {"key": k, "title": _(v), "active": k == self.priority}
                for k, v in PRIORITIES.items()
            ]
            if self.card is not None
            else [],
        }

    def _appointment_view(self) -> dict[str, Any]:
        """Typing an appointment code."""
        return {
            "appointment_button": (
                _("预约码：{code}").format(code=self.appointment)
                if self.appointment
                else _("预约签到")
            ),
            "appointment_title": _("预约签到"),
            "appointment_prompt": _("或输入预约码，然后选择预约的业务"),
            "appointment_code": self.keyboard.text,
            "keyboard": self.keyboard.render() if self.step == "appointment" else {},
            "cancel_appointment": _("不使用预约"),
        }

    def _checkin_view(self) -> dict[str, Any]:
        """Check-in by ID card: the note (needs the network), progress, the choice, problems."""
        offline = self._offline()
        return {
            "checkin_card": _("刷身份证签到"),
            "checkin_card_enabled": not offline,
            "checkin_note": _(
                "刷身份证签到需要联网，当前网络不可用：请输入预约码签到，或返回普通取号。"
            )
            if offline
            else _("放置身份证，即可查询您今天的预约"),
            "checkin_note_warn": offline,
            "checkin_title": _("刷身份证签到"),
            "checkin_status": {
                "reading": _("请将身份证放在感应区…"),
                "looking": _("正在查询您今天的预约…"),
                "choose": _("您今天有 {n} 个预约，请选择要签到的业务").format(
                    n=sum(a.status == "booked" for a in self.appointments)
                ),
                "taking": _("正在签到取号，请稍候…"),
            }.get(self.checkin, ""),
            "checkin_message": self._checkin_message(),
            "checkin_busy": self.checkin in ("reading", "looking", "taking"),
            "appointments": [
                {
                    "key": a.code,
                    "title": pick(a.service_name, a.service_name_en) or a.service,
                    "detail": _("点此签到")
                    if a.status == "booked"
                    else _("已签到：{number}").format(number=a.ticket_number or "—"),
                    "active": a.status == "booked",
                }
                for a in self.appointments
            ]
            if self.checkin == "choose"
            else [],
            "use_code": _("输入预约码签到"),
            "normal_ticket": _("普通取号"),
        }
