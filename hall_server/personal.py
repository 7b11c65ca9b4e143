"""Personal data at rest on the hall server: the fields of submitted forms are sealed with
AES-GCM under a hall key kept in a file (0600), never in the database — a copy of the database
alone reveals no name, ID number, address or phone.

The key file is `privacy.server_key_file`, or `personal-data.key` in the server's data dir;
every server process of a hall must use the same file. It is created once, atomically (a link
that fails if another process made it first). Stored values are "gcm1:" + base64(nonce ‖
ciphertext); the application number is the associated data, so a sealed value cannot be moved
to another application. Values stored in clear by older versions are still read.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from common.errors import CONFIG_INVALID, KioskError

log = logging.getLogger(__name__)

KEY_FILE = "personal-data.key"
PREFIX = "gcm1:"


def key_path(settings: Any, data_dir: str | Path | None = None) -> Path:
    configured = settings.privacy.server_key_file
    if configured:
        return Path(configured).expanduser()
    from hall_server.db import resolve_data_dir

    return resolve_data_dir(settings, data_dir) / KEY_FILE


def _load_or_create(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)  # fails if another server process made it first: use theirs
            log.info("personal-data key created: %s", path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    try:
        key = bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError) as exc:
        raise KioskError(CONFIG_INVALID, f"{path}: personal-data key unreadable ({exc})") from exc
    if len(key) != 32:
        raise KioskError(CONFIG_INVALID, f"{path}: personal-data key must be 32 bytes (hex)")
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return key


class PersonalData:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._aead = AESGCM(_load_or_create(path))

    def seal(self, fields: dict[str, Any], number: str) -> str:
        nonce = os.urandom(12)
        plain = json.dumps(fields, ensure_ascii=False).encode()
        blob = nonce + self._aead.encrypt(nonce, plain, number.encode())
        return PREFIX + base64.b64encode(blob).decode()

    def open(self, stored: str, number: str) -> dict[str, Any]:
        if not stored.startswith(PREFIX):  # written in clear by an older version
            return json.loads(stored or "{}")
        blob = base64.b64decode(stored[len(PREFIX):])
        try:
            plain = self._aead.decrypt(blob[:12], blob[12:], number.encode())
        except InvalidTag as exc:
            raise KioskError(CONFIG_INVALID, f"{self.path} is not the key these fields were "
                             "sealed with") from exc
        return json.loads(plain)
