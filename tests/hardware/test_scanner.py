"""Scanners: payload decoding, framing, the simulator's faults, keyboard-wedge assembly, and
serial mode end to end through a pty."""

import os
import threading
import time

import pytest

from common.errors import KioskError
from hardware.base import DeviceStatus
from hardware.scanner import Framer, SimScanner, assemble_keys, decode_payload, open_scanner
from hardware.scanner.wedge import KEY_CAPSLOCK, KEY_ENTER, KEY_LEFTSHIFT, KEY_TAB

URL = "https://hall.example.cn/t/7f3a9c1e"


# --- decoding -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (URL.encode(), URL),
        ("社保卡 王䶮".encode(), "社保卡 王䶮"),
        ("社保卡 王䶮".encode("gb18030"), "社保卡 王䶮"),  # 䶮 is a 4-byte GB18030 sequence
        (b"\xef\xbb\xbfABC", "ABC"),
    ],
)
def test_decode_payload_utf8_then_gb18030(raw, text):
    assert decode_payload(raw) == text


def test_undecodable_payload_is_e_scn_02_without_the_payload_in_the_message():
    with pytest.raises(KioskError) as caught:
        decode_payload(b"\xff\xfe\x80\x80")
    assert caught.value.code == "E-SCN-02" and "4 bytes" in caught.value.message


# --- framing --------------------------------------------------------------------------------
def test_framer_cuts_on_the_suffix_and_tolerates_crlf_leftovers():
    f = Framer(b"\r", gap=0.2)
    f.feed(b"AB\r\nCD\rE", now=0.0)
    assert [f.pop(0.0), f.pop(0.0), f.pop(0.0)] == [b"AB", b"CD", None]
    f.feed(b"F\r", now=0.1)
    assert f.pop(0.1) == b"EF"
    f = Framer(b"\n")
    f.feed(b"XY\r\n", now=0.0)  # a CRLF scanner on an LF setting
    assert f.pop(0.0) == b"XY"


def test_framer_reports_a_code_cut_off_by_a_pause():
    f = Framer(b"\r", gap=0.2)
    f.feed(b"https://ha", now=1.0)
    assert f.pop(1.1) is None  # still within the inter-character gap
    with pytest.raises(KioskError) as caught:
        f.pop(1.25)
    assert caught.value.code == "E-SCN-03"
    assert not f.pending


def test_framer_without_suffix_ends_codes_by_the_pause():
    f = Framer(b"", gap=0.1)
    f.feed(b"12345", now=0.0)
    assert f.pop(0.05) is None and f.pop(0.1) == b"12345"


# --- simulator ------------------------------------------------------------------------------
def test_sim_scans_an_injected_code_and_times_out_with_none():
    with open_scanner("sim") as scanner:
        assert isinstance(scanner, SimScanner)
        assert scanner.read(0.05) is None
        scanner.inject(URL)
        assert scanner.read(1.0) == URL
        assert scanner.status().status == DeviceStatus.OK


def test_sim_scan_arriving_from_another_thread_wakes_the_reader():
    with open_scanner("sim") as scanner:
        timer = threading.Timer(0.05, scanner.inject, args=("late",))
        timer.start()
        assert scanner.read(2.0) == "late"
        timer.join()


def test_sim_fault_double_delivers_the_code_twice():
    with open_scanner(f"sim?fault=double&code={URL}") as scanner:
        assert [scanner.read(0.5), scanner.read(0.5), scanner.read(0.05)] == [URL, URL, None]


def test_sim_fault_partial_is_reported_not_passed_on():
    with open_scanner("sim?fault=partial&gap=0.05") as scanner:
        scanner.inject(URL)
        with pytest.raises(KioskError) as caught:
            scanner.read(1.0)
        assert caught.value.code == "E-SCN-03"
        assert scanner.read(0.1) is None  # nothing left over to confuse the next scan


def test_sim_fault_gb18030_payload_decodes_to_the_same_text():
    with open_scanner("sim?fault=gb18030") as scanner:
        scanner.inject("预约码：王䶮 20261123")
        assert scanner.read(1.0) == "预约码：王䶮 20261123"


def test_reading_a_closed_scanner_is_e_scn_01():
    scanner = open_scanner("sim")
    assert scanner.status().status == DeviceStatus.UNKNOWN
    with pytest.raises(KioskError) as caught:
        scanner.read(0.01)
    assert caught.value.code == "E-SCN-01"


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("sim?fault=smudge", "fault='smudge'"),
        ("sim?suffix=semicolon", "suffix='semicolon'"),
        ("serial:", "needs a port"),
        ("serial:/dev/ttyACM0?gap=0", "gap=0.0 outside"),
        ("evdev:", "needs an event device"),
        ("hid:1234", "unknown scheme 'hid'"),
    ],
)
def test_bad_scanner_targets(target, says):
    with pytest.raises(KioskError) as caught:
        open_scanner(target)
    assert caught.value.code == "E-HW-01" and says in caught.value.message


