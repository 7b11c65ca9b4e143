"""Offline numbers belong to the kiosk that issued them (issue 15): the tag in A-K1-019 must
be the sending device's, the prefix the service's; a kiosk re-enrolled with its old token
keeps its tag."""

from __future__ import annotations

import uuid

import requests

from tests.support.server import Api

from .test_api_basics import assert_error


def number(api: Api, prefix: str, n: int) -> str:
    return f"{prefix}-{api.enrolled['tag']}-{n:03d}"


def test_another_kiosk_cannot_claim_a_number_and_the_holder_keeps_it(hall):
    holder = hall.api("kiosk", "K-HOLDER")
    other = hall.api("kiosk", "K-OTHER")
    assert holder.enrolled["tag"] != other.enrolled["tag"]
    claimed = number(holder, "A", 19)
    assert_error(other.ticket("ZH", offline_number=claimed), 409, "E-QUE-18")
    resp = holder.ticket("ZH", offline_number=claimed)
    assert resp.status_code == 201, resp.text
    assert resp.json()["number"] == claimed
    # the same through the batch the outbox uses
    result = other.post("/sync/push", {"records": [{
        "key": str(uuid.uuid4()), "kind": "ticket",
        "body": {"service": "ZH", "offline_number": number(holder, "A", 20)}}]}, key=None)
    assert result.json()["results"][0]["status"] == 409
    assert result.json()["results"][0]["body"]["error"]["code"] == "E-QUE-18"


def test_the_service_prefix_must_match(kiosk):
    assert_error(kiosk.ticket("ZH", offline_number=number(kiosk, "B", 901)), 422, "E-API-02")
    assert_error(kiosk.ticket("ZH", offline_number=f"A-{kiosk.enrolled['tag']}-x1"), 422,
                 "E-API-02")
    assert kiosk.ticket("SB", offline_number=number(kiosk, "B", 901)).status_code == 201


def test_a_device_without_a_tag_cannot_claim_a_kiosks_numbers(hall, admin):
    kiosk = hall.api("kiosk", "K-HOLDER")
    assert_error(admin.ticket("ZH", offline_number=number(kiosk, "A", 1)), 409, "E-QUE-18")


def test_a_tag_no_active_device_holds_is_nobody_elses(hall):
    """A kiosk re-enrolled without --replace still delivers what it printed under its old
    tag (here: a tag the server never gave, as in a store from before tags)."""
    kiosk = hall.api("kiosk", "K-NEW")
    assert kiosk.ticket("ZH", offline_number="A-K999-001").status_code == 201
    old = hall.api("kiosk", "K-OLD")
    with hall.database.write() as conn:
        from hall_server import devices

        devices.revoke(conn, old.enrolled["device_id"], hall.clock.now(), by_name=False)
    assert kiosk.ticket("ZH", offline_number=number(old, "A", 2)).status_code == 201


def test_a_timed_out_request_cannot_adopt_another_kiosks_number(hall):
    holder = hall.api("kiosk", "K-HOLDER")
    other = hall.api("kiosk", "K-OTHER")
    key = str(uuid.uuid4())
    assert other.ticket("ZH", key=key).status_code == 201
    resp = other.ticket("ZH", key=key, offline_number=number(holder, "A", 1))
    assert_error(resp, 409, "E-QUE-18")


def test_a_re_enrolled_kiosk_keeps_its_tag_with_its_old_token(hall):
    old = hall.api("kiosk", "K-OLD")
    resp = requests.post(f"{hall.url}/api/v1/devices/enroll", json={
        "code": hall.enroll_code(), "name": "K-NEW", "previous_token": old.token}, timeout=10)
    assert resp.status_code == 201, resp.text
    new = Api(hall.url, resp.json()["token"], resp.json())
    assert new.enrolled["tag"] == old.enrolled["tag"]
    assert_error(old.get("/devices/me"), 401, "E-AUTH-01")  # the replaced identity is revoked
    printed = number(old, "A", 7)  # printed before the re-enrolment
    assert new.ticket("ZH", offline_number=printed).json()["number"] == printed
    # a wrong old token just gets a new tag
    resp = requests.post(f"{hall.url}/api/v1/devices/enroll", json={
        "code": hall.enroll_code(), "name": "K-3", "previous_token": "nope"}, timeout=10)
    assert resp.json()["tag"] not in (None, old.enrolled["tag"])
