"""Personal data at rest: AES-GCM with keys derived per purpose from one device secret.

The device secret is 32 random bytes in KIOSK_HOME/device.key (mode 0600), made on first use.
HKDF gives each purpose ("outbox", "progress", …) its own key, so a key leaked from one use
opens nothing else. The associated data binds a ciphertext to its row (key/number), so a blob
copied to another row fails to decrypt instead of being silently accepted.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from common.errors import STORE_FAILED, KioskError
from common.paths import write_private

_VERSION = b"\x01"


def load_device_secret(home: Path) -> bytes:
    path = home / "device.key"
    if not path.exists():
        write_private(path, os.urandom(32))
    secret = path.read_bytes()
    if len(secret) != 32:
        raise KioskError(STORE_FAILED, f"{path} is corrupt (expected 32 bytes)")
    return secret


class Sealer:
    def __init__(self, device_secret: bytes, purpose: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"hall-kiosk/" + purpose.encode()).derive(device_secret)
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, aad: str) -> bytes:
        nonce = os.urandom(12)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, aad.encode())

    def open(self, blob: bytes, aad: str) -> bytes:
        if not blob or blob[:1] != _VERSION:
            raise KioskError(STORE_FAILED, "sealed record has an unknown format")
        try:
            return self._aead.decrypt(blob[1:13], blob[13:], aad.encode())
        except InvalidTag as exc:
            raise KioskError(STORE_FAILED, "sealed record failed authentication") from exc
