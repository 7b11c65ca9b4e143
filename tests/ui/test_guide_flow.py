"""办事指南 by touch, offscreen: browse, item detail, print checklist, search with the
on-screen pinyin keyboard, English re-render in place."""

from __future__ import annotations

import pytest

from tests.ui.ui_support import printer_bytes, run_ui

pytestmark = pytest.mark.ui


def test_guide_browse_search_and_print_by_touch(kiosk):
    seen = run_ui(kiosk, "guide")
    assert seen["browsed_item"]
    for element in ("基本信息", "办理时限", "申请材料", "办理流程", "收费标准", "办理地点与咨询"):
        assert element in seen["sections"], element
    assert seen["print_notice"] == "材料清单已打印，请取走"
    assert printer_bytes(kiosk).startswith(b"\x1b@")
    assert "您是不是要找：" in seen["typo_labels"]  # on screen: search_did_you_mean_zh.png
    assert any("营业执照" in t for t in seen["typo_results"]), seen["typo_results"]
    assert seen["composition"] == "yyzz"
    assert seen["first_candidate"] == "营业执照"
    assert any("营业执照" in t for t in seen["typed_results"]), seen["typed_results"]
    assert seen["query_shown"] == "营业执照"
    assert seen["en_back_button"] == "Back"
    assert seen["en_item_print"] == "Print checklist"
