"""The FastAPI application.

Usage::

    uvicorn api.main:create_app --factory --host 127.0.0.1 --port 8000
    uvicorn api.main:app                     # the same, settings from the environment
    app = create_app(Settings(data_dir=Path("/tmp/data")))   # in Python
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from api.bearer import BearerAsApiKey
from api.deps import AppState
from api.errors import install_error_handlers
from api.mcp_server import mount_mcp
from api.metrics import ApiMetrics
from api.middleware import REQUEST_ID_HEADER, BodyLimits, RequestContextMiddleware
from api.openai_errors import OpenAIErrorShape, chat_request_error
from api.routes import ask, conversations, documents, feedback, health, openai_v1, pages, search
from api.security import AuthGate, KeyRing, RateLimiter
from api.services.chat_completions import ChatRequestError
from api.services.conversations import CONVERSATIONS_DB_NAME, ConversationStore
from api.services.documents import DocumentService
from api.services.feedback import FEEDBACK_DB_NAME, FeedbackStore
from api.services.gate import GenerationGate
from api.services.pages import PageService
from api.services.pipeline import PipelineHolder
from core.config import GENERATORS, Settings, get_settings
from core.errors import GeneratorUnavailableError, IndexUnavailableError, ZoneQAError

logger = logging.getLogger("zoneqa.api")

API_TITLE = "ZoneQA API"
API_DESCRIPTION = """
Question answering over the free trade zone and special economic zone literature, with numbered
citations to exact passages and PDF pages.

* **Answers**: `POST /ask` returns one JSON answer; `POST /ask/stream` streams it as Server-Sent
  Events (`token` events, then one `answer` or `error` event). Closing the connection stops the
  generation.
* **Search**: `POST /search` is retrieval only, for integrators who run their own generator.
* **Documents**: list, upload (admin) and delete (admin) the indexed documents.
* **Feedback**: rate answers; maintainers export the ratings (admin).
* **OpenAI-compatible**: `GET /v1/models` and `POST /v1/chat/completions` (plain or streamed) for any
  OpenAI client (`base_url=.../v1`); the reply's text lists its sources, `citations` has them as data.
* **MCP**: `POST /mcp` serves the tools `search_documents`, `ask` and `list_documents` over streamable
  HTTP (`zoneqa mcp` serves the same over stdio).

