"""The call display in a real headless Chromium (Debian's, driven by Playwright) against
`kiosk serve --demo` in a subprocess: calls made through the counter API appear within 1 s
and are spoken (their WAV fetched and measured), one announcement at a time; the display
keeps its last calls and shows 连接中断 while the server is down, and catches up after it
restarts. Screenshots of both layouts go to tests/artifacts/."""

from __future__ import annotations

import io
import shutil
import socket
import time
import wave
from pathlib import Path

import pytest
import requests

from tests.support.server import Api, start_server_process

playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",  # what docs/display.md tells a hall to use
]
SHOWN_WITHIN = 1.0  # seconds from the call-next reply to the number on the screen
SERVICE = "ZHSL"  # demo: 综合受理, prefix A, counters 01–06

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() or shutil.which("espeak-ng") is None,
    reason="needs Debian's chromium and espeak-ng (./dev setup installs both)",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as w:
        return w.getnframes() / w.getframerate()


def _call(counter: Api, code: str) -> tuple[str, float]:
    resp = counter.post(f"/queue/counters/{code}/call-next", {})
    assert resp.status_code == 200, resp.text
    return resp.json()["number"], time.monotonic()


def _shown_after(page, number: str, since: float, timeout_s: float = 5.0) -> float:
    page.wait_for_function(
        "n => document.getElementById('latest-number').textContent === n",
        arg=number, timeout=timeout_s * 1000,
    )
    return time.monotonic() - since


@pytest.fixture
def hall(tmp_path: Path):
    # the fastest speech the settings allow keeps the test short (still ~3 s a phrase)
    server = start_server_process(tmp_path / "hall", demo=True, port=_free_port(),
                                  env={"KIOSK_DISPLAY_VOICE_RATE": "260"})
    yield server
    server.stop()


