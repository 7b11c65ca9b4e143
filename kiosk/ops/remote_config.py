"""The hall server's configuration layer on this kiosk: pulled by the syncer, checked with
the settings spec against this kiosk's own site file, applied at a safe moment.

Both take a `ConfigDesk`, what they use of the core (`KioskCore.config_desk()`).

- `pull(desk)`: GET /config (If-None-Match, so an unchanged config costs one 304). A valid new
  version becomes *pending* (`remote_config.pending.json`); an invalid one is recorded as
  rejected and the last good one stays.
- `apply_pending(desk)`: when no citizen is in session (the UI calls
  `KioskCore.apply_pending_config()`; the kiosk also applies at start and at night), the
  pending version becomes the applied layer (`remote_config.json`, read by
  common.settings.load_settings between the site file and the environment) and the core's
  settings are replaced (`desk.use_settings`).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import errors
from common.config_layer import site_environ, validate_layer
from common.errors import KioskError
from common.paths import write_private
from common.settings import REMOTE_CONFIG_FILE, Settings, load_settings, read_remote_layer
from offline_cache.client import HallClient
from offline_cache.outbox import Outbox
from offline_cache.store import LocalStore

log = logging.getLogger(__name__)

PENDING_FILE = "remote_config.pending.json"
ETAG_META = "remote_config_etag"
REJECTED_META = "remote_config_rejected"


@dataclass(frozen=True)
class ConfigDesk:
    """What the remote configuration layer uses of the kiosk (built per call by the core)."""

    home: Path
    store: LocalStore
    outbox: Outbox  # the audit trail of applied / rejected versions
    client: HallClient | None  # None: not enrolled
    settings: Settings  # the core's settings now, with the overrides it was opened with
    use_settings: Callable[[Settings], None]  # the core takes the applied settings
    emit: Callable[[str, dict[str, Any]], None]


def status(desk: ConfigDesk) -> dict[str, Any]:
    applied = read_remote_layer(desk.home)
    pending = _read_pending(desk.home)
    return {
        "version": applied[0] if applied else None,
        "pending": pending["version"] if pending else None,
        "rejected": desk.store.get_meta(REJECTED_META) or None,
    }


def _read_pending(home: Any) -> dict[str, Any] | None:
    try:
        return json.loads((home / PENDING_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _reject(desk: ConfigDesk, version: int, exc: KioskError) -> dict[str, Any]:
    reason = f"v{version}: {exc.detail or exc.message}"[:500]
    with desk.store.transaction() as conn:
        desk.store.set_meta(conn, REJECTED_META, reason)
    log.warning("remote configuration %s rejected; keeping the last good one", reason)
    desk.emit("config_rejected", {"version": version, "reason": reason})
    return {"result": "rejected", "version": version, "reason": reason}


def pull(desk: ConfigDesk) -> dict[str, Any]:
    """One check with the server. Raises KioskError only for network/auth failures."""
    if desk.client is None:
        raise KioskError(errors.NOT_PROVISIONED, "remote configuration needs an enrolled kiosk")
    etag = desk.store.get_meta(ETAG_META) or None
    reply = desk.client.remote_config(etag)
    if reply is None:
        return {"result": "unchanged", "version": status(desk)["version"]}
    with desk.store.transaction() as conn:
        desk.store.set_meta(conn, ETAG_META, reply.etag)
    applied = read_remote_layer(desk.home)
    if reply.version == 0 or (applied and applied[0] == reply.version):
        return {"result": "unchanged", "version": applied[0] if applied else None}
    try:
        validate_layer(reply.config, home=desk.home)
    except KioskError as exc:
        return _reject(desk, reply.version, exc)
    write_private(
        desk.home / PENDING_FILE,
        json.dumps(
            {"version": reply.version, "etag": reply.etag, "config": reply.config},
            ensure_ascii=False,
        ),
    )
    with desk.store.transaction() as conn:
        desk.store.set_meta(conn, REJECTED_META, "")
    log.info("remote configuration v%d is pending (applied at the next safe moment)", reply.version)
    desk.emit("config_pending", {"version": reply.version})
    return {"result": "pending", "version": reply.version}


def _effect(desk: ConfigDesk, layer: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """What replacing the applied layer by `layer` changes, all other layers equal. Applied
    onto the core's own settings, so overrides it was opened with (CLI flags, `kiosk demo`)
    stay, and an environment variable still wins over the remote value."""
    env = site_environ(desk.home)
    applied = read_remote_layer(desk.home)
    try:
        old = load_settings(remote=applied[1] if applied else {}, environ=env).model_dump()
    except KioskError:  # the old layer no longer passes: compare with no layer at all
        old = load_settings(remote={}, environ=env).model_dump()
    new = load_settings(remote=layer, environ=env).model_dump()
    return {(s, k): new[s][k] for s in new for k in new[s] if old[s][k] != new[s][k]}


def apply_pending(desk: ConfigDesk, *, actor: str = "kiosk") -> dict[str, Any] | None:
    """Apply the pending version, if any; None when there is nothing to apply."""
    from kiosk.ops import audit

    pending = _read_pending(desk.home)
    if pending is None:
        return None
    version = int(pending.get("version", 0))
    try:
        validate_layer(pending.get("config"), home=desk.home)  # the site may have changed
    except KioskError as exc:
        (desk.home / PENDING_FILE).unlink(missing_ok=True)
        result = _reject(desk, version, exc)
        audit.record(
            desk.home,
            "config_apply",
            outbox=desk.outbox,
            outcome="rejected",
            actor=actor,
            detail={"version": version, "reason": result["reason"]},
        )
        return result
    changes = _effect(desk, pending["config"])
    write_private(
        desk.home / REMOTE_CONFIG_FILE,
        json.dumps(
            {"version": version, "etag": pending.get("etag"), "config": pending["config"]},
            ensure_ascii=False,
        ),
    )
    os.unlink(desk.home / PENDING_FILE)
    if changes:
        data = desk.settings.model_dump()
        for (section, key), value in changes.items():
            data[section][key] = value
        desk.use_settings(Settings.model_validate(data))
    changed = sorted(f"{s}.{k}" for s, k in changes)
    log.info("remote configuration v%d applied (%s)", version, ", ".join(changed) or "no change")
    audit.record(
        desk.home,
        "config_apply",
        outbox=desk.outbox,
        actor=actor,
        detail={"version": version, "changed": changed},
    )
    desk.emit("config_applied", {"version": version, "changed": changed})
    return {"result": "applied", "version": version, "changed": changed}
