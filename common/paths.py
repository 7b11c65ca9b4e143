"""Where things live: the packaged config/ folder and the kiosk's state folder (KIOSK_HOME)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

_SOURCE_CONFIG = Path(__file__).resolve().parent.parent / "config"
_INSTALLED_CONFIG = Path(sys.prefix) / "share" / "hall-kiosk" / "config"


def config_dir() -> Path:
    """config/ beside the packages in a checkout or editable install; else the installed copy."""
    return _SOURCE_CONFIG if _SOURCE_CONFIG.is_dir() else _INSTALLED_CONFIG


def kiosk_home() -> Path:
    """KIOSK_HOME, or the platform's per-user data dir. Created on first use, mode 0700."""
    env = os.environ.get("KIOSK_HOME")
    if env:
        home = Path(env).expanduser()
    else:
        from platformdirs import user_data_dir

        home = Path(user_data_dir("hall-kiosk", appauthor=False))
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    return home


def make_private(path: Path) -> None:
    """Create `path` empty if missing, readable by the owner only (0600), and tighten an
    existing one. For database files, which hold personal data: SQLite gives its -wal and
    -shm files the database file's mode."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if each.stat().st_mode & 0o077:
                each.chmod(0o600)
        except FileNotFoundError:
            continue


def write_private(path: Path, data: str | bytes) -> None:
    """Write a secret (credentials, keys) readable by the owner only, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data.encode() if isinstance(data, str) else data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
