"""The technician screen's use cases: unlock, doctor, device tests, sync now, the outbox, the
logs, restart. Each takes the running `KioskCore`, talks to devices only on its device thread,
returns plain data with no personal field in clear, and leaves one entry in the audit log
(kiosk/ops/audit.py, sent to the hall server through the outbox).

The screen calls these through its Bridge (a worker thread); a CLI can call the same.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from common.errors import KioskError
from common.redact import mask_id_number, mask_name, redact
from kiosk.ops import audit, technician_auth

log = logging.getLogger(__name__)

RESTART_EXIT_CODE = 75  # non-zero: the supervisor (systemd Restart=always) starts us again
DEVICE_TIMEOUT_S = 10.0


def _audit(core: Any, action: str, *, outcome: str = "ok", **detail: Any) -> None:
    audit.record(core.home, action, outbox=core.outbox, outcome=outcome, detail=detail)


def _on_devices(core: Any, fn: Any) -> Any:
    return lambda: core.on_device_thread(fn, timeout=DEVICE_TIMEOUT_S + 10)


def _audited(core: Any, action: str, device: str, fn: Any, *args: Any) -> Any:
    """Run a device test; a failure goes to the audit log with its code. `fn` is either a
    core method that uses the device thread itself, or wrapped by `_on_devices`."""
    try:
        result = fn(*args)
    except KioskError as exc:
        _audit(core, action, outcome="fault", device=device, code=exc.code)
        raise
    return result


# --- unlocking -------------------------------------------------------------------------------
def unlock_pin(core: Any, pin: str) -> str:
    """Returns "pin" when accepted; E-DOC-03/04/05 otherwise (technician_auth audits)."""
    technician_auth.verify_pin(core.home, pin, outbox=core.outbox)
    return "pin"


def read_card_uid(core: Any, timeout: float = DEVICE_TIMEOUT_S) -> str:
    from hardware.smartcard.pcsc import read_uid

    reader = core.settings.devices.smartcard or None
    return core.on_device_thread(read_uid, reader, timeout, timeout=timeout + 5).uid


def unlock_card(core: Any, timeout: float = DEVICE_TIMEOUT_S) -> str:
    """Wait for a technician card on the PC/SC reader and check its UID; returns "card"."""
    technician_auth.verify_card(core.home, read_card_uid(core, timeout), outbox=core.outbox)
    return "card"


# --- checks and device tests -----------------------------------------------------------------
def doctor(core: Any) -> Any:
    """The same report as `kiosk doctor` (kiosk.ops.doctor.DoctorReport); run_doctor audits it."""
    from kiosk.ops.doctor import run_doctor

    return run_doctor(core, actor="technician")


def print_test_ticket(core: Any) -> dict[str, Any]:
    """The test ticket of `kiosk printer test` on the configured printer."""
    target = core.settings.printer.target
    url = f"{core.public_base_url()}/t/TEST0001"

    def _print() -> int:
        from hardware.printer import open_printer, render_ticket
        from hardware.printer.layouts import sample_slip

        with open_printer(target) as printer:
            data = render_ticket(sample_slip(url, time.strftime("%Y-%m-%d %H:%M")), profile=printer.profile)
            printer.print_document(data)
        return len(data)

    size = _audited(core, "device_test", "printer", _on_devices(core, _print))
    _audit(core, "device_test", device="printer", bytes=size)
    return {"target": target, "bytes": size}


def read_id_card_test(core: Any, timeout: float = DEVICE_TIMEOUT_S) -> dict[str, str]:
    """Read a card and keep only what proves the reader works: kind, masked name and number."""
    card = _audited(core, "device_test", "idcard", core.read_id_card, timeout)
    masked = {
        "kind": str(card.get("kind", "")),
        "name": mask_name(str(card.get("name", ""))),
        "id_number": mask_id_number(str(card.get("id_number", ""))),
    }
    _audit(core, "device_test", device="idcard", kind=masked["kind"])
    return masked


def scan_test(core: Any, timeout: float = DEVICE_TIMEOUT_S) -> str | None:
    """The next code scanned within `timeout` (redacted), or None."""
    target = core.settings.devices.scanner

    def _read() -> str | None:
        from hardware.scanner import open_scanner

        with open_scanner(target) as scanner:
            return scanner.read(timeout)

    code = _audited(core, "device_test", "scanner", _on_devices(core, _read))
    _audit(core, "device_test", device="scanner", scanned=code is not None)
    return redact(code) if code is not None else None


# --- sync, outbox, logs ----------------------------------------------------------------------
def sync_now(core: Any) -> dict[str, Any]:
    try:
        result = core.sync_once().to_json()
    except KioskError as exc:
        _audit(core, "sync_now", outcome="fault", code=exc.code)
        raise
    _audit(
        core,
        "sync_now",
        outcome="ok" if not result.get("error") else "warning",
        pushed=result["pushed"],
        pending=result["pending"],
        refused=result["refused"],
    )
    return result


OUTBOX_FIELDS = ("kind", "state", "created_at", "attempts", "error_code")


def outbox_summary(core: Any, limit: int = 12) -> dict[str, Any]:
    """Counts and the records still waiting or refused: kind, state, time, attempts, error
    code — never a body (bodies are sealed and may carry personal data)."""
    records = [
        {k: r.get(k) for k in OUTBOX_FIELDS}
        for r in core.outbox.list(states=("refused", "pending", "sending"), limit=limit)
    ]
    summary = {"counts": core.outbox.counts(), "paused": core.outbox.paused(), "records": records}
    _audit(core, "outbox_view", shown=len(records))
    return summary


def recent_logs(core: Any, lines: int = 40) -> dict[str, Any]:
    """The newest log lines, redacted again on the way out; the audit entries when this kiosk
    writes no log file (source says which)."""
    from kiosk.ops import logfile

    entries = logfile.tail(core.home, lines)
    if entries:
        shown = [
            redact(f"{e.get('ts', '')[11:19]} {e.get('level', '')} {e.get('msg', '')}")
            for e in entries
        ]
        source = "log"
    else:
        shown = [
            redact(f"{e.get('at', '')[:19]} {e.get('action', '')} {e.get('outcome', '')}")
            for e in audit.read(core.home, lines)
        ]
        source = "audit"
    _audit(core, "logs_view", source=source, shown=len(shown))
    return {"source": source, "lines": shown}


# --- leaving ---------------------------------------------------------------------------------
def restart(core: Any) -> int:
    """Audit the restart and return the exit code the app must exit with."""
    _audit(core, "restart")
    log.warning("technician restart requested (exit %d)", RESTART_EXIT_CODE)
    return RESTART_EXIT_CODE


def leave(core: Any) -> None:
    _audit(core, "technician_exit")
