"""SMS notifications: the file sink (default), and the Aliyun SMS adapter against a local fake
of the platform that checks each request as Aliyun documents it (parameters, signature,
unique nonce); a platform outage is retried with backoff and never blocks the caller."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from hall_server.notify import Dispatcher, FileSink, Notice, NotifyFailed, open_notifier
from hall_server.sms_aliyun import AliyunSms, sign

KEY_ID, SECRET, SIGN_NAME = "LTAI-test-id", "test-secret-不外传", "示例市政务服务中心"
TEMPLATES = {"near": "SMS_100001", "call": "SMS_100002", "status": "SMS_100003"}
PHONE = "13912345678"


def test_signature_matches_aliyuns_documented_example():
    """help.aliyun.com's own example: testid / testsecret, DescribeRegions."""
    params = {
        "TimeStamp": "2016-02-23T12:46:24Z",
        "Format": "XML",
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "Version": "2014-05-26",
        "SignatureVersion": "1.0",
    }
    assert sign(params, "testsecret") == "CT9X0VtwR86fNWSnsc6v8YGOjuE="


class FakeAliyun:
    """dysmsapi's SendSms as documented: GET /?…, every common parameter, a valid
    signature (recomputed here independently), a fresh nonce, a UTC timestamp."""

    REQUIRED = {"AccessKeyId", "Action", "Format", "PhoneNumbers", "RegionId", "SignName",
                "SignatureMethod", "SignatureNonce", "SignatureVersion", "TemplateCode",
                "TemplateParam", "Timestamp", "Version", "Signature"}

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.problems: list[str] = []
        self.nonces: set[str] = set()
        self.fail_next = 0  # answer 503 this many times (an outage)
        self.stall = 0.0  # seconds to hang before answering
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                if fake.stall:
                    time.sleep(fake.stall)
                if fake.fail_next > 0:
                    fake.fail_next -= 1
                    self._reply(503, {"Code": "ServiceUnavailable"})
                    return
                self._reply(200, fake.check(self.path))

            def _reply(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out first (the stalled platform): expected

        class Server(ThreadingHTTPServer):
            daemon_threads = False
            block_on_close = True  # server_close() waits for stalled handlers

            def handle_error(self, request, client_address) -> None:
                pass  # never print a traceback from a handler thread

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @staticmethod
    def _enc(value: str) -> str:
        return quote(value, safe="-_.~")

    def check(self, path: str) -> dict:
        parts = urlsplit(path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        problems = []
        if parts.path != "/":
            problems.append(f"path {parts.path}")
        if missing := self.REQUIRED - set(params):
            problems.append(f"missing {sorted(missing)}")
        else:
            given = params.pop("Signature")
            canonical = "&".join(f"{self._enc(k)}={self._enc(v)}" for k, v in sorted(params.items()))
            to_sign = "GET&%2F&" + self._enc(canonical)
            expected = base64.b64encode(
                hmac.new(f"{SECRET}&".encode(), to_sign.encode(), hashlib.sha1).digest()
            ).decode()
            if given != expected:
                problems.append("bad signature")
            if params["AccessKeyId"] != KEY_ID or params["Action"] != "SendSms":
                problems.append("wrong key or action")
            if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
                problems.append("signature method")
            if params["Version"] != "2017-05-25" or params["Format"] != "JSON":
                problems.append("version/format")
            try:
                datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ")
            except ValueError:
                problems.append("timestamp not ISO 8601 UTC")
            if params["SignatureNonce"] in self.nonces:
                problems.append("nonce reused")
            self.nonces.add(params["SignatureNonce"])
            json.loads(params["TemplateParam"])
        if problems:
            self.problems += problems
            return {"Code": "SignatureDoesNotMatch", "Message": "; ".join(problems)}
        if not params["PhoneNumbers"].isdigit() or len(params["PhoneNumbers"]) != 11:
            return {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "invalid number"}
        self.received.append(params)
        return {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0",
                "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990"}

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def platform():
    fake = FakeAliyun()
    yield fake
    fake.stop()


def adapter(url: str, **kw) -> AliyunSms:
    return AliyunSms(endpoint=url, access_key_id=KEY_ID, access_key_secret=SECRET,
                     sign_name=SIGN_NAME, templates=TEMPLATES, **kw)


def test_every_kind_reaches_the_platform_correctly_signed(platform):
    sms = adapter(platform.url)
    sms.send(Notice(PHONE, "near", {"number": "A012", "ahead": "3"}))
    sms.send(Notice(PHONE, "call", {"number": "A012", "counter": "13"}))
    sms.send(Notice(PHONE, "status", {"number": "SQ20261207ABCDEFGHJK", "status": "已受理"}))
    assert platform.problems == []
    assert [r["TemplateCode"] for r in platform.received] == list(TEMPLATES.values())
    first = platform.received[0]
    assert first["PhoneNumbers"] == PHONE and first["SignName"] == SIGN_NAME
    assert json.loads(first["TemplateParam"]) == {"number": "A012", "ahead": "3"}
    assert json.loads(platform.received[1]["TemplateParam"])["counter"] == "13"


def test_a_refused_number_is_not_retried(platform):
    with pytest.raises(NotifyFailed) as err:
        adapter(platform.url).send(Notice("12345", "near", {"number": "A1", "ahead": "3"}))
    assert err.value.code == "E-NTF-01" and not err.value.retryable
    assert "MOBILE_NUMBER_ILLEGAL" in err.value.detail


def test_missing_credentials_are_named():
    with pytest.raises(NotifyFailed) as err:
        AliyunSms(endpoint="http://x", access_key_id="", access_key_secret="",
                  sign_name="", templates=TEMPLATES)
    assert "aliyun_access_key_id" in err.value.detail and "sign_name" in err.value.detail


def test_an_outage_is_retried_with_backoff_and_never_blocks_the_caller(platform):
    platform.fail_next = 2  # two 503s, then the platform is back
    waits: list[float] = []
    dispatcher = Dispatcher(adapter(platform.url), retries=3, backoff=0.5,
                            sleep=lambda s: waits.append(s))
    try:
        started = time.monotonic()
        dispatcher.submit(Notice(PHONE, "call", {"number": "A012", "counter": "13"}))
        assert time.monotonic() - started < 0.05  # the queue's call returns at once
        assert dispatcher.join(10)
    finally:
        dispatcher.close()
    assert waits == [0.5, 1.0]  # backoff doubles
    assert dispatcher.sent == 1 and len(platform.received) == 1 and platform.problems == []


def test_a_hanging_platform_does_not_block_submit(platform):
    platform.stall = 1.5
    dispatcher = Dispatcher(adapter(platform.url, timeout=0.3), retries=1, backoff=0,
                            sleep=lambda s: None)
    try:
        started = time.monotonic()
        for n in range(5):
            dispatcher.submit(Notice(PHONE, "near", {"number": f"A{n}", "ahead": "3"}))
        assert time.monotonic() - started < 0.05
        assert dispatcher.join(20)
    finally:
        dispatcher.close()
        platform.stall = 0
    assert dispatcher.failed == 5 and dispatcher.sent == 0


def test_file_sink_is_the_default_and_masks_the_number(tmp_path):
    from common.settings import load_settings

    settings = load_settings(environ={})
    assert settings.notify.backend == "file" and settings.notify.near_ahead == 3
    sink = open_notifier(settings, tmp_path)
    assert isinstance(sink, FileSink)
    clock = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    sink._clock = lambda: clock
    sink.send(Notice(PHONE, "near", {"number": "A012", "ahead": "3"}))
    sink.send(Notice(PHONE, "call", {"number": "A012", "counter": "13"}))
    lines = [json.loads(x) for x in (tmp_path / "notifications.jsonl").read_text("utf-8").splitlines()]
    assert [x["text"] for x in lines] == ["您的号码A012前面还有3人，请回到等候区留意叫号。",
                                          "请A012号到13号窗口办理。"]
    assert all(x["to"] == "139****5678" for x in lines)
    assert PHONE not in (tmp_path / "notifications.jsonl").read_text("utf-8")


def test_aliyun_is_chosen_by_settings(platform, tmp_path):
    from common.settings import load_settings

    settings = load_settings(environ={}, overrides={"notify": {
        "backend": "aliyun", "aliyun_endpoint": platform.url, "aliyun_access_key_id": KEY_ID,
        "aliyun_access_key_secret": SECRET, "sign_name": SIGN_NAME,
        "template_near": "SMS_1", "template_call": "SMS_2", "template_status": "SMS_3"}})
    sms = open_notifier(settings, tmp_path)
    sms.send(Notice(PHONE, "status", {"number": "SQ1", "status": "已受理"}))
    assert platform.received[-1]["TemplateCode"] == "SMS_3" and platform.problems == []


def test_settings_dump_hides_the_secret():
    from common.redact import redact_mapping
    from common.settings import load_settings

    settings = load_settings(environ={}, overrides={"notify": {"aliyun_access_key_secret": "s3"}})
    assert redact_mapping(settings.model_dump())["notify"]["aliyun_access_key_secret"] == "****"
