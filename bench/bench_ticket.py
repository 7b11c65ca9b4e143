"""Ticket issue latency: kiosk use case → hall server → printed bytes, over loopback.

    .venv/bin/python bench/bench_ticket.py [--count 300]

Starts a real hall server (subprocess, demo data, SQLite), enrols a kiosk in a temp KIOSK_HOME
and times `KioskCore.take_ticket(print_slip=True)` to a `file:` printer. The baseline in the
same run is the bare HTTP round trip of GET /health, the floor of any call. Target: p99 ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()

    from common.settings import load_settings
    from kiosk.core import KioskCore
    from kiosk.ops.provisioning import ProvisionRequest, provision
    from tests.support.server import start_server_process

    tmp = Path(tempfile.mkdtemp(prefix="bench-ticket-"))
    server = start_server_process(tmp / "server", demo=True)
    try:
        code = server.enroll_code(role="kiosk")
        home = tmp / "kiosk"
        home.mkdir()
        printer = tmp / "printer.bin"
        settings = load_settings(overrides={"printer": {"target": f"file:{printer}"}},
                                 environ={"KIOSK_HOME": str(home)})
        provision(settings, home, ProvisionRequest(server=server.url, code=code, name="bench"))
        core = KioskCore(settings, home)
        service = core.list_services()[0].code
        for _ in range(10):
            core.take_ticket(service, print_slip=True)
        rows = {}
        health, tickets = [], []
        for _ in range(args.count):
            t0 = time.perf_counter()
            core.client.health()
            health.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            core.take_ticket(service, print_slip=True)
            tickets.append((time.perf_counter() - t0) * 1000)
        rows["GET /health (baseline)"] = health
        rows["take_ticket + print"] = tickets
        core.close()
        print(f"{'path':<26}{'n':>6}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
        for name, values in rows.items():
            print(f"{name:<26}{len(values):>6}{pct(values, 50):>10.2f}{pct(values, 99):>10.2f}"
                  f"{statistics.fmean(values):>10.2f}")
        print(f"printed bytes: {printer.stat().st_size}; target p99 ≤ 50 ms: "
              f"{'met' if pct(tickets, 99) <= 50 else 'MISSED'}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
