"""A simulated USB bus for pyusb: devices described as data, behaviour given by handlers.

No kernel USB emulation is possible in containers, but pyusb accepts any `IBackend` in
`usb.core.find(backend=...)`, so real driver code (raw pyusb, python-escpos's `Usb`, the ID
card reader's bulk pipes) runs unchanged against a device served from Python. PyFtdi tests its
driver the same way. Only what drivers use is implemented: descriptors, string descriptors,
configuration/claim bookkeeping, bulk and interrupt transfers, reset, unplugging.

    dev = SimUsbDevice(0x0416, 0x5011, endpoints=[SimEndpoint(0x01), SimEndpoint(0x82)],
                       on_write=lambda dev, ep, data: dev.feed(0x82, b"\\x12"))
    usb.core.find(idVendor=0x0416, idProduct=0x5011, backend=SimUsbBackend([dev]))
"""

from __future__ import annotations

import errno
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace

import usb.backend
import usb.core

# bmAttributes transfer types (USB 2.0 §9.6.6)
BULK = 0x02
INTERRUPT = 0x03

WriteHandler = Callable[["SimUsbDevice", int, bytes], None]


@dataclass(frozen=True)
class SimEndpoint:
    address: int  # bit 7 set = IN (device to host)
    transfer: int = BULK
    max_packet: int = 64

    @property
    def is_in(self) -> bool:
        return bool(self.address & 0x80)


@dataclass(eq=False)  # identity matters: pyusb keeps per-device state
class SimUsbDevice:
    """One device with one configuration and one interface holding `endpoints`.

    OUT transfers go to `on_write(device, endpoint, data)` and are also kept in `written`;
    IN transfers are served from what `feed(endpoint, data)` queued (a byte stream per
    endpoint) and time out like real hardware when nothing is queued."""

    vid: int
    pid: int
    endpoints: Sequence[SimEndpoint] = (SimEndpoint(0x01), SimEndpoint(0x82))
    on_write: WriteHandler | None = None
    interface_class: int = 0xFF  # vendor specific; printers use 0x07
    manufacturer: str = "Simulated"
    product: str = "Simulated device"
    serial_number: str = "SIM0001"
    bus: int = 1
    address: int = 1
    written: list[tuple[int, bytes]] = field(default_factory=list)
    connected: bool = True

    def __post_init__(self) -> None:
        self._cond = threading.Condition()
        self._in: dict[int, bytearray] = {
            ep.address: bytearray() for ep in self.endpoints if ep.is_in
        }
        self._strings = {1: self.manufacturer, 2: self.product, 3: self.serial_number}

    def feed(self, endpoint: int, data: bytes) -> None:
        """Queue bytes the host will read from an IN endpoint."""
        with self._cond:
            self._in[endpoint] += data
            self._cond.notify_all()

    def unplug(self) -> None:
        """Every later transfer fails with ENODEV, as with a pulled cable."""
        with self._cond:
            self.connected = False
            self._cond.notify_all()

    def written_bytes(self, endpoint: int | None = None) -> bytes:
        return b"".join(d for ep, d in self.written if endpoint is None or ep == endpoint)

    # --- used by the backend ---
    def _check(self) -> None:
        if not self.connected:
            raise usb.core.USBError(
                "No such device (it may have been disconnected)", -4, errno.ENODEV
            )

    def _write(self, endpoint: int, data: bytes) -> int:
        self._check()
        self.written.append((endpoint, data))
        if self.on_write is not None:
            self.on_write(self, endpoint, data)
        return len(data)

    def _read(self, endpoint: int, size: int, timeout_ms: int) -> bytes:
        # pyusb's timeout 0 means "wait forever"; keep that meaning
        deadline = None if timeout_ms == 0 else time.monotonic() + timeout_ms / 1000
        with self._cond:
            while True:
                self._check()
                queued = self._in[endpoint]
                if queued:
                    chunk = bytes(queued[:size])
                    del queued[:size]
                    return chunk
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise usb.core.USBTimeoutError("Operation timed out", -7, errno.ETIMEDOUT)
                self._cond.wait(remaining)

    def _string_descriptor(self, index: int) -> bytes:
        if index == 0:  # the language id list: en-US
            return bytes([4, 3, 0x09, 0x04])
        text = self._strings.get(index, "").encode("utf-16-le")
        return bytes([2 + len(text), 3]) + text


