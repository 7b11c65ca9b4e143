"""Technician commands for the ticket printer, the code scanner and voice prompts:

    kiosk printer test   [--printer SPEC] [--json]   print a test ticket (Chinese, rare name
                                                     character, ￥, QR)
    kiosk printer status [--printer SPEC] [--json]   the printer's own status answers
    kiosk printer decode FILE [--json]               what a file:/sim?file= target captured
    kiosk scanner read   [--scanner SPEC] [--timeout S] [--count N] [--json]
    kiosk voice say TEXT [--voice SPEC] [--json]

SPEC is a target string (docs/hardware-printer.md). Until settings provide the kiosk's own
devices, the default is the simulator.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from kiosk.cli import Human, add_json_flag

DEFAULT_PRINTER = None  # None: the configured target (printer.target, devices.scanner, …)
DEFAULT_SCANNER = None
DEFAULT_VOICE = None


def configured(value: str | None, section: str, key: str) -> str:
    """An explicit --printer/--scanner/--voice wins; else the validated configuration."""
    if value:
        return value
    from common.settings import load_settings

    return getattr(getattr(load_settings(), section), key)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("printer", help="ticket printer: test print, status, decode")
    psub = p.add_subparsers(dest="printer_cmd", metavar="ACTION")
    psub.required = True
    t = psub.add_parser("test", help="print a test ticket with Chinese text and a QR code")
    t.add_argument("--printer", default=DEFAULT_PRINTER, help="target, e.g. usb:0416:5011")
    t.add_argument(
        "--url", default="https://hall.example.cn/t/TEST0001", help="QR payload of the test ticket"
    )
    add_json_flag(t)
    t.set_defaults(handler=_printer_test)
    s = psub.add_parser("status", help="ask the printer for its status")
    s.add_argument("--printer", default=DEFAULT_PRINTER)
    add_json_flag(s)
    s.set_defaults(handler=_printer_status)
    d = psub.add_parser("decode", help="show the text, images and QR data in captured bytes")
    d.add_argument("file", help="a file written by a file: or sim?file= target")
    add_json_flag(d)
    d.set_defaults(handler=_printer_decode)

    p = sub.add_parser("scanner", help="QR/barcode scanner")
    ssub = p.add_subparsers(dest="scanner_cmd", metavar="ACTION")
    ssub.required = True
    r = ssub.add_parser("read", help="wait for scans and show them")
    r.add_argument("--scanner", default=DEFAULT_SCANNER, help="target, e.g. serial:/dev/ttyACM0")
    r.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each scan")
    r.add_argument("--count", type=int, default=1, help="scans to read before exiting")
    add_json_flag(r)
    r.set_defaults(handler=_scanner_read)

    p = sub.add_parser("voice", help="voice prompts")
    vsub = p.add_subparsers(dest="voice_cmd", metavar="ACTION")
    vsub.required = True
    v = vsub.add_parser("say", help="speak a prompt and wait until it ends")
    v.add_argument("text")
    v.add_argument("--voice", default=DEFAULT_VOICE, help="target: espeak, espeak?file=x.wav, sim")
    v.add_argument("--timeout", type=float, default=30.0)
    add_json_flag(v)
    v.set_defaults(handler=_voice_say)


def test_slip(url: str):
    from hardware.printer.layouts import sample_slip

    return sample_slip(url, time.strftime("%Y-%m-%d %H:%M"))


def _printer_test(args: argparse.Namespace) -> Human:
    from hardware.printer import open_printer, render_ticket
    from hardware.printer.readback import printed_lines

    args.printer = configured(args.printer, "printer", "target")
    printer = open_printer(args.printer)
    with printer:
        data = render_ticket(test_slip(args.url), profile=printer.profile)
        printer.print_document(data)  # what print_ticket does: status check, then write
        report = printer.status()
    lines = printed_lines(data)
    result = {
        "target": args.printer,
        "bytes": len(data),
        "lines": lines,
        "status": report.to_json(),
    }
    return Human(
        "\n".join(lines) + f"\n\nprinted a test ticket on {args.printer} "
        f"({len(data)} bytes); status {report.status.name.lower()}: {report.message}",
        result,
    )


def _printer_status(args: argparse.Namespace) -> Human:
    from hardware.printer import open_printer

    args.printer = configured(args.printer, "printer", "target")
    printer = open_printer(args.printer)
    with printer:
        report = printer.status()
    data = {"target": args.printer, **report.to_json()}
    code = f" ({report.code})" if report.code else ""
    return Human(f"{args.printer}: {report.status.name.lower()}{code} — {report.message}", data)


def _printer_decode(args: argparse.Namespace) -> Human:
    from common.errors import FIELD_INVALID, KioskError
    from hardware.printer.readback import parse_escpos, printed_lines, qr_payloads

    try:
        with open(args.file, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise KioskError(FIELD_INVALID, f"{args.file}: {exc.strerror}") from exc
    try:
        commands = parse_escpos(raw)
        lines = printed_lines(raw)
        qrs = [q.decode("utf-8", "replace") for q in qr_payloads(raw)]
    except ValueError as exc:
        raise KioskError(FIELD_INVALID, f"{args.file}: not ESC/POS we understand: {exc}") from exc
    data: dict[str, Any] = {
        "bytes": len(raw),
        "documents": sum(1 for c in commands if c.name == "init"),
        "cuts": sum(1 for c in commands if c.name == "cut"),
        "lines": lines,
        "qr": qrs,
        "rasters": sum(1 for c in commands if c.name == "raster"),
    }
    text = "\n".join(lines + [f"[QR] {q}" for q in qrs])
    return Human(text, data)


def _scanner_read(args: argparse.Namespace) -> Human:
    from hardware.scanner import open_scanner

    args.scanner = configured(args.scanner, "devices", "scanner")
    codes: list[str | None] = []
    with open_scanner(args.scanner) as scanner:
        for _ in range(max(1, args.count)):
            codes.append(scanner.read(args.timeout))
        report = scanner.status()
    data = {"target": args.scanner, "codes": codes, "status": report.to_json()}
    text = "\n".join(c if c is not None else "(no scan before the timeout)" for c in codes)
    return Human(text, data)


def _voice_say(args: argparse.Namespace) -> Human:
    from hardware.voice import open_voice

    args.voice = configured(args.voice, "devices", "voice")
    with open_voice(args.voice) as voice:
        voice.say(args.text)
        finished = voice.wait(args.timeout)
        report = voice.status()
    data = {"target": args.voice, "finished": finished, "status": report.to_json()}
    return Human(f"{args.voice}: {report.status.name.lower()} — {report.message}", data)
