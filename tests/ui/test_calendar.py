"""The date picker's state without a window: the month grid, the year and month lists, the
allowed range, today. (A form's date field filled from it: test_viewmodels.py.)"""

from __future__ import annotations

from datetime import date

import pytest

from screens.i18n import set_language
from screens.viewmodels.calendar import DatePicker

pytestmark = pytest.mark.ui

TODAY = date(2026, 11, 23)  # a Monday


def test_month_grid_starts_on_monday_and_marks_today():
    picker = DatePicker(today=TODAY)
    view = picker.render()
    assert view["weekdays"] == ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    assert view["title"] == "2026年11月" and view["cols"] == 7
    cells = view["cells"]
    assert len(cells) == 42  # six weeks, whatever the month: the grid never jumps
    assert [c["label"] for c in cells[:7]] == ["", "", "", "", "", "", "1"]  # 1 Nov is a Sunday
    today = [c for c in cells if c["today"]]
    assert [c["key"] for c in today] == ["2026-11-23"] and today[0]["enabled"]


def test_birth_date_range_disables_the_future_and_years_are_three_taps_away():
    picker = DatePicker(today=TODAY, latest=TODAY)  # a birth date: max = "today"
    days = {c["key"]: c for c in picker.render()["cells"] if c["key"]}
    assert days["2026-11-23"]["enabled"] and not days["2026-11-24"]["enabled"]
    assert picker.pick("2026-11-30") is None and picker.selected is None
    assert not picker.has_next() and picker.has_prev()

    picker.toggle_years()  # the title: a page of 20 years ending with this year
    years = picker.render()
    assert years["mode"] == "years" and years["title"] == "2007 – 2026"
    picker.prev()
    picker.prev()
    assert picker.render()["title"] == "1967 – 1986"
    assert picker.pick("1975") is None and picker.mode == "months"
    months = picker.render()
    assert months["title"] == "1975年" and [c["label"] for c in months["cells"]][:2] == [
        "1月",
        "2月",
    ]
    picker.pick("1975-06")
    assert picker.render()["title"] == "1975年6月"
    assert picker.pick("1975-06-15") == date(1975, 6, 15)
    assert picker.selected == date(1975, 6, 15)


def test_booking_window_and_the_validators_own_limits():
    latest = date(2026, 12, 23)
    picker = DatePicker(today=TODAY, earliest=TODAY, latest=latest)  # today … today+30
    assert not picker.has_prev()
    picker.next()
    december = {c["key"]: c["enabled"] for c in picker.render()["cells"] if c["key"]}
    assert december["2026-12-23"] and not december["2026-12-24"]
    assert not picker.has_next()
    picker.this_month()
    assert (picker.year, picker.month) == (2026, 11)

    unbounded = DatePicker(today=TODAY)  # no bounds of its own: what validate_date takes
    unbounded.toggle_years()
    while unbounded.has_prev():
        unbounded.prev()
    assert unbounded.render()["cells"][0]["key"] == "1900"
    assert unbounded.render()["range"] == "可选日期：1900-01-01 至 2100-12-31"


def test_opens_on_the_fields_value_and_speaks_english():
    picker = DatePicker(today=TODAY, latest=TODAY, value="1990-03-07")
    view = picker.render()
    assert view["title"] == "1990年3月"
    assert [c["key"] for c in view["cells"] if c["selected"]] == ["1990-03-07"]
    set_language("en")
    try:
        view = picker.render()
        assert view["title"] == "Mar 1990" and view["weekdays"][0] == "Mon"
        assert view["range"] == "Dates from 1900-01-01 to today"
    finally:
        set_language("zh_CN")
