"""What a read produces: `IdCard`, plus the pluggable photo decoder protocol.

`to_json()` is the contract other parts (forms, real-name tickets, the CLI) rely on; it never
holds the photo. `repr()` masks personal data so an IdCard that ends up in a log or a
traceback does not leak it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from common.redact import mask_id_number, mask_name

KINDS = ("resident_id", "hkmt_permit", "foreign_permanent_2017", "foreign_permanent_2023")
LONG_TERM = "长期"  # valid_to of cards without an end date


@dataclass(frozen=True)
class CodeLabel:
    code: str
    label: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "label": self.label}


@dataclass(frozen=True, repr=False)
class IdCard:
    """One card's text fields, decoded. Dates are YYYY-MM-DD (valid_to may be 长期); text
    fields a kind does not carry are "" and `nation` is None for cards without one."""

    kind: str
    name: str
    gender: CodeLabel
    nation: CodeLabel | None
    birth: str
    address: str
    id_number: str
    id_number_valid: bool
    authority: str
    valid_from: str
    valid_to: str
    # kind-specific (see KIND_FIELDS)
    permit_number: str = ""  # hkmt_permit: 通行证号码
    issue_count: int | None = None  # hkmt_permit: 签发次数
    name_en: str = ""  # foreign cards
    nationality: str = ""  # foreign cards: ISO 3166-1 alpha-3
    card_version: str = ""  # foreign_permanent_2017: 证件版本号
    authority_code: str = ""  # foreign_permanent_2017: 当次申请受理机关代码
    renewal_count: int | None = None  # foreign_permanent_2023: 换证次数
    previous_number_link: str = ""  # foreign_permanent_2023: 既往版本证件号码关联项 (raw)
    # opaque blobs, never in to_json()
    photo: bytes = field(default=b"", compare=False)  # 1024 bytes of WLT
    fingerprints: bytes = field(default=b"", compare=False)
    appended_address: str = ""  # 追加住址 (30 03), resident cards that have one

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": self.kind,
            "name": self.name,
            "gender": self.gender.to_json(),
            "nation": self.nation.to_json() if self.nation else None,
            "birth": self.birth,
            "address": self.address,
            "id_number": self.id_number,
            "id_number_valid": self.id_number_valid,
            "authority": self.authority,
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
        }
        for name in KIND_FIELDS[self.kind]:
            body[name] = getattr(self, name)
        return body

    def __repr__(self) -> str:
        return (
            f"IdCard(kind={self.kind!r}, name={mask_name(self.name)!r}, "
            f"id_number={mask_id_number(self.id_number)!r}, "
            f"id_number_valid={self.id_number_valid})"
        )


KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "resident_id": ("appended_address",),
    "hkmt_permit": ("permit_number", "issue_count"),
    "foreign_permanent_2017": ("name_en", "nationality", "card_version", "authority_code"),
    "foreign_permanent_2023": ("name_en", "nationality", "renewal_count", "previous_number_link"),
}


@runtime_checkable
class PhotoDecoder(Protocol):
    """Turns the card's 1024-byte WLT photo into an image file's bytes (e.g. BMP).

    None ships with the kiosk: WLT decoding exists only in vendor binaries, which a
    deployment may wrap (configured by library path) without the project shipping them."""

    def decode(self, wlt: bytes) -> bytes: ...
