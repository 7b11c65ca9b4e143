"""`kiosk serve` and `kiosk admin …`: the hall server's command line.

Handlers import `hall_server` only when they run, so the kiosk side never loads FastAPI or
SQLAlchemy. Every admin command takes the same `--data-dir DIR | --db URL` as `serve`.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path
from typing import Any

from kiosk.cli import Human, add_json_flag


def _db_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--data-dir",
        metavar="DIR",
        default=None,
        help="server data dir holding the SQLite file (default KIOSK_HOME/server)",
    )
    group.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help="database URL, e.g. postgresql+psycopg://user@host/db",
    )


def _settings(**server: Any):
    from common.settings import load_settings

    return load_settings(overrides={"server": server} if server else None)


def _where(args: argparse.Namespace) -> dict[str, Any]:
    return {"data_dir": args.data_dir, "db_url": args.db}


# --- serve -----------------------------------------------------------------------------------
def _serve(args: argparse.Namespace) -> None:
    from common.errors import USAGE, KioskError
    from hall_server.runner import prepare, serve, serve_workers

    if args.workers is not None and not 1 <= args.workers <= 64:
        raise KioskError(USAGE, "--workers is 1 to 64")
    settings = _settings(host=args.host, port=args.port)
    workers = args.workers or settings.server.workers
    if workers > 1:
        if args.demo:
            raise KioskError(USAGE, "--demo runs one process: leave out --workers")
        serve_workers(
            settings,
            workers,
            announce=lambda url: print(f"serving on {url}", flush=True),
            host=args.host,
            port=args.port,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
            **_where(args),
        )
        return
    prepared = prepare(
        settings,
        demo=args.demo,
        host=args.host,
        port=args.port,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        **_where(args),
    )
    # Tests and scripts read this exact line to learn the port (`--port 0` picks a free one).
    print(f"serving on {prepared.url}", flush=True)
    clerk = (prepared.demo or {}).get("clerk")
    if clerk:
        print(
            f"counter page: {prepared.url}/counter  (demo clerk: {clerk['login']} / "
            f"{clerk['password']}, counters {','.join(clerk['counters'])})",
            flush=True,
        )
    serve(prepared)


# --- admin -----------------------------------------------------------------------------------
def _enroll_code(args: argparse.Namespace) -> Human:
    from hall_server.admin import new_enroll_code

    result = new_enroll_code(_settings(), args.role, args.expires, **_where(args))
    return Human(
        f"{result['code']}  (role {result['role']}, expires {result['expires_at']})", result
    )


def _import_catalog(args: argparse.Namespace) -> Human:
    from hall_server.admin import import_catalog_file
    from kiosk.cli.progress import count_lines, staged_bar, wanted

    total = count_lines(args.file) if wanted(args.json) else None
    stages = {"check": "检查 checking", "write": "写入 writing"}
    with staged_bar(stages, as_json=args.json, unit=" lines", total=total) as on_progress:
        r = import_catalog_file(_settings(), args.file, on_progress=on_progress, **_where(args))
    text = (
        f"imported {r['items']} items: {r['added']} added, {r['changed']} changed, "
        f"{r['unchanged']} unchanged, {r['deleted']} deleted"
    )
    return Human(text, r)


def _import_services(args: argparse.Namespace) -> Human:
    from hall_server.admin import import_services_file

    r = import_services_file(_settings(), args.file, **_where(args))
    closed = f"; closed {', '.join(r['closed'])}" if r["closed"] else ""
    return Human(
        f"imported {r['services']} queue services: {r['added']} added, "
        f"{r['updated']} updated{closed}",
        r,
    )


def _migrate(args: argparse.Namespace) -> Human:
    from hall_server.admin import migrate

    r = migrate(_settings(), **_where(args))
    if r["from"] == r["to"]:
        return Human(f"{r['database']}: already at revision {r['to']}", r)
    return Human(f"{r['database']}: migrated from {r['from'] or 'empty'} to {r['to']}", r)


def _devices(args: argparse.Namespace) -> Human:
    from hall_server.fleet import list_fleet

    rows = list_fleet(_settings(), **_where(args))
    lines = [
        f"{'ID':36}  {'NAME':16} {'ROLE':8} {'TAG':5} {'LOCATION':12} {'LAST SEEN':20} "
        f"{'LAST HEARTBEAT':20} STATE"
    ]
    for d in rows:
        state = "revoked" if d["revoked_at"] else "active"
        if not d["revoked_at"] and d["heartbeat_at"]:
            state = "stale" if d["stale"] else (d["heartbeat"] or {}).get("status", "ok")
        if d["paper_out"]:
            state += ", paper out"
        if d["call_staff"]:
            state += ", CALL STAFF"
        lines.append(
            f"{d['id']:36}  {d['name'][:16]:16} {d['role']:8} {d['tag'] or '-':5} "
            f"{(d['location'] or '-')[:12]:12} {(d['last_seen'] or '-')[:19]:20} "
            f"{(d['heartbeat_at'] or '-')[:19]:20} {state}"
        )
    return Human("\n".join(lines) if rows else "no devices enrolled", {"devices": rows})


def _revoke(args: argparse.Namespace) -> Human:
    from hall_server.admin import revoke_device

    rows = revoke_device(_settings(), args.device, **_where(args))
    names = ", ".join(f"{d['name']} ({d['id']})" for d in rows)
    return Human(f"revoked {names}", {"revoked": rows})


def _person(args: argparse.Namespace) -> Human:
    from hall_server.admin import person

    result = person(_settings(), args.action, args.holder, **_where(args))
    if args.action == "erase":
        counts = ", ".join(f"{k} {v}" for k, v in result["erased"].items())
        return Human(f"erased (audit recorded): {counts}", result)
    text = json.dumps(result, ensure_ascii=False, indent=2)
    if args.output:
        from common.paths import write_private

        write_private(Path(args.output), text + "\n")
        return Human(f"written to {args.output} (0600; audit recorded)", {"output": args.output})
    return Human(text, result)


def _load_demo(args: argparse.Namespace) -> Human:
    from hall_server.admin import load_demo_data

    r = load_demo_data(_settings(), **_where(args))
    return Human(json.dumps(r, ensure_ascii=False, indent=2), r)


def _catalog_schema(args: argparse.Namespace) -> Human | dict:
    from hall_server.admin import catalog_schema

    text = json.dumps(catalog_schema(), ensure_ascii=False, indent=2) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        return Human(f"wrote {args.output}", {"written": str(args.output)})
    return Human(text.rstrip("\n"), json.loads(text))


# --- staff accounts --------------------------------------------------------------------------
def _read_password(args: argparse.Namespace) -> str:
    """One line from stdin (--password-stdin, for scripts), else asked twice without echo."""
    import getpass
    import sys

    from common.errors import USAGE, KioskError

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise KioskError(USAGE, "no terminal to ask for the password: use --password-stdin")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise KioskError(USAGE, "the two passwords differ")
    return first


def _staff_line(s: dict) -> str:
    counters = ",".join(s["counters"]) or "-"
    state = "disabled" if s["disabled"] else "active"
    return f"{s['login']:16} {s['name'][:16]:16} {s['role']:8} {counters[:30]:30} {state}"


def _staff_add(args: argparse.Namespace) -> Human:
    from hall_server.admin import add_staff

    s = add_staff(
        _settings(),
        login=args.login,
        name=args.name,
        role=args.role,
        counters=args.counters,
        password=_read_password(args),
        **_where(args),
    )
    return Human(f"added {s['login']} ({s['role']}, counters {','.join(s['counters']) or '-'})", s)


def _staff_passwd(args: argparse.Namespace) -> Human:
    from hall_server.admin import set_staff_password

    s = set_staff_password(_settings(), args.login, _read_password(args), **_where(args))
    return Human(f"password of {s['login']} changed; its browser sign-ins ended", s)


def _staff_disable(args: argparse.Namespace) -> Human:
    from hall_server.admin import set_staff_disabled

    s = set_staff_disabled(_settings(), args.login, not args.enable, **_where(args))
    return Human(f"{s['login']} {'disabled' if s['disabled'] else 'enabled'}", s)


def _staff_list(args: argparse.Namespace) -> Human:
    from hall_server.admin import list_staff

    rows = list_staff(_settings(), **_where(args))
    head = f"{'LOGIN':16} {'NAME':16} {'ROLE':8} {'COUNTERS':30} STATE"
    text = "\n".join([head, *(_staff_line(s) for s in rows)]) if rows else "no staff accounts"
    return Human(text, {"staff": rows})


def _report(args: argparse.Namespace) -> Human:
    from hall_server import report_formats
    from hall_server.admin import report

    built = report(
        _settings(),
        start=args.start,
        end=args.end,
        service=args.service,
        counter=args.counter,
        **_where(args),
    )
    if args.format == "json":
        return Human(json.dumps(built, ensure_ascii=False, indent=2), built)
    if args.format == "sqlite":
        out = Path(args.output or f"report-{built['from']}-{built['to']}.sqlite3")
        tables = report_formats.to_sqlite(built, out)
        return Human(f"wrote {out} (tables {', '.join(tables)})", {"written": str(out)})
    if args.format == "csv":
        text = report_formats.to_csv(built, args.table)
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
            return Human(f"wrote {args.output}", {"written": args.output})
        return Human(text.lstrip("\ufeff").rstrip("\n"), built)
    head = f"{built['from']} — {built['to']} ({built['timezone']}): {args.table}"
    return Human(head + "\n" + report_formats.to_table(built, args.table), built)


def register(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser("serve", help="run the hall server (API v1)")
    serve.add_argument("--host", default=None, help="address to listen on (server.host)")
    serve.add_argument(
        "--port", type=int, default=None, help="port (server.port); 0 picks a free one"
    )
    _db_args(serve)
    serve.add_argument(
        "--demo", action="store_true", help="load the sample hall (common/defaults/demo) before serving"
    )
    serve.add_argument("--tls-cert", metavar="PEM", default=None, help="serve HTTPS: certificate")
    serve.add_argument("--tls-key", metavar="PEM", default=None, help="serve HTTPS: private key")
    serve.add_argument(
        "--workers", type=int, default=None, metavar="N",
        help="server processes (server.workers); N > 1 needs PostgreSQL",
    )
    serve.set_defaults(handler=_serve)

    admin = subparsers.add_parser("admin", help="hall server administration")
    sub = admin.add_subparsers(dest="admin_command", metavar="ADMIN_COMMAND")
    sub.required = True

    def command(name: str, handler, help_text: str) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help_text)
        _db_args(parser)
        add_json_flag(parser)
        parser.set_defaults(handler=handler)
        return parser

    p = command("enroll-code", _enroll_code, "create a one-time device enrolment code")
    p.add_argument("--role", choices=["kiosk", "counter", "admin"], default="kiosk")
    p.add_argument("--expires", default="24h", help="validity, e.g. 30m, 24h, 7d (default 24h)")
    p = command("import-catalog", _import_catalog, "import the catalog from JSON Lines")
    p.add_argument("file", metavar="FILE")
    p = command("import-services", _import_services, "import queue services from TOML")
    p.add_argument("file", metavar="FILE")
    command("migrate", _migrate, "bring the database schema up to date")
    command("devices", _devices, "list enrolled devices with their last heartbeat")
    p = command("revoke", _revoke, "revoke a device (by id, or every active one of a name)")
    p.add_argument("device", metavar="DEVICE")
    command("load-demo", _load_demo, "load the sample hall (common/defaults/demo) into the database")
    p = command("person", _person, "export or erase one person's data (by holder hash)")
    p.add_argument("action", choices=["export", "erase"])
    p.add_argument("--holder", required=True, metavar="HASH", help="the person's holder hash")
    p.add_argument("--output", metavar="FILE", default=None, help="export: write it to FILE")
    p = command("catalog-schema", _catalog_schema, "print the catalog line JSON Schema")
    p.add_argument("--output", metavar="FILE", default=None, help="write it to FILE instead")

    p = command("report", _report, "the hall manager's report for a period")
    p.add_argument("--from", dest="start", type=date.fromisoformat, default=None,
                   help="first day, YYYY-MM-DD (default: 6 days before --to)")
    p.add_argument("--to", dest="end", type=date.fromisoformat, default=None,
                   help="last day, YYYY-MM-DD (default: today in the hall)")
    p.add_argument("--service", default=None, help="one queue service")
    p.add_argument("--counter", default=None, help="one counter")
    p.add_argument("--format", choices=["table", "csv", "json", "sqlite"], default="table")
    p.add_argument("--table", default="by_day",
                   choices=["by_day", "by_hour", "by_counter", "by_staff", "ratings",
                            "kiosk_use"],
                   help="the table shown as table or csv (json and sqlite carry them all)")
    p.add_argument("--output", metavar="FILE", default=None,
                   help="csv/sqlite: write to FILE (sqlite default: report-FROM-TO.sqlite3)")

    _register_staff(sub)


def _register_staff(sub: argparse._SubParsersAction) -> None:
    staff = sub.add_parser("staff", help="staff accounts for the counter page (clerks, managers)")
    ssub = staff.add_subparsers(dest="staff_command", metavar="ACTION")
    ssub.required = True

    def action(name: str, handler, help_text: str, password: bool = False):
        parser = ssub.add_parser(name, help=help_text)
        _db_args(parser)
        add_json_flag(parser)
        if name != "list":
            parser.add_argument("login", metavar="LOGIN")
        if password:
            parser.add_argument(
                "--password-stdin",
                action="store_true",
                help="read the password from one line of stdin (scripts); default: ask",
            )
        parser.set_defaults(handler=handler)
        return parser

    p = action("add", _staff_add, "add a staff account", password=True)
    p.add_argument("--name", required=True, help="full name (shown on the counter page)")
    p.add_argument("--role", choices=["clerk", "manager", "admin"], default="clerk")
    p.add_argument(
        "--counters",
        default="",
        help="counters this clerk may use, e.g. 01,02,03 (* = every counter; "
        "managers and admins may use every counter)",
    )
    action("passwd", _staff_passwd, "set a new password (ends the account's sign-ins)", True)
    p = action("disable", _staff_disable, "disable an account (ends its sign-ins)")
    p.add_argument("--enable", action="store_true", help="enable it again instead")
    action("list", _staff_list, "list staff accounts")
