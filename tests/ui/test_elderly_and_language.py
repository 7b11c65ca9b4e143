"""长辈模式 (larger text, high contrast, fewer rows) and English on the main screens."""

from __future__ import annotations

import pytest

from tests.ui.ui_support import run_ui

pytestmark = pytest.mark.ui


def test_elderly_mode_and_english_by_touch(kiosk):
    seen = run_ui(kiosk, "elderly")
    assert seen["font_scale"] == pytest.approx(1.3)
    assert seen["bg"][:3] == [0, 0, 0]  # high contrast
    assert seen["service_rows_elderly"] <= 5
    assert seen["guide_rows_elderly"] <= 4
    assert seen["home_en"] == "Queue ticket"
    assert seen["language_after_exit"] == "取号"  # 退出 resets the next citizen's language
