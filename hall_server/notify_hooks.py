"""SMS notices to citizens who left a mobile number at a kiosk (到号提醒, 办件进度短信).

- `attach` files a number against a ticket or an application (POST /notify/phones and the
  sync kind `phone`; idempotent by the kiosk's key, hall_server/submissions.py). The number
  is sealed with the hall's personal-data key (hall_server/personal.py; the target is the
  associated data) and shown only masked (139****5678).
- `NotifyWatcher` looks at the tickets and applications that carry a number, after every
  committed ticket event of this process while a number is on file (none: only a number
  filed here wakes it) and on a short poll (other processes, application status changes):
  a waiting ticket with `notify.near_ahead` or fewer people ahead gets
  "near" once, a called ticket "call" with its counter once per call, and every application
  status change after the number was left gets "status".
- Each notice is claimed by a row in `notify_sent` (unique key) in one write transaction
  before it is handed to the `Dispatcher`, so a restart or a second server process never
  sends it again (at most once: a notice claimed by a process that dies before sending is
  lost rather than sent twice). The dispatcher's own thread sends and retries; nothing here
  runs in a request, so a platform outage never blocks the queue.
- Numbers are deleted when the ticket's business day ends (`forget_past_days`, called by the
  midnight sweep) and when the application closes (after its last "status" notice; retention
  also clears them).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from common.errors import APPLICATION_UNKNOWN, NOT_FOUND, NOTIFY_TARGET_CLOSED, KioskError
from common.redact import mask_phone
from common.wire import APPLICATION_STATUSES, NotifyPhoneRequest
from hall_server.clock import iso_utc
from hall_server.db import after_commit, resolve_data_dir
from hall_server.notify import Dispatcher, Notice, open_notifier
from hall_server.queue import CALLED, WAITING, people_ahead
from hall_server.retention import CLOSED  # an application changes no more: number deleted
from hall_server.schema import application_history, applications, idempotency, tickets
from hall_server.schema_notify import notify_phones, notify_sent

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0  # the safety-net scan (other processes' events, status changes)
MIN_GAP_SECONDS = 0.2  # a burst of events makes one scan
_p = notify_phones.c
_t = tickets.c
_filed = [0]  # numbers filed by this process, counted after their COMMIT (watcher wake-ups)


def _count_filed() -> None:
    _filed[0] += 1  # under the GIL; a lost increment still changes the value


def _aad(target: str, target_id: str) -> str:
    return f"notify:{target}:{target_id}"


def _by_key(conn: Connection, device_id: str, key: str, kind: str, field: str) -> str | None:
    """The id the server gave a record the kiosk submitted under `key` (offline-filed)."""
    row = conn.execute(
        select(idempotency.c.response).where(
            idempotency.c.device_id == device_id,
            idempotency.c.key == key,
            idempotency.c.kind == kind,
        )
    ).first()
    return json.loads(row.response or "{}").get(field) if row else None


def _resolve(ctx: Any, conn: Connection, req: NotifyPhoneRequest, device_id: str) -> tuple:
    """(target id, business date or None, history pk already seen)."""
    if req.target == "ticket":
        ticket_id = req.ref
        row = conn.execute(select(tickets).where(_t.id == ticket_id)).first()
        if row is None:
            ticket_id = _by_key(conn, device_id, req.ref, "ticket", "id") or ""
            row = conn.execute(select(tickets).where(_t.id == ticket_id)).first()
        if row is None:
            raise KioskError(NOT_FOUND, "no such ticket")
        if row.status not in (WAITING, CALLED) or row.business_date < ctx.today():
            raise KioskError(NOTIFY_TARGET_CLOSED, f"ticket {row.number} is {row.status}")
        return row.id, row.business_date, 0
    number = req.ref
    row = conn.execute(select(applications).where(applications.c.number == number)).first()
    if row is None:
        number = _by_key(conn, device_id, req.ref, "application", "number") or ""
        row = conn.execute(select(applications).where(applications.c.number == number)).first()
    if row is None:
        raise KioskError(APPLICATION_UNKNOWN)
    if row.status in CLOSED:
        raise KioskError(NOTIFY_TARGET_CLOSED, f"application {number} is {row.status}")
    seen = conn.execute(
        select(func.coalesce(func.max(application_history.c.pk), 0)).where(
            application_history.c.number == number
        )
    ).scalar_one()
    return number, None, int(seen)


def attach(ctx: Any, conn: Connection, req: NotifyPhoneRequest, device: Any, _base: str) -> dict:
    """File (or replace) the number of one ticket or application, sealed."""
    target_id, day, seen = _resolve(ctx, conn, req, device.id)
    sealed = ctx.personal.seal({"phone": req.phone}, _aad(req.target, target_id))
    values = {"phone": sealed, "device_id": device.id, "created_at": ctx.now()}
    conn.execute(
        ctx.database.insert(notify_phones)
        .values(target=req.target, target_id=target_id, business_date=day, since=seen, **values)
        .on_conflict_do_update(index_elements=["target", "target_id"], set_=values)
    )
    after_commit(conn, _count_filed)
    log.info("SMS number %s left for %s %s", mask_phone(req.phone), req.target, target_id)
    return {"target": req.target, "ref": target_id, "phone": mask_phone(req.phone)}


def masked_phone(ctx: Any, conn: Connection, target: str, target_id: str) -> str | None:
    """The number left for a ticket / application, masked (pages), or None."""
    row = conn.execute(
        select(_p.phone).where(_p.target == target, _p.target_id == target_id)
    ).first()
    if row is None or ctx.personal is None:
        return None
    return mask_phone(ctx.personal.open(row.phone, _aad(target, target_id))["phone"])


def forget_past_days(conn: Connection, today: date) -> int:
    """Delete the numbers of tickets of past business days (the midnight sweep)."""
    done = conn.execute(
        delete(notify_phones).where(_p.target == "ticket", _p.business_date < today)
    )
    return done.rowcount or 0


def forget_closed_applications(conn: Connection) -> int:
    """Delete the numbers of closed applications (retention's backstop)."""
    closed = select(applications.c.number).where(applications.c.status.in_(CLOSED))
    done = conn.execute(
        delete(notify_phones).where(_p.target == "application", _p.target_id.in_(closed))
    )
    return done.rowcount or 0


def _ranks(conn: Connection, day: date, services: set[str]) -> dict[str, int]:
    """Each waiting ticket's place among the waiting tickets of its service and kind (priority
    or not), in one query: people_ahead is never below it, so only the first `near` of each
    kind need the full count."""
    if not services:
        return {}
    rows = conn.execute(
        select(_t.id, _t.service, _t.priority)
        .where(_t.business_date == day, _t.status == WAITING, _t.service.in_(services))
        .order_by(_t.queued_at, _t.pk)
    ).all()
    seen: dict[tuple[str, bool], int] = {}
    ranks = {}
    for r in rows:
        kind = (r.service, r.priority is not None)
        ranks[r.id] = seen.get(kind, 0)
        seen[kind] = ranks[r.id] + 1
    return ranks


_ANY_FILED = select(_p.target).limit(1)


def _nothing_filed(conn: Connection) -> bool:
    return conn.execute(_ANY_FILED).first() is None


@dataclass(frozen=True)
class _Due:
    key: str
    notice: Notice


class NotifyWatcher:
    """The hooks: one daemon thread scanning for due notices; a `Dispatcher` sends them."""

    def __init__(self, ctx: Any, *, dispatcher: Dispatcher | None = None,
                 poll: float = POLL_SECONDS) -> None:
        self.ctx = ctx
        self.poll = poll
        self._dispatcher = dispatcher
        self._claimed: set[str] = set()  # keys known claimed today: skip their ahead counts
        self._claimed_day: date | None = None
        self._wake = threading.Event()
        # _filed[0] when the last scan found no number on file: until it moves, no committed
        # ticket event of this process can make a notice due, so wake() skips (issue 17: the
        # scan cost every ticket 4-8 % CPU). Other processes' numbers: the poll.
        self._none_filed_at: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def dispatcher(self) -> Dispatcher:
        if self._dispatcher is None:
            notify = self.ctx.settings.notify
            data_dir = Path(self.ctx.data_dir or resolve_data_dir(self.ctx.settings))
            self._dispatcher = Dispatcher(
                open_notifier(self.ctx.settings, data_dir),
                retries=notify.retries,
                backoff=notify.retry_backoff,
                on_done=self._done,
            )
        return self._dispatcher

    def start(self) -> None:
        if self._thread is not None:
            return
        self.dispatcher  # noqa: B018 - build it now, not on the first notice
        self.ctx.database.on_events.append(self.wake)
        self._thread = threading.Thread(target=self._run, name="notify-hooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self.wake in self.ctx.database.on_events:
            self.ctx.database.on_events.remove(self.wake)
        if self._thread is not None:
            self._thread.join(5)
        if self._dispatcher is not None:
            self._dispatcher.close()

    def wake(self, _last_id: int = 0) -> None:
        if self._none_filed_at is None or self._none_filed_at != _filed[0]:
            self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.scan()
            except Exception:  # a database outage: the next scan tries again
                log.exception("SMS notice scan failed")
            self._stop.wait(MIN_GAP_SECONDS)

    # -- one scan
    def scan(self) -> int:
        """Claim and submit every due notice; returns how many were submitted."""
        filed = _filed[0]  # read before the scan's snapshot: a number committed later moves it
        with self.ctx.database.read() as conn:
            if self._none_filed_at is not None and _nothing_filed(conn):
                self._none_filed_at = filed  # the poll of a hall without numbers: one probe
                return 0
            due, closing = self._due(conn)
            empty = not due and not closing and _nothing_filed(conn)
        self._none_filed_at = filed if empty else None
        if not due and not closing:
            return 0
        claimed: list[Notice] = []
        now = self.ctx.now()
        with self.ctx.database.write() as conn:
            for item in due:
                stmt = (
                    self.ctx.database.insert(notify_sent)
                    .values(key=item.key, state="queued", at=now)
                    .on_conflict_do_nothing(index_elements=["key"])
                    .returning(notify_sent.c.key)  # rowcount is not reliable here on PostgreSQL
                )
                if conn.execute(stmt).first() is not None:
                    claimed.append(item.notice)
                self._claimed.add(item.key)
            if closing:
                conn.execute(
                    delete(notify_phones).where(
                        _p.target == "application", _p.target_id.in_(closing)
                    )
                )
        for notice in claimed:
            self.dispatcher.submit(notice)
        return len(claimed)

    def _phone(self, row: Any) -> str:
        return self.ctx.personal.open(row.phone, _aad(row.target, row.target_id))["phone"]

    def _due(self, conn: Connection) -> tuple[list[_Due], list[str]]:
        today = self.ctx.today()
        if today != self._claimed_day:  # yesterday's keys can never come back
            self._claimed, self._claimed_day = set(), today
        near = self.ctx.settings.notify.near_ahead
        due: list[_Due] = []
        rows = conn.execute(
            select(_p.phone, _p.target, _p.target_id, tickets)
            .select_from(notify_phones.join(tickets, _t.id == _p.target_id))
            .where(_p.target == "ticket", _p.business_date == today,
                   _t.status.in_((WAITING, CALLED)))
        ).all()
        ranks = _ranks(conn, today, {r.service for r in rows if r.status == WAITING})
        for row in rows:
            if row.status == CALLED and row.called_at is not None:
                key = f"call:{row.id}:{iso_utc(row.called_at)}"
                params = {"number": row.number, "counter": row.counter or ""}
                kind = "call"
            else:
                key, kind = f"near:{row.id}", "near"
                if key in self._claimed or ranks.get(row.id, 0) > near:
                    continue  # more of its own kind ahead than `near`: not near yet
                ahead = people_ahead(
                    conn, service=row.service, day=row.business_date, pk=row.pk,
                    queued_at=row.queued_at, priority=row.priority is not None,
                    limit=self.ctx.settings.queue.priority_run,
                )
                if ahead > near:
                    continue
                params = {"number": row.number, "ahead": str(ahead)}
            if key not in self._claimed:
                due.append(_Due(key, Notice(self._phone(row), kind, params, key)))
        closing: list[str] = []
        h = application_history.c
        rows = conn.execute(
            select(_p.phone, _p.target, _p.target_id, h.pk, h.status,
                   applications.c.status.label("current"))
            .select_from(
                notify_phones.join(applications, applications.c.number == _p.target_id)
                .outerjoin(application_history, (h.number == _p.target_id) & (h.pk > _p.since))
            )
            .where(_p.target == "application")
            .order_by(h.pk)
        ).all()
        for row in rows:
            if row.pk is not None:
                key = f"status:{row.target_id}:{row.pk}"
                if key not in self._claimed:
                    text = APPLICATION_STATUSES.get(row.status, row.status)
                    params = {"number": row.target_id, "status": text}
                    due.append(_Due(key, Notice(self._phone(row), "status", params, key)))
            if row.current in CLOSED and row.target_id not in closing:
                closing.append(row.target_id)
        return due, closing

    def _done(self, notice: Notice, sent: bool) -> None:
        """Record the outcome (on the dispatcher's thread)."""
        if not notice.key:
            return
        with self.ctx.database.write() as conn:
            conn.execute(
                update(notify_sent)
                .where(notify_sent.c.key == notice.key)
                .values(state="sent" if sent else "failed", at=self.ctx.now())
            )

