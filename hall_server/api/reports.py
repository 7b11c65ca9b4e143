"""Reports for the hall manager as JSON and CSV (the page is hall_server/pages/reports.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from hall_server import report_formats, reports
from hall_server.api.deps import ManagerActor, get_ctx

router = APIRouter(tags=["reports"])
Table = Literal["by_day", "by_hour", "by_counter", "by_staff", "ratings", "kiosk_use"]


def period_of(
    request: Request,
    start: date | None,
    end: date | None,
    service: str | None,
    counter: str | None,
) -> reports.Period:
    """The asked period; by default the last 7 days of the hall's calendar."""
    today = get_ctx(request).today()
    end = end or today
    return reports.Period(start or end - timedelta(days=6), end, service or None, counter or None)


@router.get("/reports")
def report(
    request: Request,
    manager: ManagerActor,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    service: str | None = None,
    counter: str | None = None,
) -> dict:
    """Every table of the report (a manager or an admin); at most 366 days (else 422)."""
    ctx = get_ctx(request)
    period = period_of(request, start, end, service, counter)
    with ctx.database.read() as conn:
        return reports.build(conn, period, ctx.zone)


@router.get("/reports.csv", response_class=Response)
def report_csv(
    request: Request,
    manager: ManagerActor,
    table: Table = "by_day",
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    service: str | None = None,
    counter: str | None = None,
) -> Response:
    """One table as CSV with a UTF-8 BOM (Excel and WPS open it in Chinese)."""
    ctx = get_ctx(request)
    period = period_of(request, start, end, service, counter)
    with ctx.database.read() as conn:
        built = reports.build(conn, period, ctx.zone)
    name = f"report-{table}-{period.start}-{period.end}.csv"
    return Response(
        report_formats.to_csv(built, table),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
