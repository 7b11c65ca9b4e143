"""This installation's own random id, sent with every request (header X-Install-Id).

A device token copied to a second terminal (a cloned disk, a copied KIOSK_HOME) would let two
kiosks act as one: their offline numbers collide and each hides the other's faults. The server
binds a token to the first install id it sees and refuses any other (E-AUTH-05). The id is
kept with a fingerprint of the machine it was made on (/etc/machine-id), so a KIOSK_HOME
copied to another machine gets a new id there instead of passing as the original.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from pathlib import Path

from common.paths import write_private

log = logging.getLogger(__name__)

FILENAME = "install_id.json"
HEADER = "X-Install-Id"
MACHINE_ID_FILES = (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id"))


def machine_fingerprint(files: tuple[Path, ...] = MACHINE_ID_FILES) -> str:
    for path in files:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text:
            return hashlib.sha256(text.encode()).hexdigest()[:16]
    return ""


def load_install_id(home: Path, *, machine: str | None = None) -> str:
    """The install id of KIOSK_HOME on this machine, made (and kept, 0600) on first use."""
    machine = machine_fingerprint() if machine is None else machine
    path = home / FILENAME
    try:
        data = json.loads(path.read_text())
        if data.get("machine") == machine and data.get("install_id"):
            return str(data["install_id"])
        log.warning("KIOSK_HOME was copied from another machine: this installation gets its "
                    "own install id (the copied enrolment will be refused: re-enrol)")
    except (OSError, ValueError, AttributeError):
        pass
    install_id = str(uuid.uuid4())
    write_private(path, json.dumps({"install_id": install_id, "machine": machine}))
    return install_id
