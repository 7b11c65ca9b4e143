"""好差评 evaluations."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from common.wire import (
    CaseUpdate,
    EvaluationCase,
    EvaluationCases,
    EvaluationCreated,
    EvaluationRequest,
)
from hall_server import evaluations, submissions
from hall_server.api.deps import (
    IdempotencyKey,
    KioskOrCounter,
    ManagerActor,
    base_url,
    get_ctx,
)

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


@router.get("/evaluations/cases", response_model=EvaluationCases)
def cases(
    request: Request,
    manager: ManagerActor,
    state: Annotated[Literal["open", "contacted", "resolved"] | None, Query()] = None,
) -> dict:
    """差评 follow-up cases (回访), open and most urgent first (a manager or an admin)."""
    ctx = get_ctx(request)
    with ctx.database.read() as conn:
        return {"cases": evaluations.list_cases(conn, state, ctx.today())}


@router.patch("/evaluations/cases/{case_id}", response_model=EvaluationCase)
def update_case(case_id: str, body: CaseUpdate, request: Request, manager: ManagerActor) -> dict:
    """Record the follow-up: contacted, resolved (with a note)."""
    ctx = get_ctx(request)
    now = ctx.now()
    with ctx.database.write() as conn:
        return evaluations.update_case(
            conn, case_id, state=body.state, note=body.note, now=now, today=ctx.today(now)
        )
