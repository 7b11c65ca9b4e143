"""A simulated GA 467 ID card reader — a product for technicians, not a test prop.

`IdCardSimulator` is the device: a SAM, a card field and sample cards, with the faults seen
in the field (card lifted mid-read, bad checksum, SAM not authorised, unknown card type, slow
answers, no card). It speaks the protocol over any byte pipe:

- `PtySimulator` serves it on a pseudo-terminal, so the real serial driver talks to it end to
  end (`kiosk simulate idcard` prints the pty path);
- `UsbSimulator` serves it behind a simulated USB device (hardware.usb_sim) in the split-pipe,
  single-pipe or HID style, so the real pyusb transport runs unchanged.

Card-field behaviour follows the readers: after a full read the card is "halted" and find-card
fails until the card leaves the field; reading the appended address still works while the
card stays.
"""

from __future__ import annotations

import logging
import os
import queue
import select
import termios
import threading
import time
import tty
from collections.abc import Callable

from common.errors import KioskError
from hardware.idcard import protocol as codec
from hardware.idcard.model import IdCard
from hardware.idcard.samples import SAMPLE_FINGERPRINTS, sample
from hardware.idcard.textblock import TYPE_OFFSET, encode_text_block

log = logging.getLogger(__name__)

# no_appended_cmd: a SAM that does not know read-appended-address (answers "unknown command").
FAULTS = (
    "lifted", "checksum", "sam_unauthorised", "unknown_type", "slow", "nocard", "no_appended_cmd"
)
SIM_SAM_ID = bytes.fromhex("0501000020190301000000420000002A")  # fictional
APPENDED_ADDRESS_SIZE = 70


class IdCardSimulator:
    """The simulated reader's state machine: one request frame in, one reply frame out.

    Thread-safe: technicians (or tests) place and remove cards and switch faults while a
    host talks to it."""

    def __init__(
        self,
        card: IdCard | None = None,
        *,
        fault: str | None = None,
        slow_delay: float = 3.0,
        auto_remove: float | None = None,
        auto_place: float | None = None,
        sam_id: bytes = SIM_SAM_ID,
        baud: int = 115200,
        noise: bytes = b"",
    ) -> None:
        self._lock = threading.RLock()
        self._card = card if card is not None else sample("resident")
        self.set_fault(fault)
        self.slow_delay = slow_delay
        self.auto_remove = auto_remove  # seconds after a read until the "citizen" lifts it
        self.auto_place = auto_place  # seconds after removal until a card is placed again
        self.sam_id = sam_id
        self.baud = baud  # the serial speed it listens at (a pty checks the host's setting)
        self.noise = noise  # line noise sent before every reply (the host must resync)
        self.present = True
        self._found = self._selected = self._halted = False
        self._remove_due: float | None = None
        self._place_due: float | None = None
        self.reads = 0  # successful full reads, for technicians and tests

    # --- control ---
    @property
    def card(self) -> IdCard:
        return self._card

    def place_card(self, card: IdCard | None = None) -> None:
        """Put a card (or the last one again) on the reader."""
        with self._lock:
            if card is not None:
                self._card = card
            self.present = True
            self._found = self._selected = self._halted = False
            self._place_due = None

    def remove_card(self) -> None:
        with self._lock:
            self.present = False
            self._found = self._selected = self._halted = False
            self._remove_due = None
            if self.auto_place is not None:
                self._place_due = time.monotonic() + self.auto_place

    def set_fault(self, fault: str | None) -> None:
        if fault not in (None, "", "none", *FAULTS):
            raise ValueError(f"unknown fault {fault!r}; choose from {', '.join(FAULTS)}")
        with self._lock:
            self.fault = fault if fault not in ("", "none") else None

    def reply_delay(self) -> float:
        return self.slow_delay if self.fault == "slow" else 0.0

    # --- protocol ---
    def handle(self, frame: bytes) -> bytes:
        """Answer one request frame."""
        with self._lock:
            self._tick()
            try:
                command = codec.parse_command(frame)
            except KioskError as exc:
                sw3 = codec.SW_HOST_CHECKSUM if exc.code == "E-IDC-03" else codec.SW_HOST_LENGTH
                return codec.build_reply(sw3)
            return self._dispatch(command)

    def _tick(self) -> None:
        now = time.monotonic()
        if self._remove_due is not None and now >= self._remove_due:
            self.remove_card()
        if self._place_due is not None and now >= self._place_due:
            self.place_card()

    def _dispatch(self, command: codec.Command) -> bytes:
        key = (command.cmd, command.para)
        unauthorised = self.fault == "sam_unauthorised"
        if key == codec.RESET_SAM:
            self._found = self._selected = False
            return codec.build_reply(codec.SW_OK)
        if key == codec.SAM_STATUS:
            return codec.build_reply(codec.SW_SAM_NOT_AUTHORISED if unauthorised else codec.SW_OK)
        if command.cmd == codec.SET_BAUD:
            bauds = {v: k for k, v in codec.BAUD_INDEX.items()}
            if command.para not in bauds:
                return codec.build_reply(codec.SW_BAD_COMMAND)
            self.baud = bauds[command.para]
            return codec.build_reply(codec.SW_OK)
        if key == codec.SET_MAX_RF_FRAME:
            return codec.build_reply(codec.SW_OK)
        if unauthorised and command.cmd in (0x12, 0x20, 0x30):
            return codec.build_reply(codec.SW_SAM_NOT_AUTHORISED)
        if key == codec.SAM_ID:
            return codec.build_reply(codec.SW_OK, self.sam_id)
        if key == codec.FIND_CARD:
            if not self.present or self._halted or self.fault == "nocard":
                return codec.build_reply(codec.SW_NO_CARD)
            self._found = True
            return codec.build_reply(codec.SW_CARD_FOUND, bytes(4))
        if key == codec.SELECT_CARD:
            if not (self.present and self._found):
                return codec.build_reply(codec.SW_SELECT_FAILED)
            self._selected = True
            return codec.build_reply(codec.SW_OK, bytes(8))
        if key in (codec.READ_TEXT_PHOTO, codec.READ_WITH_FINGERPRINTS):
            return self._read(fingerprints=key == codec.READ_WITH_FINGERPRINTS)
        if key == codec.READ_APPENDED_ADDRESS:
            if self.fault == "no_appended_cmd":
                return codec.build_reply(codec.SW_BAD_COMMAND)
            if not (self.present and (self._selected or self._halted)):
                return codec.build_reply(codec.SW_READ_FAILED)
            if not self._card.appended_address:
                return codec.build_reply(codec.SW_NO_ITEM)
            text = self._card.appended_address.encode("utf-16-le")[:APPENDED_ADDRESS_SIZE]
            return codec.build_reply(codec.SW_OK, _pad_ucs2(text, APPENDED_ADDRESS_SIZE))
        return codec.build_reply(codec.SW_BAD_COMMAND)

    def _read(self, *, fingerprints: bool) -> bytes:
        if not (self.present and self._selected):
            return codec.build_reply(codec.SW_READ_FAILED)
        if self.fault == "lifted":  # the citizen lifts the card while the SAM reads it
            self.remove_card()
            return codec.build_reply(codec.SW_READ_FAILED)
        text = encode_text_block(self._card)
        if self.fault == "unknown_type":
            text = text[:TYPE_OFFSET] + "Z".encode("utf-16-le") + text[TYPE_OFFSET + 2 :]
        photo = self._card.photo or bytes(1024)
        data = codec.build_read_data(text, photo, SAMPLE_FINGERPRINTS if fingerprints else None)
        reply = codec.build_reply(codec.SW_OK, data)
        self._halted = True
        self._found = False
        self.reads += 1
        if self.auto_remove is not None:
            self._remove_due = time.monotonic() + self.auto_remove
        if self.fault == "checksum":
            reply = reply[:-1] + bytes([reply[-1] ^ 0x5A])
        return reply


