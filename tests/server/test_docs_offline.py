"""API docs at /docs work with no internet: Swagger UI comes from the installed
fastapi-offline package through the hall server, not from a CDN."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.docs_assets import docs_assets
from tests.support.server import start_server_thread

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def server(tmp_path):
    """The database plays no part in /docs: SQLite only."""
    srv = start_server_thread(tmp_path / "hall")
    yield srv
    srv.stop()


def test_every_asset_of_docs_is_served_by_the_server(server):
    sizes = docs_assets(server.url)
    names = " ".join(sizes)
    assert "swagger-ui-bundle.js" in names and "swagger-ui.css" in names
    assert "/openapi.json" in names
    assert max(sizes.values()) > 500_000  # the real Swagger UI bundle, not a stub


def test_docs_render_in_a_browser_that_reaches_no_other_host(server):
    """Chromium with every request to another host aborted still draws the API's operations."""
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    base = server.url
    foreign: list[str] = []

    def only_the_server(route):
        if route.request.url.startswith(base):
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=BROWSER_ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", only_the_server)
            page.goto(base + "/docs")
            page.wait_for_selector(".opblock-summary-path", timeout=20_000)
            title = page.inner_text(".information-container .title")
            paths = page.locator(".opblock-summary-path").count()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "docs_offline.png"))
        finally:
            browser.close()
    assert "Hall server API" in title
    assert paths > 10
    assert foreign == []
