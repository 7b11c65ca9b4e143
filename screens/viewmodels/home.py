"""Home / attract screen: the four functions, language, elderly mode, call staff."""

from __future__ import annotations

from typing import Any

from screens.i18n import _
from screens.viewmodels.base import ViewModel
from screens.viewmodels.fmt import when_text

# function key → the screen it opens
FUNCTIONS = {
    "queue": "services",
    "guide": "guide",
    "forms": "forms",
    "progress": "progress",
    "evaluate": "evaluation",
}


class HomeViewModel(ViewModel):
    screen = "home"

    def open(self, function: str) -> None:
        """One of the big tiles was tapped (a closed one says when it reopens)."""
        target = FUNCTIONS.get(function)
        if target is None or target not in self.session.screens:
            return
        if not self.session.available(function).open:
            self.session.notice = lambda: self._closed_text(function)  # reworded on 中文/English
            self.session.refresh()
            return
        self.session.go(target)

    def open_technician(self) -> None:
        """The hidden entry (a long press on a corner): the technician's PIN pad."""
        if "technician_pin" in self.session.screens:
            self.session.go("technician_pin")

    def _closed_text(self, function: str) -> str:
        reopens = self.session.available(function).reopens
        return _("暂停服务，{when} 开放").format(when=when_text(reopens, self.session.now()))

    def render(self) -> dict[str, Any]:
        closed = {f: not self.session.available(f).open for f in FUNCTIONS}
        hints = {f: self._closed_text(f) for f, shut in closed.items() if shut}
        return (
            self._texts()
            | {f"{f}_open": not shut for f, shut in closed.items()}
            | {f"{f}_hint": hints[f] for f in hints}
        )

    def _texts(self) -> dict[str, Any]:
        return {
            "welcome": _("欢迎使用自助服务终端"),
            "queue_title": _("取号"),
            "queue_hint": _("排队取号 · 预约签到"),
            "guide_title": _("办事指南"),
            "guide_hint": _("查事项 · 查材料"),
            "forms_title": _("自助填单"),
            "forms_hint": _("刷身份证自动填写"),
            "progress_title": _("进度查询"),
            "progress_hint": _("查办件进度"),
            "call_staff": _("呼叫工作人员"),
            "evaluate": _("好差评"),
        }
