"""Submissions that carry an Idempotency-Key: tickets, applications, evaluations — one at a
time (their own routes) or in batches (`POST /sync/push`, the kiosk outbox's route).

A batch is one transaction with a savepoint per record: each record keeps its own key and
gets its own result, and one refused record does not fail the others (a poisoned record
must never jam a kiosk's outbox).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from common.errors import (
    AUTH_FORBIDDEN,
    IDEMPOTENCY_CONFLICT,
    OUTSIDE_HOURS,
    SERVER_ERROR,
    VALIDATION,
    KioskError,
)
from common.urls import application_url
from common.wire import (
    ApplicationRequest,
    BookingRequest,
    EvaluationRequest,
    NotifyPhoneRequest,
    ReceiptMissingRequest,
    SyncRecord,
    TicketRequest,
)
from hall_server import bookings, estimate, idempotency, notify_hooks
from hall_server.applications import create_application, flag_receipt_missing
from hall_server.context import HallContext
from hall_server.device_auth import DeviceToken, NeedsBinding, bind_or_refuse, token_device_and_key
from hall_server.devices import Device
from hall_server.evaluations import create_evaluation
from hall_server.fleet import TELEMETRY_KINDS, store_heartbeats
from hall_server.page_tokens import application_token
from hall_server.queue import CheckinWindow, adopt_offline_number, device_number_tag, issue_ticket

log = logging.getLogger(__name__)

Work = Callable[[HallContext, Connection, Any, Device, str], dict]
Amend = Callable[[HallContext, Connection, Any, Device, str, Any], "dict | None"]


@dataclass(frozen=True)
class Kind:
    name: str
    model: type[BaseModel]
    roles: frozenset[str]
    work: Work
    amend: Amend | None = None  # may a changed body under a used key amend the result?


def _check_hours(ctx: HallContext, req: TicketRequest) -> None:
    """Online tickets only during the service's opening hours (schedule.toml + the working-day
    calendar, as the kiosk reads them); an offline number is already on the citizen's paper."""
    if req.offline_number is not None or not ctx.settings.queue.enforce_hours:
        return
    now = ctx.local_now()
    availability = ctx.schedule.service_availability(req.service, now)
    if availability.open:
        return
    reopens = availability.reopens
    when = f"next opening {reopens:%Y-%m-%d %H:%M}" if reopens else "no opening in sight"
    raise KioskError(OUTSIDE_HOURS, f"{req.service}: {when}")


def _ticket(
    ctx: HallContext, conn: Connection, req: TicketRequest, device: Device, base_url: str
) -> dict:
    _check_hours(ctx, req)
    ticket = issue_ticket(
        conn,
        req,
        device_id=device.id,
        device_tag=device_number_tag(device.id, device.tag),
        clock=ctx.now,
        zone=ctx.zone,
        holder_limit=ctx.settings.kiosk.holder_daily_limit,
        base_url=base_url,
        priority_run=ctx.settings.queue.priority_run,
        checkin=CheckinWindow(
            early=timedelta(minutes=ctx.settings.queue.checkin_early_min),
            late=timedelta(minutes=ctx.settings.queue.checkin_late_min),
        ),
    )
    return estimate.attach(ticket, ctx.estimator, conn, ctx.today())


def _ticket_amend(
    ctx: HallContext, conn: Connection, req: TicketRequest, device: Device, base_url: str, row: Any
) -> dict | None:
    """Same ticket request plus the offline number the kiosk printed after a timeout."""
    if req.offline_number is None:
        return None
    online = req.model_copy(update={"offline_number": None, "issued_at": None})
    if idempotency.body_hash("ticket", online) != row.body_hash:
        return None
    return adopt_offline_number(
        conn,
        json.loads(row.response)["id"],
        req.offline_number,
        device_tag=device_number_tag(device.id, device.tag),
        today=ctx.today(),
        base_url=base_url,
        priority_run=ctx.settings.queue.priority_run,
    )


def _application(
    ctx: HallContext, conn: Connection, req: ApplicationRequest, device: Device, base_url: str
) -> dict:
    now = ctx.now()
    reply = create_application(
        conn,
        req,
        device_id=device.id,
        now=now,
        today=ctx.today(now),
        forms=ctx.forms(),
        calendar=ctx.schedule.calendar,
        personal=ctx.personal,
    )
    booking = _book_for_form(ctx, conn, req, device)
    if booking is not None:
        reply["appointment"] = booking["code"]
    # The receipt's page address: /a/{number}?t={token} (common/urls.py)
    token = application_token(ctx.page_key(), reply["number"])
    return {**reply, "token": token, "url": application_url(base_url, reply["number"], token)}


def _receipt_missing(
    ctx: HallContext, conn: Connection, req: ReceiptMissingRequest, device: Device, base_url: str
) -> dict:
    return flag_receipt_missing(
        conn, device_id=device.id, application_key=req.application_key, now=ctx.now()
    )


