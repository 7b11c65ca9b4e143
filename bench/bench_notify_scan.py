"""What the SMS watcher costs the hall server: call-next latency over real HTTP with N waiting
tickets carrying a number (the watcher scanning after every call) against the same hall with no
numbers (baseline, same run), and the time of one watcher scan.

    .venv/bin/python bench/bench_notify_scan.py --tickets 300 --phones 100 --calls 60
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.server import start_server_thread  # noqa: E402

SERVICE, COUNTER = "ZHSL", "01"


def run(tickets: int, phones: int, calls: int) -> tuple[list[float], list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server_thread(Path(tmp), demo=True)
        try:
            kiosk, counter = server.api("kiosk"), server.api("counter")
            ids = []
            for _ in range(tickets):
                resp = kiosk.post("/queue/tickets", {"service": SERVICE})
                assert resp.status_code == 201, resp.text
                ids.append(resp.json()["id"])
            for i, ticket_id in enumerate(ids[-phones:] if phones else []):
                body = {"target": "ticket", "ref": ticket_id, "phone": f"139{i:08d}"}
                assert kiosk.post("/notify/phones", body).status_code == 201
            watcher = server.ctx.background.notify
            watcher.dispatcher.join(30)
            latencies, scans = [], []
            for _ in range(calls):
                start = time.perf_counter()
                resp = counter.post(f"/queue/counters/{COUNTER}/call-next", {})
                latencies.append((time.perf_counter() - start) * 1000)
                assert resp.status_code == 200, resp.text
                start = time.perf_counter()
                watcher.scan()
                scans.append((time.perf_counter() - start) * 1000)
            return latencies, scans
        finally:
            server.stop()


def p(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=300)
    ap.add_argument("--phones", type=int, default=100)
    ap.add_argument("--calls", type=int, default=60)
    a = ap.parse_args()
    base, base_scan = run(a.tickets, 0, a.calls)
    with_phones, scans = run(a.tickets, a.phones, a.calls)
    print("| hall | call-next p50 ms | p99 ms | watcher scan p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|")
    for name, lat, sc in (("baseline: no numbers", base, base_scan),
                          (f"{a.phones} waiting tickets with numbers", with_phones, scans)):
        print(f"| {name} | {statistics.median(lat):.1f} | {p(lat, .99):.1f} | "
              f"{statistics.median(sc):.1f} | {p(sc, .99):.1f} |")
    print(f"ratio call-next p50 with/without: {statistics.median(with_phones) / statistics.median(base):.2f}")


if __name__ == "__main__":
    main()
