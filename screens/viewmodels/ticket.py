"""The ticket screen: number, service, people ahead, time, QR, printed or the printer fault."""

from __future__ import annotations

from typing import Any

from screens.i18n import _
from screens.viewmodels.base import ViewModel
from screens.viewmodels.fmt import clock_time, code_text, error_text, pick
from screens.viewmodels.phone_entry import PhoneEntry, SmsOffer
from screens.viewmodels.queue import PRIORITIES


class TicketViewModel(SmsOffer, ViewModel):
    screen = "ticket"

    def reset(self) -> None:
        self.sms = PhoneEntry(self._sms_typed)  # 到号提醒 (optional)
        self.ticket: Any = None  # common.views.TicketView
        self.scanned = False  # shown because its QR was scanned at home (not just taken)
        self.requeuing = False
        self.requeue_error = ""

    def enter(self, **params: Any) -> None:
        self.ticket = params.get("ticket")
        self.scanned = bool(params.get("scanned"))
        if self.ticket is not None and not self.scanned:  # now the citizen holds its number
            self.bridge.call(self.core.ticket_shown, self.ticket.id, on_done=lambda *_: None)
        self.refresh()

    def can_requeue(self) -> bool:
        """过号重排 is offered for a scanned no-show that was never requeued (once only)."""
        t = self.ticket
        return self.scanned and t is not None and t.status == "no_show" and not t.requeues

    def requeue(self) -> None:
        if not self.can_requeue() or self.requeuing:
            return
        self.requeuing, self.requeue_error = True, ""
        self.refresh()
        self.bridge.call(self.core.requeue_ticket, self.ticket.id, on_done=self._requeued)

    def _requeued(self, ticket: Any, error: BaseException | None) -> None:
        self.requeuing = False
        if error is not None:
            text, code = error_text(error)
            self.requeue_error = f"{text} ({code})"
        else:
            self.ticket = ticket
        self.refresh()

    def sms_target(self) -> str:
        """到号提醒 for a ticket just taken (not for one scanned at the scanner)."""
        return _("到号提醒") if self.ticket is not None and not self.scanned else ""

    def sms_submit(self, phone: str) -> tuple[Any, tuple[Any, ...]]:
        return self.core.leave_ticket_phone, (self.ticket, phone)

    def spoken_prompt(self) -> str:
        """Elderly mode says the number: the slip's print is small for some eyes. Always in
        Mandarin (the voice is cmn), as the other voice prompts."""
        t = self.ticket
        if t is None or self.scanned:
            return ""
        return f"您的号码是 {t.number}，请取走号票，留意叫号"

    def done(self) -> None:
        """完成: back to the home screen, forgetting the ticket."""
        self.session.exit()

    def rate(self) -> None:
        """Rate the service this ticket was for (never forced)."""
        if self.ticket is not None and "evaluation" in self.session.screens:
            self.session.go("evaluation", subject=self.ticket.id, subject_label=self.ticket.number)

    def render(self) -> dict[str, Any]:
        t = self.ticket
        base = {
            "heading": _("取号成功"),
            "done": _("完成"),
            "rate": _("评价服务"),
            "qr_hint": _("扫码查看排队进度"),
            "can_requeue": self.can_requeue() and not self.requeuing,
            "requeue": _("重新排队"),
        }
        if t is None:
            return base | {
                "number": "",
                "number_size": 220,
                "service": "",
                "ahead": "",
                "time": "",
                "qr": "",
                "print_status": "",
                "print_ok": True,
                "offline_note": "",
                "wait": "",
                "marks": "",
            }
        print_status = _print_status(t)
        if t.offline:  # the queue is the server's: say what is known, never "0 人 / 0 分钟"
            ahead = _("前面人数联网后可查看")
            wait = _("等候时间联网后可查看")
        else:
            ahead = _("您前面还有 {n} 人").format(n=t.people_ahead)
            wait = (_("预计等候约 {m} 分钟").format(m=t.estimated_wait_min)
                    if t.estimated_wait_min is not None else _("暂无等候时间估计"))
        if self.scanned:  # the live status replaces what the printing said
            base["heading"] = _("号票状态")
            print_status = self.requeue_error or status_text(t)
            if t.status not in (None, "waiting"):
                wait = ahead = ""  # called, served, missed: no place in the queue
        return base | {
            "number": t.number,
            # the number as large as fits the 1000-px line (offline numbers carry a kiosk tag)
            "number_size": min(220, int(1500 / max(1, len(t.number)))),
            "service": pick(t.service_name, t.service_name_en),
            "ahead": ahead,
            "time": _("取号时间 {t}").format(t=clock_time(t.issued_at)),
            "qr": t.url or "",
            "print_status": print_status,
            "print_ok": not t.print_error and not self.requeue_error,
            "offline_note": _("网络暂时中断：号码已在本机登记，联网后自动同步到叫号系统。")
            if t.offline
            else "",
            "wait": wait,
            "marks": marks_text(t),
        }


def _print_status(t: Any) -> str:
    if t.print_error:
        return _("打印失败：{reason}。请记住您的号码或扫描二维码。").format(
            reason=code_text(t.print_error)
        )
    return _("号票已打印，请取走号票") if t.printed else ""


def marks_text(t: Any) -> str:
    """What kind of ticket it is, as the slip says too: 优先（残疾人）· 预约签到 · 实名取号."""
    marks = []
    if t.priority:
        marks.append(_("优先（{who}）").format(who=_(PRIORITIES.get(t.priority, t.priority))))
    if getattr(t, "appointment", False):
        marks.append(_("预约签到"))
    if getattr(t, "real_name", False):
        marks.append(_("实名取号"))
    return " · ".join(marks)


def status_text(t: Any) -> str:
    """A scanned ticket's live status (a common.views.TicketView), in words."""
    status = t.status
    if status == "called":
        return _("已叫号，请到 {c} 号窗口办理").format(c=t.counter or "?")
    if status == "no_show" and t.requeues:
        return _("已过号，且已重新排过一次队：请重新取号")
    texts = {
        "waiting": _("排队等候中"),
        "served": _("已办理完毕"),
        "expired": _("号票已过期，请重新取号"),
        "no_show": _("已过号，可重新排队一次"),
    }
    return texts.get(status or "", _("本机记录的号票（暂时无法查询实时状态）"))
