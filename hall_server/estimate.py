"""Wait estimates from the hall's own history (issue 12), the same on every channel.

estimate = people ahead × typical service time ÷ counters serving the service now.
- Typical service time: the mean start → finish of the service's recent served tickets (a
  queue drains at the mean rate: with skewed service times the median made estimates 1.5×
  better than 4 min/person, the mean 3.1×, bench/bench_wait_estimate.py):
  today's when there are MIN_SAMPLES of them, else those of the last working days (up to
  LOOKBACK_DAYS back), else the service's `default_service_min` from the queue services file.
  With none of these there is no basis, and the estimate is None ("暂无估计"), never a guess.
- Capacity: every open or paused (on a break) counter that serves the service, a counter
  serving k services counting 1/k for each. No such counter: no estimate (nobody will call).
Figures are cached per service for CACHE_SECONDS so the ticket path adds no query of a size
that grows with the day.
"""

from __future__ import annotations

import json
import math
import statistics
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, select

from hall_server.clock import as_utc
from hall_server.schema import hall_counters, queue_services, tickets

MIN_SAMPLES = 5
RECENT = 50  # the most recent finished tickets the mean is taken over
LOOKBACK_DAYS = 14
CACHE_SECONDS = 30.0
# A paused counter is on a break and comes back within a typical wait: counting it cut the
# median error from 1.9× to 2.1× better than 4 min/person and p90 from 35 to 25 min
# (bench/bench_wait_estimate.py); a closed counter is gone for the day.
STAFFED_STATES = ("open", "paused")


@dataclass(frozen=True)
class ServiceRate:
    typical_s: float | None  # mean service time, None without a basis
    basis: str  # today, recent, default, none
    counters: float  # staffed counters serving it (1/k for a counter of k services)

    def minutes(self, ahead: int) -> int | None:
        if self.typical_s is None or self.counters <= 0:
            return None
        if ahead <= 0:
            return 0
        return max(1, round(ahead * self.typical_s / self.counters / 60))


def _durations(conn: Connection, service: str, since: date, until: date) -> list[float]:
    t = tickets.c
    rows = conn.execute(
        select(t.started_at, t.finished_at)
        .where(
            t.service == service,
            t.status == "served",
            t.business_date >= since,
            t.business_date <= until,
            t.started_at.is_not(None),
            t.finished_at.is_not(None),
        )
        .order_by(t.finished_at.desc())
        .limit(RECENT)
    ).all()
    out = []
    for started, finished in rows:
        seconds = (as_utc(finished) - as_utc(started)).total_seconds()
        if seconds > 0:
            out.append(seconds)
    return out


def typical_service_s(
    conn: Connection, service: str, today: date, default_min: int
) -> tuple[float | None, str]:
    samples = _durations(conn, service, today, today)
    if len(samples) >= MIN_SAMPLES:
        return statistics.fmean(samples), "today"
    samples = _durations(conn, service, today - timedelta(days=LOOKBACK_DAYS), today)
    if len(samples) >= MIN_SAMPLES:
        return statistics.fmean(samples), "recent"
    if default_min > 0:
        return default_min * 60.0, "default"
    return None, "none"


def open_capacity(conn: Connection) -> dict[str, float]:
    """Per service: the staffed (open or paused) counters serving it, 1/k of its k services."""
    services = {
        r.code: json.loads(r.counters or "[]")
        for r in conn.execute(select(queue_services.c.code, queue_services.c.counters))
    }
    serves: dict[str, list[str]] = {}
    for code, counters in services.items():
        for counter in counters:
            serves.setdefault(counter, []).append(code)
    staffed = conn.execute(
        select(hall_counters.c.code).where(hall_counters.c.state.in_(STAFFED_STATES))
    )
    open_now = {r.code for r in staffed}
    capacity: dict[str, float] = {}
    for counter, codes in serves.items():
        if counter in open_now:
            for code in codes:
                capacity[code] = capacity.get(code, 0.0) + 1.0 / len(codes)
    return capacity


class WaitEstimator:
    """Per-process cache of each service's rate (a few queries every CACHE_SECONDS)."""

    def __init__(self, ttl: float = CACHE_SECONDS) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._rates: dict[str, ServiceRate] = {}
        self._day: date | None = None
        self._at = -math.inf

    def rate(self, conn: Connection, service: str, today: date) -> ServiceRate:
        with self._lock:
            fresh = self._day == today and time.monotonic() - self._at < self.ttl
            if not fresh:
                self._rates = self._compute(conn, today)
                self._day, self._at = today, time.monotonic()
            return self._rates.get(service, ServiceRate(None, "none", 0.0))

    def minutes(self, conn: Connection, service: str, ahead: int, today: date) -> int | None:
        return self.rate(conn, service, today).minutes(ahead)

    def forget(self) -> None:
        """Drop the cache (tests moving the clock, a reloaded services file)."""
        with self._lock:
            self._at = -math.inf

    @staticmethod
    def _compute(conn: Connection, today: date) -> dict[str, ServiceRate]:
        capacity = open_capacity(conn)
        rows = conn.execute(select(queue_services.c.code, queue_services.c.default_service_min))
        rates = {}
        for row in rows:
            typical, basis = typical_service_s(conn, row.code, today, row.default_service_min)
            rates[row.code] = ServiceRate(typical, basis, capacity.get(row.code, 0.0))
        return rates


def attach(ticket: dict[str, Any], estimator: WaitEstimator, conn: Connection, today: date) -> dict:
    """A ticket reply with its estimate (None unless it waits and there is a basis)."""
    waiting = ticket.get("status") == "waiting"
    ahead = int(ticket.get("people_ahead") or 0)
    minutes = estimator.minutes(conn, ticket["service"], ahead, today) if waiting else None
    return ticket | {"estimated_wait_min": minutes}


def ticket_status(ctx: Any, ticket_id: str, base_url: str) -> dict:
    """A ticket as the citizen sees it (API and phone page): live place and estimate."""
    from hall_server.queue import get_ticket

    today = ctx.today()
    with ctx.database.read() as conn:
        ticket = get_ticket(
            conn,
            ticket_id,
            today=today,
            base_url=base_url,
            priority_run=ctx.settings.queue.priority_run,
        )
        return attach(ticket, ctx.estimator, conn, today)
