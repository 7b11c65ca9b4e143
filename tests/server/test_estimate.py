"""Wait estimates from the hall's history (issue 12): the mean service time of recent
served tickets × people ahead ÷ staffed (open or paused) counters (1/k for a counter of k services), "no basis"
(None) rather than an invented number, and the same figure on the ticket and the overview."""

from __future__ import annotations

from datetime import timedelta

from .test_api_basics import assert_error  # noqa: F401 (the one error helper of this suite)


def _serve(hall, counter, code, minutes):
    """Call, start and finish the next ZH ticket at `code`, taking `minutes` of service."""
    assert counter.post(f"/queue/counters/{code}/call-next", {"services": ["ZH"]}).status_code \
        == 200
    assert counter.post(f"/queue/counters/{code}/start", {}).status_code == 200
    hall.clock.set(hall.clock.now() + timedelta(minutes=minutes))
    assert counter.post(f"/queue/counters/{code}/finish", {}).status_code == 200


def test_no_history_and_no_default_is_no_estimate(hall, kiosk, counter):
    counter.post("/queue/counters/01/open", {})
    ticket = kiosk.ticket("ZH").json()
    assert ticket["estimated_wait_min"] is None  # 暂无估计, not "0 minutes"
    zh = next(s for s in kiosk.get("/queue/overview").json()["services"] if s["service"] == "ZH")
    assert zh["estimated_wait_min"] is None and zh["estimate_basis"] == "none"


def test_estimate_is_median_service_time_times_ahead_over_open_counters(hall, kiosk, counter):
    for code in ("01", "02"):
        assert counter.post(f"/queue/counters/{code}/open", {}).status_code == 200
    for minutes in (2, 3, 4, 5, 6):  # a mean of 4 min
        kiosk.ticket("ZH")
        _serve(hall, counter, "01", minutes)
    hall.ctx.estimator.forget()
    for _ in range(4):
        kiosk.ticket("ZH")
    fifth = kiosk.ticket("ZH").json()
    assert fifth["people_ahead"] == 4
    assert fifth["estimated_wait_min"] == 8  # 4 ahead × 4 min ÷ 2 counters
    again = kiosk.get(f"/queue/tickets/{fifth['id']}").json()
    assert again["estimated_wait_min"] == 8  # the same figure when the citizen looks again
    overview = kiosk.get("/queue/overview").json()
    zh = next(s for s in overview["services"] if s["service"] == "ZH")
    assert (zh["waiting"], zh["estimated_wait_min"], zh["estimate_basis"]) == (5, 10, "today")
    # a counter on a break comes back: the estimate stays
    assert counter.post("/queue/counters/02/pause", {}).status_code == 200
    hall.ctx.estimator.forget()
    assert kiosk.get(f"/queue/tickets/{fifth['id']}").json()["estimated_wait_min"] == 8
    # one counter closed for the day: half the capacity, twice the wait
    assert counter.post("/queue/counters/02/close", {}).status_code == 200
    hall.ctx.estimator.forget()
    assert kiosk.get(f"/queue/tickets/{fifth['id']}").json()["estimated_wait_min"] == 16
    # nobody open: no estimate at all
    assert counter.post("/queue/counters/01/close", {}).status_code == 200
    hall.ctx.estimator.forget()
    assert kiosk.get(f"/queue/tickets/{fifth['id']}").json()["estimated_wait_min"] is None


def test_a_counter_of_several_services_counts_one_kth_for_each(tmp_path):
    from hall_server.estimate import open_capacity
    from hall_server.services_import import import_services
    from tests.support.server import start_server_thread

    services = tmp_path / "services.toml"
    services.write_text(
        '[[service]]\ncode = "X"\nname = "X"\nprefix = "X"\ncounters = ["1", "2"]\n\n'
        '[[service]]\ncode = "Y"\nname = "Y"\nprefix = "Y"\ncounters = ["2", "3"]\n'
        "default_service_min = 10\n"
    )
    with start_server_thread(tmp_path / "hall") as hall:
        import_services(hall.database, services)
        counter = hall.api("counter")
        for code in ("1", "2"):
            assert counter.post(f"/queue/counters/{code}/open", {}).status_code == 200
        with hall.database.read() as conn:
            assert open_capacity(conn) == {"X": 1.5, "Y": 0.5}  # counter 3 is closed
        kiosk = hall.api()
        for _ in range(2):
            kiosk.ticket("Y")
        y = next(s for s in kiosk.get("/queue/overview").json()["services"] if s["service"] == "Y")
        # 2 ahead × 10 min (the file's default: no history yet) ÷ 0.5 counter
        assert (y["estimated_wait_min"], y["estimate_basis"]) == (40, "default")
