"""Health, the one error shape for every failure, and the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime

import requests

from common.wire import ErrorBody, Health

from .conftest import START


def assert_error(resp: requests.Response, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = ErrorBody.model_validate(resp.json())
    assert body.error.code == code
    assert body.error.message
    return resp.json()


def test_health_reports_hall_time_and_zone(hall, public):
    resp = public.get("/health")
    assert resp.status_code == 200
    health = Health.model_validate(resp.json())
    assert health.status == "ok"
    assert health.hall == "示例市政务服务中心"
    assert health.timezone == "Asia/Shanghai"
    assert health.time.tzinfo is not None and health.time.utcoffset().total_seconds() == 0
    # the injectable clock is the server's time
    assert abs((health.time - START.astimezone(UTC)).total_seconds()) < 60


def test_health_time_is_real_utc_without_a_test_clock(tmp_path):
    from tests.support.server import start_server_thread

    with start_server_thread(tmp_path) as server:
        health = requests.get(f"{server.url}/api/v1/health", timeout=5).json()
    skew = datetime.fromisoformat(health["time"]) - datetime.now(UTC)
    assert abs(skew.total_seconds()) < 5


def test_unknown_route_is_404_in_the_error_shape(public):
    assert_error(public.get("/no/such/route"), 404, "E-API-01")
    assert_error(public.get(f"{public.url}/nothing-here"), 404, "E-API-01")


def test_wrong_method_is_405_in_the_error_shape(public):
    assert_error(public.session.delete(f"{public.url}/api/v1/health"), 405, "E-API-06")


def test_malformed_json_is_422(kiosk):
    resp = kiosk.session.post(
        f"{kiosk.url}/api/v1/queue/tickets",
        data=b'{"service": "ZH"',
        headers={**kiosk._headers("k-malformed"), "Content-Type": "application/json"},
    )
    body = assert_error(resp, 422, "E-API-02")
    assert "JSON" in body["error"]["message"]


def test_validation_error_names_the_field_not_the_value(kiosk):
    secret = "110105194912310021"
    resp = kiosk.post(
        "/queue/tickets", {"service": "ZH", "priority": "vip", "holder": secret, "extra": 1}
    )
    body = assert_error(resp, 422, "E-API-02")
    message = body["error"]["message"]
    assert "priority" in message and "extra" in message
    assert secret not in resp.text


def test_missing_idempotency_key_is_400(kiosk):
    assert_error(kiosk.ticket("ZH", key=None), 400, "E-API-05")


def test_unknown_catalog_item_and_ticket_are_404(public):
    assert_error(public.get("/catalog/items/NOPE"), 404, "E-API-01")
    assert_error(public.get("/queue/tickets/00000000-0000-0000-0000-000000000000"), 404, "E-API-01")
    # the citizen's phone page says it in words (issue 13), the API keeps the error shape
    page = public.get(f"{public.url}/t/not-a-ticket")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "未找到" in page.text


def test_bad_cursor_and_limit_are_422(public):
    assert_error(public.get("/catalog/changes", params={"since": "garbage!"}), 422, "E-API-02")
    assert_error(public.get("/catalog/changes", params={"limit": 0}), 422, "E-API-02")


def test_database_outage_is_503_with_retry_after(hall, public):
    hall.database.engine.dispose()
    # Point the engine at a path that cannot be opened to simulate the database going away.
    from sqlalchemy import create_engine

    good = hall.database.engine
    hall.database.engine = create_engine("sqlite:////nonexistent-dir/x.sqlite3")
    try:
        resp = public.get("/queue/services")
    finally:
        hall.database.engine.dispose()
        hall.database.engine = good
    assert_error(resp, 503, "E-SRV-03")
    assert int(resp.headers["Retry-After"]) >= 1


def test_openapi_lists_every_route(hall, public):
    from fastapi.routing import APIRoute

    doc = requests.get(f"{public.url}/openapi.json", timeout=30).json()  # built on first call
    paths = doc["paths"]
    # every route the application serves is in the document, with its methods
    served = [r for r in hall.running.app.routes if isinstance(r, APIRoute)]
    for route in served:
        if route.include_in_schema:
            assert route.path in paths, route.path
            assert {m.lower() for m in route.methods} <= set(paths[route.path]), route.path
    # and the walking skeleton's contract is all there
    expected = {
        "/api/v1/health": {"get"},
        "/api/v1/devices/enroll": {"post"},
        "/api/v1/devices/enroll-codes": {"post"},
        "/api/v1/devices": {"get"},
        "/api/v1/devices/{device_id}/revoke": {"post"},
        "/api/v1/catalog/changes": {"get"},
        "/api/v1/catalog/items/{code}": {"get"},
        "/api/v1/queue/services": {"get"},
        "/api/v1/queue/tickets": {"post"},
        "/api/v1/queue/tickets/{ticket_id}": {"get"},
        "/api/v1/queue/appointments": {"get", "post"},
        "/api/v1/queue/appointments/{code}": {"delete"},
        "/api/v1/queue/slots": {"get"},
        "/api/v1/queue/counters/{counter}/call-next": {"post"},
        "/api/v1/applications": {"post", "get"},
        "/api/v1/applications/{number}": {"get"},
        "/api/v1/applications/{number}/status": {"patch"},
        "/api/v1/evaluations": {"post"},
        "/api/v1/evaluations/cases": {"get"},
        "/api/v1/evaluations/cases/{case_id}": {"patch"},
        "/api/v1/sync/push": {"post"},
        "/t/{ticket_id}": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), path
    ticket = paths["/api/v1/queue/tickets"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in ticket["parameters"])
    assert "201" in ticket["responses"] and "200" in ticket["responses"]


def test_unhandled_error_is_500_in_the_error_shape(hall, kiosk):
    """A corrupted stored reply (a real failure, not a mock) must still answer in shape."""
    from common.wire import TicketRequest
    from hall_server.idempotency import body_hash
    from hall_server.schema import idempotency

    with hall.database.write() as conn:
        conn.execute(
            idempotency.insert().values(
                device_id=kiosk.enrolled["device_id"],
                key="k-corrupt",
                kind="ticket",
                body_hash=body_hash("ticket", TicketRequest(service="ZH")),
                status=201,
                response="{corrupt",
                created_at=hall.clock.now(),
            )
        )
    resp = kiosk.ticket("ZH", key="k-corrupt")
    body = assert_error(resp, 500, "E-SRV-01")
    assert "Traceback" not in body["error"]["message"]
    assert kiosk.get("/queue/services").status_code == 200  # the server carries on
