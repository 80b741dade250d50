"""OpenAI-style errors under ``/v1``: ``{"error": {"message", "type", "code", "param"}, "detail", "request_id"}``.

Every error of the API is ``{detail, request_id}`` (``api/errors.py``); OpenAI's clients read
``error.message`` instead. Under ``/v1`` this outermost ASGI layer adds the ``error`` object to every
JSON error response, whoever wrote it (a route, a dependency, the body limit, the 500 fallback), so
the two shapes never drift apart. Other paths pass through untouched.

Usage::

    app.add_exception_handler(ChatRequestError, chat_request_error)
    app.add_middleware(OpenAIErrorShape)        # after RequestContextMiddleware: outermost
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import request_id
from api.services.chat_completions import ChatRequestError, error_object, param_of

OPENAI_PREFIX = "/v1"


async def chat_request_error(request: Request, exc: Exception) -> JSONResponse:
    """A request the OpenAI-compatible API refuses (400 for unsupported parameters, 404 unknown model)."""
    assert isinstance(exc, ChatRequestError)
    body = {
        "error": error_object(exc.status, exc.message, code=exc.code, param=exc.param),
        "detail": exc.message,
        "request_id": request_id(request),
    }
    return JSONResponse(body, status_code=exc.status)


def reshape(status: int, body: bytes) -> bytes:
    """An API error body with OpenAI's ``error`` object added (unchanged when it has one already)."""
    try:
        data: Any = json.loads(body)
    except ValueError:
        data = {"detail": body.decode(errors="replace").strip() or f"HTTP {status}"}
    if not isinstance(data, dict):
        data = {"detail": str(data)}
    if isinstance(data.get("error"), dict):
        return body
    detail = data.get("detail")
    message = detail if isinstance(detail, str) else json.dumps(detail)
    errors = data.get("errors")
    param = param_of(errors) if isinstance(errors, list) else None
    reshaped = {"error": error_object(status, message, param=param), **data, "detail": message}
    reshaped.setdefault("request_id", "")
    return json.dumps(reshaped).encode()


class OpenAIErrorShape:
    """Adds OpenAI's ``error`` object to JSON error responses under ``/v1`` (streams pass through)."""

    def __init__(self, app: ASGIApp, prefix: str = OPENAI_PREFIX) -> None:
        self.app = app
        self.prefix = prefix

    def _applies(self, scope: Scope) -> bool:
        path = str(scope.get("path", ""))
        return scope["type"] == "http" and (path == self.prefix or path.startswith(self.prefix + "/"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._applies(scope):
            await self.app(scope, receive, send)
            return
        held: Message | None = None
        parts: list[bytes] = []

        async def reshaping_send(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                content_type = MutableHeaders(raw=list(message.get("headers", []))).get("content-type", "")
                if int(message["status"]) >= 400 and content_type.startswith("application/json"):
                    held = message  # wait for the body, then send both
                    return
            elif message["type"] == "http.response.body" and held is not None:
                parts.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = reshape(int(held["status"]), b"".join(parts))
                headers = MutableHeaders(raw=list(held.get("headers", [])))
                headers["content-length"] = str(len(body))
                start, held = {**held, "headers": headers.raw}, None
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, reshaping_send)
