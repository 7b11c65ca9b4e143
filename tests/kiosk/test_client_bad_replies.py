"""The HTTP client against a misbehaving peer: every bad reply is a clear coded error."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from common.errors import KioskError
from offline_cache.client import HallClient

REPLIES = {
    "/api/v1/health": (200, b"<html>captive portal</html>", {}),
    "/api/v1/queue/services": (200, json.dumps({"services": [{"code": 1}]}).encode(), {}),
    "/api/v1/catalog/changes": (503, b"", {}),
    "/api/v1/applications/X": (429, json.dumps({"error": {"code": "E-API-04", "message": "slow"}}).encode(),
                               {"Retry-After": "7"}),
}


class _Peer(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        path = self.path.split("?")[0]
        status, body, headers = REPLIES.get(path, (404, b"not json", {}))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def peer():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Peer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_non_json_reply_is_malformed_not_a_crash(peer):
    with pytest.raises(KioskError) as info:
        HallClient(peer).health()
    assert info.value.code == "E-SRV-02"


def test_reply_that_breaks_the_schema_is_malformed(peer):
    with pytest.raises(KioskError) as info:
        HallClient(peer, "t").queue_services()
    assert info.value.code == "E-SRV-02"


def test_server_error_after_bounded_get_retries(peer):
    with pytest.raises(KioskError) as info:
        HallClient(peer, "t", get_retry_budget=0.5).catalog_changes(None)
    assert info.value.code in {"E-SRV-01", "E-NET-01"}


def test_429_keeps_retry_after(peer):
    with pytest.raises(KioskError) as info:
        HallClient(peer, "t").get_application("X")
    assert info.value.retry_after == 7.0
    assert info.value.code == "E-API-04"


def test_unreachable_server_is_e_net_01():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(KioskError) as info:
        HallClient(f"http://127.0.0.1:{port}", get_retry_budget=0.3).health()
    assert info.value.code == "E-NET-01"
