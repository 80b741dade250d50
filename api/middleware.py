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

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics import UNMATCHED_ROUTE, ApiMetrics

logger = logging.getLogger("zoneqa.api")

REQUEST_ID_HEADER = "X-Request-ID"
# Incoming ids are echoed only when harmless in logs and headers.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Multipart framing around an uploaded file (boundaries, part headers) on top of the file itself.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
UPLOAD_ROUTES = {("POST", "/documents")}


@dataclass(frozen=True)
class BodyLimits:
    json_bytes: int
    upload_bytes: int

    def for_request(self, method: str, path: str) -> int:
        if (method, path.rstrip("/") or "/") in UPLOAD_ROUTES:
            return self.upload_bytes + MULTIPART_OVERHEAD_BYTES
        return self.json_bytes


def body_too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"The request body is larger than the limit of {limit} bytes.")


def request_id_of(scope: Scope) -> str:
    return str(scope.get("state", {}).get("request_id", ""))


async def send_json_error(send: Send, scope: Scope, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail, "request_id": request_id_of(scope)}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestContextMiddleware:
    """Gives each request an id, enforces body limits, records metrics, turns crashes into JSON 500s."""

    def __init__(self, app: ASGIApp, *, metrics: ApiMetrics, limits: BodyLimits) -> None:
        self.app = app
        self.metrics = metrics
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = MutableHeaders(scope=scope).get(REQUEST_ID_HEADER, "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = int(message["status"])
                response_started = True
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        limit = self.limits.for_request(scope["method"], scope["path"])
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # a lying or missing Content-Length is caught here
                    raise body_too_large(limit)
            return message

        try:
            declared = MutableHeaders(scope=scope).get("content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > limit):
                if declared.isdigit():
                    await send_json_error(send_with_id, scope, 413, str(body_too_large(limit).detail))
                else:
                    await send_json_error(send_with_id, scope, 400, "Invalid Content-Length header.")
                return
            await self.app(scope, receive_within_limit, send_with_id)
        except Exception:
            # Never a stack trace to the client: log it here, with the id the client can quote.
            logger.exception("unhandled error in %s %s (request %s)", scope["method"], scope["path"], request_id)
            if not response_started:
                await send_json_error(send_with_id, scope, 500, "internal error")
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED_ROUTE
            self.metrics.observe_request(scope["method"], template, status, time.perf_counter() - started)
