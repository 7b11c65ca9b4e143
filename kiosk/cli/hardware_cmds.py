"""Device commands for technicians: idcard, smartcard, hardware (discovery), simulate.

    kiosk idcard read [--reader TARGET] [--timeout S] [--fingerprints] [--json]
    kiosk idcard status [--reader TARGET] [--json]
    kiosk smartcard list|uid|read|watch …
    kiosk hardware list [--probe] [--no-status] [--json]
    kiosk hardware udev-rules
    kiosk simulate idcard [--card KIND] [--fault F] [--pace] …
    kiosk simulate smartcard [--uid HEX | --social] [--port N] [--reader NAME]

The ID card reader defaults to the simulator (`sim`) until settings name the real one.
Human output masks names and ID numbers; --json prints them in full (the technician's own
machine) — logs never carry them either way.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from kiosk.cli import Human, add_json_flag

DEFAULT_IDCARD_READER = None  # None: devices.idcard from the configuration


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("idcard", help="second-generation ID card reader (GA 467)")
    isub = p.add_subparsers(dest="idcard_cmd", metavar="ACTION")
    isub.required = True
    r = isub.add_parser("read", help="wait for a card and read it")
    r.add_argument(
        "--reader",
        default=DEFAULT_IDCARD_READER,
        help="target: serial:/dev/ttyUSB0, usb:0400:c35a, sim[:KIND][?fault=…] (default: devices.idcard)",
    )
    r.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for a card")
    r.add_argument("--fingerprints", action="store_true", help="also read fingerprint data")
    add_json_flag(r)
    r.set_defaults(handler=_idcard_read)
    r = isub.add_parser("status", help="open the reader and ask the SAM for its status")
    r.add_argument("--reader", default=DEFAULT_IDCARD_READER)
    add_json_flag(r)
    r.set_defaults(handler=_idcard_status)

    p = sub.add_parser("smartcard", help="PC/SC smartcard readers (staff cards, 社保卡)")
    ssub = p.add_subparsers(dest="smartcard_cmd", metavar="ACTION")
    ssub.required = True
    s = ssub.add_parser("list", help="readers pcscd sees")
    add_json_flag(s)
    s.set_defaults(handler=_smartcard_list)
    s = ssub.add_parser("uid", help="wait for a contactless card and print its UID")
    s.add_argument("--reader", help="reader name (or a unique part of it); default: any")
    s.add_argument("--timeout", type=float, default=10.0)
    add_json_flag(s)
    s.set_defaults(handler=_smartcard_uid)
    s = ssub.add_parser("read", help="read a card with the matching card profile")
    s.add_argument("--reader")
    s.add_argument("--timeout", type=float, default=10.0)
    s.add_argument("--profile", help="only this profile id (common/defaults/card_profiles.toml)")
    add_json_flag(s)
    s.set_defaults(handler=_smartcard_read)
    s = ssub.add_parser("watch", help="print card insert/remove events")
    s.add_argument("--seconds", type=float, default=30.0)
    add_json_flag(s)
    s.set_defaults(handler=_smartcard_watch)

    p = sub.add_parser("hardware", help="device discovery")
    hsub = p.add_subparsers(dest="hardware_cmd", metavar="ACTION")
    hsub.required = True
    h = hsub.add_parser("list", help="USB, serial, PC/SC devices and simulators")
    h.add_argument(
        "--probe",
        action="store_true",
        help="also send a status command to unidentified serial ports",
    )
    h.add_argument(
        "--no-status",
        dest="status",
        action="store_false",
        help="do not open devices to ask their status",
    )
    add_json_flag(h)
    h.set_defaults(handler=_hardware_list)
    h = hsub.add_parser("udev-rules", help="print udev rules for the known USB devices")
    h.add_argument("--group", default="kiosk")
    h.set_defaults(handler=_hardware_udev)

    targets = simulate_targets(sub)
    s = targets.add_parser("idcard", help="serve a simulated ID card reader on a pty")
    s.add_argument(
        "--card",
        default="resident",
        help="resident, resident_elderly, hkmt, foreign2017, foreign2023",
    )
    s.add_argument(
        "--fault",
        help="lifted, checksum, sam_unauthorised, unknown_type, slow, nocard, no_appended_cmd",
    )
    s.add_argument("--pace", action="store_true", help="reply at the real wire speed")
    s.add_argument(
        "--baud",
        type=int,
        default=115200,
        choices=[115200, 57600, 38400, 19200, 9600],
        help="the speed the simulated reader listens at (default 115200)",
    )
    s.add_argument("--auto-remove", type=float, help="lift the card S seconds after a read")
    s.add_argument("--auto-place", type=float, help="place it again S seconds later")
    add_json_flag(s)
    s.set_defaults(handler=_simulate_idcard)
    s = targets.add_parser("smartcard", help="insert a virtual card into vpcd (vsmartcard)")
    s.add_argument("--uid", default="04A1B2C3D4E5F6", help="contactless UID (hex)")
    s.add_argument("--social", action="store_true", help="a social security card instead")
    s.add_argument("--port", type=lambda v: int(v, 0), default=0x8C7B, help="vpcd TCP port")
    s.add_argument("--reader", help="wait until pcscd shows the card in this reader")
    add_json_flag(s)
    s.set_defaults(handler=_simulate_smartcard)


def simulate_targets(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The `kiosk simulate DEVICE` group, created once; other command modules may add
    their simulators with `simulate_targets(sub).add_parser(...)`."""
    parser = sub.choices.get("simulate")
    if parser is None:
        parser = sub.add_parser("simulate", help="run a device simulator (for technicians)")
        targets = parser.add_subparsers(dest="simulate_target", metavar="DEVICE")
        targets.required = True
        parser.set_defaults(_simulate_targets=targets)
    return parser.get_default("_simulate_targets")


