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

from common.errors import KioskError
from hardware.base import DeviceEvent, DeviceStatus, StatusReport

log = logging.getLogger(__name__)

# Errors about the reader itself (close it, report a fault, retry later); the others are
# about one card and end that card's read.
DEVICE_ERRORS = {"E-IDC-02", "E-IDC-05", "E-IDC-07", "E-IDC-10", "E-HW-01", "E-HW-02"}


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
        self._polling = idcard is not None
        self._state = _CardState.CLOSED
        self._reopen_at = 0.0
        self._status: StatusReport | None = None

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

    # --- the thread ---
    def _run(self) -> None:
        next_poll = time.monotonic()
        try:
            while True:
                wait = max(0.0, next_poll - time.monotonic()) if self._polling else None
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
                    next_poll = time.monotonic() + self.poll_interval
        finally:
            self._cancel_pending()
            self._close_idcard()

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
            self._emit(
                "card_placed",
                "idcard",
                {
                    "card": None,
                    "error": {
                        "code": exc.code,
                        "message": exc.message,
                        "screen_text": exc.screen_text,
                    },
                },
            )
            return
        self._emit("card_placed", "idcard", {"card": card})

    def _close_idcard(self) -> None:
        if self._idcard is not None and self._idcard.is_open:
            try:
                self._idcard.close()
            except KioskError as exc:
                log.warning("closing the ID card reader: %s", exc.message)
        self._state = _CardState.CLOSED
