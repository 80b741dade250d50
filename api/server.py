"""Run the API with uvicorn (``zoneqa serve`` calls :func:`run`).

Usage::

    from api.server import run
    run(host="127.0.0.1", port=8000, workers=2)
    python -m api.server --host 127.0.0.1 --port 8000 --log-level info    # the same, from a shell

Each worker is a process with its own pipeline (models loaded once per worker); with Chroma in
server mode (``ZONEQA_CHROMA_HOST``) several processes, on one or more machines, share one index.

The HTTP layer is uvicorn's h11 protocol (never httptools, which has no header size limit) with
ZoneQA's limits (``ZONEQA_API__*``): the request line and headers together at most
``max_header_bytes`` (h11's ``max_incomplete_event_size``), headers complete within
``header_timeout_seconds`` of connecting (or of the previous response on a kept-alive connection),
and a body that keeps arriving: no pause longer than ``body_timeout_seconds``, and all of it within
that time plus ``Content-Length`` at :data:`MIN_BODY_BYTES_PER_SECOND`. A connection over a limit
gets a JSON error (400 or 408, with a request id) and is closed. Public deployments still belong
behind a reverse proxy (docs/DEPLOYMENT.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import time
import uuid
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from core.config import get_settings

APP_FACTORY = "api.main:create_app"
#: The slowest body accepted on average (a 20 MiB upload may take 7 minutes at this rate).
MIN_BODY_BYTES_PER_SECOND = 50 * 1024
logger = logging.getLogger("zoneqa.api")


def _raw_json_response(status: int, reason: str, detail: str, request_id: str) -> bytes:
    body = json.dumps({"detail": detail, "request_id": request_id}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
        f"x-request-id: {request_id}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class ZoneQAProtocol(H11Protocol):
    """uvicorn's h11 protocol plus deadlines for headers and bodies, and JSON for its own 400."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        api = get_settings().api
        self._header_timeout = api.header_timeout_seconds
        self._body_timeout = api.body_timeout_seconds
        self._timer: asyncio.TimerHandle | None = None
        self._waiting: str | None = None
        self._seen_cycle: object | None = None
        self._body_deadline = 0.0

    # -- deadlines --------------------------------------------------------------------------------
    def _arm(self, what: str, seconds: float) -> None:
        self._cancel()
        self._waiting = what
        self._timer = self.loop.call_later(max(seconds, 0.0), self._expired)

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._waiting = None

    def _track(self) -> None:
        """After each read: a new request ends the header wait; a body still coming re-arms its wait."""
        if self.transport.is_closing():
            self._cancel()
            return
        cycle = self.cycle
        if cycle is not None and cycle is not self._seen_cycle:
            self._seen_cycle = cycle
            declared = dict(self.headers or []).get(b"content-length", b"0")
            size = int(declared) if declared.isdigit() else 0
            self._body_deadline = time.monotonic() + self._body_timeout + size / MIN_BODY_BYTES_PER_SECOND
            self._cancel()
        if cycle is not None and cycle is self._seen_cycle:
            if cycle.more_body and not cycle.response_complete:
                remaining = self._body_deadline - time.monotonic()
                self._arm("body", min(self._body_timeout, remaining))
            elif self._waiting == "body":
                self._cancel()
        elif self._waiting is None:
            self._arm("headers", self._header_timeout)

    def _expired(self) -> None:
        waiting, self._timer, self._waiting = self._waiting, None, None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if waiting == "body" and cycle is not None and not cycle.response_started:
            request_id = str(cycle.scope.get("state", {}).get("request_id", "")) or uuid.uuid4().hex
            detail = f"The request body did not arrive in time (no more than {self._body_timeout:g} s without data)."
            self.transport.write(_raw_json_response(408, "Request Timeout", detail, request_id))
        elif waiting == "headers":
            detail = f"The request headers did not arrive within {self._header_timeout:g} s."
            self.transport.write(_raw_json_response(408, "Request Timeout", detail, uuid.uuid4().hex))
        logger.info("closed a connection from %s: %s too slow", self.client, waiting)
        self.transport.close()

    # -- uvicorn hooks ---------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm("headers", self._header_timeout)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._track()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            # A kept-alive connection gets the same deadline for its next request's headers.
            self._arm("headers", self._header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        """uvicorn's own 400 (a request h11 cannot parse, or headers over the size limit), as JSON."""
        request_id = uuid.uuid4().hex
        limit = self.config.h11_max_incomplete_event_size
        detail = f"Invalid HTTP request (malformed, or request line and headers over {limit} bytes)."
        body = json.dumps({"detail": detail, "request_id": request_id}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"x-request-id", request_id.encode()),
            (b"connection", b"close"),
        ]
        try:
            self.transport.write(self.conn.send(h11.Response(status_code=400, headers=headers, reason=b"Bad Request")))
            self.transport.write(self.conn.send(h11.Data(data=body)) or b"")
            self.transport.write(self.conn.send(h11.EndOfMessage()) or b"")
        except h11.LocalProtocolError:
            self.transport.write(_raw_json_response(400, "Bad Request", detail, request_id))
        self._cancel()
        self.transport.close()


def uvicorn_options(log_level: str = "info") -> dict[str, Any]:
    """The uvicorn options every ZoneQA server uses (``zoneqa serve``, tests, ``python -m api.server``)."""
    return {
        "factory": True,
        "proxy_headers": True,
        "log_level": log_level,
        "http": ZoneQAProtocol,
        "h11_max_incomplete_event_size": get_settings().api.max_header_bytes,
    }


def run(host: str, port: int, workers: int, log_level: str = "info") -> None:
    """Serve until interrupted. ``workers`` > 1 starts that many processes behind one port."""
    if workers < 1:
        raise ValueError("workers must be >= 1")
    uvicorn.run(APP_FACTORY, host=host, port=port, workers=workers, **uvicorn_options(log_level))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m api.server", description="Run the ZoneQA API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    run(args.host, args.port, args.workers, args.log_level)


if __name__ == "__main__":
    main()
