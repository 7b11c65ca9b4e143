"""Batch push of queued submissions (the kiosk outbox)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from common.wire import SyncPushRequest, SyncPushResponse
from hall_server import submissions
from hall_server.api.deps import AnyDevice, base_url, get_ctx

router = APIRouter(tags=["sync"])


@router.post("/sync/push", response_model=SyncPushResponse)
def push(body: SyncPushRequest, request: Request, device: AnyDevice) -> dict:
    """Up to 500 records, each with its own key and result (201 created, 200 replayed, 4xx
    refused with an error body). One transaction, one savepoint per record."""
    results = submissions.push(get_ctx(request), body.records, device, base_url(request))
    return {"results": results}
