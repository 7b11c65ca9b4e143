"""The kiosk's identity after enrolment: KIOSK_HOME/credentials.json, mode 0600."""

from __future__ import annotations

import json
import tomllib
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


def _packaged_server_url() -> str:
    from common.paths import config_dir

    try:
        return str(tomllib.loads((config_dir() / "default.toml").read_text("utf-8"))["server"]["url"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return ""


def server_url_refused(configured: str, creds: Credentials) -> str | None:
    """Why a `server.url` other than the enrolment URL is not applied, and how to move the
    kiosk; None when they agree (or server.url is left at the packaged default). The token
    belongs to the server the kiosk enrolled with: sending it elsewhere is not done silently."""
    wanted, enrolled = configured.rstrip("/"), creds.server_url.rstrip("/")
    if not wanted or wanted == enrolled or wanted == _packaged_server_url().rstrip("/"):
        return None
    return (f"server.url is {wanted} but this kiosk is enrolled with {enrolled} and keeps using "
            f"it; to move it, re-enrol: kiosk provision --server {wanted} --code CODE --replace "
            f"(CODE from `kiosk admin enroll-code` on that server), or set server.url back")


def save_credentials(home: Path, creds: Credentials) -> Path:
    path = home / FILENAME
    write_private(path, json.dumps(asdict(creds), ensure_ascii=False, indent=2))
    return path
