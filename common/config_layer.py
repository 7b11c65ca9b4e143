"""Checking a remote configuration layer with the one settings spec (common/settings.py).

Both sides call this: the hall server before storing a version (against the defaults) and
the kiosk before applying one (against its own site file and environment). Needs only
pydantic, so the server can import it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from common.errors import REMOTE_CONFIG_INVALID, KioskError
from common.settings import SECTIONS, Settings, load_settings

# Identity and the way to reach the server are each kiosk's own (set by provisioning): a bad
# remote value there would cut every kiosk off from the server that could fix it.
NOT_REMOTE = frozenset({"server"})
_NO_SITE = Path(os.devnull)  # an empty TOML file: "defaults only"


def check_shape(layer: Any) -> list[str]:
    if not isinstance(layer, dict):
        return ["the configuration must be a table of sections"]
    problems = []
    for section, values in layer.items():
        if section in NOT_REMOTE:
            problems.append(f"[{section}]: set on each kiosk by provisioning, not remotely")
        elif section not in SECTIONS:
            problems.append(f"[{section}]: unknown section")
        elif not isinstance(values, dict):
            problems.append(f"[{section}]: must be a table")
    return problems


def site_environ(home: Path) -> dict[str, str]:
    """This process's environment with KIOSK_HOME pointing at `home`."""
    return {**os.environ, "KIOSK_HOME": str(home)}


def validate_layer(layer: Any, *, home: Path | None = None) -> Settings:
    """The settings this layer gives on top of the defaults (the hall server: `home` None) or
    on top of the site file and environment of the kiosk in `home`. E-DOC-02 lists every
    problem."""
    problems = check_shape(layer)
    if problems:
        raise KioskError(REMOTE_CONFIG_INVALID, "; ".join(problems))
    try:
        if home is not None:
            return load_settings(remote=layer, environ=site_environ(home))
        return load_settings(site_file=_NO_SITE, remote=layer, environ={})
    except KioskError as exc:
        raise KioskError(REMOTE_CONFIG_INVALID, exc.detail or exc.message) from exc
