"""Status from status bytes, honestly; simulator faults; what print_ticket does with them."""

import logging

import pytest

from common.errors import KioskError
from hardware.base import DeviceStatus
from hardware.printer import SimPrinter, TicketSlip, open_printer, parse_status_bytes
from hardware.printer.readback import parse_escpos

SLIP = TicketSlip(
    "大厅", "A001", "社保", "Social security", 0, "2026-11-23 09:15", "https://hall.example.cn/t/1"
)

OK = {"printer": b"\x12", "offline": b"\x12", "error": b"\x12", "paper": b"\x12"}


@pytest.mark.parametrize(
    ("replies", "status", "code"),
    [
        (OK, DeviceStatus.OK, None),
        ({**OK, "paper": b"\x1e"}, DeviceStatus.WARNING, "E-PRN-05"),  # near end
        (
            {**OK, "printer": b"\x1a", "offline": b"\x32", "paper": b"\x7e"},
            DeviceStatus.FAULT,
            "E-PRN-02",
        ),  # paper out
        ({**OK, "paper": b"\x72"}, DeviceStatus.FAULT, "E-PRN-02"),  # roll end, printer not yet off
        ({**OK, "printer": b"\x1a", "offline": b"\x16"}, DeviceStatus.FAULT, "E-PRN-03"),  # cover
        (
            {**OK, "printer": b"\x1a", "offline": b"\x52", "error": b"\x1a"},
            DeviceStatus.FAULT,
            "E-PRN-07",
        ),  # autocutter error
        ({**OK, "printer": b"\x1a"}, DeviceStatus.FAULT, "E-PRN-04"),  # offline, no cause given
        ({}, DeviceStatus.FAULT, "E-PRN-04"),  # no answer at all is never "paper OK"
        (
            {"printer": b"", "offline": b"", "error": b"", "paper": b""},
            DeviceStatus.FAULT,
            "E-PRN-04",
        ),
        ({"printer": b"\xff", "paper": b"\x00"}, DeviceStatus.FAULT, "E-PRN-04"),  # not replies
        ({"printer": b"\x12"}, DeviceStatus.UNKNOWN, None),  # paper sensor silent: not OK
        ({"printer": b"\x12", "paper_gs_r": b"\x00"}, DeviceStatus.OK, None),
        ({"printer": b"\x12", "paper_gs_r": b"\x03"}, DeviceStatus.WARNING, "E-PRN-05"),
        ({"printer": b"\x12", "paper_gs_r": b"\x0c"}, DeviceStatus.FAULT, "E-PRN-02"),
        ({**OK, "paper": b"\x7e\x12"}, DeviceStatus.OK, None),  # newest byte counts, stale ignored
        (
            {**OK, "offline": b"\x36", "paper": b"\x7e"},
            DeviceStatus.FAULT,
            "E-PRN-03",
        ),  # cover wins
    ],
)
def test_parse_status_bytes(replies, status, code):
    report = parse_status_bytes(replies)
    assert (report.status, report.code) == (status, code)
    assert report.message


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        (None, DeviceStatus.OK, None),
        ("paper_low", DeviceStatus.WARNING, "E-PRN-05"),
        ("paper_out", DeviceStatus.FAULT, "E-PRN-02"),
        ("cover_open", DeviceStatus.FAULT, "E-PRN-03"),
        ("offline", DeviceStatus.FAULT, "E-PRN-04"),
        ("cutter_error", DeviceStatus.FAULT, "E-PRN-07"),
    ],
)
def test_simulator_status_follows_its_fault(fault, status, code):
    target = f"sim?fault={fault}" if fault else "sim"
    with open_printer(target) as printer:
        report = printer.status()
    assert (report.status, report.code) == (status, code)


@pytest.mark.parametrize(
    ("fault", "code", "exit_code"),
    [
        ("paper_out", "E-PRN-02", 61),
        ("cover_open", "E-PRN-03", 62),
        ("offline", "E-PRN-04", 63),
        ("cutter_error", "E-PRN-07", 66),
    ],
)
def test_print_ticket_refuses_on_fault_with_the_matching_code(fault, code, exit_code):
    printer = open_printer(f"sim?fault={fault}")
    assert isinstance(printer, SimPrinter)
    with printer, pytest.raises(KioskError) as caught:
        printer.print_ticket(SLIP)
    assert caught.value.code == code and caught.value.exit_code == exit_code
    assert caught.value.screen_text  # the screen has Chinese text to show
    assert printer.output == b""  # nothing half-printed


def test_paper_low_still_prints_and_logs_a_warning(caplog):
    caplog.set_level(logging.WARNING)
    with open_printer("sim?fault=paper_low") as printer:
        printer.print_ticket(SLIP)
    assert parse_escpos(printer.output)[-1].name == "cut"
    assert "paper low" in caplog.text


def test_fault_cleared_at_runtime_lets_the_next_ticket_print():
    with open_printer("sim?fault=paper_out") as printer:
        with pytest.raises(KioskError):
            printer.print_ticket(SLIP)
        printer.set_fault(None)  # a technician loaded paper
        printer.print_ticket(SLIP)
        assert printer.status().status == DeviceStatus.OK
    assert printer.output.startswith(b"\x1b@")


def test_closed_printer_reports_unknown_and_refuses_to_write():
    printer = open_printer("sim")
    assert printer.status().status == DeviceStatus.UNKNOWN
    with pytest.raises(KioskError) as caught:
        printer.write(b"x")
    assert caught.value.code == "E-PRN-01"


def test_sim_file_option_appends_what_was_printed(tmp_path):
    out = tmp_path / "sim.bin"
    with open_printer(f"sim?file={out}") as printer:
        printer.print_ticket(SLIP)
        printer.print_ticket(SLIP)
        captured = printer.output
    assert out.read_bytes() == captured
    assert captured.count(b"\x1b@") == 2


def test_sim_file_in_a_missing_directory_fails_on_open(tmp_path):
    printer = open_printer(f"sim?file={tmp_path}/nope/out.bin")
    with pytest.raises(KioskError) as caught:
        printer.open()
    assert caught.value.code == "E-PRN-01"
