"""Where things live: the defaults shipped in the package, the hall's own files (/etc) and the
kiosk's state folder (KIOSK_HOME).

Hall-editable files (opening hours, forms, holidays, devices, hardware profiles, evaluation
reasons, card profiles) are looked up first in the hall's directory, then in the defaults
inside the package: an upgrade replaces the package, never the hall's files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from common.errors import STATE_DIR_UNWRITABLE, KioskError

# The hall's directory per role; KIOSK_ETC overrides it (tests, a non-standard layout).
ETC_DIRS = {"kiosk": Path("/etc/hall-kiosk"), "server": Path("/etc/hall-server")}
ETC_ENV = "KIOSK_ETC"
# The settings layer in the hall's directory (between the package defaults and site.toml).
HALL_SETTINGS_FILE = "config.toml"

_role = "kiosk"


def config_dir() -> Path:
    """The defaults shipped inside the package (common/defaults/). pip always installs a
    wheel unpacked, so the resource is a real directory and callers may glob it."""
    return Path(str(resources.files("common").joinpath("defaults")))


def set_role(role: str) -> None:
    """Which hall directory this process reads (`kiosk serve`/`admin`: server). Set once by
    the CLI, the composition root, before any file is read."""
    global _role
    if role not in ETC_DIRS:
        raise ValueError(f"unknown role {role!r}")
    _role = role


def role() -> str:
    return _role


def etc_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The hall's own files for this process's role: $KIOSK_ETC, else /etc/hall-kiosk or
    /etc/hall-server. It need not exist: then every file comes from the defaults."""
    env = (os.environ if environ is None else environ).get(ETC_ENV)
    return Path(env).expanduser() if env else ETC_DIRS[_role]


def hall_file(name: str) -> Path:
    """`name` (e.g. "schedule.toml", "demo/catalog.jsonl") from the hall's directory when it
    is there, else the package's default."""
    own = etc_dir() / name
    return own if own.exists() else config_dir() / name


def hall_files(subdir: str, pattern: str = "*.toml") -> list[Path]:
    """The files of a directory of definitions (forms/, hardware_profiles/): the defaults,
    with a hall file of the same name replacing the default and new names added."""
    by_name = {p.name: p for p in sorted((config_dir() / subdir).glob(pattern))}
    own = etc_dir() / subdir
    if own.is_dir():
        by_name.update({p.name: p for p in sorted(own.glob(pattern))})
    return [by_name[n] for n in sorted(by_name)]


def kiosk_home() -> Path:
    """KIOSK_HOME, or the platform's per-user data dir. Created on first use, mode 0700;
    E-CFG-05 names it when it cannot be created or written (e.g. /var/lib/hall-kiosk made by
    root for a service that runs as `kiosk`)."""
    env = os.environ.get("KIOSK_HOME")
    if env:
        home = Path(env).expanduser()
    else:
        from platformdirs import user_data_dir

        home = Path(user_data_dir("hall-kiosk", appauthor=False))
    try:
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise KioskError(STATE_DIR_UNWRITABLE, f"KIOSK_HOME {home}: {exc.strerror or exc}") from exc
    if not os.access(home, os.W_OK | os.X_OK):
        raise KioskError(STATE_DIR_UNWRITABLE, f"KIOSK_HOME {home}: not writable by this user")
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
