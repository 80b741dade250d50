"""OpenAI-compatible routes: ``GET /v1/models`` and ``POST /v1/chat/completions`` (plain and streamed).

Any OpenAI client (the ``openai`` SDK with ``base_url=.../v1``, chat UIs, LangChain's ``ChatOpenAI``)
gets ZoneQA's checked answers, with the sources written under the answer and, as structured data,
in ``citations``. Same keys (``X-API-Key`` or ``Authorization: Bearer``), rate limit, body limit and
generation queue as ``POST /ask``; errors carry OpenAI's ``error`` object (``api/openai_errors.py``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import aclosing
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import CatalogDep, JsonBody, KeyDep, PipelineDep, SettingsDep, StateDep
from api.errors import Responses, error_doc
from api.openai_models import (
    CHAT_COMPLETION_EXAMPLE,
    MODEL_ID,
    ChatCompletion,
    ChatCompletionRequest,
    ModelCard,
    ModelList,
    OpenAIErrorResponse,
)
from api.routes.common import check_sources, guarded
from api.services.chat_completions import (
    ChatRequestError,
    check_supported,
    content_chunks,
    conversation,
    error_object,
    new_completion_id,
    role_chunk,
    sse_data,
    to_completion,
)
from api.services.streaming import collect_answer, pump_events, stream_failure
from core.config import Settings
from core.schemas import Answer, ChatTurn
from rag.pipeline import RagPipeline, StreamEvent

logger = logging.getLogger("zoneqa.api")
router = APIRouter(prefix="/v1", tags=["openai"])

# A stream sends a comment line at least this often while the answer is generated, so proxies keep it open.
KEEPALIVE_SECONDS = 5.0
_STARTED = int(time.time())
_SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def _error(description: str) -> dict[str, Any]:
    return error_doc(description, OpenAIErrorResponse)


V1_AUTH_ERRORS: Responses = {
    401: _error("Missing or unknown key (X-API-Key or Authorization: Bearer; only when keys are configured)."),
    429: _error("Too many requests for this key (or client IP); see the Retry-After header."),
    503: _error("The index is not reachable yet, or the LLM queue is full; see the Retry-After header."),
}
V1_BODY_ERRORS: Responses = {
    400: _error("An unsupported parameter (tools, n>1, logprobs...), or messages ZoneQA cannot answer from."),
    404: _error("Unknown model id (see GET /v1/models)."),
    413: _error("The request body is larger than the configured limit."),
    415: _error("The body must be application/json."),
    422: _error("The body does not match the schema (the error's `param` names the field)."),
    **V1_AUTH_ERRORS,
}

_SSE_CHUNK_SCHEMA = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "event": {"type": "string", "enum": ["message"]},
        "data": {
            "type": "string",
            "description": "JSON `chat.completion.chunk` objects, the last with `finish_reason` stop, "
            "`delta.citations` and `zoneqa` (the Answer); then `[DONE]`. A failure mid-stream is one "
            '`{"error": {...}}` object.',
        },
    },
}
_SSE_EXAMPLE = (
    'data: {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1735689600, "model": "zoneqa", '
    '"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]}\n\n'
    'data: {"id": "chatcmpl-1", ..., "choices": [{"index": 0, "delta": {"content": "The 2016 G20 Summit "}, '
    '"finish_reason": null}]}\n\n'
    'data: {"id": "chatcmpl-1", ..., "choices": [{"index": 0, "delta": {"citations": [...]}, '
    '"finish_reason": "stop"}], "zoneqa": {"answer": "...", "answerable": true, ...}}\n\n'
    "data: [DONE]\n\n"
)


def model_cards(settings: Settings) -> list[ModelCard]:
    """One model id per configured generator: ``zoneqa``, served by the server's generator."""
    return [ModelCard(id=MODEL_ID, created=_STARTED, generator=settings.generator)]


def _find_model(settings: Settings, model: str) -> ModelCard:
    for card in model_cards(settings):
        if card.id == model:
            return card
    known = ", ".join(card.id for card in model_cards(settings))
    raise ChatRequestError(
        f"The model {model!r} does not exist; this server has: {known}.",
        status=404,
        code="model_not_found",
        param="model",
    )


@router.get(
    "/models", response_model=ModelList, summary="List the models (OpenAI-compatible)", responses=V1_AUTH_ERRORS
)
def list_models(caller: KeyDep, settings: SettingsDep) -> ModelList:
    return ModelList(data=model_cards(settings))


