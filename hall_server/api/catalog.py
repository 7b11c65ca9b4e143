"""The catalog feed (public data: no credentials needed)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from common.wire import CatalogChanges, CatalogItem
from hall_server import catalog
from hall_server.api.deps import get_ctx
from hall_server.db import Database

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
    return StreamingResponse(_snapshot_lines(database, last, count, after),
                             media_type="application/x-ndjson", headers={"ETag": etag})


def _snapshot_lines(database: Database, last: int, count: int, after: str) -> Iterator[bytes]:
    yield (json.dumps({"cursor": catalog.encode_cursor(last), "count": count}) + "\n").encode()
    digest = hashlib.sha256()
    sent = 0
    while True:
        with database.read() as conn:  # short reads: a long stream holds no transaction
            rows = catalog.snapshot_chunk(conn, last, after)
        if not rows:
            break
        chunk = "".join(f"{r.data}\n" for r in rows).encode()
        digest.update(chunk)
        sent += len(rows)
        after = rows[-1].code
        yield chunk
    yield (json.dumps({"count": sent, "sha256": digest.hexdigest()}) + "\n").encode()
