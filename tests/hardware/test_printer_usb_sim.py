"""The simulated USB bus (hardware/usb_sim.py) with raw pyusb, as any driver would use it."""

import threading

import pytest
import usb.core
import usb.util

from hardware.usb_sim import INTERRUPT, SimEndpoint, SimUsbBackend, SimUsbDevice


def echo_upper(dev, ep, data):
    dev.feed(0x81, data.upper())


@pytest.fixture
def bus():
    reader = SimUsbDevice(
        0x0400,
        0xC35A,
        endpoints=[SimEndpoint(0x02), SimEndpoint(0x81), SimEndpoint(0x85, INTERRUPT)],
        on_write=echo_upper,
        product="ID card reader",
        serial_number="R-001",
        address=2,
    )
    printer = SimUsbDevice(0x0416, 0x5011, interface_class=7, product="POS-80", address=3)
    return SimUsbBackend([reader, printer]), reader, printer


def test_find_by_ids_descriptors_and_strings(bus):
    backend, reader, _ = bus
    found = list(usb.core.find(find_all=True, backend=backend))
    assert [(d.idVendor, d.idProduct) for d in found] == [(0x0400, 0xC35A), (0x0416, 0x5011)]
    dev = usb.core.find(idVendor=0x0400, idProduct=0xC35A, backend=backend)
    assert usb.util.get_string(dev, dev.iProduct) == "ID card reader"
    assert usb.util.get_string(dev, dev.iSerialNumber) == "R-001"
    dev.set_configuration()
    intf = dev.get_active_configuration()[(0, 0)]
    assert [e.bEndpointAddress for e in intf] == [0x02, 0x81, 0x85]
    assert usb.util.find_descriptor(intf, bEndpointAddress=0x85).bmAttributes == INTERRUPT
    assert usb.core.find(idVendor=0x1234, backend=backend) is None


def test_bulk_out_handler_and_in_queue(bus):
    backend, reader, _ = bus
    dev = usb.core.find(idVendor=0x0400, backend=backend)
    dev.set_configuration()
    assert dev.write(0x02, b"hello") == 5
    assert bytes(dev.read(0x81, 3, 100)) == b"HEL"  # a short buffer takes what fits
    assert bytes(dev.read(0x81, 64, 100)) == b"LO"
    assert reader.written == [(0x02, b"hello")]


def test_reads_time_out_and_wake_when_data_arrives(bus):
    backend, reader, _ = bus
    dev = usb.core.find(idVendor=0x0400, backend=backend)
    with pytest.raises(usb.core.USBTimeoutError):
        dev.read(0x85, 64, 30)
    threading.Timer(0.05, reader.feed, args=(0x85, b"\x01\x02")).start()
    assert bytes(dev.read(0x85, 64, 2000)) == b"\x01\x02"


def test_unplugged_device_fails_every_transfer(bus):
    backend, reader, _ = bus
    dev = usb.core.find(idVendor=0x0400, backend=backend)
    reader.unplug()
    with pytest.raises(usb.core.USBError) as caught:
        dev.write(0x02, b"x")
    assert not isinstance(caught.value, usb.core.USBTimeoutError)
    with pytest.raises(usb.core.USBError):
        dev.read(0x81, 64, 10)
