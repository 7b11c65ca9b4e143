"""Nightly maintenance at `maintenance.hour` (hall time): retention purge of personal data,
pruning of delivered telemetry, store vacuum, log rotation, a full catalog check.

`run(core)` is what `kiosk maintenance run`, the technician screen and the running kiosk's
nightly schedule call. Each step reports on its own; one failing step does not skip the
others, and the whole run is audited.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from common import wire
from common.errors import KioskError
from kiosk.ops import audit, logfile
from kiosk.ops.heartbeat import TELEMETRY_KINDS

log = logging.getLogger(__name__)

LAST_RUN_META = "maintenance_last_run"


def is_due(core: Any, now: datetime | None = None) -> bool:
    """At the configured hour, once per hall-local day."""
    zone = ZoneInfo(core.settings.hall.timezone)
    local = (now or datetime.now(UTC)).astimezone(zone)
    if local.hour != core.settings.maintenance.hour:
        return False
    last = core.store.get_meta(LAST_RUN_META)
    return not last or datetime.fromisoformat(last).astimezone(zone).date() != local.date()


def prune_telemetry(core: Any, keep_days: int, now: datetime | None = None) -> int:
    """Delivered heartbeats and audit events older than `keep_days` (the server has them)."""
    cutoff = ((now or datetime.now(UTC)) - timedelta(days=keep_days)).isoformat(
        timespec="milliseconds"
    )
    return core.outbox.prune_sent(TELEMETRY_KINDS, before=cutoff)


def vacuum(core: Any) -> dict[str, int]:
    """VACUUM (outside any transaction) and truncate the WAL; sizes before and after."""
    path = core.store.path
    before = path.stat().st_size
    core.store.vacuum()
    return {"bytes_before": before, "bytes_after": path.stat().st_size}


def check_catalog(core: Any) -> dict[str, Any]:
    """Every local item parses; with a server, walk its whole feed: re-apply every item and
    tombstone and drop local items the server no longer has at all."""
    from offline_cache.catalog import CURSOR_META, PAGE_SIZE, SYNCED_AT_META, apply_page
    from offline_cache.outbox import now_iso

    broken = []
    for row in core.store.query("SELECT code, doc FROM catalog_item"):
        try:
            wire.CatalogItem.model_validate_json(core.catalog.document(row["doc"]))
        except (ValidationError, ValueError):
            broken.append(row["code"])
    result: dict[str, Any] = {
        "local_items": core.catalog.count(),
        "unparsable": len(broken),
        "refreshed": 0,
        "removed": 0,
        "server": False,
    }
    if core.client is None:
        return result
    seen: set[str] = set()
    cursor: str | None = None
    while True:
        page = core.client.catalog_changes(cursor, PAGE_SIZE)
        with core.store.transaction() as conn:
            apply_page(conn, page)
        seen.update(i.code for i in page.items)
        seen.update(page.deleted)
        result["refreshed"] += len(page.items)
        cursor = page.cursor
        if not page.more:
            break
    local = {r["code"] for r in core.store.query("SELECT code FROM catalog_item")}
    orphans = sorted(local - seen)
    with core.store.transaction() as conn:
        if orphans:
            apply_page(
                conn,
                wire.CatalogChanges(items=[], deleted=orphans, cursor=cursor or "", more=False),
            )
        core.store.set_meta(conn, CURSOR_META, cursor or "")
        core.store.set_meta(conn, SYNCED_AT_META, now_iso())
    result.update(removed=len(orphans), server=True, local_items=core.catalog.count())
    return result


def run(core: Any, *, actor: str = "schedule") -> dict[str, Any]:
    """All steps; returns {"steps": {name: result | {"error": code}}, "ok": bool}."""
    m = core.settings.maintenance
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("retention", core.purge_personal_data),
        ("telemetry", lambda: {"deleted": prune_telemetry(core, m.telemetry_keep_days)}),
        ("vacuum", lambda: vacuum(core)),
        ("logs", lambda: logfile.rotate(core.home, m.log_keep_days)),
        ("catalog", lambda: check_catalog(core)),
    ]
    report: dict[str, Any] = {}
    ok = True
    for name, step in steps:
        try:
            report[name] = step()
        except KioskError as exc:
            ok = False
            report[name] = {"error": exc.code, "message": exc.message}
            log.warning("maintenance step %s failed: %s", name, exc.code)
        except Exception as exc:  # the other steps must still run
            ok = False
            report[name] = {"error": "E-GEN-01", "message": type(exc).__name__}
            log.exception("maintenance step %s failed", name)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with core.store.transaction() as conn:
        core.store.set_meta(conn, LAST_RUN_META, now)
    audit.record(
        core.home,
        "maintenance",
        outbox=core.outbox,
        actor=actor,
        outcome="ok" if ok else "partial",
        detail=json.loads(json.dumps(report, default=str)),
    )
    log.info("maintenance done (%s)", "ok" if ok else "with failures")
    return {"at": now, "ok": ok, "steps": report}
