"""进度查询: by application number (keypad), by ID card, or by scanning the receipt's QR;
a timeline of statuses, the promised deadline counted in working days, the record's age."""

from __future__ import annotations

from typing import Any

from common import urls
from common.redact import mask_id_number
from screens.i18n import N_, _
from screens.viewmodels.base import ViewModel
from screens.viewmodels.fmt import error_text, local_datetime, pick
from screens.viewmodels.keyboard import Keyboard, KeyboardOwner

# Status labels: the API's codes, the catalogs' words (wire.APPLICATION_STATUSES in Chinese).
STATUS_LABELS = {
    "queued": N_("待提交（联网后自动提交）"),  # still in this kiosk's outbox (kiosk/progress.py)
    "submitted": N_("已提交"),
    "pending_acceptance": N_("待受理"),
    "accepted": N_("已受理"),
    "correction_requested": N_("补齐补正"),
    "under_review": N_("审核中"),
    "suspended": N_("特殊程序/挂起"),
    "approved": N_("办结(准予)"),
    "rejected": N_("办结(不予许可)"),
    "not_accepted": N_("不予受理"),
    "returned": N_("退件"),
    "ready_for_pickup": N_("待领取"),
    "delivered": N_("已送达"),
}
CARD_TIMEOUT = 15.0
MAX_CHOICES = 4  # records of one ID card listed at once (the newest first, as the API gives)


def status_label(status: str) -> str:
    return _(STATUS_LABELS.get(status, status))


def number_from_scan(text: str) -> str | None:
    """A receipt QR holds the application's address (common/urls.py) or the bare number."""
    return urls.application_number_from(text)


class ProgressViewModel(KeyboardOwner, ViewModel):
    screen = "progress"

    def reset(self) -> None:
        self.keyboard = Keyboard(
            "alnum", on_change=self._typed, on_done=self.search, max_length=32, switchable=False
        )
        self.step = "input"  # input | results
        self.results: list[Any] = []  # common.views.ProgressView
        self.selected = 0
        self.busy = False
        self.reading_card = False
        self.masked_id = ""  # whose records are shown (masked), when searched by card
        self.error = ""

    def enter(self, **params: Any) -> None:
        if params.get("number"):
            self.keyboard.set_text(str(params["number"]))
            self.search()
        self.refresh()

    # --- input -------------------------------------------------------------------------------
    def _typed(self, _text: str) -> None:
        self.error = ""
        self.refresh()

    def search(self) -> None:
        number = self.keyboard.text.strip().upper()
        if self.busy:
            return
        if len(number) < 6:
            self.error = _("请输入完整的受理编号")
            self.refresh()
            return
        self.busy, self.error, self.masked_id = True, "", ""
        self.refresh()
        self.bridge.call(self.core.progress, number, on_done=self._answered_one)

    def by_id_card(self) -> None:
        if self.busy:
            return
        self.busy, self.reading_card, self.error = True, True, ""
        self.refresh()
        self.bridge.call(self.core.read_id_card, CARD_TIMEOUT, on_done=self._card_read)

    def card_placed(self, card: dict[str, Any]) -> None:
        """The reader reported a card while this screen is waiting for one."""
        if self.reading_card or (self.step == "input" and not self.busy):
            self.busy, self.reading_card = True, False
            self._card_read(card, None)

    def scanned(self, text: str) -> None:
        number = number_from_scan(text)
        if number and not self.busy:
            self.keyboard.set_text(number)
            self.search()

    def _card_read(self, card: Any, error: BaseException | None) -> None:
        self.reading_card = False
        if error is not None or not card or not card.get("id_number"):
            self.busy = False
            if error is not None:
                text, code = error_text(error)
                self.error = f"{text} ({code})"
            else:
                self.error = _("未能读取身份证，请重新放置")
            self.refresh()
            return
        id_number = str(card["id_number"])
        self.masked_id = mask_id_number(id_number)
        self.bridge.call(self.core.progress_by_id_card, id_number, on_done=self._answered_many)
        self.refresh()

    def _answered_one(self, view: Any, error: BaseException | None) -> None:
        self._answered_many([view] if view is not None else [], error)

    def _answered_many(self, views: Any, error: BaseException | None) -> None:
        self.busy = False
        if error is not None:
            text, code = error_text(error)
            self.error = f"{text} ({code})"
        elif not views:
            self.error = _("未查询到办件记录")
        else:
            self.results, self.selected, self.step = list(views), 0, "results"
        self.refresh()

    # --- results -----------------------------------------------------------------------------
    def select(self, index: int) -> None:
        if 0 <= index < len(self.results):
            self.selected = index
            self.refresh()

    def new_query(self) -> None:
        self.reset()
        self.refresh()

    # --- rendering ---------------------------------------------------------------------------
    def render(self) -> dict[str, Any]:
        base = {
            "title": _("进度查询"),
            "step": self.step,
            "prompt": _("请输入受理编号（回执上的编号），或刷身份证查询"),
            "keyboard": self.keyboard.render(),
            "number": self.keyboard.text,
            "search": _("查询"),
            "by_card": _("刷身份证查询"),
            "scan_hint": _("也可将回执二维码对准扫码口"),
            "busy": self.busy,
            "status": (
                _("请将身份证放在感应区…")
                if self.reading_card
                else _("正在查询…")
                if self.busy
                else ""
            ),
            "error": self.error,
            "new_query": _("重新查询"),
            "whose": _("证件 {id} 的办件").format(id=self.masked_id) if self.masked_id else "",
        }
        if self.step != "results" or not self.results:
            return base | {"choices": [], "timeline": []} | progress_detail(None)
        choices = [
            {
                "index": i,
                "title": f"{v.number}  {pick(v.item_title, None)}",
                "active": i == self.selected,
            }
            for i, v in enumerate(self.results)
        ]
        choices = choices[:MAX_CHOICES] if len(self.results) > 1 else []
        v = self.results[self.selected]
        # the newest entries, as many as fit under the card (fewer, larger in elderly mode)
        room = max(2, self.session.rows(6, 4) - len(choices))
        return base | {
            "choices": choices,
            **progress_detail(v),
            "timeline": timeline(v, self.session.timezone)[-room:],
        }


