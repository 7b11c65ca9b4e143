"""Enrolment codes, lock-out, tokens, roles (401/403 on every protected route), revocation."""

from __future__ import annotations

import uuid

import pytest
import requests

from common.holder import holder_hash
from tests.support.server import Api

from .conftest import ENROLL_ATTEMPTS
from .test_api_basics import assert_error


def enroll(hall, code: str, name: str = "K9") -> requests.Response:
    return requests.post(
        f"{hall.url}/api/v1/devices/enroll", json={"code": code, "name": name}, timeout=10
    )


def test_enrol_kiosk_gets_token_hall_key_and_tag(hall):
    resp = enroll(hall, hall.enroll_code("kiosk"), "K1")
    assert resp.status_code == 201
    body = resp.json()
    uuid.UUID(body["device_id"])
    assert body["role"] == "kiosk" and len(body["token"]) >= 32
    assert body["hall"] == "示例市政务服务中心"
    assert len(bytes.fromhex(body["hall_key"])) == 32
    assert body["tag"].startswith("K")
    # the token works at once
    api = Api(hall.url, body["token"])
    assert api.ticket("ZH").status_code == 201
    # the hall key is the server's: the same ID gives the same hash it stores for demo data
    assert body["hall_key"] == hall.ctx.hall_key
    assert holder_hash(body["hall_key"], "11010519491231002x") == holder_hash(
        hall.ctx.hall_key, "11010519491231002X"
    )


def test_second_kiosk_gets_another_tag_and_the_same_hall_key(hall):
    first = enroll(hall, hall.enroll_code(), "K1").json()
    second = enroll(hall, hall.enroll_code(), "K2").json()
    assert first["tag"] != second["tag"]
    assert first["hall_key"] == second["hall_key"]


@pytest.mark.parametrize("role", ["counter", "admin"])
def test_other_roles_get_no_hall_key(hall, role):
    body = enroll(hall, hall.enroll_code(role), f"{role}-1").json()
    assert body["role"] == role
    assert body["hall_key"] is None and body["tag"] is None


def test_code_is_one_time_and_case_and_dashes_do_not_matter(hall):
    code = hall.enroll_code()
    assert enroll(hall, code.lower().replace("-", " ")).status_code == 201
    assert_error(enroll(hall, code), 401, "E-AUTH-03")


def test_wrong_code_is_401(hall):
    assert_error(enroll(hall, "AAAA-BBBB-CCCC"), 401, "E-AUTH-03")


def test_expired_code_is_refused(hall):
    code = hall.enroll_code(expires="60s")
    hall.clock.advance(61)
    assert_error(enroll(hall, code), 401, "E-AUTH-03")


def test_lock_out_after_too_many_wrong_codes(hall):
    good = hall.enroll_code()
    for n in range(ENROLL_ATTEMPTS):  # distinct codes: each one a guess
        assert_error(enroll(hall, f"WRONG-CODE-000{n}"), 401, "E-AUTH-03")
    resp = enroll(hall, good)  # even the right code is refused while locked out
    assert_error(resp, 429, "E-AUTH-04")
    retry = int(resp.headers["Retry-After"])
    assert 1 <= retry <= 15 * 60
    # the good code was not spent by the refused attempt
    hall.ctx.enroll_failures.clear()  # the window passing, without waiting 15 minutes
    assert enroll(hall, good).status_code == 201


def test_enrol_body_is_validated(hall):
    resp = requests.post(f"{hall.url}/api/v1/devices/enroll", json={"code": "x"}, timeout=10)
    assert_error(resp, 422, "E-API-02")


