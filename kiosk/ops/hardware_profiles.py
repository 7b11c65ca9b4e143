"""Named device profiles (`hardware_profiles/NAME.toml`: the package's, and the hall's own in
/etc/hall-kiosk/hardware_profiles/ replacing or adding) that `kiosk provision
--hardware NAME` writes into the kiosk's site file: one cabinet model, one file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from common.errors import HARDWARE_PROFILE_INVALID, KioskError
from common.paths import hall_files
from common.settings import SECTIONS

PROFILE_SECTIONS = frozenset({"printer", "devices", "ui"})  # what a cabinet model decides


def _profile_files(directory: Path | None) -> dict[str, Path]:
    paths = sorted(directory.glob("*.toml")) if directory else hall_files("hardware_profiles")
    return {p.stem: p for p in paths}


def list_profiles(directory: Path | None = None) -> list[dict[str, str]]:
    out = []
    for path in _profile_files(directory).values():
        try:
            description = tomllib.loads(path.read_text(encoding="utf-8")).get("description", "")
        except (OSError, tomllib.TOMLDecodeError):
            description = "(unreadable)"
        out.append({"name": path.stem, "description": str(description)})
    return out


def load_profile(name: str, directory: Path | None = None) -> dict[str, dict[str, Any]]:
    """The profile's settings layer (sections printer / devices / ui only)."""
    path = _profile_files(directory).get(name)
    if path is None:
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
