"""进度查询 by touch: the application number typed on the on-screen keypad, the timeline and
the deadline; the same record in English; then the lookup by ID card."""

from __future__ import annotations

import json

import pytest

from common.paths import config_dir
from tests.ui.ui_support import run_ui

pytestmark = pytest.mark.ui


def _demo_application() -> dict:
    lines = (config_dir() / "demo" / "applications.jsonl").read_text(encoding="utf-8")
    apps = [json.loads(line) for line in lines.splitlines() if line.strip()]
    return max(apps, key=lambda a: len(a.get("history", [])))  # the richest timeline


def test_progress_by_number_typed_on_the_keypad(kiosk):
    app = _demo_application()
    seen = run_ui(kiosk, "progress", params={"number": app["number"]})
    assert seen["typed"] == app["number"]
    assert seen["step"] == "results", seen["error"]
    assert seen["status_shown"] and seen["status_shown_en"] != seen["status_shown"]
    assert len(seen["timeline"]) == len(app.get("history", [])) or seen["timeline"]
    assert seen["by_card"]["whose"].count("*") >= 8  # the card's number is shown masked
