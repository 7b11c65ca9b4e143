"""The one redaction function family (个人信息保护法): logs, diagnostics, shared screens and
crash reports all mask personal data through here.

- ID numbers keep the region (6) and the last 4: 410105********1234
- names keep the family name character: 张*  欧**
- mobile phone numbers keep 3 + 4: 138****5678
Free text is scanned for ID-number and phone shapes; names cannot be found in free text, so
structured data is masked by key (`redact_mapping`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

# 15- or 18-character resident ID numbers (the last may be X); HK/Macau/Taiwan permits start 8x.
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8}|\d{5})(\d{3}[\dXx]|\d)(?![0-9A-Za-z])")
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")

NAME_KEYS = {"name", "holder_name", "applicant", "applicant_name", "contact", "name_en"}
ID_KEYS = {"id_number", "id_no", "idcard", "permit_number", "passport"}
PHONE_KEYS = {"phone", "mobile", "tel", "contact_phone"}
ADDRESS_KEYS = {"address", "home_address"}


def mask_id_number(value: str) -> str:
    value = value.strip()
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_name(value: str) -> str:
    value = value.strip()
    if not value:
        return value
    if value.isascii():  # Latin names: keep the first letter of each word
        return " ".join(w[0] + "*" * (len(w) - 1) for w in value.split())
    return value[0] + "*" * (len(value) - 1)


def mask_phone(value: str) -> str:
    digits = value.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_address(value: str) -> str:
    value = value.strip()
    return value[:6] + "****" if len(value) > 6 else "****"


def redact(text: str) -> str:
    """Mask ID-number and phone shapes anywhere in free text."""
    text = _ID_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    return _PHONE_RE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


def redact_mapping(data: Any) -> Any:
    """A deep copy of `data` with personal fields masked by key and free text scanned."""
    if isinstance(data, Mapping):
        out = {}
        for key, value in data.items():
            k = str(key).lower()
            if isinstance(value, str):
                if k.endswith("secret"):  # credentials in settings (notify.aliyun_…_secret)
                    value = "****" if value else value
                elif k in ID_KEYS:
                    value = mask_id_number(value)
                elif k in NAME_KEYS:
                    value = mask_name(value)
                elif k in PHONE_KEYS:
                    value = mask_phone(value)
                elif k in ADDRESS_KEYS:
                    value = mask_address(value)
                else:
                    value = redact(value)
            else:
                value = redact_mapping(value)
            out[key] = value
        return out
    if isinstance(data, list | tuple):
        return [redact_mapping(v) for v in data]
    if isinstance(data, str):
        return redact(data)
    return data


class RedactingFilter(logging.Filter):
    """Masks personal data in the final message and in any `extra={"data": ...}` payload
    (every log handler of ours has it: kiosk/ops/logs.py, the catalog store builder)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        data = getattr(record, "data", None)
        if data is not None:
            record.data = redact_mapping(data)
        return True
