"""The hall manager's report page `/admin/reports` and its CSV downloads (a manager's or an
admin's browser sign-in; a clerk is refused). The figures are hall_server/reports.py's; the
charts are SVG drawn here; a print view comes from the stylesheet."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from common.errors import AUTH_FORBIDDEN, AUTH_MISSING, KioskError
from hall_server import evaluations, report_formats, reports
from hall_server.api.deps import get_ctx
from hall_server.api.reports import period_of
from hall_server.api.staff_auth import optional_staff
from hall_server.openapi import errors
from hall_server.pages import STATIC_PREFIX, templates
from hall_server.schema import hall_counters, queue_services

router = APIRouter(tags=["pages"])

TOTALS = (
    ("taken", "取号 taken"),
    ("served", "办结 served"),
    ("no_show", "过号 no-show"),
    ("transferred", "转移 transferred"),
    ("cancelled", "作废 cancelled"),
    ("expired", "过期 expired"),
    ("wait_p50_s", "等候中位 wait p50 (s)"),
    ("service_p50_s", "办理中位 service p50 (s)"),
)
TITLES = {
    "by_day": "按日 By day",
    "by_hour": "按时段 By hour",
    "by_counter": "按窗口 By counter",
    "by_staff": "按工作人员 By staff",
    "ratings": "好差评 Ratings",
    "kiosk_use": "终端使用 Kiosk use by function",
}
SIGN_IN_PAGES = errors(AUTH_MISSING, AUTH_FORBIDDEN)  # _manager's sign-in and refusal pages
From = Annotated[date | None, Query(alias="from")]
To = Annotated[date | None, Query(alias="to")]


def _manager(request: Request) -> tuple[object | None, HTMLResponse | None]:
    """(session, None) for a manager or admin; else (None, the page to show instead)."""
    session = optional_staff(request)
    ctx = get_ctx(request)
    if session is None:
        html = templates.get_template("signin.html").render(
            t=_signin_strings(), lang="zh", errors={}, other_lang_url="/admin/reports",
            hall=ctx.settings.hall.name, static=STATIC_PREFIX, version=ctx.version,
            login="", error=None, next=str(request.url.path) + "?" + str(request.url.query),
        )
        return None, HTMLResponse(html, status_code=401)
    if session.staff.role not in ("manager", "admin"):
        return None, HTMLResponse("<p>需要值班长或管理员登录 · A manager's sign-in is needed</p>",
                                  status_code=403)
    return session, None


def _signin_strings() -> dict:
    from hall_server.pages.i18n import STRINGS

    return STRINGS["zh"]


@router.get("/admin/reports", response_class=HTMLResponse, responses=SIGN_IN_PAGES)
def reports_page(
    request: Request,
    start: From = None,
    end: To = None,
    service: str | None = None,
    counter: str | None = None,
) -> HTMLResponse:
    session, refusal = _manager(request)
    if refusal is not None:
        return refusal
    ctx = get_ctx(request)
    period = period_of(request, start, end, service, counter)
    error = None
    with ctx.database.read() as conn:
        try:
            built = reports.build(conn, period, ctx.zone)
        except KioskError as exc:
            error = f"{exc.code} · {exc.error.zh} ({exc.detail})"
            period = period_of(request, None, None, None, None)
            built = reports.build(conn, period, ctx.zone)
        services = conn.execute(
            select(queue_services.c.code, queue_services.c.name).order_by(queue_services.c.sort)
        ).all()
        counters = conn.execute(
            select(hall_counters.c.code, hall_counters.c.name).order_by(hall_counters.c.sort)
        ).all()
        cases = [
            c for c in evaluations.list_cases(conn, None, ctx.today()) if c["state"] != "resolved"
        ]
    base = {"from": built["from"], "to": built["to"], "service": built["service"] or "",
            "counter": built["counter"] or ""}
    tables = []
    for name in reports.TABLES:
        rows = [dict(r) for r in built[name]]
        for r in rows:
            if isinstance(r.get("reasons"), dict):
                r["reasons"] = "、".join(f"{k}×{v}" for k, v in r["reasons"].items())
        if name == "by_hour":
            rows = [r for r in rows if any(r[k] for k in ("taken", "served", "no_show"))]
        tables.append({
            "title": TITLES[name],
            "rows": rows,
            "columns": list(rows[0]) if rows else [],
            "query": urlencode({**base, "table": name}),
        })
    html = templates.get_template("reports.html").render(
        hall=ctx.settings.hall.name,
        static=STATIC_PREFIX,
        version=ctx.version,
        report=built,
        staff_name=session.staff.name,
        services=services,
        counters=counters,
        error=error,
        totals_labels=TOTALS,
        chart_days=report_formats.bar_chart(
            built["by_day"], label="date", value="taken", title="每日取号 Tickets per day"
        ),
        chart_hours=report_formats.bar_chart(
            [r for r in built["by_hour"] if 7 <= r["hour"] <= 19],
            label="hour", value="taken", title="各时段取号 Tickets by hour",
        ),
        tables=tables,
        headers=report_formats.HEADERS,
        cases=cases,
        made=ctx.now().astimezone(ctx.zone).strftime("%Y-%m-%d %H:%M"),
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.get("/admin/reports.csv", response_class=Response, responses=SIGN_IN_PAGES)
def reports_csv(
    request: Request,
    table: str = "by_day",
    start: From = None,
    end: To = None,
    service: str | None = None,
    counter: str | None = None,
) -> Response:
    _, refusal = _manager(request)
    if refusal is not None:
        return refusal
    ctx = get_ctx(request)
    period = period_of(request, start, end, service, counter)
    with ctx.database.read() as conn:
        built = reports.build(conn, period, ctx.zone)
    if table not in reports.TABLES:
        table = "by_day"
    name = f"report-{table}-{period.start}-{period.end}.csv"
    return Response(
        report_formats.to_csv(built, table),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