def _book_for_form(
    ctx: HallContext, conn: Connection, req: ApplicationRequest, device: Device
) -> dict | None:
    """A form that books (婚姻登记预约): the chosen day and half-day become a real booking in
    the same transaction, so check-in by ID card finds it on the day."""
    forms = ctx.forms()
    form = forms[0].get(req.form) if forms else None
    spec = getattr(form, "booking", None)
    if spec is None:
        return None
    try:
        day = date.fromisoformat(str(req.fields.get(spec.date_field, "")))
        start, end = spec.periods[str(req.fields.get(spec.period_field))].split("-")
    except (KeyError, ValueError) as exc:
        raise KioskError(VALIDATION, f"{req.form}: the booking's day or time of day: {exc}") from exc
    return bookings.book_window(
        conn,
        service=spec.service,
        day=day,
        window=(time.fromisoformat(start), time.fromisoformat(end)),
        holder=req.holder,
        name=str(req.fields.get("name", "")),
        device_id=device.id,
        schedule=ctx.schedule,
        zone=ctx.zone,
        now=ctx.now(),
    )


def _evaluation(
    ctx: HallContext, conn: Connection, req: EvaluationRequest, device: Device, base_url: str
) -> dict:
    now = ctx.now()
    return create_evaluation(
        conn,
        req,
        device_id=device.id,
        now=now,
        reasons=ctx.reasons,
        today=ctx.today(now),
        calendar=ctx.schedule.calendar,
    )


def _booking(
    ctx: HallContext, conn: Connection, req: BookingRequest, device: Device, base_url: str
) -> dict:
    return bookings.book(
        conn, req, device_id=device.id, schedule=ctx.schedule, zone=ctx.zone, now=ctx.now()
    )


KINDS: dict[str, Kind] = {
    "ticket": Kind("ticket", TicketRequest, frozenset({"kiosk", "admin"}), _ticket, _ticket_amend),
    "application": Kind(
        "application", ApplicationRequest, frozenset({"kiosk", "admin"}), _application
    ),
    "evaluation": Kind(
        "evaluation", EvaluationRequest, frozenset({"kiosk", "counter", "admin"}), _evaluation
    ),
    "booking": Kind("booking", BookingRequest, frozenset({"kiosk", "admin"}), _booking),
    "receipt_missing": Kind(
        "receipt_missing", ReceiptMissingRequest, frozenset({"kiosk"}), _receipt_missing
    ),
    "phone": Kind("phone", NotifyPhoneRequest, frozenset({"kiosk", "admin"}), notify_hooks.attach),
}


def submit(
    ctx: HallContext, kind_name: str, body: BaseModel, device: Device, key: str, base_url: str
) -> tuple[int, dict]:
    """One submission through its own route: (201, reply) first, (200, same reply) after."""
    kind = KINDS[kind_name]
    return idempotency.run_once(
        ctx.database,
        device_id=device.id,
        key=idempotency.check_key(key),
        kind=kind.name,
        hashed=idempotency.body_hash(kind.name, body),
        now=ctx.now,
        work=lambda conn: kind.work(ctx, conn, body, device, base_url),
        reconcile=_reconciler(ctx, kind, body, device, base_url),
    )


def submit_with_token(
    ctx: HallContext,
    kind_name: str,
    body: BaseModel,
    token: DeviceToken,
    key: str | None,
    base_url: str,
) -> tuple[int, dict]:
    """The same, with the device's token checked inside the write transaction: one
    connection and one transaction per request (issue 17), no separate reads for the token
    and the key. A revoked token is refused by the first transaction that begins after the
    revocation; a used key is replayed (200), also on the retry after a concurrent claim or
    a lost connection (even one lost at COMMIT: the key tells whether it committed)."""
    kind = KINDS[kind_name]
    key = idempotency.check_key(key)
    hashed = idempotency.body_hash(kind.name, body)
    lost = False
    for _attempt in range(3):  # a new installation id; a key committed concurrently
        try:
            return ctx.database.transact(
                lambda conn: _checked_once(ctx, conn, kind, body, token, key, hashed, base_url)
            )
        except NeedsBinding as needs:  # first sight of the installation (or a clone: refused)
            bind_or_refuse(ctx, needs.device, token.install_id or "")
        except idempotency.KeyTaken:  # next round finds the key and replays (PostgreSQL)
            pass
        except DBAPIError as exc:  # PostgreSQL restarted: once more on a fresh connection
            if lost or not exc.connection_invalidated:
                raise
            lost = True
    raise KioskError(IDEMPOTENCY_CONFLICT, "key in use concurrently")


async def submit_with_token_async(
    ctx: HallContext,
    kind_name: str,
    body: BaseModel,
    token: DeviceToken,
    key: str | None,
    base_url: str,
) -> tuple[int, dict]:
    """submit_with_token from the event loop: the usual request waits for its group's COMMIT
    without a worker thread (issue 17). The rare ones (a new installation id, a key claimed
    concurrently, a lost connection) go through submit_with_token, which handles them."""
    kind = KINDS[kind_name]
    checked = idempotency.check_key(key)
    hashed = idempotency.body_hash(kind.name, body)
    try:
        return await ctx.database.transact_async(
            lambda conn: _checked_once(ctx, conn, kind, body, token, checked, hashed, base_url)
        )
    except (NeedsBinding, idempotency.KeyTaken):
        pass
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
    return await asyncio.to_thread(submit_with_token, ctx, kind_name, body, token, key, base_url)


