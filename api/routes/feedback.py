"""``POST /feedback`` (anyone with a read key) and ``GET /feedback/export`` (admin key)."""

from __future__ import annotations

from typing import Literal, cast

from fastapi import APIRouter

from api.deps import AdminDep, JsonBody, KeyDep, StateDep
from api.errors import FORBIDDEN, JSON_BODY_ERRORS, RATE_LIMITED, UNAUTHORIZED
from api.models import FeedbackCreated, FeedbackExport, FeedbackItem, FeedbackRequest

router = APIRouter(prefix="/feedback", tags=["feedback"])


@router.post(
    "",
    status_code=201,
    response_model=FeedbackCreated,
    summary="Rate an answer",
    dependencies=[JsonBody],
    responses=JSON_BODY_ERRORS,
)
def add_feedback(body: FeedbackRequest, caller: KeyDep, state: StateDep) -> FeedbackCreated:
    """Stored durably in SQLite under the data dir (it survives restarts and is shared by workers)."""
    feedback_id = state.feedback.add(body.question, body.answer, body.rating, body.comment)
    return FeedbackCreated(id=feedback_id)


@router.get(
    "/export",
    response_model=FeedbackExport,
    summary="Export all feedback (admin key)",
    responses={**UNAUTHORIZED, **FORBIDDEN, **RATE_LIMITED},
)
def export_feedback(caller: AdminDep, state: StateDep) -> FeedbackExport:
    return FeedbackExport(
        feedback=[
            FeedbackItem(
                id=row.id,
                question=row.question,
                answer=row.answer,
                rating=cast(Literal["up", "down"], row.rating),
                comment=row.comment,
                created_at=row.created_at,
            )
            for row in state.feedback.all()
        ]
    )
