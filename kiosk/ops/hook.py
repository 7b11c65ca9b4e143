"""What the running kiosk does after each background sync pass besides syncing: note the
last good sync, send a heartbeat every `maintenance.heartbeat_interval` (or at once after a
call-staff request), and check for a new remote configuration every
`maintenance.config_interval`. Registered by `KioskCore.start_background()`; each step
throttles itself, and none runs in a one-off CLI `kiosk sync`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from typing import Any

from common.errors import KioskError

log = logging.getLogger(__name__)

# Each gap between heartbeats is the interval ± 10 %: a hall's kiosks, switched on together
# after a power cut, drift apart instead of all beating at the same second for the rest of
# the day (a burst of 200 heartbeats held the hall server's tickets up ~1 s, issue 17).
SPREAD = 0.1


def next_gap(interval: float, rng: random.Random) -> float:
    return interval * rng.uniform(1 - SPREAD, 1 + SPREAD)


class OpsHook:
    def __init__(self, core: Any, *, clock: Any = time.monotonic) -> None:
        self.core = core
        self._clock = clock
        self._last_beat = float("-inf")
        self._gap = 0.0  # the first heartbeat at once
        self._rng = random.Random()
        self._last_config = float("-inf")
        self._beat_now = threading.Event()

    def heartbeat_soon(self) -> None:
        self._beat_now.set()
        self.core.syncer_wake()

    def __call__(self, result: Any) -> None:
        from kiosk.ops import heartbeat, remote_config
        from offline_cache.outbox import now_iso

        core, m = self.core, self.core.settings.maintenance
        now = self._clock()
        if result.state == "online" and not result.error:
            with core.store.transaction() as conn:
                core.store.set_meta(conn, heartbeat.LAST_SYNC_META, now_iso())
        if self._beat_now.is_set() or now - self._last_beat >= self._gap:
            self._beat_now.clear()
            self._last_beat = now
            self._gap = next_gap(m.heartbeat_interval, self._rng)
            beat = heartbeat.build(core, core.device_statuses(), interval=m.heartbeat_interval)
            heartbeat.enqueue(core, beat)
            core.syncer_wake()  # deliver it on the next pass, not a second later
        if result.state == "online" and now - self._last_config >= m.config_interval:
            self._last_config = now
            try:
                remote_config.pull(core.config_desk())
            except KioskError as exc:
                log.info("remote configuration not checked: %s", exc.code)