def _pad_ucs2(text: bytes, size: int) -> bytes:
    return text + " ".encode("utf-16-le") * ((size - len(text)) // 2)


class _Responder:
    """Runs a simulator over a byte stream: bytes in (any chunking), replies out, with the
    simulator's delay and optional pacing at the wire's real speed (10 bits per byte)."""

    def __init__(
        self,
        sim: IdCardSimulator,
        write: Callable[[bytes], None],
        *,
        pace: bool = False,
        name: str = "idcard-sim",
    ) -> None:
        self.sim = sim
        self._write = write
        self.pace = pace
        self._inbox: queue.Queue[bytes | None] = queue.Queue()
        self._stop = threading.Event()
        self._parser = codec.FrameParser()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def feed(self, data: bytes) -> None:
        self._inbox.put(data)

    def stop(self) -> None:
        self._stop.set()
        self._inbox.put(None)
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)

    def _run(self) -> None:
        while not self._stop.is_set():
            chunk = self._inbox.get()
            if chunk is None:
                return
            for frame in self._parser.feed(chunk):
                reply = self.sim.handle(frame)
                delay = self.sim.reply_delay()
                if delay and self._stop.wait(delay):
                    return
                self._send(reply)

    def _send(self, reply: bytes) -> None:
        reply = self.sim.noise + reply
        if not self.pace:
            self._write(reply)
            return
        start = time.monotonic()
        seconds_per_byte = 10 / self.sim.baud
        for offset in range(0, len(reply), 32):
            chunk = reply[offset : offset + 32]
            self._write(chunk)
            due = start + (offset + len(chunk)) * seconds_per_byte
            pause = due - time.monotonic()
            if pause > 0 and self._stop.wait(pause):
                return


