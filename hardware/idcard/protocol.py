"""GA 467 SAM protocol: frames, commands and status codes as pure functions over bytes.

    request  AA AA AA 96 69 | LEN_H LEN_L | CMD PARA [data]     | CHK
    reply    AA AA AA 96 69 | LEN_H LEN_L | SW1 SW2 SW3 [data]  | CHK

LEN counts every byte after it, CHK included; CHK is the XOR of LEN and the body, so the XOR
over frame[5:] of a good frame is 0. Written by hand: no maintained library speaks this
protocol (the public implementations are vendor SDK samples).
"""

from __future__ import annotations

from dataclasses import dataclass

from common.errors import (
    IDC_AUTH_FAILED,
    IDC_CARD_LIFTED,
    IDC_CHECKSUM,
    IDC_NO_CARD,
    IDC_PROTOCOL,
    IDC_READER_FAULT,
    IDC_SAM_UNAUTHORISED,
    IDC_UNKNOWN_CARD,
    ErrorCode,
    KioskError,
)

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER_SIZE = len(PREAMBLE) + 2  # preamble + LEN
MAX_LEN = 0x1000  # the longest real reply (text + photo + fingerprints) has LEN 0x090A

# --- commands (CMD, PARA) ---
RESET_SAM = (0x10, 0xFF)
SAM_STATUS = (0x11, 0xFF)
SAM_ID = (0x12, 0xFF)
FIND_CARD = (0x20, 0x01)
SELECT_CARD = (0x20, 0x02)
READ_TEXT_PHOTO = (0x30, 0x01)
READ_APPENDED_ADDRESS = (0x30, 0x03)
READ_WITH_FINGERPRINTS = (0x30, 0x10)
SET_BAUD = 0x60  # PARA = index into BAUD_INDEX
SET_MAX_RF_FRAME = (0x61, 0xFF)  # data = one byte, the frame size

BAUD_INDEX = {115200: 0x00, 57600: 0x01, 38400: 0x02, 19200: 0x03, 9600: 0x04}

# --- SW3 status ---
SW_OK = 0x90
SW_CARD_FOUND = 0x9F
SW_NO_ITEM = 0x91  # e.g. no appended address on this card
SW_NO_CARD = 0x80
SW_SELECT_FAILED = 0x81
SW_READ_FAILED = 0x41
SW_UNKNOWN_CARD_TYPE = 0x40
SW_HOST_CHECKSUM = 0x10
SW_HOST_LENGTH = 0x11
SW_BAD_COMMAND = 0x21
SW_SAM_NOT_AUTHORISED = 0x66

# SW3 → (registry error, English meaning). 0x24 appears in some vendor manuals only.
SW3_ERRORS: dict[int, tuple[ErrorCode, str]] = {
    0x10: (IDC_CHECKSUM, "the reader received a frame with a bad checksum"),
    0x11: (IDC_CHECKSUM, "the reader received a frame with a bad length"),
    0x21: (IDC_READER_FAULT, "the reader does not know the command"),
    0x23: (IDC_READER_FAULT, "the command is not allowed (unauthorised operation)"),
    0x24: (IDC_READER_FAULT, "the reader reports an unidentified error"),
    0x31: (IDC_AUTH_FAILED, "the card failed to authenticate the SAM"),
    0x32: (IDC_AUTH_FAILED, "the SAM failed to authenticate the card"),
    0x33: (IDC_AUTH_FAILED, "the card's information failed verification"),
    0x3F: (IDC_READER_FAULT, "the card's information has a wrong length"),
    0x40: (IDC_UNKNOWN_CARD, "the SAM does not know this card type"),
    0x41: (IDC_CARD_LIFTED, "reading the card failed (card moved or lifted)"),
    0x47: (IDC_AUTH_FAILED, "getting a random number from the card failed"),
    0x60: (IDC_READER_FAULT, "the SAM failed its self-test"),
    0x66: (IDC_SAM_UNAUTHORISED, "the SAM is not authorised"),
    0x80: (IDC_NO_CARD, "no card found"),
    0x81: (IDC_CARD_LIFTED, "selecting the card failed (card moved or lifted)"),
    0x91: (IDC_PROTOCOL, "no such item on the card"),
}
SW3_SUCCESS = {SW_OK: "ok", SW_CARD_FOUND: "card found"}


@dataclass(frozen=True)
class Reply:
    sw1: int
    sw2: int
    sw3: int
    data: bytes = b""

    @property
    def ok(self) -> bool:
        return self.sw1 == 0 and self.sw2 == 0 and self.sw3 in SW3_SUCCESS


@dataclass(frozen=True)
class Command:
    cmd: int
    para: int
    data: bytes = b""


