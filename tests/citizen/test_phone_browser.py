"""The citizens' pages in a real headless Chromium at phone size (375×812): each page opens
from the address the kiosk built, nothing is wider than the screen, and a screenshot of each
goes to tests/artifacts/citizen_*.png (look at them: they must read well on a phone)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from common import urls
from common.paths import config_dir
from hall_server.page_tokens import application_token

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 375, "height": 812}
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def phone():
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} not installed (Debian: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
        )
        external: list[str] = []
        context.on(
            "request",
            lambda r: (
                external.append(r.url)
                if not r.url.startswith(("http://127.0.0.1", "data:"))
                else None
            ),
        )
        page = context.new_page()
        yield page
        browser.close()
        assert external == [], f"pages asked for outside assets: {external}"


def shoot(page, url: str, name: str, *, status: int = 200, expect: str = "") -> str:
    resp = page.goto(url)
    assert resp is not None and resp.status == status, (url, resp and resp.status)
    text = page.inner_text("body")
    if expect:
        assert expect in text, (name, text[:400])
    # nothing sticks out sideways at 375 px (no horizontal scrolling on a phone)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: page is {width}px wide"
    page.screenshot(path=str(ARTIFACTS / f"citizen_{name}.png"), full_page=True)
    return text


def test_every_citizen_page_on_a_phone(rig, phone):
    core = rig.core
    demo_apps = [
        json.loads(line)
        for line in (config_dir() / "demo" / "applications.jsonl").read_text("utf-8").splitlines()
    ]
    catalog = [
        json.loads(line)
        for line in (config_dir() / "demo" / "catalog.jsonl").read_text("utf-8").splitlines()
    ]

    online = core.take_ticket("ZHSL", print_slip=False)
    shoot(phone, online.url, "ticket", expect=online.number)
    shoot(phone, online.url + "?lang=en", "ticket_en", expect="People ahead")

    rig.offline()
    offline = core.take_ticket("ZHSL", print_slip=False)
    assert urlsplit(offline.url).path.startswith("/t/pending/")
    shoot(phone, offline.url, "offline_before_sync", expect="号码尚未同步")
    rig.sync()
    shoot(phone, offline.url, "offline_after_sync", expect=offline.number)

    # a guide with situations and extra materials (the longest page)
    item = max(
        (i for i in catalog if any(s["materials"] for s in i.get("situations", []))),
        key=lambda i: len(json.dumps(i, ensure_ascii=False)),
    )
    text = shoot(phone, core.guide_url(item["code"]), "guide", expect="受理条件")
    assert all(m in text for s in item["situations"] for m in s["materials"])
    shoot(phone, core.guide_url(item["code"]) + "?lang=en", "guide_en", expect="Conditions")

    # an application: from the kiosk's receipt address, and a demo one in progress
    sub = core.submit_application(
        demo_apps[0]["form"], demo_apps[0]["fields"], item=demo_apps[0]["item"]
    )
    shoot(phone, sub.receipt_url, "application", expect=sub.number)
    busy = (
        next(a for a in demo_apps if len(a.get("history", [])) > 2)
        if any(len(a.get("history", [])) > 2 for a in demo_apps)
        else demo_apps[-1]
    )
    key = rig.server.ctx.page_key()
    shoot(
        phone,
        urls.application_url(
            rig.server.url, busy["number"], application_token(key, busy["number"])
        ),
        "application_history",
        expect=busy["number"],
    )
    text = shoot(
        phone,
        urls.application_url(rig.server.url, sub.number),
        "application_no_token",
        status=403,
        expect="自助终端",
    )
    assert sub.number not in text

    shoot(phone, rig.server.url + "/t/not-a-ticket", "unknown", status=404, expect="未找到")
    shoot(phone, rig.server.url + "/guide/NO-SUCH", "unknown_guide_en", status=404)
