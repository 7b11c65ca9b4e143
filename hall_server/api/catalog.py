"""The catalog feed (public data: no credentials needed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse

from common.errors import CATALOG_STORE_LAYOUT, CATALOG_STORE_NOT_READY, KioskError
from common.wire import CatalogChanges, CatalogItem
from hall_server import catalog, catalog_store
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


@router.get(
    "/catalog/snapshot",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}},
                     "description": "head line, one item a line, trailer line"},
               304: {"description": "unchanged since the ETag given in If-None-Match"}},
)
def snapshot(
    request: Request,
    upto: Annotated[str | None, Query(description="resume: the head's cursor")] = None,
    after: Annotated[str, Query(max_length=64, description="resume: the last code stored")] = "",
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The whole live catalog for a kiosk's first sync, as JSON Lines: a head
    `{"cursor", "count"}`, one item a line in code order, then `{"count", "sha256"}` — the
    SHA-256 of the item lines (each with its newline). Continue with `/catalog/changes?since=`
    the head's cursor. A cut snapshot resumes with `upto` (that cursor) and `after` (the last
    code stored). The ETag names the feed position and count."""
    database = get_ctx(request).database
    with database.read() as conn:
        last, count = catalog.snapshot_head(conn, upto, after)
    etag = catalog.snapshot_etag(last, count, after)
    if if_none_match == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return StreamingResponse(catalog.snapshot_lines(database, last, count, after),
                             media_type="application/x-ndjson", headers={"ETag": etag})


@router.get(
    "/catalog/store",
    response_class=FileResponse,
    responses={200: {"content": {"application/vnd.sqlite3": {}},
                     "description": "the catalog part of a kiosk store, built by the server"},
               404: {"description": "none built for this server yet (one is being built)"},
               409: {"description": "built in another layout than `layout`"}},
)
def store(
    request: Request,
    layout: Annotated[int, Query(ge=1, description="the kiosk store's layout version")],
) -> Response:
    """A fresh kiosk's catalog as a SQLite file it copies into its store: item documents
    compressed, the search index built, at the catalog version `X-Catalog-Cursor` (continue
    with `/catalog/changes?since=` it). The ETag is the file's SHA-256: the kiosk checks it.
    404 while none is built (one is then started), 409 when the server's kiosk code builds
    another layout; the kiosk loads `/catalog/snapshot` instead. Range requests resume."""
    stores = catalog_store.of(get_ctx(request))
    built = stores.wanted() if stores else None
    if stores is None or built is None:
        raise KioskError(CATALOG_STORE_NOT_READY, f"layout {layout}")
    if built.layout != layout:
        raise KioskError(CATALOG_STORE_LAYOUT, f"built {built.layout}, asked {layout}")
    return FileResponse(stores.path(built), media_type="application/vnd.sqlite3",
                        headers={"ETag": f'"{built.sha256}"', "X-Catalog-Cursor": built.cursor,
                                 "Cache-Control": "no-cache"})
