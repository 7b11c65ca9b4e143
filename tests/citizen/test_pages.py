"""The citizens' phone pages on a running demo hall server (real HTTP): what they show, what
they never show, and a page in words (never JSON, never a traceback) for every bad address."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import select, update

from common import urls
from common.paths import config_dir
from hall_server.page_tokens import application_token
from hall_server.schema import applications, catalog_items
from tests.support.server import ThreadServer, start_server_thread


@pytest.fixture
def server(tmp_path: Path, db_url: str | None) -> Iterator[ThreadServer]:
    running = start_server_thread(tmp_path / "hall", demo=True, db_url=db_url)
    yield running
    running.stop()


def page(url: str, status: int, **kw) -> str:
    resp = requests.get(url, timeout=10, **kw)
    assert resp.status_code == status, (url, resp.status_code, resp.text[:300])
    assert resp.headers["content-type"].startswith("text/html")
    text = resp.text
    assert '{"error"' not in text and "Traceback" not in text
    # no external assets: every stylesheet/script/image is served by the hall server
    assert not re.search(r'<(link|script|img)[^>]+(href|src)="(https?:)?//', text), text[:500]
    return text


def demo_lines(name: str) -> list[dict]:
    path = config_dir() / "demo" / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize(
    "path",
    [
        "/t/no-such-ticket",
        "/t/pending/not-a-key",
        "/t/a/b/c",
        "/t",
        "/guide/NO-SUCH-ITEM",
        "/guide/",
        "/guide/x/y",
        "/a/",
        "/a/x/y",
    ],
)
def test_unknown_or_mistyped_codes_get_a_page_in_words(server, path):
    text = page(server.url + path, 404)
    assert "未找到" in text
    assert "Not found" in page(server.url + path, 404, params={"lang": "en"})
    assert "Not found" in page(server.url + path, 404, headers={"Accept-Language": "en-US,en"})


def test_guide_page_carries_every_element_of_the_guide(server):
    item = next(
        i for i in demo_lines("catalog.jsonl") if i.get("situations") and i.get("conditions")
    )
    text = page(urls.guide_url(server.url, item["code"]), 200)
    for condition in item["conditions"]:
        assert condition in text
    for material in item["materials"]:
        assert material["name"] in text
    for situation in item["situations"]:
        assert situation["name"] in text
        for extra in situation["materials"]:
            assert extra in text
    for step in item.get("steps", []):
        assert step in text
    for key in (
        "受理条件",
        "申请材料",
        "办理流程",
        "法定办结时限",
        "承诺办结时限",
        "收费",
        "设定依据",
    ):
        assert key in text
    for key in ("location", "hours", "phone", "legal_basis"):
        if item.get(key):
            assert item[key] in text
    english = page(urls.guide_url(server.url, item["code"]), 200, params={"lang": "en"})
    assert "Materials" in english and "Conditions" in english


def test_deleted_item_says_so(server):
    code = demo_lines("catalog.jsonl")[0]["code"]
    with server.database.write() as conn:
        conn.execute(update(catalog_items).where(catalog_items.c.code == code).values(deleted=True))
    text = page(urls.guide_url(server.url, code), 410)
    assert "停止办理" in text


def test_application_page_needs_the_token_and_masks_the_applicant(server):
    demo = demo_lines("applications.jsonl")[0]
    number = demo["number"]
    key = server.ctx.page_key()
    token = application_token(key, number)
    text = page(urls.application_url(server.url, number, token), 200)
    with server.database.read() as conn:
        row = conn.execute(select(applications).where(applications.c.number == number)).one()
    assert row.item_title in text and number in text
    assert demo["fields"]["id_number"] not in text and demo["holder_id_number"] not in text
    name = demo["fields"].get("operator_name") or demo["fields"]["name"]
    assert name not in text and name[0] + "*" in text
    assert "办理记录" in text and "承诺办结日期" in text
    assert "History" in page(
        urls.application_url(server.url, number, token), 200, params={"lang": "en"}
    )

    # no token, a wrong token, another number's token: the same page, no data at all
    other = demo_lines("applications.jsonl")[1]["number"]
    for url in (
        urls.application_url(server.url, number),
        urls.application_url(server.url, number, "x" * 16),
        urls.application_url(server.url, number, application_token(key, other)),
        urls.application_url(server.url, number, token[:-1]),
    ):
        denied = page(url, 403)
        assert number not in denied and row.item_title not in denied and "自助终端" in denied

    # a valid token for a number this hall does not have (another hall's, withdrawn)
    foreign = "SQ20260101ABCDEFGHJK"
    text = page(urls.application_url(server.url, foreign, application_token(key, foreign)), 404)
    assert "本大厅没有这个办件" in text


def test_countdown_in_working_days(server):
    demo = demo_lines("applications.jsonl")
    key = server.ctx.page_key()
    open_one = next(a for a in demo if a["status"] in {"submitted", "accepted", "under_review"})
    text = page(
        urls.application_url(
            server.url, open_one["number"], application_token(key, open_one["number"])
        ),
        200,
    )
    assert re.search(r"剩余 \d+ 个工作日|今天到期|已超过承诺时限", text), text


def test_stylesheet_is_served(server):
    resp = requests.get(server.url + "/p/citizen.css", timeout=10)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/css")
    assert "font-family" in resp.text and "http" not in resp.text
