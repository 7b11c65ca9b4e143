"""The technician's screens: the PIN pad reached by a long press on a corner of the home
screen, and the technician screen (doctor, device tests, sync now, outbox, logs, restart).

Everything they do goes through kiosk/ops/technician.py (audited there) on the core's worker
thread. Unlocking lasts until the technician leaves or the idle timeout wipes the session:
`reset()` locks again, so a wipe never leaves the screen open for the next citizen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kiosk.ops import technician
from screens.i18n import _
from screens.viewmodels.base import PagedViewModel, ViewModel
from screens.viewmodels.fmt import error_text, page_of, pager
from screens.viewmodels.keyboard import Keyboard

log = logging.getLogger(__name__)

PIN_SCREEN = "technician_pin"
TECH_SCREEN = "technician"
PIN_MIN, PIN_MAX = 6, 12
# report lines per page (a line wraps to at most 3): elderly mode's larger text fits fewer
LINES_PER_PAGE, ELDERLY_LINES_PER_PAGE = 16, 8


class TechnicianPinViewModel(ViewModel):
    screen = PIN_SCREEN

    def reset(self) -> None:
        self.keyboard = Keyboard(
            "digits",
            on_change=lambda _text: self.refresh(),
            on_done=self.submit,
            max_length=PIN_MAX,
            switchable=False,
        )
        self.error = ""
        self.busy = False

    def enter(self, **params: Any) -> None:
        self.reset()
        self.refresh()

    # --- actions -----------------------------------------------------------------------------
    def press(self, value: str) -> None:
        self.error = ""
        self.keyboard.press(value)
        self.refresh()

    def submit(self) -> None:
        """确定: check the PIN (the digits are cleared at once; only the check holds them)."""
        pin = self.keyboard.text
        self.keyboard.clear()
        if self.busy:
            return
        if not (PIN_MIN <= len(pin) <= PIN_MAX):
            self.error = _("密码为 {a}–{b} 位数字").format(a=PIN_MIN, b=PIN_MAX)
            self.refresh()
            return
        self._check(technician.unlock_pin, pin)

    def use_card(self) -> None:
        """刷技术员卡: wait for a technician card on the PC/SC reader."""
        if not self.busy:
            self._check(technician.unlock_card)

    def _check(self, fn: Callable[..., str], *args: Any) -> None:
        self.busy = True
        self.error = ""
        self.refresh()
        self.bridge.call(fn, self.core, *args, on_done=self._checked)

    def _checked(self, how: Any, error: BaseException | None) -> None:
        self.busy = False
        if error is not None:
            text, code = error_text(error)
            self.error = f"{text} ({code})"
            self.refresh()
            return
        self.session.vm(TECH_SCREEN).unlock(str(how))
        self.session.go(TECH_SCREEN)
        if self.session.stack and self.session.stack[-1] == PIN_SCREEN:
            self.session.stack.pop()  # 返回 from the technician screen skips the PIN pad
        self.reset()

    # these keys exist only on the pinyin keyboard; the widget binds them anyway
    def choose(self, _index: int) -> None:
        return

    def next_candidates(self) -> None:
        return

    def prev_candidates(self) -> None:
        return

    def render(self) -> dict[str, Any]:
        return {
            "title": _("技术员登录"),
            "hint": _("请输入维护密码，或刷技术员卡"),
            "masked": "●" * len(self.keyboard.text) if self.keyboard.text else "",
            "error": self.error,
            "busy": self.busy,
            "status": _("正在验证…") if self.busy else "",
            "card_button": _("刷技术员卡"),
            "keyboard": self.keyboard.render() | {"text": ""},  # the PIN never leaves here
        }


def _exit_process(code: int) -> None:
    """Leave the process with `code` (the supervisor restarts the kiosk). SystemExit unwinds
    through the Kivy loop and `kiosk run` closes the core on its way out."""
    raise SystemExit(code)


STATUS_MARK = {"ok": "✓", "warning": "!", "fault": "✗"}


class TechnicianViewModel(PagedViewModel):
    screen = TECH_SCREEN
    # how a restart leaves the process; tests inject a recorder
    exit_process: Callable[[int], None] = staticmethod(_exit_process)

    def reset(self) -> None:
        self.unlocked = False
        self.by = ""
        self.panel = ""
        self.busy = ""
        self.lines: list[dict[str, str]] = []
        self.page = 0
        self.message = ""
        self.summary = ""

    def unlock(self, by: str) -> None:
        self.unlocked = True
        self.by = by

    def enter(self, **params: Any) -> None:
        if not self.unlocked:  # never reachable without the PIN or the card
            log.warning("technician screen opened while locked: back home")
            self.session.wipe_all()
            return
        self.refresh()
        if not self.panel:
            self.run_doctor()

    # --- actions (one per button) -------------------------------------------------------------
    def run_doctor(self) -> None:
        self._run("doctor", technician.doctor, self._doctor_done)

    def print_test(self) -> None:
        self._run("print", technician.print_test_ticket, self._printed)

    def read_card(self) -> None:
        self._run("card", technician.read_id_card_test, self._card_read)

    def scan(self) -> None:
        self._run("scan", technician.scan_test, self._scanned)

    def sync_now(self) -> None:
        self._run("sync", technician.sync_now, self._synced)

    def show_outbox(self) -> None:
        self._run("outbox", technician.outbox_summary, self._outbox_shown)

    def show_logs(self) -> None:
        self._run("logs", technician.recent_logs, self._logs_shown)

    def restart(self) -> None:
        self._run("restart", technician.restart, self._restarting)

    def leave(self) -> None:
        """退出: audited, then back to a fresh home screen (locked again)."""
        self.bridge.call(technician.leave, self.core, on_done=lambda _r, _e: None)
        self.session.exit()

    # --- plumbing ----------------------------------------------------------------------------
    def _run(self, panel: str, fn: Callable[..., Any], done: Callable[[Any], None]) -> None:
        if not self.unlocked or self.busy:
            return
        self.panel, self.busy, self.lines, self.message = panel, panel, [], _("请稍候…")
        self.page = 0
        self.refresh()

        def finished(result: Any, error: BaseException | None) -> None:
            self.busy = ""
            self.message = ""
            if error is not None:
                text, code = error_text(error)
                self.message = f"{text} ({code})"
            else:
                done(result)
            self.refresh()

        self.bridge.call(fn, self.core, on_done=finished)

    @staticmethod
    def _line(text: str, status: str = "info") -> dict[str, str]:
        return {"text": text, "status": status}

    def _doctor_done(self, report: Any) -> None:
        names = {"ok": _("正常"), "warning": _("警告"), "fault": _("故障")}
        self.summary = _("自检：{status}").format(status=names.get(report.status, report.status))
        self.message = self.summary
        for c in report.checks:
            hint = f" — {c.hint}" if c.hint and c.status != "ok" else ""
            mark = STATUS_MARK.get(c.status, "?")
            self.lines.append(self._line(f"{mark} {c.name}: {c.message}{hint}", c.status))

    def _printed(self, result: dict[str, Any]) -> None:
        self.message = _("测试票已打印")
        self.lines = [self._line(f"{result['target']} · {result['bytes']} bytes", "ok")]

    def _card_read(self, card: dict[str, str]) -> None:
        self.message = _("读卡成功")
        self.lines = [
            self._line(_("证件类型：{kind}").format(kind=card["kind"]), "ok"),
            self._line(_("姓名：{name}").format(name=card["name"])),
            self._line(_("证件号码：{number}").format(number=card["id_number"])),
        ]

    def _scanned(self, code: str | None) -> None:
        if code is None:
            self.message = _("规定时间内未扫到码")
            self.lines = [self._line(_("请把二维码对准扫码窗口后再试"), "warning")]
        else:
            self.message = _("扫码成功")
            self.lines = [self._line(code, "ok")]

    def _synced(self, result: dict[str, Any]) -> None:
        self.message = _("已发送 {pushed} 条，待发送 {pending} 条，被拒 {refused} 条").format(
            pushed=result["pushed"], pending=result["pending"], refused=result["refused"]
        )
        status = "ok" if result["state"] == "online" and not result.get("error") else "warning"
        self.lines = [self._line(f"{result['state']} {result.get('error') or ''}".strip(), status)]

    def _outbox_shown(self, summary: dict[str, Any]) -> None:
        counts = summary["counts"]
        self.message = _("待发送 {pending} 条，被拒 {refused} 条，已发送 {sent} 条").format(
            pending=counts["pending"] + counts["sending"],
            refused=counts["refused"],
            sent=counts["sent"],
        )
        if summary["paused"]:
            self.lines.append(
                self._line(_("发送已暂停：{why}").format(why=summary["paused"]), "fault")
            )
        for r in summary["records"]:
            code = f" {r['error_code']}" if r["error_code"] else ""
            status = "fault" if r["state"] == "refused" else "info"
            text = f"{r['state']} · {r['kind']} · {str(r['created_at'])[:19]} · ×{r['attempts']}"
            self.lines.append(self._line(text + code, status))
        if not summary["records"]:
            self.lines.append(self._line(_("没有待发送或被拒的记录"), "ok"))

    def _logs_shown(self, logs: dict[str, Any]) -> None:
        if logs["source"] == "audit":
            self.message = _("本机没有日志文件，以下为维护操作记录")
        else:
            self.message = _("最近的日志（已脱敏）")
        self.lines = [self._line(text) for text in logs["lines"][-14:]]

    def _restarting(self, code: int) -> None:
        self.message = _("正在重启…")
        self.exit_process(code)

    def render(self) -> dict[str, Any]:
        size = self.session.rows(LINES_PER_PAGE, ELDERLY_LINES_PER_PAGE)
        lines, self.page, pages = page_of(self.lines, self.page, size)
        return pager(self.page, pages) | {
            "title": _("技术员维护"),
            "by": _("已通过维护密码登录") if self.by == "pin" else _("已通过技术员卡登录"),
            "message": self.message,
            "busy": bool(self.busy),
            "lines": lines,
            "doctor": _("自检"),
            "print": _("打印测试票"),
            "card": _("读身份证测试"),
            "scan": _("扫码测试"),
            "sync": _("立即同步"),
            "outbox": _("待发送记录"),
            "logs": _("日志"),
            "restart": _("重启"),
            "exit": _("退出"),
        }
