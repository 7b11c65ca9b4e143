"""Technician and fleet commands: provision, doctor, maintenance, headless, heartbeat,
install-units, technician set-pin/add-card, config pull/apply/status, audit; and on the hall server `kiosk admin config
set/show`, `kiosk admin audit`, `kiosk admin issue-token`, `kiosk admin install-units`.

Thin shells over kiosk/ops/provisioning.py, kiosk/ops/doctor.py, kiosk/ops/maintenance.py,
kiosk/runtime.py, kiosk/ops/remote_config.py and hall_server/fleet.py — the same functions the
technician screen calls.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kiosk.cli import Human, add_json_flag, emit


def _group(sub: argparse._SubParsersAction, name: str) -> argparse._SubParsersAction:
    """The sub-command group of an existing command (`admin`, `config`)."""
    parser = sub.choices[name]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise RuntimeError(f"`kiosk {name}` has no sub-commands")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "provision",
        help="enrol this kiosk with a hall server (interactive when values are missing)",
    )
    p.add_argument("--server", help="hall server URL, e.g. https://hall.example:8470")
    p.add_argument("--code", help="one-time enrolment code from `kiosk admin enroll-code`")
    p.add_argument("--name", help="this kiosk's name, e.g. K3-一楼大厅")
    p.add_argument("--location", help="where it stands")
    p.add_argument(
        "--hardware",
        metavar="PROFILE",
        help="device profile from common/defaults/hardware_profiles/ written into site.toml",
    )
    p.add_argument(
        "--ca-bundle",
        metavar="FILE",
        help="private CA bundle (PEM) for the "
        "server's TLS certificate; a copy is kept in KIOSK_HOME",
    )
    p.add_argument(
        "--from-file", metavar="FILE.json", help="take the values from a JSON file (flags win)"
    )
    p.add_argument("--replace", action="store_true", help="replace an existing identity")
    p.add_argument("--noinput", action="store_true", help="never prompt")
    p.add_argument("--list-hardware", action="store_true", help="list hardware profiles")
    add_json_flag(p)
    p.set_defaults(handler=_provision)

    p = sub.add_parser(
        "doctor",
        help="check devices, server, clock, disk, store, catalog, "
        "outbox, watchdog; non-zero exit on a fault",
    )
    add_json_flag(p)
    p.set_defaults(handler=_doctor)

    p = sub.add_parser("maintenance", help="nightly maintenance")
    msub = p.add_subparsers(dest="maintenance_cmd", metavar="ACTION")
    msub.required = True
    m = msub.add_parser("run", help="vacuum, retention purge, log rotation, catalog check now")
    add_json_flag(m)
    m.set_defaults(handler=_maintenance_run)

    p = sub.add_parser(
        "headless",
        help="run the kiosk's background duties without the touch "
        "UI (sync, heartbeat, remote config, maintenance, watchdog)",
    )
    p.set_defaults(handler=_headless)

    p = sub.add_parser("heartbeat", help="send one heartbeat now (build, queue, sync)")
    add_json_flag(p)
    p.set_defaults(handler=_heartbeat)

    p = sub.add_parser("install-units", help="install the kiosk's systemd unit (cage session)")
    _unit_args(p)
    p.set_defaults(handler=_install_units, which=["kiosk"])

    p = sub.add_parser("audit", help="this kiosk's audit log (technician actions)")
    p.add_argument("--limit", type=int, default=50)
    add_json_flag(p)
    p.set_defaults(handler=_audit_local)

    p = sub.add_parser("technician", help="technician screen access: PIN and cards")
    tsub = p.add_subparsers(dest="technician_cmd", metavar="ACTION")
    tsub.required = True
    t = tsub.add_parser("set-pin", help="set the technician PIN (6-12 digits; asked twice)")
    t.add_argument("--pin-stdin", action="store_true", help="read the PIN from stdin")
    add_json_flag(t)
    t.set_defaults(handler=_set_pin)
    t = tsub.add_parser("add-card", help="allow a technician card by its PC/SC UID")
    t.add_argument("uid", metavar="UID")
    add_json_flag(t)
    t.set_defaults(handler=_add_card)

    config = _group(sub, "config")
    c = config.add_parser("init", help="the hall's own folder (/etc/hall-kiosk) with a commented "
                          "starting set; keeps files already there")
    c.add_argument("--role", choices=["kiosk", "server"], default=None,
                   help="which folder: /etc/hall-kiosk (default) or /etc/hall-server")
    c.add_argument("--target", type=Path, default=None, help="another folder (default: KIOSK_ETC "
                   "or the role's /etc folder)")
    c.add_argument("--copy", action="append", default=[], metavar="NAME",
                   help="also copy this packaged default, e.g. devices.toml or forms/F-SBK-01.toml")
    add_json_flag(c)
    c.set_defaults(handler=_config_init)
    c = config.add_parser("status", help="remote configuration: applied, pending, rejected")
    add_json_flag(c)
    c.set_defaults(handler=_config_status)
    c = config.add_parser("pull", help="check the hall server for a new remote configuration")
    add_json_flag(c)
    c.set_defaults(handler=_config_pull)
    c = config.add_parser("apply", help="apply a pending remote configuration now")
    add_json_flag(c)
    c.set_defaults(handler=_config_apply)

    _register_admin(_group(sub, "admin"))


def _register_admin(admin: argparse._SubParsersAction) -> None:
    from kiosk.cli.server_cmds import _db_args

    def command(name: str, handler: Any, help_text: str) -> argparse.ArgumentParser:
        parser = admin.add_parser(name, help=help_text)
        _db_args(parser)
        add_json_flag(parser)
        parser.set_defaults(handler=handler)
        return parser

    p = admin.add_parser("config", help="remote kiosk configuration (versioned)")
    csub = p.add_subparsers(dest="admin_config_cmd", metavar="ACTION")
    csub.required = True
    for name, handler, text in (
        ("set", _admin_config_set, "store FILE.toml as a new version"),
        ("show", _admin_config_show, "print the latest version"),
    ):
        c = csub.add_parser(name, help=text)
        if name == "set":
            c.add_argument("file", metavar="FILE.toml")
        _db_args(c)
        add_json_flag(c)
        c.set_defaults(handler=handler)
    p = command("audit", _admin_audit, "technician actions reported by kiosks")
    p.add_argument("--device", help="one device id")
    p.add_argument("--limit", type=int, default=50)
    p = command(
        "issue-token",
        _admin_issue_token,
        "create a device and print its token once (e.g. an admin login for /admin/devices)",
    )
    p.add_argument("--name", required=True)
    p.add_argument("--role", choices=["admin", "counter", "kiosk"], default="admin")
    p = admin.add_parser("install-units", help="install the hall server's systemd unit")
    _unit_args(p)
    p.add_argument("--data-dir", metavar="DIR", default=None)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8470)
    p.set_defaults(handler=_install_units, which=["server"])


def _unit_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--target",
        metavar="DIR",
        default=None,
        help="where to write the unit (default /etc/systemd/system)",
    )
    p.add_argument("--user", default=None, help="the account it runs as (default: you)")
    p.add_argument("--home", type=Path, default=None,
                   help="its KIOSK_HOME (default: $KIOSK_HOME; for another --user "
                   "/var/lib/hall-kiosk or /var/lib/hall-server; else yours)")
    add_json_flag(p)


# --- provision -------------------------------------------------------------------------------
def _interactive(args: argparse.Namespace) -> bool:
    return not args.noinput and sys.stdin.isatty()


def _ask(prompt: str, default: str = "") -> str:
    shown = f" [{default}]" if default else ""
    answer = input(f"{prompt}{shown}: ").strip()
    return answer or default


def _provision(args: argparse.Namespace) -> Human:
    from common.errors import PROVISION_DECLINED, USAGE, KioskError
    from common.paths import kiosk_home
    from common.settings import load_settings
    from kiosk.cli.progress import progress_bar
    from kiosk.ops.credentials import load_credentials
    from kiosk.ops.hardware_profiles import list_profiles
    from kiosk.ops.provisioning import provision, read_request_file, request_from_mapping

    if args.list_hardware:
        profiles = list_profiles()
        return Human(
            "\n".join(f"{p['name']:20} {p['description']}" for p in profiles),
            {"profiles": profiles},
        )
    values: dict[str, Any] = read_request_file(Path(args.from_file)) if args.from_file else {}
    for key in ("server", "code", "name", "location", "hardware", "ca_bundle"):
        if getattr(args, key):
            values[key] = getattr(args, key)
    if args.replace:
        values["replace"] = True
    interactive = _interactive(args)
    labels = {"server": "hall server URL", "code": "enrolment code", "name": "kiosk name"}
    for key, label in labels.items():
        if not values.get(key):
            if args.from_file and not interactive:
                break  # request_from_mapping names every problem of the file (E-PRV-02)
            if not interactive:
                raise KioskError(USAGE, f"--{key} is required with --noinput")
            values[key] = _ask(label)
    if interactive and not args.from_file:
        if args.location is None:
            values["location"] = _ask("location (optional)") or None
        if args.hardware is None:
            names = ", ".join(p["name"] for p in list_profiles())
            values["hardware"] = _ask(f"hardware profile ({names}; empty: keep)") or None
    values = {k: v for k, v in values.items() if v is not None}
    request = request_from_mapping(values, source=args.from_file or "command line")
    home = kiosk_home()
    existing = load_credentials(home, required=False)
    if existing and not request.replace and interactive:
        answer = _ask(
            f"This kiosk is enrolled as {existing.name} with {existing.server_url}. "
            "Replace its identity? (yes/no)",
            "no",
        )
        if answer.lower() not in ("y", "yes", "是"):
            raise KioskError(PROVISION_DECLINED, existing.name)
        from dataclasses import replace

        request = replace(request, replace=True)
    with progress_bar("同步事项目录 catalog", as_json=args.json) as draw:
        progress = (lambda n: draw(n, None)) if draw else None
        result = provision(load_settings(), home, request, progress=progress, doctor=True)
    doctor = result["doctor"]
    lines = [
        f"enrolled as {result['device_id']} ({result['role']}) with {result['server']}; "
        f"{result['catalog_items']} catalog items synced; network {result['sync_state']}"
    ]
    lines += [
        f"  {c['status'].upper():7} {c['name']:16} {c['message']}"
        for c in doctor["checks"]
        if c["status"] != "ok"
    ]
    lines.append(f"doctor: {doctor['status'].upper()} (`kiosk doctor` for every check)")
    return Human("\n".join(lines), result)


# --- doctor, maintenance, heartbeat, headless --------------------------------------------------
def _doctor(args: argparse.Namespace) -> None:
    from common.errors import DOCTOR_FAULT
    from common.paths import kiosk_home
    from common.settings import load_settings
    from kiosk.ops.doctor import FAULT, run_doctor

    report = run_doctor(load_settings(), kiosk_home())
    emit(Human("\n".join(report.lines()), report.to_json()), args.json)
    if report.status == FAULT:  # the report is printed; the exit code says "fault"
        raise SystemExit(DOCTOR_FAULT.exit_code)


def _open_core() -> Any:
    from kiosk.core import KioskCore

    return KioskCore.open()


def _maintenance_run(args: argparse.Namespace) -> Human:
    from kiosk.ops import maintenance

    core = _open_core()
    try:
        result = maintenance.run(core, actor="technician")
    finally:
        core.close()
    lines = [
        f"{name:10} {json.dumps(step, ensure_ascii=False, default=str)}"
        for name, step in result["steps"].items()
    ]
    lines.append("maintenance: " + ("ok" if result["ok"] else "some steps failed"))
    return Human("\n".join(lines), result)


def _heartbeat(args: argparse.Namespace) -> Human:
    from kiosk.ops import heartbeat

    core = _open_core()
    try:
        interval = core.settings.maintenance.heartbeat_interval
        beat = heartbeat.build(core, core.device_statuses(), interval=interval)
        key = heartbeat.enqueue(core, beat)
        sync = core.sync_once(pull_catalog=False).to_json()
        state = (core.outbox.get(key) or {}).get("state", "replaced")
    finally:
        core.close()
    data = {"key": key, "state": state, "heartbeat": beat.model_dump(mode="json"), "sync": sync}
    return Human(f"heartbeat {beat.status}: {state} (network {sync['state']})", data)


def _headless(args: argparse.Namespace) -> None:
    import signal
    import threading

    from kiosk.ops.logs import setup_logging
    from kiosk.runtime import KioskRuntime, run_headless

    setup_logging("info")  # to the journal; KioskRuntime.start applies log.level
    runtime = KioskRuntime.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        run_headless(runtime, stop)
    finally:
        runtime.stop()


def _install_units(args: argparse.Namespace) -> Human:
    import os

    from kiosk.ops.units import SYSTEM_DIR, default_options, install, unit_home

    home = unit_home(args.which[0], home=args.home, user=args.user, environ=dict(os.environ))
    options = default_options(
        home,
        user=args.user,
        data_dir=Path(args.data_dir) if getattr(args, "data_dir", None) else None,
        host=getattr(args, "host", "127.0.0.1"),
        port=getattr(args, "port", 8470),
    )
    result = install(args.which, options, Path(args.target) if args.target else SYSTEM_DIR)
    return Human(
        "\n".join(
            [
                *(f"wrote {p}" for p in result["written"]),
                "then run:",
                *(f"  {c}" for c in result["next"]),
            ]
        ),
        result,
    )


def _audit_local(args: argparse.Namespace) -> Human:
    from common.paths import kiosk_home
    from kiosk.ops import audit

    events = audit.read(kiosk_home(), limit=args.limit)
    lines = [f"{e['at'][:19]}  {e['action']:14} {e['actor']:12} {e['outcome']}" for e in events]
    return Human("\n".join(lines) or "no technician actions recorded", {"events": events})


def _set_pin(args: argparse.Namespace) -> Human:
    import getpass

    from common.errors import USAGE, KioskError
    from common.paths import kiosk_home
    from kiosk.ops.technician_auth import set_pin

    if args.pin_stdin:
        pin = sys.stdin.readline().strip()
    else:
        pin = getpass.getpass("technician PIN: ")
        if getpass.getpass("again: ") != pin:
            raise KioskError(USAGE, "the two PINs differ")
    set_pin(kiosk_home(), pin)
    return Human("technician PIN set", {"set": True})


def _add_card(args: argparse.Namespace) -> Human:
    from common.paths import kiosk_home
    from kiosk.ops.technician_auth import add_card

    add_card(kiosk_home(), args.uid)
    return Human("technician card added", {"added": True})


# --- remote configuration on the kiosk ---------------------------------------------------------
def _config_init(args: argparse.Namespace) -> Human:
    from common.paths import etc_dir, set_role
    from kiosk.ops.config_init import copy_default, init_hall_dir

    if args.role:
        set_role(args.role)
    target = args.target or etc_dir()
    result = init_hall_dir(target)
    result["written"] += [str(copy_default(name, target)) for name in args.copy]
    lines = [f"hall folder: {target}"]
    lines += [f"  wrote {p}" for p in result["written"]]
    lines += [f"  kept  {p} (already there)" for p in result["kept"]]
    return Human("\n".join(lines), result)


def _config_status(args: argparse.Namespace) -> Human:
    from kiosk.ops import remote_config

    core = _open_core()
    try:
        s = remote_config.status(core.config_desk())
    finally:
        core.close()
    text = f"applied v{s['version'] or '-'}, pending v{s['pending'] or '-'}" + (
        f", rejected {s['rejected']}" if s["rejected"] else ""
    )
    return Human(text, s)


def _config_pull(args: argparse.Namespace) -> Human:
    from kiosk.ops import remote_config

    core = _open_core()
    try:
        result = remote_config.pull(core.config_desk())
    finally:
        core.close()
    return Human(
        f"remote config: {result['result']} (v{result.get('version') or '-'})"
        + (f": {result['reason']}" if result.get("reason") else ""),
        result,
    )


def _config_apply(args: argparse.Namespace) -> Human:
    core = _open_core()
    try:
        result = core.apply_pending_config(actor="technician")
    finally:
        core.close()
    if result is None:
        return Human("nothing pending", {"result": "none"})
    return Human(
        f"remote config v{result['version']}: {result['result']}"
        + (f" ({', '.join(result.get('changed', []))})" if result.get("changed") else ""),
        result,
    )


# --- hall server administration ----------------------------------------------------------------
def _admin_config_set(args: argparse.Namespace) -> Human:
    from hall_server.remote_config import set_config_file
    from kiosk.cli.server_cmds import _settings, _where

    result = set_config_file(_settings(), args.file, **_where(args))
    return Human(f"kiosk configuration v{result['version']} ({result['etag']})", result)


def _admin_config_show(args: argparse.Namespace) -> Human:
    from hall_server.remote_config import show_config
    from kiosk.cli.server_cmds import _settings, _where

    result = show_config(_settings(), **_where(args))
    return Human(json.dumps(result, ensure_ascii=False, indent=2), result)


def _admin_audit(args: argparse.Namespace) -> Human:
    from hall_server.fleet import list_audit
    from kiosk.cli.server_cmds import _settings, _where

    events = list_audit(_settings(), device=args.device, limit=args.limit, **_where(args))
    lines = [
        f"{e['at'][:19]}  {e['device_id'][:8]}  {e['action']:14} {e['actor']:12} {e['outcome']}"
        for e in events
    ]
    return Human("\n".join(lines) or "no audit events", {"events": events})


def _admin_issue_token(args: argparse.Namespace) -> Human:
    from hall_server.fleet import issue_token
    from kiosk.cli.server_cmds import _settings, _where

    result = issue_token(_settings(), name=args.name, role=args.role, **_where(args))
    return Human(
        f"{result['token']}\n(device {result['device_id']}, role {result['role']}: "
        "shown once; use it as the password on /admin/devices)",
        result,
    )
