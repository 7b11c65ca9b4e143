"""USB links to ID card readers through pyusb (libusb-1.0): bulk and HID styles.

- split  (e.g. 0400:c35a): request header (preamble + LEN) to EP 0x02, the rest to EP 0x06;
  replies arrive on EP 0x81 and 0x85 (the driver reassembles them with the frame parser).
- single: whole frames on one OUT and one IN endpoint (taken from the descriptors).
- hid    (e.g. 2B8B:2721): the byte stream in 64-byte interrupt reports, the last zero padded.
  Some vendors wrap frames in their own envelope inside HID reports; such a model needs its
  own framing here (docs/hardware-idcard.md).
`style="auto"` picks split when the interface has EP 0x06, hid for HID-class interfaces,
single otherwise.
"""

from __future__ import annotations

import errno
import time
from typing import Any

from common.errors import DRIVER_UNAVAILABLE, IDC_READER_UNAVAILABLE, KioskError
from hardware.idcard.protocol import HEADER_SIZE

STYLES = ("auto", "split", "single", "hid")
HID_REPORT = 64
_POLL_MS = 20


def import_usb() -> Any:
    try:
        import usb.core
        import usb.util
    except ImportError:
        raise KioskError(
            DRIVER_UNAVAILABLE,
            "pyusb is not installed: pip install pyusb (and apt install libusb-1.0-0)",
        ) from None
    return usb


class UsbTransport:
    has_baud = False

    def __init__(
        self,
        vid: int,
        pid: int,
        *,
        style: str = "auto",
        ep_out: int | None = None,
        ep_body: int | None = None,
        ep_in: tuple[int, ...] = (),
        backend: Any = None,
    ) -> None:
        if style not in STYLES:
            raise ValueError(f"USB style {style!r} not one of {', '.join(STYLES)}")
        self.vid, self.pid = vid, pid
        self.style = style
        self._ep_out, self._ep_body, self._ep_in = ep_out, ep_body, tuple(ep_in)
        self._backend = backend
        self._dev: Any = None
        self._intf = 0
        self._rotation = 0
        self.description = f"usb {vid:04x}:{pid:04x}"

    # --- lifecycle ---
    def open(self) -> None:
        usb = import_usb()
        try:
            dev = usb.core.find(idVendor=self.vid, idProduct=self.pid, backend=self._backend)
        except usb.core.NoBackendError:
            raise KioskError(
                DRIVER_UNAVAILABLE, "libusb-1.0 is not installed: apt install libusb-1.0-0"
            ) from None
        if dev is None:
            raise KioskError(IDC_READER_UNAVAILABLE, f"no USB device {self.vid:04x}:{self.pid:04x}")
        try:
            try:
                dev.get_active_configuration()
            except usb.core.USBError:
                dev.set_configuration()
            intf = dev.get_active_configuration()[(0, 0)]
            self._intf = intf.bInterfaceNumber
            if dev.is_kernel_driver_active(self._intf):  # usbhid grabs HID readers
                dev.detach_kernel_driver(self._intf)
            usb.util.claim_interface(dev, self._intf)
        except usb.core.USBError as exc:
            raise self._usb_error(exc, "open") from None
        self._configure(intf)
        self._dev = dev

    def _configure(self, intf: Any) -> None:
        outs = [ep.bEndpointAddress for ep in intf if not ep.bEndpointAddress & 0x80]
        ins = [ep.bEndpointAddress for ep in intf if ep.bEndpointAddress & 0x80]
        if self.style == "auto":
            if intf.bInterfaceClass == 0x03:
                self.style = "hid"
            elif 0x06 in outs:
                self.style = "split"
            else:
                self.style = "single"
        if self.style == "split":
            self._ep_out = self._ep_out or 0x02
            self._ep_body = self._ep_body or 0x06
            self._ep_in = self._ep_in or tuple(e for e in (0x81, 0x85) if e in ins) or (0x81,)
        else:
            if not outs or not ins:
                raise KioskError(
                    IDC_READER_UNAVAILABLE, "the USB interface lacks an IN or OUT endpoint"
                )
            self._ep_out = self._ep_out or outs[0]
            self._ep_in = self._ep_in or (ins[0],)
        self.description = f"usb {self.vid:04x}:{self.pid:04x} ({self.style})"

    def close(self) -> None:
        if self._dev is None:
            return
        usb = import_usb()
        try:
            usb.util.release_interface(self._dev, self._intf)
            usb.util.dispose_resources(self._dev)
        except usb.core.USBError:
            pass  # unplugged: nothing left to release
        finally:
            self._dev = None

    # --- I/O ---
    def write(self, data: bytes) -> None:
        usb = import_usb()
        dev = self._device()
        try:
            if self.style == "split":
                dev.write(self._ep_out, data[:HEADER_SIZE], timeout=1000)
                dev.write(self._ep_body, data[HEADER_SIZE:], timeout=1000)
            elif self.style == "hid":
                for offset in range(0, len(data), HID_REPORT):
                    report = data[offset : offset + HID_REPORT].ljust(HID_REPORT, b"\x00")
                    dev.write(self._ep_out, report, timeout=1000)
            else:
                dev.write(self._ep_out, data, timeout=1000)
        except usb.core.USBError as exc:
            raise self._usb_error(exc, "write") from None

    def read_some(self, timeout: float) -> bytes:
        usb = import_usb()
        dev = self._device()
        deadline = time.monotonic() + timeout
        size = HID_REPORT if self.style == "hid" else 4096
        while True:
            # rotate over the IN endpoints so a split reply is collected from both
            ep = self._ep_in[self._rotation % len(self._ep_in)]
            self._rotation += 1
            try:
                return bytes(dev.read(ep, size, timeout=_POLL_MS))
            except usb.core.USBTimeoutError:
                pass
            except usb.core.USBError as exc:
                raise self._usb_error(exc, "read") from None
            if time.monotonic() >= deadline:
                return b""

    def flush_input(self) -> None:
        usb = import_usb()
        dev = self._device()
        for ep in self._ep_in:
            for _ in range(64):  # bounded: a device that streams forever must not hang us
                try:
                    dev.read(ep, 4096, timeout=1)
                except usb.core.USBError:
                    break

    def set_baud(self, baud: int) -> None:
        raise KioskError(IDC_READER_UNAVAILABLE, "a USB link has no baud rate")

    def _device(self) -> Any:
        if self._dev is None:
            raise KioskError(IDC_READER_UNAVAILABLE, f"{self.description} is not open")
        return self._dev

    def _usb_error(self, exc: Exception, what: str) -> KioskError:
        code = getattr(exc, "errno", None)
        if code == errno.EACCES:
            hint = "permission denied: install the udev rules (`kiosk hardware udev-rules`)"
        elif code == errno.ENODEV:
            hint = "device disconnected"
        elif code == errno.EBUSY:
            hint = "device busy (another program holds it)"
        else:
            hint = str(exc)
        return KioskError(IDC_READER_UNAVAILABLE, f"{self.description} {what}: {hint}")