@pytest.fixture
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def test_display_shows_speaks_survives_an_outage_and_catches_up(hall, browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    kiosk = Api(hall.url, hall.enroll("kiosk", "K-display")["token"])
    counter = Api(hall.url, hall.enroll("counter", "C-display")["token"])
    for _ in range(8):
        assert kiosk.ticket(SERVICE).status_code == 201

    page = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    audio_requests: list[str] = []
    page.on("request", lambda r: audio_requests.append(r.url) if "/api/v1/audio/" in r.url else None)
    page.goto(f"{hall.url}/display")
    page.wait_for_function("document.body.dataset.connected === 'yes'", timeout=10_000)

    # three calls at three counters: each on the screen within a second
    called = []
    for code in ("01", "02", "03"):
        number, at = _call(counter, code)
        delay = _shown_after(page, number, at)
        assert delay < SHOWN_WITHIN, f"{number} shown after {delay:.2f} s"
        assert page.text_content("#latest-where") == f"{code}号窗口"
        called.append((number, code))
    recent = page.locator("#recent li .number").all_text_contents()
    assert recent[:2] == [called[1][0], called[0][0]]

    # every call was spoken: its audio URL requested, a valid WAV longer than a second
    urls = {f"{hall.url}/api/v1/audio/{n}_{c}.wav" for n, c in called}
    page.wait_for_function("window.displayLog.played.length >= 1", timeout=15_000)
    for url in urls:
        got = requests.get(url, timeout=30)
        assert got.status_code == 200 and got.headers["content-type"] == "audio/wav"
        assert _wav_seconds(got.content) > 1.0
    # one announcement at a time, each twice (display.voice_repeats), in call order
    page.wait_for_function("window.displayLog.played.length >= 5", timeout=60_000)
    played = page.evaluate("window.displayLog.played")
    assert [p["url"] for p in played[:4]] == [
        f"/api/v1/audio/{called[0][0]}_01.wav"] * 2 + [f"/api/v1/audio/{called[1][0]}_02.wav"] * 2
    assert all(p["ok"] for p in played[:4]), played[:4]
    for before, after in zip(played, played[1:], strict=False):
        assert after["start"] >= before["end"], "announcements overlapped"
    assert urls <= set(audio_requests)
    assert _waiting_rows_clipped(page) == []
    page.screenshot(path=str(ARTIFACTS / "display-landscape.png"))

    # the server goes away: the last calls stay, 连接中断 shows
    hall.stop()
    page.wait_for_selector("#offline", state="visible", timeout=20_000)
    assert page.text_content("#latest-number") == called[-1][0]
    assert page.locator("#recent li").count() == 2
    page.screenshot(path=str(ARTIFACTS / "display-offline.png"))

    # back on the same port and data: a call made at once shows up, the banner goes
    hall.start()
    counter = Api(hall.url, counter.token)
    number, at = _call(counter, "04")
    _shown_after(page, number, at, timeout_s=20.0)
    page.wait_for_selector("#offline", state="hidden", timeout=20_000)
    assert page.locator("#recent li .number").all_text_contents()[:3] == [
        called[2][0], called[1][0], called[0][0]]


def _waiting_rows_clipped(page) -> list[str]:
    """Services of the waiting panel not wholly inside it (display.js shrinks them to fit)."""
    page.wait_for_function("window.displayLog.waiting !== undefined", timeout=10_000)
    return page.evaluate(
        """() => { const ul = document.getElementById("services");
        const box = ul.getBoundingClientRect();
        return [...ul.children].filter((li) => { const r = li.getBoundingClientRect();
          return r.bottom > box.bottom + 1 || r.right > box.right + 1; })
        .map((li) => li.textContent); }"""
    )


def test_portrait_display_scoped_to_counters(hall, browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    kiosk = Api(hall.url, hall.enroll("kiosk", "K-portrait")["token"])
    counter = Api(hall.url, hall.enroll("counter", "C-portrait")["token"])
    for service in (SERVICE, SERVICE, SERVICE, "SSDJ", "SSDJ", "HZ"):
        assert kiosk.ticket(service).status_code == 201
    page = browser.new_context(viewport={"width": 1080, "height": 1920}).new_page()
    page.goto(f"{hall.url}/display?counters=01,02,07")
    page.wait_for_function("document.body.dataset.connected === 'yes'", timeout=10_000)
    mine, at = _call(counter, "07")  # 商事登记 at counter 07: in scope
    assert _shown_after(page, mine, at) < SHOWN_WITHIN
    other, _ = _call(counter, "13")  # not in scope: never shown
    mine2, at = _call(counter, "01")
    assert _shown_after(page, mine2, at) < SHOWN_WITHIN
    texts = page.locator("#recent li .number").all_text_contents()
    assert mine in texts and other not in texts
    page.wait_for_timeout(3500)  # the new-call flash is over: the screen as it mostly looks
    assert _waiting_rows_clipped(page) == []
    page.screenshot(path=str(ARTIFACTS / "display-portrait.png"))

    # a mistyped scope: an empty display saying so, not an error page
    bad = browser.new_context(viewport={"width": 1080, "height": 1920}).new_page()
    resp = bad.goto(f"{hall.url}/display?area=9F")
    assert resp.status == 200
    assert "9F" in bad.text_content("#message") and bad.is_visible("#message")
    assert bad.locator("#recent li").count() == 0


def test_ticket_page_updates_itself_and_shows_the_counter(hall, browser) -> None:
    kiosk = Api(hall.url, hall.enroll("kiosk", "K-phone")["token"])
    counter = Api(hall.url, hall.enroll("counter", "C-phone")["token"])
    first = kiosk.ticket(SERVICE).json()
    mine = kiosk.ticket(SERVICE).json()
    page = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    page.goto(mine["url"])
    assert page.text_content("#ahead") == "1"
    # with scripting the 20 s reload (inside <noscript>) is not active: the script updates
    assert page.locator("meta[http-equiv=refresh]").count() == 0
    _call(counter, "01")  # the ticket ahead: mine is next
    page.wait_for_function("document.getElementById('ahead').textContent === '0'",
                           timeout=3_000)
    number, _ = _call(counter, "05")
    assert number == mine["number"] and first["number"] != number
    page.wait_for_function("document.body.dataset.status === 'called'", timeout=3_000)
    assert page.text_content("#state") == "请到窗口办理"
    assert "05号窗口" in page.text_content("#counter")
    assert page.is_hidden(".ahead-row")
