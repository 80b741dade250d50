"""The outermost layer of every request: request id, body size limit, metrics, last-resort errors.

It is plain ASGI (not ``BaseHTTPMiddleware``) so that streamed answers pass through unbuffered.

Usage::

    app.add_middleware(RequestContextMiddleware, metrics=metrics, limits=BodyLimits(65536, 20 << 20))
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.jsonguard import json_problem
from api.metrics import UNMATCHED_ROUTE, ApiMetrics
from api.security import AuthGate

logger = logging.getLogger("zoneqa.api")

REQUEST_ID_HEADER = "X-Request-ID"
# Incoming ids are echoed only when harmless in logs and headers.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Multipart framing around an uploaded file (boundaries, part headers) on top of the file itself.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
UPLOAD_ROUTES = {("POST", "/documents")}


_REDIRECTS = {301, 302, 303, 307, 308}
_BODY_METHODS = {"POST", "PUT", "PATCH"}


def describe_bytes(size: int) -> str:
    """``20 MiB (20,971,520 bytes)``: the configured figure, as an operator wrote it."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit} ({size:,} bytes)"
    return f"{size:,} bytes"


@dataclass(frozen=True)
class BodyLimits:
    json_bytes: int
    upload_bytes: int
    max_headers: int = 100
    max_header_bytes: int = 16 * 1024

    def is_upload(self, method: str, path: str) -> bool:
        return (method, path.rstrip("/") or "/") in UPLOAD_ROUTES

    def for_request(self, method: str, path: str) -> int:
        """Bytes read at most: an upload's limit plus room for its multipart framing."""
        if self.is_upload(method, path):
            return self.upload_bytes + MULTIPART_OVERHEAD_BYTES
        return self.json_bytes

    def too_large(self, method: str, path: str) -> HTTPException:
        """The 413, stating the configured limit (not the framing allowance on top of it)."""
        if self.is_upload(method, path):
            return HTTPException(413, f"The upload is larger than the limit of {describe_bytes(self.upload_bytes)}.")
        return body_too_large(self.json_bytes)


def body_too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"The request body is larger than the limit of {describe_bytes(limit)}.")


def request_id_of(scope: Scope) -> str:
    return str(scope.get("state", {}).get("request_id", ""))


async def send_json_error(
    send: Send,
    scope: Scope,
    status: int,
    detail: str,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    body = json.dumps({"detail": detail, **(extra or {}), "request_id": request_id_of(scope)}).encode()
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw_headers += [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in (headers or {}).items()
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


def _relative_location(location: str) -> str:
    """A redirect's target without scheme and host: Starlette builds it from the Host header."""
    parts = urlsplit(location)
    if not parts.scheme and not parts.netloc:
        return location
    return urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))


def _is_json_body(content_type: str | None) -> bool:
    if not content_type:
        return True  # no Content-Type at all is read as JSON
    main = content_type.split(";", 1)[0].strip().lower()
    return main == "application/json" or (main.startswith("application/") and main.endswith("+json"))


class RequestContextMiddleware:
    """Gives each request an id, enforces body limits, records metrics, turns crashes into JSON 500s."""

    def __init__(self, app: ASGIApp, *, metrics: ApiMetrics, limits: BodyLimits, gate: AuthGate | None = None) -> None:
        self.app = app
        self.metrics = metrics
        self.limits = limits
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = MutableHeaders(scope=scope)
        incoming = headers.get(REQUEST_ID_HEADER, "")
        # Always our own id: a client-chosen one could repeat and confuse the logs. A harmless
        # client id is kept beside it (logged as client_request_id), never echoed as ours.
        request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        if _VALID_REQUEST_ID.match(incoming):
            scope["state"]["client_request_id"] = incoming
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = int(message["status"])
                response_started = True
                response_headers = MutableHeaders(scope=message)
                response_headers[REQUEST_ID_HEADER] = request_id
                if status in _REDIRECTS and "location" in response_headers:
                    response_headers["location"] = _relative_location(response_headers["location"])
            await send(message)

        limit = self.limits.for_request(scope["method"], scope["path"])
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # a lying or missing Content-Length is caught here
                    raise self.limits.too_large(scope["method"], scope["path"])
            return message

        try:
            if len(scope["headers"]) > self.limits.max_headers:
                detail = f"Too many request headers ({len(scope['headers'])}; the limit is {self.limits.max_headers})."
                await send_json_error(send_with_id, scope, 431, detail)
                return
            # h11 bounds headers that arrive in pieces; these arrived whole, in one read.
            header_bytes = sum(len(name) + len(value) + 4 for name, value in scope["headers"])
            if header_bytes > self.limits.max_header_bytes:
                limit_text = describe_bytes(self.limits.max_header_bytes)
                detail = f"The request headers are larger than the limit of {limit_text}."
                await send_json_error(send_with_id, scope, 431, detail)
                return
            declared = headers.get("content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > limit):
                if declared.isdigit():
                    too_large = self.limits.too_large(scope["method"], scope["path"])
                    await send_json_error(send_with_id, scope, 413, str(too_large.detail))
                else:
                    await send_json_error(send_with_id, scope, 400, "Invalid Content-Length header.")
                return
            if self.gate is not None:
                client = scope.get("client")
                refusal = self.gate.check(
                    scope["method"], scope["path"], headers.get("x-api-key"), client[0] if client else "unknown"
                )
                if refusal is not None:
                    await send_json_error(send_with_id, scope, refusal.status, refusal.detail, refusal.headers)
                    return
            receive_next: Receive = receive_within_limit
            wants_json = scope["method"] in _BODY_METHODS and _is_json_body(headers.get("content-type"))
            if wants_json and not self.limits.is_upload(scope["method"], scope["path"]):
                replay = await self._checked_json_body(scope, receive_within_limit, send_with_id)
                if replay is None:
                    return
                receive_next = replay
            await self.app(scope, receive_next, send_with_id)
        except ClientDisconnect:
            logger.info("client went away during %s %s (request %s)", scope["method"], scope["path"], request_id)
        except Exception:
            # Never a stack trace to the client: log it here, with the id the client can quote.
            client_id = scope["state"].get("client_request_id", "-")
            where = f"{scope['method']} {scope['path']}"
            logger.exception("unhandled error in %s (request %s, client id %s)", where, request_id, client_id)
            if not response_started:
                await send_json_error(send_with_id, scope, 500, "internal error")
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED_ROUTE
            self.metrics.observe_request(scope["method"], template, status, time.perf_counter() - started)

    async def _checked_json_body(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """Read a (bounded) JSON body and check what the JSON parser reports badly (422 with a
        position); a body without Content-Type is marked as JSON. Returns a receive that replays
        the body, or None when the error response was sent."""
        chunks: list[bytes] = []
        while True:
            try:
                message = await receive()
            except HTTPException as error:  # over the body limit while reading
                await send_json_error(send, scope, error.status_code, str(error.detail))
                return None
            if message["type"] != "http.request":
                raise ClientDisconnect()
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        headers = MutableHeaders(scope=scope)
        if body and "content-type" not in headers:
            headers["content-type"] = "application/json"
        problem = json_problem(body) if body else None
        if problem is not None:
            reason, position = problem
            detail = f"Malformed JSON body: {reason} (at character {position})."
            errors = [{"loc": ["body", position], "msg": reason, "type": "json_invalid"}]
            await send_json_error(send, scope, 422, detail, extra={"errors": errors})
            return None
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay
