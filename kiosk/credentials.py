"""The kiosk's identity after enrolment: KIOSK_HOME/credentials.json, mode 0600."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from common.errors import CONFIG_UNREADABLE, NOT_PROVISIONED, KioskError
from common.paths import write_private

FILENAME = "credentials.json"


@dataclass(frozen=True)
class Credentials:
    server_url: str
    device_id: str
    token: str
    role: str
    name: str
    hall: str | None = None
    hall_key: str | None = None
    tag: str | None = None
    location: str | None = None
    ca_bundle: str | None = None

    @property
    def kiosk_tag(self) -> str:
        """Short tag in offline numbers; the server's when it gave one."""
        return self.tag or self.device_id.replace("-", "")[:4].upper()


def load_credentials(home: Path, *, required: bool = True) -> Credentials | None:
    path = home / FILENAME
    if not path.exists():
        if required:
            raise KioskError(NOT_PROVISIONED, f"no {path}")
        return None
    try:
        data = json.loads(path.read_text())
        return Credentials(**{k: v for k, v in data.items() if k in Credentials.__dataclass_fields__})
    except (ValueError, TypeError) as exc:
        raise KioskError(CONFIG_UNREADABLE, f"{path}: {exc}") from exc


def save_credentials(home: Path, creds: Credentials) -> Path:
    path = home / FILENAME
    write_private(path, json.dumps(asdict(creds), ensure_ascii=False, indent=2))
    return path
