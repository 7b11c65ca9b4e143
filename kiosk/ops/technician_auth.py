"""Unlocking the technician screen: a PIN stored as a scrypt hash, or a technician card's
PC/SC UID (stored hashed too), with a lock-out after repeated failures. The screen calls
`verify_pin` / `verify_card`; `kiosk technician set-pin|add-card` set them up. Every
attempt is audited.

scrypt from the standard library (hashlib): memory-hard, so a copied file does not give the
PIN away to a brute force over a 6-digit space in seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from pathlib import Path
from typing import Any

from common.errors import (
    TECHNICIAN_LOCKED,
    TECHNICIAN_PIN_UNSET,
    TECHNICIAN_PIN_WRONG,
    USAGE,
    KioskError,
)
from common.paths import write_private
from kiosk.ops import audit

FILENAME = "technician.json"
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
MAX_FAILURES = 5
LOCKOUT_S = 300.0


def _path(home: Path) -> Path:
    return home / FILENAME


def _load(home: Path) -> dict[str, Any]:
    try:
        return json.loads(_path(home).read_text())
    except (OSError, ValueError):
        return {}


def _save(home: Path, state: dict[str, Any]) -> None:
    write_private(_path(home), json.dumps(state))


def _hash(secret: str, salt: bytes) -> str:
    return hashlib.scrypt(secret.encode(), salt=salt, maxmem=64 * 2**20, **SCRYPT).hex()


def set_pin(home: Path, pin: str) -> None:
    if not (pin.isdigit() and 6 <= len(pin) <= 12):
        raise KioskError(USAGE, "the technician PIN must be 6 to 12 digits")
    state = _load(home)
    salt = secrets.token_bytes(16)
    state.update(pin_salt=salt.hex(), pin_hash=_hash(pin, salt), failures=0, locked_until=0)
    _save(home, state)
    audit.record(home, "technician_set_pin")


def add_card(home: Path, uid: str) -> None:
    """Allow a technician card by its UID (hex, as the hardware layer reads it)."""
    uid = uid.replace(" ", "").replace(":", "").upper()
    if not uid or any(c not in "0123456789ABCDEF" for c in uid):
        raise KioskError(USAGE, "a card UID is hex, e.g. 04A1B2C3")
    state = _load(home)
    salt = bytes.fromhex(state.get("card_salt") or secrets.token_hex(16))
    state["card_salt"] = salt.hex()
    cards = set(state.get("cards", []))
    cards.add(hashlib.sha256(salt + uid.encode()).hexdigest())
    state["cards"] = sorted(cards)
    _save(home, state)
    audit.record(home, "technician_add_card")


def _check_lock(state: dict[str, Any], now: float) -> None:
    if state.get("locked_until", 0) > now:
        raise KioskError(TECHNICIAN_LOCKED, f"for {state['locked_until'] - now:.0f} more seconds")


def _fail(home: Path, state: dict[str, Any], now: float, how: str, outbox: Any) -> KioskError:
    state["failures"] = state.get("failures", 0) + 1
    if state["failures"] >= MAX_FAILURES:
        state["locked_until"] = now + LOCKOUT_S
        state["failures"] = 0
    _save(home, state)
    audit.record(home, "technician_unlock", outbox=outbox, outcome="refused", detail={"by": how})
    if state.get("locked_until", 0) > now:
        return KioskError(TECHNICIAN_LOCKED, f"for {LOCKOUT_S:.0f} seconds")
    return KioskError(TECHNICIAN_PIN_WRONG, f"{MAX_FAILURES - state['failures']} tries left")


def _succeed(home: Path, state: dict[str, Any], how: str, outbox: Any) -> None:
    state.update(failures=0, locked_until=0)
    _save(home, state)
    audit.record(home, "technician_unlock", outbox=outbox, detail={"by": how})


def verify_pin(home: Path, pin: str, *, outbox: Any = None, now: float | None = None) -> None:
    """Returns when the PIN is right; raises E-DOC-03 (wrong), E-DOC-04 (locked out),
    E-DOC-05 (no PIN set)."""
    now = time.time() if now is None else now
    state = _load(home)
    if "pin_hash" not in state:
        raise KioskError(TECHNICIAN_PIN_UNSET)
    _check_lock(state, now)
    given = _hash(pin, bytes.fromhex(state["pin_salt"]))
    if not hmac.compare_digest(given, state["pin_hash"]):
        raise _fail(home, state, now, "pin", outbox)
    _succeed(home, state, "pin", outbox)


def verify_card(home: Path, uid: str, *, outbox: Any = None, now: float | None = None) -> None:
    """The same for a technician card's UID."""
    now = time.time() if now is None else now
    state = _load(home)
    _check_lock(state, now)
    uid = uid.replace(" ", "").replace(":", "").upper()
    salt = bytes.fromhex(state.get("card_salt", ""))
    digest = hashlib.sha256(salt + uid.encode()).hexdigest()
    if not any(hmac.compare_digest(digest, c) for c in state.get("cards", [])):
        raise _fail(home, state, now, "card", outbox)
    _succeed(home, state, "card", outbox)
