"""PC/SC smartcard readers through pyscard (pcsc-lite): readers, waiting for a card, ATR,
APDU exchange with clear status-word errors, and insert/remove monitoring.

pyscard is optional: nothing here imports it until a function runs, and a missing pyscard
(or libpcsclite) raises E-HW-02 saying what to install. pyscard's low-level `scard` API is
used rather than its object layer because it hands back PC/SC result codes we can map to
registry errors one by one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from common.errors import (
    DRIVER_UNAVAILABLE,
    SC_CARD_ERROR,
    SC_NO_CARD,
    SC_NO_READER,
    SC_READER_UNKNOWN,
    SC_SERVICE_UNAVAILABLE,
    KioskError,
)
from hardware.base import DeviceEvent
from hardware.smartcard.apdu import sw_error, to_hex

log = logging.getLogger(__name__)

INSTALL_HINT = "apt install libpcsclite-dev swig; pip install pyscard"
GET_UID = bytes.fromhex("FFCA000000")  # PC/SC part 3 pseudo-APDU: contactless card UID
_WAIT_SLICE_MS = 500  # one SCardGetStatusChange call; loops stay responsive to deadlines


def scard() -> Any:
    """The pyscard low-level module, or E-HW-02 naming what to install."""
    try:
        import smartcard.scard as module
    except (ImportError, OSError) as exc:
        raise KioskError(
            DRIVER_UNAVAILABLE, f"pyscard unavailable ({exc}): {INSTALL_HINT}"
        ) from None
    return module


def _message(s: Any, hresult: int) -> str:
    return f"{s.SCardGetErrorMessage(hresult)} (0x{hresult & 0xFFFFFFFF:08X})"


class PcscContext:
    """One PC/SC context (a connection to pcscd). Use as a context manager."""

    def __init__(self) -> None:
        self._s = scard()
        hresult, self._ctx = self._s.SCardEstablishContext(self._s.SCARD_SCOPE_USER)
        if hresult != self._s.SCARD_S_SUCCESS:
            raise KioskError(SC_SERVICE_UNAVAILABLE, _message(self._s, hresult))

    def close(self) -> None:
        if self._ctx is not None:
            self._s.SCardReleaseContext(self._ctx)
            self._ctx = None

    def __enter__(self) -> PcscContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- readers ---
    def readers(self) -> list[str]:
        s = self._s
        hresult, names = s.SCardListReaders(self._ctx, [])
        if hresult == s.SCARD_E_NO_READERS_AVAILABLE:
            return []
        if hresult != s.SCARD_S_SUCCESS:
            raise self._error(hresult, "list readers")
        return list(names)

    def resolve(self, reader: str | None) -> list[str]:
        """The readers to watch: all of them, or the one named (exact name or a unique
        substring, since pcscd appends slot numbers)."""
        names = self.readers()
        if not names:
            raise KioskError(SC_NO_READER, "pcscd lists no reader")
        if reader is None:
            return names
        if reader in names:
            return [reader]
        matches = [n for n in names if reader in n]
        if len(matches) == 1:
            return matches
        raise KioskError(SC_READER_UNKNOWN, f"{reader!r} (readers: {', '.join(names)})")

    def card_states(
        self, readers: list[str], timeout_ms: int = 0, known: dict[str, int] | None = None
    ) -> dict[str, tuple[int, bytes]]:
        """reader → (event state, ATR), waiting up to timeout_ms for a change from `known`."""
        s = self._s
        query = [(r, (known or {}).get(r, s.SCARD_STATE_UNAWARE)) for r in readers]
        hresult, states = s.SCardGetStatusChange(self._ctx, timeout_ms, query)
        if hresult == s.SCARD_E_TIMEOUT:
            return {r: ((known or {}).get(r, 0), b"") for r in readers}
        if hresult != s.SCARD_S_SUCCESS:
            raise self._error(hresult, "get status change")
        return {name: (state & ~s.SCARD_STATE_CHANGED, bytes(atr)) for name, state, atr in states}

    def wait_for_card(self, reader: str | None, timeout: float) -> tuple[str, bytes]:
        """(reader, ATR) of the first card present (and not mute) within `timeout` s."""
        s = self._s
        names = self.resolve(reader)
        deadline = time.monotonic() + timeout
        known: dict[str, int] | None = None
        while True:
            states = self.card_states(names, 0 if known is None else _slice(deadline), known)
            for name, (state, atr) in states.items():
                if state & s.SCARD_STATE_PRESENT and not state & s.SCARD_STATE_MUTE:
                    return name, atr
            if time.monotonic() >= deadline:
                raise KioskError(SC_NO_CARD, f"no card within {timeout:g} s on {', '.join(names)}")
            known = {name: state for name, (state, _atr) in states.items()}

    def connect(self, reader: str) -> CardSession:
        s = self._s
        hresult, hcard, protocol = s.SCardConnect(
            self._ctx, reader, s.SCARD_SHARE_SHARED, s.SCARD_PROTOCOL_T0 | s.SCARD_PROTOCOL_T1
        )
        if hresult != s.SCARD_S_SUCCESS:
            raise self._error(hresult, f"connect to {reader}")
        return CardSession(self, reader, hcard, protocol)

    def _error(self, hresult: int, what: str) -> KioskError:
        s = self._s
        text = f"{what}: {_message(s, hresult)}"
        if hresult in (
            s.SCARD_E_NO_SERVICE,
            s.SCARD_E_SERVICE_STOPPED,
            getattr(s, "SCARD_E_INVALID_HANDLE", -1),
        ):
            return KioskError(SC_SERVICE_UNAVAILABLE, text)
        if hresult in (s.SCARD_E_UNKNOWN_READER, s.SCARD_E_READER_UNAVAILABLE):
            return KioskError(SC_READER_UNKNOWN, text)
        if hresult in (s.SCARD_E_NO_SMARTCARD, s.SCARD_W_REMOVED_CARD):
            return KioskError(SC_NO_CARD, text)
        return KioskError(SC_CARD_ERROR, text)


def _slice(deadline: float) -> int:
    return max(1, min(_WAIT_SLICE_MS, int((deadline - time.monotonic()) * 1000)))


class CardSession:
    """A connection to the card in one reader. `transmit` returns the data of a 9000
    answer and raises E-SC-06 (with the status word's meaning) for anything else."""

    def __init__(self, context: PcscContext, reader: str, hcard: Any, protocol: int) -> None:
        self._context = context
        self._s = context._s
        self.reader = reader
        self._hcard = hcard
        self._protocol = protocol

    @property
    def atr(self) -> bytes:
        s = self._s
        hresult, _reader, _state, _protocol, atr = s.SCardStatus(self._hcard)
        if hresult != s.SCARD_S_SUCCESS:
            raise self._context._error(hresult, "card status")
        return bytes(atr)

    def transmit_raw(self, apdu: bytes) -> tuple[bytes, int, int]:
        s = self._s
        hresult, response = s.SCardTransmit(self._hcard, self._protocol, list(apdu))
        if hresult != s.SCARD_S_SUCCESS:
            raise self._context._error(hresult, f"transmit {to_hex(apdu[:4])}")
        if len(response) < 2:
            raise KioskError(SC_CARD_ERROR, f"answer to {to_hex(apdu[:4])} has no status word")
        return bytes(response[:-2]), response[-2], response[-1]

    def transmit(self, apdu: bytes, context: str = "") -> bytes:
        """Send an APDU; follow 61xx (GET RESPONSE) and 6Cxx (resend with Le)."""
        data, sw1, sw2 = self.transmit_raw(apdu)
        if sw1 == 0x6C:
            data, sw1, sw2 = self.transmit_raw(apdu[:4] + bytes([sw2]))
        collected = data
        for _ in range(32):  # bounded: a card repeating 61xx forever must not hang us
            if sw1 != 0x61:
                break
            data, sw1, sw2 = self.transmit_raw(bytes([0x00, 0xC0, 0x00, 0x00, sw2]))
            collected += data
        if (sw1, sw2) != (0x90, 0x00):
            raise sw_error(sw1, sw2, context or f"APDU {to_hex(apdu[:4])}")
        return collected

    def close(self) -> None:
        if self._hcard is not None:
            self._s.SCardDisconnect(self._hcard, self._s.SCARD_LEAVE_CARD)
            self._hcard = None

    def __enter__(self) -> CardSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- the operations the CLI and the app call -------------------------------------------------
def list_readers() -> list[str]:
    with PcscContext() as ctx:
        return ctx.readers()


@dataclass(frozen=True)
class CardUid:
    reader: str
    uid: str  # upper-case hex

    def to_json(self) -> dict[str, str]:
        return {"reader": self.reader, "uid": self.uid}


def read_uid(reader: str | None = None, timeout: float = 10.0) -> CardUid:
    """Wait for a contactless card and read its UID with FF CA 00 00 00."""
    with PcscContext() as ctx:
        name, _atr = ctx.wait_for_card(reader, timeout)
        with ctx.connect(name) as card:
            uid = card.transmit(GET_UID, "get UID (FF CA 00 00 00)")
    if not uid:
        raise KioskError(SC_CARD_ERROR, "the reader returned an empty UID")
    return CardUid(name, to_hex(uid))


def wait_card_state(reader: str, *, present: bool, timeout: float) -> None:
    """Block until pcscd reports a card present (or absent) in `reader`; E-SC-04 otherwise."""
    with PcscContext() as ctx:
        s = ctx._s
        deadline = time.monotonic() + timeout
        known: dict[str, int] | None = None
        while True:
            state, _atr = ctx.card_states(
                [reader], 0 if known is None else _slice(deadline), known
            )[reader]
            if bool(state & s.SCARD_STATE_PRESENT) == present:
                return
            if time.monotonic() >= deadline:
                raise KioskError(
                    SC_NO_CARD,
                    f"{reader}: card still "
                    f"{'absent' if present else 'present'} after {timeout:g} s",
                )
            known = {reader: state}


class CardMonitor:
    """Insert/remove events across all readers, one `poll()` at a time (the device I/O
    thread calls it; `watch()` loops it for the CLI)."""

    def __init__(self) -> None:
        self._context = PcscContext()
        self._known: dict[str, int] = {}
        self._present: dict[str, bool] = {}

    def close(self) -> None:
        self._context.close()

    def __enter__(self) -> CardMonitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def poll(self, timeout: float = 0.5) -> list[DeviceEvent]:
        s = self._context._s
        readers = self._context.readers()
        events = [
            DeviceEvent("card_removed", "smartcard", {"reader": r})
            for r, present in self._present.items()
            if present and r not in readers
        ]
        for gone in set(self._present) - set(readers):
            self._present.pop(gone)
            self._known.pop(gone, None)
        if not readers:
            time.sleep(timeout)
            return events
        known = {r: self._known[r] for r in readers if r in self._known}
        wait = int(timeout * 1000) if len(known) == len(readers) else 0
        states = self._context.card_states(readers, wait, known or None)
        for reader, (state, atr) in states.items():
            self._known[reader] = state
            present = bool(state & s.SCARD_STATE_PRESENT) and not state & s.SCARD_STATE_MUTE
            if present != self._present.get(reader, False):
                self._present[reader] = present
                if present:
                    events.append(
                        DeviceEvent(
                            "card_placed", "smartcard", {"reader": reader, "atr": to_hex(atr)}
                        )
                    )
                else:
                    events.append(DeviceEvent("card_removed", "smartcard", {"reader": reader}))
        return events

    def watch(self, duration: float) -> Iterator[DeviceEvent]:
        deadline = time.monotonic() + duration
        while time.monotonic() < deadline:
            yield from self.poll(min(0.5, max(0.01, deadline - time.monotonic())))
