"""``POST /ask`` (one JSON answer) and ``POST /ask/stream`` (Server-Sent Events)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import aclosing

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import AppState, CatalogDep, JsonBody, KeyDep, PipelineDep, StateDep
from api.errors import JSON_BODY_ERRORS
from api.metrics import ApiMetrics
from api.models import EXAMPLE_LEAD, EXAMPLE_QUOTE, EXAMPLE_TITLE, Answer, AskRequest
from api.routes.common import check_sources, guarded
from api.security import Caller
from api.services.pipeline import PipelineHolder
from api.services.streaming import collect_answer, pump_events, stream_failure
from core.schemas import ChatTurn
from rag.pipeline import RagPipeline, StreamEvent

logger = logging.getLogger("zoneqa.api")
router = APIRouter(tags=["answers"])

_ANSWER_EXAMPLE = {
    "answer": EXAMPLE_QUOTE[:-1] + " [1].",
    "citations": [
        {
            "n": 1,
            "source": "ftz-tenth-anniversary-pei-2024.pdf",
            "title": EXAMPLE_TITLE,
            "page": 5,
            "section": "1. Basic Practice and Main Experiences of China’s FTZs",
            "chunk_id": "5d1c0c3e9a7b4f2e8c6a1b0d9e8f7a6b",
            "quote": EXAMPLE_QUOTE,
            "score": 1.0,
            "passage": EXAMPLE_LEAD + EXAMPLE_QUOTE,
            "quote_start": len(EXAMPLE_LEAD),
            "quote_end": len(EXAMPLE_LEAD) + len(EXAMPLE_QUOTE),
        }
    ],
    "answerable": True,
    "question_used": "Which city hosted the 2016 G20 summit that adopted the G20 Global Investment Principles?",
    "timings_ms": {"condense": 0.0, "retrieve": 35.2, "select": 48.1, "generate": 0.1, "check": 20.3, "total": 104.0},
    "model": "extractive",
    "closest_documents": [],
    "prompt_tokens": None,
    "refusal_reason": None,
}
_SSE_EXAMPLE = (
    'event: sources\ndata: {"sources": [{"n": 1, "source": "ftz-tenth-anniversary-pei-2024.pdf", "page": 5, '
    '"quote": "The 2016 G20 Summit in Hangzhou ...", ...}]}\n\n'
    'event: token\ndata: {"text": "Hangzhou hosted the 2016 G20 summit [1]."}\n\n'
    'event: answer\ndata: {"answer": "Hangzhou hosted the 2016 G20 summit [1].", "citations": [...], ...}\n\n'
)
# One Server-Sent Event (as SSE-aware clients and schemathesis see it): its name and its JSON data.
_SSE_EVENT_SCHEMA = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"type": "string", "enum": ["sources", "token", "answer", "error"]},
        "data": {
            "type": "string",
            "description": 'JSON: sources `{"sources": [...]}`; token `{"text"}`; answer: the POST /ask object; '
            'error `{"detail", "request_id"}`.',
        },
    },
}
_SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


# Stored turns used as the history of a follow-up sent with a conversation id but no history.
STORED_HISTORY_MESSAGES = 6


def _pipeline_events(pipeline: RagPipeline, body: AskRequest, history: list[ChatTurn]) -> Iterator[StreamEvent]:
    return pipeline.stream(body.question, history=history, sources=body.sources, top_k=body.top_k)


def _history(body: AskRequest, caller: Caller, state: AppState) -> list[ChatTurn]:
    if body.history or not body.conversation_id:
        return body.history
    return state.conversations.history(body.conversation_id, caller.identity, STORED_HISTORY_MESSAGES)


def _store_turn(body: AskRequest, caller: Caller, state: AppState, answer: Answer) -> None:
    """Keep the turn in its conversation (when the request names one): a reload shows it again."""
    if not body.conversation_id:
        return
    turn_id = body.turn_id or uuid.uuid4().hex
    if not state.conversations.put(body.conversation_id, turn_id, body.question, answer, caller.identity):
        logger.warning("conversation %s belongs to another caller: turn not stored", body.conversation_id)


@router.post(
    "/ask",
    response_model=Answer,
    summary="Answer a question with numbered citations",
    dependencies=[JsonBody],
    responses={200: {"content": {"application/json": {"example": _ANSWER_EXAMPLE}}}, **JSON_BODY_ERRORS},
)
def ask(body: AskRequest, caller: KeyDep, state: StateDep, pipeline: PipelineDep, catalog: CatalogDep) -> Answer:
    """Retrieve, select evidence, generate and verify. A refusal is a 200 with `answerable: false`."""
    check_sources(catalog, body.sources)

    history = _history(body, caller, state)
    with state.gate.admit():
        answer, pieces = guarded(state.pipelines, lambda: collect_answer(_pipeline_events(pipeline, body, history)))
    state.metrics.observe_answer(answer.answerable, pieces)
    _store_turn(body, caller, state, answer)
    return answer


def _sse(event: str, data: str) -> str:
    return f"event: {event}\ndata: {data}\n\n"


async def _stream_events(
    request: Request,
    iterator: Iterator[StreamEvent],
    release: Callable[[], None],
    holder: PipelineHolder,
    metrics: ApiMetrics,
    on_answer: Callable[[Answer], None] = lambda answer: None,
) -> AsyncIterator[str]:
    request_id = str(getattr(request.state, "request_id", ""))
    pieces = 0
    try:
        async with aclosing(pump_events(request, iterator, release)) as events:
            async for event in events:
                if event.kind == "sources":
                    payload = {"sources": [source.model_dump() for source in event.sources]}
                    yield _sse("sources", json.dumps(payload, ensure_ascii=False))
                elif event.kind == "token":
                    pieces += 1
                    yield _sse("token", json.dumps({"text": event.text}))
                elif event.answer is not None:
                    metrics.observe_answer(event.answer.answerable, pieces)
                    # Stored before it is sent: a client that drops now finds it on reload.
                    await run_in_threadpool(on_answer, event.answer)
                    yield _sse("answer", event.answer.model_dump_json())
    except Exception as exc:  # noqa: BLE001 - reported to the client as an error event
        logger.exception("stream failed (request %s)", request_id)
        _status, detail = await run_in_threadpool(stream_failure, exc, holder)
        yield _sse("error", json.dumps({"detail": detail, "request_id": request_id}))


@router.post(
    "/ask/stream",
    response_class=StreamingResponse,
    summary="Answer a question as a Server-Sent Events stream",
    dependencies=[JsonBody],
    responses={
        200: {
            "description": 'One `sources` event (`{"sources": [{n, source, title, page, section, chunk_id, '
            "quote}]}`: the passages chosen for reading, sent as soon as retrieval ends, before the first token; "
            'absent when ZoneQA refuses before generating), then `token` events (`{"text"}`), then one `answer` '
            'event (the /ask JSON) or one `error` event (`{"detail", "request_id"}`).',
            "content": {"text/event-stream": {"schema": _SSE_EVENT_SCHEMA, "example": _SSE_EXAMPLE}},
        },
        **JSON_BODY_ERRORS,
    },
)
async def ask_stream(
    request: Request,
    body: AskRequest,
    caller: KeyDep,
    state: StateDep,
    pipeline: PipelineDep,
    catalog: CatalogDep,
) -> StreamingResponse:
    """The same answer as POST /ask, streamed. Streamed text is provisional: the `answer` event is
    the verified answer (unsupported sentences removed), which is what to show in the end.
    Closing the connection stops the generation."""
    await run_in_threadpool(check_sources, catalog, body.sources)
    history = await run_in_threadpool(_history, body, caller, state)
    ticket = await run_in_threadpool(state.gate.acquire)
    iterator = _pipeline_events(pipeline, body, history)
    return StreamingResponse(
        _stream_events(
            request,
            iterator,
            ticket.release,
            state.pipelines,
            state.metrics,
            on_answer=lambda answer: _store_turn(body, caller, state, answer),
        ),
        media_type="text/event-stream",
        headers=_SSE_HEADERS,
    )
