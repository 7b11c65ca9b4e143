"""SMS notifications to citizens (到号提醒, 办件进度短信): one interface, two implementations.

- `FileSink` (the default, and for tests): one JSON line per message, the phone masked
  (139****5678) — the file is a log a technician may read.
- `AliyunSms` (hall_server/sms_aliyun.py): Aliyun's SendSms API, templates and signature from
  `[notify]` in the settings.

`Dispatcher` sends from its own thread with retries and backoff, so a platform outage never
blocks the queue: `submit()` only enqueues. Who calls it (ticket events, application status
changes) and where the numbers are kept: hall_server/notify_hooks.py.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from common.errors import NOTIFY_FAILED, KioskError
from common.redact import mask_phone

log = logging.getLogger(__name__)

NoticeKind = Literal["near", "call", "status"]

# What each message says (the file sink writes it; a platform fills its own template).
TEXTS: dict[str, str] = {
    "near": "您的号码{number}前面还有{ahead}人，请回到等候区留意叫号。",
    "call": "请{number}号到{counter}号窗口办理。",
    "status": "您的办件{number}状态更新为：{status}。",
}


@dataclass(frozen=True)
class Notice:
    phone: str  # personal data: never logged unmasked
    kind: NoticeKind
    params: dict[str, str] = field(default_factory=dict)
    key: str = ""  # the caller's once-only key (hall_server/notify_hooks.py), reported back

    def text(self) -> str:
        return TEXTS[self.kind].format(**self.params)


class NotifyFailed(KioskError):
    """E-NTF-01; `retryable` says whether sending again may help (network, throttling)."""

    def __init__(self, detail: str, *, retryable: bool) -> None:
        super().__init__(NOTIFY_FAILED, detail)
        self.retryable = retryable


class Notifier(Protocol):
    def send(self, notice: Notice) -> None:
        """Deliver one message or raise NotifyFailed."""


class FileSink:
    """JSON lines: {"at", "to" (masked), "kind", "params", "text"}."""

    def __init__(self, path: Path, *, clock: Callable[[], datetime] | None = None) -> None:
        self.path = path
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()

    def send(self, notice: Notice) -> None:
        line = {
            "at": self._clock().isoformat(),
            "to": mask_phone(notice.phone),
            "kind": notice.kind,
            "params": notice.params,
            "text": notice.text(),
        }
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")


def open_notifier(settings: Any, data_dir: Path) -> Notifier:
    """The notifier `[notify] backend` names."""
    notify = settings.notify
    if notify.backend == "aliyun":
        from hall_server.sms_aliyun import AliyunSms

        return AliyunSms.from_settings(notify)
    return FileSink(Path(notify.file) if notify.file else data_dir / "notifications.jsonl")


class Dispatcher:
    """Sends on one worker thread; a failed send is retried `retries` times after
    `backoff`, 2×backoff, … seconds, then dropped with an error log (phone masked)."""

    def __init__(
        self,
        notifier: Notifier,
        *,
        retries: int = 3,
        backoff: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        on_done: Callable[[Notice, bool], None] | None = None,
    ) -> None:
        self.notifier = notifier
        self.on_done = on_done  # (notice, sent?) on the worker thread, after the last try
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep
        self._queue: queue.Queue[Notice | None] = queue.Queue()
        self.sent = 0
        self.failed = 0
        self._thread = threading.Thread(target=self._run, name="notify", daemon=True)
        self._thread.start()

    def submit(self, notice: Notice) -> None:
        """Never blocks and never raises: the caller is the queue."""
        self._queue.put(notice)

    def join(self, timeout: float = 10.0) -> bool:
        """Wait until everything submitted so far was sent or given up (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self._queue.unfinished_tasks

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            notice = self._queue.get()
            try:
                if notice is None:
                    return
                ok = self._deliver(notice)
                if self.on_done is not None:
                    self.on_done(notice, ok)
            except Exception:  # the callback's failure must not end the worker
                log.exception("notice bookkeeping failed")
            finally:
                self._queue.task_done()

    def _deliver(self, notice: Notice) -> bool:
        for attempt in range(self.retries + 1):
            try:
                self.notifier.send(notice)
                self.sent += 1
                return True
            except NotifyFailed as exc:
                last = exc
                if not exc.retryable:
                    break
            except Exception as exc:  # a bug in an adapter must not kill the worker
                log.exception("notifier failed")
                last = NotifyFailed(str(exc), retryable=False)
                break
            if attempt < self.retries:
                self._sleep(self.backoff * 2**attempt)
        self.failed += 1
        log.error(
            "SMS %s to %s not sent: %s %s",
            notice.kind,
            mask_phone(notice.phone),
            last.error.code,
            last.detail,
        )
        return False
