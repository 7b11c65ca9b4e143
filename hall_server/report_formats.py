"""A report (hall_server/reports.py) as a terminal table, CSV, JSON, SQLite, or an SVG chart.

CSV starts with a UTF-8 BOM so Excel and WPS open the Chinese headers correctly. SQLite writes
every table of the report into one file with sqlite-utils (ready for any SQLite tool or
Datasette); it is imported only here, by the server side and the CLI, never by the kiosk.
"""

from __future__ import annotations

import csv
import io
import json
from html import escape
from pathlib import Path
from typing import Any

from hall_server.reports import TABLES

# column → header (zh / en) for the CSV and table outputs
HEADERS = {
    "date": "日期 date",
    "hour": "时段 hour",
    "taken": "取号 taken",
    "served": "办结 served",
    "no_show": "过号 no-show",
    "transferred": "转移 transferred",
    "cancelled": "作废 cancelled",
    "expired": "过期 expired",
    "wait_p50_s": "等候中位秒 wait p50 s",
    "wait_p90_s": "等候P90秒 wait p90 s",
    "wait_max_s": "最长等候秒 wait max s",
    "service_p50_s": "办理中位秒 service p50 s",
    "service_p90_s": "办理P90秒 service p90 s",
    "counter": "窗口 counter",
    "name": "名称 name",
    "active_s": "工作时长秒 active s",
    "staff": "工作人员 staff",
    "by": "维度 by",
    "key": "对象 key",
    "ratings": "评价数 ratings",
    "mean_level": "平均分 mean level",
    "bad": "差评 bad",
    "reasons": "原因 reasons",
    "kiosk": "终端 kiosk",
    "device": "终端编号 device",
    "tickets": "取号 tickets",
    "guide_views": "办事指南 guide views",
    "form_submissions": "表单提交 form submissions",
    "progress_queries": "进度查询 progress queries",
}


def _rows(report: dict[str, Any], table: str) -> list[dict[str, Any]]:
    if table not in TABLES:
        raise ValueError(f"table must be one of {', '.join(TABLES)}")
    return [
        {k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v for k, v in r.items()}
        for r in report[table]
    ]


def to_csv(report: dict[str, Any], table: str = "by_day") -> str:
    rows = _rows(report, table)
    out = io.StringIO()
    out.write("\ufeff")
    if rows:
        columns = list(rows[0])
        writer = csv.writer(out)
        writer.writerow([HEADERS.get(c, c) for c in columns])
        writer.writerows([[("" if r[c] is None else r[c]) for c in columns] for r in rows])
    return out.getvalue()


def to_table(report: dict[str, Any], table: str = "by_day") -> str:
    rows = _rows(report, table)
    if not rows:
        return "(nothing in this period)"
    columns = list(rows[0])
    cells = [[str("-" if r[c] is None else r[c]) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)


def to_sqlite(report: dict[str, Any], path: Path) -> list[str]:
    """Every table of the report into one SQLite file (replaced); returns the table names."""
    import sqlite_utils

    path.unlink(missing_ok=True)
    db = sqlite_utils.Database(path)
    meta = {k: report[k] for k in ("from", "to", "service", "counter", "timezone")}
    db["report"].insert(meta)
    written = ["report"]
    for table in TABLES:
        rows = _rows(report, table)
        if rows:
            db[table].insert_all(rows)
            written.append(table)
    db.close()
    path.chmod(0o600)
    return written


def bar_chart(
    rows: list[dict[str, Any]], *, label: str, value: str, title: str, width: int = 720
) -> str:
    """A plain SVG bar chart drawn on the server (no script, no external asset)."""
    height, top, bottom, left = 220, 28, 28, 36
    values = [int(r[value] or 0) for r in rows]
    peak = max(values, default=0) or 1
    step = (width - left) / max(len(rows), 1)
    bars = []
    for i, (row, v) in enumerate(zip(rows, values, strict=True)):
        h = (height - top - bottom) * v / peak
        x = left + i * step
        y = height - bottom - h
        bars.append(
            f'<rect x="{x + 2:.1f}" y="{y:.1f}" width="{max(step - 4, 1):.1f}" height="{h:.1f}" '
            f'fill="#1f5fa8"><title>{escape(str(row[label]))}: {v}</title></rect>'
        )
        if len(rows) <= 31 or i % 2 == 0:
            bars.append(
                f'<text x="{x + step / 2:.1f}" y="{height - 10}" font-size="11" '
                f'text-anchor="middle">{escape(str(row[label]))[-5:]}</text>'
            )
        if v:
            bars.append(
                f'<text x="{x + step / 2:.1f}" y="{y - 3:.1f}" font-size="11" '
                f'text-anchor="middle">{v}</text>'
            )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}"><text x="{left}" y="16" font-size="14" '
        f'font-weight="bold">{escape(title)}</text>'
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
        f'stroke="#888"/>{"".join(bars)}</svg>'
    )
