"""Enrol this kiosk with a hall server: the function `kiosk provision` and the technician
screen both call (Kolibri's provisioning command is the model)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk import errors
from kiosk.credentials import Credentials, load_credentials, save_credentials
from kiosk.errors import KioskError
from kiosk.settings import Settings
from offline_cache.client import HallClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProvisionRequest:
    server: str
    code: str
    name: str
    location: str | None = None
    ca_bundle: str | None = None
    replace: bool = False


def provision(settings: Settings, home: Path, request: ProvisionRequest, *,
              progress: Callable[[int], None] | None = None) -> dict:
    existing = load_credentials(home, required=False)
    if existing and not request.replace:
        raise KioskError(errors.ALREADY_PROVISIONED, f"enrolled as {existing.name}")
    net = settings.network
    client = HallClient(request.server, connect_timeout=net.connect_timeout,
                        read_timeout=net.read_timeout, ca_bundle=request.ca_bundle)
    try:
        health = client.health()
        enrolled = client.enroll(request.code, request.name, request.location)
    finally:
        client.close()
    if enrolled.role == "kiosk" and not enrolled.hall_key:
        raise KioskError(errors.SERVER_REPLY_INVALID, "enrolment reply carries no hall key")
    creds = Credentials(server_url=request.server.rstrip("/"), device_id=enrolled.device_id,
                        token=enrolled.token, role=enrolled.role, name=request.name,
                        hall=enrolled.hall or health.hall, hall_key=enrolled.hall_key,
                        tag=enrolled.tag, location=request.location, ca_bundle=request.ca_bundle)
    path = save_credentials(home, creds)
    log.info("enrolled as device %s (%s) with %s", creds.device_id, creds.role, creds.server_url)

    from kiosk.core import KioskCore

    core = KioskCore(settings, home)
    try:
        result = core.sync_once()
        if progress:
            progress(result.pulled)
    finally:
        core.close()
    return {"device_id": creds.device_id, "role": creds.role, "hall": creds.hall,
            "server": creds.server_url, "credentials": str(path), "catalog_items": result.pulled,
            "sync_state": result.state}
