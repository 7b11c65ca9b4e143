"""The layout and contrast check on every screen: one app walks them all (tests/ui/layout_walk.py)
and screens/layout_check.py fails on text wider or taller than its box or out of the screen,
a `shorten` ellipsis, a word broken by a wrap, text below the mode's minimum size
(screens/theme.py) or contrast below 4.5:1.

CI walks all four modes (zh, en, elderly-zh, elderly-en) without screenshots; the same walk
with a screenshot of every state is the slow test (SLOW_TESTS=1)."""

from __future__ import annotations

import os

import pytest

from tests.ui.ui_support import make_kiosk_home, run_ui

pytestmark = pytest.mark.ui
STATES = 29  # screens and steps the walk checks in each mode


def _walk(kiosk, modes: str, shots: str = "0", timeout: float = 150) -> dict:
    seen = run_ui(kiosk, "layout_walk", params={"modes": modes, "shots": shots}, timeout=timeout)
    assert len(seen["states"]) == STATES * len(modes.split(",")), seen["states"]
    assert seen["problems"] == [], "\n".join(seen["problems"])
    return seen


@pytest.mark.timeout(300)
def test_every_screen_fits_and_reads_in_all_four_modes(hall, tmp_path):
    # a card of its own: the hall allows 3 real-name tickets per ID a day, the walk takes 4
    kiosk = make_kiosk_home(hall, tmp_path, extra_env={"KIOSK_DEVICES_IDCARD": "sim:foreign2023"})
    seen = _walk(kiosk, "zh,en,elderly-zh,elderly-en", timeout=300)
    # the walk's real-name ticket with the 残疾人 priority says what kind it is, in both
    assert seen["ticket_marks"]["zh"] == "优先（残疾人） · 实名取号"
    assert seen["ticket_marks"]["elderly-en"] == "Priority (Disability) · Real-name ticket"
    # elderly mode speaks the number (in Mandarin, as every voice prompt); standard mode not
    number = seen["tickets"]["elderly-en"]["number"]
    assert f"您的号码是 {number}，请取走号票，留意叫号" in seen["spoken"]["elderly-en"]
    assert seen["spoken"]["zh"] == seen["spoken"]["en"] == []
    # 11:40 on the booking form: today's morning is over (its last slot began), not offered
    assert seen["past_chips"]["zh"] == ["上午（9:00-12:00）\n今日已过"]
    assert seen["past_chips"]["en"] == ["Morning (9:00-12:00)\nover for today"]


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.skipif(not os.environ.get("SLOW_TESTS"), reason="set SLOW_TESTS=1")
def test_every_screen_in_all_four_modes_with_screenshots(hall, tmp_path):
    # another card than the CI walk's: the hall allows 3 real-name tickets per ID a day
    kiosk = make_kiosk_home(hall, tmp_path, extra_env={"KIOSK_DEVICES_IDCARD": "sim:hkmt"})
    modes = os.environ.get("LAYOUT_MODES", "zh,en,elderly-zh,elderly-en")
    _walk(kiosk, modes, shots="1", timeout=500)
