"""Aliyun SMS (阿里云短信服务), `SendSms` of dysmsapi 2017-05-25, signed as Aliyun's RPC
signature mechanism documents it (SignatureVersion 1.0):

    canonical  = "&".join(enc(k) + "=" + enc(v) for k, v in sorted(params))   # no Signature
    to_sign    = "GET&" + enc("/") + "&" + enc(canonical)
    Signature  = base64(HMAC-SHA1(AccessKeySecret + "&", to_sign))
    enc        = UTF-8 percent-encoding, only A-Z a-z 0-9 - _ . ~ unreserved (space → %20)

The reply is JSON; `Code == "OK"` means accepted. Throttling codes and network failures are
retryable (hall_server/notify.py retries them); anything else (bad template, bad number,
no balance) is not. Standard library only: the hall server pins no HTTP client.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import quote
from urllib.request import urlopen

from hall_server.notify import Notice, NotifyFailed

API_VERSION = "2017-05-25"
REGION = "cn-hangzhou"
TIMEOUT = 5.0
# Codes after which the same request may succeed later.
RETRYABLE_CODES = {"isv.BUSINESS_LIMIT_CONTROL", "Throttling", "Throttling.User",
                   "ServiceUnavailable", "InternalError", "isp.SYSTEM_ERROR"}  # fmt: skip


def percent_encode(value: str) -> str:
    return quote(str(value), safe="-_.~")


def canonical_query(params: Mapping[str, str]) -> str:
    return "&".join(
        f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items())
    )


def sign(params: Mapping[str, str], secret: str, method: str = "GET") -> str:
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms:
    def __init__(
        self,
        *,
        endpoint: str,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        templates: Mapping[str, str],
        clock: Callable[[], datetime] | None = None,
        nonce: Callable[[], str] | None = None,
        timeout: float = TIMEOUT,
    ) -> None:
        missing = [
            name
            for name, value in (
                ("aliyun_access_key_id", access_key_id),
                ("aliyun_access_key_secret", access_key_secret),
                ("sign_name", sign_name),
            )
            if not value
        ]
        if missing:
            raise NotifyFailed("notify." + ", notify.".join(missing) + " not set", retryable=False)
        self.endpoint = endpoint.rstrip("/")
        self.access_key_id = access_key_id
        self._secret = access_key_secret
        self.sign_name = sign_name
        self.templates = dict(templates)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._nonce = nonce or (lambda: str(uuid.uuid4()))
        self.timeout = timeout

    @classmethod
    def from_settings(cls, notify: Any) -> AliyunSms:
        return cls(
            endpoint=notify.aliyun_endpoint,
            access_key_id=notify.aliyun_access_key_id,
            access_key_secret=notify.aliyun_access_key_secret,
            sign_name=notify.sign_name,
            templates={
                "near": notify.template_near,
                "call": notify.template_call,
                "status": notify.template_status,
            },
        )

    def request_params(self, notice: Notice) -> dict[str, str]:
        """Every query parameter of the SendSms call, Signature included."""
        template = self.templates.get(notice.kind)
        if not template:
            raise NotifyFailed(f"notify.template_{notice.kind} not set", retryable=False)
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": notice.phone,
            "RegionId": REGION,
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": self._nonce(),
            "SignatureVersion": "1.0",
            "TemplateCode": template,
            "TemplateParam": json.dumps(notice.params, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": self._clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
        }
        params["Signature"] = sign(params, self._secret)
        return params

    def send(self, notice: Notice) -> None:
        url = f"{self.endpoint}/?{canonical_query(self.request_params(notice))}"
        try:
            with urlopen(url, timeout=self.timeout) as resp:  # noqa: S310 (configured https URL)
                body = resp.read()
        except HTTPError as exc:
            body = exc.read()
            if exc.code >= 500 or exc.code == 429:
                raise NotifyFailed(f"HTTP {exc.code}", retryable=True) from exc
        except (URLError, TimeoutError, OSError) as exc:
            raise NotifyFailed(f"unreachable: {getattr(exc, 'reason', exc)}", retryable=True) from exc
        try:
            reply = json.loads(body)
        except ValueError as exc:
            raise NotifyFailed("reply is not JSON", retryable=True) from exc
        code = str(reply.get("Code", ""))
        if code != "OK":
            raise NotifyFailed(
                f"{code}: {reply.get('Message', '')}", retryable=code in RETRYABLE_CODES
            )
