"""Kiosk-side commands: sync, search, ticket, progress, outbox, config (`provision` lives in
ops_cmds.py with the other technician commands)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from kiosk.cli import Human, add_json_flag


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sync", help="push the outbox and pull catalog and services now")
    add_json_flag(p)
    p.set_defaults(handler=_sync)

    p = sub.add_parser("search", help="search the local guide catalog")
    p.add_argument("query", nargs="?", default=None)
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--department")
    p.add_argument("--life-event")
    p.add_argument("--stdin", action="store_true", help="one query per input line")
    add_json_flag(p)
    p.set_defaults(handler=_search)

    p = sub.add_parser("ticket", help="queue tickets")
    tsub = p.add_subparsers(dest="ticket_cmd", metavar="ACTION")
    tsub.required = True
    t = tsub.add_parser("take", help="take a ticket for a service")
    t.add_argument("service", help="queue service code")
    t.add_argument("--print", dest="print_slip", action="store_true", help="print the slip")
    t.add_argument("--priority", choices=["elderly", "disabled", "pregnant", "military", "other"])
    t.add_argument("--appointment")
    add_json_flag(t)
    t.set_defaults(handler=_ticket_take)
    t = tsub.add_parser("services", help="list queue services (local copy)")
    add_json_flag(t)
    t.set_defaults(handler=_ticket_services)

    p = sub.add_parser("progress", help="application progress by number")
    p.add_argument("number")
    add_json_flag(p)
    p.set_defaults(handler=_progress)

    p = sub.add_parser("outbox", help="submissions waiting, sent or refused")
    osub = p.add_subparsers(dest="outbox_cmd", metavar="ACTION")
    osub.required = True
    o = osub.add_parser("list")
    o.add_argument("--all", action="store_true",
                   help="include sent records and settled refusals (answered on screen or "
                        "acknowledged)")
    add_json_flag(o)
    o.set_defaults(handler=_outbox_list)
    o = osub.add_parser("ack", help="acknowledge refused records (a technician has seen them)")
    o.add_argument("keys", nargs="*", metavar="KEY", help="record keys (see `outbox list`)")
    o.add_argument("--all", action="store_true", help="every open refusal")
    add_json_flag(o)
    o.set_defaults(handler=_outbox_ack)
    o = osub.add_parser("resume", help="resume a paused outbox after re-enrolment")
    add_json_flag(o)
    o.set_defaults(handler=_outbox_resume)

    p = sub.add_parser("config", help="configuration")
    csub = p.add_subparsers(dest="config_cmd", metavar="ACTION")
    csub.required = True
    c = csub.add_parser("check", help="validate the configuration and print it")
    add_json_flag(c)
    c.set_defaults(handler=_config_check)
    c = csub.add_parser("spec", help="every setting with its environment variable")
    add_json_flag(c)
    c.set_defaults(handler=_config_spec)


def _core():
    from kiosk.core import KioskCore

    return KioskCore.open()


def _sync(args: argparse.Namespace) -> Human:
    from kiosk.cli.progress import progress_bar

    core = _core()
    try:
        with progress_bar("同步事项目录 catalog", as_json=args.json) as on_progress:
            result = core.sync_once(on_progress=on_progress).to_json()
    finally:
        core.close()
    text = (f"pushed {result['pushed']}, pulled {result['pulled']}, pending {result['pending']}, "
            f"refused {result['refused']}, network {result['state']}")
    if result.get("paused"):
        text += f" — outbox PAUSED ({result['paused']}): re-enrol this kiosk"
    return Human(text, result)


def _search_one(core: Any, query: str, args: argparse.Namespace) -> dict[str, Any]:
    results = core.search(query, limit=args.limit, department=args.department,
                          life_event=args.life_event)
    return {"query": query, "results": [r.to_json() for r in results]}


def _search(args: argparse.Namespace) -> Human | None:
    from common.errors import USAGE, KioskError

    core = _core()
    try:
        if args.stdin:
            for line in sys.stdin:
                query = line.rstrip("\n")
                print(json.dumps(_search_one(core, query, args), ensure_ascii=False), flush=True)
            return None
        if args.query is None:
            raise KioskError(USAGE, "give a QUERY or --stdin")
        data = _search_one(core, args.query, args)
    finally:
        core.close()
    lines = [f"{r['code']}  {r['title']}  [{r['department']}]" for r in data["results"]]
    return Human("\n".join(lines) or "no results", data)


def _ticket_take(args: argparse.Namespace) -> Human:
    core = _core()
    try:
        ticket = core.take_ticket(args.service, priority=args.priority,
                                  appointment=args.appointment, print_slip=args.print_slip)
        core.ticket_shown(ticket.id)  # printed below for whoever asked: handed over
    finally:
        core.close()
    data = ticket.to_json()
    text = (f"{ticket.number}  {ticket.service_name}  people ahead: {ticket.people_ahead}"
            + ("  (issued offline)" if ticket.offline else "")
            + ("  printed" if ticket.printed else "")
            + (f"  NOT printed: {ticket.print_error}" if ticket.print_error else ""))
    return Human(text, data)


def _ticket_services(args: argparse.Namespace) -> Human:
    core = _core()
    try:
        services = core.list_services()
    finally:
        core.close()
    data = {"services": [s.__dict__ for s in services]}
    lines = [f"{s.code}  {s.prefix}  {s.name}  waiting {s.waiting}{'' if s.open else '  closed'}"
             for s in services]
    return Human("\n".join(lines) or "no services (run `kiosk sync`)", data)


def _progress(args: argparse.Namespace) -> Human:
    core = _core()
    try:
        view = core.progress(args.number)
    finally:
        core.close()
    data = view.to_json()
    lines = [f"{view.number}  {view.item_title or view.item}  {view.status_label}"]
    lines += [f"  {h['at'][:16]}  {h['status']}  {h.get('note', '')}" for h in view.history]
    if view.promised_by:
        lines.append(f"  promised by {view.promised_by} ({view.deadline_state})")
    return Human("\n".join(lines), data)


def _outbox_list(args: argparse.Namespace) -> Human:
    core = _core()
    try:
        states = ("pending", "sending", "sent", "refused") if args.all else (
            "pending", "sending", "refused")
        records = core.outbox.list(states, settled=args.all)
        counts = core.outbox.counts()
        paused = core.outbox.paused()
    finally:
        core.close()
    data = {"records": records, "counts": counts, "paused": paused}
    lines = [f"{r['created_at'][:19]}  {r['kind']:<11} {r['state']:<8} {r['key']}"
             + (f"  {r['error_code']}" if r["error_code"] else "") for r in records]
    lines.append(" ".join(f"{k}={v}" for k, v in counts.items())
                 + (f"  PAUSED ({paused})" if paused else ""))
    return Human("\n".join(lines), data)


def _outbox_ack(args: argparse.Namespace) -> Human:
    from common.errors import USAGE, KioskError

    if bool(args.keys) == bool(args.all):
        raise KioskError(USAGE, "name record keys or --all")
    core = _core()
    try:
        count = core.outbox.acknowledge(None if args.all else list(args.keys))
    finally:
        core.close()
    return Human(f"{count} refused record(s) acknowledged", {"acknowledged": count})


def _outbox_resume(args: argparse.Namespace) -> Human:
    core = _core()
    try:
        core.resume_outbox()
    finally:
        core.close()
    return Human("outbox resumed", {"resumed": True})


def _config_check(args: argparse.Namespace) -> Human:
    from common.redact import redact_mapping
    from common.settings import load_settings

    data = redact_mapping(load_settings().model_dump())
    return Human(json.dumps(data, ensure_ascii=False, indent=2), data)


def _config_spec(args: argparse.Namespace) -> Human:
    from common.settings import describe_spec

    rows = describe_spec()
    return Human("\n".join(f"{r['key']:<32} {r['env']:<36} {r['help']}" for r in rows),
                 {"settings": rows})
