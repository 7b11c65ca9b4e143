"""POST /sync/push: a batch of submissions, each with its own key and result."""

from __future__ import annotations

import uuid

from .test_api_basics import assert_error
from .test_applications import FIELDS


def rec(kind, body, key=None):
    return {"key": key or str(uuid.uuid4()), "kind": kind, "body": body}


def push(api, records):
    resp = api.post("/sync/push", {"records": records}, key=None)
    assert resp.status_code == 200, resp.text
    results = resp.json()["results"]
    assert [r["key"] for r in results] == [r["key"] for r in records]
    return results


def test_mixed_batch_each_record_its_own_result(kiosk, public):
    tag = kiosk.enrolled["tag"]  # offline numbers carry the kiosk's own tag
    ticket_key = str(uuid.uuid4())
    records = [
        rec("ticket", {"service": "ZH"}, ticket_key),
        rec("ticket", {"service": "YE"}),  # closed
        rec("application", {"form": "F-TEST-01", "fields": FIELDS}),
        rec("application", {"form": "F-TEST-01", "fields": {"name": ""}}),  # invalid
        rec(
            "ticket",
            {"service": "ZH", "offline_number": f"A-{tag}-001",
             "issued_at": "2025-03-14T01:30:00Z"},
        ),
        rec("ticket", {"service": "ZH"}, ticket_key),  # same key, same body: replay
        rec("ticket", {"service": "GJJ"}, ticket_key),  # same key, other body
        rec("coffee", {"size": "L"}),  # unknown kind
        rec("ticket", {"service": "ZH", "nonsense": 1}),  # malformed body
        rec("evaluation", {"subject": "placeholder", "level": 5, "reasons": ["R5-01"]}),
    ]
    results = push(kiosk, records[:9])
    statuses = [r["status"] for r in results]
    assert statuses == [201, 409, 201, 422, 201, 200, 422, 422, 422]
    assert results[0]["body"]["number"] == "A001"
    assert results[5]["body"] == results[0]["body"]
    assert results[1]["body"]["error"]["code"] == "E-QUE-02"
    assert results[3]["body"]["error"]["code"] == "E-VAL-01"
    assert results[6]["body"]["error"]["code"] == "E-API-03"
    assert results[7]["body"]["error"]["code"] == "E-API-02"
    assert results[8]["body"]["error"]["code"] == "E-API-02"
    assert results[4]["body"]["number"] == f"A-{tag}-001"
    # an evaluation of an application filed in an earlier batch (a ticket is rated only once
    # served: tests/server/test_applications.py)
    ticket_id = results[0]["body"]["id"]
    records[9]["body"]["subject"] = results[2]["body"]["number"]
    later = push(kiosk, [rec("ticket", {"service": "ZH"}), records[9]])
    assert [r["status"] for r in later] == [201, 201]
    # the refused records left nothing behind: numbering went on from A001
    assert later[0]["body"]["number"] == "A002"
    assert public.get(f"/queue/tickets/{ticket_id}").json()["number"] == "A001"


def test_replaying_a_batch_gives_the_same_results(kiosk):
    records = [rec("ticket", {"service": "ZH"}) for _ in range(5)]
    records.append(rec("application", {"form": "F-TEST-01", "fields": FIELDS}))
    first = push(kiosk, records)
    again = push(kiosk, records)
    assert [r["status"] for r in first] == [201] * 6
    assert [r["status"] for r in again] == [200] * 6
    assert [r["body"] for r in first] == [r["body"] for r in again]


def test_batch_and_single_route_share_keys(kiosk):
    key = str(uuid.uuid4())
    single = kiosk.ticket("ZH", key=key).json()
    result = push(kiosk, [rec("ticket", {"service": "ZH"}, key)])[0]
    assert result["status"] == 200 and result["body"]["id"] == single["id"]
    batch_key = str(uuid.uuid4())
    pushed = push(kiosk, [rec("ticket", {"service": "SB"}, batch_key)])[0]["body"]
    resp = kiosk.ticket("SB", key=batch_key)
    assert resp.status_code == 200 and resp.json()["id"] == pushed["id"]


def test_role_is_checked_per_record(counter, kiosk):
    number = push(kiosk, [rec("application", {"form": "F-TEST-01", "fields": FIELDS})])[0]
    subject = number["body"]["number"]
    results = push(
        counter,
        [rec("ticket", {"service": "ZH"}), rec("evaluation", {"subject": subject, "level": 4})],
    )
    assert [r["status"] for r in results] == [403, 201]
    assert results[0]["body"]["error"]["code"] == "E-AUTH-02"


def test_batch_limits(kiosk):
    assert push(kiosk, []) == []
    too_many = [rec("ticket", {"service": "ZH"}) for _ in range(501)]
    assert_error(kiosk.post("/sync/push", {"records": too_many}, key=None), 422, "E-API-02")
    assert_error(
        kiosk.post("/sync/push", {"records": [{"kind": "ticket", "body": {}}]}, key=None),
        422,
        "E-API-02",
    )


def test_full_batch_of_500(kiosk, public):
    records = [rec("ticket", {"service": "GJJ"}) for _ in range(500)]
    results = push(kiosk, records)
    assert all(r["status"] == 201 for r in results)
    numbers = [r["body"]["number"] for r in results]
    assert numbers == [f"D{i:03d}" for i in range(1, 501)]
    services = {s["code"]: s for s in public.get("/queue/services").json()["services"]}
    assert services["GJJ"]["waiting"] == 500
