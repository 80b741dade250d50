"""ZoneQA as an MCP server: ``search_documents``, ``ask`` and ``list_documents`` as tools for AI assistants.

One server, two transports: ``zoneqa mcp`` serves it over stdio (an assistant spawns it), and the
API serves it over streamable HTTP at ``/mcp``, behind the same keys (``X-API-Key`` or
``Authorization: Bearer``), rate limit and body limit as every other route. Both are built from the
composition root's parts (:class:`~api.services.pipeline.PipelineHolder` over
:func:`rag.components.build`) and ask through the same generation gate as ``POST /ask``.

Usage::

    server = build_mcp_server(PipelineHolder(settings), gate)
    server.run("stdio")                      # what `zoneqa mcp` does
    mount_mcp(app, app.state.zoneqa)         # what create_app does: POST /mcp
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

from fastapi import FastAPI
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from api.bearer import bearer_token
from api.deps import UNAUTHORIZED_DETAIL, AppState, identify
from api.models import MAX_HISTORY_TURNS, MAX_QUESTION_CHARS, MAX_SOURCES, MAX_TOP_K, SearchHit, document_info
from api.security import RateLimiter
from api.services.answer_text import answer_with_sources
from api.services.gate import GenerationGate
from api.services.pipeline import PipelineHolder
from core.config import GENERATORS, Settings
from core.errors import ZoneQAError
from core.schemas import Answer, ChatTurn, DocumentInfo
from rag.components import Components

logger = logging.getLogger("zoneqa.mcp")

SERVER_NAME = "zoneqa"
MCP_PATH = "/mcp"
INSTRUCTIONS = (
    "ZoneQA answers questions about free trade zones and special economic zones from a fixed library of "
    "documents, with numbered citations to exact sentences and PDF pages. Call `ask` for a checked answer "
    "and quote its citations (document title and page) when you reply; if `answerable` is false, the "
    "documents do not cover the question: say so rather than answering from memory. Call "
    "`search_documents` to read passages yourself and `list_documents` to see what the library holds."
)

SEARCH_DESCRIPTION = (
    "Search ZoneQA's document library (reports and papers on free trade zones and special economic zones) "
    "and return the best-matching passages, each with its document file name (`source`), title, PDF page "
    "and a relevance score. Use it to read the sources yourself; use `ask` instead for a checked, cited "
    "answer. `sources` limits the search to documents named by `list_documents`."
)
ASK_DESCRIPTION = (
    "Answer a question about free trade zones or special economic zones from ZoneQA's documents only. "
    "Returns the answer text with [n] markers and one citation per marker: the exact supporting sentence "
    "(`quote`), its document (`source`, `title`) and PDF `page`. Quote those when you reply. When "
    "`answerable` is false the documents do not answer the question: tell the user instead of guessing. "
    "For a follow-up question pass the earlier turns in `history` (oldest first)."
)
LIST_DESCRIPTION = (
    "List the documents in ZoneQA's library: file name (`source`), title, PDF pages and indexed chunks. "
    "Use the file names in the `sources` argument of `search_documents` and `ask`."
)


# ---- structured results ---------------------------------------------------------------------------
class SearchDocumentsResult(BaseModel):
    """The passages that best match the query, best first."""

    results: list[SearchHit]


class ToolCitation(BaseModel):
    """One numbered source of an answer: the exact sentence that supports it."""

    n: int = Field(..., description="The number used in the answer's [n] markers.")
    source: str = Field(..., description="File name of the document.")
    title: str
    page: int | None = Field(None, description="1-based PDF page of the quote; null for documents without pages.")
    section: str | None = None
    quote: str = Field(..., description="The supporting sentence, verbatim from the document.")


class AskResult(BaseModel):
    """A checked answer with its citations, or a refusal (``answerable`` false, no citations)."""

    answer: str = Field(..., description="The answer with [n] markers (or the refusal sentence).")
    answerable: bool = Field(..., description="False when the documents do not answer the question.")
    citations: list[ToolCitation]
    question_used: str = Field(..., description="The question as searched (follow-ups are made standalone).")
    closest_documents: list[str] = Field(default_factory=list, description="On a refusal: the nearest titles.")


class DocumentsResult(BaseModel):
    documents: list[DocumentInfo]


def ask_result(answer: Answer) -> AskResult:
    return AskResult(
        answer=answer.answer,
        answerable=answer.answerable,
        citations=[
            ToolCitation(
                n=citation.n,
                source=citation.source,
                title=citation.title,
                page=citation.page,
                section=citation.section,
                quote=citation.quote,
            )
            for citation in answer.citations
        ],
        question_used=answer.question_used,
        closest_documents=answer.closest_documents,
    )


# ---- the tools ------------------------------------------------------------------------------------
@contextlib.contextmanager
def _as_tool_errors() -> Iterator[None]:
    """ZoneQA's own errors (index not reachable, LLM queue full, ...) become tool errors the assistant reads."""
    try:
        yield
    except ToolError:
        raise
    except (ZoneQAError, ValueError) as exc:
        raise ToolError(str(exc)) from exc


