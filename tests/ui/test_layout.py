"""The layout and contrast check on every screen: one app walks them all (tests/ui/layout_walk.py)
and screens/layout_check.py fails on text wider or taller than its box, a `shorten` ellipsis,
text below the mode's minimum size (screens/theme.py) or contrast below 4.5:1."""

from __future__ import annotations

import os

import pytest

from tests.ui.ui_support import run_ui

pytestmark = pytest.mark.ui
STATES = 20  # screens and steps the walk checks in each mode


def test_every_screen_fits_and_reads_in_every_mode(kiosk):
    modes = os.environ.get("LAYOUT_MODES", "zh,en,elderly-zh,elderly-en")
    seen = run_ui(
        kiosk,
        "layout_walk",
        params={"modes": modes, "shots": os.environ.get("LAYOUT_SHOTS", "0")},
        timeout=110,
    )
    assert len(seen["states"]) == STATES * len(modes.split(",")), seen["states"]
    assert seen["problems"] == [], "\n".join(seen["problems"])
