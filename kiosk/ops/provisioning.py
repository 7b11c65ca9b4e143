"""Enrol this kiosk with a hall server: the function `kiosk provision` and the technician
screen both call (Kolibri's provisioning command is the model).

Order matters: everything that can be checked locally (hardware profile, CA bundle, the
merged site file) is checked before the one-time code is spent; then the server is checked
(TLS verified; a private CA may be given), the device enrols, its credentials and hall key are
stored (0600), the site file gets the hall's name, time zone and the device targets, and the
first full catalog sync runs, reporting progress.

`apply_provision_file(settings, home)` is the unattended path: a `provision.json` dropped in
KIOSK_HOME is applied once at start and removed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from common import errors
from common.errors import KioskError
from common.paths import write_private
from common.settings import Settings
from kiosk.ops import audit
from kiosk.ops.credentials import Credentials, load_credentials, save_credentials
from offline_cache.client import HallClient
from offline_cache.install_id import load_install_id

log = logging.getLogger(__name__)

PROVISION_FILE = "provision.json"
CA_FILE = "ca-bundle.pem"
Progress = Callable[[int], None]


@dataclass(frozen=True)
class ProvisionRequest:
    server: str
    code: str
    name: str
    location: str | None = None
    ca_bundle: str | None = None  # path of a PEM bundle; copied into KIOSK_HOME
    replace: bool = False
    hardware: str | None = None  # a profile in common/defaults/hardware_profiles/


def request_from_mapping(data: Any, *, source: str = "provision file") -> ProvisionRequest:
    """A request from JSON-like data (`--from-file`, provision.json); E-PRV-02 names every
    problem. Relative `ca_bundle` paths are taken as they are (the caller resolves them)."""
    if not isinstance(data, dict):
        raise KioskError(errors.PROVISION_FILE_INVALID, f"{source}: must be a JSON object")
    known = {f.name for f in fields(ProvisionRequest)}
    problems = [f"unknown key {k!r}" for k in data if k not in known]
    problems += [
        f"{k} is required"
        for k in ("server", "code", "name")
        if not isinstance(data.get(k), str) or not data[k].strip()
    ]
    problems += [
        f"{k} must be text"
        for k in ("location", "ca_bundle", "hardware")
        if data.get(k) is not None and not isinstance(data[k], str)
    ]
    if "replace" in data and not isinstance(data["replace"], bool):
        problems.append("replace must be true or false")
    if problems:
        raise KioskError(errors.PROVISION_FILE_INVALID, f"{source}: " + "; ".join(problems))
    return ProvisionRequest(**{k: v.strip() if isinstance(v, str) else v for k, v in data.items()})


def read_request_file(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KioskError(errors.PROVISION_FILE_INVALID, f"{path}: {exc}") from exc


def _hardware_layer(settings: Settings, request: ProvisionRequest) -> dict[str, Any]:
    """The profile's layer, checked with the settings spec before any code is spent."""
    if not request.hardware:
        return {}
    from pydantic import ValidationError

    from kiosk.ops.hardware_profiles import load_profile

    layer = load_profile(request.hardware)
    try:
        _with_layer(settings, layer)
    except ValidationError as exc:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise KioskError(errors.HARDWARE_PROFILE_INVALID, f"{request.hardware}: {detail}") from exc
    return layer


def _read_ca(request: ProvisionRequest) -> bytes | None:
    if not request.ca_bundle:
        return None
    try:
        data = Path(request.ca_bundle).read_bytes()
    except OSError as exc:
        raise KioskError(
            errors.TLS_ERROR, f"CA bundle {request.ca_bundle}: {exc.strerror}"
        ) from exc
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise KioskError(errors.TLS_ERROR, f"CA bundle {request.ca_bundle}: no PEM certificate")
    return data


