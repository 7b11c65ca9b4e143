"""办事指南: browse (department / 个人 / 法人 / life event), search as you type, item detail."""

from __future__ import annotations

import logging
from typing import Any

from screens.i18n import N_, _
from screens.viewmodels.base import PagedViewModel
from screens.viewmodels.fmt import NO_PAGER, error_text, page_of, pager, pick
from screens.viewmodels.keyboard import Keyboard, KeyboardOwner

log = logging.getLogger(__name__)

BROWSE_LIMIT = 500  # items of one department or life event; paged on screen
SEARCH_LIMIT = 20

TABS = {
    "departments": N_("按部门"),
    "personal": N_("个人办事"),
    "legal": N_("法人办事"),
    "life_events": N_("一件事"),
}
AUDIENCE = {"personal": "个人", "legal": "法人"}


def item_row(item: Any) -> dict[str, Any]:
    days = (
        _("即办件")
        if item.handling_type == "即办件"
        else _("承诺 {n} 个工作日").format(n=item.promised_days)
    )
    return {
        "key": f"item:{item.code}",
        "title": pick(item.title, item.title_en),
        "detail": f"{item.department} · {days}",
    }


class GuideViewModel(PagedViewModel):
    """The browse screen."""

    screen = "guide"

    def reset(self) -> None:
        self.tab = "departments"
        self.departments: list[str] = []
        self.life_events: list[str] = []
        self.filter: str | None = None  # the department or life event picked
        self.items: list[Any] = []  # common.views.ItemSummary
        self.loading = False
        self.error = ""
        self.page = 0

    def enter(self, **params: Any) -> None:
        self.error = ""
        if not self.departments:
            self.loading = True
            self.bridge.call(self.core.departments, on_done=self._got_departments)
            self.bridge.call(self.core.life_events, on_done=self._got_life_events)
        self.refresh()

    def _got_departments(self, result: Any, error: BaseException | None) -> None:
        self.loading = False
        if error is not None:
            text, code = error_text(error)
            self.error = f"{text} ({code})"
        else:
            self.departments = list(result or [])
        self.refresh()

    def _got_life_events(self, result: Any, error: BaseException | None) -> None:
        if error is None:
            self.life_events = list(result or [])
        self.refresh()

    # --- actions -----------------------------------------------------------------------------
    def show_tab(self, tab: str) -> None:
        if tab not in TABS:
            return
        self.tab, self.filter, self.items, self.page = tab, None, [], 0
        if tab in AUDIENCE:
            self._load_items(audience=AUDIENCE[tab])
        self.refresh()

    def pick(self, key: str) -> None:
        """A row: `dept:<name>`, `event:<name>` or `item:<code>`."""
        kind, _sep, value = key.partition(":")
        if kind == "item":
            self.session.go("guide_item", code=value)
        elif kind == "dept":
            self.filter, self.page = value, 0
            self._load_items(department=value)
        elif kind == "event":
            self.filter, self.page = value, 0
            self._load_items(life_event=value)
        self.refresh()

    def clear_filter(self) -> None:
        self.filter, self.items, self.page = None, [], 0
        self.refresh()

    def open_search(self) -> None:
        self.session.go("search")

    def _load_items(self, **filters: str) -> None:
        self.loading = True
        self.bridge.call(
            self.core.search, "", limit=BROWSE_LIMIT, on_done=self._got_items, **filters
        )

    def _got_items(self, result: Any, error: BaseException | None) -> None:
        self.loading = False
        if error is not None:
            text, code = error_text(error)
            self.error = f"{text} ({code})"
        else:
            self.items = list(result or [])
        self.refresh()

    # --- rendering ---------------------------------------------------------------------------
    def render(self) -> dict[str, Any]:
        size = self.session.rows(6, 4)
        if self.tab in AUDIENCE or self.filter:
            rows = [item_row(i) for i in self.items]
            heading = self.filter or _(TABS[self.tab])
        elif self.tab == "departments":
            rows = [{"key": f"dept:{d}", "title": d, "detail": ""} for d in self.departments]
            heading = _("请选择部门")
        else:
            rows = [{"key": f"event:{e}", "title": e, "detail": ""} for e in self.life_events]
            heading = _("一件事一次办：请选择您要办的事")
        shown, page, pages = page_of(rows, self.page, size)
        self.page = page
        status = ""
        if self.loading:
            status = _("正在加载…")
        elif not rows and not self.error:
            status = _("暂无事项")
        return {
            "title": _("办事指南"),
            "search_hint": _("输入事项名称或拼音首字母搜索"),
            "tabs": [{"key": k, "title": _(v), "active": k == self.tab} for k, v in TABS.items()],
            "heading": heading,
            "can_clear_filter": bool(self.filter) and self.tab not in AUDIENCE,
            "clear_filter": _("‹ 返回列表"),
            "rows": shown,
            "status": status,
            "error": self.error,
            **pager(page, pages),
        }