**Keys.** When the server has keys configured (`ZONEQA_API_KEYS`, `ZONEQA_ADMIN_KEYS`), every route
but `/healthz` needs an `X-API-Key` header (or `Authorization: Bearer <key>`); document changes and
the feedback export need an admin key. **Limits.** Requests are rate limited per key (or client IP
without keys): 429 with `Retry-After`. **Errors** are JSON `{detail, request_id}`; every response
carries `X-Request-ID`.
**Concurrency.** A local LLM is serialised, with a bounded queue: when the queue is full `/ask`
answers 503 with `Retry-After`.
"""
OPENAPI_TAGS = [
    {"name": "answers", "description": "Cited answers, as one JSON object or as a stream."},
    {"name": "search", "description": "Retrieval only."},
    {"name": "documents", "description": "The indexed documents, their original files and PDF page images."},
    {"name": "conversations", "description": "Conversations stored server-side (by `conversation_id` on /ask)."},
    {"name": "feedback", "description": "Ratings of answers."},
    {"name": "operations", "description": "Health, readiness and metrics."},
    {"name": "openai", "description": "OpenAI-compatible chat completions: errors carry OpenAI's `error` object."},
]


def build_state(settings: Settings) -> AppState:
    pipelines = PipelineHolder(settings)
    documents = DocumentService(settings, pipelines)
    return AppState(
        settings=settings,
        pipelines=pipelines,
        gate=GenerationGate(
            enabled=GENERATORS[settings.generator].uses_llm,
            queue=settings.api.generation_queue,
            wait_seconds=settings.api.generation_wait_seconds,
        ),
        keys=KeyRing(settings.api_keys, settings.admin_keys),
        limiter=RateLimiter(settings.api.rate_limit_per_minute),
        feedback=FeedbackStore(settings.data_dir / FEEDBACK_DB_NAME),
        documents=documents,
        metrics=ApiMetrics(),
        conversations=ConversationStore(
            settings.data_dir / CONVERSATIONS_DB_NAME, settings.api.conversation_retention_days
        ),
        pages=PageService(documents),
    )


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    state: AppState = app.state.zoneqa
    try:
        # Load models and open the index now, so the first question does not pay for it.
        await run_in_threadpool(state.pipelines.get)
    except GeneratorUnavailableError as exc:
        logger.error("starting without a generator (/readyz says why): %s", exc)
    except IndexUnavailableError as exc:
        logger.warning("starting without an index (will retry on requests): %s", exc)
    except ZoneQAError as exc:
        logger.error("starting without a pipeline (/readyz says why): %s", exc)
    else:
        # In the background: it waits for the ingest lock, which a running `zoneqa ingest` holds.
        threading.Thread(target=_recover, args=(state,), name="zoneqa-recover", daemon=True).start()
    yield


def _recover(state: AppState) -> None:
    """Clean up after a crash mid-ingest (chunks written without their document record)."""
    try:
        state.documents.recover()
    except Exception:  # noqa: BLE001 - best effort: the next ingest run cleans up too
        logger.warning("crash recovery failed; the next ingest will clean up", exc_info=True)


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new application (own state, metrics and pipeline) for ``settings`` (default: the environment)."""
    settings = settings or get_settings()
    app = FastAPI(
        title=API_TITLE,
        description=API_DESCRIPTION,
        version="1.0.0",
        openapi_tags=OPENAPI_TAGS,
        lifespan=_lifespan,
    )
    app.state.zoneqa = build_state(settings)
    install_error_handlers(app)
    for module in (ask, search, documents, pages, conversations, feedback, health, openai_v1):
        app.include_router(module.router)
    app.add_exception_handler(ChatRequestError, chat_request_error)
    mount_mcp(app, app.state.zoneqa)  # POST /mcp: the MCP server over streamable HTTP
    if settings.api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Content-Type", "X-API-Key", "Authorization", REQUEST_ID_HEADER],
            expose_headers=[REQUEST_ID_HEADER, "Retry-After"],
        )
    # Added last, so it is the outermost: it sees (and ids) every response, CORS ones included,
    # and checks the key before anything reads the body.
    state: AppState = app.state.zoneqa
    app.add_middleware(
        RequestContextMiddleware,
        metrics=state.metrics,
        limits=BodyLimits(
            settings.api.max_body_bytes,
            settings.api.max_upload_bytes,
            settings.api.max_headers,
            settings.api.max_header_bytes,
        ),
        gate=AuthGate(state.keys, RateLimiter(settings.api.auth_failures_per_minute)),
    )
    # Outside it: a Bearer token counts as X-API-Key everywhere, and /v1 errors get OpenAI's `error` object.
    app.add_middleware(BearerAsApiKey)
    app.add_middleware(OpenAIErrorShape)
    install_access_log_redaction()
    return app


class RedactQueryStrings(logging.Filter):
    """Keeps query strings out of uvicorn's access log: a key sent as ``?api_key=...`` must not be
    written to disk. The path stays; the query becomes ``?[redacted]``."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            path = args[2].split("?", 1)[0]
            record.args = (*args[:2], f"{path}?[redacted]", *args[3:])
        return True


def install_access_log_redaction() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(existing, RedactQueryStrings) for existing in access.filters):
        access.addFilter(RedactQueryStrings())


_app: FastAPI | None = None


def __getattr__(name: str) -> Any:
    """``api.main.app`` is built on first access, so importing this module stays cheap."""
    global _app
    if name == "app":
        if _app is None:
            _app = create_app()
        return _app
    raise AttributeError(name)