class ZoneQATools:
    """The three tools over one process's parts; the methods run in worker threads (they block)."""

    def __init__(self, holder: PipelineHolder, gate: GenerationGate) -> None:
        self.holder = holder
        self.gate = gate

    def _parts(self, sources: list[str] | None) -> Components:
        parts = self.holder.parts()
        if sources:
            unknown = parts.catalog.unknown(sources)
            if unknown:
                known = parts.catalog.known_sources()
                raise ToolError(f"Unknown sources {unknown}; the documents are {known} (see list_documents).")
        return parts

    def _guarded(self, work: Any) -> Any:
        try:
            return work()
        except (ZoneQAError, ToolError, ValueError):
            raise
        except Exception:
            self.holder.check_store()  # IndexUnavailableError when Chroma is the culprit
            raise

    def search_documents(
        self,
        query: Annotated[str, Field(min_length=1, max_length=MAX_QUESTION_CHARS, description="What to look for.")],
        top_k: Annotated[
            int | None, Field(ge=1, le=MAX_TOP_K, description="Passages wanted (default: the server's setting, 5).")
        ] = None,
        sources: Annotated[
            list[str] | None,
            Field(max_length=MAX_SOURCES, description="Only search these documents (file names from list_documents)."),
        ] = None,
    ) -> SearchDocumentsResult:
        if not query.strip():
            raise ToolError("The query is empty.")
        with _as_tool_errors():
            parts = self._parts(sources)
            hits = self._guarded(lambda: parts.searcher.search(query, top_k=top_k, sources=sources))
        return SearchDocumentsResult(results=[SearchHit.of(hit) for hit in hits])

    def ask(
        self,
        question: Annotated[
            str, Field(min_length=1, max_length=MAX_QUESTION_CHARS, description="The question, in the user's words.")
        ],
        history: Annotated[
            list[ChatTurn] | None,
            Field(max_length=MAX_HISTORY_TURNS, description="Earlier turns, oldest first, for follow-up questions."),
        ] = None,
        sources: Annotated[
            list[str] | None,
            Field(max_length=MAX_SOURCES, description="Only answer from these documents (names from list_documents)."),
        ] = None,
    ) -> Annotated[CallToolResult, AskResult]:
        if not question.strip():
            raise ToolError("The question is empty.")
        with _as_tool_errors():
            parts = self._parts(sources)
            with self.gate.admit():
                answer = self._guarded(lambda: parts.pipeline.answer(question, history=history, sources=sources))
        return CallToolResult(
            content=[TextContent(type="text", text=answer_with_sources(answer))],
            structured_content=ask_result(answer).model_dump(mode="json"),
        )

    def list_documents(self) -> DocumentsResult:
        with _as_tool_errors():
            records = self._guarded(lambda: self.holder.parts().catalog.documents())
        return DocumentsResult(documents=[document_info(record) for record in records])


@contextlib.contextmanager
def _keep_root_logging() -> Iterator[None]:
    """MCPServer() calls logging.basicConfig; a placeholder handler makes that a no-op for our process."""
    root = logging.getLogger()
    placeholder = logging.NullHandler()
    added = not root.handlers
    if added:
        root.addHandler(placeholder)
    try:
        yield
    finally:
        if added:
            root.removeHandler(placeholder)