def _checked_once(
    ctx: HallContext,
    conn: Connection,
    kind: Kind,
    body: BaseModel,
    token: DeviceToken,
    key: str,
    hashed: str,
    base_url: str,
) -> tuple[int, dict]:
    """The token check, then the key's replay or its claim and work, in one transaction."""
    device, used = token_device_and_key(ctx, conn, token, kind.roles, key)
    return idempotency.run_in_transaction(
        conn,
        used,
        device_id=device.id,
        key=key,
        kind=kind.name,
        hashed=hashed,
        now=ctx.now(),
        work=_worker(ctx, kind, body, device, base_url),
        reconcile=_reconciler(ctx, kind, body, device, base_url),
    )


def _worker(
    ctx: HallContext, kind: Kind, body: BaseModel, device: Device, base_url: str
) -> Callable[[Connection], dict]:
    return lambda conn: kind.work(ctx, conn, body, device, base_url)


def _reconciler(
    ctx: HallContext, kind: Kind, body: BaseModel, device: Device, base_url: str
) -> idempotency.Reconcile | None:
    if kind.amend is None:
        return None
    amend = kind.amend
    return lambda conn, row: amend(ctx, conn, body, device, base_url, row)


def _error(record: SyncRecord, exc: KioskError) -> dict:
    return {"key": record.key, "status": exc.error.http_status, "body": exc.to_json()}


def _one(
    ctx: HallContext, conn: Connection, record: SyncRecord, device: Device, base_url: str
) -> dict:
    telemetry = TELEMETRY_KINDS.get(record.kind)
    if telemetry is not None:  # heartbeat, audit: idempotent by their own tables (fleet.py)
        return telemetry(ctx, conn, record, device)
    kind = KINDS.get(record.kind)
    if kind is None:
        return _error(
            record, KioskError(VALIDATION, f"kind {record.kind!r}: use one of " + ", ".join(KINDS))
        )
    if device.role not in kind.roles:
        return _error(
            record, KioskError(AUTH_FORBIDDEN, f"{device.role} may not submit {kind.name}")
        )
    try:
        body = kind.model.model_validate(record.body)
    except ValidationError as exc:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]
        )
        return _error(record, KioskError(VALIDATION, detail))
    hashed = idempotency.body_hash(kind.name, body)
    try:
        with conn.begin_nested():
            status, reply = idempotency.run_in_transaction(
                conn,
                idempotency.find(conn, device.id, record.key),
                device_id=device.id,
                key=record.key,
                kind=kind.name,
                hashed=hashed,
                now=ctx.now(),
                work=lambda c: kind.work(ctx, c, body, device, base_url),
                reconcile=_reconciler(ctx, kind, body, device, base_url),
            )
        return {"key": record.key, "status": status, "body": reply}
    except idempotency.KeyTaken:  # a concurrent request committed this key (PostgreSQL)
        row = idempotency.find(conn, device.id, record.key)
        if row is None:
            return _error(record, KioskError(IDEMPOTENCY_CONFLICT, "key in use concurrently"))
        try:
            with conn.begin_nested():
                status, reply = idempotency.resolve(
                    conn, row, kind.name, hashed, _reconciler(ctx, kind, body, device, base_url)
                )
        except KioskError as exc:
            return _error(record, exc)
        return {"key": record.key, "status": status, "body": reply}
    except KioskError as exc:
        return _error(record, exc)
    except DBAPIError as exc:
        if isinstance(exc, IntegrityError):
            log.exception("record %s broke a constraint", record.key)
            return _error(record, KioskError(SERVER_ERROR, "constraint"))
        raise  # the database itself failed: fail the batch, the kiosk retries it whole
    except Exception:  # a bug must not jam the kiosk's outbox: fail this record only
        log.exception("record %s failed", record.key)
        return _error(record, KioskError(SERVER_ERROR))


def push(ctx: HallContext, records: list[SyncRecord], device: Device, base_url: str) -> list[dict]:
    """Apply a batch in one transaction, one savepoint per record; results in input order."""
    if not records:
        return []
    # Heartbeats go by group commit with other kiosks' (fleet.store_heartbeats); the rest in
    # this batch's own transaction.
    beats = [i for i, r in enumerate(records) if r.kind == "heartbeat"]
    rest = [i for i, r in enumerate(records) if r.kind != "heartbeat"]
    results: list[dict] = [{}] * len(records)
    if rest:
        with ctx.database.write() as conn:
            for i in rest:
                results[i] = _one(ctx, conn, records[i], device, base_url)
    if beats:
        stored = store_heartbeats(ctx, [records[i] for i in beats], device)
        for i, result in zip(beats, stored, strict=True):
            results[i] = result
    log_push(results)
    return results


def log_push(results: list[dict]) -> None:
    log.info(
        "sync push: %d records, %d created, %d replayed, %d refused",
        len(results),
        sum(1 for r in results if r["status"] == 201),
        sum(1 for r in results if r["status"] == 200),
        sum(1 for r in results if r["status"] >= 400),
    )
