"""The one road between the app core's worker thread and the UI thread (Electrum's rule).

Screens never start threads and never touch devices or the network: view-models ask the core
through `Bridge.call`, the core does the work in its worker, and the result comes back through
`post` — `Clock.schedule_once` in the app, a `ManualLoop` in view-model tests — so every
view-model method runs on one thread.

Results that arrive after the citizen's session was wiped (idle timeout, 退出, card removed)
are dropped: `invalidate()` bumps a generation number every call remembers, so a slow answer
can never paint a previous citizen's data onto a fresh screen.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

Post = Callable[..., None]  # post(fn, *args): run fn(*args) on the UI thread, soon
Done = Callable[[Any, BaseException | None], None]


class CoreLike(Protocol):
    """The part of `kiosk.core.KioskCore` the bridge needs."""

    def run_async(
        self, fn: Callable[..., Any], *args: Any, on_done: Any = None, **kwargs: Any
    ) -> Any: ...

    def add_listener(self, callback: Callable[[str, dict], None]) -> Any: ...


class Bridge:
    def __init__(self, core: Any, post: Post) -> None:
        self.core = core
        self._post = post
        self.generation = 0
        self._event_handlers: list[Callable[[str, dict], None]] = []
        self.pending = 0  # calls not answered yet (the UI shows a busy state)
        core.add_listener(self._on_core_event)

    def call(self, fn: Callable[..., Any], *args: Any, on_done: Done, **kwargs: Any) -> None:
        """Run `fn(*args, **kwargs)` in the core's worker; `on_done(result, error)` on the UI
        thread, unless the session was wiped meanwhile."""
        generation = self.generation
        self.pending += 1

        def finished(result: Any, error: BaseException | None) -> None:  # worker thread
            self._post(self._deliver, generation, on_done, result, error)

        self.core.run_async(fn, *args, on_done=finished, **kwargs)

    def _deliver(
        self, generation: int, on_done: Done, result: Any, error: BaseException | None
    ) -> None:
        self.pending = max(0, self.pending - 1)
        if generation != self.generation:
            log.debug("dropped a result for a wiped session")
            return
        on_done(result, error)

    def invalidate(self) -> None:
        self.generation += 1

    def on_event(self, handler: Callable[[str, dict], None]) -> None:
        self._event_handlers.append(handler)

    def _on_core_event(self, name: str, payload: dict) -> None:  # worker thread
        self._post(self._dispatch_event, name, dict(payload or {}))

    def _dispatch_event(self, name: str, payload: dict) -> None:
        for handler in list(self._event_handlers):
            try:
                handler(name, payload)
            except Exception:  # one broken screen must not stop the others hearing events
                log.exception("event handler failed for %s", name)


class ManualLoop:
    """A UI-thread stand-in for code without Kivy (view-model tests, scripted CLI runs):
    `post` queues from any thread, `run_until` runs the queued calls on the caller's thread."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[Callable[..., None], tuple[Any, ...]]] = queue.Queue()

    def post(self, fn: Callable[..., None], *args: Any) -> None:
        self._queue.put((fn, args))

    def run_pending(self) -> int:
        n = 0
        while True:
            try:
                fn, args = self._queue.get_nowait()
            except queue.Empty:
                return n
            fn(*args)
            n += 1

    def run_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("condition not reached in time")
            try:
                fn, args = self._queue.get(timeout=min(remaining, 0.05))
            except queue.Empty:
                continue
            fn(*args)
