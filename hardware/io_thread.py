"""The one thread that owns all device I/O (Electrum's model).

Drivers are not thread-safe; this thread is their only user. The app core submits jobs
(a callable plus an optional callback, both run on this thread) and receives `DeviceEvent`s
through one listener callback — also called on this thread, so the UI must hand them to its
main thread itself (Kivy: `Clock.schedule_once`). Nothing here touches widgets.

The ID card reader is polled between jobs: find card → read → wait until removed, with
events `card_placed` (payload `card`: IdCard, or `error`: {code, message, screen_text}),
`card_removed`, and `status_changed` (payload: StatusReport.to_json() plus `target`) when
the reader's health changes. A reader that fails is closed and reopened every
`reopen_interval` seconds.

While a card lies on the reader its data is kept (`present_card()`), so a screen that asks
for the card after it was placed gets it at once; `wait_card(timeout)` (any thread) returns
it, or the next card read. A card read while someone waits goes to the waiter, and its
`card_placed` event says `requested: true` so the screens do not handle it twice. The data
is dropped when the card leaves.

A scanner is polled the same way (`Scanner.poll`, which never cuts a code in flight in two),
with events `code_scanned` (payload `text`, or `text: None` and `error` for a code that
could not be read) and `status_changed` for its health.
"""

from __future__ import annotations

import enum
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from dataclasses import dataclass
from typing import Any

from common.errors import IDC_NO_CARD, KioskError
from hardware.base import DeviceEvent, DeviceStatus, StatusReport

log = logging.getLogger(__name__)

# Errors about the reader itself (close it, report a fault, retry later); the others are
# about one card and end that card's read.
DEVICE_ERRORS = {"E-IDC-02", "E-IDC-05", "E-IDC-07", "E-IDC-10", "E-HW-01", "E-HW-02"}
# Scanner errors about one code (the next code may be fine); the others are the device's.
SCAN_ERRORS = {"E-SCN-02", "E-SCN-03"}


@dataclass(frozen=True)
class JobResult:
    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class _Job:
    fn: Callable[[], Any]
    callback: Callable[[JobResult], None] | None
    future: Future


class _CardState(enum.Enum):
    CLOSED = "closed"
    IDLE = "idle"  # open, polling for a card
    WAIT_REMOVED = "wait_removed"  # a card was read; waiting for it to leave


_STOP = object()


