"""A small typed HTTP client for the ZoneQA API, used by the Streamlit chat.

The UI talks to ZoneQA only through the HTTP API; every failure becomes one of a few friendly
exceptions (``ApiUnavailable``, ``ApiTimeout``, ``RateLimited``, ``ApiError``) so the page can show a
message and a retry button instead of a traceback.

Usage::

    from ui.client import ApiClient
    client = ApiClient("http://127.0.0.1:8000", api_key="secret")
    result = client.ask("Which city hosted the 2016 G20 summit?")
    print(result.answer, [c.page for c in result.citations])
    for item in client.ask_stream("How many pilot free trade zones has China established?"):
        if isinstance(item, str):
            print(item, end="")          # a streamed text piece
        else:
            print(item.answer)           # the final, verified AskResult
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import httpx
from httpx_sse import SSEError, connect_sse
from pydantic import BaseModel, ValidationError

from core.schemas import (
    Answer,
    ChatTurn,
    Citation,
    Conversation,
    DocumentInfo,
    PageView,
    Source,
    UploadedDocument,
)

# Why these values: a cached extractive answer takes well under a second, a local LLM on a laptop
# CPU can need most of a minute; status calls must never make the sidebar hang.
CONNECT_TIMEOUT_SECONDS = 5.0
ANSWER_TIMEOUT_SECONDS = 120.0
STATUS_TIMEOUT_SECONDS = 5.0
UPLOAD_TIMEOUT_SECONDS = 300.0
API_KEY_HEADER = "X-API-Key"
STREAM_DROPPED_MESSAGE = "The connection dropped before the answer was complete."
# Fallback wait when a 429 carries no usable Retry-After header.
DEFAULT_RETRY_AFTER_SECONDS = 5.0


class ApiClientError(Exception):
    """Base of every error the client raises; ``str(error)`` is a message fit for a delegate."""


class ApiUnavailable(ApiClientError):
    """The API cannot be reached, or says it is not ready (503)."""


class ApiTimeout(ApiClientError):
    """The API took too long to answer."""


class RateLimited(ApiClientError):
    """Too many requests (429); ``retry_after`` is the number of seconds to wait."""

    def __init__(self, retry_after: float, message: str | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message or f"Too many questions at once. Please wait {retry_after:.0f} s and retry.")


class StreamInterrupted(ApiClientError):
    """The answer stream broke off after it had started (the connection dropped, the API stopped)."""


class ApiError(ApiClientError):
    """Any other error answer from the API (bad request, missing permission, server error)."""

    def __init__(self, detail: str, status_code: int | None = None, request_id: str | None = None) -> None:
        self.detail = detail
        self.status_code = status_code
        self.request_id = request_id
        super().__init__(detail)

    @property
    def forbidden(self) -> bool:
        """True when the key is missing, wrong, or not allowed to do this (401/403)."""
        return self.status_code in (401, 403)


#: The API's wire models (one contract for server and client), under the names the page uses.
CitationResult = Citation
AskResult = Answer
UploadResult = UploadedDocument
ChatMessage = ChatTurn


class ReadyStatus(BaseModel):
    """Readiness of the API: ``ready`` false carries the reason in ``detail``."""

    ready: bool
    documents: int | None = None
    chunks: int | None = None
    generator: str | None = None
    detail: str = ""


class SourcesFound(BaseModel):
    """The passages ZoneQA is about to read (the stream's ``sources`` event, before the first token)."""

    sources: list[Source]


ModelT = TypeVar("ModelT", bound=BaseModel)
StreamItem = str | SourcesFound | AskResult


def _detail_of(response: httpx.Response) -> tuple[str, str | None]:
    """The API's ``{detail, request_id}`` error body, tolerating non-JSON bodies."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        text = response.text.strip()
        return (text[:300] or response.reason_phrase or f"HTTP {response.status_code}"), None
    if isinstance(body, dict):
        detail = body.get("detail", "")
        if not isinstance(detail, str):
            # FastAPI validation errors are a list of problems: keep their messages only.
            detail = "; ".join(str(item.get("msg", item)) if isinstance(item, dict) else str(item)
                               for item in (detail if isinstance(detail, list) else [detail]))
        return detail or f"HTTP {response.status_code}", body.get("request_id")
    return f"HTTP {response.status_code}", None


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("Retry-After", "")
    try:
        return max(float(value), 0.0)
    except ValueError:
        return DEFAULT_RETRY_AFTER_SECONDS


def raise_for_api_error(response: httpx.Response) -> None:
    """Turn an error response into the matching friendly exception (no-op for 2xx)."""
    if response.is_success:
        return
    detail, request_id = _detail_of(response)
    if response.status_code == 429:
        raise RateLimited(_retry_after(response))
    if response.status_code == 503:
        raise ApiUnavailable(f"ZoneQA is busy or not ready yet ({detail}). Please retry in a moment.")
    if response.status_code in (401, 403):
        raise ApiError(f"Not allowed: {detail}", response.status_code, request_id)
    raise ApiError(detail, response.status_code, request_id)


class ApiClient:
    """Typed access to the ZoneQA HTTP API.

    Usage::

        client = ApiClient("http://127.0.0.1:8000")
        client.documents()        # [DocumentInfo(source="...pdf", ...), ...]
        client.ready().ready      # True
    """

    def __init__(
        self,
        base_url: str,
        api_key: str = "",
        *,
        transport: httpx.BaseTransport | None = None,
        answer_timeout: float = ANSWER_TIMEOUT_SECONDS,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {API_KEY_HEADER: api_key} if api_key else {}
        self._answer_timeout = httpx.Timeout(answer_timeout, connect=CONNECT_TIMEOUT_SECONDS)
        self._status_timeout = httpx.Timeout(STATUS_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)
        self._http = httpx.Client(base_url=self.base_url, headers=headers, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- plumbing -------------------------------------------------------------------------------

    def _request(self, method: str, path: str, timeout: httpx.Timeout, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, timeout=timeout, **kwargs)
        except httpx.TimeoutException as exc:
            raise ApiTimeout("ZoneQA took too long to answer. Please retry.") from exc
        except httpx.TransportError as exc:
            raise ApiUnavailable(f"Cannot reach the ZoneQA API at {self.base_url}. Is it running?") from exc
        raise_for_api_error(response)
        return response

    @staticmethod
    def _parse(model: type[ModelT], data: Any) -> ModelT:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise ApiError(f"Unexpected answer from the API: {exc.errors()[0].get('msg', exc)}") from exc

    @staticmethod
    def _ask_body(
        question: str,
        history: Sequence[ChatMessage | dict[str, str]] | None,
        sources: Sequence[str] | None,
        top_k: int | None,
        conversation_id: str | None = None,
        turn_id: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"question": question}
        if conversation_id:
            body["conversation_id"] = conversation_id
            if turn_id:
                body["turn_id"] = turn_id
        if history:
            body["history"] = [
                turn.model_dump() if isinstance(turn, ChatMessage) else ChatMessage(**turn).model_dump()
                for turn in history
            ]
        if sources:
            body["sources"] = list(sources)
        if top_k is not None:
            body["top_k"] = top_k
        return body

    # -- endpoints ------------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        history: Sequence[ChatMessage | dict[str, str]] | None = None,
        sources: Sequence[str] | None = None,
        top_k: int | None = None,
    ) -> AskResult:
        """``POST /ask``: the whole answer at once."""
        body = self._ask_body(question, history, sources, top_k)
        response = self._request("POST", "/ask", self._answer_timeout, json=body)
        return self._parse(AskResult, response.json())

    def ask_stream(
        self,
        question: str,
        history: Sequence[ChatMessage | dict[str, str]] | None = None,
        sources: Sequence[str] | None = None,
        top_k: int | None = None,
        *,
        conversation_id: str | None = None,
        turn_id: str | None = None,
    ) -> Iterator[StreamItem]:
        """``POST /ask/stream``: yields the passages about to be read (``SourcesFound``), text pieces
        (``str``) as generated, then the final ``AskResult``.

        The final answer is verified after generation and may differ from the streamed text:
        show it in place of the streamed text. A stream that breaks off after it started raises
        :class:`StreamInterrupted`. With ``conversation_id`` the API stores the turn under ``turn_id``.
        """
        body = self._ask_body(question, history, sources, top_k, conversation_id, turn_id)
        final: AskResult | None = None
        started = False
        try:
            with connect_sse(
                self._http, "POST", "/ask/stream", json=body, timeout=self._answer_timeout
            ) as event_source:
                response = event_source.response
                if not response.is_success:
                    response.read()
                    raise_for_api_error(response)
                started = True
                for event in event_source.iter_sse():
                    data = json.loads(event.data) if event.data else {}
                    if event.event == "sources":
                        yield self._parse(SourcesFound, data)
                    elif event.event == "token":
                        text = data.get("text", "")
                        if text:
                            yield text
                    elif event.event == "answer":
                        final = self._parse(AskResult, data)
                    elif event.event == "error":
                        raise ApiError(
                            str(data.get("detail", "The answer could not be generated.")),
                            request_id=data.get("request_id"),
                        )
        except httpx.TimeoutException as exc:
            raise ApiTimeout("ZoneQA took too long to answer. Please retry.") from exc
        except httpx.TransportError as exc:
            if started:
                raise StreamInterrupted(STREAM_DROPPED_MESSAGE) from exc
            raise ApiUnavailable(f"Cannot reach the ZoneQA API at {self.base_url}. Is it running?") from exc
        except (SSEError, json.JSONDecodeError) as exc:
            raise ApiError(f"Unexpected answer stream from the API: {exc}") from exc
        if final is None:
            raise StreamInterrupted(STREAM_DROPPED_MESSAGE)
        yield final

    def conversation(self, conversation_id: str) -> Conversation:
        """``GET /conversations/{id}``: the stored turns (none for a new id)."""
        response = self._request("GET", f"/conversations/{quote(conversation_id, safe='')}", self._status_timeout)
        return self._parse(Conversation, response.json())

    def page_view(self, source: str, page: int, quote_text: str = "") -> PageView:
        """``GET /documents/{source}/pages/{page}``: the page's size and where ``quote_text`` sits on it."""
        params = {"quote": quote_text} if quote_text else None
        response = self._request(
            "GET", f"/documents/{quote(source, safe='')}/pages/{page}", self._answer_timeout, params=params
        )
        return self._parse(PageView, response.json())

    def page_image(self, source: str, page: int, width: int = 1000) -> bytes:
        """``GET /documents/{source}/pages/{page}/image``: the page as a PNG."""
        path = f"/documents/{quote(source, safe='')}/pages/{page}/image"
        return self._request("GET", path, self._answer_timeout, params={"width": width}).content

    def document_file(self, source: str) -> bytes:
        """``GET /documents/{source}/file``: the original document."""
        timeout = httpx.Timeout(UPLOAD_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)
        return self._request("GET", f"/documents/{quote(source, safe='')}/file", timeout).content

    def documents(self) -> list[DocumentInfo]:
        """``GET /documents``: the documents in the index."""
        response = self._request("GET", "/documents", self._status_timeout)
        items = response.json().get("documents", [])
        return [self._parse(DocumentInfo, item) for item in items]

    def upload(self, filename: str, content: bytes, content_type: str | None = None) -> UploadResult:
        """``POST /documents`` (admin key): ingest one file."""
        files = {"file": (filename, content, content_type or "application/octet-stream")}
        timeout = httpx.Timeout(UPLOAD_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)
        response = self._request("POST", "/documents", timeout, files=files)
        return self._parse(UploadResult, response.json())

    def delete(self, source: str) -> None:
        """``DELETE /documents/{source}`` (admin key)."""
        self._request("DELETE", f"/documents/{quote(source, safe='')}", self._answer_timeout)

    def feedback(self, question: str, answer: str, rating: Literal["up", "down"], comment: str = "") -> str:
        """``POST /feedback``: returns the id of the stored feedback."""
        body: dict[str, Any] = {"question": question, "answer": answer, "rating": rating}
        if comment.strip():
            body["comment"] = comment.strip()
        response = self._request("POST", "/feedback", self._status_timeout, json=body)
        return str(response.json().get("id", ""))

    def health(self) -> bool:
        """``GET /healthz``: True when the process is up."""
        self._request("GET", "/healthz", self._status_timeout)
        return True

    def ready(self) -> ReadyStatus:
        """``GET /readyz``: never raises for 'not ready'; raises ApiUnavailable when unreachable."""
        try:
            response = self._http.get("/readyz", timeout=self._status_timeout)
        except httpx.TimeoutException as exc:
            raise ApiTimeout("The API did not answer its status check in time.") from exc
        except httpx.TransportError as exc:
            raise ApiUnavailable(f"Cannot reach the ZoneQA API at {self.base_url}. Is it running?") from exc
        if response.status_code == 503:
            return ReadyStatus(ready=False, detail=_detail_of(response)[0])
        raise_for_api_error(response)
        data = response.json()
        return ReadyStatus(
            ready=data.get("status") == "ready",
            documents=data.get("documents"),
            chunks=data.get("chunks"),
            generator=data.get("generator"),
        )