class PtySimulator:
    """Serves a simulator on a pseudo-terminal; `path` is what a serial driver opens."""

    def __init__(self, sim: IdCardSimulator, *, pace: bool = False) -> None:
        self.sim = sim
        self.pace = pace
        self._master = self._slave = self._wake_r = self._wake_w = -1
        self.path = ""
        self._stop = threading.Event()
        self._responder: _Responder | None = None
        self._reader: threading.Thread | None = None

    def start(self) -> str:
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()  # lets stop() interrupt the select at once
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo or line editing, even before a driver opens it
        os.set_blocking(self._master, False)
        self.path = os.ttyname(self._slave)
        self._responder = _Responder(self.sim, self._write, pace=self.pace)
        self._responder.start()
        self._reader = threading.Thread(target=self._read_loop, name="idcard-sim-pty", daemon=True)
        self._reader.start()
        log.info("ID card simulator serving on %s", self.path)
        return self.path

    def stop(self) -> None:
        if self._master < 0:
            return
        self._stop.set()
        os.write(self._wake_w, b"x")
        if self._responder is not None:
            self._responder.stop()
        if self._reader is not None:
            self._reader.join(timeout=2)
        for fd in (self._master, self._slave, self._wake_r, self._wake_w):
            os.close(fd)
        self._master = self._slave = self._wake_r = self._wake_w = -1

    def __enter__(self) -> PtySimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _read_loop(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master, self._wake_r], [], [], 1.0)
            if self._master not in ready:
                continue
            try:
                data = os.read(self._master, 4096)
            except BlockingIOError:
                continue
            except OSError:  # EIO: no slave open; ours stays open, so only on shutdown
                return
            if not data or self._responder is None:
                continue
            if _pty_baud(self._slave) != self.sim.baud:
                # at the wrong speed a UART sees garbage, and the SAM stays silent
                log.debug("dropping %d bytes sent at the wrong baud", len(data))
                continue
            self._responder.feed(data)

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view and not self._stop.is_set():
            _, ready, _ = select.select([], [self._master], [], 0.1)
            if not ready:
                continue
            try:
                sent = os.write(self._master, view)
            except BlockingIOError:
                continue
            except OSError:
                return
            view = view[sent:]


_SPEEDS = {
    getattr(termios, f"B{b}"): b
    for b in (9600, 19200, 38400, 57600, 115200)
    if hasattr(termios, f"B{b}")
}


def _pty_baud(fd: int) -> int | None:
    """The speed the host set on the pty (pyserial sets it with tcsetattr like on a UART)."""
    try:
        return _SPEEDS.get(termios.tcgetattr(fd)[5])
    except termios.error:
        return None


USB_STYLES = ("split", "single", "hid")


class UsbSimulator:
    """Serves a simulator behind a simulated USB device (see hardware.usb_sim).

    split: request header (preamble + LEN) to EP 0x02, the rest to EP 0x06; reply header on
    EP 0x81, the rest on 0x85. single: whole frames out on 0x02, in on 0x81. hid: 64-byte
    interrupt reports on 0x01 / 0x81, the last one zero padded."""

    def __init__(
        self, sim: IdCardSimulator, *, style: str = "split", vid: int = 0x0400, pid: int = 0xC35A
    ) -> None:
        from hardware.usb_sim import INTERRUPT, SimEndpoint, SimUsbDevice

        if style not in USB_STYLES:
            raise ValueError(f"USB style {style!r} not one of {', '.join(USB_STYLES)}")
        self.sim = sim
        self.style = style
        if style == "split":
            endpoints = [SimEndpoint(0x02), SimEndpoint(0x06), SimEndpoint(0x81), SimEndpoint(0x85)]
        elif style == "single":
            endpoints = [SimEndpoint(0x02), SimEndpoint(0x81)]
        else:
            endpoints = [SimEndpoint(0x01, INTERRUPT), SimEndpoint(0x81, INTERRUPT)]
        self.device = SimUsbDevice(
            vid,
            pid,
            endpoints=endpoints,
            on_write=self._on_write,
            interface_class=0x03 if style == "hid" else 0xFF,
            manufacturer="hall-kiosk",
            product=f"Simulated ID card reader ({style})",
            serial_number="SIMIDC0001",
        )
        self._responder: _Responder | None = None

    def start(self) -> None:
        self._responder = _Responder(self.sim, self._reply, name="idcard-sim-usb")
        self._responder.start()

    def stop(self) -> None:
        if self._responder is not None:
            self._responder.stop()
            self._responder = None

    def _on_write(self, device: object, endpoint: int, data: bytes) -> None:
        # HID padding needs no special case: the frame parser skips bytes between frames
        if self._responder is not None:
            self._responder.feed(data)

    def _reply(self, frame: bytes) -> None:
        if self.style == "split":
            self.device.feed(0x81, frame[: codec.HEADER_SIZE])
            self.device.feed(0x85, frame[codec.HEADER_SIZE :])
        elif self.style == "single":
            self.device.feed(0x81, frame)
        else:
            for offset in range(0, len(frame), 64):
                self.device.feed(0x81, frame[offset : offset + 64].ljust(64, b"\x00"))


def card_for(name: str | None) -> IdCard:
    """A sample card by name, for CLI and target strings; ValueError lists the choices."""
    try:
        return sample(name or "resident")
    except KeyError as exc:
        raise ValueError(str(exc.args[0])) from None
