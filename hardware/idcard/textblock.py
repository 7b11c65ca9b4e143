"""The 256-byte text block of a card read (UCS-2 little-endian, space padded), both ways.

Layouts (byte offset, size). The character at offset 248 says which card it is:
space = resident ID card, J = HK/Macau/Taiwan residence permit, I = foreign permanent resident
card (2017), Y = foreign permanent resident card (2023). The 2023 layout comes from one public
source only (a vendor demo's struct); docs/hardware-idcard.md says so.
`encode_text_block` is the inverse, used by the simulator and by tests.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace

from common.errors import IDC_PROTOCOL, IDC_UNKNOWN_CARD, KioskError
from hardware.idcard.idnumber import id_number_valid
from hardware.idcard.model import LONG_TERM, CodeLabel, IdCard
from hardware.idcard.tables import gender_label, nation_label

log = logging.getLogger(__name__)

TEXT_BLOCK_SIZE = 256
TYPE_OFFSET = 248

Layout = tuple[tuple[str, int, int], ...]  # (field, offset, size in bytes)

LAYOUTS: dict[str, Layout] = {
    "resident_id": (
        ("name", 0, 30),
        ("gender", 30, 2),
        ("nation", 32, 4),
        ("birth", 36, 16),
        ("address", 52, 70),
        ("id_number", 122, 36),
        ("authority", 158, 30),
        ("valid_from", 188, 16),
        ("valid_to", 204, 16),
        ("_reserved", 220, 28),
        ("_type", 248, 2),
        ("_reserved2", 250, 6),
    ),
    "hkmt_permit": (
        ("name", 0, 30),
        ("gender", 30, 2),
        ("_reserved", 32, 4),
        ("birth", 36, 16),
        ("address", 52, 70),
        ("id_number", 122, 36),
        ("authority", 158, 30),
        ("valid_from", 188, 16),
        ("valid_to", 204, 16),
        ("permit_number", 220, 18),
        ("issue_count", 238, 4),
        ("_reserved2", 242, 6),
        ("_type", 248, 2),
        ("_reserved3", 250, 6),
    ),
    "foreign_permanent_2017": (
        ("name_en", 0, 120),
        ("gender", 120, 2),
        ("id_number", 122, 30),
        ("nationality", 152, 6),
        ("name", 158, 30),
        ("valid_from", 188, 16),
        ("valid_to", 204, 16),
        ("birth", 220, 16),
        ("card_version", 236, 4),
        ("authority_code", 240, 8),
        ("_type", 248, 2),
        ("_reserved", 250, 6),
    ),
    "foreign_permanent_2023": (
        ("name", 0, 30),
        ("gender", 30, 2),
        ("renewal_count", 32, 4),
        ("birth", 36, 16),
        ("name_en", 52, 70),
        ("id_number", 122, 36),
        ("_reserved", 158, 30),
        ("valid_from", 188, 16),
        ("valid_to", 204, 16),
        ("_name_en_ext", 220, 22),
        ("nationality", 242, 6),
        ("_type", 248, 2),
        ("previous_number_link", 250, 6),
    ),
}

TYPE_MARKERS: dict[str, str] = {
    " ": "resident_id",
    "\x00": "resident_id",
    "J": "hkmt_permit",
    "I": "foreign_permanent_2017",
    "Y": "foreign_permanent_2023",
}
KIND_MARKER = {
    "resident_id": " ",
    "hkmt_permit": "J",
    "foreign_permanent_2017": "I",
    "foreign_permanent_2023": "Y",
}
_NAME_EN_HEAD = 35  # the 2023 card splits the English name: 35 characters + 11 more


def card_kind(block: bytes) -> str:
    """Which kind of card a text block belongs to; E-IDC-06 for an unknown marker."""
    _check_size(block)
    marker = block[TYPE_OFFSET : TYPE_OFFSET + 2].decode("utf-16-le", errors="replace")
    kind = TYPE_MARKERS.get(marker)
    if kind is None:
        raise KioskError(IDC_UNKNOWN_CARD, f"card type marker {marker!r} at byte {TYPE_OFFSET}")
    return kind


def parse_text_block(block: bytes) -> IdCard:
    """Decode a text block into an IdCard (no photo). Raises E-IDC-06 / E-IDC-09."""
    kind = card_kind(block)
    raw = {name: _text(block, name, off, size) for name, off, size in LAYOUTS[kind]}
    if kind == "foreign_permanent_2023":
        raw["name_en"] = (raw["name_en"] + raw["_name_en_ext"]).rstrip()
    gender = raw["gender"]
    label = gender_label(gender)
    if not label:
        log.warning("gender code %r not in GB/T 2261.1", gender)
    nation = None
    if "nation" in raw:
        nation = CodeLabel(raw["nation"], nation_label(raw["nation"]))
        if not nation.label:
            log.warning("nation code %r not in GB 3304", raw["nation"])
    card = IdCard(
        kind=kind,
        name=raw["name"],
        gender=CodeLabel(gender, label),
        nation=nation,
        birth=_date(raw["birth"], "birth"),
        address=raw.get("address", ""),
        id_number=raw["id_number"],
        id_number_valid=id_number_valid(raw["id_number"]),
        authority=raw.get("authority", ""),
        valid_from=_date(raw["valid_from"], "valid_from"),
        valid_to=_date(raw["valid_to"], "valid_to", long_term_ok=True),
    )
    extra: dict[str, object] = {}
    for name in (
        "permit_number",
        "name_en",
        "nationality",
        "card_version",
        "authority_code",
        "previous_number_link",
    ):
        if name in raw:
            extra[name] = raw[name]
    if "issue_count" in raw:
        extra["issue_count"] = _count(raw["issue_count"], "issue_count")
    if "renewal_count" in raw:
        extra["renewal_count"] = _count(raw["renewal_count"], "renewal_count")
    return replace(card, **extra) if extra else card


def encode_text_block(card: IdCard) -> bytes:
    """The text block a reader would send for `card` (the simulator's half of the codec).
    Raises ValueError when a value does not fit its field."""
    values: dict[str, str] = {
        "name": card.name,
        "gender": card.gender.code,
        "nation": card.nation.code if card.nation else "",
        "birth": _undate(card.birth),
        "address": card.address,
        "id_number": card.id_number,
        "authority": card.authority,
        "valid_from": _undate(card.valid_from),
        "valid_to": _undate(card.valid_to),
        "permit_number": card.permit_number,
        "issue_count": "" if card.issue_count is None else f"{card.issue_count:02d}",
        "name_en": card.name_en,
        "nationality": card.nationality,
        "card_version": card.card_version,
        "authority_code": card.authority_code,
        "renewal_count": "" if card.renewal_count is None else f"{card.renewal_count:02d}",
        "previous_number_link": card.previous_number_link,
        "_type": KIND_MARKER[card.kind],
    }
    if card.kind == "foreign_permanent_2023":
        values["_name_en_ext"] = card.name_en[_NAME_EN_HEAD:]
        values["name_en"] = card.name_en[:_NAME_EN_HEAD]
    out = bytearray()
    for name, _off, size in LAYOUTS[card.kind]:
        encoded = values.get(name, "").encode("utf-16-le")
        if len(encoded) > size:
            raise ValueError(f"{name} does not fit in {size} bytes")
        out += encoded + " ".encode("utf-16-le") * ((size - len(encoded)) // 2)
    return bytes(out)


def _check_size(block: bytes) -> None:
    if len(block) != TEXT_BLOCK_SIZE:
        raise KioskError(IDC_PROTOCOL, f"text block is {len(block)} bytes, not {TEXT_BLOCK_SIZE}")


def _text(block: bytes, name: str, off: int, size: int) -> str:
    try:
        value = block[off : off + size].decode("utf-16-le")
    except UnicodeDecodeError:
        raise KioskError(IDC_PROTOCOL, f"field {name} is not valid UCS-2") from None
    return value.rstrip(" \x00")


def _date(value: str, name: str, *, long_term_ok: bool = False) -> str:
    if not value:
        return ""
    if long_term_ok and value == LONG_TERM:
        return LONG_TERM
    try:
        if len(value) != 8 or not _ascii_digits(value):
            raise ValueError
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:])).isoformat()
    except ValueError:
        raise KioskError(IDC_PROTOCOL, f"field {name} is not a YYYYMMDD date") from None


def _undate(value: str) -> str:
    return value.replace("-", "") if value != LONG_TERM else value


def _ascii_digits(value: str) -> bool:
    # str.isdigit() is true for '²' and '①', which int() refuses: only 0-9 are digits here.
    return value.isascii() and value.isdigit()


def _count(value: str, name: str) -> int | None:
    if not value:
        return None
    if not _ascii_digits(value):
        raise KioskError(IDC_PROTOCOL, f"field {name} is not a number")
    return int(value)
