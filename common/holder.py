"""Holder hashes: how an ID number travels and is stored for per-ID rules (ticket limits,
progress lookup) without the clear number ever leaving the kiosk.

HMAC-SHA256 with the hall-wide key delivered at enrolment, so the same person gives the same
hash on every kiosk of the hall, and a leaked table cannot be reversed by hashing all
1.4 billion possible ID numbers without that key. Shared by server and kiosk (stdlib only).
"""

from __future__ import annotations

import hashlib
import hmac


def normalize_id_number(id_number: str) -> str:
    return id_number.strip().upper().replace(" ", "")


def holder_hash(hall_key_hex: str, id_number: str) -> str:
    key = bytes.fromhex(hall_key_hex)
    return hmac.new(key, normalize_id_number(id_number).encode(), hashlib.sha256).hexdigest()
