"""Live ticket events for Server-Sent Event streams, and the server's background duties.

One `EventHub` per server process keeps the most recent events in memory and wakes the
streams (asyncio tasks on uvicorn's loop) when new ones are committed. It learns of them:
- from this process's own commits (`Database.on_events`, called after COMMIT, any thread);
- on PostgreSQL, from a `LISTEN hall_events` connection (psycopg, one thread per process):
  every server process's commits NOTIFY that channel (hall_server.eventlog), so a stream on
  one process sees a call made through another;
- and by a slow poll, a safety net for a lost LISTEN connection or another process on SQLite.
A wake-up carries no data: the hub reads the rows after the last id it holds, once for all
streams. Ids are gapless and in commit order (eventlog), so "after id N" never skips one.
Each event is made into its SSE message once, in the hub (with its audio_url: hall_server.voice),
and every stream sends those same bytes: with 10 displays open, an event costs one JSON encoding,
not ten. Streams are woken with one hop per event loop, however many streams it runs.
The payload has numbers, services and counters only; `payload_hook` is where a stream for
signed-in clerks adds masked names.

`Background` runs the hub, the listener and the midnight sweep (expire open tickets of past
business days) in daemon threads, started and stopped with the server (hall_server.runner).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from hall_server import eventlog, lifecycle
from hall_server.clock import iso_utc
from hall_server.db import Database
from hall_server.notify_hooks import NotifyWatcher
from hall_server.schema import hall_counters, ticket_events, tickets
from hall_server.voice import with_audio_url
from hall_server.wal_checkpoint import WalCheckpointer

log = logging.getLogger(__name__)

RING_SIZE = 2000  # recent events kept in memory; an older resume point reads the table
BATCH = 500
POLL_SECONDS = 2.0
SWEEP_CHECK_SECONDS = 30.0  # how often the background loop checks for a new business day
# PostgreSQL delivers our own commit's NOTIFY at COMMIT, often before the committing thread
# has handed its rows over (committed()): wait this long before reading them back instead
OWN_COMMIT_GRACE_S = 0.005

_e = ticket_events.c
_READ = (
    select(
        _e.pk,
        _e.ticket_id,
        _e.from_state,
        _e.to_state,
        _e.at,
        _e.counter,
        _e.service,
        _e.target_service,
        _e.reason,
        tickets.c.number,
        tickets.c.priority,
        hall_counters.c.name.label("counter_name"),
        hall_counters.c.area,
    )
    .select_from(
        ticket_events.join(tickets, tickets.c.id == _e.ticket_id).outerjoin(
            hall_counters, hall_counters.c.code == _e.counter
        )
    )
    .order_by(_e.pk)
)


def payload(row: Any) -> dict:
    """The public event: numbers, services and counters only (no personal data)."""
    return {
        "id": int(row.pk),
        "ticket_id": row.ticket_id,
        "number": row.number,
        "service": row.service,
        "target_service": row.target_service,
        "from": row.from_state,
        "to": row.to_state,
        "counter": row.counter,
        "counter_name": row.counter_name,
        "area": row.area,
        "at": iso_utc(row.at),
        "reason": row.reason,
        "priority": row.priority,
    }


def own_payload(row: dict) -> dict | None:
    """The public event of a row this process just committed (eventlog.add's dict), when it
    carries its ticket's number and, at a counter, the counter's name and area (a ticket
    issue, a call-next); None: read it."""
    ticket = row.get(eventlog.TICKET)
    if ticket is None:
        return None
    counter_name = area = None
    if row["counter"] is not None:
        info = row.get(eventlog.COUNTER_INFO)
        if info is None:
            return None
        counter_name, area = info
    number, priority = ticket
    return {
        "id": int(row["pk"]),
        "ticket_id": row["ticket_id"],
        "number": number,
        "service": row["service"],
        "target_service": row["target_service"],
        "from": row["from_state"],
        "to": row["to_state"],
        "counter": row["counter"],
        "counter_name": counter_name,
        "area": area,
        "at": iso_utc(row["at"]),
        "reason": row["reason"],
        "priority": priority,
    }


def read_events(conn: Connection, after: int, limit: int = BATCH) -> list[dict]:
    return [payload(r) for r in conn.execute(_READ.where(_e.pk > after).limit(limit))]


def sse_message(event: dict) -> str:
    """One Server-Sent Event: `id`, `event: ticket`, `data: <JSON>`."""
    data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    return f"id: {event['id']}\nevent: ticket\ndata: {data}\n\n"


@dataclass(frozen=True, slots=True)
class Frame:
    """An event as the streams deliver it (calls with their audio_url) and its SSE message,
    made once for all streams."""

    event: dict
    message: str

    @property
    def id(self) -> int:
        return self.event["id"]


def frame(event: dict) -> Frame:
    delivered = with_audio_url(event)
    return Frame(delivered, sse_message(delivered))


def read_frames(conn: Connection, after: int, limit: int = BATCH) -> list[Frame]:
    return [frame(e) for e in read_events(conn, after, limit)]


class Subscription:
    """One stream's wake-up flag, set from any thread onto the stream's event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.event = asyncio.Event()


def _wake_on(loop: asyncio.AbstractEventLoop, subs: list[Subscription]) -> None:
    """Set the flags of `subs` (all on `loop`) with one hop onto that loop."""

    def set_all() -> None:
        for sub in subs:
            sub.event.set()

    with contextlib.suppress(RuntimeError):  # a closed loop: the streams are gone
        loop.call_soon_threadsafe(set_all)


class EventHub:
    def __init__(self, database: Database, *, ring_size: int = RING_SIZE) -> None:
        self.database = database
        self._lock = threading.Lock()
        self._ring: deque[Frame] = deque(maxlen=ring_size)
        self._last = 0
        self._subs: set[Subscription] = set()
        self._wake = threading.Event()
        self._read_needed = threading.Event()  # set: events to read from the table
        self._notified = 0  # the highest id NOTIFY announced (PostgreSQL): read up to it
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.closed = False

    # -- lifecycle
    def start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            with self.database.read() as conn:
                self._last = eventlog.last_id(conn)
            self._thread = threading.Thread(target=self._run, name="event-hub", daemon=True)
            self._thread.start()
        self.database.on_event_rows.append(self.committed)

    def close(self) -> None:
        """End every stream (so a graceful shutdown does not wait for them) and stop."""
        self.closed = True
        self._stop.set()
        self._wake.set()
        self._wake_all()
        if self.committed in self.database.on_event_rows:
            self.database.on_event_rows.remove(self.committed)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)

    # -- input (any thread)
    def notify(self, last_id: int = 0) -> None:
        if last_id and last_id <= self._last:  # our own commit, already taken (PostgreSQL)
            return
        if last_id:  # read only if this process's own commit has not brought it meanwhile
            self._notified = max(self._notified, last_id)
        else:
            self._read_needed.set()
        self._wake.set()

    def committed(self, rows: list[dict]) -> None:
        """This process's commit (after COMMIT, the committing thread): ticket issues are
        taken as they are, in id order (issue 17: no read per commit); anything else, or
        rows after a gap (another commit's callback still to come), wakes the reader."""
        events = [own_payload(row) for row in rows]
        frames = None if any(e is None for e in events) else [frame(e) for e in events]
        with self._lock:
            if events[-1] is not None and events[-1]["id"] <= self._last:
                return  # read already (the reader was woken by another commit)
            if frames is None or frames[0].id != self._last + 1:
                self._read_needed.set()
            else:
                self._ring.extend(frames)
                self._last = frames[-1].id
        self._wake.set()  # the hub's thread wakes the streams, once for many commits

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._wake.wait(POLL_SECONDS):
                self._read_needed.set()  # the slow poll (another process on SQLite)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                must = self._read_needed.is_set()
                if must:
                    self._read_needed.clear()
                elif self._notified > self._last:
                    self._stop.wait(OWN_COMMIT_GRACE_S)
                if must or self._notified > self._last:
                    self._load()
                self._wake_all()
            except Exception:  # the database may be down for a while: keep trying
                log.exception("reading new ticket events failed")
                self._stop.wait(POLL_SECONDS)

    def _load(self) -> None:
        while True:
            with self.database.read() as conn:
                frames = read_frames(conn, self._last)
            with self._lock:  # a commit's own rows may have come in meanwhile (committed)
                new = [f for f in frames if f.id > self._last]
                self._ring.extend(new)
                if new:
                    self._last = new[-1].id
            if len(frames) < BATCH:
                return
            self._wake_all()

    def _wake_all(self) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[Subscription]] = defaultdict(list)
        with self._lock:
            for sub in self._subs:
                by_loop[sub.loop].append(sub)
        for loop, subs in by_loop.items():
            _wake_on(loop, subs)

    # -- output (streams)
    @property
    def last_id(self) -> int:
        return self._last

    def subscribe(self, loop: asyncio.AbstractEventLoop) -> Subscription:
        sub = Subscription(loop)
        with self._lock:
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    def since(self, after: int) -> list[Frame] | None:
        """Events after `after` from memory, or None when they must be read from the table.
        A live stream lags by a few events: walk back from the newest, not the whole ring."""
        with self._lock:
            if after >= self._last:
                return []
            if not self._ring or self._ring[0].id > after + 1:
                return None
            newer: list[Frame] = []
            for item in reversed(self._ring):
                if item.id <= after:
                    break
                newer.append(item)
        newer.reverse()
        return newer[:BATCH]

    def read(self, after: int) -> list[Frame]:
        """A resume point older than memory: read the table (blocking; run in a thread)."""
        with self.database.read() as conn:
            return read_frames(conn, after)


