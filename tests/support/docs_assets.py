"""`/docs` works on a hall LAN with no internet: every script, style and icon the page refers
to is served by the hall server itself. Used by the server tests and the installed-wheel test."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.refs.append(value)
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def docs_assets(base_url: str, path: str = "/docs") -> dict[str, int]:
    """URL → byte count of /docs and of everything it refers to (tags' src/href and the
    inline script's `url:` of the OpenAPI document). Raises AssertionError naming any URL on
    another host or not served."""
    page = requests.get(base_url + path, timeout=10)
    assert page.status_code == 200, f"{path}: HTTP {page.status_code}"
    parser = _Refs()
    parser.feed(page.text)
    inline = "\n".join(parser.scripts)
    refs = parser.refs + re.findall(r"""\burl\s*:\s*['"]([^'"]+)['"]""", inline)
    assert refs, f"{path} refers to nothing: {page.text[:300]}"
    own = urlsplit(base_url).netloc
    sizes = {base_url + path: len(page.content)}
    problems = []
    for ref in refs:
        url = urljoin(base_url + path, ref)
        if urlsplit(url).netloc != own:
            problems.append(f"{ref}: another host")
            continue
        reply = requests.get(url, timeout=30)
        if reply.status_code != 200 or not reply.content:
            problems.append(f"{ref}: HTTP {reply.status_code}, {len(reply.content)} bytes")
        sizes[url] = len(reply.content)
    # absolute URLs anywhere in the page (a stylesheet or script written into the HTML)
    problems += [f"{u}: absolute URL in the page" for u in re.findall(r"https?://[^\s'\"<>]+",
                                                                       page.text)
                 if urlsplit(u).netloc != own]
    assert not problems, problems
    return sizes
