"""APDU helpers as pure functions: hex in and out, status words (ISO/IEC 7816-4) and what
they mean, and the value parsers card profiles use."""

from __future__ import annotations

import re

from common.errors import SC_APDU_FAILED, KioskError

# ISO/IEC 7816-4 §5.6 and the PC/SC part 3 pseudo-APDU answers readers give.
STATUS_WORDS: dict[str, str] = {
    "9000": "success",
    "6200": "no information given (state unchanged)",
    "6281": "part of returned data may be corrupted",
    "6282": "end of file or record reached before reading Ne bytes",
    "6283": "selected file deactivated",
    "6300": "verification failed",
    "6581": "memory failure",
    "6700": "wrong length",
    "6881": "logical channel not supported",
    "6882": "secure messaging not supported",
    "6981": "command incompatible with file structure",
    "6982": "security status not satisfied (PIN or authentication needed)",
    "6983": "authentication method blocked",
    "6984": "reference data not usable",
    "6985": "conditions of use not satisfied",
    "6986": "command not allowed (no current EF)",
    "6A80": "incorrect parameters in the data field",
    "6A81": "function not supported",
    "6A82": "file or application not found",
    "6A83": "record not found",
    "6A84": "not enough memory space in the file",
    "6A86": "incorrect parameters P1-P2",
    "6A88": "referenced data not found",
    "6B00": "wrong parameters P1-P2",
    "6D00": "instruction code not supported",
    "6E00": "class not supported",
    "6F00": "no precise diagnosis",
}
_PATTERNS: tuple[tuple[str, str], ...] = (
    ("61", "more response bytes available"),
    ("6C", "wrong Le field"),
    ("63C", "verification failed, retries left in the last nibble"),
)


def parse_hex(text: str) -> bytes:
    """'FF CA 00 00 00' / 'ffca000000' → bytes; ValueError on anything else."""
    cleaned = re.sub(r"[\s:]", "", text)
    if len(cleaned) % 2 or not re.fullmatch(r"[0-9A-Fa-f]*", cleaned):
        raise ValueError(f"not a hex byte string: {text!r}")
    return bytes.fromhex(cleaned)


def to_hex(data: bytes) -> str:
    return data.hex().upper()


def sw_hex(sw1: int, sw2: int) -> str:
    return f"{sw1:02X}{sw2:02X}"


def sw_meaning(sw1: int, sw2: int) -> str:
    sw = sw_hex(sw1, sw2)
    if sw in STATUS_WORDS:
        return STATUS_WORDS[sw]
    for prefix, meaning in _PATTERNS:
        if sw.startswith(prefix):
            return meaning
    return "unknown status word"


def sw_error(sw1: int, sw2: int, context: str) -> KioskError:
    return KioskError(SC_APDU_FAILED, f"{context}: SW={sw_hex(sw1, sw2)} ({sw_meaning(sw1, sw2)})")


def atr_matches(pattern: str, atr: bytes) -> bool:
    """A pattern is hex bytes separated by spaces, '.' matching any nibble, and an optional
    final '*' matching any remaining bytes: "3B 8. 80 01 *". A lone "*" matches every ATR."""
    tokens = pattern.upper().split()
    if tokens == ["*"]:
        return True
    tail = bool(tokens) and tokens[-1] == "*"
    if tail:
        tokens = tokens[:-1]
    atr_hex = [f"{b:02X}" for b in atr]
    if len(atr_hex) < len(tokens) or (not tail and len(atr_hex) != len(tokens)):
        return False
    return all(re.fullmatch(tok, byte) for tok, byte in zip(tokens, atr_hex, strict=False))


def validate_atr_pattern(pattern: str) -> None:
    tokens = pattern.upper().split()
    if tokens == ["*"]:
        return
    if tokens and tokens[-1] == "*":
        tokens = tokens[:-1]
    if not tokens or not all(re.fullmatch(r"[0-9A-F.]{2}", t) for t in tokens):
        raise ValueError(f"bad ATR pattern {pattern!r}")


# --- value parsers used by card profiles ---
def tlv_value(data: bytes) -> bytes:
    """A single record in TAG LEN VALUE form (social security card records) → VALUE."""
    if len(data) < 2 or data[1] > len(data) - 2:
        raise ValueError("record is not TAG LEN VALUE")
    return data[2 : 2 + data[1]]


def bcd_date(value: bytes) -> str:
    """4 BCD bytes YYYYMMDD → YYYY-MM-DD."""
    digits = value.hex()
    if len(digits) != 8 or not digits.isdigit():
        raise ValueError("not a 4-byte BCD date")
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"


PARSERS = {
    "hex": lambda d: to_hex(d),
    "ascii": lambda d: d.decode("ascii").strip(" \x00"),
    "gbk": lambda d: d.decode("gbk").strip(" \x00"),
    "tlv_hex": lambda d: to_hex(tlv_value(d)),
    "tlv_ascii": lambda d: tlv_value(d).decode("ascii").strip(" \x00"),
    "tlv_gbk": lambda d: tlv_value(d).decode("gbk").strip(" \x00"),
    "tlv_bcd_date": lambda d: bcd_date(tlv_value(d)),
}
