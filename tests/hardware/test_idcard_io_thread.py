"""The device I/O owner thread, driven by the ID card and scanner simulators."""

import os
import queue
import threading
import time

import pytest

from common.errors import KioskError
from hardware.idcard import open_idcard_reader
from hardware.io_thread import DeviceIoThread
from hardware.scanner import PtyScannerSimulator, open_scanner

TIMEOUT = 5.0


class Events:
    """Collects events from the I/O thread; `next(kind)` waits for the next of that kind."""

    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue()
        self.threads: set[str] = set()

    def __call__(self, event) -> None:
        self.threads.add(threading.current_thread().name)
        self.queue.put(event)

    def next(self, kind: str | None = None, timeout: float = TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            event = self.queue.get(timeout=max(0.01, deadline - time.monotonic()))
            if kind is None or event.kind == kind:
                return event

    def none_within(self, seconds: float, kind: str) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if self.queue.get(timeout=deadline - time.monotonic()).kind == kind:
                    return False
            except queue.Empty:
                break
        return True


@pytest.fixture
def events():
    return Events()


def test_card_placed_removed_placed_again(events):
    reader = open_idcard_reader("sim:hkmt")
    with DeviceIoThread(events, idcard=reader, poll_interval=0.02):
        status = events.next("status_changed")
        assert (status.family, status.payload["status_name"]) == ("idcard", "ok")
        placed = events.next()
        assert placed.kind == "card_placed"
        assert placed.payload["card"].kind == "hkmt_permit"
        assert events.none_within(0.2, "card_placed")  # read once, not on every poll
        reader.simulator.remove_card()
        assert events.next().kind == "card_removed"
        reader.simulator.place_card()
        assert events.next().payload["card"].permit_number == "H12345678"
    assert events.threads == {"device-io"}  # the listener is called on the I/O thread only
    assert not reader.is_open  # closed on shutdown


def test_a_failed_read_is_reported_as_an_event_with_the_error(events):
    reader = open_idcard_reader("sim?fault=lifted")
    with DeviceIoThread(events, idcard=reader, poll_interval=0.02):
        placed = events.next("card_placed")
    assert placed.payload["card"] is None
    assert placed.payload["error"]["code"] == "E-IDC-04"
    assert placed.payload["error"]["screen_text"].startswith("读卡时证件被移开")


def test_reader_fault_is_a_status_change_and_it_recovers(events):
    reader = open_idcard_reader("sim?fault=sam_unauthorised")
    with DeviceIoThread(events, idcard=reader, poll_interval=0.02, reopen_interval=0.05):
        fault = events.next("status_changed")  # it opens, but the SAM refuses to work
        assert (fault.payload["status_name"], fault.payload["code"]) == ("fault", "E-IDC-05")
        assert events.none_within(0.2, "status_changed")  # reported once, not per retry
        reader.simulator.set_fault(None)
        assert events.next("status_changed").payload["status_name"] == "ok"
        assert events.next("card_placed").payload["card"] is not None


def test_jobs_run_on_the_io_thread_with_results_and_errors(events):
    results = []
    with DeviceIoThread(events) as io:
        name = io.submit(lambda: threading.current_thread().name, results.append)
        boom = io.submit(lambda: 1 / 0, results.append)
        assert name.result(TIMEOUT) == "device-io"
        with pytest.raises(ZeroDivisionError):
            boom.result(TIMEOUT)
        assert io.submit(lambda: "still alive").result(TIMEOUT) == "still alive"
    assert results[0].ok and results[0].value == "device-io"
    assert isinstance(results[1].error, ZeroDivisionError)


def test_jobs_share_the_reader_with_polling(events):
    reader = open_idcard_reader("sim")
    with DeviceIoThread(events, idcard=reader, poll_interval=0.02) as io:
        events.next("card_placed")
        assert io.submit(reader.sam_id).result(TIMEOUT) == reader.simulator.sam_id.hex().upper()


def test_listener_errors_do_not_stop_device_io(events):
    calls = []

    def listener(event):
        calls.append(event)
        raise RuntimeError("a buggy screen")

    reader = open_idcard_reader("sim")
    with DeviceIoThread(listener, idcard=reader, poll_interval=0.02) as io:
        assert io.submit(lambda: 42).result(TIMEOUT) == 42
        deadline = time.monotonic() + TIMEOUT
        while not any(e.kind == "card_placed" for e in calls) and time.monotonic() < deadline:
            time.sleep(0.01)
    assert any(e.kind == "card_placed" for e in calls)


def test_clean_shutdown_cancels_queued_jobs(events):
    started, release = threading.Event(), threading.Event()
    cancelled = []
    io = DeviceIoThread(events)
    io.start()
    io.submit(lambda: (started.set(), release.wait(TIMEOUT)))
    started.wait(TIMEOUT)
    queued = io.submit(lambda: "never", cancelled.append)
    stopper = threading.Thread(target=io.stop)
    stopper.start()
    release.set()
    stopper.join(TIMEOUT)
    assert not io.alive
    assert queued.cancelled()
    assert cancelled and not cancelled[0].ok
    with pytest.raises(RuntimeError):
        io.submit(lambda: None)


def test_polling_can_pause(events):
    reader = open_idcard_reader("sim")
    with DeviceIoThread(events, idcard=reader, poll_interval=0.02) as io:
        events.next("card_placed")
        io.set_idcard_polling(False)
        io.submit(lambda: None).result(TIMEOUT)
        reader.simulator.remove_card()
        assert events.none_within(0.2, "card_removed")
        io.set_idcard_polling(True)
        assert events.next().kind == "card_removed"


def test_a_screen_asking_for_the_card_gets_the_one_on_the_reader_or_the_next(events):
    reader = open_idcard_reader("sim")
    reader.simulator.remove_card()
    with DeviceIoThread(events, idcard=reader, poll_interval=0.02) as io:
        events.next("status_changed")
        waiter = threading.Thread(target=lambda: got.append(io.wait_card(TIMEOUT)))
        got: list = []
        waiter.start()
        time.sleep(0.1)
        reader.simulator.place_card()
        waiter.join(TIMEOUT)
        placed = events.next("card_placed")
        assert got and got[0].id_number == placed.payload["card"].id_number
        assert placed.payload["requested"] is True  # the asking screen has it: not twice
        assert io.present_card() is got[0]
        assert io.wait_card(0.01) is got[0]  # still on the reader: at once
        reader.simulator.remove_card()
        events.next("card_removed")
        assert io.present_card() is None  # lifted: its data is gone
        with pytest.raises(KioskError) as caught:
            io.wait_card(0.1)
        assert caught.value.code == "E-IDC-01"


def test_scanner_codes_are_events_on_the_io_thread(events):
    with PtyScannerSimulator() as far:
        scanner = open_scanner(f"serial:{far.path}")
        with DeviceIoThread(events, scanner=scanner, poll_interval=0.02):
            status = events.next("status_changed")
            assert (status.family, status.payload["status_name"]) == ("scanner", "ok")
            far.inject("https://hall.example/a/SQ20261123000001")
            scanned = events.next("code_scanned")
            assert scanned.payload == {"text": "https://hall.example/a/SQ20261123000001"}
            far.inject("王䶮 两字")
            assert events.next("code_scanned").payload["text"] == "王䶮 两字"
        assert not scanner.is_open
    assert events.threads == {"device-io"}


def test_a_cut_off_scan_is_an_event_with_the_error_and_the_next_scan_works(events):
    with PtyScannerSimulator(fault="partial") as far:
        scanner = open_scanner(f"serial:{far.path}?gap=0.05")
        with DeviceIoThread(events, scanner=scanner, poll_interval=0.02):
            events.next("status_changed")
            far.inject("https://hall.example/t/abc")
            cut = events.next("code_scanned")
            assert cut.payload["text"] is None and cut.payload["error"]["code"] == "E-SCN-03"
            far.fault = None
            far.inject("OK123")
            assert events.next("code_scanned").payload["text"] == "OK123"


def test_a_slow_serial_code_split_across_polls_is_not_cut_in_two(events):
    with PtyScannerSimulator() as far:
        scanner = open_scanner(f"serial:{far.path}?gap=0.3")
        with DeviceIoThread(events, scanner=scanner, poll_interval=0.02):
            events.next("status_changed")
            os.write(far._master, b"SQ2026")  # a slow line: half now …
            time.sleep(0.1)
            os.write(far._master, b"1123\r")  # … the rest within the gap
            assert events.next("code_scanned").payload == {"text": "SQ20261123"}


def test_shutting_down_ends_a_wait_for_a_card_at_once(events):
    reader = open_idcard_reader("sim")
    reader.simulator.remove_card()
    with DeviceIoThread(events, idcard=reader, poll_interval=0.02) as io:
        errors: list = []

        def wait() -> None:
            try:
                io.wait_card(30)
            except KioskError as exc:
                errors.append(exc.code)

        waiter = threading.Thread(target=wait)
        waiter.start()
        time.sleep(0.1)
        started = time.monotonic()
        io.end_card_waits()
        waiter.join(TIMEOUT)
        assert errors == ["E-IDC-01"] and time.monotonic() - started < 2
        assert io.submit(lambda: "jobs still run").result(TIMEOUT) == "jobs still run"
