"""好差评 evaluations."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from common.wire import EvaluationCreated, EvaluationRequest
from hall_server import submissions
from hall_server.api.deps import IdempotencyKey, KioskOrCounter, base_url, get_ctx

router = APIRouter(tags=["evaluations"])


@router.post(
    "/evaluations",
    response_model=EvaluationCreated,
    status_code=201,
    responses={200: {"description": "Replay: this Idempotency-Key's evaluation"}},
)
def evaluate(
    body: EvaluationRequest,
    request: Request,
    response: Response,
    device: KioskOrCounter,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    status, created = submissions.submit(
        get_ctx(request), "evaluation", body, device, idempotency_key, base_url(request)
    )
    response.status_code = status
    return created
