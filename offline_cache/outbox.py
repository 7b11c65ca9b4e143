"""The outbox: every citizen submission, exactly once.

A submission is written in the same transaction as the record it creates, with a
client-generated UUID that travels as its Idempotency-Key. States only go forward:
pending → sending → sent | refused (morango's lesson). A record that was `sending` when the
process died is simply sent again: the key makes the retry harmless.

- Streams are independent; inside one stream (e.g. the tickets of one service) records go in
  order, so a record waits while an earlier one of its stream is not yet delivered.
- Timeouts, 429 and 5xx: back off with jitter and retry later. Retry times are wall-clock
  seconds (they must survive a restart), so a clock set back after a record was scheduled
  would leave it, and its whole stream, waiting for hours: a retry time further ahead than the
  longest backoff is taken as due now. A clock set forward only makes a retry come early.
- 401/403: pause the whole outbox and tell the technician; a revoked credential must not
  condemn the backlog.
- Any other 4xx: that record is refused and the rest go on. A refusal that was the citizen's
  answer on screen (no tickets left, per-ID limit, unknown appointment: ANSWERED_ON_SCREEN,
  on the online fast path) is marked `answered_at`, counts nowhere and expires after a day
  (offline_cache/retention.py). Every other refusal, above all one of a number the citizen
  holds on paper, stays an open alarm until a technician acknowledges it (`acknowledged_at`).
- A record never handed to the citizen (a ticket saved but not shown or printed when the
  kiosk died, kiosk/tickets.py) is `void` if it never left the kiosk: it is never sent. One the
  server may have is undone by a `ticket_cancel` record, sent to the ticket's cancel route
  rather than the batch push. While the process that saved a record has not handed it over,
  the record is `held_back` (in memory) from the syncer.
- One sender at a time across processes: an flock on KIOSK_HOME/outbox.lock, which the kernel
  drops when the holder dies.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import random
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import errors
from common.errors import KioskError
from offline_cache.client import HallClient
from offline_cache.crypto import Sealer
from offline_cache.store import LocalStore

log = logging.getLogger(__name__)

TRANSIENT = {errors.SERVER_UNREACHABLE.code, errors.SERVER_TIMEOUT.code, errors.SERVER_BUSY.code,
             errors.SERVER_ERROR.code, errors.SERVER_REPLY_INVALID.code}
AUTH = {errors.AUTH_MISSING.code, errors.AUTH_FORBIDDEN.code, errors.DEVICE_CLONED.code}
PAUSE_META = "outbox_paused"
# Refusals caused by the citizen and shown to them at once: answers, not lost records.
ANSWERED_ON_SCREEN = {errors.DAILY_CAP_REACHED.code, errors.HOLDER_LIMIT_REACHED.code,
                      errors.APPOINTMENT_INVALID.code,
                      errors.NOTIFY_TARGET_CLOSED.code}  # SMS number for a closed ticket
# A refusal still waiting for a technician: neither answered on screen nor acknowledged.
OPEN_REFUSAL = "state = 'refused' AND answered_at IS NULL AND acknowledged_at IS NULL"
# The state a record counts under: answered or acknowledged refusals count as 'settled'.
_COUNTED_STATE = (f"CASE WHEN state = 'refused' AND NOT ({OPEN_REFUSAL}) THEN 'settled' "
                  "ELSE state END")
BATCH_LIMIT = 500
CANCEL_KIND = "ticket_cancel"  # body {"ticket_id", "reason"}; its own stream, sent one by one

# Applied to domain tables when the server accepted a record: kind -> fn(conn, key, reply).
Applier = Callable[[sqlite3.Connection, str, dict[str, Any]], None]


@dataclass
class DrainReport:
    pushed: int = 0
    refused: int = 0
    deferred: int = 0
    paused: str | None = None
    error: str | None = None  # the transient error that stopped this drain, if any
    per_stream: dict[str, int] = field(default_factory=dict)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


MAX_BACKOFF_S = 300.0


def backoff_seconds(attempts: int) -> float:
    """Exponential with full jitter, capped at 5 minutes."""
    return random.uniform(0, min(MAX_BACKOFF_S, 0.5 * 2 ** min(attempts, 10)))


class Outbox:
    def __init__(self, store: LocalStore, sealer: Sealer, lock_path: Path,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.sealer = sealer
        self.lock_path = lock_path
        self.clock = clock  # wall-clock seconds; injectable so tests can move the clock
        self.appliers: dict[str, Applier] = {}
        # saved by this process and not yet handed to the citizen: the syncer leaves them
        self.held_back: set[str] = set()

    def _retry_at(self, attempts: int) -> float:
        return self.clock() + backoff_seconds(attempts)

    # --- writing -----------------------------------------------------------------------------
    def enqueue(self, conn: sqlite3.Connection, *, key: str, kind: str, stream: str,
                body: dict[str, Any]) -> None:
        """Call inside the caller's transaction, beside the record the submission creates."""
        seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox WHERE stream = ?",
                           (stream,)).fetchone()[0]
        sealed = self.sealer.seal(json.dumps(body, ensure_ascii=False).encode(), aad=key)
        conn.execute(
            "INSERT INTO outbox(key, kind, stream, seq, state, body, created_at) "
            "VALUES (?, ?, ?, ?, 'pending', ?, ?)", (key, kind, stream, seq, sealed, now_iso()))

    def replace_body(self, conn: sqlite3.Connection, key: str, body: dict[str, Any]) -> None:
        """Only for a record that provably never reached the server (connection refused)."""
        sealed = self.sealer.seal(json.dumps(body, ensure_ascii=False).encode(), aad=key)
        conn.execute("UPDATE outbox SET body = ? WHERE key = ? AND state IN ('pending','sending')",
                     (sealed, key))

    def void(self, conn: sqlite3.Connection, key: str) -> bool:
        """Never send this record, if it never left the kiosk (pending, no attempt): True.
        In the caller's transaction."""
        return conn.execute("UPDATE outbox SET state = 'void', sent_at = ? WHERE key = ? AND "
                            "state = 'pending' AND attempts = 0", (now_iso(), key)).rowcount > 0

    def enqueue_cancel(self, conn: sqlite3.Connection, ticket_id: str, reason: str) -> str:
        """Undo a ticket the server issued (its POST …/tickets/{id}/cancel, idempotent by this
        record's key): in the caller's transaction; returns the key."""
        key = str(uuid.uuid4())
        self.enqueue(conn, key=key, kind=CANCEL_KIND, stream=CANCEL_KIND,
                     body={"ticket_id": ticket_id, "reason": reason})
        return key

    def body_of(self, row: dict[str, Any]) -> dict[str, Any]:
        return json.loads(self.sealer.open(row["body"], aad=row["key"]))

    # --- state ---------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Records per state; `refused` counts only open refusals (answered on screen or
        acknowledged ones are `settled`)."""
        rows = self.store.query(
            f"SELECT {_COUNTED_STATE} AS state, COUNT(*) AS n FROM outbox GROUP BY 1")
        out = {"pending": 0, "sending": 0, "sent": 0, "refused": 0, "settled": 0, "void": 0}
        out.update({r["state"]: r["n"] for r in rows})
        return out

    def per_stream(self) -> dict[str, dict[str, int]]:
        rows = self.store.query(
            f"SELECT kind, {_COUNTED_STATE} AS state, COUNT(*) AS n FROM outbox GROUP BY 1, 2")
        out: dict[str, dict[str, int]] = {}
        for r in rows:
            out.setdefault(r["kind"], {"pending": 0, "sending": 0, "sent": 0, "refused": 0,
                                       "settled": 0, "void": 0})
            out[r["kind"]][r["state"]] = r["n"]
        return out

    def list(self, states: tuple[str, ...] = ("pending", "sending", "refused"),
             limit: int = 200, *, settled: bool = False) -> list[dict[str, Any]]:
        """Records in `states`; refusals answered on screen or acknowledged only with
        `settled`."""
        marks = ",".join("?" * len(states))
        hide = "" if settled else f" AND (state != 'refused' OR ({OPEN_REFUSAL}))"
        return self.store.query(
            f"SELECT key, kind, stream, seq, state, created_at, attempts, sent_at, error_code, "
            f"error_message, answered_at, acknowledged_at FROM outbox "
            f"WHERE state IN ({marks}){hide} ORDER BY created_at LIMIT ?",
            (*states, limit))

    def backlog(self, exclude_kinds: tuple[str, ...] = ()) -> dict[str, Any]:
        """What waits for the server, and what it refused that still needs a technician
        (kinds such as telemetry left out; refusals the citizen saw on screen, or a technician
        acknowledged, are not alarms): {"pending" (sending included), "refused",
        "oldest_pending_at"}."""
        marks = ",".join("?" * len(exclude_kinds))
        rows = self.store.query(
            "SELECT state, COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox "
            f"WHERE kind NOT IN ({marks}) AND (state IN ('pending', 'sending') OR ({OPEN_REFUSAL})) "
            "GROUP BY state",
            exclude_kinds)
        by = {r["state"]: r for r in rows}
        waiting = [by[s] for s in ("pending", "sending") if s in by]
        return {
            "pending": sum(r["n"] for r in waiting),
            "refused": by["refused"]["n"] if "refused" in by else 0,
            "oldest_pending_at": min((r["oldest"] for r in waiting), default=None),
        }

    def drop_pending(self, conn: sqlite3.Connection, kind: str) -> int:
        """Drop the records of `kind` not sent yet (not one being sent right now): for kinds
        where only the newest matters (heartbeats). In the caller's transaction."""
        return conn.execute("DELETE FROM outbox WHERE kind = ? AND state = 'pending'",
                            (kind,)).rowcount

    def prune_sent(self, kinds: tuple[str, ...], before: str) -> int:
        """Delete delivered records of `kinds` sent before `before` (ISO time): the server
        has them (telemetry); citizens' records are kept and only blanked (retention.py)."""
        marks = ",".join("?" * len(kinds))
        with self.store.transaction() as conn:
            return conn.execute(
                f"DELETE FROM outbox WHERE kind IN ({marks}) AND state = 'sent' AND sent_at < ?",
                (*kinds, before)).rowcount

    def acknowledge(self, keys: list[str] | None = None) -> int:
        """A technician has seen these refusals (all open ones when `keys` is None): they stop
        counting as alarms. Returns how many were acknowledged."""
        where = OPEN_REFUSAL
        params: tuple[Any, ...] = (now_iso(),)
        if keys is not None:
            where += f" AND key IN ({','.join('?' * len(keys))})"
            params += tuple(keys)
        with self.store.transaction() as conn:
            count = conn.execute(f"UPDATE outbox SET acknowledged_at = ? WHERE {where}",
                                 params).rowcount
        if count:
            log.info("outbox: %d refused record(s) acknowledged by a technician", count)
        return count

    def paused(self) -> str | None:
        return self.store.get_meta(PAUSE_META) or None

    def resume(self) -> None:
        with self.store.transaction() as conn:
            self.store.set_meta(conn, PAUSE_META, "")

    def get(self, key: str) -> dict[str, Any] | None:
        rows = self.store.query("SELECT * FROM outbox WHERE key = ?", (key,))
        return rows[0] if rows else None

    # --- sending -------------------------------------------------------------------------------
    @contextmanager
    def sender_lock(self, wait: bool) -> Iterator[bool]:
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)  # closing drops the lock

    def _due(self, limit: int) -> list[dict[str, Any]]:
        """Deliverable records in stream order; a stream stops at its first record not due."""
        rows = self.store.query(
            "SELECT * FROM outbox WHERE state IN ('pending','sending') ORDER BY stream, seq")
        now = self.clock()
        picked, blocked = [], set()
        for row in rows:
            if row["stream"] in blocked or row["key"] in self.held_back:
                continue
            wait = row["next_attempt_at"] - now
            if wait > MAX_BACKOFF_S:  # scheduled before the clock was set back: due now
                log.warning("outbox record %s was due %.0f s from now: the clock went back; "
                            "sending it now", row["key"], wait)
            elif wait > 0:
                blocked.add(row["stream"])
                continue
            picked.append(row)
            if len(picked) >= limit:
                break
        return picked

    def _mark_sending(self, keys: list[str]) -> None:
        with self.store.transaction() as conn:
            conn.executemany(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1 "
                "WHERE key = ? AND state IN ('pending','sending')", [(k,) for k in keys])

    def _settle(self, conn: sqlite3.Connection, row: dict[str, Any], status: int,
                body: dict[str, Any], report: DrainReport) -> str:
        """Apply one server result; returns 'sent' | 'refused' | 'deferred' | 'paused'."""
        key = row["key"]
        if 200 <= status < 300:
            conn.execute("UPDATE outbox SET state = 'sent', sent_at = ?, result = ?, "
                         "error_code = NULL, error_message = NULL WHERE key = ?",
                         (now_iso(), json.dumps(body, ensure_ascii=False), key))
            applier = self.appliers.get(row["kind"])
            if applier:
                applier(conn, key, body)
            report.pushed += 1
            report.per_stream[row["kind"]] = report.per_stream.get(row["kind"], 0) + 1
            return "sent"
        err = body.get("error", {}) if isinstance(body, dict) else {}
        code = err.get("code", "")
        if status in (401, 403):
            return "paused"
        if status == 429 or status >= 500 or status == 0:
            conn.execute("UPDATE outbox SET next_attempt_at = ?, error_code = ?, error_message = ? "
                         "WHERE key = ?", (self._retry_at(row["attempts"] + 1),
                                           code or "E-NET-01", err.get("message", ""), key))
            report.deferred += 1
            return "deferred"
        conn.execute("UPDATE outbox SET state = 'refused', sent_at = ?, error_code = ?, "
                     "error_message = ? WHERE key = ?",
                     (now_iso(), code or f"HTTP-{status}", err.get("message", ""), key))
        log.warning("outbox record %s (%s) refused by the server: %s", key, row["kind"], code)
        report.refused += 1
        return "refused"

    def _pause(self, code: str, report: DrainReport) -> None:
        with self.store.transaction() as conn:
            self.store.set_meta(conn, PAUSE_META, code)
        report.paused = code
        log.error("outbox paused: the hall server rejected this kiosk's credentials (%s); "
                  "a technician must re-enrol it", code)

    def drain(self, client: HallClient, *, batch: int = BATCH_LIMIT, deadline: float = 30.0,
              wait_lock: bool = False) -> DrainReport:
        """Push everything due, in batches, until done, deferred, paused or out of time."""
        report = DrainReport()
        if self.paused():
            report.paused = self.paused()
            return report
        with self.sender_lock(wait_lock) as got:
            if not got:
                return report
            end = time.monotonic() + deadline
            while time.monotonic() < end:
                rows = self._due(batch)
                if not rows:
                    break
                direct = [r for r in rows if r["kind"] == CANCEL_KIND]
                rows = [r for r in rows if r["kind"] != CANCEL_KIND]
                for row in direct:  # no batch route for these: one call each, in order
                    outcome = self._send_one(client, row, None, report)
                    if outcome == "paused":
                        return report
                    if outcome == "deferred":
                        break
                if not rows:
                    if report.deferred:
                        break
                    continue
                self._mark_sending([r["key"] for r in rows])
                records = [{"key": r["key"], "kind": r["kind"], "body": self.body_of(r)} for r in rows]
                try:
                    results = client.push_batch(records)
                except KioskError as exc:
                    if exc.code in AUTH:
                        self._pause(exc.code, report)
                        break
                    self._defer_all(rows, exc, report)
                    report.error = exc.code
                    break
                by_key = {r["key"]: r for r in results}
                stop = False
                with self.store.transaction() as conn:
                    failed_streams: set[str] = set()
                    for row in rows:
                        if row["stream"] in failed_streams:
                            continue  # keep order inside a stream
                        res = by_key.get(row["key"])
                        status, body = (res["status"], res.get("body") or {}) if res else (0, {})
                        outcome = self._settle(conn, {**row, "attempts": row["attempts"] + 1},
                                               int(status), body, report)
                        if outcome == "paused":
                            stop = True
                            break
                        if outcome == "deferred":
                            failed_streams.add(row["stream"])
                if stop:
                    self._pause(errors.AUTH_MISSING.code, report)
                    break
                if report.deferred:
                    break
        return report

    def _defer_all(self, rows: list[dict[str, Any]], exc: KioskError, report: DrainReport) -> None:
        with self.store.transaction() as conn:
            for row in rows:
                conn.execute("UPDATE outbox SET next_attempt_at = ?, error_code = ?, "
                             "error_message = ? WHERE key = ?",
                             (self._retry_at(row["attempts"] + 1), exc.code,
                              exc.message[:200], row["key"]))
        report.deferred += len(rows)

    def send_now(self, client: HallClient, key: str, timeout: tuple[float, float]) -> dict[str, Any]:
        """Deliver one record at once (the online fast path of a ticket). Raises KioskError on
        failure after recording it; the record stays in the outbox for the syncer."""
        row = self.get(key)
        if row is None or row["state"] in ("sent", "refused", "void"):
            raise KioskError(errors.STORE_FAILED, f"outbox record {key} is not deliverable")
        return self._deliver(client, row, timeout, DrainReport())

    def _send_one(self, client: HallClient, row: dict[str, Any],
                  timeout: tuple[float, float] | None, report: DrainReport) -> str:
        """A record the batch push does not take, by the syncer: 'sent' | 'refused' |
        'deferred' | 'paused'."""
        refused_before = report.refused
        try:
            self._deliver(client, row, timeout, report)
        except KioskError as exc:
            if report.paused:
                return "paused"
            if report.refused > refused_before:
                return "refused"
            report.deferred += 1
            report.error = exc.code
            return "deferred"
        return "sent"

    def _deliver(self, client: HallClient, row: dict[str, Any],
                 timeout: tuple[float, float] | None, report: DrainReport) -> dict[str, Any]:
        key = row["key"]
        self._mark_sending([key])
        body = self.body_of(row)
        try:
            if row["kind"] == CANCEL_KIND:
                reply = client.cancel_ticket(body["ticket_id"], key, reason=body.get("reason"),
                                             timeout=timeout).model_dump(mode="json")
            else:
                send = {"ticket": client.post_ticket, "application": client.post_application,
                        "evaluation": client.post_evaluation, "phone": client.post_phone}[row["kind"]]
                reply = send(body, key, timeout=timeout).model_dump(mode="json")
        except KioskError as exc:
            status = getattr(exc, "http_status", 0)
            if exc.code in AUTH:
                self._pause(exc.code, report)
            elif status and 400 <= status < 500 and status != 429:
                with self.store.transaction() as conn:
                    outcome = self._settle(conn, {**row, "attempts": row["attempts"] + 1},
                                           status, exc.to_json(), report)
                    if outcome == "refused" and exc.code in ANSWERED_ON_SCREEN \
                            and "offline_number" not in body:
                        # the caller shows this refusal to the citizen now: an answer
                        conn.execute("UPDATE outbox SET answered_at = ? WHERE key = ?",
                                     (now_iso(), key))
            else:
                with self.store.transaction() as conn:
                    conn.execute("UPDATE outbox SET next_attempt_at = ?, error_code = ? "
                                 "WHERE key = ?", (self._retry_at(row["attempts"] + 1),
                                                   exc.code, key))
            raise
        with self.store.transaction() as conn:
            self._settle(conn, {**row, "attempts": row["attempts"] + 1}, 201, reply, report)
        return reply
