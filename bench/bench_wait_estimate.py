"""Wait-estimate benchmark (not part of CI): synthetic hall days replayed through the real hall
server (in a thread, real HTTP on loopback) with its injectable clock, comparing each ticket's
estimate at issue with the wait it then had (issue → first call).

Baseline, same run and same tickets: the kiosk's old constant, 4 minutes per person ahead.
Target (issue 12): median absolute error at least 2× smaller than the baseline's for tickets
with 5 or more people ahead.

The hall: services A (counters 1, 2, 3) and B (counters 3, 4: counter 3 serves both, 1/2 each);
arrivals by hour with a morning peak; service times log-normal (skewed: most short, some very
long; A median 6 min, B 11 min); counter 4 opens at 10:00, counter 2 is paused over lunch and
counter 1 closes at 16:00; 8 % of the called do not come (no-show after 1 minute). Each shape
(seed) is a different hall week. The estimator's 30 s cache is off here (simulated time runs
far faster than the wall clock).

    .venv/bin/python bench/bench_wait_estimate.py [--days 3] [--seeds 1 2 3]
"""

from __future__ import annotations

import argparse
import heapq
import os
import random
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hall_server.clock import SettableClock  # noqa: E402
from hall_server.services_import import import_services  # noqa: E402
from tests.support.server import start_server_thread  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")
SERVICES = """
[[service]]
code = "A"
name = "综合受理"
prefix = "A"
counters = ["1", "2", "3"]

[[service]]
code = "B"
name = "不动产登记"
prefix = "B"
counters = ["3", "4"]
"""
COUNTER_SERVICES = {"1": ["A"], "2": ["A"], "3": ["A", "B"], "4": ["B"]}
# arrivals per hour (A, B) from 08:30 to 17:00: a morning peak, a lunch dip
RATES = {8: (14, 4), 9: (30, 8), 10: (34, 9), 11: (24, 7), 12: (10, 3), 13: (16, 5),
         14: (24, 7), 15: (20, 6), 16: (10, 3)}
MEDIAN_MIN = {"A": 6.0, "B": 11.0}
SIGMA = 0.6
NO_SHOW = 0.08
BASELINE_MIN_PER_PERSON = 4


@dataclass
class Issued:
    ahead: int
    estimate: int | None
    at: datetime
    called: datetime | None = None


@dataclass(order=True)
class Event:
    at: datetime
    seq: int
    kind: str = field(compare=False)
    arg: str = field(compare=False, default="")


def counter_schedule(day: date) -> list[tuple[datetime, str, str]]:
    def t(h: int, m: int = 0) -> datetime:
        return datetime.combine(day, time(h, m), tzinfo=ZONE)

    return [(t(8, 30), "1", "open"), (t(8, 30), "2", "open"), (t(8, 30), "3", "open"),
            (t(10), "4", "open"), (t(12), "2", "pause"), (t(13, 30), "2", "open"),
            (t(16), "1", "close"), (t(17, 30), "2", "close"), (t(17, 30), "3", "close"),
            (t(17, 30), "4", "close")]


