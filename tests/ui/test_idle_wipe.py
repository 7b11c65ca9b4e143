"""After the idle timeout and the "still there?" prompt, no citizen data remains anywhere in
the widget tree (every screen, shown or not) or in the view-models."""

from __future__ import annotations

import pytest

from tests.ui.ui_support import ARTIFACTS, run_ui

pytestmark = pytest.mark.ui


def test_idle_timeout_wipes_every_screen(kiosk):
    seen = run_ui(
        kiosk,
        "idle_wipe",
        params={"idle_timeout": "6", "elderly_idle_timeout": "6", "prompt_seconds": "3"},
    )
    assert seen["before"], "the card's data was on screen before the wipe"
    assert seen["after_widgets"] == []
    assert seen["after_viewmodels"] == []
    assert seen["elderly_after"] is False
    assert seen["form_after"] == {"values": {}, "card": None, "step": "card"}
    assert (ARTIFACTS / "idle_prompt_zh.png").stat().st_size > 10_000
