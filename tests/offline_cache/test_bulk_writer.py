"""The writer thread of a first catalog sync (offline_cache/bulk_writer.py): jobs run in order
in one other thread, a job's error reaches the caller and stops the jobs after it, and a
caller that fails waits for the job in hand before it rolls anything back."""

from __future__ import annotations

import threading

import pytest

from offline_cache.bulk_writer import Writer


def test_jobs_run_in_order_in_one_other_thread():
    done: list[tuple[int, str]] = []
    with Writer(depth=2) as writer:
        for n in range(20):
            writer.submit(lambda n=n: done.append((n, threading.current_thread().name)))
    assert [n for n, _ in done] == list(range(20))
    assert {name for _, name in done} == {"bulk-writer"}


def test_a_failed_job_reaches_the_caller_and_no_later_job_runs():
    ran: list[int] = []
    failed = threading.Event()

    def fail() -> None:
        failed.set()
        raise OSError("disk I/O error")

    with pytest.raises(OSError, match="disk I/O"), Writer() as writer:
        writer.submit(lambda: ran.append(1))
        writer.submit(fail)
        failed.wait(5)
        for n in range(2, 6):
            writer.submit(lambda n=n: ran.append(n))
    assert ran == [1]


def test_a_failing_caller_waits_for_the_job_in_hand_and_skips_the_queued_ones():
    started, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def slow() -> None:
        started.set()
        release.wait(5)
        ran.append("slow")

    with pytest.raises(ValueError), Writer() as writer:
        writer.submit(slow)
        started.wait(5)
        writer.submit(lambda: ran.append("queued"))
        threading.Timer(0.2, release.set).start()
        raise ValueError("a bad snapshot line")
    assert ran == ["slow"]  # finished before the caller went on; the queued job skipped
    assert not any(t.name == "bulk-writer" for t in threading.enumerate())
