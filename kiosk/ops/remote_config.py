"""The hall server's configuration layer on this kiosk: pulled by the syncer, checked with
the settings spec against this kiosk's own site file, applied at a safe moment.

- `pull(core)`: GET /config (If-None-Match, so an unchanged config costs one 304). A valid new
  version becomes *pending* (`remote_config.pending.json`); an invalid one is recorded as
  rejected and the last good one stays.
- `apply_pending(core)`: when no citizen is in session (the UI calls
  `KioskCore.apply_pending_config()`; the kiosk also applies at start and at night), the
  pending version becomes the applied layer (`remote_config.json`, read by
  common.settings.load_settings between the site file and the environment) and the core's
  settings are reloaded.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from common import errors
from common.config_layer import site_environ, validate_layer
from common.errors import KioskError
from common.paths import write_private
from common.settings import REMOTE_CONFIG_FILE, Settings, load_settings, read_remote_layer

log = logging.getLogger(__name__)

PENDING_FILE = "remote_config.pending.json"
ETAG_META = "remote_config_etag"
REJECTED_META = "remote_config_rejected"


def status(core: Any) -> dict[str, Any]:
    applied = read_remote_layer(core.home)
    pending = _read_pending(core.home)
    return {
        "version": applied[0] if applied else None,
        "pending": pending["version"] if pending else None,
        "rejected": core.store.get_meta(REJECTED_META) or None,
    }


def _read_pending(home: Any) -> dict[str, Any] | None:
    try:
        return json.loads((home / PENDING_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _reject(core: Any, version: int, exc: KioskError) -> dict[str, Any]:
    reason = f"v{version}: {exc.detail or exc.message}"[:500]
    with core.store.transaction() as conn:
        core.store.set_meta(conn, REJECTED_META, reason)
    log.warning("remote configuration %s rejected; keeping the last good one", reason)
    core.emit("config_rejected", {"version": version, "reason": reason})
    return {"result": "rejected", "version": version, "reason": reason}


def pull(core: Any) -> dict[str, Any]:
    """One check with the server. Raises KioskError only for network/auth failures."""
    if core.client is None:
        raise KioskError(errors.NOT_PROVISIONED, "remote configuration needs an enrolled kiosk")
    etag = core.store.get_meta(ETAG_META) or None
    reply = core.client.remote_config(etag)
    if reply is None:
        return {"result": "unchanged", "version": status(core)["version"]}
    with core.store.transaction() as conn:
        core.store.set_meta(conn, ETAG_META, reply.etag)
    applied = read_remote_layer(core.home)
    if reply.version == 0 or (applied and applied[0] == reply.version):
        return {"result": "unchanged", "version": applied[0] if applied else None}
    try:
        validate_layer(reply.config, home=core.home)
    except KioskError as exc:
        return _reject(core, reply.version, exc)
    write_private(
        core.home / PENDING_FILE,
        json.dumps(
            {"version": reply.version, "etag": reply.etag, "config": reply.config},
            ensure_ascii=False,
        ),
    )
    with core.store.transaction() as conn:
        core.store.set_meta(conn, REJECTED_META, "")
    log.info("remote configuration v%d is pending (applied at the next safe moment)", reply.version)
    core.emit("config_pending", {"version": reply.version})
    return {"result": "pending", "version": reply.version}


def _effect(core: Any, layer: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """What replacing the applied layer by `layer` changes, all other layers equal. Applied
    onto the core's own settings, so overrides it was opened with (CLI flags, `kiosk demo`)
    stay, and an environment variable still wins over the remote value."""
    env = site_environ(core.home)
    applied = read_remote_layer(core.home)
    try:
        old = load_settings(remote=applied[1] if applied else {}, environ=env).model_dump()
    except KioskError:  # the old layer no longer passes: compare with no layer at all
        old = load_settings(remote={}, environ=env).model_dump()
    new = load_settings(remote=layer, environ=env).model_dump()
    return {(s, k): new[s][k] for s in new for k in new[s] if old[s][k] != new[s][k]}


def apply_pending(core: Any, *, actor: str = "kiosk") -> dict[str, Any] | None:
    """Apply the pending version, if any; None when there is nothing to apply."""
    from kiosk.ops import audit

    pending = _read_pending(core.home)
    if pending is None:
        return None
    version = int(pending.get("version", 0))
    try:
        validate_layer(pending.get("config"), home=core.home)  # the site may have changed
    except KioskError as exc:
        (core.home / PENDING_FILE).unlink(missing_ok=True)
        result = _reject(core, version, exc)
        audit.record(
            core.home,
            "config_apply",
            outbox=core.outbox,
            outcome="rejected",
            actor=actor,
            detail={"version": version, "reason": result["reason"]},
        )
        return result
    changes = _effect(core, pending["config"])
    write_private(
        core.home / REMOTE_CONFIG_FILE,
        json.dumps(
            {"version": version, "etag": pending.get("etag"), "config": pending["config"]},
            ensure_ascii=False,
        ),
    )
    os.unlink(core.home / PENDING_FILE)
    if changes:
        data = core.settings.model_dump()
        for (section, key), value in changes.items():
            data[section][key] = value
        core.settings = Settings.model_validate(data)
    changed = sorted(f"{s}.{k}" for s, k in changes)
    log.info("remote configuration v%d applied (%s)", version, ", ".join(changed) or "no change")
    audit.record(
        core.home,
        "config_apply",
        outbox=core.outbox,
        actor=actor,
        detail={"version": version, "changed": changed},
    )
    core.emit("config_applied", {"version": version, "changed": changed})
    return {"result": "applied", "version": version, "changed": changed}
