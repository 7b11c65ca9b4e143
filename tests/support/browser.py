"""A real headless Chromium for page tests (Debian's `chromium`, driven by Playwright).

Playwright never downloads a browser here: it starts `/usr/bin/chromium` (`executable_path`)
with the flags a root container needs. Use:

    with chromium() as browser:
        page = new_page(browser, SIZES["hd"])
        page.goto(url)
        screenshot(page, "counter-1366x768")   # tests/artifacts/counter-1366x768.png

`chromium()` skips the test with a printed reason when the browser or Playwright is missing.
Screenshots go to tests/artifacts/ (gitignored; docs copy the ones they show).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = os.environ.get("KIOSK_TEST_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",  # root in a container
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",  # small /dev/shm in containers
]
SIZES = {"hd": (1366, 768), "fhd": (1920, 1080)}


def _require() -> Any:
    if not Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is None:
        pytest.skip(f"page test needs Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("page test needs Playwright for Python (pip install -e '.[test]')")
    return sync_playwright


@contextlib.contextmanager
def chromium(*, slow_mo: float = 0) -> Iterator[Any]:
    """A launched headless Chromium (playwright Browser); closed on exit."""
    sync_playwright = _require()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True, slow_mo=slow_mo
        )
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: Any, size: tuple[int, int] = SIZES["hd"], *, locale: str = "zh-CN") -> Any:
    """A page in its own browser context (own cookies: a second clerk's browser)."""
    width, height = size
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale=locale, device_scale_factor=1
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def console_errors(page: Any) -> list[str]:
    """Collects the page's console errors and uncaught exceptions from now on."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors
