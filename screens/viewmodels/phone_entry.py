"""Leaving a mobile number for SMS notices: 到号提醒 on the ticket screen, 办件进度短信 on the
form's done step. Optional, on a digits keypad like every numeric entry, and shown masked
(139****5678) once left.

`PhoneEntry` is the state (plain Python); `SmsOffer` is the mixin a view-model takes to show
it: the keypad's keys go to the phone's keyboard while the panel is open, the panel's buttons
call `sms_open` / `sms_cancel` / `sms_confirm`, and the `sms_*` keys are added to the view
(screens/widgets/sms.kv draws them). The keypad has no 确定 of its own: the panel's 确定
beside 取消 is the one way to send. The host says what the number is for (`sms_target`) and
which core use case files it (`sms_submit`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from screens.i18n import _
from screens.viewmodels.fmt import error_text
from screens.viewmodels.keyboard import Keyboard, KeyboardOwner

LENGTH = 11


def spaced(digits: str) -> str:
    """139 1234 5678: easier to check on screen than eleven digits in a row."""
    return " ".join(p for p in (digits[:3], digits[3:7], digits[7:]) if p)


def mobile_ok(digits: str) -> bool:
    return len(digits) == LENGTH and digits.isdigit() and digits[0] == "1" and digits[1] in "3456789"


class PhoneEntry:
    def __init__(self, on_change: Callable[[str], None] | None = None) -> None:
        self.keyboard = Keyboard("digits", on_change=on_change, max_length=LENGTH,
                                 switchable=False, done_key=False)
        self.open = False
        self.busy = False
        self.masked = ""  # the number left, masked: the offer becomes a plain line
        self.error = ""

    def render(self, offer: str) -> dict[str, Any]:
        text = self.keyboard.text
        return {
            "sms_open": self.open,
            "sms_offered": bool(offer) and not self.masked,
            "sms_offer": offer,
            "sms_title": offer,
            "sms_hint": _("请输入11位手机号码，仅用于本次短信提醒，办结后删除"),
            "sms_text": spaced(text) if text else _("手机号码"),
            "sms_typed": bool(text),
            "sms_error": self.error,
            "sms_keyboard": self.keyboard.render() if self.open else {},
            "sms_confirm": _("正在提交…") if self.busy else _("确定"),
            "sms_cancel": _("取消"),
            "sms_busy": self.busy,
            "sms_done": _("短信提醒：{phone}").format(phone=self.masked) if self.masked else "",
        }


class SmsOffer(KeyboardOwner):
    """Mixin for a view-model (before ViewModel in the bases); its `reset` sets `self.sms`."""

    sms: PhoneEntry

    def __init__(self, session: Any) -> None:
        super().__init__(session)  # type: ignore[call-arg]
        self.view = {**self.view, **self.sms.render(self.sms_target())}

    # --- what the host screen says
    def sms_target(self) -> str:
        """The offer's label ("到号提醒"), or "" when nothing can take a number now."""
        return ""

    def sms_submit(self, phone: str) -> tuple[Callable[..., str], tuple[Any, ...]]:
        """(core use case, its arguments) that files the number; it returns it masked."""
        raise NotImplementedError

    # --- plumbing
    def active_keyboard(self) -> Keyboard:
        if self.sms.open or not hasattr(self, "keyboard"):
            return self.sms.keyboard
        return self.keyboard

    def refresh(self) -> None:
        self.view = {**self.render(), **self.sms.render(self.sms_target())}  # type: ignore[attr-defined]
        for listener in list(self._listeners):  # type: ignore[attr-defined]
            listener(self.view)

    def _sms_typed(self, _text: str) -> None:
        self.sms.error = ""
        self.refresh()

    # --- actions (the panel's buttons)
    def sms_open(self) -> None:
        if not self.sms_target() or self.sms.masked:
            return
        self.sms.open, self.sms.error = True, ""
        self.refresh()

    def sms_cancel(self) -> None:
        if self.sms.busy:
            return
        self.sms.open, self.sms.error = False, ""
        self.sms.keyboard.clear()
        self.refresh()

    def sms_confirm(self) -> None:
        digits = self.sms.keyboard.text
        if self.sms.busy or not self.sms.open:
            return
        if not mobile_ok(digits):
            self.sms.error = _("请填写11位手机号码（1开头）")
            self.refresh()
            return
        self.sms.busy = True
        self.refresh()
        fn, args = self.sms_submit(digits)
        self.bridge.call(fn, *args, on_done=self._sms_done)  # type: ignore[attr-defined]

    def _sms_done(self, masked: Any, error: BaseException | None) -> None:
        self.sms.busy = False
        if error is not None:
            text, code = error_text(error)
            self.sms.error = f"{text} ({code})"
        else:
            self.sms.masked, self.sms.open = str(masked), False
            self.sms.keyboard.clear()  # the clear number leaves the screen's state
        self.refresh()
