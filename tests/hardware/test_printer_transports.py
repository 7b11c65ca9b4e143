"""The real python-escpos transports (Usb, Serial, Network) driven end to end against the
simulated printer: over a simulated USB bus (pyusb backend), a pty, and loopback TCP."""

import os
import select
import socket
import threading

import pytest
from escpos.printer import Network, Serial, Usb

from common.errors import KioskError
from hardware.base import DeviceStatus
from hardware.printer import SimulatedPrinterDevice, TicketSlip, open_printer, render_ticket
from hardware.usb_sim import SimEndpoint, SimUsbBackend, SimUsbDevice

SLIP = TicketSlip(
    "政务服务中心",
    "B012",
    "不动产登记",
    "Real estate registration",
    2,
    "2026-11-23 09:15",
    "https://hall.example.cn/t/b012",
    footer="王䶮",
)
TICKET = render_ticket(SLIP)


def usb_printer(fault=None, *, target="usb:0416:5011"):
    model = SimulatedPrinterDevice(fault)
    # endpoints 0x03/0x81, not python-escpos's defaults 0x01/0x82: found from the descriptor
    device = SimUsbDevice(
        0x0416,
        0x5011,
        endpoints=[SimEndpoint(0x81), SimEndpoint(0x03)],
        interface_class=7,
        product="POS-80 Printer",
        on_write=lambda dev, ep, data: dev.feed(0x81, model.receive(data)),
    )
    printer = open_printer(target, usb_backend=SimUsbBackend([device]))
    return printer, model, device


def test_usb_ticket_goes_through_python_escpos_usb_to_the_bulk_out_endpoint():
    printer, model, device = usb_printer()
    with printer:
        assert isinstance(printer._esc, Usb)
        printer.print_ticket(SLIP)
        assert printer.status().status == DeviceStatus.OK
    assert bytes(model.received) == TICKET
    assert device.written_bytes(0x03) == (
        b"\x10\x04\x01\x10\x04\x02\x10\x04\x03\x10\x04\x04"
        + TICKET
        + b"\x10\x04\x01\x10\x04\x02\x10\x04\x03"
        b"\x10\x04\x04"
    )


@pytest.mark.parametrize(
    ("fault", "code"),
    [("paper_out", "E-PRN-02"), ("cover_open", "E-PRN-03"), ("offline", "E-PRN-04")],
)
def test_usb_faults_stop_the_ticket_with_the_matching_code(fault, code):
    printer, model, _ = usb_printer(fault)
    with printer, pytest.raises(KioskError) as caught:
        printer.print_ticket(SLIP)
    assert caught.value.code == code
    assert bytes(model.received) == b""


def test_usb_paper_low_over_gs_r_is_a_warning():
    printer, model, _ = usb_printer("paper_low", target="usb:0416:5011?status=gsr")
    with printer:
        report = printer.status()
    assert (report.status, report.code) == (DeviceStatus.WARNING, "E-PRN-05")
    assert model.requests == ["printer", "offline", "error", "paper_gs_r"]


def test_usb_unplugged_mid_session_fails_the_write_and_the_status():
    printer, _, device = usb_printer()
    with printer:
        printer.print_ticket(SLIP)
        device.unplug()
        with pytest.raises(KioskError) as caught:
            printer.write(TICKET)
        assert caught.value.code == "E-PRN-06"
        report = printer.status()
    assert (report.status, report.code) == (DeviceStatus.FAULT, "E-PRN-04")


def test_usb_printer_not_on_the_bus_cannot_open():
    printer = open_printer("usb:0416:5011", usb_backend=SimUsbBackend([]))
    with pytest.raises(KioskError) as caught:
        printer.open()
    assert caught.value.code == "E-PRN-01"
    assert not printer.is_open


def test_write_only_printer_with_status_none_is_unknown_but_prints():
    printer, model, _ = usb_printer("offline", target="usb:0416:5011?status=none")
    with printer:
        assert printer.status().status == DeviceStatus.UNKNOWN
        printer.print_ticket(SLIP)
    assert bytes(model.received) == TICKET


class PtyPrinter:
    """The simulated printer on the far side of a pty, as if on a USB-serial cable."""

    def __init__(self, fault=None):
        self.model = SimulatedPrinterDevice(fault)
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                try:
                    data = os.read(self.master, 4096)
                except OSError:
                    return
                reply = self.model.receive(data)
                if reply:
                    os.write(self.master, reply)

    def close(self):
        self._stop.set()
        self._thread.join(2)
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def pty_printer():
    made = []

    def make(fault=None):
        made.append(PtyPrinter(fault))
        return made[-1]

    yield make
    for p in made:
        p.close()


def test_serial_ticket_through_python_escpos_serial_on_a_pty(pty_printer):
    far = pty_printer()
    printer = open_printer(f"serial:{far.path}?baud=115200")
    with printer:
        assert isinstance(printer._esc, Serial)
        printer.print_ticket(SLIP)
        assert printer.status().status == DeviceStatus.OK
    assert bytes(far.model.received) == TICKET


def test_serial_cover_open_and_silent_printer(pty_printer):
    far = pty_printer("cover_open")
    with open_printer(f"serial:{far.path}?flow=none") as printer:
        with pytest.raises(KioskError) as caught:
            printer.print_ticket(SLIP)
        assert caught.value.code == "E-PRN-03"
        far.model.fault = "offline"
        assert printer.status().code == "E-PRN-04"


def test_serial_port_that_does_not_exist_cannot_open(tmp_path):
    with pytest.raises(KioskError) as caught:
        open_printer(f"serial:{tmp_path}/ttyNOPE").open()
    assert caught.value.code == "E-PRN-01"


@pytest.fixture
def tcp_printer():
    model = SimulatedPrinterDevice()
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(5)

    def serve():
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                reply = model.receive(data)
                if reply:
                    conn.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield model, server.getsockname()[1]
    server.close()
    thread.join(5)


def test_tcp_ticket_through_python_escpos_network(tcp_printer):
    model, port = tcp_printer
    with open_printer(f"tcp:127.0.0.1:{port}") as printer:
        assert isinstance(printer._esc, Network)
        printer.print_ticket(SLIP)
        model.fault = "paper_low"
        report = printer.status()
    assert (report.status, report.code) == (DeviceStatus.WARNING, "E-PRN-05")
    assert bytes(model.received) == TICKET


def test_tcp_nobody_listening_cannot_open():
    with socket.socket() as s:  # a free port with no listener
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(KioskError) as caught:
        open_printer(f"tcp:127.0.0.1:{port}?timeout=1").open()
    assert caught.value.code == "E-PRN-01"