class SearchViewModel(KeyboardOwner, PagedViewModel):
    """Search as you type with the on-screen keyboard (pinyin, initials or Chinese)."""

    screen = "search"

    def reset(self) -> None:
        self.keyboard = Keyboard("pinyin", on_change=self._typed, on_done=self._done)
        self.results: list[Any] = []
        self.results_for: str | None = None  # the query the results answer
        self.in_flight: str | None = None
        self.queued: str | None = None
        self.error = ""
        self.page = 0

    def enter(self, **params: Any) -> None:
        self.refresh()

    def pick(self, key: str) -> None:
        kind, _sep, code = key.partition(":")
        if kind == "item":
            self.session.go("guide_item", code=code)

    def _typed(self, _text: str) -> None:
        self.page = 0
        self._search(self.keyboard.query().strip())
        self.refresh()

    def _done(self) -> None:
        self.refresh()

    def _search(self, query: str) -> None:
        """Search on every keystroke, answered in the same frame.

        Called directly rather than through the worker: the guide search is a query on the
        local catalog mirror (about 1 ms for the demo catalog, under a millisecond for the
        first 20 of 100,000 items), and answering before the frame is drawn means one frame
        per keystroke instead of two — with the software renderer a full frame costs tens of
        milliseconds.
        """
        if not query:
            self.results, self.results_for, self.queued = [], "", None
            return
        self.in_flight = query
        try:
            result, error = self.core.search(query, limit=SEARCH_LIMIT), None
        except Exception as exc:  # shown as an error line, the keyboard keeps working
            result, error = None, exc
        self._answered(query, result, error)

    def _answered(self, query: str, result: Any, error: BaseException | None) -> None:
        self.in_flight = None
        if error is not None:
            text, code = error_text(error)
            self.error = f"{text} ({code})"
        else:
            self.error = ""
            self.results, self.results_for = list(result or []), query
        if self.queued is not None:
            queued, self.queued = self.queued, None
            if queued != query:
                self._search(queued)
        self.refresh()

    def render(self) -> dict[str, Any]:
        query = self.keyboard.query().strip()
        rows = [item_row(i) for i in self.results] if query else []
        shown, page, pages = page_of(rows, self.page, self.session.rows(4, 2))
        if not query:
            status = _("请用下方键盘输入，例如 yyzz 或 营业执照")
        elif self.results_for == query and not rows:
            status = _("没有找到相关事项，换个说法试试")
        elif rows and all(i.matched == "similar" for i in self.results):
            status = _("您是不是要找：")  # nothing as typed; near misses (a typo) instead
        else:
            status = ""
        return {
            "title": _("搜索事项"),
            "keyboard": self.keyboard.render(),
            "query": self.keyboard.query(),
            "placeholder": _("输入事项名称、拼音或首字母"),
            "rows": shown,
            "results_for": self.results_for or "",
            "status": status,
            "error": self.error,
            **pager(page, pages),
        }


MATERIAL_FORMS = {
    "原件": N_("原件"),
    "复印件": N_("复印件"),
    "电子": N_("电子版"),
    "原件和复印件": N_("原件和复印件"),
}