# --- idcard -----------------------------------------------------------------------------------
_KIND_ZH = {
    "resident_id": "居民身份证",
    "hkmt_permit": "港澳台居民居住证",
    "foreign_permanent_2017": "外国人永久居留身份证(2017)",
    "foreign_permanent_2023": "外国人永久居留身份证(2023)",
}


def _idcard_read(args: argparse.Namespace) -> Human:
    from hardware.idcard import open_idcard_reader
    from kiosk.cli.printer_cmds import configured

    args.reader = configured(args.reader, "devices", "idcard")
    with open_idcard_reader(args.reader) as reader:
        card = reader.read_card(args.timeout, fingerprints=args.fingerprints)
    data = card.to_json()
    return Human(_card_text(data, args.reader), data)


def _card_text(data: dict[str, Any], reader: str) -> str:
    from common.redact import mask_address, mask_id_number, mask_name

    valid = "check digit ok" if data["id_number_valid"] else "CHECK DIGIT WRONG"
    lines = [
        f"reader        {reader}",
        f"kind          {data['kind']} ({_KIND_ZH[data['kind']]})",
        f"name          {mask_name(data['name'])}",
        f"gender        {data['gender']['label']} ({data['gender']['code']})",
    ]
    if data["nation"]:
        lines.append(f"nation        {data['nation']['label']} ({data['nation']['code']})")
    lines.append(f"birth         {data['birth']}")
    if data["address"]:
        lines.append(f"address       {mask_address(data['address'])}")
    if data.get("appended_address"):
        lines.append(f"appended      {mask_address(data['appended_address'])}")
    lines += [
        f"id_number     {mask_id_number(data['id_number'])} ({valid})",
        f"authority     {data['authority'] or '-'}",
        f"valid         {data['valid_from']} – {data['valid_to']}",
    ]
    for key in ("permit_number", "issue_count", "nationality", "renewal_count"):
        if key in data and data[key] not in ("", None):
            value = mask_id_number(data[key]) if key == "permit_number" else data[key]
            lines.append(f"{key:<14}{value}")
    if data.get("name_en"):
        lines.append(f"name_en       {mask_name(data['name_en'])}")
    lines.append("(name and numbers masked; --json prints them in full)")
    return "\n".join(lines)


def _idcard_status(args: argparse.Namespace) -> Human:
    from hardware.idcard import open_idcard_reader
    from kiosk.cli.printer_cmds import configured

    args.reader = configured(args.reader, "devices", "idcard")
    report = open_idcard_reader(args.reader).status()
    data = {"target": args.reader, **report.to_json()}
    return Human(f"{args.reader}: {report.status.name.lower()} — {report.message}", data)


# --- smartcard --------------------------------------------------------------------------------
def _smartcard_list(args: argparse.Namespace) -> Human:
    from hardware.smartcard.pcsc import list_readers

    readers = list_readers()
    text = "\n".join(readers) if readers else "no reader (pcscd is running but lists none)"
    return Human(text, {"readers": readers})


def _smartcard_uid(args: argparse.Namespace) -> Human:
    from hardware.smartcard.pcsc import read_uid

    result = read_uid(args.reader, args.timeout)
    return Human(f"{result.reader}: {result.uid}", result.to_json())


def _smartcard_read(args: argparse.Namespace) -> Human:
    from common.redact import mask_id_number
    from hardware.smartcard.profiles import load_profiles, read_card

    profiles = load_profiles()
    reading = read_card(args.reader, args.timeout, profiles=profiles, only=args.profile)
    personal = next(p.personal for p in profiles if p.id == reading.profile)
    lines = [f"reader   {reading.reader}", f"atr      {reading.atr}", f"profile  {reading.profile}"]
    lines += [
        f"{k:<9}{mask_id_number(v) if k in personal else v}" for k, v in reading.fields.items()
    ]
    return Human("\n".join(lines), reading.to_json())


def _smartcard_watch(args: argparse.Namespace) -> None:
    import json

    from hardware.smartcard.pcsc import CardMonitor

    with CardMonitor() as monitor:
        for event in monitor.watch(args.seconds):
            if args.json:
                print(json.dumps({"kind": event.kind, **event.payload}), flush=True)
            else:
                print(
                    f"{event.kind:<13} {event.payload.get('reader')} "
                    f"{event.payload.get('atr', '')}",
                    flush=True,
                )


