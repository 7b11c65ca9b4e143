"""The `/admin/devices` page: every kiosk's last heartbeat, what is stale, faulty or out of
paper, and who asked for staff. Plain server-rendered HTML that refreshes itself; every
value is escaped (device names and messages come from kiosks)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="30">
<title>终端状态 · Devices · {hall}</title>
<style>body{{font-family:sans-serif;margin:1.5em;color:#222}}
table{{border-collapse:collapse;width:100%}}th,td{{border-bottom:1px solid #ddd;padding:.4em;
text-align:left;vertical-align:top}}th{{background:#f4f4f4}}.fault{{color:#b00020;font-weight:bold}}
.warn{{color:#a15c00}}.stale{{color:#777;font-style:italic}}.ok{{color:#1b7f3b}}
.call{{background:#fff3c4}}small{{color:#666}}</style></head>
<body><h1>{hall} · 终端状态 <small>Devices</small></h1>
{notices}<p>{summary}</p>
<table><tr><th>终端 Name</th><th>位置 Location</th><th>状态 State</th><th>最后心跳 Last heartbeat</th>
<th>版本 Version</th><th>待发 Outbox</th><th>磁盘 Disk</th><th>问题 Problems</th></tr>
{rows}
</table>
<p><small>更新于 / as of {now} · JSON: <code>GET /api/v1/fleet</code></small></p></body></html>
"""


def _state(row: dict[str, Any]) -> tuple[str, str]:
    if row["revoked_at"]:
        return "stale", "已吊销 revoked"
    if row["call_staff"]:
        return "fault", "呼叫工作人员 call staff"
    if row["heartbeat_at"] is None:
        return "stale", "无心跳 no heartbeat"
    if row["stale"]:
        return "stale", "失联 stale"
    if row["paper_out"]:
        return "fault", "缺纸 paper out"
    if row["faults"]:
        return "fault", "故障 fault"
    if row["warnings"]:
        return "warn", "注意 warning"
    return "ok", "正常 ok"


def _row(row: dict[str, Any]) -> str:
    css, label = _state(row)
    beat = row["heartbeat"] or {}
    outbox = beat.get("outbox") or {}
    problems = [f'<div class="fault">{escape(p)}</div>' for p in row["faults"]]
    problems += [f'<div class="warn">{escape(p)}</div>' for p in row["warnings"]]
    problems += [
        f'<div class="call">呼叫 {escape(c.get("at", "")[:19])} {escape(c.get("reason", ""))}</div>'
        for c in row["call_staff"]
    ]
    disk = beat.get("disk_free_mb")
    cells = [
        f"{escape(row['name'])}<br><small>{escape(row['role'])} {escape(row['tag'] or '')}</small>",
        escape(row["location"] or ""),
        f'<span class="{css}">{label}</span>',
        escape((row["heartbeat_at"] or "-")[:19]),
        escape(str(beat.get("version", "-"))),
        f"{outbox.get('pending', '-')}"
        + (f" / 拒 {outbox['refused']}" if outbox.get("refused") else ""),
        f"{disk:.0f} MB" if isinstance(disk, int | float) else "-",
        "".join(problems),
    ]
    row_css = ' class="call"' if row["call_staff"] else ""
    return f"<tr{row_css}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def render(
    rows: list[dict[str, Any]], *, hall: str, now: datetime, notices: Sequence[str] = ()
) -> str:
    """`notices`: hall-wide warnings shown above the table (e.g. unknown public holidays)."""
    kiosks = [r for r in rows if r["role"] == "kiosk" and not r["revoked_at"]]
    summary = (
        f"{len(kiosks)} 台终端 kiosks · "
        f"{sum(1 for r in kiosks if r['stale'])} 失联 stale · "
        f"{sum(1 for r in kiosks if r['faults'])} 故障 faulty · "
        f"{sum(1 for r in kiosks if r['paper_out'])} 缺纸 out of paper · "
        f"{sum(1 for r in kiosks if r['call_staff'])} 呼叫 call staff"
    )
    order = sorted(
        rows, key=lambda r: (r["revoked_at"] is not None, r["role"] != "kiosk", r["name"])
    )
    return PAGE.format(
        hall=escape(hall),
        summary=escape(summary),
        rows="\n".join(_row(r) for r in order),
        notices="".join(f'<p class="warn call">{escape(n)}</p>' for n in notices),
        now=escape(now.isoformat(timespec="seconds")),
    )
