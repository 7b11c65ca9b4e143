"""The ticket's public status page (`url` in the ticket, printed as a QR code).

Shows the number, the service, people ahead and the status — never personal data. Refreshes
itself every 20 seconds.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from hall_server import queue
from hall_server.api.deps import base_url, get_ctx

router = APIRouter(tags=["public"])

STATUS_TEXT = {
    "waiting": ("等候中", "Waiting"),
    "called": ("请到窗口办理", "Please go to the counter"),
    "serving": ("正在办理", "Being served"),
    "served": ("已办理", "Served"),
    "no_show": ("已过号", "Missed (no-show)"),
    "held": ("暂停办理，请在窗口等候", "On hold at the counter"),
    "cancelled": ("已取消", "Cancelled"),
    "expired": ("已过期", "Expired"),
}

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="20">
<title>{number} · {hall}</title>
<style>body{{font-family:sans-serif;text-align:center;margin:2em;color:#222}}
.n{{font-size:4em;font-weight:bold;margin:.2em}}.s{{font-size:1.4em}}
.a{{font-size:1.6em;margin:1em}}small{{color:#666}}</style></head>
<body><div>{hall}</div><div class="n">{number}</div><div class="s">{service}</div>
<div class="a">{status_zh}{counter}<br><small>{status_en}</small></div>
<div>前面还有 <b>{ahead}</b> 人 <small>({ahead} ahead)</small></div>
<p><small>更新于 / as of {as_of}</small></p></body></html>
"""


@router.get("/t/{ticket_id}", response_class=HTMLResponse, include_in_schema=True)
def ticket_page(ticket_id: str, request: Request) -> HTMLResponse:
    ctx = get_ctx(request)
    with ctx.database.read() as conn:
        ticket = queue.get_ticket(
            conn,
            ticket_id,
            today=ctx.today(),
            base_url=base_url(request),
            priority_run=ctx.settings.queue.priority_run,
        )
    zh, en = STATUS_TEXT.get(ticket["status"], (ticket["status"], ticket["status"]))
    counter = f" · {escape(ticket['counter'])}号窗口" if ticket.get("counter") else ""
    local = ctx.now().astimezone(ctx.zone).strftime("%H:%M:%S")
    return HTMLResponse(
        PAGE.format(
            hall=escape(ctx.settings.hall.name),
            number=escape(ticket["number"]),
            service=escape(ticket["service_name"]),
            status_zh=zh,
            status_en=en,
            counter=counter,
            ahead=ticket["people_ahead"],
            as_of=local,
        )
    )
