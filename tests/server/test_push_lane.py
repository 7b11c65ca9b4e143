"""Heartbeat pushes by their fast lane (hall_server/api/push_lane.py) answer what the route
answers; anything else goes through the route (real HTTP on loopback). The turns they take
(hall_server/housekeeping.py) admit no more than the setting at once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from hall_server import housekeeping

from .test_api_basics import assert_error

SENT = datetime(2025, 3, 14, 2, 0, tzinfo=UTC)


def beat(sent_at: datetime = SENT, **body) -> dict:
    record_body = {"sent_at": sent_at.isoformat(), "version": "t", "interval_s": 60, **body}
    return {"key": str(uuid.uuid4()), "kind": "heartbeat", "body": record_body}


def push(api, records: list[dict], **headers: str):
    return api.session.post(
        f"{api.url}/api/v1/sync/push",
        json={"records": records},
        headers={"Authorization": f"Bearer {api.token}", **headers},
        timeout=30,
    )


def results(resp) -> list[dict]:
    assert resp.status_code == 200, resp.text
    return resp.json()["results"]


def heartbeat_of(admin, device_id: str) -> dict | None:
    devices = admin.get("/devices").json()["devices"]
    return next(d for d in devices if d["id"] == device_id)["heartbeat"]


def test_heartbeats_alone_are_stored_and_older_ones_kept_out(kiosk, admin):
    first = results(push(kiosk, [beat(status="ok")]))
    assert [r["status"] for r in first] == [201] and first[0]["body"]["stored"] is True
    older = results(push(kiosk, [beat(SENT - timedelta(minutes=1), status="fault")]))
    assert older[0]["status"] == 200 and older[0]["body"]["stored"] is False
    assert heartbeat_of(admin, kiosk.enrolled["device_id"])["status"] == "ok"
    two = results(push(kiosk, [beat(SENT + timedelta(minutes=1)), beat(SENT)]))
    assert [r["body"]["stored"] for r in two] == [True, False]


def test_lane_and_route_answer_a_bad_heartbeat_alike(kiosk):
    bad = beat()
    del bad["body"]["sent_at"]
    alone = results(push(kiosk, [bad]))  # the lane
    other = {"key": str(uuid.uuid4()), "kind": "coffee", "body": {}}
    mixed = results(push(kiosk, [bad, other]))  # a batch with another kind: the route
    assert alone[0]["status"] == mixed[0]["status"] == 422
    assert alone[0]["body"] == mixed[0]["body"]
    assert alone[0]["body"]["error"]["code"] == "E-API-02"


def test_any_role_may_push_and_a_bad_token_may_not(counter, kiosk):
    assert results(push(counter, [beat()]))[0]["status"] == 201
    kiosk.token = "nope"
    assert_error(push(kiosk, [beat()]), 401, "E-AUTH-01")


def test_a_new_installation_binds_and_a_clone_is_refused(kiosk):
    install = {"X-Install-Id": "install-a"}
    assert results(push(kiosk, [beat()], **install))[0]["status"] == 201
    assert results(push(kiosk, [beat(SENT + timedelta(seconds=1))], **install))[0]["status"] == 201
    assert_error(push(kiosk, [beat()], **{"X-Install-Id": "install-b"}), 403, "E-AUTH-09")


def test_turns_admit_no_more_than_the_setting():
    ctx = SimpleNamespace(settings=SimpleNamespace(server=SimpleNamespace(
        housekeeping_concurrency=2)))
    inside, most = [0], [0]

    async def one() -> None:
        async with housekeeping.turn(ctx):
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            await asyncio.sleep(0.01)
            inside[0] -= 1

    async def many() -> None:
        await asyncio.gather(*(one() for _ in range(7)))

    asyncio.run(many())
    assert most[0] == 2


@pytest.mark.parametrize("limit", ["", "x"])
def test_catalog_polls_taking_turns_answer_as_before(public, limit):
    resp = public.get(f"/catalog/changes?limit={limit}" if limit else "/catalog/changes")
    if limit:
        assert_error(resp, 422, "E-API-02")
    else:
        assert resp.status_code == 200 and resp.json()["items"]
