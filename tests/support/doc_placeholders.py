"""What the examples in docs/cli.md and docs/api.md stand for, on a demo server: the one place
where the docs' sample values become real ones (tests/test_doc_examples.py).

`prepare(server, work)` makes what the examples act on (a served ticket to rate, waiting
tickets to call, a kiosk to revoke, a device to revoke, a clerk signed in …) and returns the
environment the shell examples see ($S, $T …) and the literal replacements of sample values.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tests.support.server import Api, ThreadServer

# Demo data (common/defaults/demo/): an application, a holder with an appointment today.
DEMO_APPLICATION = "SQ202611204ZFTRMFNP1"
APPOINTMENT_HOLDER_ID = "110105198001091194"  # appointment 402817, service HZ
APPLICATION_HOLDER_ID = "110108198812010131"
PASSWORD = "demo-pass-1234"

# Fields whose values follow the state the examples left behind (counts, queue places):
# shown in the docs with a sample value, checked only for being there.
VOLATILE = frozenset({
    "people_ahead", "waiting", "issued_today", "longest_wait_s", "counters_open", "last_seen",
    "requeues", "pushed", "pulled", "pending", "booked", "available", "status_counts", "tag",
})


@dataclass
class Placeholders:
    env: dict[str, str]
    literal: dict[str, Any] = field(default_factory=dict)  # value or a callable for a new one
    aliases: dict[str, str] = field(default_factory=dict)  # in the output → as the doc shows

    def fill(self, command: str) -> str:
        """One pass: a callable gives a new value for each occurrence (enrolment codes)."""
        pattern = re.compile("|".join(re.escape(k) for k in sorted(self.literal, key=len,
                                                                   reverse=True)))

        def value(match: re.Match) -> str:
            found = self.literal[match.group(0)]
            return found() if callable(found) else found

        return pattern.sub(value, command)


def _next_working_day(after: date) -> date:
    from common.workdays import WorkCalendar

    calendar = WorkCalendar.load(None)
    day = after + timedelta(days=1)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def prepare(server: ThreadServer, work: Path) -> Placeholders:
    from common.holder import holder_hash

    admin = server.api("admin", "docs-admin")
    hall_key = server.ctx.hall_key
    # a ticket served at counter 02, to be rated; three waiting ones for the counters to call
    served = _served_ticket(admin)
    for _ in range(3):
        admin.post("/queue/tickets", json={"service": "ZHSL"}).raise_for_status()
    # a waiting ticket in a service no example calls: the SMS number example attaches to it
    sms_ticket = admin.post("/queue/tickets", json={"service": "SBYB"}).json()
    revoked_device = server.enroll("kiosk", "K9")
    server.enroll("kiosk", "K7")  # `kiosk admin revoke K7`
    (work / "hall-kiosks.toml").write_text("[kiosk]\nidle_timeout = 90\n", encoding="utf-8")
    (work / "common").symlink_to(Path(__file__).resolve().parents[2] / "common")
    env = {
        "S": server.url,
        "T": admin.token,
        "ADMIN_TOKEN": admin.token,
        "PASSWORD": PASSWORD,
    }
    literal: dict[str, Any] = {
        "https://hall.example:8470": server.url,
        "--ca-bundle hall-ca.pem ": "",  # the demo server speaks plain HTTP
        "--hardware standard-usb": "--hardware sim",  # no USB devices here: the simulators
        "7K2F-9QXD-M4TB": lambda: server.enroll_code("kiosk"),
        "K7QM-3XPA-9RTB": lambda: server.enroll_code("kiosk"),
        "/tmp/": f"{work}/tmp/",
        "9b9b…9b": holder_hash(hall_key, APPOINTMENT_HOLDER_ID),
        "3f2a…64 hex…": holder_hash(hall_key, APPLICATION_HOLDER_ID),
        "cca11b40-c89b-4dd0-8d16-5a6f21db29d8": revoked_device["device_id"],
        "aa91962e-aa60-4825-b419-14bc97cbecdf": served["id"],
        "473c9bf0-…": sms_ticket["id"],
        "SQ202503149KSP094XXS": DEMO_APPLICATION,
        "SQ20261120ABCDEFGHJK": DEMO_APPLICATION,
        "2025-03-17": _next_working_day(server.clock.now().date()).isoformat(),
        "0b7c…": lambda: str(uuid.uuid4()),
        "7d2f3a8b-…": lambda: str(uuid.uuid4()),
        "8e3a1c0d-…": lambda: str(uuid.uuid4()),
        "5e1d…": lambda: str(uuid.uuid4()),
    }
    (work / "tmp").mkdir()
    return Placeholders(env, literal, {f"{work}/tmp/": "/tmp/"})


def _served_ticket(admin: Api) -> dict[str, Any]:
    ticket = admin.post("/queue/tickets", json={"service": "ZHSL"}).json()
    base = "/queue/counters/02"
    for step, body in (("call-next", {"services": ["ZHSL"]}), ("start", None), ("finish", None)):
        reply = admin.post(f"{base}/{step}", json=body, key=None)
        assert reply.status_code == 200, reply.text
    return ticket


def dump(placeholders: Placeholders) -> str:
    """For a failure message: what the samples were replaced with."""
    shown = {k: (v if isinstance(v, str) else "<fresh each time>")
             for k, v in placeholders.literal.items()}
    return json.dumps(shown, ensure_ascii=False, indent=1)
