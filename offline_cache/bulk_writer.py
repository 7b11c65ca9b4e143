"""Write jobs of a bulk load run in a second thread, in order, while the caller makes the next
(issue 17: a first catalog sync on the kiosk's second core).

SQLite lets go of the GIL while a statement steps (inserts, a COMMIT's fsync) and zstd while it
compresses, so the caller's Python work and the writer's overlap. The caller does not touch
the connection while jobs run (each job takes the store's lock in its transaction). At most
`depth` jobs wait, so memory stays bounded. The first
error of a job is raised in the caller (at its next `submit`, or at `close`), and no later job
runs.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from types import TracebackType

Job = Callable[[], None]


class Writer:
    def __init__(self, *, depth: int = 1, name: str = "bulk-writer") -> None:
        self._jobs: queue.Queue[Job | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> None:
        """Queue `job` (blocks while `depth` jobs wait); raises a failed job's error."""
        self._raise()
        import time
        t = time.perf_counter()
        self._jobs.put(job)
        self.waited = getattr(self, "waited", 0) + time.perf_counter() - t

    def close(self) -> None:
        """Wait for the queued jobs; raises the first job's error."""
        self._jobs.put(None)
        self._thread.join()
        self._raise()

    def _run(self) -> None:
        import os, sys, time
        c0, w0, busy = time.thread_time(), time.perf_counter(), 0.0
        try:
            self._run2()
        finally:
            if os.environ.get("S14_STATS"):
                print(f"writer {self._thread.name}: cpu {time.thread_time() - c0:.2f} wall {time.perf_counter() - w0:.2f} busy {self.busy:.2f} caller waited {getattr(self, 'waited', 0):.2f}", file=sys.stderr)

    def _run2(self) -> None:
        import time
        self.busy = 0.0
        while (job := self._jobs.get()) is not None:
            t = time.perf_counter()
            if self._error is not None:
                continue  # drained, not run: the caller sees the first error
            try:
                job()
            except BaseException as exc:  # handed to the caller's thread
                self._error = exc
            self.busy += time.perf_counter() - t

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if kind is None:
            self.close()
            return
        # the caller failed: queued jobs are skipped, the thread is waited for (it must not
        # touch the connection after the caller rolls back)
        self._error = self._error or exc
        self._jobs.put(None)
        self._thread.join()