def run_day(hall, kiosk, counter, day: date, rng: random.Random, issued: dict[str, Issued]):
    clock = hall.clock
    events: list[Event] = []
    seq = 0

    def push(at: datetime, kind: str, arg: str = "") -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, Event(at, seq, kind, arg))

    for at, code, action in counter_schedule(day):
        push(at, "state", f"{code}:{action}")
    for hour, rates in RATES.items():
        for service, rate in zip(("A", "B"), rates, strict=True):
            start = datetime.combine(day, time(hour, 30 if hour == 8 else 0), tzinfo=ZONE)
            end = start + timedelta(minutes=30 if hour == 8 else 60)
            at = start
            while True:
                at += timedelta(minutes=rng.expovariate(rate / 60))
                if at >= end:
                    break
                push(at, "arrive", service)
    state = {code: "closed" for code in COUNTER_SERVICES}
    busy: set[str] = set()
    while events:
        ev = heapq.heappop(events)
        clock.set(ev.at)
        if ev.kind == "state":
            code, action = ev.arg.split(":")
            state[code] = action
            if action != "open":
                if code not in busy:  # a busy counter finishes its citizen first
                    counter.post(f"/queue/counters/{code}/{action}", {})
                continue
            counter.post(f"/queue/counters/{code}/open", {})
            push(ev.at, "free", code)
        elif ev.kind == "arrive":
            reply = kiosk.ticket(ev.arg).json()
            issued[reply["id"]] = Issued(reply["people_ahead"], reply["estimated_wait_min"], ev.at)
            for code, services in COUNTER_SERVICES.items():
                if state[code] == "open" and code not in busy and ev.arg in services:
                    push(ev.at, "free", code)
        elif ev.kind == "free":
            code = ev.arg
            if state[code] != "open" or code in busy:
                if state[code] != "open":
                    counter.post(f"/queue/counters/{code}/{state[code]}", {})
                continue
            resp = counter.post(f"/queue/counters/{code}/call-next",
                                {"services": COUNTER_SERVICES[code]})
            if resp.status_code != 200:
                continue  # nobody waiting: woken by the next arrival
            ticket = resp.json()
            if ticket["id"] in issued and issued[ticket["id"]].called is None:
                issued[ticket["id"]].called = ev.at
            busy.add(code)
            if rng.random() < NO_SHOW:
                push(ev.at + timedelta(minutes=1), "no-show", code)
            else:
                counter.post(f"/queue/counters/{code}/start", {})
                minutes = rng.lognormvariate(0, SIGMA) * MEDIAN_MIN[ticket["service"]]
                push(ev.at + timedelta(minutes=minutes), "finish", code)
        elif ev.kind in ("finish", "no-show"):
            counter.post(f"/queue/counters/{ev.arg}/{ev.kind}", {})
            busy.discard(ev.arg)
            push(ev.at, "free", ev.arg)


def errors(issued: dict[str, Issued]) -> tuple[list[float], list[float], int, int]:
    ours, base, no_basis, total = [], [], 0, 0
    for t in issued.values():
        if t.called is None or t.ahead < 5:
            continue
        total += 1
        waited = (t.called - t.at).total_seconds() / 60
        if t.estimate is None:
            no_basis += 1
            continue
        ours.append(abs(t.estimate - waited))
        base.append(abs(BASELINE_MIN_PER_PERSON * t.ahead - waited))
    return ours, base, no_basis, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; {args.days} hall days per seed; "
          "tickets with ≥ 5 ahead; error = |estimate − wait| in minutes")
    print(f"{'seed':>4} {'tickets':>8} {'no basis':>9} {'ours p50':>9} {'4-min p50':>10} "
          f"{'ratio':>6} {'ours p90':>9} {'4-min p90':>10}")
    all_ours, all_base = [], []
    for seed in args.seeds:
        rng = random.Random(seed)
        monday = date(2025, 3, 17)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "services.toml"
            path.write_text(SERVICES)
            clock = SettableClock(datetime.combine(monday, time(8), tzinfo=ZONE), frozen=True)
            with start_server_thread(Path(tmp) / "hall", clock=clock) as hall:
                import_services(hall.database, path, clock=clock)
                hall.ctx.estimator.ttl = 0.0
                kiosk, counter = hall.api(), hall.api("counter")
                issued: dict[str, Issued] = {}
                for d in range(args.days):
                    run_day(hall, kiosk, counter, monday + timedelta(days=d), rng, issued)
        ours, base, no_basis, total = errors(issued)
        all_ours += ours
        all_base += base
        p50o, p50b = statistics.median(ours), statistics.median(base)
        p90o = statistics.quantiles(ours, n=10)[-1]
        p90b = statistics.quantiles(base, n=10)[-1]
        print(f"{seed:>4} {total:>8} {no_basis:>9} {p50o:>9.1f} {p50b:>10.1f} "
              f"{p50b / p50o:>6.1f} {p90o:>9.1f} {p90b:>10.1f}")
    p50o, p50b = statistics.median(all_ours), statistics.median(all_base)
    print(f"{'all':>4} {len(all_ours):>8} {'':>9} {p50o:>9.1f} {p50b:>10.1f} {p50b / p50o:>6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
