"""The heartbeat a kiosk sends to the hall server through its outbox (kind `heartbeat`):
device statuses, version, outbox backlog, last sync, free disk, clock skew, remote config
version, call-staff requests, and the kiosk's use by function (kiosk/ops/usage.py).

Only the newest pending heartbeat matters, so enqueuing one drops the older ones still
pending (telemetry, never a citizen's record: the outbox's "nothing is ever deleted" rule is
about submissions). It travels in its own stream, so it never waits behind tickets.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from common import __version__, wire

KIND = STREAM = "heartbeat"
TELEMETRY_KINDS = ("heartbeat", "audit")
LAST_SYNC_META = "last_sync_at"
CALL_STAFF_META = "call_staff_requests"
CALL_STAFF_KEEP = timedelta(minutes=30)
_STARTED = time.monotonic()


def outbox_health(outbox: Any) -> dict[str, Any]:
    """Citizens' records only (heartbeats and audit events are not a backlog)."""
    return {**outbox.backlog(exclude_kinds=TELEMETRY_KINDS), "paused": outbox.paused()}


def call_staff_requests(store: Any, now: datetime | None = None) -> list[dict[str, Any]]:
    now = now or datetime.now(UTC)
    try:
        requests = json.loads(store.get_meta(CALL_STAFF_META) or "[]")
    except ValueError:
        return []
    return [r for r in requests if now - datetime.fromisoformat(r["at"]) <= CALL_STAFF_KEEP]


def add_call_staff(store: Any, reason: str) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    requests = call_staff_requests(store, now)[-9:]
    requests.append({"at": now.isoformat(timespec="seconds"), "reason": reason[:200]})
    with store.transaction() as conn:
        store.set_meta(conn, CALL_STAFF_META, json.dumps(requests, ensure_ascii=False))
    return requests


def clear_call_staff(store: Any) -> None:
    with store.transaction() as conn:
        store.set_meta(conn, CALL_STAFF_META, "[]")


def overall(
    devices: list[dict[str, Any]], outbox: dict[str, Any], config_rejected: str | None
) -> str:
    statuses = {d["status"] for d in devices}
    if 2 in statuses or outbox.get("paused"):
        return "fault"
    if statuses & {-1, 1} or outbox.get("refused") or config_rejected:
        return "warning"
    return "ok"


def build(core: Any, devices: list[dict[str, Any]], *, interval: float) -> wire.Heartbeat:
    from kiosk.ops import remote_config
    from offline_cache.catalog import SYNCED_AT_META
    from offline_cache.sync import SKEW_META

    store = core.store
    outbox = outbox_health(core.outbox)
    config = remote_config.status(core.config_desk())
    skew = store.get_meta(SKEW_META)
    disk = shutil.disk_usage(core.home)
    return wire.Heartbeat(
        sent_at=datetime.now(UTC),
        version=__version__,
        status=overall(devices, outbox, config["rejected"]),
        interval_s=interval,
        devices=[wire.DeviceHealth(**d) for d in devices],
        outbox=wire.OutboxHealth(**outbox),
        last_sync=store.get_meta(LAST_SYNC_META) or None,
        catalog_synced_at=store.get_meta(SYNCED_AT_META) or None,
        disk_free_mb=round(disk.free / 2**20, 1),
        clock_skew_s=float(skew) if skew else None,
        config_version=config["version"],
        config_rejected=config["rejected"],
        call_staff=[wire.CallStaff(**r) for r in call_staff_requests(store)],
        uptime_s=round(time.monotonic() - _STARTED, 1),
        usage=core.usage.for_heartbeat(),
    )


def enqueue(core: Any, beat: wire.Heartbeat) -> str:
    """Queue `beat`, dropping the heartbeats still pending (not one being sent right now)."""
    key = str(uuid.uuid4())
    with core.store.transaction() as conn:
        core.outbox.drop_pending(conn, KIND)
        core.outbox.enqueue(
            conn,
            key=key,
            kind=KIND,
            stream=STREAM,
            body=beat.model_dump(mode="json", exclude_none=True),
        )
    return key
