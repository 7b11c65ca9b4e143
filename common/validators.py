"""Validators for the values citizens type or a card reader fills: ID numbers, phones, postal
codes, dates, emails. Pure standard library: the kiosk, the server and the tools import it.

Each `validate_*` returns None when the value is good, else a `FieldError` (registry code plus
Chinese screen text and English log text). Messages never repeat the value: it may be personal.

Resident ID numbers (GB 11643-1999): 6-digit region, 8-digit birth date, 3-digit sequence (odd
for men), check character from ISO 7064 MOD 11-2. Written by hand because the rule is a few
lines and no maintained PyPI package does just this.
Decided: the 15-digit first-generation number is refused with its own message. Those cards
stopped being valid on 2013-01-01, they carry no check digit, and no reader here returns them.
HK/Macau/Taiwan residence permits (81/82/83…) and the 2023 foreign permanent resident card
(starts with 9) use the same 18-character layout and check digit, so they pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from common.errors import (
    DATE_INVALID,
    EMAIL_INVALID,
    ID_CHECK_DIGIT,
    ID_NUMBER_INVALID,
    PHONE_INVALID,
    POSTAL_CODE_INVALID,
    ErrorCode,
)


@dataclass(frozen=True)
class FieldError:
    """Why one value was refused: a stable code, screen text (zh) and log text (en)."""

    code: str
    zh: str
    en: str

    @classmethod
    def of(cls, error: ErrorCode, zh: str = "", en: str = "") -> FieldError:
        return cls(error.code, zh or error.zh, en or error.en)

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "zh": self.zh, "en": self.en}


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
# GB/T 2260 province-level codes, plus 81/82/83 for HK/Macau/Taiwan residence permits.
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
        "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
        "63", "64", "65", "71", "81", "82", "83",
    }
)  # fmt: skip
_ID18_RE = re.compile(r"^\d{17}[\dX]$")
_ID15_RE = re.compile(r"^\d{15}$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# Area code 0 + 2-3 digits, local number 7-8 digits (first digit never 0/1), optional extension.
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?[2-9]\d{6,7}(-\d{1,6})?$")
_POSTAL_RE = re.compile(r"^\d{6}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Deliberately simple: a local part, one @, a dotted domain. The kiosk only needs to catch
# typos; deliverability is the mail server's business (no dependency for this).
_EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$")


def normalize_id_number(value: str) -> str:
    """Trim, drop inner spaces, upper-case the X."""
    return value.strip().replace(" ", "").upper()


def id_check_char(first17: str) -> str:
    """The check character for the first 17 digits (ISO 7064 MOD 11-2)."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("need exactly 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def id_check_digit_ok(value: str) -> bool:
    """True when `value` is 17 digits + the right check character (x accepted for X)."""
    s = normalize_id_number(value)
    return bool(_ID18_RE.match(s)) and id_check_char(s[:17]) == s[17]


def _birth_date(s: str) -> date | None:
    try:
        return date(int(s[0:4]), int(s[4:6]), int(s[6:8]))
    except ValueError:
        return None


def validate_id_number(value: str, *, today: date | None = None) -> FieldError | None:
    """An 18-character resident ID (or residence permit) number: shape, region, birth, check."""
    s = normalize_id_number(value)
    if _ID15_RE.match(s):
        return FieldError.of(
            ID_NUMBER_INVALID,
            "15位旧身份证号码已停止使用，请使用18位号码",
            "15-digit first-generation ID numbers are no longer valid; use the 18-character one",
        )
    if not _ID18_RE.match(s):
        return FieldError.of(
            ID_NUMBER_INVALID,
            "身份证号码应为18位，最后一位可以是数字或X",
            "ID number must be 17 digits followed by a digit or X",
        )
    if s[:2] not in PROVINCE_CODES and s[0] != "9":
        return FieldError.of(
            ID_NUMBER_INVALID, "身份证号码地区码不正确", "ID number region code is unknown"
        )
    birth = _birth_date(s[6:14])
    if birth is None or birth.year < 1900 or birth > (today or date.today()):
        return FieldError.of(
            ID_NUMBER_INVALID, "身份证号码中的出生日期不正确", "ID number birth date is impossible"
        )
    if id_check_char(s[:17]) != s[17]:
        return FieldError.of(ID_CHECK_DIGIT)
    return None


def validate_phone(value: str) -> FieldError | None:
    """A mainland mobile (1[3-9] + 9 digits) or a landline (0xx(x)-xxxxxxx(x), extension ok)."""
    s = value.strip().replace(" ", "")
    if _MOBILE_RE.match(s) or _LANDLINE_RE.match(s):
        return None
    return FieldError.of(
        PHONE_INVALID,
        "请填写11位手机号码，或带区号的固定电话（如0571-87654321）",
        "Expected an 11-digit mobile number or a landline with area code (0571-87654321)",
    )


def validate_postal_code(value: str) -> FieldError | None:
    if _POSTAL_RE.match(value.strip()):
        return None
    return FieldError.of(POSTAL_CODE_INVALID, en="Postal code must be 6 digits")


def parse_date(value: str) -> date | None:
    """YYYY-MM-DD exactly (fromisoformat alone also takes 20261120 and week dates)."""
    s = value.strip()
    if not _DATE_RE.match(s):
        return None
    try:
        parsed = date.fromisoformat(s)
    except ValueError:
        return None
    return parsed if 1900 <= parsed.year <= 2100 else None


def validate_date(value: str) -> FieldError | None:
    if parse_date(value) is not None:
        return None
    return FieldError.of(
        DATE_INVALID,
        "请按“年-月-日”填写真实日期，如2026-01-31",
        "Expected a real date as YYYY-MM-DD between 1900 and 2100",
    )


def validate_email(value: str) -> FieldError | None:
    s = value.strip()
    if len(s) <= 254 and _EMAIL_RE.match(s):
        return None
    return FieldError.of(EMAIL_INVALID, en="Expected an address like name@example.com")
