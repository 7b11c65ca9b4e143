"""Wrong kiosk clocks (issue 15): retry schedules survive the clock being set back or forward,
offline tickets are filed on the hall's business day even when the kiosk's clock runs hours
behind, and a clock more than a minute off shows in the doctor and on the fleet page."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.support.kiosk_hall import Hall, sync_until_delivered, take

HALL_TZ = ZoneInfo("Asia/Shanghai")
SIX_HOURS = 6 * 3600


@pytest.fixture
def hall(tmp_path):
    h = Hall(tmp_path)
    yield h
    h.close()


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
    from kiosk.ops import heartbeat
    from kiosk.ops.doctor import run_doctor
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
