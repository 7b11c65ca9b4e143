"""A kiosk that issues tickets and submits forms until killed (crash-safety tests).

    KIOSK_HOME=… python -m tests.support.kiosk_worker SERVICE [SERVICE …]

Tickets rotate over the services given, so no single service's daily cap is reached; every
other ticket is printed (a kiosk whose printer is out hands the number over on screen only).
Like `kiosk run`, it first voids what the previous run saved but never handed over.

Prints `ready` once the core is open, then one line per completed action; `ticket NUMBER` once
the ticket is shown (the citizen holds it). With CRASH_WORKER_DIE_UNSHOWN=N it SIGKILLs itself
after saving its N-th ticket and before showing it: the instant a phantom was born. With
CRASH_WORKER_IDLE=1 it only voids, says `ready` and waits to be killed (a last start that must
not take a ticket of its own).
"""

from __future__ import annotations

import json
import os
import signal
import sys

from common.paths import config_dir
from kiosk.core import KioskCore


def main() -> None:
    services = sys.argv[1:]
    die_unshown = int(os.environ.get("CRASH_WORKER_DIE_UNSHOWN") or 0)
    demo = json.loads((config_dir() / "demo" / "applications.jsonl").read_text().splitlines()[0])
    core = KioskCore.open()
    core.void_not_handed_over()
    print("ready", flush=True)
    if os.environ.get("CRASH_WORKER_IDLE"):
        signal.pause()
    i = 0
    while True:
        i += 1
        ticket = core.take_ticket(services[i % len(services)], print_slip=i % 2 == 0)
        if i == die_unshown:
            os.kill(os.getpid(), signal.SIGKILL)
        core.ticket_shown(ticket.id)
        print(f"ticket {ticket.number}", flush=True)
        if i % 3 == 0:
            view = core.submit_application(demo["form"], demo["fields"], item=demo["item"])
            core.receipt_shown(view.local_id)
            print(f"application {view.status} {view.number}", flush=True)
        if i % 5 == 0:
            core.sync_once(pull_catalog=False)


if __name__ == "__main__":
    main()