DEADLINE_TEXT = {
    "on_time": N_("按时办理中：距承诺时限还有 {n} 个工作日"),
    "due_soon": N_("即将到期：距承诺时限还有 {n} 个工作日"),
    "overdue": N_("已超过承诺时限 {n} 个工作日"),
    "done": N_("已办结"),
}


def progress_detail(v: Any) -> dict[str, Any]:
    """The record's card, flat `detail_*` keys (kv binds `root.v["detail_status"]`)."""
    if v is None:
        return {
            f"detail_{k}": ""
            for k in (
                "number",
                "item",
                "status",
                "promised_by",
                "deadline",
                "deadline_state",
                "age",
            )
        } | {"detail_deadline_tone": "ok", "detail_stale": False}
    state = v.deadline_state or ""
    left = v.working_days_left
    deadline = ""
    if state in DEADLINE_TEXT:
        deadline = _(DEADLINE_TEXT[state]).format(n=abs(left) if left is not None else "")
    age = ""
    if v.age_minutes >= 1 or v.stale:
        age = _("本机缓存记录，更新于 {n} 分钟前").format(n=v.age_minutes)
    return {
        # still in this kiosk's outbox: the local registration number, not yet a 受理编号
        "detail_number": (_("登记号：{v}") if v.status == "queued" else _("受理编号：{v}")).format(
            v=v.number
        ),
        "detail_item": v.item_title or v.item,
        "detail_status": status_label(v.status),
        "detail_promised_by": (
            _("承诺办结日期：{v}").format(v=v.promised_by) if v.promised_by else ""
        ),
        "detail_deadline": deadline,
        "detail_deadline_state": state,
        "detail_deadline_tone": {"overdue": "danger", "due_soon": "warn"}.get(state, "ok"),
        "detail_age": age,
        "detail_stale": bool(v.stale),
    }


def timeline(v: Any, timezone: str) -> list[dict[str, Any]]:
    rows = []
    for i, h in enumerate(v.history):
        at = local_datetime(str(h.get("at", "")), timezone)
        rows.append(
            {
                "title": status_label(h.get("status", "")),
                "detail": at,
                "note": h.get("note", "") or "",
                "last": i == len(v.history) - 1,
            }
        )
    return rows