class ItemViewModel(PagedViewModel):
    """One item's guide: every element, a QR to take it away, print the checklist."""

    screen = "guide_item"

    def reset(self) -> None:
        self.code: str | None = None
        self.item: dict[str, Any] | None = None
        self.error = ""
        self.notice = ""
        self.printing = False
        self.taking = False
        self.page = 0

    def enter(self, **params: Any) -> None:
        code = params.get("code")
        if code and code != self.code:
            self.code, self.item, self.error, self.notice = code, None, "", ""
            self.page = 0
            self.bridge.call(self.core.get_item, code, on_done=self._loaded)
        self.refresh()

    def _loaded(self, item: Any, error: BaseException | None) -> None:
        if error is not None:
            text, code = error_text(error)
            self.error = f"{text} ({code})"
        else:
            self.item = dict(item or {})
        self.refresh()

    def print_checklist(self) -> None:
        if self.code is None or self.printing:
            return
        self.printing = True
        self.notice = _("正在打印材料清单…")
        self.refresh()
        self.bridge.call(self.core.print_checklist, self.code, on_done=self._printed)

    def _printed(self, _result: Any, error: BaseException | None) -> None:
        self.printing = False
        if error is not None:
            text, code = error_text(error)
            self.notice = _("打印失败：{reason}。可扫描二维码带走指南。").format(
                reason=f"{text} ({code})"
            )
        else:
            self.notice = _("材料清单已打印，请取走")
        self.refresh()

    def take_ticket(self) -> None:
        service = (self.item or {}).get("queue_service")
        if not service or self.taking:
            return
        self.taking = True
        self.notice = _("正在取号，请稍候…")
        self.refresh()
        self.bridge.call(self.core.take_ticket, service, on_done=self._taken)

    def _taken(self, ticket: Any, error: BaseException | None) -> None:
        self.taking = False
        if error is not None:
            text, code = error_text(error)
            self.notice = f"{text} ({code})"
            self.refresh()
            return
        self.notice = ""
        self.refresh()
        self.session.go("ticket", ticket=ticket)

    def fill_form(self) -> None:
        forms = (self.item or {}).get("forms") or []
        if forms and "form" in self.session.screens:
            self.session.go("form", form=forms[0], item=self.code)

    def guide_url(self) -> str:
        if not self.code:
            return ""
        return self.core.guide_url(self.code)

    def render(self) -> dict[str, Any]:
        base = {
            "print": _("打印材料清单"),
            "ticket": _("取号办理"),
            "form": _("在线填表"),
            "qr_hint": _("扫码带走办事指南"),
        }
        item = self.item
        if item is None:
            return base | {
                "title": "",
                "sections": [],
                **NO_PAGER,
                "qr": "",
                "status": "" if self.error else _("正在加载…"),
                "error": self.error,
                "notice": self.notice,
                "can_ticket": False,
                "can_form": False,
            }
        # paged, not scrolled: a page's worth of text at a time (fewer lines in elderly mode)
        pages = paginate(guide_sections(item), self.session.rows(24, 16), self.session.rows(31, 23))
        self.page = max(0, min(self.page, len(pages) - 1))
        return base | {
            "title": pick(item.get("title", ""), item.get("title_en")),
            "sections": pages[self.page],
            **pager(self.page, len(pages)),
            "qr": self.guide_url(),
            "status": "",
            "error": self.error,
            "notice": self.notice,
            "can_ticket": bool(item.get("queue_service")) and not self.taking,
            "can_form": bool(item.get("forms")) and "form" in self.session.screens,
        }


