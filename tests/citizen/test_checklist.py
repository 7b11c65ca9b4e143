"""The printed one-time checklist (一次性告知单) carries the guide's elements — conditions,
materials, situations with their extra materials, time limits, fee, place — for every item of
the demo catalog, and no printed line starts with closing punctuation (、）。…)."""

from __future__ import annotations

import json
import re

import pytest

from common.paths import config_dir
from hardware.printer import render_checklist
from hardware.printer.encoding import NO_LINE_END, NO_LINE_START, wrap
from hardware.printer.readback import printed_lines, qr_payloads
from kiosk.checklist import checklist_slip

CATALOG = [
    json.loads(line)
    for line in (config_dir() / "demo" / "catalog.jsonl").read_text("utf-8").splitlines()
    if line.strip()
]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("item", CATALOG, ids=[i["code"] for i in CATALOG])
def test_checklist_of_every_demo_item(item):
    url = f"http://hall.example/guide/{item['code']}"
    data = render_checklist(checklist_slip(item, hall_name="示例市政务服务中心", guide_url=url,
                                           printed_at="2026-12-07 09:00"))
    lines = printed_lines(data)
    for line in lines:
        assert line.lstrip()[:1] not in NO_LINE_START, (item["code"], line)
        assert line.rstrip()[-1:] not in NO_LINE_END, (item["code"], line)
    text = squash("".join(line for line in lines if line != "[raster]"))
    for condition in item.get("conditions", []):
        assert squash(condition) in text, (item["code"], condition)
    for material in item["materials"]:
        assert squash(material["name"]) in text
    for situation in item.get("situations", []):
        for extra in situation["materials"]:
            assert squash(extra) in text, (item["code"], situation["name"], extra)
        if situation["materials"]:
            assert squash(situation["name"]) in text
    assert "办理时限" in text
    if item.get("handling_type") == "即办件":
        assert "当场办结" in text
    else:
        assert f"承诺{item['promised_days']}个工作日" in text
        if item.get("legal_days"):
            assert f"法定{item['legal_days']}个工作日" in text
    fee = item.get("fee") or {}
    assert ("收费：" + squash(fee["amount"])) in text if fee.get("charged") else "收费：不收费" in text
    assert squash(item["location"]) in text
    assert qr_payloads(data) == [url.encode()]


def test_the_low_income_situation_keeps_its_materials():
    """居民身份证首次申领's 城乡低保对象 situation: its proof was dropped before."""
    item = next(i for i in CATALOG if i["code"] == "GA-0014")
    situation = next(s for s in item["situations"] if "低保" in s["name"])
    text = squash("".join(printed_lines(render_checklist(
        checklist_slip(item, hall_name="h", guide_url="http://h/guide/GA-0014")))))
    assert situation["materials"] and all(squash(m) in text for m in situation["materials"])


@pytest.mark.parametrize("width", [10, 16, 21, 32])
def test_wrap_never_starts_a_line_with_closing_punctuation(width):
    text = "材料齐全、符合法定形式的当场登记（含刻章、申领发票），同步发放《电子营业执照》。" * 3
    lines = wrap(text, width)
    assert "".join(lines) == text
    for line in lines[1:]:
        assert line[:1] not in NO_LINE_START, (width, lines)
    for line in lines[:-1]:
        assert line[-1:] not in NO_LINE_END, (width, lines)
