"""The citizen's session: which screen is shown, language, elderly mode, the idle timeout and
the wipe — everything that spans screens. Flows live in their own view-models.

Idle rule: after `idle_timeout` seconds without a touch a "still there?" prompt counts down
`prompt_seconds`; then the session is wiped (every view-model reset, pending results dropped,
language and elderly mode back to the defaults) and the home screen shown. A fresh home screen
has nothing to wipe, so the timer does not run there.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from common.schedule import FUNCTIONS, Availability, Schedule
from screens.bridge import Bridge
from screens.i18n import DEFAULT_LANGUAGE, _, catalogs, language
from screens.viewmodels.base import ViewModel
from screens.viewmodels.fmt import error_text

log = logging.getLogger(__name__)

HOME = "home"
# What elderly mode says when a screen opens. Always Mandarin: the offline voice is espeak-ng
# `cmn` whatever the screen language.
SPOKEN_PROMPTS = {
    HOME: "请选择要办理的业务：取号、办事指南、自助填单或进度查询",
    "services": "请选择要办理的业务，然后取号",
    "ticket": "取号成功，请取走号票，留意叫号",
    "guide": "请选择部门或输入事项名称查询办事指南",
    "search": "请输入事项名称或拼音首字母",
    "forms": "请选择要填写的表单",
    "form": "请将身份证放在读卡区，信息会自动填写",
    "progress": "请输入受理编号，或放置身份证查询办件进度",
    "evaluation": "请为本次服务评价",
}


class Session(ViewModel):
    screen = "shell"

    def __init__(
        self,
        bridge: Bridge,
        *,
        hall_name: str,
        idle_timeout: float = 60.0,
        elderly_idle_timeout: float = 120.0,
        prompt_seconds: float = 10.0,
        default_language: str = DEFAULT_LANGUAGE,
        connectivity: str = "online",
        timezone: str = "Asia/Shanghai",
        clock: Callable[[], float] = time.monotonic,
        schedule: Schedule | None = None,
        now: Callable[[], datetime] | None = None,
        speak: Callable[[str], None] | None = None,
    ) -> None:
        self.bridge_ = bridge
        self.hall_name = hall_name
        self.idle_timeout = idle_timeout
        self.elderly_idle_timeout = elderly_idle_timeout
        self.prompt_seconds = prompt_seconds
        self.default_language = default_language
        self.connectivity = connectivity
        self.timezone = timezone
        self.clock = clock
        self.schedule = schedule or Schedule({})
        self.now = now or (lambda: datetime.now(ZoneInfo(timezone)))
        self.speak = speak or (lambda text: None)  # the core's voice device (elderly mode)
        self.offered = self._offered()
        self.screens: dict[str, ViewModel] = {}
        catalogs().set_language(default_language)
        super().__init__(self)
        bridge.on_event(self._on_core_event)

    # ViewModel.bridge reads session.bridge; the session is its own session.
    @property
    def bridge(self) -> Bridge:  # type: ignore[override]
        return self.bridge_

    # --- state -------------------------------------------------------------------------------
    def reset(self) -> None:
        self.current = HOME
        self.stack: list[str] = []
        self.elderly = False
        self.prompt = False
        self.prompt_started = 0.0
        self.last_activity = self.clock()
        # a one-line message on the shell (e.g. staff called): text, or a function wording it
        self.notice: str | Callable[[], str] = ""
        self.card_in_use = False  # a screen holds data read from the ID card

    def register(self, vm: ViewModel) -> ViewModel:
        self.screens[vm.screen] = vm
        return vm

    def vm(self, screen: str) -> ViewModel:
        return self.screens[screen]

    @property
    def page_size(self) -> int:
        return self.rows(8, 5)

    def rows(self, normal: int, elderly: int) -> int:
        """Rows per page for a list: fewer (and larger) in elderly mode."""
        return elderly if self.elderly else normal

    @property
    def timeout(self) -> float:
        return self.elderly_idle_timeout if self.elderly else self.idle_timeout

    def pristine(self) -> bool:
        return self.current == HOME and not self.elderly and language() == self.default_language

    # --- navigation --------------------------------------------------------------------------
    def go(self, screen: str, **params: Any) -> None:
        if screen not in self.screens and screen != HOME:
            raise KeyError(f"no screen {screen!r}")
        if screen != self.current:
            self.stack.append(self.current)
        self.current = screen
        self.notice = ""
        if screen in self.screens:
            self.screens[screen].enter(**params)
        self.refresh()
        self._prompt_aloud(screen)

    def back(self) -> None:
        """One step back, keeping what the citizen entered there."""
        self.current = self.stack.pop() if self.stack else HOME
        if self.current == HOME:
            self.stack.clear()
        self.refresh()

    def exit(self) -> None:
        """退出 / 返回首页: the citizen is done; nothing of theirs may stay on the kiosk."""
        self.wipe_all()

    def wipe_all(self) -> None:
        self.bridge.invalidate()
        catalogs().set_language(self.default_language)
        for vm in self.screens.values():
            vm.wipe()
        self.wipe()
        log.info("session wiped")

    # --- language and elderly mode -----------------------------------------------------------
    def toggle_language(self) -> None:
        self.set_language("en" if language() == "zh_CN" else "zh_CN")

    def set_language(self, lang: str) -> None:
        catalogs().set_language(lang)
        # Re-render every screen in place: the citizen keeps their place and their input.
        for vm in self.screens.values():
            vm.refresh()
        self.refresh()

    def toggle_elderly(self) -> None:
        self.elderly = not self.elderly
        self.last_activity = self.clock()
        for vm in self.screens.values():
            vm.refresh()
        self.refresh()
        self._prompt_aloud(self.current)

    def _prompt_aloud(self, screen: str) -> None:
        """Elderly mode reads each screen's purpose aloud (适老化 voice prompts)."""
        if not self.elderly:
            return
        # a screen may say more than its purpose (the ticket screen: the number itself)
        own = self.screens[screen].spoken_prompt() if screen in self.screens else ""
        if own or screen in SPOKEN_PROMPTS:
            self.speak(own or SPOKEN_PROMPTS[screen])

    # --- idle timeout ------------------------------------------------------------------------
    def user_activity(self) -> None:
        self.last_activity = self.clock()
        if self.prompt:
            self.prompt = False
            self.refresh()

    def still_here(self) -> None:
        self.user_activity()

    def _offered(self) -> dict[str, Availability]:
        moment = self.now()
        return {f: self.schedule.availability(f, moment) for f in FUNCTIONS}

    def available(self, function: str) -> Availability:
        return self.offered.get(function, Availability(True))

    def tick(self) -> None:
        """Called about once a second by the app's clock."""
        offered = self._offered()
        if offered != self.offered:  # opening or closing time passed
            self.offered = offered
            for vm in self.screens.values():
                vm.refresh()
            self.refresh()
        if self.pristine():
            self.last_activity = self.clock()
            return
        now = self.clock()
        if not self.prompt:
            if now - self.last_activity >= self.timeout:
                self.prompt = True
                self.prompt_started = now
                self.refresh()
            return
        if now - self.prompt_started >= self.prompt_seconds:
            self.wipe_all()
        else:
            self.refresh()  # the countdown

    def countdown(self) -> int:
        if not self.prompt:
            return 0
        return max(0, math.ceil(self.prompt_seconds - (self.clock() - self.prompt_started)))

    # --- hall signals ------------------------------------------------------------------------
    def call_staff(self) -> None:
        self.notice = _("正在呼叫工作人员…")
        self.refresh()
        self.bridge.call(self.core.call_staff, on_done=self._staff_called)

    def _staff_called(self, _result: Any, error: BaseException | None) -> None:
        if error is None:
            self.notice = _("已通知工作人员，请稍候")
        else:
            text, code = error_text(error)
            self.notice = f"{text} ({code})"
        self.refresh()

    def card_accepted(self) -> None:
        """A screen took data from the ID card: lifting the card now ends the session."""
        self.card_in_use = True

    def _on_core_event(self, name: str, payload: dict[str, Any]) -> None:
        if name == "connectivity":
            self.connectivity = str(payload.get("state", "online"))
            for vm in self.screens.values():
                vm.refresh()
            self.refresh()
            return
        if name not in ("card_placed", "card_removed", "code_scanned"):
            return  # sync reports and the like are not the citizen's doing
        self.user_activity()  # a card or a scan is the citizen at work
        if name == "card_placed":
            self._card_placed(payload)
        elif name == "card_removed":
            if self.card_in_use:
                log.info("ID card removed: ending the session")
                self.wipe_all()
            elif self.notice == self._card_notice():
                self.notice = ""
                self.refresh()
        elif payload.get("text"):  # code_scanned; an unreadable code has no text
            self._scanned(str(payload["text"]))

    def _card_notice(self) -> str:
        return _("已读取身份证，请选择要办理的业务")

    def _card_placed(self, payload: dict[str, Any]) -> None:
        if payload.get("requested"):
            return  # a screen asked for this card (core.read_id_card) and gets it that way
        handler = getattr(self.screens.get(self.current), "card_placed", None)
        if handler is not None:
            handler(dict(payload.get("card") or {}))
        elif self.current == HOME and payload.get("card"):
            # kept on the reader: the screen the citizen opens next takes it at once
            self.notice = self._card_notice()
            self.refresh()

    def _scanned(self, text: str) -> None:
        handler = getattr(self.screens.get(self.current), "scanned", None)
        if handler is not None:
            handler(text)
            return
        if self.current != HOME:
            return
        from kiosk.tickets import ticket_ref_from_scan
        from screens.viewmodels.progress import number_from_scan

        ref = ticket_ref_from_scan(text)
        number = number_from_scan(text)
        if ref and "ticket" in self.screens:  # a ticket's QR: show the ticket, live
            self.notice = _("正在查询号票…")
            self.refresh()
            self.bridge.call(self.core.scanned_ticket, ref, on_done=self._ticket_found)
        elif number and "progress" in self.screens:  # a receipt's QR: show its progress
            self.go("progress", number=number)

    def _ticket_found(self, ticket: Any, error: BaseException | None) -> None:
        if self.current != HOME:
            return  # the citizen went on meanwhile
        if error is not None:
            text, code = error_text(error)
            self.notice = f"{text} ({code})"
            self.refresh()
            return
        self.go("ticket", ticket=ticket, scanned=True)

    # --- rendering ---------------------------------------------------------------------------
    def render(self) -> dict[str, Any]:
        offline = self.connectivity == "offline"
        if offline:
            status = _("离线服务中")
            banner = _(
                "网络暂时中断：取号、填单、评价会先保存在本机，联网后自动上传；办事指南可正常查询。"
            )
        elif self.connectivity == "degraded":
            status = _("网络较慢")
            banner = ""
        else:
            closed = [f for f, a in self.offered.items() if not a.open]
            status = _("非工作时间，部分服务暂停") if closed else _("正常服务中")
            banner = ""
        return {
            "screen": self.current,
            "hall_name": self.hall_name,
            "status": status,
            "connectivity": self.connectivity,
            "banner": banner,
            "language_button": "English" if language() == "zh_CN" else "中文",
            "elderly": self.elderly,
            "elderly_button": _("标准模式") if self.elderly else _("长辈模式"),
            "prompt": self.prompt,
            "prompt_title": _("您还在吗？"),
            "prompt_text": _("{n} 秒后将返回首页并清除您的信息").format(n=self.countdown()),
            "prompt_button": _("我还在，继续办理"),
            # a notice may be worded at render time, so a language switch rewords it
            "notice": self.notice() if callable(self.notice) else self.notice,
            "can_go_back": self.current != HOME,
        }
