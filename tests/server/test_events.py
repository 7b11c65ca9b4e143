"""Live ticket events: the SSE stream at /api/v1/events (real HTTP on loopback), resume
with Last-Event-ID, filters, and the fan-out between two server processes on PostgreSQL."""

from __future__ import annotations

import time

import pytest
import requests

from tests.support.sse import SseClient

from .test_api_basics import assert_error

FIELDS = {
    "id",
    "ticket_id",
    "number",
    "service",
    "target_service",
    "from",
    "to",
    "counter",
    "counter_name",
    "area",
    "at",
    "reason",
    "priority",
}


def take(api, service="ZH", **body) -> dict:
    resp = api.ticket(service, **body)
    assert resp.status_code == 201, resp.text
    return resp.json()


def post_ok(api, path, body=None) -> dict:
    resp = api.post(path, body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_a_call_reaches_the_stream_within_a_second(hall, kiosk, counter):
    with SseClient(f"{hall.url}/api/v1/events") as sse:
        assert sse.status == 200
        assert sse.response.headers["content-type"].startswith("text/event-stream")
        ticket = take(kiosk)
        issued = sse.wait_for(lambda m: m.data["ticket_id"] == ticket["id"], timeout=2)
        assert issued.event == "ticket" and issued.id == str(issued.data["id"])
        assert set(issued.data) == FIELDS
        assert (issued.data["from"], issued.data["to"]) == (None, "waiting")
        assert issued.data["number"] == "A001" and issued.data["counter"] is None
        sent = time.monotonic()
        post_ok(counter, "/queue/counters/01/call-next")
        called = sse.wait_for(lambda m: m.data["to"] == "called", timeout=1.0)
        assert time.monotonic() - sent < 1.0
        data = called.data
        assert (data["from"], data["number"], data["counter"]) == ("waiting", "A001", "01")
        assert data["counter_name"] == "01号窗口" and data["service"] == "ZH"
        assert data["at"].endswith("Z") and int(called.id) > int(issued.id)
        # no names, no holder hashes: numbers, services and counters only
        assert "holder" not in data and "name" not in data


def test_resume_with_last_event_id_misses_nothing(hall, kiosk, counter):
    with SseClient(f"{hall.url}/api/v1/events") as sse:
        take(kiosk)
        first = sse.next(timeout=2)
    # while nobody listens: a ticket, a call, a start, a finish, a recall-less no-show
    take(kiosk)
    take(kiosk)
    post_ok(counter, "/queue/counters/01/call-next")
    post_ok(counter, "/queue/counters/01/start")
    post_ok(counter, "/queue/counters/01/call-next")
    post_ok(counter, "/queue/counters/01/no-show")
    expected = 7  # 2 issued, call A1, start A1, served A1 (next_called) + call A2, no_show A2
    for headers, params in (
        ({"Last-Event-ID": first.id}, {}),
        ({}, {"last_event_id": first.id}),
    ):
        with SseClient(f"{hall.url}/api/v1/events", headers, **params) as sse:
            got = [sse.next(timeout=2) for _ in range(expected)]
            ids = [int(m.id) for m in got]
            assert ids == list(range(int(first.id) + 1, int(first.id) + 1 + expected))
            assert [(m.data["from"], m.data["to"]) for m in got] == [
                (None, "waiting"),
                (None, "waiting"),
                ("waiting", "called"),
                ("called", "serving"),
                ("serving", "served"),
                ("waiting", "called"),
                ("called", "no_show"),
            ]
            # and then live
            take(kiosk)
            assert sse.next(timeout=2).data["to"] == "waiting"


def test_filters_by_counter_and_service(hall, kiosk, counter):
    with (
        SseClient(f"{hall.url}/api/v1/events", counter="05") as at05,
        SseClient(f"{hall.url}/api/v1/events", service="GJJ") as gjj,
    ):
        take(kiosk, "ZH")
        take(kiosk, "GJJ")
        post_ok(counter, "/queue/counters/01/call-next")
        post_ok(counter, "/queue/counters/05/call-next")
        msg = at05.next(timeout=2)
        assert (msg.data["counter"], msg.data["service"], msg.data["to"]) == ("05", "GJJ", "called")
        assert gjj.next(timeout=2).data["to"] == "waiting"
        assert gjj.next(timeout=2).data["to"] == "called"
        assert at05.drain() == [] and gjj.drain() == []


def test_bad_resume_point_is_a_clear_error(hall):
    resp = requests.get(
        f"{hall.url}/api/v1/events", headers={"Last-Event-ID": "abc"}, timeout=5, stream=True
    )
    assert_error(resp, 422, "E-API-02")


@pytest.mark.postgres
def test_two_server_processes_share_events_through_postgresql(tmp_path, pg_url):
    """A call made through one `kiosk serve` process reaches a stream opened on the other."""
    from tests.support.server import Api, start_server_process

    one = start_server_process(tmp_path / "one", demo=True, db_url=pg_url)
    try:
        two = start_server_process(tmp_path / "two", demo=False, db_url=pg_url)
        try:
            kiosk = Api(one.url, one.enroll("kiosk", "K-one")["token"])
            counter = Api(one.url, one.enroll("counter", "C-one")["token"])
            with SseClient(f"{two.url}/api/v1/events") as sse:
                # three rounds each within 1 s: LISTEN/NOTIFY, not the 2-second safety poll
                for _ in range(3):
                    ticket = kiosk.ticket("ZHSL")
                    assert ticket.status_code == 201, ticket.text
                    sent = time.monotonic()
                    called = counter.post("/queue/counters/01/call-next")
                    assert called.status_code == 200, called.text
                    msg = sse.wait_for(lambda m: m.data["to"] == "called", timeout=2)
                    assert time.monotonic() - sent < 1.0
                    assert msg.data["ticket_id"] == ticket.json()["id"]
                    assert msg.data["counter"] == "01"
        finally:
            two.stop()
    finally:
        one.stop()


def test_an_idle_stream_gets_keep_alive_comments(tmp_path):
    from tests.support.server import start_server_thread

    overrides = {"queue": {"events_keepalive_s": 0.5}}
    with (
        start_server_thread(tmp_path, overrides=overrides) as hall,
        SseClient(f"{hall.url}/api/v1/events") as sse,
    ):
        time.sleep(1.8)
        assert sse.comments[0] == "connected"
        assert sse.comments.count("keep-alive") >= 2
        assert sse.drain(0.1) == []


def test_events_the_hub_makes_itself_equal_the_table(hall, kiosk, counter):
    """Ticket issues and call-next's events are taken by this process's hub as committed (no
    read back, issue 11); what streams get must be what a reader of the table gets."""
    hub = hall.ctx.background.hub
    start = hub.last_id
    for service in ("ZH", "ZH", "GJJ"):
        take(kiosk, service)
    for _ in range(2):
        post_ok(counter, "/queue/counters/01/call-next")  # finishes the previous one too
    post_ok(counter, "/queue/counters/01/start")
    deadline = time.monotonic() + 5
    while hub.last_id < start + 7 and time.monotonic() < deadline:
        time.sleep(0.05)
    live = hub.since(start)
    assert live is not None and len(live) == 7  # 3 issues, 2 calls, a no-show, a start
    assert [f.event for f in live] == [f.event for f in hub.read(start)]
    assert {f.event["counter_name"] for f in live if f.event["counter"]} == {"01号窗口"}
