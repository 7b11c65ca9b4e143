"""取号: the service list (people waiting, open/closed) and taking a ticket."""

from __future__ import annotations

import logging
from typing import Any

from screens.i18n import _
from screens.viewmodels.base import ViewModel
from screens.viewmodels.fmt import error_text, pick

log = logging.getLogger(__name__)


class ServicesViewModel(ViewModel):
    screen = "services"

    def reset(self) -> None:
        self.services: list[Any] = []  # kiosk.views.ServiceView
        self.loading = False
        self.taking: str | None = None  # service code while a ticket is being issued
        self.error = ""
        self.page = 0

    def enter(self, **params: Any) -> None:
        self.error = ""
        self.page = 0
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
        self.bridge.call(self.core.take_ticket, code, on_done=self._taken)

    def _taken(self, ticket: Any, error: BaseException | None) -> None:
        self.taking = None
        if error is not None:
            text, code = error_text(error)
            self.error = f"{text} ({code})"
            self.refresh()
            return
        self.refresh()
        self.session.go("ticket", ticket=ticket)

    def next_page(self) -> None:
        if (self.page + 1) * self.session.page_size < len(self.services):
            self.page += 1
            self.refresh()

    def prev_page(self) -> None:
        if self.page > 0:
            self.page -= 1
            self.refresh()

    def render(self) -> dict[str, Any]:
        size = self.session.page_size
        pages = max(1, -(-len(self.services) // size))
        page = min(self.page, pages - 1)
        shown = self.services[page * size:(page + 1) * size]
        rows = []
        for s in shown:
            detail = _("等候 {n} 人").format(n=s.waiting) if s.open else _("暂停取号")
            rows.append({
                "code": s.code,
                "title": pick(s.name, s.name_en),
                "detail": detail,
                "open": bool(s.open),
                "busy": self.taking == s.code,
            })
        if self.loading and not self.services:
            status = _("正在加载…")
        elif self.taking:
            status = _("正在取号，请稍候…")
        elif not self.services and not self.error:
            status = _("暂无可取号的业务")
        else:
            status = ""
        return {
            "title": _("请选择办理业务"),
            "rows": rows,
            "status": status,
            "error": self.error,
            "page_text": _("第 {p}/{n} 页").format(p=page + 1, n=pages),
            "has_prev": page > 0,
            "has_next": page + 1 < pages,
            "prev": _("上一页"),
            "next": _("下一页"),
        }
