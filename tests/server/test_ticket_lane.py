"""The ticket route's fast lane (hall_server/api/ticket_lane.py): the usual request takes it,
anything unusual gets the route's own answer (real HTTP on loopback)."""

from __future__ import annotations

import http.client
import json
import uuid
from urllib.parse import urlsplit

from .test_api_basics import assert_error

PATH = "/api/v1/queue/tickets"


def raw_post(url: str, headers: list[tuple[str, str]], body: bytes) -> tuple[int, dict]:
    """One POST with exactly these headers (repeats allowed), over a fresh connection."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest("POST", PATH)
        for name, value in headers:
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"{}")
    finally:
        conn.close()


def test_usual_request_issues_and_replays(kiosk):
    key = str(uuid.uuid4())
    first = kiosk.ticket("ZH", key=key)
    again = kiosk.ticket("ZH", key=key)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json() == again.json()
    assert first.headers["content-type"] == "application/json"


def test_unusual_requests_get_the_routes_answers(kiosk):
    assert_error(kiosk.post("/queue/tickets", {"service": "ZH", "extra": 1}), 422, "E-API-02")
    bad = kiosk.session.post(
        f"{kiosk.url}{PATH}",
        data=b"{not json",
        headers={"Authorization": f"Bearer {kiosk.token}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert assert_error(bad, 422, "E-API-02")["error"]["message"].endswith("body is not valid JSON")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    anonymous = kiosk.session.post(f"{kiosk.url}{PATH}", json={"service": "ZH"}, headers=key)
    assert_error(anonymous, 401, "E-AUTH-01")
    basic = kiosk.session.post(
        f"{kiosk.url}{PATH}", json={"service": "ZH"}, headers={"Authorization": "Basic eDp5", **key}
    )
    assert_error(basic, 401, "E-AUTH-01")
    wrong = kiosk.session.post(
        f"{kiosk.url}{PATH}",
        json={"service": "ZH"},
        headers={"Authorization": "Bearer nope", **key},
    )
    assert_error(wrong, 401, "E-AUTH-01")


def test_repeated_headers_and_charset_go_through_the_route(kiosk):
    body = json.dumps({"service": "ZH"}).encode()
    auth = ("Authorization", f"Bearer {kiosk.token}")
    json_type = ("Content-Type", "application/json; charset=utf-8")
    status, ticket = raw_post(kiosk.url, [auth, json_type, ("Idempotency-Key", "k-1")], body)
    assert status == 201 and ticket["number"].startswith("A")
    twice = [auth, json_type, ("Idempotency-Key", "k-2"), ("Idempotency-Key", "k-3")]
    status, _ = raw_post(kiosk.url, twice, body)
    assert status in (201, 422)  # whatever the route makes of it, never a 500
    status, text = raw_post(kiosk.url, [auth, ("Content-Type", "text/plain")], body)
    assert status == 422 and text["error"]["code"] == "E-API-02"
