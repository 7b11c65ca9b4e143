"""The catalog feed (public data: no credentials needed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from common.wire import CatalogChanges, CatalogItem
from hall_server import catalog
from hall_server.api.deps import get_ctx

router = APIRouter(tags=["catalog"])


@router.get("/catalog/changes", response_model=CatalogChanges)
def changes(
    request: Request,
    since: Annotated[str | None, Query(description="cursor from the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=catalog.MAX_LIMIT)] = catalog.DEFAULT_LIMIT,
) -> Response:
    """Items changed after `since` in the server's change order, tombstones in `deleted`.
    Page on with the returned `cursor` while `more` is true; keep the last cursor."""
    with get_ctx(request).database.read() as conn:
        body = catalog.changes_json(conn, since, limit)
    return Response(body, media_type="application/json")


@router.get("/catalog/items/{code}", response_model=CatalogItem)
def item(code: str, request: Request) -> Response:
    with get_ctx(request).database.read() as conn:
        body = catalog.item_json(conn, code)
    return Response(body, media_type="application/json")
