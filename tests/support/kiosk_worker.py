"""A kiosk that issues tickets and submits forms until killed (crash-safety tests).

    KIOSK_HOME=… python -m tests.support.kiosk_worker SERVICE [SERVICE …]

Tickets rotate over the services given, so no single service's daily cap is reached.

Prints `ready` once the core is open, then one line per completed action.
"""

from __future__ import annotations

import json
import sys

from common.paths import config_dir
from kiosk.core import KioskCore


def main() -> None:
    services = sys.argv[1:]
    demo = json.loads((config_dir() / "demo" / "applications.jsonl").read_text().splitlines()[0])
    core = KioskCore.open()
    print("ready", flush=True)
    i = 0
    while True:
        i += 1
        ticket = core.take_ticket(services[i % len(services)], print_slip=True)
        print(f"ticket {ticket.number}", flush=True)
        if i % 3 == 0:
            view = core.submit_application(demo["form"], demo["fields"], item=demo["item"])
            print(f"application {view.status} {view.number}", flush=True)
        if i % 5 == 0:
            core.sync_once(pull_catalog=False)


if __name__ == "__main__":
    main()