class DeviceIoThread:
    def __init__(
        self,
        listener: Callable[[DeviceEvent], None],
        *,
        idcard: Any = None,
        scanner: Any = None,
        poll_interval: float = 0.3,
        reopen_interval: float = 2.0,
        name: str = "device-io",
    ) -> None:
        self._listener = listener
        self._idcard = idcard  # an IdCardReader, not opened: this thread opens and closes it
        self.poll_interval = poll_interval
        self.reopen_interval = reopen_interval
        self._jobs: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._stopping = threading.Event()
        self._polling = idcard is not None  # the ID card reader's switch
        self._state = _CardState.CLOSED
        self._reopen_at = 0.0
        self._status: StatusReport | None = None
        self._scanner = scanner  # a Scanner, not opened: this thread opens and closes it
        self._scanner_status: StatusReport | None = None
        self._scanner_reopen_at = 0.0
        self._card_cond = threading.Condition()
        self._card: Any = None  # the card on the reader now (read, not yet lifted)
        self._card_waiters = 0
        self._card_seq = 0  # counts reads (cards and failures), so waiters see a new one
        self._card_error: KioskError | None = None  # the last read's failure
        self._waits_ended = False

    # --- lifecycle (any thread) ---
    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Finish the running job, cancel queued ones, close the devices, join."""
        self._stopping.set()
        self._jobs.put(_STOP)
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("device I/O thread did not stop within %.1f s", timeout)

    def __enter__(self) -> DeviceIoThread:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def submit(
        self, fn: Callable[[], Any], callback: Callable[[JobResult], None] | None = None
    ) -> Future:
        """Run `fn` on the I/O thread; `callback(JobResult)` runs there too, after it."""
        if self._stopping.is_set():
            raise RuntimeError("device I/O thread is stopped")
        future: Future = Future()
        self._jobs.put(_Job(fn, callback, future))
        return future

    def set_idcard_polling(self, enabled: bool) -> None:
        """Pause or resume polling the ID card reader (e.g. while no screen needs it)."""
        self.submit(lambda: setattr(self, "_polling", enabled and self._idcard is not None))

    @property
    def idcard_status(self) -> StatusReport | None:
        return self._status

    @property
    def polls_idcard(self) -> bool:
        return self._idcard is not None

    def present_card(self) -> Any:
        """The card on the reader now (read and not lifted yet), or None."""
        with self._card_cond:
            return self._card

    def wait_card(self, timeout: float) -> Any:
        """The card on the reader, or the next one read within `timeout` seconds (any thread
        but this one). Raises the read's KioskError, or E-IDC-01 when no card came."""
        deadline = time.monotonic() + timeout
        with self._card_cond:
            if self._card is not None:
                return self._card
            seen = self._card_seq
            self._card_waiters += 1
            try:
                while self._card_seq == seen:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or self._stopping.is_set() or self._waits_ended:
                        raise KioskError(IDC_NO_CARD, f"no card within {timeout:g} s")
                    self._card_cond.wait(min(remaining, 0.5))
                if self._card_error is not None:
                    raise self._card_error
                return self._card
            finally:
                self._card_waiters -= 1

    def end_card_waits(self) -> None:
        """Shutting down: every `wait_card` returns now (E-IDC-01) instead of at its timeout,
        while jobs (a last print) still run until `stop()`."""
        with self._card_cond:
            self._waits_ended = True
            self._card_cond.notify_all()

    # --- the thread ---
    def _run(self) -> None:
        next_poll = time.monotonic()
        try:
            while True:
                polls = self._polling or self._scanner is not None
                wait = max(0.0, next_poll - time.monotonic()) if polls else None
                try:
                    item = self._jobs.get(timeout=wait)
                except queue.Empty:
                    item = None
                if item is _STOP or self._stopping.is_set():
                    if isinstance(item, _Job):
                        self._cancel(item)
                    break
                if item is not None:
                    self._run_job(item)
                    continue
                if self._polling:
                    self._idcard_step()
                if self._scanner is not None:
                    self._scanner_step()
                if polls:
                    next_poll = time.monotonic() + self.poll_interval
        finally:
            self._cancel_pending()
            self._close_idcard()
            self._close_scanner()
            with self._card_cond:  # wake any waiter: no card will come any more
                self._card_cond.notify_all()

    def _run_job(self, job: _Job) -> None:
        if not job.future.set_running_or_notify_cancel():
            return
        try:
            result = JobResult(value=job.fn())
            job.future.set_result(result.value)
        except BaseException as exc:  # the job's failure is its caller's to handle
            result = JobResult(error=exc)
            job.future.set_exception(exc)
        if job.callback is not None:
            try:
                job.callback(result)
            except Exception:
                log.exception("job callback failed")

    def _cancel_pending(self) -> None:
        while True:
            try:
                item = self._jobs.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, _Job):
                self._cancel(item)

    def _cancel(self, job: _Job) -> None:
        job.future.cancel()
        if job.callback is not None:
            try:
                job.callback(JobResult(error=CancelledError()))
            except Exception:
                log.exception("job callback failed")

    def _emit(self, kind: str, family: str, payload: dict[str, Any]) -> None:
        try:
            self._listener(DeviceEvent(kind, family, payload))
        except Exception:  # a listener bug must not stop device I/O
            log.exception("device event listener failed on %s", kind)

    # --- ID card polling ---
    def _set_status(self, report: StatusReport) -> None:
        previous = self._status
        self._status = report
        if previous is None or (previous.status, previous.code) != (report.status, report.code):
            self._emit(
                "status_changed", "idcard", {"target": self._idcard.target, **report.to_json()}
            )

    def _idcard_step(self) -> None:
        reader = self._idcard
        opening = self._state is _CardState.CLOSED
        try:
            if opening:
                if time.monotonic() < self._reopen_at:
                    return
                reader.open()
                self._state = _CardState.IDLE
            elif self._state is _CardState.IDLE:
                present = reader.card_present()
                # "ready" only once a poll worked: a SAM that is not authorised still opens
                self._set_status(StatusReport(DeviceStatus.OK, "ready"))
                if present:
                    self._read_card(reader)
            elif reader.wait_removed(0):
                self._state = _CardState.IDLE
                self._set_card(None)
                self._emit("card_removed", "idcard", {})
        except KioskError as exc:
            if opening or exc.code in DEVICE_ERRORS:
                self._fault(exc.code, exc.message)
            else:  # one bad exchange (noise, a malformed reply): try again at the next poll
                log.warning("ID card poll: %s %s", exc.code, exc.message)
        except Exception as exc:  # a driver bug: report it, keep the thread alive
            log.exception("ID card poll failed")
            self._fault("E-GEN-01", f"{type(exc).__name__}: {exc}")

    def _fault(self, code: str, message: str) -> None:
        log.warning("ID card reader fault: %s %s", code, message)
        self._set_status(StatusReport(DeviceStatus.FAULT, message, code))
        self._close_idcard()
        self._reopen_at = time.monotonic() + self.reopen_interval

    def _read_card(self, reader: Any) -> None:
        self._state = _CardState.WAIT_REMOVED
        try:
            card = reader.read_present_card()
        except KioskError as exc:
            if exc.code in DEVICE_ERRORS:
                raise
            requested = self._card_read(None, exc)
            self._emit(
                "card_placed",
                "idcard",
                {"card": None, "error": _error_payload(exc), "requested": requested},
            )
            return
        requested = self._card_read(card, None)
        self._emit("card_placed", "idcard", {"card": card, "requested": requested})

    def _card_read(self, card: Any, error: KioskError | None) -> bool:
        """Keep the card (or the failure) for `wait_card`; True when someone was waiting."""
        with self._card_cond:
            self._card, self._card_error = card, error
            self._card_seq += 1
            self._card_cond.notify_all()
            return self._card_waiters > 0

    def _set_card(self, card: Any) -> None:
        with self._card_cond:
            self._card = card

    def _close_idcard(self) -> None:
        if self._idcard is not None and self._idcard.is_open:
            try:
                self._idcard.close()
            except KioskError as exc:
                log.warning("closing the ID card reader: %s", exc.message)
        self._state = _CardState.CLOSED
        self._set_card(None)  # a closed reader cannot say the card is still there

    # --- scanner polling ---
    def _scanner_step(self) -> None:
        scanner = self._scanner
        try:
            if not scanner.is_open:
                if time.monotonic() < self._scanner_reopen_at:
                    return
                scanner.open()
                self._set_scanner_status(StatusReport(DeviceStatus.OK, "ready"))
            text = scanner.poll()
        except KioskError as exc:
            if exc.code in SCAN_ERRORS:  # this code was unreadable; tell the screen
                log.warning("scan: %s %s", exc.code, exc.message)
                self._emit("code_scanned", "scanner", {"text": None, "error": _error_payload(exc)})
            else:
                self._scanner_fault(exc.code, exc.message)
            return
        except Exception as exc:  # a driver bug: report it, keep the thread alive
            log.exception("scanner poll failed")
            self._scanner_fault("E-GEN-01", f"{type(exc).__name__}: {exc}")
            return
        if text is not None:
            self._emit("code_scanned", "scanner", {"text": text})

    def _set_scanner_status(self, report: StatusReport) -> None:
        previous = self._scanner_status
        self._scanner_status = report
        if previous is None or (previous.status, previous.code) != (report.status, report.code):
            self._emit(
                "status_changed", "scanner", {"target": self._scanner.target, **report.to_json()}
            )

    def _scanner_fault(self, code: str, message: str) -> None:
        log.warning("scanner fault: %s %s", code, message)
        self._set_scanner_status(StatusReport(DeviceStatus.FAULT, message, code))
        self._close_scanner()
        self._scanner_reopen_at = time.monotonic() + self.reopen_interval

    def _close_scanner(self) -> None:
        if self._scanner is not None and self._scanner.is_open:
            try:
                self._scanner.close()
            except KioskError as exc:
                log.warning("closing the scanner: %s", exc.message)


def _error_payload(exc: KioskError) -> dict[str, str]:
    return {"code": exc.code, "message": exc.message, "screen_text": exc.screen_text}