def build_mcp_server(holder: PipelineHolder, gate: GenerationGate, *, lifespan: Any = None) -> MCPServer:
    """The MCP server with ZoneQA's three tools over ``holder``'s parts."""
    with _keep_root_logging():
        server: MCPServer = MCPServer(
            name=SERVER_NAME,
            title="ZoneQA",
            description="Cited answers from the free trade zone and special economic zone literature.",
            instructions=INSTRUCTIONS,
            version="1.0.0",
            lifespan=lifespan,
        )
    tools = ZoneQATools(holder, gate)
    read_only = ToolAnnotations(
        read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
    )
    server.add_tool(
        tools.search_documents,
        name="search_documents",
        title="Search the documents",
        description=SEARCH_DESCRIPTION,
        annotations=read_only,
    )
    server.add_tool(
        tools.ask, name="ask", title="Ask a cited question", description=ASK_DESCRIPTION, annotations=read_only
    )
    server.add_tool(
        tools.list_documents,
        name="list_documents",
        title="List the documents",
        description=LIST_DESCRIPTION,
        annotations=read_only,
    )
    return server


def stdio_server(settings: Settings) -> MCPServer:
    """The server ``zoneqa mcp`` runs: its own parts, loaded in the background once serving starts."""
    holder = PipelineHolder(settings)
    gate = GenerationGate(
        enabled=GENERATORS[settings.generator].uses_llm,
        queue=settings.api.generation_queue,
        wait_seconds=settings.api.generation_wait_seconds,
    )

    def warm_up() -> None:
        try:
            holder.get().warm_up()
            if holder.parts().catalog.chunk_count() == 0:
                logger.warning("the index in %s is empty: run `zoneqa ingest` first", settings.data_dir)
        except ZoneQAError as exc:  # the tools report it when called
            logger.warning("ZoneQA is not ready: %s", exc)

    @contextlib.asynccontextmanager
    async def lifespan(_server: MCPServer) -> AsyncIterator[None]:
        # Started once stdout is the wire's: whatever model loading prints cannot corrupt it.
        threading.Thread(target=warm_up, name="zoneqa-mcp-warm-up", daemon=True).start()
        yield

    return build_mcp_server(holder, gate, lifespan=lifespan)


# ---- streamable HTTP on the API -------------------------------------------------------------------
class McpEndpoint:
    """``/mcp`` on the API: keys, rate limit and an Origin check, then the MCP session manager."""

    def __init__(self, state: AppState, server: MCPServer) -> None:
        self.state = state
        # Stateless JSON responses: any API worker can answer any request, nothing to resume.
        # DNS rebinding protection is the Origin check below (browsers send Origin; MCP clients do not).
        server.streamable_http_app(
            stateless_http=True,
            json_response=True,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        self.manager = server.session_manager

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, status: int, detail: str, **headers: str
    ) -> None:
        request_id = str(scope.get("state", {}).get("request_id", ""))
        response = JSONResponse({"detail": detail, "request_id": request_id}, status_code=status, headers=headers)
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin and origin not in self.state.settings.api.cors_origins:
            await self._refuse(
                scope, receive, send, 403, f"Origin {origin!r} is not allowed (ZONEQA_API__CORS_ORIGINS)."
            )
            return
        key = headers.get("x-api-key") or bearer_token(headers.get("authorization"))
        client = scope.get("client")
        caller = identify(self.state.keys, key, client[0] if client else None)
        if caller is None:
            await self._refuse(scope, receive, send, 401, UNAUTHORIZED_DETAIL, **{"WWW-Authenticate": "ApiKey, Bearer"})
            return
        wait = self.state.limiter.acquire(caller.identity)
        if wait > 0:
            limit = self.state.settings.api.rate_limit_per_minute
            retry = {"Retry-After": RateLimiter.retry_after_header(wait)}
            await self._refuse(
                scope, receive, send, 429, f"Rate limit of {limit} requests per minute exceeded.", **retry
            )
            return
        await self.manager.handle_request(scope, receive, send)


def mount_mcp(app: FastAPI, state: AppState, path: str = MCP_PATH) -> McpEndpoint:
    """Serve the MCP server at ``path`` on ``app``; its session manager runs inside the app's lifespan."""
    endpoint = McpEndpoint(state, build_mcp_server(state.pipelines, state.gate))
    app.router.routes.append(Route(path, endpoint=endpoint, methods=["GET", "POST", "DELETE"], include_in_schema=False))
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(running_app: Any) -> AsyncIterator[Any]:
        async with inner(running_app) as value, endpoint.manager.run():
            yield value

    app.router.lifespan_context = lifespan
    return endpoint