# --- keyboard wedge -------------------------------------------------------------------------
def press(code, shift=False):
    events = [(KEY_LEFTSHIFT, 1)] if shift else []
    events += [(code, 1), (code, 0)]
    return events + ([(KEY_LEFTSHIFT, 0)] if shift else [])


def test_wedge_key_events_assemble_into_text():
    h, t, p, s, colon, slash, a, one, question, equal, y = 35, 20, 25, 31, 39, 53, 30, 2, 53, 13, 21
    events = (
        press(h, shift=True)
        + press(t)
        + press(t)
        + press(p)
        + press(s)
        + press(colon, shift=True)
        + press(slash)
        + press(slash)
        + press(a, shift=True)
        + press(one)
        + press(question, shift=True)
        + press(equal)
        + press(y)
        + [(y, 2)]  # auto-repeat carries no character
        + press(999)  # an unknown key is ignored
        + press(KEY_ENTER)
    )
    assert assemble_keys(events) == ["Https://A1?=y"]


def test_wedge_caps_lock_enter_alone_and_tab_terminator():
    q = 16
    events = press(KEY_CAPSLOCK) + press(q) + press(q, shift=True) + press(KEY_ENTER)
    assert assemble_keys(events) == ["Qq"]
    assert assemble_keys(press(KEY_ENTER) + press(KEY_ENTER)) == []
    kp1, kp2 = 79, 80
    assert assemble_keys(press(kp1) + press(kp2) + press(KEY_TAB), terminators=[KEY_TAB]) == ["12"]


def test_wedge_without_evdev_says_what_to_install():
    try:
        import evdev  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("evdev is installed here; this checks the message when it is missing")
    with pytest.raises(KioskError) as caught:
        open_scanner("evdev:/dev/input/event0").open()
    assert caught.value.code == "E-HW-02" and "pip install evdev" in caught.value.message


@pytest.mark.hardware
def test_real_scanner_reads_a_code():
    target = os.environ.get("KIOSK_TEST_SCANNER")
    if not target:
        pytest.skip(
            "no real scanner: set KIOSK_TEST_SCANNER=serial:/dev/serial/by-id/… or "
            "evdev:/dev/input/by-id/…-event-kbd and scan a code within 20 s"
        )
    with open_scanner(target) as scanner:
        code = scanner.read(20.0)
    assert code, "no code scanned within 20 s"


# --- serial mode through a pty --------------------------------------------------------------
@pytest.fixture
def pty_pair(tmp_path):
    master, slave = os.openpty()
    by_id = tmp_path / "usb-Newland_HR22_Scanner-if00"  # like /dev/serial/by-id/…
    by_id.symlink_to(os.ttyname(slave))
    yield master, str(by_id)
    os.close(master)
    os.close(slave)


def test_serial_scanner_reads_codes_end_to_end(pty_pair):
    master, path = pty_pair
    with open_scanner(f"serial:{path}?baud=115200&suffix=crlf") as scanner:
        assert scanner.read(0.05) is None
        os.write(master, URL.encode() + b"\r\n" + "王䶮".encode("gb18030") + b"\r\n")
        assert scanner.read(1.0) == URL
        assert scanner.read(1.0) == "王䶮"
        assert scanner.status().status == DeviceStatus.OK


def test_serial_scanner_code_arriving_slowly_is_one_code(pty_pair):
    master, path = pty_pair

    def type_slowly():
        for chunk in (b"ABC", b"DEF", b"GHI\r"):
            os.write(master, chunk)
            time.sleep(0.03)  # well inside the 0.2 s gap

    with open_scanner(f"serial:{path}") as scanner:
        writer = threading.Thread(target=type_slowly)
        writer.start()
        assert scanner.read(2.0) == "ABCDEFGHI"
        writer.join()


def test_serial_scanner_cut_off_code_is_e_scn_03_and_the_next_scan_works(pty_pair):
    master, path = pty_pair
    with open_scanner(f"serial:{path}?gap=0.05") as scanner:
        os.write(master, b"https://hall.exa")
        with pytest.raises(KioskError) as caught:
            scanner.read(1.0)
        assert caught.value.code == "E-SCN-03"
        os.write(master, b"NEXT\r")
        assert scanner.read(1.0) == "NEXT"


def test_serial_scanner_missing_port_cannot_open(tmp_path):
    with pytest.raises(KioskError) as caught:
        open_scanner(f"serial:{tmp_path}/ttyACM9").open()
    assert caught.value.code == "E-SCN-01"


def test_serial_scanner_unplugged_is_e_scn_04_and_status_fault():
    master, slave = os.openpty()
    try:
        with open_scanner(f"serial:{os.ttyname(slave)}") as scanner:
            os.close(master)  # the far end goes away, as when the USB-CDC cable is pulled
            master = None
            with pytest.raises(KioskError) as caught:
                scanner.read(1.0)
            assert caught.value.code == "E-SCN-04"
            assert scanner.status().status == DeviceStatus.FAULT
    finally:
        if master is not None:
            os.close(master)
        os.close(slave)
