"""Progress queries (办件进度): from the server when it answers, else from the local cache,
always with the record's age. Cached records are sealed (they can carry personal data)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from common import errors, wire
from common.errors import KioskError
from common.holder import holder_hash
from common.views import ProgressView, local_number
from offline_cache.crypto import Sealer
from offline_cache.fast_path import Online
from offline_cache.outbox import TRANSIENT, now_iso
from offline_cache.records import ProgressCache, SubmissionRecords

# Decided: the promised deadline no longer runs (ready_for_pickup comes after approval).
FINAL = {"approved", "rejected", "not_accepted", "returned", "delivered", "ready_for_pickup"}
STALE_AFTER_MIN = 30
DUE_SOON_DAYS = 2


@dataclass(frozen=True)
class ProgressDesk:
    """What a progress query uses (KioskCore builds it)."""

    online: Online
    cache: ProgressCache
    sealer: Sealer  # cached records can carry personal data
    hall_key: Callable[[], str]
    today: Callable[[], date]  # the hall's date
    submissions: SubmissionRecords  # this kiosk's own filings (the 登记号 of an offline one)
    item_title: Callable[[str], str]  # a catalog item's title from the local mirror


def working_days_between(start: date, end: date) -> int:
    """Mon–Fri days from start (exclusive) to end (inclusive); negative when end is past."""
    sign = 1 if end >= start else -1
    lo, hi = (start, end) if sign > 0 else (end, start)
    days, d = 0, lo
    while d < hi:
        d += timedelta(days=1)
        if d.weekday() < 5:
            days += 1
    return sign * days


def to_view(app: wire.Application, fetched_at: datetime, today: date) -> ProgressView:
    left = state = None
    if app.status in FINAL:
        state = "done"
    elif app.promised_by:
        left = working_days_between(today, app.promised_by)
        state = "overdue" if left < 0 else "due_soon" if left <= DUE_SOON_DAYS else "on_time"
    age = max(0, int((datetime.now(UTC) - fetched_at).total_seconds() // 60))
    return ProgressView(
        number=app.number, item=app.item, item_title=app.item_title, status=app.status,
        status_label=wire.APPLICATION_STATUSES[app.status],
        history=[h.model_dump(mode="json") for h in app.history],
        promised_by=app.promised_by.isoformat() if app.promised_by else None,
        working_days_left=left, deadline_state=state, as_of=app.as_of.isoformat(),
        age_minutes=age, stale=age >= STALE_AFTER_MIN)


def _cache(desk: ProgressDesk, app: wire.Application, holder: str | None) -> None:
    sealed = desk.sealer.seal(app.model_dump_json().encode(), aad=app.number)
    desk.cache.put(number=app.number, holder=holder, doc=sealed,
                            as_of=app.as_of.isoformat(), fetched_at=now_iso())


def _cached(desk: ProgressDesk, where: str, param: str) -> list[tuple[wire.Application, datetime]]:
    cache = desk.cache
    rows = cache.by_number(param) if where == "number" else cache.by_holder(param)
    out = []
    for r in rows:
        app = wire.Application.model_validate(
            json.loads(desk.sealer.open(r["doc"], aad=r["number"])))
        out.append((app, datetime.fromisoformat(r["fetched_at"])))
    return out


# The local registration number (登记号) an application submitted offline is shown with.
LOCAL_NUMBER_RE = re.compile(r"^[0-9A-F]{8}$")


def _local_submission(desk: ProgressDesk, number: str) -> dict | None:
    if not LOCAL_NUMBER_RE.match(number):
        return None
    rows = desk.submissions.applications_by_key_prefix(number[:8].lower())
    return next((r for r in rows if local_number(r["key"]) == number), None)


def _queued_view(desk: ProgressDesk, row: dict, number: str) -> ProgressView:
    """Still in this kiosk's outbox: what the citizen filed, waiting for the network."""
    return ProgressView(
        number=number, item=row["subject"] or "",
        item_title=desk.item_title(row["subject"]) if row["subject"] else "",
        status="queued", status_label="待提交",
        history=[{"status": "queued", "at": row["created_at"], "note": ""}],
        as_of=row["created_at"])


def progress(desk: ProgressDesk, number: str) -> ProgressView:
    number = number.strip().upper()
    local = _local_submission(desk, number)
    if local is not None:
        if not local["number"]:
            return _queued_view(desk, local, number)
        number = local["number"]  # synced: the server's 受理编号 from then on
    if desk.online.reachable():
        try:
            app = desk.online.client.get_application(number)
            _cache(desk, app, None)
            return to_view(app, datetime.now(UTC), desk.today())
        except KioskError as exc:
            if exc.code not in TRANSIENT:
                raise
            desk.online.connectivity.failure(exc.code)
    cached = _cached(desk, "number", number)
    if not cached:
        raise KioskError(errors.APPLICATION_UNKNOWN if desk.online.client else errors.SERVER_UNREACHABLE,
                         "not in the local cache")
    app, fetched = cached[0]
    return to_view(app, fetched, desk.today())


def progress_by_id_card(desk: ProgressDesk, id_number: str) -> list[ProgressView]:
    holder = holder_hash(desk.hall_key(), id_number)
    if desk.online.reachable():
        try:
            apps = desk.online.client.applications_by_holder(holder).applications
            for app in apps:
                _cache(desk, app, holder)
            return [to_view(a, datetime.now(UTC), desk.today()) for a in apps]
        except KioskError as exc:
            if exc.code not in TRANSIENT:
                raise
            desk.online.connectivity.failure(exc.code)
    return [to_view(a, f, desk.today()) for a, f in _cached(desk, "holder", holder)]