class SimUsbBackend(usb.backend.IBackend):
    """A pyusb backend serving `SimUsbDevice`s. Pass it as `backend=` to `usb.core.find`."""

    def __init__(self, devices: Iterable[SimUsbDevice]) -> None:
        self.devices = list(devices)
        self._config: dict[int, int] = {}

    def enumerate_devices(self):
        return iter(self.devices)

    def get_parent(self, dev):
        return None

    def get_device_descriptor(self, dev: SimUsbDevice):
        return SimpleNamespace(
            bLength=18,
            bDescriptorType=1,
            bcdUSB=0x0200,
            bDeviceClass=0,
            bDeviceSubClass=0,
            bDeviceProtocol=0,
            bMaxPacketSize0=64,
            idVendor=dev.vid,
            idProduct=dev.pid,
            bcdDevice=0x0100,
            iManufacturer=1,
            iProduct=2,
            iSerialNumber=3,
            bNumConfigurations=1,
            address=dev.address,
            bus=dev.bus,
            port_number=1,
            port_numbers=(1,),
            speed=3,
        )

    def get_configuration_descriptor(self, dev: SimUsbDevice, config: int):
        if config != 0:
            raise IndexError("configuration index out of range")
        return SimpleNamespace(
            bLength=9,
            bDescriptorType=2,
            wTotalLength=9 + 9 + 7 * len(dev.endpoints),
            bNumInterfaces=1,
            bConfigurationValue=1,
            iConfiguration=0,
            bmAttributes=0x80,
            bMaxPower=50,
            extra_descriptors=[],
        )

    def get_interface_descriptor(self, dev: SimUsbDevice, intf: int, alt: int, config: int):
        if config != 0 or intf != 0 or alt != 0:
            raise IndexError("interface index out of range")
        return SimpleNamespace(
            bLength=9,
            bDescriptorType=4,
            bInterfaceNumber=0,
            bAlternateSetting=0,
            bNumEndpoints=len(dev.endpoints),
            bInterfaceClass=dev.interface_class,
            bInterfaceSubClass=1 if dev.interface_class == 0x07 else 0,
            bInterfaceProtocol=2 if dev.interface_class == 0x07 else 0,
            iInterface=0,
            extra_descriptors=[],
        )

    def get_endpoint_descriptor(self, dev: SimUsbDevice, ep: int, intf: int, alt: int, config: int):
        self.get_interface_descriptor(dev, intf, alt, config)
        endpoint = dev.endpoints[ep]
        return SimpleNamespace(
            bLength=7,
            bDescriptorType=5,
            bEndpointAddress=endpoint.address,
            bmAttributes=endpoint.transfer,
            wMaxPacketSize=endpoint.max_packet,
            bInterval=1 if endpoint.transfer == INTERRUPT else 0,
            bRefresh=0,
            bSynchAddress=0,
            extra_descriptors=[],
        )

    def open_device(self, dev: SimUsbDevice) -> SimUsbDevice:
        dev._check()
        return dev

    def close_device(self, dev_handle: SimUsbDevice) -> None:
        pass

    def set_configuration(self, dev_handle: SimUsbDevice, config_value: int) -> None:
        dev_handle._check()
        self._config[id(dev_handle)] = config_value

    def get_configuration(self, dev_handle: SimUsbDevice) -> int:
        return self._config.get(id(dev_handle), 1)

    def set_interface_altsetting(self, dev_handle, intf, altsetting) -> None:
        pass

    def claim_interface(self, dev_handle: SimUsbDevice, intf: int) -> None:
        dev_handle._check()

    def release_interface(self, dev_handle, intf) -> None:
        pass

    def bulk_write(self, dev_handle: SimUsbDevice, ep, intf, data, timeout) -> int:
        return dev_handle._write(ep, bytes(data))

    intr_write = bulk_write

    def bulk_read(self, dev_handle: SimUsbDevice, ep, intf, buff, timeout) -> int:
        chunk = dev_handle._read(ep, len(buff) * buff.itemsize, timeout)
        buff[: len(chunk)] = type(buff)(buff.typecode, chunk)
        return len(chunk)

    intr_read = bulk_read

    def ctrl_transfer(
        self, dev_handle: SimUsbDevice, bmRequestType, bRequest, wValue, wIndex, data, timeout
    ) -> int:
        dev_handle._check()
        if bmRequestType & 0x80 and bRequest == 0x06 and wValue >> 8 == 3:  # GET_DESCRIPTOR str
            desc = dev_handle._string_descriptor(wValue & 0xFF)[: len(data)]
            data[: len(desc)] = type(data)(data.typecode, desc)
            return len(desc)
        raise usb.core.USBError(
            "Pipe error (request not supported by the simulator)", -9, errno.EPIPE
        )

    def clear_halt(self, dev_handle, ep) -> None:
        pass

    def reset_device(self, dev_handle: SimUsbDevice) -> None:
        dev_handle._check()

    def is_kernel_driver_active(self, dev_handle, intf) -> bool:
        return False

    def detach_kernel_driver(self, dev_handle, intf) -> None:
        pass

    def attach_kernel_driver(self, dev_handle, intf) -> None:
        pass
