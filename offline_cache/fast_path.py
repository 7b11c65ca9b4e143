"""The online fast path's one decision: after a record is durable in the outbox, try to
deliver it now, within a bounded wait, and say what happened:

- `sent`: the server took it (its reply is there); connectivity is marked good;
- `queued`: it stays in the outbox for the syncer — the server was unreachable, slow or
  failing (connectivity learns of it), the kiosk is known to be offline or not enrolled,
  or its credentials were refused (the record waits for re-enrolment, it is not lost);
- `refused`: the server refused it by a rule (a cap, a limit, a closed service): the citizen
  must be told, with the error.

Tickets, applications and evaluations all go through `try_now` (kiosk/tickets.py,
kiosk/core.py), so the ladder is written once. `Online` is what a use case holds to reach
the server: the client, the connectivity it reports to, and the bounded wait.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from common.errors import KioskError
from offline_cache.client import HallClient
from offline_cache.connectivity import Connectivity
from offline_cache.outbox import AUTH, TRANSIENT, Outbox

log = logging.getLogger(__name__)

Outcome = Literal["sent", "queued", "refused"]


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    reply: dict[str, Any] = field(default_factory=dict)  # the server's reply when sent
    error: KioskError | None = None  # why it was queued or refused


@dataclass(frozen=True)
class Online:
    client: HallClient | None  # None until the kiosk is enrolled
    connectivity: Connectivity
    timeout: tuple[float, float]  # a citizen waits on it: (connect, read) seconds

    def reachable(self) -> bool:
        """Worth asking the server now (enrolled, not known to be offline)."""
        return self.client is not None and self.connectivity.state != "offline"

    def try_now(self, outbox: Outbox, key: str) -> Attempt:
        return try_now(outbox, self.client, self.connectivity, key, timeout=self.timeout)


def try_now(
    outbox: Outbox,
    client: HallClient | None,
    connectivity: Connectivity,
    key: str,
    *,
    timeout: tuple[float, float],
) -> Attempt:
    """Deliver the outbox record `key` now if the server may be reached; never raises for
    the server's answer (a refusal is an `Attempt`)."""
    if client is None or connectivity.state == "offline":
        return Attempt("queued")
    try:
        reply = outbox.send_now(client, key, timeout=timeout)
    except KioskError as exc:
        if exc.code in TRANSIENT:
            connectivity.failure(exc.code)
            return Attempt("queued", error=exc)
        if exc.code in AUTH:
            log.error("record %s waits: kiosk credentials refused (%s)", key, exc.code)
            return Attempt("queued", error=exc)
        return Attempt("refused", error=exc)
    connectivity.success()
    return Attempt("sent", reply=reply)
