"""Run the pipeline's blocking event iterator under an async response, for every streamed route.

``/ask/stream`` (SSE) and ``/v1/chat/completions`` (OpenAI chunks) differ only in what they write
for each event. The parts they share live here: each step runs in a worker thread, a client that
went away stops the generation, and the LLM stream is closed and the queue slot released whatever
happens (shielded, so a cancelled response still frees the slot).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable, Iterator

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from api.errors import index_unavailable_detail
from api.services.pipeline import PipelineHolder
from core.errors import GeneratorError, IndexUnavailableError
from core.schemas import Answer
from rag.pipeline import StreamEvent

logger = logging.getLogger("zoneqa.api")


def collect_answer(events: Iterator[StreamEvent]) -> tuple[Answer, int]:
    """Drain a pipeline stream: the final answer and how many text pieces were generated."""
    final: Answer | None = None
    pieces = 0
    for event in events:
        if event.kind == "token":
            pieces += 1
        elif event.answer is not None:
            final = event.answer
    if final is None:
        raise RuntimeError("the pipeline ended without an answer")
    return final, pieces


async def pump_events(
    request: Request, events: Iterator[StreamEvent], release: Callable[[], None]
) -> AsyncGenerator[StreamEvent, None]:
    """Yield the pipeline's events one by one until it ends or the client goes away.

    Use it as ``async with contextlib.aclosing(pump_events(...)) as stream``, so the ``finally``
    below runs as soon as the response stops, not when the generator is garbage-collected.
    """
    request_id = str(getattr(request.state, "request_id", ""))
    try:
        while True:
            if await request.is_disconnected():
                logger.info("client went away: generation stopped (request %s)", request_id)
                return
            # Each step (retrieval, one LLM token) blocks, so it runs in a worker thread.
            event = await run_in_threadpool(next, events, None)
            if event is None:
                return
            yield event
    finally:
        # Closing the pipeline's generator closes the LLM stream: the generation stops here.
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(getattr(events, "close", lambda: None))
            release()


def stream_failure(exc: Exception, holder: PipelineHolder) -> tuple[int, str]:
    """The status and message a stream that failed half-way reports to its client."""
    if isinstance(exc, GeneratorError):
        return 503, f"The answer generator failed: {exc}"
    try:
        holder.check_store()
    except IndexUnavailableError as unavailable:
        return 503, index_unavailable_detail(str(unavailable))
    except Exception:  # noqa: BLE001 - the original error is what matters
        pass
    return 500, "internal error"
