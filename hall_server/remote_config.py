"""Versioned kiosk configuration the hall pushes (`GET /api/v1/config`,
`kiosk admin config set FILE.toml`).

A version is stored only after it passed the kiosk's own settings spec
(common/config_layer.py); each kiosk checks it again against its site file before applying
it, and keeps its last good one when that fails.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select

from common.config_layer import validate_layer
from common.errors import CONFIG_UNREADABLE, KioskError
from hall_server.clock import iso_utc
from hall_server.schema_fleet import kiosk_configs

log = logging.getLogger(__name__)

NONE = {"version": 0, "etag": '"cfg-0"', "config": {}, "created_at": None}


def _etag(version: int, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    return f'"cfg-{version}-{digest}"'


def latest(conn: Connection) -> dict[str, Any]:
    row = conn.execute(
        select(kiosk_configs).order_by(kiosk_configs.c.version.desc()).limit(1)
    ).first()
    if row is None:
        return dict(NONE)
    return {
        "version": row.version,
        "etag": row.etag,
        "config": json.loads(row.config),
        "created_at": iso_utc(row.created_at),
        "created_by": row.created_by,
    }


def store(
    conn: Connection, layer: Any, *, now: datetime, by: str, source: str | None = None
) -> dict[str, Any]:
    """Validate (E-DOC-02 lists every problem) and store as the next version. Storing the
    same configuration as the latest again is a no-op that returns the latest."""
    validate_layer(layer)
    canonical = json.dumps(layer, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    current = latest(conn)
    if (
        current["version"]
        and json.dumps(current["config"], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        == canonical
    ):
        return current
    version = (conn.execute(select(func.max(kiosk_configs.c.version))).scalar() or 0) + 1
    etag = _etag(version, canonical)
    conn.execute(
        kiosk_configs.insert().values(
            version=version,
            config=canonical,
            source=source,
            etag=etag,
            created_at=now,
            created_by=by,
        )
    )
    log.info("kiosk configuration v%d stored by %s", version, by)
    return latest(conn)


def read_toml_file(path: Path) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_text(encoding="utf-8")
        return tomllib.loads(text), text
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise KioskError(CONFIG_UNREADABLE, f"{path}: {exc}") from exc


# --- administration (kiosk admin config …) -----------------------------------------------------
def set_config_file(
    settings: Any, path: str | Path, *, data_dir: Any = None, db_url: str | None = None
) -> dict[str, Any]:
    from datetime import UTC

    from hall_server.admin import database_for

    layer, text = read_toml_file(Path(path))
    with database_for(settings, data_dir, db_url) as database, database.write() as conn:
        return store(conn, layer, now=datetime.now(UTC), by="admin-cli", source=text)


def show_config(settings: Any, *, data_dir: Any = None, db_url: str | None = None) -> dict:
    from hall_server.admin import database_for

    with database_for(settings, data_dir, db_url) as database, database.read() as conn:
        return latest(conn)