@dataclass(frozen=True)
class ReadResult:
    text: bytes  # 256 bytes, see textblock
    photo: bytes  # 1024 bytes of WLT
    fingerprints: bytes = b""


# --- frames -----------------------------------------------------------------------------------
def checksum(data: bytes) -> int:
    """XOR of all bytes. Folds the bytes as one big integer (halves XORed together) instead
    of a Python loop per byte: 5x faster on a 1295-byte read reply (bench/bench_idcard.py)."""
    value = int.from_bytes(data, "little")
    width = len(data)
    while width > 1:
        half = (width + 1) // 2
        value = (value >> (half * 8)) ^ (value & ((1 << (half * 8)) - 1))
        width = half
    return value & 0xFF


def build_frame(body: bytes) -> bytes:
    """Wrap a body (CMD PARA data, or SW1 SW2 SW3 data) into a frame."""
    length = len(body) + 1
    if length > MAX_LEN:
        raise ValueError(f"frame body of {len(body)} bytes is too long")
    head = length.to_bytes(2, "big")
    return PREAMBLE + head + body + bytes([checksum(head + body)])


def build_command(cmd: int, para: int, data: bytes = b"") -> bytes:
    return build_frame(bytes([cmd, para]) + data)


def build_reply(sw3: int, data: bytes = b"", *, sw1: int = 0, sw2: int = 0) -> bytes:
    return build_frame(bytes([sw1, sw2, sw3]) + data)


def frame_body(frame: bytes) -> bytes:
    """The body of one complete frame; E-IDC-03 on a checksum error, E-IDC-09 on bad shape."""
    if len(frame) < HEADER_SIZE + 1 or not frame.startswith(PREAMBLE):
        raise KioskError(IDC_PROTOCOL, "frame does not start with the GA 467 preamble")
    length = int.from_bytes(frame[5:7], "big")
    if length != len(frame) - HEADER_SIZE:
        raise KioskError(IDC_PROTOCOL, f"frame LEN {length} but {len(frame) - 7} bytes follow")
    if checksum(frame[5:]) != 0:
        raise KioskError(IDC_CHECKSUM, "frame checksum mismatch")
    return frame[HEADER_SIZE:-1]


def parse_reply(frame: bytes) -> Reply:
    body = frame_body(frame)
    if len(body) < 3:
        raise KioskError(IDC_PROTOCOL, "reply shorter than its status bytes")
    return Reply(body[0], body[1], body[2], body[3:])


def parse_command(frame: bytes) -> Command:
    body = frame_body(frame)
    if len(body) < 2:
        raise KioskError(IDC_PROTOCOL, "command shorter than CMD PARA")
    return Command(body[0], body[1], body[2:])


class FrameParser:
    """Cuts a byte stream arriving in arbitrary chunks into complete frames.

    Bytes before a preamble are discarded (counted in `discarded`); a header whose LEN is
    impossible is treated as noise and the search resumes one byte later. Checksums are not
    checked here: a frame with a bad CHK is still returned so the caller can report it."""

    def __init__(self, max_len: int = MAX_LEN) -> None:
        self._buf = bytearray()
        self._max_len = max_len
        self.discarded = 0

    def feed(self, chunk: bytes) -> list[bytes]:
        self._buf += chunk
        frames: list[bytes] = []
        buf = self._buf
        while True:
            start = buf.find(PREAMBLE)
            if start < 0:
                # keep a tail that may be the start of a preamble split across chunks
                keep = _preamble_prefix_len(buf)
                self.discarded += len(buf) - keep
                del buf[: len(buf) - keep]
                return frames
            if start:
                self.discarded += start
                del buf[:start]
            if len(buf) < HEADER_SIZE:
                return frames
            length = int.from_bytes(buf[5:7], "big")
            if length < 2 or length > self._max_len:
                self.discarded += 1
                del buf[:1]
                continue
            end = HEADER_SIZE + length
            if len(buf) < end:
                return frames
            frames.append(bytes(buf[:end]))
            del buf[:end]

    def reset(self) -> None:
        self._buf.clear()

    @property
    def pending(self) -> int:
        return len(self._buf)


def _preamble_prefix_len(buf: bytearray) -> int:
    for n in range(min(len(PREAMBLE) - 1, len(buf)), 0, -1):
        if buf.endswith(PREAMBLE[:n]):
            return n
    return 0


# --- commands and replies ---------------------------------------------------------------------
def cmd_reset_sam() -> bytes:
    return build_command(*RESET_SAM)


def cmd_sam_status() -> bytes:
    return build_command(*SAM_STATUS)


