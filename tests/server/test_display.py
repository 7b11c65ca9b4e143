"""The call display's server side over real HTTP: its page and scope messages, its JSON
state, the call audio route and the live script of the public ticket page."""

from __future__ import annotations

import io
import shutil
import wave

import pytest
import requests

from tests.support.server import Api

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng not installed (./dev installs it)"
)


def _wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as w:
        return w.getnframes() / w.getframerate()


def test_display_state_lists_calls_with_audio_and_waiting(hall, kiosk: Api, counter: Api,
                                                         public: Api) -> None:
    for _ in range(3):
        assert kiosk.ticket("ZH").status_code == 201
    assert kiosk.ticket("GJJ").status_code == 201
    assert counter.post("/queue/counters/01/call-next").json()["number"] == "A001"
    assert counter.post("/queue/counters/05/call-next").json()["number"] == "D001"

    state = public.get("/display/state").json()
    assert state["hall"]
    assert [c["number"] for c in state["calls"]] == ["D001", "A001"]
    latest = state["calls"][0]
    assert latest["counter"] == "05" and latest["text"] == "D001 → 05号窗口"
    if shutil.which("espeak-ng"):
        assert latest["audio_url"] == "/api/v1/audio/D001_05.wav"
    waiting = {s["code"]: s["waiting"] for s in state["services"]}
    assert waiting["ZH"] == 2 and waiting["GJJ"] == 0

    # a display for counters 01,02 sees only their calls and the services they call
    scoped = public.get("/display/state", params={"counters": "01,02"}).json()
    assert [c["number"] for c in scoped["calls"]] == ["A001"]
    assert "GJJ" not in {s["code"] for s in scoped["services"]}
    assert scoped["scope"]["message"] is None


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"area": "9F"}, "9F"),
        ({"counters": "77,88"}, "未知窗口"),
        ({"counters": ",,,"}, "窗口列表无效"),
        ({"area": "2F", "counters": "01"}, "显示范围无效"),
    ],
)
def test_a_bad_scope_is_an_empty_display_with_a_message(hall, params, needle) -> None:
    page = requests.get(f"{hall.url}/display", params=params, timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert needle in page.text
    assert 'id="message" hidden' not in page.text


def test_display_page_is_self_contained_and_escapes_its_url(hall) -> None:
    page = requests.get(f"{hall.url}/display", params={"area": "</script><b>x"}, timeout=10)
    assert page.status_code == 200
    assert "</script><b>" not in page.text
    assert "http://" not in page.text and "https://" not in page.text  # no external asset
    for asset, kind in (("display.js", "javascript"), ("display.css", "css")):
        got = requests.get(f"{hall.url}/display/{asset}", timeout=10)
        assert got.status_code == 200 and kind in got.headers["content-type"]
    missing = requests.get(f"{hall.url}/display/secret.py", timeout=10)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "E-API-01"


@needs_espeak
def test_call_audio_is_a_wav_made_once_and_cached(hall, public: Api) -> None:
    first = requests.get(f"{hall.url}/api/v1/audio/A012_05.wav", timeout=30)
    assert first.status_code == 200 and first.headers["content-type"] == "audio/wav"
    assert _wav_seconds(first.content) > 1.0
    cache = hall.ctx.data_dir / "call-audio"
    assert len(list(cache.glob("*.wav"))) == 1
    again = requests.get(f"{hall.url}/api/v1/audio/A012_05.wav", timeout=30)
    assert again.content == first.content
    assert len(list(cache.glob("*.wav"))) == 1


@pytest.mark.parametrize(
    "key", ["..%2F..%2Fetc%2Fpasswd", "A012", "A012_%2F13", "A012_%E7%AA%97", "_13", "%2E%2E_1", "A012_13"]
)
def test_a_bad_audio_key_is_404_in_the_error_shape(hall, key: str) -> None:
    got = requests.get(f"{hall.url}/api/v1/audio/{key}.wav", timeout=10)
    assert got.status_code == 404
    assert got.json()["error"]["code"] == "E-API-01"


def test_ticket_page_loads_its_live_script(hall, kiosk: Api) -> None:
    ticket = kiosk.ticket("ZH").json()
    page = requests.get(ticket["url"], timeout=10)
    assert page.status_code == 200
    assert f'data-ticket="{ticket["id"]}"' in page.text and 'src="/live/ticket.js"' in page.text
    script = requests.get(f"{hall.url}/live/ticket.js", timeout=10)
    assert script.status_code == 200 and "EventSource" in script.text


def test_cancelled_and_past_day_tickets_are_never_called(hall, kiosk: Api, counter: Api) -> None:
    old = kiosk.ticket("ZH").json()  # yesterday's, still waiting at midnight
    hall.clock.advance(24 * 3600)
    first = kiosk.ticket("ZH").json()
    voided = kiosk.ticket("ZH").json()
    last = kiosk.ticket("ZH").json()
    assert kiosk.post(f"/queue/tickets/{voided['id']}/cancel").status_code == 200
    called = [counter.post("/queue/counters/01/call-next").json()["number"] for _ in range(2)]
    assert called == [first["number"], last["number"]]
    nothing = counter.post("/queue/counters/01/call-next")
    assert nothing.status_code == 404 and nothing.json()["error"]["code"] == "E-QUE-06"
    assert kiosk.get(f"/queue/tickets/{old['id']}").json()["status"] == "expired"


@needs_espeak
def test_calls_on_the_event_stream_carry_their_audio_url(hall, kiosk: Api, counter: Api) -> None:
    from tests.support.sse import SseClient

    kiosk.ticket("ZH")
    with SseClient(f"{hall.url}/api/v1/events") as sse:
        assert counter.post("/queue/counters/01/call-next").status_code == 200
        call = sse.wait_for(lambda m: m.data["to"] == "called").data
        assert call["audio_url"] == "/api/v1/audio/A001_01.wav"
        assert counter.post("/queue/counters/01/recall").status_code == 200
        recall = sse.wait_for(lambda m: m.data["to"] == "called").data
        assert recall["from"] == "called" and recall["audio_url"] == call["audio_url"]
        assert counter.post("/queue/counters/01/start").status_code == 200
        start = sse.wait_for(lambda m: m.data["to"] == "serving").data
        assert "audio_url" not in start
    wav = requests.get(hall.url + call["audio_url"], timeout=30)
    assert wav.status_code == 200 and _wav_seconds(wav.content) > 1.0


def test_without_espeak_the_call_is_shown_and_the_audio_route_says_why(tmp_path) -> None:
    """A server whose PATH has no espeak-ng: calls still reach the stream and the display's
    state, without audio_url; the audio route answers 503 E-VOI-01; the log says so once."""
    from tests.support.server import start_server_process
    from tests.support.sse import SseClient

    empty = tmp_path / "no-bin"
    empty.mkdir()
    server = start_server_process(tmp_path / "hall", demo=True, env={"PATH": str(empty)})
    try:
        kiosk = Api(server.url, server.enroll("kiosk")["token"])
        counter = Api(server.url, server.enroll("counter")["token"])
        assert kiosk.ticket("ZHSL").status_code == 201
        with SseClient(f"{server.url}/api/v1/events") as sse:
            assert counter.post("/queue/counters/01/call-next").status_code == 200
            call = sse.wait_for(lambda m: m.data["to"] == "called").data
        assert call["number"] == "A001" and "audio_url" not in call
        state = requests.get(f"{server.url}/api/v1/display/state", timeout=10).json()
        assert state["calls"][0]["number"] == "A001" and state["calls"][0]["audio_url"] is None
        audio = requests.get(f"{server.url}/api/v1/audio/A001_01.wav", timeout=10)
        assert audio.status_code == 503 and audio.json()["error"]["code"] == "E-VOI-01"
    finally:
        server.stop()
    assert server.log().count("espeak-ng not found") == 1


def test_area_display_with_named_counters(hall, kiosk: Api, counter: Api, public: Api) -> None:
    """[[counter]] tables give areas and names: ?area=2F shows that floor's counters only,
    by their names, and the call is spoken with the name."""
    import tomllib

    from hall_server.services_import import import_services
    from tests.server.conftest import DATA

    data = tomllib.loads((DATA / "services.toml").read_text("utf-8"))
    data["counter"] = [
        {"code": "01", "name": "综合受理 1号窗口", "area": "1F"},
        {"code": "05", "name": "公积金 5号窗口", "name_en": "Housing fund 5", "area": "2F"},
    ]
    import_services(hall.database, data, clock=hall.clock)
    kiosk.ticket("ZH")
    kiosk.ticket("GJJ")
    counter.post("/queue/counters/01/call-next")
    assert counter.post("/queue/counters/05/call-next").json()["number"] == "D001"

    second = public.get("/display/state", params={"area": "2F"}).json()
    assert second["scope"] == {"area": "2F", "counters": ["05"], "label": "2F", "message": None}
    assert [c["number"] for c in second["calls"]] == ["D001"]
    assert second["calls"][0]["text"] == "D001 → 公积金 5号窗口"
    assert [s["code"] for s in second["services"]] == ["GJJ"]
    page = requests.get(f"{hall.url}/display", params={"area": "2F"}, timeout=10).text
    assert "公积金 5号窗口" in page and 'id="message" hidden' in page

    from hall_server.voice import phrase

    assert phrase("D001", "05", counter_name="公积金 5号窗口") == "请 D 零零一 号 到 公积金 五 号窗口 办理"
    if shutil.which("espeak-ng"):
        wav = requests.get(f"{hall.url}/api/v1/audio/D001_05.wav", timeout=30)
        assert wav.status_code == 200 and _wav_seconds(wav.content) > 1.0
