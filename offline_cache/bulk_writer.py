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
        self._jobs.put(job)

    def close(self) -> None:
        """Wait for the queued jobs; raises the first job's error."""
        self._jobs.put(None)
        self._thread.join()
        self._raise()

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            if self._error is not None:
                continue  # drained, not run: the caller sees the first error
            try:
                job()
            except BaseException as exc:  # handed to the caller's thread
                self._error = exc

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
