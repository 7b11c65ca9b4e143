"""Virtual smartcards for vsmartcard's vpcd reader driver — a simulator for technicians and
the test suite's card.

vpcd (a pcscd reader driver) listens on a TCP port; a card is a client of that port.
Connecting inserts the card, closing removes it. Messages both ways are a 2-byte big-endian
length and a payload; one-byte payloads from vpcd are control codes (00 power off, 01 power
on, 02 reset, 04 "send your ATR"), longer ones are APDUs answered with data + SW1 SW2.
The system's vpcd reader listens on port 0x8C7B (35963) per /etc/reader.conf.d/vpcd.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

VPCD_PORT = 0x8C7B
# PC/SC part 3 ATR of a MIFARE Classic 1K seen through a contactless reader
CONTACTLESS_ATR = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")
# A plain T=1 contact-card ATR (the social security card sample)
CONTACT_ATR = bytes.fromhex("3B6800000073C84013009000")  # T=0, 8 historical bytes
_POWER_OFF, _POWER_ON, _RESET, _GET_ATR = 0, 1, 2, 4

Responder = Callable[[bytes], bytes]


class VirtualCard:
    """A card answering APDUs with `respond(apdu) -> data + SW`. `insert()` connects to
    vpcd, `remove()` disconnects; `apdus` records what the card received."""

    def __init__(
        self,
        atr: bytes,
        respond: Responder,
        *,
        host: str = "127.0.0.1",
        port: int = VPCD_PORT,
        reader: str | None = None,
    ) -> None:
        self.atr = atr
        self.respond = respond
        self.host, self.port = host, port
        # when given, insert()/remove() return only once pcscd reports the change: a
        # connect right after a remove otherwise races vpcd's polling
        self.reader = reader
        self.apdus: list[bytes] = []
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @property
    def inserted(self) -> bool:
        return self._sock is not None

    def insert(self, timeout: float = 5.0) -> None:
        if self._sock is not None:
            return
        sock = socket.create_connection((self.host, self.port), timeout=timeout)
        sock.settimeout(None)
        self._sock = sock
        self._thread = threading.Thread(
            target=self._serve, args=(sock,), name="vpcd-card", daemon=True
        )
        self._thread.start()
        self._await(present=True, timeout=timeout)

    def remove(self, timeout: float = 5.0) -> None:
        sock, self._sock = self._sock, None
        if sock is None:
            return
        with contextlib.suppress(OSError):  # already closed by vpcd
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._await(present=False, timeout=timeout)

    def _await(self, *, present: bool, timeout: float) -> None:
        if self.reader is None:
            return
        from hardware.smartcard.pcsc import wait_card_state

        wait_card_state(self.reader, present=present, timeout=timeout)

    def __enter__(self) -> VirtualCard:
        self.insert()
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def _serve(self, sock: socket.socket) -> None:
        try:
            while True:
                message = _recv_message(sock)
                if message is None:
                    return
                if len(message) == 1:
                    if message[0] == _GET_ATR:
                        _send_message(sock, self.atr)
                    continue  # power on/off and reset need no answer
                self.apdus.append(message)
                try:
                    answer = self.respond(message)
                except Exception:  # a broken responder must not kill the card silently
                    log.exception("virtual card responder failed")
                    answer = b"\x6f\x00"
                _send_message(sock, answer)
        except OSError:
            return  # removed


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _recv_message(sock: socket.socket) -> bytes | None:
    head = _recv_exact(sock, 2)
    if head is None:
        return None
    return _recv_exact(sock, struct.unpack(">H", head)[0])


def _send_message(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(struct.pack(">H", len(payload)) + payload)


# --- sample cards ------------------------------------------------------------------------------
def uid_card(uid: bytes, **kwargs: object) -> VirtualCard:
    """A contactless card whose reader answers FF CA 00 00 00 with `uid`."""

    def respond(apdu: bytes) -> bytes:
        if apdu[:2] == b"\xff\xca":
            if apdu[2:4] != b"\x00\x00":
                return b"\x6a\x81"
            return uid + b"\x90\x00"
        return b"\x6d\x00"

    return VirtualCard(CONTACTLESS_ATR, respond, **kwargs)  # type: ignore[arg-type]


SSSE_AID = bytes.fromhex("7378312E73682EC9E7BBE1B1A3D5CF")
SAMPLE_SOCIAL_RECORDS = {  # EF05 records of a fictional card (TAG LEN VALUE)
    1: bytes([0x01, 0x10]) + bytes.fromhex("110100D15600000500000000000000AB"),
    2: bytes([0x02, 0x01, 0x33]),
    3: bytes([0x03, 0x04]) + b"3.00",
    5: bytes([0x05, 0x04]) + bytes.fromhex("20210615"),
    6: bytes([0x06, 0x04]) + bytes.fromhex("20310615"),
    7: bytes([0x07, 0x09]) + b"A12345678",
}


def social_security_card(records: dict[int, bytes] | None = None, **kwargs: object) -> VirtualCard:
    """A social security card holding the SSSE directory and EF05 (sample data)."""
    records = SAMPLE_SOCIAL_RECORDS if records is None else records
    state = {"ddf": False, "ef": False}

    def respond(apdu: bytes) -> bytes:
        ins, p1, p2 = apdu[1], apdu[2], apdu[3]
        if ins == 0xA4 and p1 == 0x04:
            state["ddf"] = apdu[5 : 5 + apdu[4]] == SSSE_AID
            state["ef"] = False
            return b"\x90\x00" if state["ddf"] else b"\x6a\x82"
        if ins == 0xA4:
            state["ef"] = state["ddf"] and apdu[5:7] == b"\xef\x05"
            return b"\x90\x00" if state["ef"] else b"\x6a\x82"
        if ins == 0xB2:
            if not state["ef"] or p2 != 0x04:
                return b"\x69\x86"
            record = records.get(p1)
            if record is None:
                return b"\x6a\x83"
            le = apdu[4] if len(apdu) > 4 else 0
            if le and le != len(record):
                return bytes([0x6C, len(record)])
            return record + b"\x90\x00"
        if ins == 0xCA and apdu[0] == 0xFF:
            return b"\x6a\x81"  # a contact card has no contactless UID
        return b"\x6d\x00"

    return VirtualCard(CONTACT_ATR, respond, **kwargs)  # type: ignore[arg-type]