class PgListener:
    """`LISTEN hall_events` on its own psycopg connection; each notification wakes the hub.
    Reconnects after a failure and then wakes the hub once (it catches up by id)."""

    def __init__(self, sqlalchemy_url: Any, on_notify: Callable[[int], None]) -> None:
        self._conninfo = sqlalchemy_url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        self._on_notify = on_notify
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-listen", daemon=True)
        self.connected = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        import psycopg

        backoff = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {eventlog.CHANNEL}")
                    self.connected.set()
                    backoff = 0.5
                    self._on_notify(0)  # catch up on anything committed while away
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=1.0):
                            self._on_notify(int(note.payload) if note.payload.isdigit() else 0)
            except Exception as exc:  # noqa: BLE001 - any failure: reconnect
                self.connected.clear()
                if self._stop.is_set():
                    return
                log.warning("event listener connection lost (%s); reconnecting", exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)


class Background:
    """The server's background duties: the event hub, the PostgreSQL listener, the sweep."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.hub = EventHub(ctx.database)
        self.listener: PgListener | None = None
        self.notify = NotifyWatcher(ctx)  # SMS notices (hall_server/notify_hooks.py)
        self.checkpointer = WalCheckpointer(ctx.database, ctx.settings.server.sqlite_checkpoint_s)
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None
        self._started = False
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        self.checkpointer.start()
        self.hub.start()
        if not self.ctx.database.is_sqlite:
            self.listener = PgListener(self.ctx.database.engine.url, self.hub.notify)
            self.listener.start()
        self._sweeper = threading.Thread(target=self._sweep_loop, name="sweep", daemon=True)
        self._sweeper.start()
        self.notify.start()

    def stop(self) -> None:
        self._stop.set()
        self.hub.close()
        if self.listener is not None:
            self.listener.close()
        if self._sweeper is not None:
            self._sweeper.join(5)
        self.notify.stop()
        self.checkpointer.stop()

    def sweep(self) -> int:
        """Expire open tickets of past business days now (the hall's clock)."""
        return lifecycle.sweep(self.ctx.database, now=self.ctx.now(), zone=self.ctx.zone)

    def _sweep_loop(self) -> None:
        swept: date | None = None
        while not self._stop.is_set():
            today = self.ctx.today()
            if today != swept:
                try:
                    self.sweep()
                    swept = today
                except Exception:  # a database outage: try again at the next check
                    log.exception("midnight sweep failed")
            self._stop.wait(SWEEP_CHECK_SECONDS)
