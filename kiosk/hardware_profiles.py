"""Named device profiles (`config/hardware_profiles/NAME.toml`) that `kiosk provision
--hardware NAME` writes into the kiosk's site file: one cabinet model, one file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from common.errors import HARDWARE_PROFILE_INVALID, KioskError
from common.paths import config_dir
from common.settings import SECTIONS

PROFILE_SECTIONS = frozenset({"printer", "devices", "ui"})  # what a cabinet model decides


def profile_dir() -> Path:
    return config_dir() / "hardware_profiles"


def list_profiles(directory: Path | None = None) -> list[dict[str, str]]:
    out = []
    for path in sorted((directory or profile_dir()).glob("*.toml")):
        try:
            description = tomllib.loads(path.read_text(encoding="utf-8")).get("description", "")
        except (OSError, tomllib.TOMLDecodeError):
            description = "(unreadable)"
        out.append({"name": path.stem, "description": str(description)})
    return out


def load_profile(name: str, directory: Path | None = None) -> dict[str, dict[str, Any]]:
    """The profile's settings layer (sections printer / devices / ui only)."""
    directory = directory or profile_dir()
    path = directory / f"{name}.toml"
    if not name or "/" in name or name.startswith(".") or not path.is_file():
        known = ", ".join(p["name"] for p in list_profiles(directory)) or "none"
        raise KioskError(HARDWARE_PROFILE_INVALID, f"{name!r}: no such profile (known: {known})")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise KioskError(HARDWARE_PROFILE_INVALID, f"{path}: {exc}") from exc
    data.pop("description", None)
    problems = [
        f"[{s}] may not be set by a hardware profile"
        for s in data
        if s not in PROFILE_SECTIONS or s not in SECTIONS or not isinstance(data[s], dict)
    ]
    if problems:
        raise KioskError(HARDWARE_PROFILE_INVALID, f"{path}: " + "; ".join(problems))
    return data
