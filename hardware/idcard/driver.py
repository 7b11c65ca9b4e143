"""The ID card reader driver: find → select → read over any transport. The target strings
that pick a transport are in hardware/idcard/targets.py."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from common.errors import (
    IDC_CARD_LIFTED,
    IDC_CHECKSUM,
    IDC_NO_CARD,
    IDC_TIMEOUT,
    KioskError,
)
from hardware.base import DeviceStatus, StatusReport
from hardware.idcard import protocol as codec
from hardware.idcard.model import IdCard
from hardware.idcard.textblock import parse_text_block
from hardware.idcard.transports import Transport

log = logging.getLogger(__name__)

DEFAULT_BAUDS = (115200, 57600, 38400, 19200, 9600)
POLL_INTERVAL = 0.25  # vendor manuals ask for ≥ 0.3 s between finds; the wire adds the rest
_SHORT_REPLY = 32  # bytes to budget for status / find / select replies
_READ_REPLY = 1295
_READ_FP_REPLY = 2321


class IdCardReader:
    """A GA 467 reader behind `transport`. Not opened on construction: call open() or use
    it as a context manager. Not thread-safe: one owner (the device I/O thread) uses it."""

    def __init__(
        self,
        transport: Transport,
        *,
        target: str,
        bauds: tuple[int, ...] = (),
        reply_timeout: float | None = None,
        poll_interval: float = POLL_INTERVAL,
        read_appended_address: bool = True,
        on_close: Callable[[], None] | None = None,
        simulator: Any = None,
    ) -> None:
        self.transport = transport
        self.target = target
        self.bauds = bauds or (DEFAULT_BAUDS if transport.has_baud else ())
        self.poll_interval = poll_interval
        self.read_appended_address = read_appended_address
        # Some SAMs do not know read-appended-address ("unknown command"); learnt on first use.
        self.appended_address_supported: bool | None = None
        self._extra_timeout = reply_timeout
        self._on_close = on_close
        self.simulator = simulator  # the IdCardSimulator behind a `sim` target, else None
        self._parser = codec.FrameParser()
        self.baud: int | None = None
        self.is_open = False

    # --- lifecycle ---
    def open(self) -> None:
        if self.is_open:
            return
        try:
            self.transport.open()
            self.is_open = True
            self._probe()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        try:
            self.transport.close()
        finally:
            self.is_open = False
            if self._on_close is not None:
                self._on_close()

    def __enter__(self) -> IdCardReader:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _probe(self) -> None:
        """Find the speed the reader answers at (any well-formed reply counts: a SAM that is
        not authorised still proves the link works)."""
        if not self.bauds:
            self._transact(codec.cmd_sam_status(), "SAM status")
            return
        for baud in self.bauds:
            self.transport.set_baud(baud)
            try:
                self._transact(codec.cmd_sam_status(), "SAM status", baud=baud)
            except KioskError as exc:
                if exc.code == IDC_TIMEOUT.code:
                    log.info("no answer at %d baud on %s", baud, self.transport.description)
                    continue
                raise
            self.baud = baud
            return
        raise KioskError(
            IDC_TIMEOUT,
            f"{self.transport.description}: no answer at "
            f"{'/'.join(str(b) for b in self.bauds)} baud",
        )

    # --- one exchange ---
    def _timeout(self, reply_bytes: int, baud: int | None = None) -> float:
        base = 0.5 if reply_bytes <= _SHORT_REPLY else 2.0  # the SAM's own time to answer
        if self._extra_timeout is not None:
            base = self._extra_timeout
        baud = baud or self.baud
        wire = reply_bytes * 10 / baud if baud else 0.0
        return base + 1.5 * wire

    def _transact(
        self, request: bytes, what: str, *, reply_bytes: int = _SHORT_REPLY, baud: int | None = None
    ) -> codec.Reply:
        """Send one command, return its reply (any SW3); E-IDC-02 / -03 / -09 on link errors."""
        self.transport.flush_input()
        self._parser.reset()
        self.transport.write(request)
        timeout = self._timeout(reply_bytes, baud)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise KioskError(
                    IDC_TIMEOUT,
                    f"{what}: no reply within {timeout:.2f} s from {self.transport.description}",
                )
            for frame in self._parser.feed(self.transport.read_some(remaining)):
                reply = codec.parse_reply(frame)
                if codec.reply_fits(request, reply):
                    return reply
                # a late answer to an earlier command (e.g. one that timed out): skip it
                log.info(
                    "%s: discarding a reply that does not fit (SW3=0x%02X, %d bytes)",
                    what,
                    reply.sw3,
                    len(reply.data),
                )

    def command(
        self, request: bytes, what: str, *, reply_bytes: int = _SHORT_REPLY, retries: int = 1
    ) -> codec.Reply:
        """_transact, retried on a checksum error (line noise)."""
        attempt = 0
        while True:
            try:
                return self._transact(request, what, reply_bytes=reply_bytes)
            except KioskError as exc:
                if exc.code != IDC_CHECKSUM.code or attempt >= retries:
                    raise
                attempt += 1
                log.warning("%s: checksum error, retrying", what)

    # --- card operations ---
    def card_present(self) -> bool:
        """One find-card: True when a card that was not read yet is in the field."""
        reply = self.command(codec.cmd_find_card(), "find card")
        if reply.sw3 == codec.SW_CARD_FOUND:
            return True
        if reply.sw3 == codec.SW_NO_CARD:
            return False
        raise codec.status_error(reply.sw3, "find card")

    def read_card(self, timeout: float = 5.0, *, fingerprints: bool = False) -> IdCard:
        """Wait up to `timeout` s for a card, then read it. E-IDC-01 when none comes."""
        deadline = time.monotonic() + timeout
        while not self.card_present():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise KioskError(IDC_NO_CARD, f"no card within {timeout:g} s")
            time.sleep(min(self.poll_interval, remaining))
        return self.read_present_card(fingerprints=fingerprints)

    def read_present_card(self, *, fingerprints: bool = False) -> IdCard:
        """Select and read the card the last find-card saw."""
        codec.check_reply(self.command(codec.cmd_select_card(), "select card"), "select card")
        reply = self.command(
            codec.cmd_read(fingerprints=fingerprints),
            "read card",
            reply_bytes=_READ_FP_REPLY if fingerprints else _READ_REPLY,
        )
        if reply.sw3 == codec.SW_NO_CARD:  # some readers say "no card" when it was lifted
            raise KioskError(IDC_CARD_LIFTED, "SW3=0x80 during read")
        codec.check_reply(reply, "read card")
        data = codec.parse_read_data(reply.data, fingerprints=fingerprints)
        card = parse_text_block(data.text)
        card = replace(card, photo=data.photo, fingerprints=data.fingerprints)
        if (
            card.kind == "resident_id"
            and self.read_appended_address
            and self.appended_address_supported is not False
        ):
            card = replace(card, appended_address=self._appended_address())
        log.info("read %s card (id number valid: %s)", card.kind, card.id_number_valid)
        return card

    def _appended_address(self) -> str:
        reply = self.command(
            codec.cmd_read_appended_address(), "read appended address", reply_bytes=90
        )
        if reply.sw3 == codec.SW_BAD_COMMAND:
            # The appended address is optional: the card is still good. Say once what this
            # reader cannot do, so a technician can tell why addresses lack their changes.
            log.warning(
                "%s does not know the read-appended-address command: cards are read "
                "without their appended address",
                self.transport.description,
            )
            self.appended_address_supported = False
            return ""
        self.appended_address_supported = True
        if reply.sw3 == codec.SW_NO_ITEM:
            return ""
        codec.check_reply(reply, "read appended address")
        try:
            return reply.data.decode("utf-16-le").rstrip(" \x00")
        except UnicodeDecodeError:
            raise KioskError(codec.IDC_PROTOCOL, "appended address is not UCS-2") from None

    def wait_removed(self, timeout: float) -> bool:
        """After a read: True once the card has left the field, False if still there after
        `timeout` s. Find-card cannot tell (it fails for a read card that stays), so this
        probes with the appended-address read, which works only while the card stays."""
        deadline = time.monotonic() + timeout
        while True:
            reply = self.command(
                codec.cmd_read_appended_address(), "presence probe", reply_bytes=90
            )
            if reply.sw3 not in (codec.SW_OK, codec.SW_NO_ITEM):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(self.poll_interval, remaining))

    # --- SAM ---
    def sam_id(self) -> str:
        """The SAM's 16-byte id as upper-case hex (vendors format it differently)."""
        reply = codec.check_reply(self.command(codec.cmd_sam_id(), "SAM id"), "SAM id")
        return reply.data.hex().upper()

    def reset_sam(self) -> None:
        codec.check_reply(self.command(codec.cmd_reset_sam(), "reset SAM"), "reset SAM")

    def status(self) -> StatusReport:
        """OK when the SAM answers its status command with 0x90; never raises."""
        opened_here = not self.is_open
        try:
            if opened_here:
                self.open()
            reply = self.command(codec.cmd_sam_status(), "SAM status")
            if reply.sw3 == codec.SW_OK:
                speed = f" at {self.baud} baud" if self.baud else ""
                return StatusReport(
                    DeviceStatus.OK, f"SAM ready on {self.transport.description}{speed}"
                )
            error = codec.status_error(reply.sw3, "SAM status")
            return StatusReport(DeviceStatus.FAULT, error.message, error.code)
        except KioskError as exc:
            return StatusReport(DeviceStatus.FAULT, exc.message, exc.code)
        finally:
            if opened_here and self.is_open:
                self.close()

