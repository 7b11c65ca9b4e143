"""好差评: five levels, the published reasons of the chosen level, an optional comment, thanks.

Never forced: reached from the ticket or receipt screen (or home, by number), always
leavable with 返回/退出; nothing is sent until the citizen taps 提交评价.
"""

from __future__ import annotations

from typing import Any

from screens.i18n import N_, _, is_english
from screens.viewmodels.base import ViewModel
from screens.viewmodels.fmt import error_text
from screens.viewmodels.keyboard import Keyboard, KeyboardOwner

LEVELS = [
    (5, N_("非常满意")),
    (4, N_("满意")),
    (3, N_("基本满意")),
    (2, N_("不满意")),
    (1, N_("非常不满意")),
]


class EvaluationViewModel(KeyboardOwner, ViewModel):
    screen = "evaluation"

    def reset(self) -> None:
        self.subject: str | None = None  # ticket id or application number (sent)
        self.subject_label = ""  # what the citizen recognises (ticket number A001)
        self.keyboard = Keyboard(
            "alnum", on_change=self._typed, on_done=self.use_number, max_length=32, switchable=False
        )
        self.comment_keyboard = Keyboard(
            "pinyin", on_change=self._typed, on_done=self.close_comment, max_length=200
        )
        self.step = "level"  # subject | level | thanks
        self.level: int | None = None
        self.reasons: list[dict[str, Any]] = []
        self.chosen: list[str] = []
        self.commenting = False
        self.busy = False
        self.error = ""
        self.result_note = ""

    def enter(self, **params: Any) -> None:
        self.reset()
        if params.get("subject"):
            self.subject = str(params["subject"])
            self.subject_label = str(params.get("subject_label") or params["subject"])
            self.step = "level"
        else:
            self.step = "subject"
        self.refresh()

    # --- subject by number (from home) -------------------------------------------------------
    def active_keyboard(self) -> Keyboard:
        """The comment's pinyin keyboard while commenting, else the number keypad."""
        return self.comment_keyboard if self.commenting else self.keyboard

    def _typed(self, _text: str) -> None:
        self.refresh()

    def use_number(self) -> None:
        number = self.keyboard.text.strip().upper()
        if len(number) < 4:
            self.error = _("请输入受理编号")
        else:
            self.subject, self.subject_label, self.step, self.error = number, number, "level", ""
        self.refresh()

    # --- rating ------------------------------------------------------------------------------
    def rate(self, level: int) -> None:
        if level not in dict(LEVELS):
            return
        self.level, self.chosen, self.error = level, [], ""
        self.refresh()
        self.bridge.call(self.core.evaluation_reasons, level, on_done=self._got_reasons)

    def _got_reasons(self, reasons: Any, error: BaseException | None) -> None:
        self.reasons = list(reasons or []) if error is None else []
        self.refresh()

    def toggle_reason(self, code: str) -> None:
        if code in self.chosen:
            self.chosen.remove(code)
        elif any(r.get("code") == code for r in self.reasons):
            self.chosen.append(code)
        self.refresh()

    def open_comment(self) -> None:
        self.commenting = True
        self.refresh()

    def close_comment(self) -> None:
        self.commenting = False
        self.refresh()

    def submit(self) -> None:
        if self.busy or self.subject is None or self.level is None:
            return
        self.comment_keyboard.commit_composition(notify=False)
        comment = self.comment_keyboard.text.strip() or None
        self.busy, self.error = True, ""
        self.refresh()
        self.bridge.call(
            self.core.rate, self.subject, self.level, list(self.chosen), comment, on_done=self._sent
        )

    def _sent(self, result: Any, error: BaseException | None) -> None:
        self.busy = False
        if error is not None:
            text, code = error_text(error)
            self.error = f"{text} ({code})"
        elif getattr(result, "status", "") == "refused":
            self.error = _("评价未被受理（{code}）").format(code=result.error or "")
        else:
            self.step = "thanks"
            self.result_note = (
                _("网络恢复后将自动提交您的评价")
                if getattr(result, "status", "") == "queued"
                else ""
            )
        self.refresh()

    def done(self) -> None:
        self.session.exit()

    # --- rendering ---------------------------------------------------------------------------
    def render(self) -> dict[str, Any]:
        en = is_english()
        reasons = [
            {
                "key": r.get("code", ""),
                "title": (r.get("en") if en and r.get("en") else r.get("zh", "")),
                "active": r.get("code") in self.chosen,
            }
            for r in self.reasons
        ]
        return {
            "title": _("服务评价"),
            "step": "comment" if self.commenting else self.step,
            "subject_prompt": _("请输入要评价的受理编号"),
            "subject": _("评价对象：{v}").format(v=self.subject_label) if self.subject else "",
            "question": _("您对本次服务满意吗？"),
            "levels": [
                {"key": str(lv), "title": _(label), "active": lv == self.level}
                for lv, label in LEVELS
            ],
            "reasons_title": _("请选择原因（可多选，可不选）") if self.level else "",
            "reasons": reasons,
            "comment_button": _("补充意见（可选）"),
            "comment_title": _("请输入您的意见"),
            "comment_done": _("完成输入"),
            "comment": self.comment_keyboard.text,
            "commenting": self.commenting,
            "subject_keyboard": self.keyboard.render() if self.step == "subject" else {},
            "comment_keyboard": self.comment_keyboard.render() if self.commenting else {},
            "number": self.keyboard.text,
            "next": _("下一步"),
            "submit": _("提交评价"),
            "can_submit": self.level is not None and not self.busy,
            "privacy": _("评价人信息严格保密"),
            "error": self.error,
            "thanks": _("感谢您的评价！"),
            "thanks_note": self.result_note,
            "done": _("完成"),
        }
