"""Device events in a running kiosk: the ID card reader and the scanner are simulators on
ptys, read by the kiosk's own serial drivers on its device I/O thread (started as `kiosk run`
starts it); the screens act on what the citizen does with the card and the codes."""

from __future__ import annotations

import uuid

import pytest
import requests

from kiosk.ops.credentials import load_credentials
from tests.ui.test_progress_flow import _demo_application
from tests.ui.ui_support import run_ui

pytestmark = pytest.mark.ui


def _take_ticket(hall, kiosk) -> dict:
    """A ticket taken earlier (at this kiosk's hall), as its QR carries it."""
    token = load_credentials(kiosk.home).token
    services = requests.get(f"{hall.url}/api/v1/queue/services", timeout=10).json()["services"]
    service = next(s for s in services if s["open"])
    reply = requests.post(
        f"{hall.url}/api/v1/queue/tickets",
        json={"service": service["code"]},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
        timeout=10,
    )
    reply.raise_for_status()
    return reply.json()


def test_card_and_codes_reach_the_screens_through_the_device_thread(hall, kiosk):
    application = _demo_application()
    ticket = _take_ticket(hall, kiosk)
    # called to a counter of its own: the screen must show the live status, and the hall's
    # waiting queue is left as the other UI tests expect it
    token = hall.counter_token()
    hall.call_until(token, ticket["id"], ticket["service"], counter="09")
    # a second ticket whose citizen did not come when called (过号)
    no_show = _take_ticket(hall, kiosk)
    hall.call_until(token, no_show["id"], no_show["service"], counter="08")
    requests.post(
        f"{hall.url}/api/v1/queue/counters/08/no-show",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).raise_for_status()
    seen = run_ui(
        kiosk,
        "device_events",
        timeout=120,
        devices=True,
        params={
            "base_url": hall.url,
            "number": application["number"],
            "ticket_url": ticket["url"],
            "no_show_url": no_show["url"],
            "form": "F-SFZ-01",
        },
    )
    assert seen["home_notice"] == "已读取身份证，请选择要办理的业务"
    # the receipt's QR opened its progress: the number taken from the code, the record shown
    assert seen["progress"] == {"step": "results", "error": "", "typed": application["number"]}
    # the ticket's QR showed that ticket with its live status from the hall server (called)
    assert seen["ticket"]["heading"] == "号票状态"
    assert seen["ticket"]["number"] == ticket["number"]
    assert seen["ticket"]["status_code"] == "called"
    assert seen["ticket"]["status"] == "已叫号，请到 09 号窗口办理"
    # a no-show's QR: the requeue is offered once; taken, the ticket waits again
    assert seen["no_show"] == {
        "status": "已过号，可重新排队一次",
        "offered": True,
        "button": "重新排队",
    }
    assert seen["requeued"] == {"status": "排队等候中", "requeues": 1, "offered": False}
    # the requeued ticket is called again, so the hall's waiting queue is left as it was
    hall.call_until(token, no_show["id"], no_show["service"], counter="08")
    # the card placed on the form filled it; lifting it ended the session and wiped the form
    assert "name" in seen["filled"] and seen["card_in_use"]
    assert seen["after_lift"] == {"form_values": {}, "card": None, "screen": "home"}
