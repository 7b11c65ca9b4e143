"""Wrong kiosk clocks (issue 15): retry schedules survive the clock being set back or forward,
offline tickets are filed on the hall's business day even when the kiosk's clock runs hours
behind, and a clock more than a minute off shows in the doctor and on the fleet page."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.support.chaos_proxy import ChaosProxy
from tests.support.server import isolated_settings, start_server_thread

HALL_TZ = ZoneInfo("Asia/Shanghai")
SIX_HOURS = 6 * 3600


class Hall:
    """A hall server on a settable clock, a link the test can cut, an enrolled KioskCore."""

    def __init__(self, tmp_path, server_start: datetime | None = None) -> None:
        from hall_server.clock import SettableClock
        from kiosk.core import KioskCore
        from kiosk.provisioning import ProvisionRequest, provision

        self.server = start_server_thread(
            tmp_path / "hall", demo=True, clock=SettableClock(server_start)
        )
        self.proxy = ChaosProxy(int(self.server.url.rsplit(":", 1)[1]))
        settings = isolated_settings(tmp_path / "k", {"printer": {"target": "sim"}})
        home = tmp_path / "kiosk"
        provision(settings, home, ProvisionRequest(
            server=self.proxy.url, code=self.server.enroll_code(), name="CLOCK-K1"))
        self.core = KioskCore(settings, home)

    def link(self, up: bool) -> None:
        self.proxy.faults.drop = 0.0 if up else 1.0
        if up:
            self.core.connectivity.success()

    def server_ticket(self, number: str) -> sqlite3.Row:
        conn = sqlite3.connect(self.server.data_dir / "hall.sqlite3")
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute("SELECT * FROM tickets WHERE number = ?", (number,)).fetchone()
        finally:
            conn.close()

    def close(self) -> None:
        self.core.close()
        self.proxy.stop()
        self.server.stop()


@pytest.fixture
def hall(tmp_path):
    h = Hall(tmp_path)
    yield h
    h.close()


def take(core, service: str = "ZHSL"):
    from kiosk.tickets import take_ticket

    return take_ticket(core, service, print_slip=False)


def test_a_clock_set_back_does_not_block_the_stream(hall):
    """Clock at +6 h: an offline ticket is taken and its retry scheduled; the clock is put
    back and another ticket taken. Both must go at the next sync once the link is back (today
    the first waits 6 hours, and the stream, sent strictly in order, with it)."""
    core = hall.core
    hall.link(False)
    core.outbox.clock = lambda: time.time() + SIX_HOURS
    first = take(core)
    assert first.offline
    stored = core.outbox.get(first.id)["next_attempt_at"]
    assert stored > time.time() + SIX_HOURS - 60  # scheduled by the clock that ran ahead
    core.sync_once(pull_catalog=False)  # offline: nothing moves
    core.outbox.clock = time.time  # the technician sets the clock right
    second = take(core)
    assert second.offline
    hall.link(True)
    result = sync_until_delivered(core, within=3.0)  # a few syncs, not six hours
    assert result.pending == 0, result.to_json()
    for ticket in (first, second):
        assert core.outbox.get(ticket.id)["state"] == "sent"
        assert hall.server_ticket(ticket.number) is not None


def test_a_clock_set_forward_only_makes_retries_come_early(hall):
    core = hall.core
    hall.link(False)
    ticket = take(core)
    hall.link(True)
    core.outbox.clock = lambda: time.time() + SIX_HOURS
    assert core.sync_once(pull_catalog=False).pending == 0
    assert core.outbox.get(ticket.id)["state"] == "sent"


def test_retries_in_the_future_within_the_backoff_still_wait(hall):
    """The clamp only catches clocks set back: a normal backoff is kept."""
    core = hall.core
    hall.link(False)
    ticket = take(core)
    with core.store.transaction() as conn:
        conn.execute("UPDATE outbox SET next_attempt_at = ? WHERE key = ?",
                     (time.time() + 120, ticket.id))
    hall.link(True)
    assert core.sync_once(pull_catalog=False).pending >= 1
    assert core.outbox.get(ticket.id)["state"] in ("pending", "sending")  # not yet sent


def sync_until_delivered(core, within: float = 5.0):
    """Sync until nothing is pending (the failed fast path left a backoff of up to 1 s)."""
    deadline = time.monotonic() + within
    while True:
        result = core.sync_once(pull_catalog=False)
        if result.pending == 0 or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def _next_hall_one_am(after: datetime) -> datetime:
    local = after.astimezone(HALL_TZ) + timedelta(days=1)
    return local.replace(hour=1, minute=0, second=0, microsecond=0)


def test_offline_ticket_of_a_kiosk_running_behind_is_filed_on_the_halls_day(tmp_path):
    """The kiosk's clock runs hours behind the hall: it is still yesterday on the kiosk when
    the hall is past midnight. The kiosk measured the offset at its last sync; an offline
    ticket taken now belongs to the hall's today (it arrived `expired` on yesterday)."""
    server_now = _next_hall_one_am(datetime.now(UTC))
    h = Hall(tmp_path, server_start=server_now)
    try:
        core = h.core
        hall_today = server_now.astimezone(HALL_TZ).date()
        assert datetime.now(HALL_TZ).date() < hall_today  # the kiosk's own clock says yesterday
        core.sync_once(pull_catalog=False)  # measures the offset
        assert core.today() == hall_today
        h.link(False)
        ticket = take(core)
        assert ticket.offline
        local = core.store.query("SELECT business_date FROM ticket WHERE key = ?", (ticket.id,))
        assert local[0]["business_date"] == hall_today.isoformat()
        h.link(True)
        assert sync_until_delivered(core).pending == 0
        row = h.server_ticket(ticket.number)
        assert row["business_date"] == hall_today.isoformat() and row["status"] == "waiting"
    finally:
        h.close()


def test_hall_time_follows_a_clock_set_between_two_syncs(hall):
    """The offset was measured with the clock 10 h behind; the clock is then set right before
    the next sync. Hall time must not jump 10 h ahead in between."""
    from offline_cache.hall_time import hall_now, record_offset

    core = hall.core
    real = time.time()
    with core.store.transaction() as conn:  # measured while the clock was 10 h behind
        record_offset(core.store, conn, -36000.0, wall=real - 36000)
    now = hall_now(core.store, "Asia/Shanghai", wall=time.time)
    assert abs((now - datetime.now(UTC)).total_seconds()) < 5


def test_a_clock_off_by_more_than_a_minute_shows_in_doctor_and_fleet(tmp_path):
    from kiosk import heartbeat
    from kiosk.doctor import run_doctor
    from tests.support.server import Api

    h = Hall(tmp_path, server_start=datetime.now(UTC) + timedelta(minutes=10))
    try:
        core = h.core
        report = run_doctor(core)
        clock = {c.name: c for c in report.checks}["clock"]
        assert clock.status == "fault" and "NTP" in clock.hint
        heartbeat.enqueue(core, heartbeat.build(core, [], interval=60))
        assert core.sync_once(pull_catalog=False).pending == 0
        admin = Api(h.server.url, h.server.enroll("admin", "clock-admin")["token"])
        rows = admin.get("/fleet").json()["devices"]
        mine = next(r for r in rows if r["name"] == "CLOCK-K1")
        assert any("clock off by -6" in w and "NTP" in w for w in mine["warnings"]), mine
    finally:
        h.close()
