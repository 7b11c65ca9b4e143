"""`kiosk doctor`: every check a technician needs to trust a terminal, each with a status
(ok / warning / fault), what was found and what to do.

`run_doctor(core_or_settings, home)` is what the CLI and the technician screen call. Given a
running `KioskCore` it uses that core (devices on its device thread); given settings it opens
what it needs itself, and a store it cannot open becomes a FAULT line, not a crash.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from common import __version__, errors
from common.errors import KioskError
from common.settings import Settings
from hardware.families import FAMILIES
from kiosk.ops.credentials import server_url_refused

log = logging.getLogger(__name__)

OK, WARNING, FAULT = "ok", "warning", "fault"
_RANK = {OK: 0, WARNING: 1, FAULT: 2}
FAMILY_NAMES = {name: family.label for name, family in FAMILIES.items()}


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warning | fault
    message: str
    hint: str = ""

    def to_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class DoctorReport:
    checks: list[Check] = field(default_factory=list)
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def status(self) -> str:
        return max((c.status for c in self.checks), key=_RANK.__getitem__, default=OK)

    def to_json(self) -> dict[str, Any]:
        return {
            "checks": [c.to_json() for c in self.checks],
            "status": self.status,
            "at": self.at,
            "version": __version__,
        }

    def lines(self) -> list[str]:
        """One line per check, then the summary (the CLI's and the screen's text)."""
        out = []
        for c in self.checks:
            hint = f" — {c.hint}" if c.hint and c.status != OK else ""
            out.append(f"{c.status.upper():7} {c.name:16} {c.message}{hint}")
        return out + [self.summary()]

    def summary(self) -> str:
        counts = {s: sum(1 for c in self.checks if c.status == s) for s in _RANK}
        return (
            f"doctor: {self.status.upper()} ({counts[OK]} ok, {counts[WARNING]} warning, "
            f"{counts[FAULT]} fault)"
        )


@dataclass
class Thresholds:
    disk_warn_mb: float = 1024.0
    disk_fault_mb: float = 200.0
    catalog_warn_hours: float = 24.0
    catalog_fault_hours: float = 7 * 24.0
    backlog_warn_minutes: float = 15.0
    server_timeout: tuple[float, float] = (1.5, 3.0)


def _hint(code: str | None, default: str = "") -> str:
    entry = errors.REGISTRY.get(code or "")
    return entry.hint if entry and entry.hint else default


# --- checks ----------------------------------------------------------------------------------
def check_devices(devices: list[dict[str, Any]]) -> list[Check]:
    out = []
    for d in devices:
        what = f"{FAMILY_NAMES.get(d['family'], d['family'])} ({d['target']})"
        message = f"{what}: {d['message'] or d['status_name']}"
        if d.get("code"):
            message += f" [{d['code']}]"
        status = {0: OK, 1: WARNING, 2: FAULT, 3: OK, 4: OK}.get(d["status"], WARNING)
        hint = _hint(
            d.get("code"),
            "Check the device's cable, power and target string (`kiosk hardware list`)",
        )
        out.append(Check(f"device.{d['family']}", status, message, hint if status != OK else ""))
    return out


def check_disk(home: Path, t: Thresholds) -> Check:
    usage = shutil.disk_usage(home)
    free_mb = usage.free / 2**20
    share = usage.free / usage.total if usage.total else 0.0
    message = f"{free_mb:,.0f} MB free ({share:.0%}) on {home}"
    hint = "Free disk space (old logs in KIOSK_HOME/logs, `kiosk maintenance run`)"
    if free_mb < t.disk_fault_mb or share < 0.02:
        return Check("disk", FAULT, message, hint)
    if free_mb < t.disk_warn_mb or share < 0.10:
        return Check("disk", WARNING, message, hint)
    return Check("disk", OK, message)


def check_store(core: Any, store_error: KioskError | None) -> Check:
    if store_error is not None:
        return Check("store", FAULT, store_error.message, store_error.error.hint)
    if not core.store.integrity_ok():
        return Check(
            "store",
            FAULT,
            "integrity check failed",
            "Stop the kiosk, keep a copy of kiosk.db, then re-provision",
        )
    size = core.store.path.stat().st_size / 2**20
    return Check("store", OK, f"integrity ok, schema v{core.store.schema_version()}, {size:.1f} MB")


def check_catalog(core: Any, t: Thresholds) -> Check:
    from offline_cache.catalog import SYNCED_AT_META

    count = core.catalog.count()
    synced = core.store.get_meta(SYNCED_AT_META)
    if not synced or count == 0:
        return Check(
            "catalog",
            FAULT,
            f"{count} items, never synced",
            "Connect to the hall server and run `kiosk sync`",
        )
    hours = (datetime.now(UTC) - datetime.fromisoformat(synced)).total_seconds() / 3600
    message = f"{count} items, last synced {hours:.1f} h ago"
    hint = "Check the connection to the hall server; `kiosk sync` pulls the changes"
    if hours > t.catalog_fault_hours:
        return Check("catalog", FAULT, message, hint)
    if hours > t.catalog_warn_hours:
        return Check("catalog", WARNING, message, hint)
    return Check("catalog", OK, message)


def check_outbox(core: Any, t: Thresholds) -> Check:
    from kiosk.ops.heartbeat import outbox_health

    o = outbox_health(core.outbox)
    message = f"{o['pending']} waiting, {o['refused']} refused"
    if o["paused"]:
        return Check(
            "outbox",
            FAULT,
            f"{message}; PAUSED: the server refused this kiosk's credentials ({o['paused']})",
            "Re-enrol with `kiosk provision --replace`, then `kiosk outbox resume`",
        )
    if o["oldest_pending_at"]:
        age = (
            datetime.now(UTC) - datetime.fromisoformat(o["oldest_pending_at"])
        ).total_seconds() / 60
        message += f", oldest waiting {age:.0f} min"
        if age > t.backlog_warn_minutes:
            return Check(
                "outbox",
                WARNING,
                message,
                "Records are kept and sent when the "
                "server is reachable; check the network (`kiosk outbox list`)",
            )
    if o["refused"]:
        return Check(
            "outbox",
            WARNING,
            message,
            "See `kiosk outbox list`: refused records "
            "are kept for a technician; tell the hall's administrator",
        )
    return Check("outbox", OK, message)


def check_watchdog(home: Path) -> Check:
    from kiosk.ops.watchdog import pid_alive, read_state

    state = read_state(home)
    if state is None:
        return Check(
            "watchdog",
            WARNING,
            "no running kiosk has reported yet",
            "Start the kiosk service (`systemctl start kiosk`, docs/deploy.md)",
        )
    if not pid_alive(int(state.get("pid", 0))):
        return Check(
            "watchdog",
            WARNING,
            f"the kiosk that reported (pid {state.get('pid')}) is not running",
            "Start the kiosk service (`systemctl start kiosk`)",
        )
    age = (datetime.now(UTC) - datetime.fromisoformat(state["last_ping"])).total_seconds()
    interval = state.get("interval_s") or 10.0
    if age > max(3 * interval, 30.0):
        return Check(
            "watchdog",
            FAULT,
            f"main loop silent for {age:.0f} s (pid {state['pid']})",
            "The kiosk is hung; under systemd the watchdog restarts it — else "
            "restart it (`systemctl restart kiosk`)",
        )
    if not state.get("supervised"):
        return Check(
            "watchdog",
            WARNING,
            f"kiosk pid {state['pid']} runs without a supervisor (NOTIFY_SOCKET unset)",
            "Run it under the systemd unit (`kiosk install-units`) so a crash or hang restarts it",
        )
    return Check(
        "watchdog",
        OK,
        f"supervised, pid {state['pid']}, last ping {age:.0f} s ago"
        + ("" if state.get("interval_s") else " (no WatchdogSec)"),
    )


def check_config(core: Any) -> Check:
    from kiosk.ops import remote_config

    s = remote_config.status(core.config_desk())
    version = f"remote config v{s['version']}" if s["version"] else "no remote config"
    if s["pending"]:
        version += f", v{s['pending']} pending (applied when no citizen is in session)"
    if s["rejected"]:
        return Check(
            "config",
            WARNING,
            f"{version}; rejected {s['rejected']}",
            errors.REMOTE_CONFIG_INVALID.hint,
        )
    return Check("config", OK, version)


def _version_check(server_version: str) -> Check:
    mine, theirs = __version__.split("."), server_version.split(".")
    message = f"kiosk {__version__}, server {server_version}"
    hint = "Update the older side (docs/deploy.md, fleet updates)"
    if mine[:1] != theirs[:1]:
        return Check("version", FAULT, message + ": incompatible", hint)
    if mine[:2] != theirs[:2]:
        return Check("version", WARNING, message, hint)
    return Check("version", OK, message)


def check_server(core: Any, settings: Settings, t: Thresholds) -> list[Check]:
    """Reachable, token accepted, version compatible, clock skew."""
    from offline_cache.hall_time import record_offset
    from offline_cache.sync import SERVER_TIME_META

    creds = getattr(core, "credentials", None)
    if core is None or creds is None or core.client is None:
        return [Check("server", FAULT, "this kiosk is not enrolled", errors.NOT_PROVISIONED.hint)]
    out: list[Check] = []
    refused = server_url_refused(settings.server.url, creds)
    if refused:
        out.append(Check("server_url", FAULT, refused, "Re-enrol, or undo the server.url change"))
    try:
        health = core.client.health(timeout=t.server_timeout)
    except KioskError as exc:
        out.append(
            Check(
                "server", FAULT, f"{creds.server_url}: {exc.message} [{exc.code}]", exc.error.hint
            )
        )
        out.append(_clock_check(core, reachable=False))
        return out
    server_time = health.time if health.time.tzinfo else health.time.replace(tzinfo=UTC)
    wall = core.outbox.clock()
    skew = (datetime.fromtimestamp(wall, UTC) - server_time).total_seconds()
    with core.store.transaction() as conn:
        core.store.set_meta(conn, SERVER_TIME_META, server_time.isoformat())
        record_offset(core.store, conn, skew, wall=wall)
    out.append(Check("server", OK, f"{creds.server_url} reachable ({health.hall})"))
    try:
        me = core.client.device_me(timeout=t.server_timeout)
        out.append(Check("token", OK, f"accepted: {me.role} {me.tag or ''} ({creds.device_id})"))
    except KioskError as exc:
        out.append(Check("token", FAULT, f"refused: {exc.message} [{exc.code}]", exc.error.hint))
    out.append(_version_check(health.version))
    out.append(_clock_check(core, reachable=True))
    return out


def _clock_check(core: Any, *, reachable: bool) -> Check:
    clock = core.clock_check()
    skew = clock["skew_s"]
    tolerance = core.settings.privacy.clock_tolerance_s
    as_of = "" if reachable else " (as of the last contact)"
    hint = "Set the clock (enable NTP: `timedatectl set-ntp true`); tickets and retention use it"
    if clock["behind"]:
        return Check(
            "clock",
            FAULT,
            f"kiosk clock is behind the last server time seen ({clock['last_server_time']}){as_of}",
            hint,
        )
    if skew is None:
        return Check("clock", WARNING, "never compared with the server", hint)
    if clock["skewed"]:
        return Check(
            "clock",
            FAULT,
            f"kiosk clock off by {skew:+.0f} s (tolerance {tolerance:.0f} s){as_of}",
            hint,
        )
    return Check("clock", OK, f"skew {skew:+.1f} s{as_of}")


def check_calendar(today: date, holidays: Path | None = None) -> Check:
    """Opening hours and promised-by dates need this year's holidays (and next year's from
    December): the package tracks them; a year it does not know counts Monday–Friday.
    `holidays`: the hall's holidays file (default: common.paths.hall_file)."""
    from common.paths import hall_file
    from common.workdays import WorkCalendar

    calendar = WorkCalendar.load(holidays or hall_file("holidays.toml"))
    missing = calendar.unknown_years(today)
    if missing:
        years = ", ".join(str(y) for y in missing)
        return Check(
            "calendar",
            WARNING,
            f"public holidays of {years} unknown: counting Monday–Friday",
            "Update the chinese-calendar package, or enter the State Council's dates in "
            "holidays.toml (holidays = [...], workdays = [...])",
        )
    return Check("calendar", OK, f"holidays known ({calendar.source})")


