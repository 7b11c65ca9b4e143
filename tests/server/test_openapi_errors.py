"""The OpenAPI document tells the truth about errors (issue 15): every operation lists each
error status it can answer with its codes (`x-error-codes`, read from the code by
hall_server/error_map.py) and the one error shape; no 4XX/5XX wildcard; Idempotency-Key is
required exactly where the route refuses a request without it. Real error answers are checked
against the document, so the two cannot drift."""

from __future__ import annotations

import uuid

import pytest
import requests

from common.errors import REGISTRY
from tests.support.server import Api, start_server_thread

ERROR_REF = "#/components/schemas/ErrorBody"


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    server = start_server_thread(tmp_path_factory.mktemp("openapi-hall"), demo=True)
    doc = requests.get(f"{server.url}/openapi.json", timeout=30).json()
    apis = {role: server.api(role, f"oas-{role}") for role in ("kiosk", "counter")}
    yield server, doc, apis
    server.stop()


def operations(doc):
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            yield path, method, op


def test_every_operation_lists_its_error_statuses_and_codes(hall):
    _, doc, _ = hall
    count = 0
    for path, method, op in operations(doc):
        count += 1
        where = f"{method.upper()} {path}"
        responses = op["responses"]
        assert not {"4XX", "5XX"} & set(responses), where
        assert {"500", "503"} <= set(responses), where
        for status, answer in responses.items():
            if int(status) < 400:
                continue
            schema = answer["content"]["application/json"]["schema"]
            assert schema == {"$ref": ERROR_REF}, (where, status)
            listed = answer["x-error-codes"]
            assert listed, (where, status)
            for code in listed:  # a code's status is the registry's: they cannot disagree
                assert REGISTRY[code].http_status == int(status), (where, status, code)
        if op.get("parameters") or op.get("requestBody"):
            assert "E-API-02" in responses["422"]["x-error-codes"], where
        if op.get("security"):
            assert {"401", "403"} <= set(responses), where
    assert count >= 50
    assert "HTTPValidationError" not in doc["components"]["schemas"]


def test_idempotency_key_is_required_exactly_where_the_route_requires_it(hall):
    server, doc, apis = hall

    def key_required(path: str, method: str = "post") -> bool:
        params = doc["paths"][path][method]["parameters"]
        return next(p for p in params if p["name"] == "Idempotency-Key")["required"]

    assert key_required("/api/v1/queue/tickets")
    assert key_required("/api/v1/applications")
    assert not key_required("/api/v1/queue/counters/{counter}/call-next")
    assert not key_required("/api/v1/queue/tickets/{ticket_id}/cancel")
    # what the server does agrees
    missing = apis["kiosk"].post("/queue/tickets", {"service": "ZHSL"}, key=None)
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "E-API-05"
    ticket = apis["kiosk"].ticket("ZHSL").json()
    cancelled = apis["kiosk"].post(f"/queue/tickets/{ticket['id']}/cancel", key=None)
    assert cancelled.status_code == 200


def listed(doc, method: str, path: str, resp: requests.Response) -> None:
    """This real error answer is one the document lists for the operation."""
    answer = doc["paths"][path][method]["responses"].get(str(resp.status_code))
    assert answer is not None, (method, path, resp.status_code, resp.text)
    code = resp.json()["error"]["code"]
    assert code in answer["x-error-codes"], (method, path, resp.status_code, code)


def test_real_error_answers_are_in_the_document(hall):
    server, doc, apis = hall
    kiosk, counter = apis["kiosk"], apis["counter"]
    anonymous = Api(server.url)
    tickets = "/api/v1/queue/tickets"
    listed(doc, "post", tickets, anonymous.ticket("ZHSL"))  # 401
    listed(doc, "post", tickets, counter.ticket("ZHSL"))  # 403: a counter takes no tickets
    listed(doc, "post", tickets, kiosk.post("/queue/tickets", {"service": "ZHSL"}, key=None))
    listed(doc, "post", tickets, kiosk.post("/queue/tickets", {"service": 7}))  # 422
    listed(doc, "post", tickets, kiosk.ticket("NO-SUCH-SERVICE"))
    one = tickets + "/{ticket_id}"
    listed(doc, "get", one, kiosk.get(f"/queue/tickets/{uuid.uuid4()}"))  # 404
    ticket = kiosk.ticket("ZHSL").json()
    cancel = one + "/cancel"
    assert kiosk.post(f"/queue/tickets/{ticket['id']}/cancel").status_code == 200
    listed(doc, "post", cancel, kiosk.post(f"/queue/tickets/{ticket['id']}/cancel"))  # 409
    listed(doc, "post", one + "/requeue", kiosk.post(f"/queue/tickets/{ticket['id']}/requeue"))
    listed(doc, "post", "/api/v1/queue/counters/{counter}/call-next",
           counter.post("/queue/counters/NO-SUCH/call-next", {"services": ["NOPE"]}))
    listed(doc, "get", "/api/v1/applications/{number}",
           kiosk.get("/applications/NO-SUCH-NUMBER"))
