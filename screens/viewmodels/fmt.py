"""Formatting shared by the view-models: language picks, times, error texts."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from common.errors import REGISTRY, KioskError
from screens.i18n import N_, _, is_english

log = logging.getLogger(__name__)


def pick(zh: str, en: str | None) -> str:
    """The English variant of a data value when the screen is in English and one exists."""
    return en if is_english() and en else zh


def breakable(text: str) -> str:
    """A Chinese name that may wrap before its bracketed part rather than inside a word:
    Kivy wraps at spaces and otherwise anywhere, so "户政证件（户籍·身份证）" broke as
    "…身份 / 证）"; with a space before "（" it breaks as "户政证件 / （户籍·身份证）"."""
    return re.sub(r"(?<=\S)（(?=[^（）]*）$)", " （", text)  # a closing bracketed part only


def clock_time(iso: str) -> str:
    """HH:MM of an ISO 8601 time (the hall's local time as the core gives it)."""
    try:
        return datetime.fromisoformat(iso).strftime("%H:%M")
    except (TypeError, ValueError):
        return ""


def local_datetime(iso: str, timezone: str) -> str:
    """YYYY-MM-DD HH:MM in the hall's zone of an ISO 8601 time (UTC from the API)."""
    from zoneinfo import ZoneInfo

    try:
        moment = datetime.fromisoformat(str(iso))
    except (TypeError, ValueError):
        return str(iso)
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(timezone))
    return moment.strftime("%Y-%m-%d %H:%M")


WEEKDAYS = (N_("周一"), N_("周二"), N_("周三"), N_("周四"), N_("周五"), N_("周六"), N_("周日"))


def when_text(moment: datetime | None, now: datetime) -> str:
    """When something reopens, as a citizen says it: 今天 13:30 / 明天 08:30 / 周一 08:30."""
    if moment is None:
        return _("另行通知")
    days = (moment.date() - now.date()).days
    if days == 0:
        day = _("今天")
    elif days == 1:
        day = _("明天")
    else:
        day = _(WEEKDAYS[moment.weekday()])
    return f"{day} {moment:%H:%M}"


def date_text(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d")
    except (TypeError, ValueError):
        return str(iso)


def error_text(error: BaseException) -> tuple[str, str]:
    """(screen text in the current language, technician code) for a failed call."""
    if isinstance(error, KioskError):
        text = error.error.en if is_english() else error.error.zh
        return text, error.code
    log.error("unexpected error in a UI call", exc_info=error)
    unexpected = REGISTRY["E-GEN-01"]
    return (unexpected.en if is_english() else unexpected.zh), unexpected.code


def code_text(code: str | None) -> str:
    """Screen text of a registry code carried as a string (e.g. TicketView.print_error)."""
    if not code:
        return ""
    entry = REGISTRY.get(code)
    if entry is None:
        return _("设备故障") + f" ({code})"
    return (entry.en if is_english() else entry.zh) + f" ({code})"


def page_of(rows: list[Any], page: int, size: int) -> tuple[list[Any], int, int]:
    """(rows of the page, the page clamped, the number of pages)."""
    pages = max(1, -(-len(rows) // size))
    page = max(0, min(page, pages - 1))
    return rows[page * size : (page + 1) * size], page, pages


def pager(page: int, pages: int) -> dict[str, Any]:
    """The page line and 上一页/下一页 buttons every paged list shows."""
    return {
        "page_text": _("第 {p}/{n} 页").format(p=page + 1, n=pages),
        "has_prev": page > 0,
        "has_next": page + 1 < pages,
        "prev": _("上一页"),
        "next": _("下一页"),
    }


NO_PAGER = {"page_text": "", "has_prev": False, "has_next": False, "prev": "", "next": ""}
