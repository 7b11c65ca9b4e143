"""Outbox drain throughput over loopback: N queued submissions, delivered exactly once.

    .venv/bin/python bench/bench_drain.py [--count 10000]

Queues tickets (offline numbers, several services) and applications while the kiosk is
offline, then times `Outbox.drain` (batched POST /api/v1/sync/push). Baseline in the same run:
one request per record (the single-record routes) for the first 500 records of a second kiosk.
Checks exactly-once on the server afterwards. Target: ≥ 500 records/s.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def queue(core, count: int, demo: dict) -> None:
    services = [s.code for s in core.list_services() if s.open][:6]
    core.connectivity.failure("E-NET-01")  # force the offline path for queuing
    for i in range(count):
        if i % 5 == 4:
            core.submit_application(demo["form"], demo["fields"], item=demo["item"])
        else:
            core.take_ticket(services[i % len(services)], print_slip=False)


def kiosk(server, tmp: Path, name: str):
    from common.settings import load_settings
    from kiosk.core import KioskCore
    from kiosk.ops.provisioning import ProvisionRequest, provision

    home = tmp / name
    home.mkdir()
    settings = load_settings(overrides={"printer": {"target": "sim"}},
                             environ={"KIOSK_HOME": str(home)})
    provision(settings, home, ProvisionRequest(server=server.url,
                                               code=server.enroll_code(role="kiosk"), name=name))
    return KioskCore(settings, home)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--baseline", type=int, default=500)
    args = parser.parse_args()

    from common.paths import config_dir
    from tests.support.server import start_server_process

    demo = json.loads((config_dir() / "demo" / "applications.jsonl").read_text().splitlines()[0])
    tmp = Path(tempfile.mkdtemp(prefix="bench-drain-"))
    server = start_server_process(tmp / "server", demo=True)
    try:
        core = kiosk(server, tmp, "DRAIN-K1")
        t0 = time.perf_counter()
        queue(core, args.count, demo)
        queue_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        pushed = 0
        while True:
            report = core.outbox.drain(core.client, deadline=600)
            pushed += report.pushed
            if not report.pushed:
                break
        drain_s = time.perf_counter() - t0
        counts = core.outbox.counts()
        device = core.credentials.device_id
        core.close()

        base = kiosk(server, tmp, "DRAIN-K2")
        queue(base, args.baseline, demo)
        keys = [r["key"] for r in base.outbox.list(("pending",), limit=args.baseline)]
        t0 = time.perf_counter()
        for key in keys:
            base.outbox.send_now(base.client, key, timeout=(1.5, 10))
        single_s = time.perf_counter() - t0
        base.close()
        server.stop()

        hall = sqlite3.connect(server.data_dir / "hall.sqlite3")
        total, distinct = hall.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM idempotency "
                                       "WHERE device_id = ?", (device,)).fetchone()
        print(f"{'path':<34}{'records':>9}{'seconds':>10}{'records/s':>11}")
        print(f"{'queue locally (offline)':<34}{args.count:>9}{queue_s:>10.2f}"
              f"{args.count / queue_s:>11.0f}")
        print(f"{'drain, batched /sync/push':<34}{pushed:>9}{drain_s:>10.2f}"
              f"{pushed / drain_s:>11.0f}")
        print(f"{'baseline: one request per record':<34}{len(keys):>9}{single_s:>10.2f}"
              f"{len(keys) / single_s:>11.0f}")
        print(f"outbox after: {counts}; server rows {total}, distinct keys {distinct} "
              f"({'exactly once' if total == distinct == args.count else 'MISMATCH'}); "
              f"target ≥ 500/s: {'met' if pushed / drain_s >= 500 else 'MISSED'}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