def provision(
    settings: Settings,
    home: Path,
    request: ProvisionRequest,
    *,
    progress: Progress | None = None,
    doctor: bool = False,
) -> dict[str, Any]:
    """Enrol, store the identity, write the site file, first full sync; with `doctor`, run
    the doctor after and include its report. Raises E-PRV-01 for an enrolled kiosk unless
    `request.replace`."""
    from kiosk.ops.site_file import merge_site

    existing = load_credentials(home, required=False)
    if existing and not request.replace:
        raise KioskError(
            errors.ALREADY_PROVISIONED, f"enrolled as {existing.name} with {existing.server_url}"
        )
    site_layer = _hardware_layer(settings, request)
    ca = _read_ca(request)
    ca_path = None
    if ca is not None:  # verified with the given file; the kiosk keeps its own copy
        ca_path = str(home / CA_FILE)
    net = settings.network
    client = HallClient(
        request.server,
        connect_timeout=net.connect_timeout,
        read_timeout=net.read_timeout,
        ca_bundle=request.ca_bundle,
        install_id=load_install_id(home),
    )
    try:
        health = client.health()
        # the same hall: prove we replace our old identity, so we keep our offline-number tag
        previous = (existing.token if existing and existing.role == "kiosk"
                    and existing.server_url == request.server.rstrip("/") else None)
        enrolled = client.enroll(request.code, request.name, request.location,
                                 previous_token=previous)
    finally:
        client.close()
    if enrolled.role == "kiosk" and not enrolled.hall_key:
        raise KioskError(errors.SERVER_REPLY_INVALID, "enrolment reply carries no hall key")
    if ca is not None:
        write_private(home / CA_FILE, ca)
    server_url = request.server.rstrip("/")
    creds = Credentials(
        server_url=server_url,
        device_id=enrolled.device_id,
        token=enrolled.token,
        role=enrolled.role,
        name=request.name,
        hall=enrolled.hall or health.hall,
        hall_key=enrolled.hall_key,
        tag=enrolled.tag,
        location=request.location,
        ca_bundle=ca_path,
    )
    path = save_credentials(home, creds)
    log.info("enrolled as device %s (%s) with %s", creds.device_id, creds.role, server_url)

    hall: dict[str, Any] = {"name": creds.hall} if creds.hall else {}
    if health.timezone:
        hall["timezone"] = health.timezone
    site_layer = {**site_layer, "server": {"url": server_url, "ca_bundle": ca_path or ""}}
    if hall:
        site_layer["hall"] = hall
    site = merge_site(home, site_layer)
    settings = _with_layer(settings, site_layer)

    from kiosk.core import KioskCore

    core = KioskCore(settings, home)
    try:
        audit.record(
            home,
            "provision",
            outbox=core.outbox,
            detail={
                "device_id": creds.device_id,
                "server": server_url,
                "role": creds.role,
                "replaced": existing is not None,
                "hardware": request.hardware or "",
            },
        )
        first = core.sync_once(pull_catalog=False)
        pulled = core.catalog.pull(core.client, progress=progress) if first.state == "online" else 0
        result = core.sync_once(pull_catalog=False)
    finally:
        core.close()
    out = {
        "device_id": creds.device_id,
        "role": creds.role,
        "hall": creds.hall,
        "server": server_url,
        "credentials": str(path),
        "site_file": str(site),
        "hardware": request.hardware,
        "catalog_items": pulled,
        "sync_state": result.state,
    }
    if doctor:
        from kiosk.ops.doctor import run_doctor

        out["doctor"] = run_doctor(settings, home).to_json()
    return out


def _with_layer(settings: Settings, layer: dict[str, dict[str, Any]]) -> Settings:
    """The caller's settings with the values just written to the site file (the caller's own
    overrides, e.g. `kiosk demo`'s printer, are kept where the layer does not speak)."""
    data = settings.model_dump()
    for section, values in layer.items():
        data[section].update(values)
    return Settings.model_validate(data)


# --- the unattended path -----------------------------------------------------------------------
def apply_provision_file(
    settings: Settings, home: Path, *, progress: Progress | None = None
) -> dict[str, Any] | None:
    """Apply `KIOSK_HOME/provision.json` once (call at start: `kiosk run`, `kiosk demo`).

    Success removes the file (it holds a one-time code). A file that can never work (invalid,
    already enrolled without "replace", code refused) is renamed `provision.json.rejected`
    with the reason beside it, so the kiosk does not retry at every start; a network failure
    leaves it for the next start. Returns the provisioning result, or None without a file.
    """
    path = home / PROVISION_FILE
    if not path.exists():
        return None
    try:
        request = request_from_mapping(read_request_file(path), source=str(path))
        if request.ca_bundle and not Path(request.ca_bundle).is_absolute():
            request = replace(request, ca_bundle=str(home / request.ca_bundle))
        result = provision(settings, home, request, progress=progress)
    except KioskError as exc:
        if exc.code in {
            errors.SERVER_UNREACHABLE.code,
            errors.SERVER_TIMEOUT.code,
            errors.SERVER_BUSY.code,
            errors.SERVER_ERROR.code,
        }:
            log.warning("provision.json not applied yet (%s); retrying at the next start", exc.code)
            raise
        rejected = path.with_name(PROVISION_FILE + ".rejected")
        path.replace(rejected)
        write_private(
            rejected.with_name(PROVISION_FILE + ".error"),
            json.dumps(exc.to_json(), ensure_ascii=False),
        )
        log.error("provision.json rejected (%s): %s", exc.code, exc.message)
        raise
    path.unlink(missing_ok=True)
    log.info("provision.json applied and removed")
    return result
