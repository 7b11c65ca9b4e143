"""`kiosk` command line: a thin shell over the use cases the screens call too.

Each command group lives in its own module here with a `register(subparsers)` function that
only builds argparse parsers (cheap); the handler imports what it needs when it runs, so
`kiosk search` never loads Kivy, FastAPI or SQLAlchemy.

Handlers take the parsed `args` and return a JSON-able result (or None), or raise KioskError.
`emit()` prints it: with --json one JSON document on stdout for success and error alike;
without it, the human text (handlers may return `Human(text, data)`), errors as one line on
stderr saying what is wrong and what to do. Exit codes come from the error registry.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from dataclasses import dataclass
from typing import Any

from common.errors import UI_START_FAILED, UNEXPECTED, USAGE, KioskError
from common.paths import set_role

COMMAND_MODULES = [
    "kiosk.cli.server_cmds",  # serve, admin …
    "kiosk.cli.kiosk_cmds",  # sync, search, ticket, progress, outbox …
    "kiosk.cli.ui_cmds",  # run, demo
    "kiosk.cli.hardware_cmds",  # idcard, smartcard, hardware, simulate …
    "kiosk.cli.printer_cmds",  # printer, scanner, voice …
    "kiosk.cli.ops_cmds",  # provision, doctor, maintenance, headless, install-units, admin config …
]

log = logging.getLogger("kiosk.cli")
# Commands of the hall server: they read the hall's files in /etc/hall-server, the others
# in /etc/hall-kiosk (common.paths.etc_dir).
SERVER_COMMANDS = frozenset({"serve", "admin"})


@dataclass
class Human:
    """A result with a human rendering; `data` is what --json prints."""

    text: str
    data: Any = None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors keep the stable exit code 2
        raise KioskError(USAGE, message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kiosk", description="Government service hall kiosk / hall server")
    parser.add_argument("--log-level", default=None, help="debug, info, warning, error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a command module that exists but is broken must fail loudly
                raise
            continue
        module.register(sub)
    return parser


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def emit(result: Any, as_json: bool) -> None:
    if isinstance(result, Human):
        if as_json:
            print(json.dumps(result.data, ensure_ascii=False, default=str))
        else:
            print(result.text)
    elif result is not None:
        if as_json or not isinstance(result, str):
            print(json.dumps(result, ensure_ascii=False, indent=None if as_json else 2, default=str))
        else:
            print(result)


def _missing_extra(exc: BaseException) -> KioskError | None:
    """E-DEP-02 when `exc` (or what caused it) is a module an extra of ours installs."""
    from kiosk.cli.extras import missing_extra

    while exc is not None:
        if isinstance(exc, ModuleNotFoundError):
            return missing_extra(exc)
        exc = exc.__cause__ or exc.__context__
    return None


def main(argv: list[str] | None = None) -> int:
    from kiosk.ops.logs import setup_logging

    argv = sys.argv[1:] if argv is None else argv
    as_json = "--json" in argv
    try:
        args = build_parser().parse_args(argv)
        setup_logging(args.log_level or "warning")
        set_role("server" if args.command in SERVER_COMMANDS else "kiosk")
        result = args.handler(args)
        emit(result, getattr(args, "json", False))
        return 0
    except KioskError as exc:
        if exc.error is UI_START_FAILED:  # e.g. because Kivy is not installed at all
            exc = _missing_extra(exc) or exc
        log.warning("%s %s", exc.code, exc.message)
        if as_json:
            print(json.dumps(exc.to_json(), ensure_ascii=False))
        else:
            hint = f" — {exc.error.hint}" if exc.error.hint else ""
            print(f"kiosk: {exc.code}: {exc.message}{hint}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `kiosk … | head`: the reader left; not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except SystemExit as exc:  # argparse --help
        return int(exc.code or 0)
    except Exception as exc:  # the last line of defence: a stable code, the traceback in the log
        err = _missing_extra(exc)
        if err is None:
            log.exception("unexpected error")
            err = KioskError(UNEXPECTED, type(exc).__name__)
        else:
            log.error("%s %s", err.code, err.message)
        if as_json:
            print(json.dumps(err.to_json(), ensure_ascii=False))
        else:
            print(f"kiosk: {err.code}: {err.message} — {err.error.hint}", file=sys.stderr)
        return err.exit_code
