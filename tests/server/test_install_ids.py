"""Two terminals sharing one cloned identity (issue 15): a device token is bound to the first
installation that uses it (X-Install-Id); a second one is refused (E-AUTH-09) from then on and
raises an alarm on the fleet page. The kiosk keeps its install id per machine."""

from __future__ import annotations

import uuid

import requests

from tests.support.server import Api

from .test_api_basics import assert_error


def enrol(hall, install_id: str | None) -> Api:
    headers = {"X-Install-Id": install_id} if install_id else {}
    resp = requests.post(f"{hall.url}/api/v1/devices/enroll", headers=headers, timeout=10,
                         json={"code": hall.enroll_code(), "name": "K-CLONED"})
    assert resp.status_code == 201, resp.text
    return Api(hall.url, resp.json()["token"], resp.json())


def as_install(api: Api, install_id: str) -> Api:
    api.session.headers["X-Install-Id"] = install_id
    return api


def test_a_second_installation_with_the_same_token_is_refused_and_alarmed(hall, admin):
    first, clone = str(uuid.uuid4()), str(uuid.uuid4())
    original = as_install(enrol(hall, first), first)
    assert original.ticket("ZH").status_code == 201
    copy = as_install(Api(hall.url, original.token, original.enrolled), clone)
    assert_error(copy.ticket("ZH"), 403, "E-AUTH-09")
    assert_error(copy.get("/devices/me"), 403, "E-AUTH-09")  # from the second on, every time
    assert original.ticket("ZH").status_code == 201  # the first installation goes on
    fleet = admin.get("/fleet").json()["devices"]
    row = next(d for d in fleet if d["id"] == original.enrolled["device_id"])
    assert any("second installation" in f for f in row["faults"]), row


def test_the_first_installation_seen_is_bound_for_older_enrolments(hall):
    api = enrol(hall, None)  # enrolled by a kiosk that sent no install id
    first, clone = str(uuid.uuid4()), str(uuid.uuid4())
    assert as_install(api, first).get("/devices/me").status_code == 200
    copy = as_install(Api(hall.url, api.token, api.enrolled), clone)
    assert_error(copy.get("/devices/me"), 403, "E-AUTH-09")


def test_the_kiosk_keeps_its_install_id_per_machine(tmp_path):
    from offline_cache.install_id import FILENAME, load_install_id

    first = load_install_id(tmp_path, machine="machine-a")
    assert load_install_id(tmp_path, machine="machine-a") == first
    assert oct((tmp_path / FILENAME).stat().st_mode & 0o777) == "0o600"
    # the same KIOSK_HOME copied to another machine is another installation
    other = load_install_id(tmp_path, machine="machine-b")
    assert other != first
    (tmp_path / FILENAME).write_text("not json")
    assert load_install_id(tmp_path, machine="machine-b") not in (first, other)
