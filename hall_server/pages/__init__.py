"""Server-rendered pages for hall staff (Jinja2 templates + plain JavaScript, no build step).

Every script, style and image is served from `static/` by the hall server itself at
`/static/…`: a hall LAN has no internet, so nothing comes from a CDN.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
STATIC_PREFIX = "/static"

templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def install(app: FastAPI) -> None:
    from hall_server.pages import counter, reports

    app.include_router(counter.router)
    app.include_router(reports.router)
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC_DIR), name="static")
