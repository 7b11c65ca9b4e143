"""The date picker's state: a month grid (周一 first), a list of months, a list of years, the
range of days the field allows, today and the chosen day. Plain Python, used inside a screen's
view-model (a form's date field) as `Keyboard` is; `render()` is what the calendar widget draws.

Birth dates lie decades back, so the title opens a list of years (20 a page), then a year's
months, then that month's days: any date in three or four taps. Days outside the range are
drawn but disabled, and `pick` refuses them too (a disabled widget is not the only guard).
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from common.validators import parse_date
from screens.i18n import N_, _
from screens.viewmodels.fmt import WEEKDAYS

# What common.validators.validate_date accepts, whatever the field says.
EARLIEST, LATEST = date(1900, 1, 1), date(2100, 12, 31)
YEARS_PER_PAGE = 20
WEEKS = 6  # every month fits in six Monday-first weeks; a fixed grid keeps the layout still
MONTHS = (
    N_("1月"), N_("2月"), N_("3月"), N_("4月"), N_("5月"), N_("6月"),
    N_("7月"), N_("8月"), N_("9月"), N_("10月"), N_("11月"), N_("12月"),
)  # fmt: skip
COLUMNS = {"days": 7, "months": 3, "years": 4}
_MONTH_GRID = calendar.Calendar(firstweekday=calendar.MONDAY)


class DatePicker:
    def __init__(
        self,
        *,
        today: date,
        earliest: date | None = None,
        latest: date | None = None,
        value: str = "",
    ) -> None:
        self.today = today
        self.earliest = max(earliest or EARLIEST, EARLIEST)
        self.latest = min(latest or LATEST, LATEST)
        chosen = parse_date(value) if value else None
        self.selected: date | None = chosen
        start = chosen or self._clamp(today)
        self.year, self.month = start.year, start.month
        self.mode = "days"  # days | months | years
        self.years_end = self._page_end(self.year)  # last year on the shown page of years

    # --- rules -------------------------------------------------------------------------------
    def allowed(self, day: date) -> bool:
        return self.earliest <= day <= self.latest

    def _month_allowed(self, year: int, month: int) -> bool:
        return (
            (self.earliest.year, self.earliest.month)
            <= (year, month)
            <= (self.latest.year, self.latest.month)
        )

    def _year_allowed(self, year: int) -> bool:
        return self.earliest.year <= year <= self.latest.year

    def _month_step(self, step: int) -> tuple[int, int]:
        """(year, month) `step` months from the shown one."""
        year, month0 = divmod(self.year * 12 + self.month - 1 + step, 12)
        return year, month0 + 1

    def _clamp(self, day: date) -> date:
        return min(max(day, self.earliest), self.latest)

    def _page_end(self, year: int) -> int:
        """Pages of years count back from the latest allowed year."""
        return self.latest.year - (self.latest.year - year) // YEARS_PER_PAGE * YEARS_PER_PAGE

    # --- actions -----------------------------------------------------------------------------
    def pick(self, key: str) -> date | None:
        """A cell was tapped: a day is chosen (returned), or a year/month opens its months/days."""
        if self.mode == "years":
            if key.isdigit() and self._year_allowed(int(key)):
                self.year, self.mode = int(key), "months"
            return None
        if self.mode == "months":
            year, _sep, month = key.partition("-")
            if year.isdigit() and month.isdigit() and self._month_allowed(int(year), int(month)):
                self.year, self.month, self.mode = int(year), int(month), "days"
            return None
        day = parse_date(key)
        if day is None or not self.allowed(day):
            return None
        self.selected = day
        return day

    def prev(self) -> None:
        if not self.has_prev():
            return
        if self.mode == "years":
            self.years_end -= YEARS_PER_PAGE
        elif self.mode == "months":
            self.year -= 1
        else:
            self.year, self.month = self._month_step(-1)

    def next(self) -> None:
        if not self.has_next():
            return
        if self.mode == "years":
            self.years_end += YEARS_PER_PAGE
        elif self.mode == "months":
            self.year += 1
        else:
            self.year, self.month = self._month_step(1)

    def has_prev(self) -> bool:
        if self.mode == "years":
            return self.years_end - YEARS_PER_PAGE >= self.earliest.year
        if self.mode == "months":
            return self._year_allowed(self.year - 1)
        return self._month_allowed(*self._month_step(-1))

    def has_next(self) -> bool:
        if self.mode == "years":
            return self.years_end < self.latest.year
        if self.mode == "months":
            return self._year_allowed(self.year + 1)
        return self._month_allowed(*self._month_step(1))

    def toggle_years(self) -> None:
        """The title: open the list of years (from the days or months), or close it."""
        if self.mode == "years":
            self.mode = "days"
        else:
            self.mode, self.years_end = "years", self._page_end(self.year)

    def this_month(self) -> None:
        """Back to today's month (or the nearest allowed one)."""
        start = self._clamp(self.today)
        self.year, self.month, self.mode = start.year, start.month, "days"

    # --- rendering ---------------------------------------------------------------------------
    def weeks(self) -> list[list[date | None]]:
        """The shown month as WEEKS rows of 7 (None outside the month), Monday first."""
        days = [
            d if d.month == self.month else None
            for d in _MONTH_GRID.itermonthdates(self.year, self.month)
        ]
        days += [None] * (WEEKS * 7 - len(days))
        return [days[i : i + 7] for i in range(0, WEEKS * 7, 7)]

    def _cells(self) -> list[dict[str, Any]]:
        sel = self.selected
        if self.mode == "years":
            start = max(self.earliest.year, self.years_end - YEARS_PER_PAGE + 1)
            years = list(range(start, self.years_end + 1))
            cells = [
                {
                    "key": str(y),
                    "label": str(y),
                    "enabled": self._year_allowed(y),
                    "selected": sel is not None and sel.year == y,
                    "today": y == self.today.year,
                }
                for y in years
            ]
            return cells + [_blank()] * (YEARS_PER_PAGE - len(cells))
        if self.mode == "months":
            return [
                {
                    "key": f"{self.year}-{m:02d}",
                    "label": _(MONTHS[m - 1]),
                    "enabled": self._month_allowed(self.year, m),
                    "selected": sel is not None and (sel.year, sel.month) == (self.year, m),
                    "today": (self.today.year, self.today.month) == (self.year, m),
                }
                for m in range(1, 13)
            ]
        return [
            _blank()
            if d is None
            else {
                "key": d.isoformat(),
                "label": str(d.day),
                "enabled": self.allowed(d),
                "selected": d == sel,
                "today": d == self.today,
            }
            for week in self.weeks()
            for d in week
        ]

    def title(self) -> str:
        if self.mode == "years":
            start = max(self.earliest.year, self.years_end - YEARS_PER_PAGE + 1)
            return f"{start} – {self.years_end}"
        if self.mode == "months":
            return _("{year}年").format(year=self.year)
        return _("{year}年{month}").format(year=self.year, month=_(MONTHS[self.month - 1]))

    def _bound(self, day: date) -> str:
        return _("今天") if day == self.today else day.isoformat()

    def render(self) -> dict[str, Any]:
        steps = {
            "days": (_("‹ 上月"), _("下月 ›")),
            "months": (_("‹ 上一年"), _("下一年 ›")),
            "years": (_("‹ 更早"), _("更晚 ›")),
        }[self.mode]
        return {
            "mode": self.mode,
            "cols": COLUMNS[self.mode],
            "title": self.title(),
            "title_hint": _("返回日历") if self.mode == "years" else _("点此选择年份"),
            "weekdays": [_(w) for w in WEEKDAYS] if self.mode == "days" else [],
            "cells": self._cells(),
            "has_prev": self.has_prev(),
            "has_next": self.has_next(),
            "prev": steps[0],
            "next": steps[1],
            "range": _("可选日期：{start} 至 {end}").format(
                start=self._bound(self.earliest), end=self._bound(self.latest)
            ),
        }


def _blank() -> dict[str, Any]:
    return {"key": "", "label": "", "enabled": False, "selected": False, "today": False}
