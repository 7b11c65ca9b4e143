"""The enrolment lock-out cannot be dodged with X-Forwarded-For, and one mistyped code does not
lock a technician out (issue 15). Forwarded addresses count only from server.trusted_proxies."""

from __future__ import annotations

import pytest
import requests

from hall_server.proxies import TrustedProxies
from tests.support.server import start_server_thread

from .conftest import ENROLL_ATTEMPTS
from .test_api_basics import assert_error


def enroll(url: str, code: str, forwarded: str | None = None) -> requests.Response:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return requests.post(
        f"{url}/api/v1/devices/enroll", json={"code": code, "name": "K9"}, headers=headers,
        timeout=10,
    )


def wrong(n: int) -> str:
    return f"WRNG-CODE-{n:04d}"


def test_forwarded_for_from_an_untrusted_peer_does_not_dodge_the_lock_out(hall):
    """Default: no trusted proxies. A client on the server host used to get a fresh bucket per
    made-up X-Forwarded-For (uvicorn believed it from 127.0.0.1)."""
    good = hall.enroll_code()
    for n in range(ENROLL_ATTEMPTS):
        assert_error(enroll(hall.url, wrong(n), f"10.9.8.{n}"), 401, "E-AUTH-03")
    assert_error(enroll(hall.url, good, "10.9.8.200"), 429, "E-AUTH-04")


def test_retyping_one_wrong_code_is_one_guess(hall):
    good = hall.enroll_code()
    for _ in range(ENROLL_ATTEMPTS * 3):
        assert_error(enroll(hall.url, "WRNG-CODE-TEST"), 401, "E-AUTH-03")
    assert enroll(hall.url, good).status_code == 201


@pytest.fixture
def proxied_hall(tmp_path):
    server = start_server_thread(
        tmp_path / "hall",
        overrides={
            "server": {"enroll_attempts": ENROLL_ATTEMPTS, "trusted_proxies": ["127.0.0.1/32"]}
        },
    )
    yield server
    server.stop()


def test_behind_a_trusted_proxy_each_client_has_its_own_lock_out(proxied_hall):
    url = proxied_hall.url
    for n in range(ENROLL_ATTEMPTS):
        # a client's own made-up header comes first; the proxy appends the address it saw
        assert_error(enroll(url, wrong(n), f"1.1.1.{n}, 192.0.2.7"), 401, "E-AUTH-03")
    assert_error(enroll(url, wrong(99), "192.0.2.7"), 429, "E-AUTH-04")
    # the technician at another address behind the same proxy is not locked out
    assert enroll(url, proxied_hall.enroll_code(), "192.0.2.8").status_code == 201


def test_trusted_proxies_pick_the_rightmost_untrusted_hop():
    proxies = TrustedProxies(["127.0.0.1/32", "10.0.0.0/8"])
    assert proxies.client("127.0.0.1", "203.0.113.9") == "203.0.113.9"
    assert proxies.client("127.0.0.1", "6.6.6.6, 203.0.113.9, 10.1.2.3") == "203.0.113.9"
    assert proxies.client("::ffff:127.0.0.1", "203.0.113.9") == "203.0.113.9"
    assert proxies.client("198.51.100.1", "203.0.113.9") == "198.51.100.1"  # peer not trusted
    assert proxies.client("127.0.0.1", None) == "127.0.0.1"
    assert proxies.client("127.0.0.1", "10.0.0.1") == "127.0.0.1"  # only our proxies
    assert proxies.client("127.0.0.1", "not-an-address") == "127.0.0.1"
    assert TrustedProxies([]).client("127.0.0.1", "203.0.113.9") == "127.0.0.1"


def test_trusted_proxies_setting_is_validated(tmp_path):
    from common.errors import KioskError
    from common.settings import load_settings

    env = {"KIOSK_HOME": str(tmp_path), "KIOSK_SERVER_TRUSTED_PROXIES": "127.0.0.1/32,::1"}
    assert load_settings(environ=env).server.trusted_proxies == ["127.0.0.1/32", "::1"]
    assert load_settings(environ={"KIOSK_HOME": str(tmp_path)}).server.trusted_proxies == []
    with pytest.raises(KioskError) as info:
        load_settings(environ={**env, "KIOSK_SERVER_TRUSTED_PROXIES": "nginx"})
    assert info.value.code == "E-CFG-01" and "'nginx'" in info.value.message