def cmd_sam_id() -> bytes:
    return build_command(*SAM_ID)


def cmd_find_card() -> bytes:
    return build_command(*FIND_CARD)


def cmd_select_card() -> bytes:
    return build_command(*SELECT_CARD)


def cmd_read(*, fingerprints: bool = False) -> bytes:
    return build_command(*(READ_WITH_FINGERPRINTS if fingerprints else READ_TEXT_PHOTO))


def cmd_read_appended_address() -> bytes:
    return build_command(*READ_APPENDED_ADDRESS)


def cmd_set_baud(baud: int) -> bytes:
    if baud not in BAUD_INDEX:
        raise ValueError(f"baud {baud} not one of {sorted(BAUD_INDEX)}")
    return build_command(SET_BAUD, BAUD_INDEX[baud])


def cmd_set_max_rf_frame(size: int) -> bytes:
    if not 0 <= size <= 0xFF:
        raise ValueError("RF frame size is one byte")
    return build_command(*SET_MAX_RF_FRAME, bytes([size]))


def status_error(sw3: int, context: str = "") -> KioskError:
    """The registry error for a failing SW3 status byte."""
    error, meaning = SW3_ERRORS.get(sw3, (IDC_PROTOCOL, "unknown status"))
    where = f" ({context})" if context else ""
    return KioskError(error, f"SW3=0x{sw3:02X}: {meaning}{where}")


def check_reply(reply: Reply, context: str = "") -> Reply:
    """Return `reply` when it reports success, else raise its registry error."""
    if reply.sw1 or reply.sw2:
        raise KioskError(
            IDC_PROTOCOL,
            f"SW1 SW2 = {reply.sw1:02X} {reply.sw2:02X}{f' ({context})' if context else ''}",
        )
    if reply.sw3 not in SW3_SUCCESS:
        raise status_error(reply.sw3, context)
    return reply


# What a successful answer to each command carries: SW3 → allowed data lengths (None: a read,
# any length ≥ 4). Lets the driver drop a late reply to an earlier command instead of taking
# it for the answer to the current one (the protocol does not echo the command).
_SUCCESS_SHAPES: dict[tuple[int, int], dict[int, tuple[int, ...] | None]] = {
    RESET_SAM: {SW_OK: (0,)},
    SAM_STATUS: {SW_OK: (0,)},
    SAM_ID: {SW_OK: (16,)},
    FIND_CARD: {SW_CARD_FOUND: (4,)},
    SELECT_CARD: {SW_OK: (8,)},
    READ_TEXT_PHOTO: {SW_OK: None},
    READ_WITH_FINGERPRINTS: {SW_OK: None},
    READ_APPENDED_ADDRESS: {SW_OK: (70,)},
    SET_MAX_RF_FRAME: {SW_OK: (0,)},
}


def reply_fits(request: bytes, reply: Reply) -> bool:
    """Whether `reply` can be the answer to `request` (a frame built by this module)."""
    key = (request[HEADER_SIZE], request[HEADER_SIZE + 1])
    shapes = {SW_OK: (0,)} if key[0] == SET_BAUD else _SUCCESS_SHAPES.get(key)
    if shapes is None:
        return True
    if reply.sw3 not in SW3_SUCCESS:
        return not reply.data  # an error status never carries data
    if reply.sw3 not in shapes:
        return False
    lengths = shapes[reply.sw3]
    return len(reply.data) >= 4 if lengths is None else len(reply.data) in lengths


def parse_read_data(data: bytes, *, fingerprints: bool = False) -> ReadResult:
    """Split the data of a read reply: lengths (2 bytes each, big-endian) then the blocks."""
    fields = 3 if fingerprints else 2
    head = 2 * fields
    if len(data) < head:
        raise KioskError(IDC_PROTOCOL, "read reply too short for its length fields")
    sizes = [int.from_bytes(data[i : i + 2], "big") for i in range(0, head, 2)]
    if head + sum(sizes) != len(data):
        raise KioskError(
            IDC_PROTOCOL, f"read reply lengths {sizes} do not match {len(data) - head} data bytes"
        )
    text = data[head : head + sizes[0]]
    photo = data[head + sizes[0] : head + sizes[0] + sizes[1]]
    prints = data[head + sizes[0] + sizes[1] :] if fingerprints else b""
    return ReadResult(text, photo, prints)


def build_read_data(text: bytes, photo: bytes, fingerprints: bytes | None = None) -> bytes:
    """Inverse of parse_read_data (the simulator's side)."""
    parts = [text, photo] if fingerprints is None else [text, photo, fingerprints]
    return b"".join(len(p).to_bytes(2, "big") for p in parts) + b"".join(parts)