def paginate(
    sections: list[dict[str, str]], lines_per_page: int, chars_per_line: int
) -> list[list[dict[str, str]]]:
    """Group sections into pages of about `lines_per_page` screen lines; a section longer than
    a page continues on the next one under the same heading."""
    pages: list[list[dict[str, str]]] = [[]]
    used = 0
    for section in sections:
        lines = section["detail"].split("\n") if section["detail"] else []
        chunk: list[str] = []
        cost = 2  # the heading and the card's padding
        for line in lines:
            height = max(1, -(-len(line) // chars_per_line))
            if chunk and used + cost + height > lines_per_page:
                pages[-1].append({"title": section["title"], "detail": "\n".join(chunk)})
                pages.append([])
                used, chunk, cost = 0, [], 2
            elif not chunk and used and used + cost + height > lines_per_page:
                pages.append([])
                used = 0
            chunk.append(line)
            cost += height
        if used and used + cost > lines_per_page:
            pages.append([])
            used = 0
        pages[-1].append({"title": section["title"], "detail": "\n".join(chunk)})
        used += cost
    return [p for p in pages if p] or [[]]


def _days(n: Any) -> str:
    return _("{n} 个工作日").format(n=n) if n else _("即时办结")


def guide_sections(item: dict[str, Any]) -> list[dict[str, str]]:
    """Every guide element (办事指南要素) as heading + text, in the order guides publish them."""
    sections: list[tuple[str, str]] = []
    add = sections.append
    add(
        (
            _("基本信息"),
            "\n".join(
                [
                    _("事项编码：{v}").format(v=item.get("code", "")),
                    _("事项类型：{v}").format(v=item.get("item_type", "")),
                    _("实施主体：{v}").format(v=item.get("department", "")),
                    _("服务对象：{v}").format(v="、".join(item.get("audience", []))),
                    _("办件类型：{v}").format(v=item.get("handling_type", "")),
                    _("到现场次数：{v} 次").format(v=item.get("visits", "")),
                ]
            ),
        )
    )
    add(
        (
            _("办理时限"),
            "\n".join(
                [
                    _("法定办结时限：{v}").format(v=_days(item.get("legal_days"))),
                    _("承诺办结时限：{v}").format(v=_days(item.get("promised_days"))),
                ]
            ),
        )
    )
    if item.get("conditions"):
        add((_("受理条件"), "\n".join(f"{i}. {c}" for i, c in enumerate(item["conditions"], 1))))
    materials = _materials_lines(item)
    if materials:
        add((_("申请材料"), "\n".join(materials)))
    for sit in item.get("situations", []):
        body = sit.get("description", "")
        if sit.get("materials"):
            body += "\n" + _("另需：{v}").format(v="、".join(sit["materials"]))
        add((_("情形：{v}").format(v=sit.get("name", "")), body.strip()))
    if item.get("steps"):
        add((_("办理流程"), "\n".join(f"{i}. {s}" for i, s in enumerate(item["steps"], 1))))
    add((_("收费标准"), _fee_text(item.get("fee") or {})))
    place = [
        _("办理地点：{v}").format(v=item.get("location", "")),
        _("办理时间：{v}").format(v=item.get("hours", "")),
        _("咨询电话：{v}").format(v=item.get("phone", "")),
        _("监督投诉电话：{v}").format(v=item.get("complaint_phone", "")),
    ]
    if item.get("online_url"):
        place.append(_("网上办理：{v}").format(v=item["online_url"]))
    add((_("办理地点与咨询"), "\n".join(place)))
    if item.get("legal_basis"):
        add((_("设定依据"), item["legal_basis"]))
    for faq in item.get("faq", []):
        add((_("常见问题：{q}").format(q=faq.get("q", "")), faq.get("a", "")))
    return [{"title": h, "detail": b} for h, b in sections]


def _materials_lines(item: dict[str, Any]) -> list[str]:
    """申请材料: one numbered line each (original/copy, copies, required), its note below."""
    lines = []
    for i, m in enumerate(item.get("materials", []), 1):
        form = _(MATERIAL_FORMS.get(m.get("form", ""), m.get("form", "")))
        need = _("必需") if m.get("required", True) else _("非必需")
        line = _("{i}. {name}（{form} {copies} 份，{need}）").format(
            i=i, name=m.get("name", ""), form=form, copies=m.get("copies", 1), need=need
        )
        if m.get("note"):
            line += f"\n    {m['note']}"
        lines.append(line)
    return lines


def _fee_text(fee: dict[str, Any]) -> str:
    if not fee.get("charged"):
        return _("不收费")
    text = _("收费：{amount}").format(amount=fee.get("amount", ""))
    if fee.get("basis"):
        text += "\n" + _("收费依据：{v}").format(v=fee["basis"])
    return text