# --- every protected route: 401 without/with a bad token, 403 with the wrong role ----------
TICKET = {"service": "ZH"}
APP = {"form": "F-X", "fields": {}}
EVAL = {"subject": "x", "level": 5}
PROTECTED = [
    # method, path, body, roles allowed (admin is always allowed)
    ("post", "/queue/tickets", TICKET, {"kiosk"}),
    ("post", "/queue/counters/01/call-next", None, {"counter"}),
    ("post", "/applications", APP, {"kiosk"}),
    ("get", "/applications/SQ20250314AAAAAAAAAA", None, {"kiosk", "counter"}),
    ("get", "/applications?holder=" + "a" * 64, None, {"kiosk", "counter"}),
    ("patch", "/applications/SQ20250314AAAAAAAAAA/status", {"status": "accepted"}, {"counter"}),
    ("post", "/evaluations", EVAL, {"kiosk", "counter"}),
    ("post", "/sync/push", {"records": []}, {"kiosk", "counter"}),
    ("get", "/devices", None, set()),
    ("post", "/devices/some-id/revoke", None, set()),
    ("post", "/devices/enroll-codes", {"role": "kiosk"}, set()),
]


def call(api: Api, method: str, path: str, body) -> requests.Response:
    if method == "get":
        return api.get(path)
    if method == "patch":
        return api.patch(path, body)
    return api.post(path, body)


def test_protected_routes_need_a_token_and_a_role(hall):
    apis = {role: hall.api(role, f"{role}-dev") for role in ("kiosk", "counter", "admin")}
    for method, path, body, roles in PROTECTED:
        route = f"{method.upper()} {path}"
        for token in (None, "not-a-real-token"):
            resp = call(Api(hall.url, token), method, path, body)
            assert resp.status_code == 401, route
            assert_error(resp, 401, "E-AUTH-01")
        basic = requests.request(
            method.upper(),
            f"{hall.url}/api/v1{path}",
            json=body,
            timeout=10,
            headers={"Authorization": "Basic dXNlcjpwYXNz"},
        )
        assert_error(basic, 401, "E-AUTH-01")
        for role, api in apis.items():
            resp = call(api, method, path, body)
            if role in roles or role == "admin":
                assert resp.status_code not in (401, 403), (route, role, resp.text)
            else:
                assert resp.status_code == 403, (route, role)
                assert_error(resp, 403, "E-AUTH-02")


def test_public_routes_need_no_token(hall, public, kiosk):
    ticket = kiosk.ticket("ZH").json()
    for path in (
        "/health",
        "/catalog/changes",
        "/catalog/items/RS-SBK-001",
        "/queue/services",
        f"/queue/tickets/{ticket['id']}",
    ):
        assert public.get(path).status_code == 200, path
    assert public.get(ticket["url"]).status_code == 200


def test_revoked_token_is_401_at_once(hall, admin):
    enrolled = hall.enroll("kiosk", "K-stolen")
    api = Api(hall.url, enrolled["token"])
    assert api.ticket("ZH").status_code == 201
    resp = admin.post(f"/devices/{enrolled['device_id']}/revoke", key=None)
    assert resp.status_code == 200
    assert resp.json()["revoked_at"]
    assert_error(api.ticket("ZH"), 401, "E-AUTH-01")
    assert_error(admin.post("/devices/no-such-device/revoke", key=None), 404, "E-API-01")


def test_devices_list_shows_role_and_last_seen(hall, admin, kiosk):
    kiosk.get("/queue/services")
    resp = admin.get("/devices")
    assert resp.status_code == 200
    devices = {d["name"]: d for d in resp.json()["devices"]}
    assert devices["K-test"]["role"] == "kiosk"
    assert devices["K-test"]["last_seen"]
    assert devices["admin-desk"]["role"] == "admin"
    assert "token" not in str(resp.json()).lower().replace("token_", "")


def test_admin_can_create_enrol_codes_over_http(hall, admin):
    resp = admin.post("/devices/enroll-codes", {"role": "counter", "expires": "2h"}, key=None)
    assert resp.status_code == 201
    body = resp.json()
    assert body["role"] == "counter"
    assert enroll(hall, body["code"], "C-9").json()["role"] == "counter"