# --- the run ---------------------------------------------------------------------------------
def run_doctor(
    core_or_settings: Any,
    home: Path | None = None,
    *,
    thresholds: Thresholds | None = None,
    device_statuses: Callable[[], list[dict[str, Any]]] | None = None,
    actor: str | None = "technician",
) -> DoctorReport:
    """Run every check. `core_or_settings`: a KioskCore (the running kiosk, the technician
    screen) or Settings (the CLI; a core is opened and closed here). With an `actor` the run
    goes to the audit log."""
    from common.paths import kiosk_home
    from kiosk.core import KioskCore

    t = thresholds or Thresholds()
    own_core = not isinstance(core_or_settings, KioskCore)
    core: KioskCore | None = None if own_core else core_or_settings
    settings: Settings = core_or_settings if own_core else core_or_settings.settings
    home = home or (core.home if core else kiosk_home())
    store_error: KioskError | None = None
    if own_core:
        try:
            core = KioskCore(settings, home)
        except KioskError as exc:
            store_error = exc
    report = DoctorReport()
    try:
        if device_statuses is None:
            device_statuses = core.device_statuses if core else _direct_devices(settings)
        report.checks += check_devices(device_statuses())
        if core is not None:
            report.checks += check_server(core, settings, t)
        else:
            report.checks.append(
                Check("server", WARNING, "not checked: the local store could not be opened", "")
            )
        report.checks.append(check_disk(home, t))
        report.checks.append(check_store(core, store_error))
        if core is not None:
            report.checks += [check_catalog(core, t), check_outbox(core, t), check_config(core)]
        report.checks.append(check_watchdog(home))
        report.checks.append(check_calendar(_hall_today(settings)))
        if actor:
            from kiosk.ops import audit

            audit.record(
                home,
                "doctor",
                outbox=core.outbox if core else None,
                actor=actor,
                outcome=report.status,
                detail={
                    "not_ok": [f"{c.name}: {c.status}" for c in report.checks if c.status != OK]
                },
            )
    finally:
        if own_core and core is not None:
            core.close()
    log.info("doctor: %s", report.summary())
    return report


def _hall_today(settings: Settings) -> date:
    return datetime.now(ZoneInfo(settings.hall.timezone)).date()


def _direct_devices(settings: Settings) -> Callable[[], list[dict[str, Any]]]:
    from kiosk.ops.device_check import check_devices as check

    return lambda: check(settings)
