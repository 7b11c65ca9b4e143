"""自助填单 by touch, offscreen: ID card fills fields, the keyboard types the rest (pinyin
candidates included), a wrong phone is flagged beside the field, review shows the full ID,
submit reaches the hall server; then the citizen rates the application."""

from __future__ import annotations

import pytest

from tests.ui.ui_support import ARTIFACTS, printer_bytes, run_ui

pytestmark = pytest.mark.ui


def test_fill_submit_and_rate_by_touch(kiosk):
    # 出生医学证明: the mother's card fills her fields; the baby's birth date is picked on
    # the calendar
    seen = run_ui(kiosk, "forms", timeout=120, params={"form": "F-CSYX-01"})
    assert {"mother_name", "mother_id_number"} <= set(seen["filled_from_card"])
    # on the fill screen (others may see it) the ID number is masked
    assert any("********" in d for d in seen["masked_rows"]), seen["masked_rows"]
    assert seen["phone_error"], "a wrong phone must be flagged next to the field"
    review = dict(seen["review"])
    full_ids = [v for v in review.values() if len(v) == 18 and v[:17].isdigit()]
    assert full_ids, review  # the citizen's own review screen shows the full number
    assert "办事" in review.values()  # typed in pinyin, chosen from the candidate bar

    # the date was picked by touch on the calendar: years → month → day, and validated
    picked = seen["dates_picked"]["baby_birth"]
    assert picked.endswith("-06-15") and review["出生日期"] == picked
    calendar = seen["calendar"]
    assert calendar["weekdays"][0] == "周一" and calendar["title"] == "2026年11月"
    assert calendar["today"] == ["2026-11-23"]  # the kiosk's (fixed) today is highlighted
    assert calendar["after_disabled_tap"] == ""  # a future birth date cannot be tapped
    assert calendar["title_en"] == "Nov 2026"
    assert seen["calendar_years"] == "2007 – 2026"
    # touch targets at least the keyboard's keys (112 px), larger in elderly mode
    assert min(calendar["cell_heights"]) >= 112, calendar
    assert min(calendar["cell_heights_elderly"]) >= 112, calendar
    for name in ("form_calendar_zh", "form_calendar_en", "form_calendar_elderly_zh"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000, name

    number = seen["application"]
    assert number and number in seen["number_shown"] and number in seen["number_shown_en"]
    assert printer_bytes(kiosk).startswith(b"\x1b@")  # the receipt

    # the hall server has it: look it up the way the progress screen does
    from common.settings import load_settings
    from kiosk.core import KioskCore

    core = KioskCore(load_settings(environ=kiosk.env), kiosk.home)
    try:
        core.sync_once(pull_catalog=False)
        record = core.progress(number)
    finally:
        core.close()
    assert record.number == number and record.status == "submitted"

    assert seen["rating"]["step"] == "thanks", seen["rating"]
    assert seen["rating"]["level"] == 5 and seen["rating"]["reasons"]