@router.get(
    "/models/{model}",
    response_model=ModelCard,
    summary="Describe one model (OpenAI-compatible)",
    responses={**V1_AUTH_ERRORS, 404: V1_BODY_ERRORS[404]},
)
def get_model(model: str, caller: KeyDep, settings: SettingsDep) -> ModelCard:
    return _find_model(settings, model)


def _events(pipeline: RagPipeline, question: str, history: list[ChatTurn], body: ChatCompletionRequest) -> Any:
    return pipeline.stream(question, history=history, sources=body.sources, top_k=body.top_k)


async def _chunks(
    request: Request,
    events: Iterator[StreamEvent],
    release: Callable[[], None],
    state: Any,
    meta: dict[str, Any],
    include_usage: bool,
) -> AsyncIterator[str]:
    request_id = str(getattr(request.state, "request_id", ""))
    pieces = 0
    final: Answer | None = None
    try:
        yield sse_data(role_chunk(**meta))
        last_sent = time.monotonic()
        async with aclosing(pump_events(request, events, release)) as stream:
            async for event in stream:
                if event.kind == "token":
                    pieces += 1
                    if time.monotonic() - last_sent >= KEEPALIVE_SECONDS:
                        last_sent = time.monotonic()
                        yield ": keep-alive\n\n"
                elif event.answer is not None:
                    final = event.answer
        if final is None:
            if await request.is_disconnected():
                return
            raise RuntimeError("the pipeline ended without an answer")
        state.metrics.observe_answer(final.answerable, pieces)
        # The text is sent once it is checked, so the stream holds exactly what a plain reply holds.
        for chunk in content_chunks(final, pieces=pieces, include_usage=include_usage, **meta):
            yield sse_data(chunk)
        yield sse_data("[DONE]")
    except Exception as exc:  # noqa: BLE001 - reported to the client as an error chunk
        logger.exception("chat completion stream failed (request %s)", request_id)
        status, detail = await run_in_threadpool(stream_failure, exc, state.pipelines)
        yield sse_data({"error": error_object(status, detail), "detail": detail, "request_id": request_id})
        yield sse_data("[DONE]")


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    summary="Answer the conversation's last question (OpenAI-compatible)",
    dependencies=[JsonBody],
    responses={
        200: {
            "description": "`stream` false: one `chat.completion`. `stream` true: `chat.completion.chunk` events "
            "ending in `data: [DONE]`. Either way the content is the checked answer, then its sources.",
            "content": {
                "application/json": {"example": CHAT_COMPLETION_EXAMPLE},
                "text/event-stream": {"schema": _SSE_CHUNK_SCHEMA, "example": _SSE_EXAMPLE},
            },
        },
        **V1_BODY_ERRORS,
    },
)
async def chat_completions(
    request: Request,
    body: ChatCompletionRequest,
    caller: KeyDep,
    state: StateDep,
    pipeline: PipelineDep,
    catalog: CatalogDep,
) -> Any:
    """The last message is the question; the earlier user and assistant messages are the conversation
    (a follow-up is made standalone from them). The reply's `content` is the checked answer with its
    [n] markers, then a numbered source list (title, page, quoted sentence); `message.citations` has
    the same sources as data. When the documents do not answer, the reply says so (no citations).

    Streamed replies are sent once the answer is checked (the first chunk, the role, comes at once),
    so the reassembled stream is exactly the plain reply's content."""
    check_supported(body)
    card = _find_model(state.settings, body.model)
    question, history = conversation(body.messages)
    await run_in_threadpool(check_sources, catalog, body.sources)
    meta: dict[str, Any] = {"model": card.id, "completion_id": new_completion_id(), "created": int(time.time())}

    if not body.stream:

        def work() -> tuple[Answer, int]:
            with state.gate.admit():
                return guarded(state.pipelines, lambda: collect_answer(_events(pipeline, question, history, body)))

        answer, pieces = await run_in_threadpool(work)
        state.metrics.observe_answer(answer.answerable, pieces)
        return to_completion(answer, pieces=pieces, **meta)

    ticket = await run_in_threadpool(state.gate.acquire)
    events = _events(pipeline, question, history, body)
    include_usage = bool((body.stream_options or {}).get("include_usage"))
    return StreamingResponse(
        _chunks(request, events, ticket.release, state, meta, include_usage),
        media_type="text/event-stream",
        headers=_SSE_HEADERS,
    )
