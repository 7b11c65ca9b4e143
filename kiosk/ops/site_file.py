"""Merging values into `$KIOSK_HOME/site.toml` (provisioning, hardware profiles) without
losing what a technician wrote there: tomlkit keeps comments and order. The merged file is
checked with the settings spec before it replaces the old one (kept as site.toml.bak)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import tomlkit

from common.errors import CONFIG_UNREADABLE, KioskError
from common.settings import load_settings

FILENAME = "site.toml"


def merge_site(
    home: Path, layer: dict[str, dict[str, Any]], *, environ: dict[str, str] | None = None
) -> Path:
    path = home / FILENAME
    try:
        doc = (
            tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
        )
    except (OSError, tomlkit.exceptions.TOMLKitError) as exc:
        raise KioskError(CONFIG_UNREADABLE, f"{path}: {exc}") from exc
    for section, values in layer.items():
        table = doc.get(section)
        if table is None:
            table = tomlkit.table()
            doc[section] = table
        for key, value in values.items():
            table[key] = value
    tmp = path.with_name(FILENAME + ".new")
    tmp.write_text(tomlkit.dumps(doc), encoding="utf-8")
    try:  # every bad value named with its source (E-CFG-01) before anything is replaced
        load_settings(
            site_file=tmp,
            environ={**(environ if environ is not None else os.environ), "KIOSK_HOME": str(home)},
        )
    except KioskError:
        tmp.unlink(missing_ok=True)
        raise
    if path.exists():
        shutil.copy2(path, path.with_name(FILENAME + ".bak"))
    os.replace(tmp, path)
    return path