# --- hardware ---------------------------------------------------------------------------------
def _hardware_list(args: argparse.Namespace) -> Human:
    from hardware.discovery import discover

    result = discover(probe=args.probe, with_status=args.status)
    data = result.to_json()
    rows = [
        f"{d['family']:<10}{d['status_name']:<9}{d['target']:<44}{d['description']}"
        for d in data["devices"]
    ]
    rows += [f"warning: {w}" for w in data["warnings"]]
    return Human("\n".join(rows) or "no devices", data)


def _hardware_udev(args: argparse.Namespace) -> str:
    from hardware.discovery import load_known_devices, udev_rules

    return udev_rules(load_known_devices(), group=args.group).rstrip("\n")


# --- simulators -------------------------------------------------------------------------------
class _Stop(Exception):
    """Raised by the SIGINT/SIGTERM handler so a simulator shuts down cleanly."""


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _serve_until_stopped(announce: Callable[[], None], commands: Any) -> None:
    """Announce the simulator, read technician commands from stdin until EOF, then wait for
    SIGINT/SIGTERM.

    The handlers are in place before the announcement: whoever reads it may signal at once
    (a CI run lost a SIGINT sent between the two and waited for ever).

    SIGINT gets a handler of its own: a process started in the background of a script
    inherits SIGINT *ignored*, and Python then installs no KeyboardInterrupt for it (a CI run
    that started the suite with `&` hung here)."""

    def stop(signum: int, frame: Any) -> None:
        raise _Stop

    previous = {sig: signal.signal(sig, stop) for sig in _STOP_SIGNALS}
    try:
        announce()
        for line in sys.stdin:
            if commands(line.split()) is False:
                return
        # stdin closed: serve until a signal arrives, waking twice a second so the handler
        # runs even when the kernel hands the signal to the pty thread
        while True:
            time.sleep(0.5)
    except _Stop:
        return
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _simulate_idcard(args: argparse.Namespace) -> None:
    import json

    from common.errors import DEVICE_TARGET_INVALID, KioskError
    from hardware.idcard.simulator import IdCardSimulator, PtySimulator, card_for

    try:
        sim = IdCardSimulator(
            card_for(args.card),
            fault=args.fault,
            baud=args.baud,
            auto_remove=args.auto_remove,
            auto_place=args.auto_place,
        )
    except ValueError as exc:
        raise KioskError(DEVICE_TARGET_INVALID, str(exc)) from None
    server = PtySimulator(sim, pace=args.pace)
    path = server.start()
    try:

        def announce() -> None:
            if args.json:
                info = {"path": path, "card": args.card, "fault": args.fault}
                print(json.dumps(info), flush=True)
                return
            print(path, flush=True)
            print(
                f"simulated ID card reader on {path} — commands: place [CARD] | remove | "
                "fault NAME|none | status | quit",
                file=sys.stderr,
                flush=True,
            )

        def command(words: list[str]) -> bool | None:
            if not words:
                return None
            try:
                if words[0] == "place":
                    sim.place_card(card_for(words[1]) if len(words) > 1 else None)
                elif words[0] == "remove":
                    sim.remove_card()
                elif words[0] == "fault":
                    sim.set_fault(words[1] if len(words) > 1 else None)
                elif words[0] == "quit":
                    return False
                elif words[0] != "status":
                    raise ValueError(f"unknown command {words[0]!r}")
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr, flush=True)
            print(
                f"card {'present' if sim.present else 'absent'} ({sim.card.kind}), "
                f"fault {sim.fault or 'none'}, reads {sim.reads}",
                file=sys.stderr,
                flush=True,
            )
            return None

        _serve_until_stopped(announce, command)
    finally:
        server.stop()


def _simulate_smartcard(args: argparse.Namespace) -> None:
    import json

    from common.errors import DEVICE_TARGET_INVALID, SC_SERVICE_UNAVAILABLE, KioskError
    from hardware.smartcard.virtual_card import social_security_card, uid_card

    try:
        uid = bytes.fromhex(args.uid)
    except ValueError:
        raise KioskError(DEVICE_TARGET_INVALID, f"--uid {args.uid!r} is not hex") from None
    card = (social_security_card if args.social else uid_card)(
        **({} if args.social else {"uid": uid}), port=args.port, reader=args.reader
    )
    try:
        card.insert()
    except OSError as exc:
        raise KioskError(
            SC_SERVICE_UNAVAILABLE,
            f"vpcd not listening on port {args.port}: "
            f"{exc}; install vsmartcard-vpcd and start pcscd",
        ) from None
    try:
        info = {
            "port": args.port,
            "atr": card.atr.hex().upper(),
            "card": "social_security" if args.social else "contactless",
        }
        line = (
            json.dumps(info)
            if args.json
            else f"virtual card inserted on port {args.port} — commands: insert | remove | quit"
        )

        def command(words: list[str]) -> bool | None:
            if words and words[0] == "insert":
                card.insert()
            elif words and words[0] == "remove":
                card.remove()
            elif words and words[0] == "quit":
                return False
            return None

        _serve_until_stopped(lambda: print(line, flush=True), command)
    finally:
        card.remove()
